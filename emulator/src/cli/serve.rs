//! `odoo-emulator serve`: build the emulator, bind, print the startup
//! line, serve until a signal.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::server::{self, AppState, DEFAULT_MAX_BODY_BYTES};
use crate::service::Emulator;

use super::{is_builtin_name, CliError, ProfileArg, ServeArgs, DEFAULT_PROFILE};

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
        .thread_stack_size(crate::server::WORKER_STACK_BYTES)
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
pub(crate) fn build_emulator(profiles: &[ProfileArg]) -> Result<(Emulator, String), CliError> {
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
