//! `odoo-emulator exec [options] -- COMMAND ARGS...`: the one-line CI entry
//! point. It serves the emulator on a free loopback port, waits until
//! `GET /_emulator/health` succeeds, runs the command with the connection
//! in its environment, stops the emulator and exits with the command's
//! exit code.
//!
//! The command gets `ODOO_URL` (such as `http://127.0.0.1:41234`),
//! `ODOO_DB` (the database of the first `--profile`, `demo` by default),
//! and `ODOO_USERNAME` and `ODOO_PASSWORD` (the login and password of that
//! database's administrator, user id 2: `admin` and `admin` unless the
//! profile changes them). Its standard streams are the terminal's; the
//! emulator's startup line and logs go to standard error.
//!
//! Exit codes follow the convention of `timeout` and `env`: the command's
//! own code; 128 + N when a signal N ended it; [`EXIT_EMULATOR_FAILED`]
//! when the emulator could not start or failed while the command ran
//! (invalid options included); [`EXIT_COMMAND_NOT_EXECUTABLE`] and
//! [`EXIT_COMMAND_NOT_FOUND`] when the command could not be started. A
//! command that itself exits with 125 to 127 cannot be told apart.
//!
//! Signals: SIGTERM is passed on to the command, and `exec` keeps waiting
//! for it. SIGINT is not passed on, because Ctrl-C in a terminal already
//! reaches every process of the foreground group.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::server;
use crate::service::Emulator;

use super::serve::{app_state, prepare_emulator, startup_line, write_port_file};
use super::{CliError, ExecArgs, DEFAULT_PROFILE};

/// The emulator could not start, or failed while the command ran.
pub const EXIT_EMULATOR_FAILED: u8 = 125;
/// The command was found but could not be started (not executable).
pub const EXIT_COMMAND_NOT_EXECUTABLE: u8 = 126;
/// The command was not found.
pub const EXIT_COMMAND_NOT_FOUND: u8 = 127;

/// The exit codes, for `exec --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  N    the command's own exit code (128 + N when signal N ended it)
  125  the emulator failed to start or while the command ran, or invalid options
  126  the command could not be started (for example not executable)
  127  the command was not found

The command gets ODOO_URL, ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD.";

/// How long the emulator may take to pass its health check.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause between two health checks.
const HEALTH_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Runs `exec` and returns the process's exit code.
pub fn run_exec(args: &ExecArgs) -> u8 {
    match try_exec(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("odoo-emulator exec: {}", error.message);
            error.code
        }
    }
}

fn emulator_failure(message: impl Into<String>) -> CliError {
    CliError {
        code: EXIT_EMULATOR_FAILED,
        message: message.into(),
    }
}

fn try_exec(args: &ExecArgs) -> Result<u8, CliError> {
    let (emulator, _) =
        prepare_emulator(&args.options).map_err(|error| emulator_failure(error.message))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(crate::server::WORKER_STACK_BYTES)
        .enable_all()
        .build()
        .map_err(|error| emulator_failure(format!("failed to start the runtime: {error}")))?;
    runtime.block_on(serve_and_run(args, emulator))
}

async fn serve_and_run(args: &ExecArgs, emulator: Emulator) -> Result<u8, CliError> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|error| emulator_failure(format!("failed to listen on {}: {error}", args.bind)))?;
    let address = listener
        .local_addr()
        .map_err(|error| emulator_failure(format!("failed to read the bound address: {error}")))?;
    if let Some(path) = &args.port_file {
        write_port_file(path, address.port()).map_err(|error| emulator_failure(error.message))?;
    }

    let database = first_database(args, &emulator);
    let line = startup_line(&emulator, address, &emulator.database_names().join(", "));
    let state = app_state(emulator.clone(), &args.options);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, state, async move {
        let _ = stopped.await;
    }));

    let target = connect_address(address);
    let result = match wait_until_healthy(target).await {
        Ok(()) => {
            eprintln!("{line}");
            let environment = connection_environment(&emulator, target, &database);
            run_command(&args.command, environment, server).await
        }
        Err(error) => Err(error),
    };
    let _ = stop.send(());
    result
}

/// Returns the database named by the first `--profile`, or the first one
/// served.
fn first_database(args: &ExecArgs, emulator: &Emulator) -> String {
    let names = emulator.database_names();
    let Some(first) = args.options.profiles.first() else {
        return names.into_iter().next().unwrap_or_default();
    };
    if let Some(name) = &first.database {
        return name.clone();
    }
    // An unnamed profile serves under its own database name, which only
    // loading it again would tell; the built-in base serves `demo`.
    let own_name = if first.source == DEFAULT_PROFILE {
        Some("demo".to_owned())
    } else {
        crate::profile::Profile::load(&first.source)
            .ok()
            .map(|profile| profile.database)
    };
    own_name
        .filter(|name| names.contains(name))
        .or_else(|| names.into_iter().next())
        .unwrap_or_default()
}

