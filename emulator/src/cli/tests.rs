//! Command-line parsing tests: tables of valid and invalid invocations.

use super::serve::build_emulator;
use super::*;

fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
    let mut full = vec!["odoo-emulator", "serve"];
    full.extend_from_slice(args);
    Cli::try_parse_from(full).map(|cli| match cli.command {
        Command::Serve(args) => args,
        Command::Profile(_) | Command::Exec(_) => unreachable!("the arguments start with serve"),
    })
}

fn profile(database: Option<&str>, source: &str) -> ProfileArg {
    ProfileArg {
        database: database.map(str::to_owned),
        source: source.to_owned(),
    }
}

#[test]
fn defaults() {
    let args = parse(&[]).expect("serve without options is valid");

    assert_eq!(args.bind, "127.0.0.1:8069".parse().expect("an address"));
    assert_eq!(args.port_file, None);
    assert_eq!(args.options.seed, 0);
    assert!(args.options.profiles.is_empty());
}

#[test]
fn valid_invocations() {
    let args = parse(&[
        "--bind",
        "127.0.0.1:0",
        "--port-file",
        "/tmp/port",
        "--seed",
        "42",
        "--profile",
        "odoo-17",
        "--profile",
        "acme=profiles/acme.yaml",
    ])
    .expect("valid options");

    assert_eq!(args.bind.port(), 0);
    assert_eq!(args.port_file, Some(PathBuf::from("/tmp/port")));
    assert_eq!(args.options.seed, 42);
    assert_eq!(
        args.options.profiles,
        vec![
            profile(None, "odoo-17"),
            profile(Some("acme"), "profiles/acme.yaml")
        ]
    );
}

#[test]
fn bind_addresses() {
    let cases = [
        ("127.0.0.1:8070", "127.0.0.1:8070"),
        ("[::1]:8070", "[::1]:8070"),
        ("0.0.0.0:0", "0.0.0.0:0"),
        ("localhost:8070", "127.0.0.1:8070"),
    ];
    for (given, expected) in cases {
        let args = parse(&["--bind", given]).expect("a valid address");
        assert_eq!(args.bind.to_string(), expected, "{given}");
    }
}

#[test]
fn bind_error_shows_the_accepted_forms() {
    let error = parse(&["--bind", "example.com:8069"]).expect_err("a host name");
    assert!(
        error.to_string().contains(
            "invalid address \"example.com:8069\": expected IP:PORT such as 127.0.0.1:8069 \
             or [::1]:8069, or localhost:PORT"
        ),
        "{error}"
    );
}

#[test]
fn invalid_invocations() {
    let cases: [&[&str]; 8] = [
        &["--bind", "localhost"],
        &["--bind", "127.0.0.1:70000"],
        &["--bind", "localhost:70000"],
        &["--bind", "example.com:8069"],
        &["--seed", "-1"],
        &["--profile", "=odoo-17"],
        &["--profile", "demo="],
        &["--unknown"],
    ];
    for args in cases {
        let error = parse(args).expect_err("invalid options");
        assert!(error.use_stderr(), "{args:?}");
    }
}

#[test]
fn invalid_profiles_are_usage_errors() {
    let cases = [
        vec![profile(None, "no-such-file.yaml")],
        vec![profile(None, "odoo-17"), profile(None, "odoo-17")],
        vec![profile(Some("a"), "odoo-17"), profile(Some("a"), "odoo-17")],
    ];
    for profiles in cases {
        let error = build_emulator(&profiles, 0).expect_err("invalid profiles");
        assert_eq!(error.code, EXIT_USAGE, "{profiles:?}");
    }
}

#[test]
fn named_databases_serve_side_by_side() {
    let profiles = [
        profile(Some("acme"), "odoo-17"),
        profile(Some("globex"), "odoo-17"),
    ];
    let (emulator, databases) = build_emulator(&profiles, 7).expect("two databases");

    assert_eq!(emulator.database_names(), vec!["acme", "globex"]);
    assert_eq!(databases, "acme, globex");
    assert_eq!(emulator.seed(), 7);
}

#[test]
fn default_profile_serves_demo() {
    let (emulator, database) = build_emulator(&[], 0).expect("the built-in profile");
    let address: SocketAddr = "127.0.0.1:8069".parse().expect("an address");

    assert_eq!(database, "demo");
    assert_eq!(
        startup_line(&emulator, address, &database),
        "odoo-emulator serving Odoo 17.0 at http://127.0.0.1:8069 (database demo, login admin, \
         password admin)"
    );
}

fn parse_import(args: &[&str]) -> Result<ImportArgs, clap::Error> {
    let mut full = vec!["odoo-emulator", "profile", "import"];
    full.extend_from_slice(args);
    Cli::try_parse_from(full).map(|cli| match cli.command {
        Command::Profile(ProfileCommand::Import(args)) => args,
        _ => unreachable!("the arguments start with profile import"),
    })
}

#[test]
fn import_options() {
    let args = parse_import(&[
        "--url",
        "http://127.0.0.1:8069",
        "--db",
        "acme",
        "--username",
        "admin",
        "--password",
        "s3cret",
        "--models",
        "res.partner,x_delivery.slot",
        "-o",
        "acme.yaml",
    ])
    .expect("valid options");

    assert_eq!(args.url, "http://127.0.0.1:8069");
    assert_eq!(args.db, "acme");
    assert_eq!(args.username, "admin");
    assert_eq!(
        args.password,
        crate::profile::import::Password::new("s3cret")
    );
    assert_eq!(args.models, vec!["res.partner", "x_delivery.slot"]);
    assert_eq!(args.output, Some(PathBuf::from("acme.yaml")));
    assert!(!format!("{args:?}").contains("s3cret"));
}

#[test]
fn invalid_import_invocations() {
    let cases: [&[&str]; 4] = [
        &["--db", "acme", "--username", "admin", "--password", "x"],
        &[
            "--url",
            "http://h",
            "--username",
            "admin",
            "--password",
            "x",
        ],
        &["--url", "http://h", "--db", "acme", "--password", "x"],
        &[
            "--url",
            "http://h",
            "--db",
            "acme",
            "--username",
            "a",
            "--password",
            "",
        ],
    ];
    for args in cases {
        let error = parse_import(args).expect_err("invalid options");
        assert!(error.use_stderr(), "{args:?}");
    }
}
