//! `odoo-emulator exec -- COMMAND`: the emulator serves while a Python
//! script runs against it, and exec exits with the script's code, or with
//! its own codes when the emulator or the command could not run.

use std::process::{Command, Output};

use odoo_e2e::emulator::default_binary_path;
use odoo_e2e::python::{client_path, python};
use serde_json::Value;

/// Runs `odoo-emulator exec OPTIONS -- python exec_probe.py CODE`.
fn exec_probe(options: &[&str], code: i32) -> Output {
    let mut command = Command::new(default_binary_path());
    command.arg("exec").args(options).arg("--").arg(python());
    command
        .arg(client_path("exec_probe.py"))
        .arg(code.to_string());
    run(command)
}

fn run(mut command: Command) -> Output {
    // The harness keeps the tests hermetic: no developer settings.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ODOO_") {
            command.env_remove(key);
        }
    }
    command.output().expect("the odoo-emulator binary runs")
}

fn probe_settings(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().next().unwrap_or_else(|| {
        panic!(
            "the probe printed nothing; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(line).expect("the probe prints JSON")
}

#[test]
fn exit_code_and_environment_passed() {
    let output = exec_probe(&[], 3);

    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let settings = probe_settings(&output);
    let url = settings["ODOO_URL"].as_str().expect("ODOO_URL");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(settings["ODOO_DB"], "demo");
    assert_eq!(settings["ODOO_USERNAME"], "admin");
    assert_eq!(settings["ODOO_PASSWORD"], "admin");
    assert_eq!(settings["uid"], 2);
    // The emulator stopped with the command.
    let address = url.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "{url} still answers"
    );
}

#[test]
fn success_and_first_database() {
    let output = exec_probe(
        &["--profile", "acme=odoo-17", "--profile", "beta=odoo-17"],
        0,
    );

    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(probe_settings(&output)["ODOO_DB"], "acme");
}

#[test]
fn own_failures_have_own_codes() {
    let cases: [(&[&str], i32, &str); 4] = [
        (
            &["--", "odoo-no-such-command"],
            127,
            "failed to run odoo-no-such-command",
        ),
        (&["--", "/"], 126, "failed to run /"),
        (
            &["--profile", "no-such.yaml", "--", "true"],
            125,
            "no-such.yaml",
        ),
        (&[], 125, "<COMMAND>"),
    ];
    for (arguments, code, message) in cases {
        let mut command = Command::new(default_binary_path());
        command.arg("exec").args(arguments);

        let output = run(command);

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{arguments:?}: {stderr}");
        assert!(stderr.contains(message), "{arguments:?}: {stderr}");
    }
}

#[test]
fn signal_exit_is_128_plus_signal() {
    let mut command = Command::new(default_binary_path());
    command.args(["exec", "--", "sh", "-c", "kill -TERM $$"]);

    let output = run(command);

    assert_eq!(output.status.code(), Some(143), "{output:?}");
}
