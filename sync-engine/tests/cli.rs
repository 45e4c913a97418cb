//! The `odoo-sync` binary: help text, configuration from the environment,
//! the summary it prints and its exit codes.

mod support;

use std::process::{Command, Output};

use odoo_sync::rpc::Protocol;
use support::{customer, Fixture};

fn odoo_sync() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_odoo-sync"));
    command.env_clear().env("RUST_LOG", "warn");
    command
}

/// Sets the variables a harness sets, from a fixture.
fn with_environment<'c>(command: &'c mut Command, fixture: &Fixture) -> &'c mut Command {
    let config = fixture.config();
    command
        .env("ODOO_URL", &config.odoo_url)
        .env("ODOO_DB", &config.database)
        .env("ODOO_USERNAME", &config.username)
        .env("ODOO_PASSWORD", &config.password)
        .env("SAAS_URL", &config.saas_url)
        .env("SYNC_STATE_DIR", &config.state_dir)
        .env("SYNC_SPEC", &config.spec_path)
        .env("SYNC_BACKOFF_BASE_MS", "5")
}

fn run(command: &mut Command) -> Output {
    command.output().expect("odoo-sync runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn pass_help_lists_variables() {
    let output = run(odoo_sync().args(["pass", "--help"]));

    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for expected in [
        "ODOO_URL",
        "ODOO_DB",
        "ODOO_USERNAME",
        "ODOO_PASSWORD",
        "ODOO_API_KEY",
        "SAAS_URL",
        "SYNC_STATE_DIR",
        "SYNC_SPEC",
        "--protocol",
        "Exit codes:",
        "5  the live Odoo schema no longer fits the spec",
    ] {
        assert!(
            help.contains(expected),
            "{expected:?} missing from:\n{help}"
        );
    }
}

#[test]
fn pass_from_environment_exits_zero() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let output = run(with_environment(odoo_sync().arg("pass"), &fixture));

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = stdout(&output);
    assert!(summary.contains("1 changes read, 1 applied"), "{summary}");
    assert!(fixture.xmlid("saas", "customer_c1").is_some());
}

#[test]
fn pass_json_summary_parses() {
    let fixture = Fixture::new(Protocol::JsonRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let output = run(with_environment(
        odoo_sync().args(["pass", "--json", "--protocol", "jsonrpc"]),
        &fixture,
    ));

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    assert_eq!(summary["applied"], serde_json::json!(1));
    assert_eq!(summary["reported"], serde_json::json!(0));
}

#[test]
fn missing_environment_exits_two() {
    let output = run(odoo_sync().arg("pass"));

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("ODOO_URL"), "{}", stderr(&output));
}

/// A state directory that does not exist and cannot be created fails the
/// pass with exit code 6 before it writes anything to Odoo. Under `/proc`
/// a missing name reads as not found and cannot be created, even by
/// root, which the CI runs as.
#[test]
fn unwritable_state_dir_exits_before_writing() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let output = run(with_environment(odoo_sync().arg("pass"), &fixture)
        .env("SYNC_STATE_DIR", "/proc/odoo-sync-no-state"));

    assert_eq!(
        output.status.code(),
        Some(odoo_sync::exit::STATE),
        "{}",
        stderr(&output)
    );
    let found = fixture.search_read(
        "res.partner",
        serde_json::json!([["name", "=", "Ada Lovelace"]]),
        &["name"],
    );
    assert!(found.is_empty(), "{found:?}");
}

/// A database Odoo does not have is a setting to fix, exit code 2, on
/// every protocol. Odoo rejects the login with PostgreSQL's connection
/// error, or an AccessError on the web route.
#[test]
fn unknown_database_exits_two() {
    for protocol in ["xmlrpc", "jsonrpc", "web"] {
        let fixture = Fixture::new(Protocol::XmlRpc);

        let output = run(with_environment(odoo_sync().arg("check"), &fixture)
            .env("ODOO_DB", "nodb")
            .env("SYNC_PROTOCOL", protocol));

        assert_eq!(
            output.status.code(),
            Some(odoo_sync::exit::USAGE),
            "{protocol}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(
            message.contains("Odoo has no database \"nodb\""),
            "{protocol}: {message}"
        );
    }
}

#[test]
fn wrong_password_exits_three() {
    let fixture = Fixture::new(Protocol::XmlRpc);

    let output =
        run(with_environment(odoo_sync().arg("pass"), &fixture).env("ODOO_PASSWORD", "wrong"));

    assert_eq!(output.status.code(), Some(odoo_sync::exit::AUTHENTICATION));
    let message = stderr(&output);
    assert!(message.contains("Odoo rejected the login"), "{message}");
    assert!(
        !message.contains("wrong"),
        "the password is never printed: {message}"
    );
}

/// A spec path to something endless, such as `/dev/zero`, is read no
/// further than the size limit and rejected with exit code 2.
#[test]
fn endless_spec_exits_two() {
    let fixture = Fixture::new(Protocol::XmlRpc);

    let output =
        run(with_environment(odoo_sync().arg("check"), &fixture).env("SYNC_SPEC", "/dev/zero"));

    assert_eq!(
        output.status.code(),
        Some(odoo_sync::exit::USAGE),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("the file is larger than 16 MiB, so it is not a spec"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_spec_exits_two() {
    let fixture = Fixture::with_spec(
        Protocol::XmlRpc,
        "name: broken\nentities: {customer: {model: 1}}\n",
    );

    let output = run(with_environment(odoo_sync().arg("pass"), &fixture));

    assert_eq!(
        output.status.code(),
        Some(odoo_sync::exit::USAGE),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("load the spec"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn check_without_drift_exits_zero() {
    let fixture = Fixture::new(Protocol::XmlRpc);

    let output = run(with_environment(odoo_sync().arg("check"), &fixture));

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("the live schema fits the spec"));
}

#[test]
fn check_needs_no_feed_options() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    let mut command = odoo_sync();
    with_environment(command.arg("check"), &fixture)
        .env_remove("SAAS_URL")
        .env_remove("SYNC_STATE_DIR");

    let output = run(&mut command);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("the live schema fits the spec"));
}

#[test]
fn pass_without_saas_url_is_a_usage_error() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    let mut command = odoo_sync();
    with_environment(command.arg("pass"), &fixture).env_remove("SAAS_URL");

    let output = run(&mut command);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--saas-url"),
        "{}",
        stderr(&output)
    );
}
