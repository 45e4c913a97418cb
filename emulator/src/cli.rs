//! The `odoo-emulator` command line: `serve`, `exec`, `profile check` and
//! `profile import`.
//!
//! Every option has an `ODOO_EMULATOR_*` environment variable with the same
//! meaning, and `RUST_LOG` selects log detail (default `warn`, so a normal
//! start prints only the startup line). Logs go to standard error; the
//! startup line goes to standard output.
//!
//! Exit codes: [`EXIT_SUCCESS`] after a clean stop (Ctrl-C or SIGTERM),
//! [`EXIT_FAILURE`] when serving fails (address in use, port file not
//! writable), [`EXIT_USAGE`] for invalid arguments, as clap uses. `exec`
//! exits with its command's code, or with the codes of [`exec`] when the
//! emulator or the command could not run.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};

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
    /// Start the emulator on a free port, run a command against it with
    /// ODOO_URL, ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD set, stop the
    /// emulator and exit with the command's exit code.
    #[command(after_help = exec::EXIT_CODES_HELP)]
    Exec(ExecArgs),
    /// Work with profile files.
    #[command(subcommand)]
    Profile(ProfileCommand),
}

/// `odoo-emulator profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Validate profiles without serving them: each is loaded with every
    /// profile it extends, and each error names the file, line and column.
    /// Exits 0 when all are valid, 2 otherwise.
    Check {
        /// Profile files or built-in names (odoo-17).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
    /// Read a live Odoo database over XML-RPC and write a profile that
    /// extends the matching built-in base and lists only the differences:
    /// models, fields, groups, access rows and record rules.
    #[command(after_help = IMPORT_EXIT_CODES_HELP)]
    Import(ImportArgs),
}

/// Options of `odoo-emulator serve`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (IP:PORT, or localhost:PORT for
    /// 127.0.0.1); port 0 picks a free port.
    #[arg(
        long,
        value_name = "ADDR",
        env = "ODOO_EMULATOR_BIND",
        default_value = "127.0.0.1:8069",
        value_parser = parse_bind
    )]
    pub bind: SocketAddr,

    /// File to write the listening port to (digits and a newline) once the
    /// server accepts connections, for scripts that bind port 0.
    #[arg(long, value_name = "PATH", env = "ODOO_EMULATOR_PORT_FILE")]
    pub port_file: Option<PathBuf>,

    #[command(flatten)]
    pub options: EmulatorOptions,
}

/// Options of `odoo-emulator exec`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ExecArgs {
    /// Address and port to listen on (IP:PORT, or localhost:PORT for
    /// 127.0.0.1); the default port 0 picks a free port.
    #[arg(
        long,
        value_name = "ADDR",
        env = "ODOO_EMULATOR_BIND",
        default_value = "127.0.0.1:0",
        value_parser = parse_bind
    )]
    pub bind: SocketAddr,

    /// File to write the listening port to once the server accepts
    /// connections.
    #[arg(long, value_name = "PATH", env = "ODOO_EMULATOR_PORT_FILE")]
    pub port_file: Option<PathBuf>,

    #[command(flatten)]
    pub options: EmulatorOptions,

    /// The command to run and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// The options that `serve` and `exec` share: what to serve and how.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct EmulatorOptions {
    /// Seed for every random choice the emulator makes, so that the same
    /// seed and the same calls give the same results.
    #[arg(
        long,
        value_name = "N",
        env = "ODOO_EMULATOR_SEED",
        default_value_t = 0
    )]
    pub seed: u64,

    /// Profile to serve: a built-in name (odoo-17) or a file path, given as
    /// DB=PROFILE to name its database. Repeat the option for several
    /// databases, one per customer. The environment variable takes a
    /// comma-separated list. [default: odoo-17]
    #[arg(
        long = "profile",
        value_name = "[DB=]PROFILE",
        env = "ODOO_EMULATOR_PROFILE",
        value_delimiter = ',',
        value_parser = parse_profile
    )]
    pub profiles: Vec<ProfileArg>,

    /// YAML file with a list of fault rules to install at start, in the
    /// format that POST /_emulator/faults takes.
    #[arg(long, value_name = "FILE", env = "ODOO_EMULATOR_FAULTS")]
    pub faults: Option<PathBuf>,

    /// Bearer token that every /_emulator/ route except health requires.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ODOO_EMULATOR_CONTROL_TOKEN",
        hide_env_values = true
    )]
    pub control_token: Option<ControlToken>,
}

/// The control API's bearer token. Its `Debug` output hides the value, so
/// logging the options never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlToken(pub String);

impl fmt::Debug for ControlToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ControlToken(<hidden>)")
    }
}

impl FromStr for ControlToken {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the control token must be non-empty, without spaces".to_owned());
        }
        Ok(ControlToken(text.to_owned()))
    }
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

/// Parses the command line, runs it and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            if !error.use_stderr() {
                return ExitCode::from(EXIT_SUCCESS);
            }
            // `exec` keeps its command's exit codes apart from its own.
            let is_exec = std::env::args_os().nth(1).is_some_and(|arg| arg == "exec");
            return ExitCode::from(if is_exec {
                exec::EXIT_EMULATOR_FAILED
            } else {
                EXIT_USAGE
            });
        }
    };
    init_logging();
    match cli.command {
        Command::Serve(args) => exit_code(run_serve(&args)),
        Command::Exec(args) => ExitCode::from(exec::run_exec(&args)),
        Command::Profile(ProfileCommand::Check { paths }) => exit_code(check_profiles(&paths)),
        Command::Profile(ProfileCommand::Import(args)) => exit_code(run_import(&args)),
    }
}

/// Loads each profile and prints `ok` with its database and version, or
/// the error; fails when any profile is invalid.
fn check_profiles(paths: &[String]) -> Result<(), CliError> {
    let mut invalid = 0;
    for path in paths {
        match crate::profile::Profile::load(path) {
            Ok(profile) => println!(
                "{path}: ok (database {}, Odoo {}, {} models)",
                profile.database,
                profile.version,
                profile.schema.models.len()
            ),
            Err(error) => {
                println!("{error}");
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        return Err(CliError::usage(format!(
            "{invalid} of {} profiles are invalid",
            paths.len()
        )));
    }
    Ok(())
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
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn failure(message: impl Into<String>) -> Self {
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
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

pub mod exec;
mod import;
mod serve;

pub use import::{run_import, ImportArgs, IMPORT_EXIT_CODES_HELP};
pub use serve::{run_serve, startup_line};

#[cfg(test)]
mod tests;

/// Parses `--bind`: an IP address and port, or `localhost:PORT`, which
/// binds 127.0.0.1 rather than whatever the resolver returns first.
fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    if let Some(port) = text.strip_prefix("localhost:") {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("invalid port {port:?}: expected a number from 0 to 65535"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        format!(
            "invalid address {text:?}: expected IP:PORT such as 127.0.0.1:8069 or \
             [::1]:8069, or localhost:PORT"
        )
    })
}
