//! The `odoo-emulator` command line: `odoo-emulator serve`.
//!
//! Every option has an `ODOO_EMULATOR_*` environment variable with the same
//! meaning, and `RUST_LOG` selects log detail (default `warn`, so a normal
//! start prints only the startup line). Logs go to standard error; the
//! startup line goes to standard output.
//!
//! Exit codes: [`EXIT_SUCCESS`] after a clean stop (Ctrl-C or SIGTERM),
//! [`EXIT_FAILURE`] when serving fails (address in use, port file not
//! writable), [`EXIT_USAGE`] for invalid arguments, as clap uses.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::server::{self, AppState, DEFAULT_MAX_BODY_BYTES};
use crate::service::Emulator;

/// The process ended normally.
pub const EXIT_SUCCESS: u8 = 0;
/// Serving failed: the address could not be bound or the port file written.
pub const EXIT_FAILURE: u8 = 1;
/// The arguments or environment variables are invalid.
pub const EXIT_USAGE: u8 = 2;

/// The built-in profile served when no `--profile` is given.
pub const DEFAULT_PROFILE: &str = "odoo-17";

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  stopped cleanly (Ctrl-C or SIGTERM)
  1  serving failed (address in use, port file not writable)
  2  invalid arguments or environment variables

Log detail is set with RUST_LOG (default: warn), for example RUST_LOG=debug.";

/// An Odoo server emulator: Odoo's external APIs (XML-RPC, JSON-RPC, web
/// sessions) over an in-memory ORM, for tests and local development.
#[derive(Debug, Parser)]
#[command(name = "odoo-emulator", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Odoo's external API until stopped with Ctrl-C or SIGTERM.
    #[command(after_help = EXIT_CODES_HELP)]
    Serve(ServeArgs),
}

/// Options of `odoo-emulator serve`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; port 0 picks a free port.
    #[arg(
        long,
        value_name = "ADDR",
        env = "ODOO_EMULATOR_BIND",
        default_value = "127.0.0.1:8069"
    )]
    pub bind: SocketAddr,

    /// File to write the listening port to (digits and a newline) once the
    /// server accepts connections, for scripts that bind port 0.
    #[arg(long, value_name = "PATH", env = "ODOO_EMULATOR_PORT_FILE")]
    pub port_file: Option<PathBuf>,

    /// Seed for every random choice the emulator makes, so that the same
    /// seed and the same calls give the same results.
    #[arg(
        long,
        value_name = "N",
        env = "ODOO_EMULATOR_SEED",
        default_value_t = 0
    )]
    pub seed: u64,

    /// Profile to serve, as a built-in name (odoo-17) or a file path,
    /// optionally as DB=PROFILE to name its database. Repeatable; the
    /// environment variable takes a comma-separated list. [default: odoo-17]
    #[arg(
        long = "profile",
        value_name = "[DB=]PROFILE",
        env = "ODOO_EMULATOR_PROFILE",
        value_delimiter = ',',
        value_parser = parse_profile
    )]
    pub profiles: Vec<ProfileArg>,
}

/// One `--profile` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileArg {
    /// The database name given as `DB=`, if any.
    pub database: Option<String>,
    /// A built-in base name or a path to a profile file.
    pub source: String,
}

fn parse_profile(text: &str) -> Result<ProfileArg, String> {
    let (database, source) = match text.split_once('=') {
        Some((database, source)) => (Some(database.trim().to_owned()), source.trim()),
        None => (None, text.trim()),
    };
    if database.as_deref() == Some("") {
        return Err(format!("missing database name before '=' in {text:?}"));
    }
    if source.is_empty() {
        return Err(format!(
            "missing profile in {text:?}: expected a built-in name or a path"
        ));
    }
    Ok(ProfileArg {
        database,
        source: source.to_owned(),
    })
}