/// Returns the address a client on this machine connects to: the bound
/// one, with the unspecified address replaced by loopback.
fn connect_address(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

fn connection_environment(
    emulator: &Emulator,
    address: SocketAddr,
    database: &str,
) -> Vec<(&'static str, String)> {
    let (username, password) = emulator
        .admin_credentials(database)
        .unwrap_or_else(|| ("admin".to_owned(), "admin".to_owned()));
    vec![
        ("ODOO_URL", format!("http://{address}")),
        ("ODOO_DB", database.to_owned()),
        ("ODOO_USERNAME", username),
        ("ODOO_PASSWORD", password),
    ]
}

/// Polls `GET /_emulator/health` until it returns 200.
async fn wait_until_healthy(address: SocketAddr) -> Result<(), CliError> {
    let deadline = Instant::now() + HEALTH_TIMEOUT;
    loop {
        let last_error = match health_status_line(address).await {
            Ok(line) if line.starts_with("HTTP/1.1 200") => return Ok(()),
            Ok(line) => format!("GET /_emulator/health returned {line:?}"),
            Err(error) => format!("GET /_emulator/health failed: {error}"),
        };
        if Instant::now() >= deadline {
            return Err(emulator_failure(format!(
                "the emulator at {address} did not become healthy within {}s: {last_error}",
                HEALTH_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(HEALTH_POLL_INTERVAL).await;
    }
}

async fn health_status_line(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let request =
        format!("GET /_emulator/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Starts the command and waits for it, passing SIGTERM on. Fails when
/// the command cannot start or the server stops while it runs.
async fn run_command(
    command: &[OsString],
    environment: Vec<(&'static str, String)>,
    server: JoinHandle<std::io::Result<()>>,
) -> Result<u8, CliError> {
    let (program, arguments) = command
        .split_first()
        .expect("clap requires at least the command");
    let mut child = Command::new(program)
        .args(arguments)
        .envs(environment)
        .spawn()
        .map_err(|error| {
            let code = match error.kind() {
                std::io::ErrorKind::NotFound => EXIT_COMMAND_NOT_FOUND,
                _ => EXIT_COMMAND_NOT_EXECUTABLE,
            };
            CliError {
                code,
                message: format!("failed to run {}: {error}", program.to_string_lossy()),
            }
        })?;
    let status = wait_for_child(&mut child, server).await?;
    Ok(exit_code_of(status))
}

#[cfg(unix)]
async fn wait_for_child(
    child: &mut Child,
    mut server: JoinHandle<std::io::Result<()>>,
) -> Result<ExitStatus, CliError> {
    use tokio::signal::unix::{signal, SignalKind};

    let listen = |kind| {
        signal(kind)
            .map_err(|error| emulator_failure(format!("failed to listen for signals: {error}")))
    };
    let mut terminate = listen(SignalKind::terminate())?;
    let mut interrupt = listen(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            status = child.wait() => {
                return status.map_err(|error| emulator_failure(format!("failed to wait for the command: {error}")));
            }
            _ = terminate.recv() => {
                tracing::info!("SIGTERM received, passing it on to the command");
                forward_sigterm(child);
            }
            _ = interrupt.recv() => {
                tracing::info!("SIGINT received, waiting for the command to exit");
            }
            ended = &mut server => {
                let _ = child.start_kill();
                let reason = match ended {
                    Ok(Ok(())) => "stopped".to_owned(),
                    Ok(Err(error)) => format!("failed: {error}"),
                    Err(error) => format!("failed: {error}"),
                };
                return Err(emulator_failure(format!("the emulator {reason} while the command ran")));
            }
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_child(
    child: &mut Child,
    _server: JoinHandle<std::io::Result<()>>,
) -> Result<ExitStatus, CliError> {
    child
        .wait()
        .await
        .map_err(|error| emulator_failure(format!("failed to wait for the command: {error}")))
}

#[cfg(unix)]
fn forward_sigterm(child: &Child) {
    let Some(pid) = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if let Err(error) = rustix::process::kill_process(pid, rustix::process::Signal::TERM) {
        tracing::warn!(%error, "failed to pass SIGTERM on to the command");
    }
}

/// Returns the shell's exit code for a status: the code, or 128 + the
/// signal that ended the process.
fn exit_code_of(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(EXIT_EMULATOR_FAILED);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(u8::MAX);
        }
    }
    EXIT_EMULATOR_FAILED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_bind_connects_to_loopback() {
        let bound: SocketAddr = "0.0.0.0:4000".parse().expect("an address");

        assert_eq!(connect_address(bound).to_string(), "127.0.0.1:4000");
    }

    #[test]
    fn specific_bind_kept() {
        let bound: SocketAddr = "127.0.0.2:4000".parse().expect("an address");

        assert_eq!(connect_address(bound), bound);
    }
}
