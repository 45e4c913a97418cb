//! Runs the `odoo-emulator` binary as CI scripts do: on port 0 with a port
//! file, reading the startup line, then stopping it with SIGTERM.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-emulator");

/// Starts `odoo-emulator serve` with `args` and returns it with its
/// startup line.
fn start(args: &[&str], envs: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .arg("serve")
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a startup line");
    (child, line)
}

fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn port_in(line: &str) -> u16 {
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .expect("a URL");
    url.rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port")
}

fn terminate(child: &mut Child) -> Option<i32> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            child.kill().expect("kill the child that ignored SIGTERM");
            panic!("the emulator did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_prints_one_line_and_writes_port_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let port_file = directory.path().join("port");
    let port_file_text = port_file.to_str().expect("UTF-8 path");

    let (mut child, line) = start(
        &["--bind", "127.0.0.1:0", "--port-file", port_file_text],
        &[],
    );
    let port = port_in(&line);
    let written = std::fs::read_to_string(&port_file).expect("the port file exists");
    let health = http(
        port,
        "GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let exit = terminate(&mut child);

    assert!(
        line.starts_with("odoo-emulator serving Odoo 17.0 at http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.ends_with("(database demo, login admin, password admin)\n"),
        "{line}"
    );
    assert_eq!(written, format!("{port}\n"));
    assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
    assert_eq!(exit, Some(0));
}

#[test]
fn empty_xmlrpc_body_is_expat_fault() {
    let (mut child, line) = start(&[], &[("ODOO_EMULATOR_BIND", "127.0.0.1:0")]);
    let port = port_in(&line);

    let response = http(
        port,
        "POST /xmlrpc/2/common HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    terminate(&mut child);

    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.contains("<value><int>1</int></value>"),
        "{response}"
    );
    assert!(
        response.contains("xml.parsers.expat.ExpatError: no element found: line 1, column 0"),
        "{response}"
    );
}

/// A path to something that is not a profile, such as `/dev/zero`, is
/// read no further than the size limit and rejected.
#[test]
fn endless_profile_file_is_usage_error() {
    let output = Command::new(BINARY)
        .args(["profile", "check", "/dev/zero"])
        .output()
        .expect("the binary runs");

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("/dev/zero: cannot read the profile: the file is larger than 64 MiB"),
        "{stdout}"
    );
}

#[test]
fn missing_profile_file_is_usage_error() {
    let output = Command::new(BINARY)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--profile",
            "no-such-acme.yaml",
        ])
        .output()
        .expect("the binary runs");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("no-such-acme.yaml: cannot read the profile"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn address_in_use_is_failure() {
    let occupied = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = occupied.local_addr().expect("an address").to_string();

    let output = Command::new(BINARY)
        .args(["serve", "--bind", &address])
        .output()
        .expect("the binary runs");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains(&format!("failed to listen on {address}")),
        "{stderr}"
    );
}
