//! Measures the time from starting a server process to its first
//! successful response, for `scripts/bench`.
//!
//! Each run picks a free loopback port, starts the command with `{port}`
//! replaced by that port, then sends the request until the response has
//! HTTP status 200 and contains the expected text. The time from just
//! before the process is spawned to that response is one sample. The
//! process is then killed. The output is one line:
//! `runs=N median_ms=... min_ms=... p90_ms=... max_ms=...`.
//!
//! ```text
//! startup_time --runs 20 --path /xmlrpc/2/common --body auth.xml \
//!     --content-type text/xml --expect '<int>2</int>' \
//!     -- target/release/odoo-emulator serve --bind 127.0.0.1:{port}
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

/// How long one run may take before the probe gives up.
const RUN_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause between two attempts while the server is not yet listening.
const RETRY_PAUSE: Duration = Duration::from_micros(200);

#[derive(Debug, Parser)]
#[command(about = "Time from process start to a server's first successful response")]
struct Args {
    /// Number of runs (process starts) to measure.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// The HTTP path to POST to.
    #[arg(long)]
    path: String,
    /// A file with the request body.
    #[arg(long)]
    body: PathBuf,
    /// The request's Content-Type.
    #[arg(long, default_value = "text/xml")]
    content_type: String,
    /// Text that a successful response body contains.
    #[arg(long)]
    expect: String,
    /// The server command; `{port}` in any argument is replaced by the port.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.runs == 0 {
        eprintln!("error: --runs must be at least 1");
        return ExitCode::from(2);
    }
    let body = match std::fs::read(&args.body) {
        Ok(body) => body,
        Err(error) => {
            eprintln!(
                "error: failed to read the body file {}: {error}",
                args.body.display()
            );
            return ExitCode::from(1);
        }
    };
    let mut samples = Vec::with_capacity(args.runs);
    for run in 0..args.runs {
        match measure_once(&args, &body) {
            Ok(elapsed) => samples.push(elapsed.as_secs_f64() * 1000.0),
            Err(error) => {
                eprintln!("error: run {} of {}: {error}", run + 1, args.runs);
                return ExitCode::from(1);
            }
        }
    }
    println!("{}", summary(&mut samples));
    ExitCode::SUCCESS
}

/// Starts the server once and returns the time to its first successful
/// response.
fn measure_once(args: &Args, body: &[u8]) -> Result<Duration, String> {
    let port = free_port()?;
    let command: Vec<String> = args
        .command
        .iter()
        .map(|arg| arg.replace("{port}", &port.to_string()))
        .collect();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let request = build_request(args, port, body);

    let started = Instant::now();
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("failed to start {}: {error}", command[0]))?;
    let outcome = loop {
        if started.elapsed() > RUN_TIMEOUT {
            break Err(format!(
                "no successful response within {} s",
                RUN_TIMEOUT.as_secs()
            ));
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("the server exited early with {status}"));
        }
        match send(address, &request) {
            Ok(response) if is_success(&response, &args.expect) => break Ok(started.elapsed()),
            _ => std::thread::sleep(RETRY_PAUSE),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// Returns a loopback port that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|error| format!("failed to find a free port: {error}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|error| format!("failed to read the free port: {error}"))
}

fn build_request(args: &Args, port: u16, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        args.path,
        args.content_type,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

fn send(address: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(RUN_TIMEOUT))?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

fn is_success(response: &[u8], expect: &str) -> bool {
    let text = String::from_utf8_lossy(response);
    text.starts_with("HTTP/1.1 200") && text.contains(expect)
}

fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        let index = ((samples.len() - 1) as f64 * fraction).round() as usize;
        samples[index]
    };
    format!(
        "runs={} median_ms={:.2} min_ms={:.2} p90_ms={:.2} max_ms={:.2}",
        samples.len(),
        at(0.5),
        at(0.0),
        at(0.9),
        at(1.0)
    )
}
