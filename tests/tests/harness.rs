//! Tests of the harness itself, with stand-in binaries, so that a broken
//! emulator is reported clearly instead of hanging or passing by accident.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use odoo_e2e::emulator::default_binary_path;
use odoo_e2e::{Emulator, StartError};
use tempfile::TempDir;

/// Writes an executable shell script that replaces `odoo-emulator`.
fn fake_binary(dir: &TempDir, body: &str) -> PathBuf {
    let path = dir.path().join("odoo-emulator");
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write the stand-in binary");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("make it executable");
    path
}

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// Tells whether a process id still names a live (not zombie) process.
fn process_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the command name in brackets.
        Ok(stat) => stat
            .rsplit(") ")
            .next()
            .is_some_and(|rest| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(content) = fs::read_to_string(path) {
            if !content.trim().is_empty() {
                return content;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} was never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn missing_binary_explained() {
    let error = Emulator::builder()
        .binary("/nonexistent/odoo-emulator")
        .try_start()
        .expect_err("a missing binary cannot start");
    assert!(matches!(error, StartError::BinaryMissing { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("cargo build --bins"), "{message}");
    assert!(message.contains("/nonexistent/odoo-emulator"), "{message}");
}

#[test]
fn early_exit_shows_output() {
    let dir = tempdir();
    let binary = fake_binary(
        &dir,
        "echo 'listening soon'\necho 'boom: no such profile' >&2\nexit 3",
    );
    let error = Emulator::builder()
        .binary(binary)
        .try_start()
        .expect_err("a process that exits cannot become healthy");
    assert!(matches!(error, StartError::Exited { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(message.contains("listening soon"), "{message}");
    assert!(message.contains("boom: no such profile"), "{message}");
}

#[test]
fn unhealthy_times_out() {
    let dir = tempdir();
    let pid_file = dir.path().join("pid");
    let binary = fake_binary(
        &dir,
        &format!("echo $$ > '{}'\nexec sleep 60", pid_file.display()),
    );
    let started = Instant::now();
    let error = Emulator::builder()
        .binary(binary)
        .startup_timeout(Duration::from_millis(500))
        .try_start()
        .expect_err("a process that never writes its port cannot become healthy");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(error, StartError::Timeout { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("did not become healthy within 0.5s"),
        "{message}"
    );
    assert!(message.contains("no port written"), "{message}");

    let pid: u32 = wait_for_file(&pid_file).trim().parse().expect("a pid");
    assert!(
        !process_alive(pid),
        "the stand-in process {pid} was left running"
    );
}

#[test]
fn unhealthy_route_reported() {
    // A server that writes its port but returns 503 on the health route.
    let dir = tempdir();
    let server = r#"
import http.server, sys
port_file = sys.argv[sys.argv.index("--port-file") + 1]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503)
        self.end_headers()
    def log_message(self, *args):
        pass
httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
open(port_file, "w").write(str(httpd.server_address[1]))
httpd.serve_forever()
"#;
    fs::write(dir.path().join("server.py"), server).expect("write the stand-in server");
    let binary = fake_binary(
        &dir,
        &format!(
            "exec {} '{}' \"$@\"",
            odoo_e2e::python::python(),
            dir.path().join("server.py").display()
        ),
    );
    let error = Emulator::builder()
        .binary(binary)
        .startup_timeout(Duration::from_secs(2))
        .try_start()
        .expect_err("a 503 health check is not healthy");
    let message = error.to_string();
    assert!(message.contains("returned 503"), "{message}");
}

#[test]
fn healthy_server_killed_on_drop() {
    let dir = tempdir();
    let server = r#"
import http.server, sys
port_file = sys.argv[sys.argv.index("--port-file") + 1]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status": "ok"}' if self.path == "/_emulator/health" else b"{}"
        self.send_response(200 if self.path == "/_emulator/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as out:
    out.write(str(httpd.server_address[1]))
print("serving", flush=True)
httpd.serve_forever()
"#;
    fs::write(dir.path().join("server.py"), server).expect("write the stand-in server");
    let binary = fake_binary(
        &dir,
        &format!(
            "exec {} '{}' \"$@\"",
            odoo_e2e::python::python(),
            dir.path().join("server.py").display()
        ),
    );
    let mut emulator = Emulator::builder().binary(binary).start();
    assert!(
        emulator.url().starts_with("http://127.0.0.1:"),
        "{}",
        emulator.url()
    );
    assert_ne!(emulator.port(), 0);
    assert!(emulator.is_running());

    let health = reqwest::blocking::get(emulator.route("/_emulator/health")).expect("GET health");
    assert_eq!(health.status().as_u16(), 200);
    assert!(
        emulator.logs().stdout.contains("serving"),
        "{}",
        emulator.logs()
    );

    let url = emulator.route("/_emulator/health");
    drop(emulator);
    let after = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
        .get(url)
        .send();
    assert!(
        after.is_err(),
        "the server still answers after drop: {after:?}"
    );
}

#[test]
fn default_binary_in_target_dir() {
    let path = default_binary_path();
    if std::env::var_os(odoo_e2e::emulator::BINARY_ENV).is_none() {
        assert_eq!(
            path.file_name().and_then(|name| name.to_str()),
            Some("odoo-emulator")
        );
        let profile_dir = path.parent().expect("a parent directory");
        assert_ne!(
            profile_dir.file_name().and_then(|name| name.to_str()),
            Some("deps")
        );
    }
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --bins` before the tests",
        path.display()
    );
}
