//! `profile import` against the emulator itself. Each customer profile is
//! served on a loopback port and imported, then the imported profile is
//! served too. Both servers must return the same `fields_get` on every
//! model, and the same access rows, record rules and groups. The errors of an
//! import (unreachable server, not Odoo, wrong password, unknown database
//! or model) are checked against servers these tests start.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;

use odoo_emulator::profile::import::{
    import_profile, ImportError, ImportedProfile, Instance, Password, RemoteInstance, Snapshot,
    XmlRpcClient,
};
use odoo_emulator::profile::Profile;
use odoo_emulator::server::{EmulatorServer, ServerConfig};
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, Value};

const CUSTOMER_PROFILES: [&str; 3] = [
    "studio-acme.yaml",
    "legacy-initech.yaml",
    "restricted-globex.yaml",
];

fn fixture(file: &str) -> String {
    format!("{}/../fixtures/profiles/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn serve(profile: Profile) -> EmulatorServer {
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("one database");
    EmulatorServer::start(emulator, ServerConfig::loopback_any_port()).expect("the server starts")
}

fn import_as_admin(server: &EmulatorServer, database: &str) -> ImportedProfile {
    import_profile(
        &server.url(),
        database,
        "admin",
        Password::new("admin"),
        &[],
    )
    .unwrap_or_else(|error| panic!("importing {database} fails: {error}"))
}

fn connect(server: &EmulatorServer, database: &str) -> RemoteInstance {
    let client = XmlRpcClient::new(&server.url()).expect("a valid URL");
    let (instance, _) = RemoteInstance::connect(client, database, "admin", Password::new("admin"))
        .expect("admin logs in");
    instance
}

/// Returns every model of `ir.model`, sorted.
fn model_names(instance: &dyn Instance) -> BTreeSet<String> {
    let snapshot = Snapshot::read_models(instance).expect("ir.model is readable");
    snapshot.models.into_keys().collect()
}

fn fields_get(instance: &dyn Instance, model: &str) -> Value {
    instance
        .execute_kw(model, "fields_get", Vec::new(), Dict::default())
        .unwrap_or_else(|error| panic!("{model}.fields_get fails: {error}"))
}

/// Reads the groups, and the access rows and rules of every model, with
/// record ids left out, since the two servers may number rows apart.
fn security(instance: &dyn Instance) -> Snapshot {
    let mut snapshot = Snapshot::read_models(instance).expect("ir.model is readable");
    let models: BTreeSet<String> = snapshot.models.keys().cloned().collect();
    snapshot
        .read_fields(instance, &models)
        .expect("the schema is readable");
    for model in snapshot.models.values_mut() {
        model.id = 0;
    }
    snapshot
}

/// Returns the YAML without its header comment, which names the URL.
fn body(yaml: &str) -> &str {
    let start = yaml.find("\nname: ").expect("a name line");
    &yaml[start..]
}

#[test]
fn customer_profiles_round_trip() {
    for file in CUSTOMER_PROFILES {
        let original = Profile::load(&fixture(file)).expect("the fixture loads");
        let database = original.database.clone();
        let original_server = serve(original);

        let imported = import_as_admin(&original_server, &database);
        assert_eq!(
            imported.check_error.as_ref().map(ToString::to_string),
            None,
            "{file}"
        );
        assert_eq!(imported.notes, Vec::<String>::new(), "{file}");
        let reloaded = Profile::from_yaml(file, &imported.yaml).expect("the import loads");
        let imported_server = serve(reloaded);

        let original_instance = connect(&original_server, &database);
        let imported_instance = connect(&imported_server, &database);
        let models = model_names(&original_instance);
        assert_eq!(models, model_names(&imported_instance), "{file}: ir.model");
        for model in &models {
            assert_eq!(
                fields_get(&imported_instance, model),
                fields_get(&original_instance, model),
                "{file}: {model}.fields_get"
            );
        }
        let original_security = security(&original_instance);
        let imported_security = security(&imported_instance);
        assert_eq!(
            imported_security.access, original_security.access,
            "{file}: access"
        );
        assert_eq!(
            imported_security.rules, original_security.rules,
            "{file}: rules"
        );
        assert_eq!(
            imported_security.groups, original_security.groups,
            "{file}: groups"
        );
        assert_eq!(
            imported_security.models, original_security.models,
            "{file}: models"
        );

        let reimported = import_as_admin(&imported_server, &database);
        assert_eq!(
            body(&reimported.yaml),
            body(&imported.yaml),
            "{file}: re-import"
        );
    }
}

#[test]
fn import_output_is_deterministic() {
    let server = serve(Profile::load(&fixture("studio-acme.yaml")).expect("the fixture loads"));

    let first = import_as_admin(&server, "acme");
    let second = import_as_admin(&server, "acme");

    assert_eq!(first.yaml, second.yaml);
    assert!(
        first.yaml.contains("on a server running Odoo 17.0."),
        "{}",
        first.yaml
    );
}

#[test]
fn base_imports_to_an_empty_profile() {
    let server = serve(Profile::load("odoo-17").expect("the built-in base loads"));

    let imported = import_as_admin(&server, "demo");

    assert!(
        imported
            .yaml
            .ends_with("\nname: demo\nextends: odoo-17\ndatabase: demo\n"),
        "{}",
        imported.yaml
    );
    assert_eq!(imported.check_error.map(|e| e.to_string()), None);
}

#[test]
fn models_option_limits_the_comparison() {
    let server = serve(Profile::load(&fixture("studio-acme.yaml")).expect("the fixture loads"));
    let models = ["res.partner".to_owned()];

    let imported = import_profile(
        &server.url(),
        "acme",
        "admin",
        Password::new("admin"),
        &models,
    )
    .expect("the import succeeds");

    // The one2many to the Studio model is dropped because that model is
    // not compared, and a note records it.
    assert!(
        !imported.yaml.contains("\n  x_delivery.slot:"),
        "{}",
        imported.yaml
    );
    assert!(
        !imported.yaml.contains("x_studio_delivery_slot_ids:"),
        "{}",
        imported.yaml
    );
    assert!(
        imported.yaml.contains("\n      x_studio_segment:"),
        "{}",
        imported.yaml
    );
    assert_eq!(imported.notes.len(), 1, "{:?}", imported.notes);
    assert!(
        imported.notes[0].starts_with("res.partner.x_studio_delivery_slot_ids is left out"),
        "{}",
        imported.notes[0]
    );
    assert_eq!(imported.check_error.map(|e| e.to_string()), None);
}

#[test]
fn unknown_model_is_rejected() {
    let server = serve(Profile::load("odoo-17").expect("the built-in base loads"));
    let models = ["x_no.such_model".to_owned()];

    let error = import_profile(
        &server.url(),
        "demo",
        "admin",
        Password::new("admin"),
        &models,
    )
    .expect_err("the model does not exist");

    assert!(
        matches!(error, ImportError::UnknownModel { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "model \"x_no.such_model\" was not found on the server: ir.model has no such model"
    );
}

#[test]
fn wrong_password_is_rejected() {
    let server = serve(Profile::load("odoo-17").expect("the built-in base loads"));

    let error = import_profile(&server.url(), "demo", "admin", Password::new("nope"), &[])
        .expect_err("the password is wrong");

    assert!(
        matches!(error, ImportError::WrongCredentials { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "login \"admin\" failed on database \"demo\": common.authenticate returned False, so \
         the login or the password (or API key) is wrong"
    );
}

#[test]
fn unknown_database_is_rejected() {
    let server = serve(Profile::load("odoo-17").expect("the built-in base loads"));

    let error = import_profile(&server.url(), "nodb", "admin", Password::new("admin"), &[])
        .expect_err("the database does not exist");

    assert_eq!(
        error.to_string(),
        format!("database \"nodb\" was not found on {}", server.url())
    );
}

#[test]
fn unreachable_server_is_reported() {
    // A port that was free a moment ago, with nothing listening on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");

    let error = import_profile(&url, "demo", "admin", Password::new("admin"), &[])
        .expect_err("nothing listens");

    assert!(
        matches!(error, ImportError::Unreachable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("failed to reach {url}: ")),
        "{message}"
    );
    assert!(
        message.ends_with("; check the URL and that the server is running"),
        "{message}"
    );
}

#[test]
fn invalid_urls_are_rejected() {
    for url in [
        "127.0.0.1:8069",
        "https://odoo.example.com",
        "ftp://host",
        "http://host/?db=x",
    ] {
        let error = import_profile(url, "demo", "admin", Password::new("admin"), &[])
            .expect_err("invalid URL");
        assert!(
            matches!(error, ImportError::InvalidUrl { .. }),
            "{url}: {error:?}"
        );
    }
}

/// Serves one canned HTTP response to every connection, on a loopback
/// port, until the test process ends.
fn canned_server(status: &str, content_type: &str, body: &str) -> String {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0_u8; 8192];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

#[test]
fn server_that_is_not_odoo_is_reported() {
    let version_seven = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n\
                         <value><int>7</int></value>\n</param>\n</params>\n</methodResponse>\n";
    let cases = [
        (
            ("404 Not Found", "text/html", "<h1>404 Not Found</h1>"),
            "POST /xmlrpc/2/common returned HTTP 404 Not Found (text/html)",
        ),
        (
            ("200 OK", "application/json", "{}"),
            "POST /xmlrpc/2/common returned application/json instead of XML-RPC's text/xml",
        ),
        (
            ("200 OK", "text/xml", "<html/>"),
            "POST /xmlrpc/2/common returned a body that is not an XML-RPC response \
             (ResponseError())",
        ),
        (
            ("200 OK", "text/xml", version_seven),
            "common.version returned 7 instead of a dict",
        ),
    ];
    for ((status, content_type, body), reason) in cases {
        let url = canned_server(status, content_type, body);

        let error = import_profile(&url, "demo", "admin", Password::new("admin"), &[])
            .expect_err("not Odoo");

        assert!(matches!(error, ImportError::NotOdoo { .. }), "{error:?}");
        assert_eq!(
            error.to_string(),
            format!("{url} is not an Odoo server: {reason}")
        );
    }
}

#[test]
fn password_never_appears_in_debug_output() {
    let password = Password::new("s3cret-api-key");

    assert_eq!(format!("{password:?}"), "Password(<redacted>)");
}