/// Tells whether a profile source names a built-in base such as `odoo-17`
/// rather than a file.
fn is_builtin_name(source: &str) -> bool {
    source.starts_with("odoo-") && !source.contains(['/', '\\', '.'])
}

/// Parses the command line, runs it and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_SUCCESS
            });
        }
    };
    init_logging();
    match cli.command {
        Command::Serve(args) => exit_code(run_serve(&args)),
    }
}

fn exit_code(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(EXIT_SUCCESS),
        Err(error) => {
            eprintln!("odoo-emulator: {}", error.message);
            ExitCode::from(error.code)
        }
    }
}

/// A failure with its message and exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    fn failure(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs `serve` until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// Returns a usage error for profiles that cannot be served and a failure
/// when the address cannot be bound or the port file written.
pub fn run_serve(args: &ServeArgs) -> Result<(), CliError> {
    let (emulator, database) = build_emulator(&args.profiles)?;
    tracing::info!(bind = %args.bind, seed = args.seed, database, "starting");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::failure(format!("failed to start the runtime: {error}")))?;
    runtime.block_on(serve_until_signal(
        args,
        emulator,
        &database,
        shutdown_signal(),
    ))
}

async fn serve_until_signal(
    args: &ServeArgs,
    emulator: Emulator,
    database: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|error| {
            CliError::failure(format!("failed to listen on {}: {error}", args.bind))
        })?;
    let address = listener
        .local_addr()
        .map_err(|error| CliError::failure(format!("failed to read the bound address: {error}")))?;
    if let Some(path) = &args.port_file {
        write_port_file(path, address.port())?;
    }
    println!("{}", startup_line(&emulator, address, database));

    let state = AppState::new(emulator, DEFAULT_MAX_BODY_BYTES);
    server::serve(listener, state, shutdown)
        .await
        .map_err(|error| CliError::failure(format!("serving on {address} failed: {error}")))
}

/// Returns the one line printed at startup.
pub fn startup_line(emulator: &Emulator, address: SocketAddr, database: &str) -> String {
    format!(
        "odoo-emulator serving Odoo {} at http://{address} (database {database}, login admin, \
         password admin)",
        emulator.version().server_version()
    )
}

/// Builds the emulator for the `--profile` values.
///
/// NOTE: profile files and several databases per process are not loaded
/// yet, so only one built-in profile under its own database name is
/// accepted.
fn build_emulator(profiles: &[ProfileArg]) -> Result<(Emulator, String), CliError> {
    let default = ProfileArg {
        database: None,
        source: DEFAULT_PROFILE.to_owned(),
    };
    let profile = match profiles {
        [] => &default,
        [only] => only,
        _ => return Err(CliError::usage(
            "serving several profiles from one process is not supported yet: give one --profile",
        )),
    };
    if !is_builtin_name(&profile.source) {
        return Err(CliError::usage(format!(
            "loading profile files ({}) is not supported yet: use a built-in profile such as {DEFAULT_PROFILE}",
            profile.source
        )));
    }
    let emulator = Emulator::from_builtin(&profile.source)
        .map_err(|error| CliError::usage(format!("invalid profile {}: {error}", profile.source)))?;
    let served = emulator
        .database_names()
        .into_iter()
        .next()
        .unwrap_or_default();
    match &profile.database {
        Some(name) if *name != served => Err(CliError::usage(format!(
            "renaming the database of a built-in profile is not supported yet: {} serves {served}, not {name}",
            profile.source
        ))),
        _ => Ok((emulator, served)),
    }
}

/// Writes the port through a temporary file and a rename, so a script that
/// polls the file never reads it half-written.
fn write_port_file(path: &Path, port: u16) -> Result<(), CliError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, format!("{port}\n"))
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| {
            CliError::failure(format!(
                "failed to write the port file {}: {error}",
                path.display()
            ))
        })
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C received, stopping"),
        () = terminate => tracing::info!("SIGTERM received, stopping"),
    }
}

#[cfg(test)]
mod tests;
