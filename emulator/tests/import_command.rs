//! Runs `odoo-emulator profile import` as a user does, against an emulator
//! that the test serves on a loopback port: the password from the
//! environment, the profile written to a file, exit codes and messages.

use std::process::{Command, Output};

use odoo_emulator::profile::Profile;
use odoo_emulator::server::{EmulatorServer, ServerConfig};
use odoo_emulator::service::Emulator;

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-emulator");

/// A password that must never show in the command's output.
const SECRET: &str = "acme-sync-password";

fn serve_acme() -> EmulatorServer {
    let path = format!(
        "{}/../fixtures/profiles/studio-acme.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let profile = Profile::load(&path).expect("the fixture loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("one database");
    EmulatorServer::start(emulator, ServerConfig::loopback_any_port()).expect("the server starts")
}

/// Runs `profile import` with `args`, the password in the environment
/// and debug logging, so a leaked secret would show.
fn import(args: &[&str], password: &str) -> Output {
    Command::new(BINARY)
        .args(["profile", "import"])
        .args(args)
        .env("ODOO_EMULATOR_IMPORT_PASSWORD", password)
        .env("RUST_LOG", "debug")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn import_writes_a_checked_profile() {
    let server = serve_acme();
    let directory = tempfile::tempdir().expect("a temporary directory");
    let output_path = directory.path().join("acme.yaml");
    let output_arg = output_path.to_string_lossy().into_owned();
    let url = server.url();
    let args = [
        "--url",
        &url,
        "--db",
        "acme",
        "--username",
        "admin",
        "-o",
        &output_arg,
    ];

    let output = import(&args, "admin");

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(text(&output.stdout), "");
    assert!(
        stderr.contains(&format!("wrote {output_arg} (extends odoo-17)")),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&output_path).expect("the profile is written");
    assert!(written.contains("logged in as \"admin\""), "{written}");
    assert!(
        written.contains("# Unique constraints are not read"),
        "{written}"
    );
    let check = Command::new(BINARY)
        .args(["profile", "check", &output_arg])
        .output()
        .expect("the binary runs");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
}

#[test]
fn import_prints_to_standard_output() {
    let server = serve_acme();
    let url = server.url();

    let output = import(
        &["--url", &url, "--db", "acme", "--username", "admin"],
        "admin",
    );

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("# Imported by `odoo-emulator profile import`"),
        "{stdout}"
    );
    assert!(stdout.contains("\nextends: odoo-17\n"), "{stdout}");
}

#[test]
fn integration_user_cannot_read_security() {
    let server = serve_acme();
    let url = server.url();
    let args = [
        "--url",
        &url,
        "--db",
        "acme",
        "--username",
        "sync@acme.test",
    ];

    let output = import(&args, SECRET);

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Odoo's base/security/ir.model.access.csv grants ir.model.access to
    // base.group_erp_manager alone, which the web shop user lacks.
    assert!(
        stderr.contains(
            "profile import failed: ir.model.access.search_read failed with an AccessError \
             (XML-RPC fault 4): You are not allowed to access 'Model Access' (ir.model.access) \
             records."
        ),
        "{stderr}"
    );
    assert!(stderr.contains("import as an administrator"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(!text(&output.stdout).contains(SECRET));
}

#[test]
fn wrong_password_exits_with_failure() {
    let server = serve_acme();
    let url = server.url();

    let output = import(
        &["--url", &url, "--db", "acme", "--username", "admin"],
        SECRET,
    );

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "odoo-emulator: profile import failed: login \"admin\" failed on database \"acme\""
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn unknown_model_is_a_usage_error() {
    let server = serve_acme();
    let url = server.url();
    let args = [
        "--url",
        &url,
        "--db",
        "acme",
        "--username",
        "admin",
        "--models",
        "x_nope",
    ];

    let output = import(&args, "admin");

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("model \"x_nope\" was not found on the server"),
        "{stderr}"
    );
}

#[test]
fn missing_password_is_a_usage_error() {
    let output = Command::new(BINARY)
        .args([
            "profile",
            "import",
            "--url",
            "http://127.0.0.1:9",
            "--db",
            "acme",
        ])
        .args(["--username", "admin"])
        .env_remove("ODOO_EMULATOR_IMPORT_PASSWORD")
        .output()
        .expect("the binary runs");

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--password <PASSWORD>"), "{stderr}");
}
