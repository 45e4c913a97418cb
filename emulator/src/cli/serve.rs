//! `odoo-emulator serve`: build the emulator, bind, print the startup
//! line, serve until a signal.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::faults::FaultRule;
use crate::profile::Profile;
use crate::server::{self, AppState, DEFAULT_MAX_BODY_BYTES};
use crate::service::Emulator;

use super::{CliError, EmulatorOptions, ProfileArg, ServeArgs, DEFAULT_PROFILE};

/// Runs `serve` until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// Returns a usage error for profiles that cannot be served and a failure
/// when the address cannot be bound or the port file written.
pub fn run_serve(args: &ServeArgs) -> Result<(), CliError> {
    let (emulator, database) = prepare_emulator(&args.options)?;
    tracing::info!(bind = %args.bind, seed = args.options.seed, database, "starting");
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

pub(crate) async fn serve_until_signal(
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

    let state = app_state(emulator, &args.options);
    server::serve(listener, state, shutdown)
        .await
        .map_err(|error| CliError::failure(format!("serving on {address} failed: {error}")))
}

/// Returns the one line printed at startup.
pub fn startup_line(emulator: &Emulator, address: SocketAddr, database: &str) -> String {
    let noun = if database.contains(", ") {
        "databases"
    } else {
        "database"
    };
    format!(
        "odoo-emulator serving Odoo {} at http://{address} ({noun} {database}, login admin, \
         password admin)",
        emulator.version().server_version()
    )
}

/// Builds the emulator for the options and installs the `--faults` rules.
pub(crate) fn prepare_emulator(options: &EmulatorOptions) -> Result<(Emulator, String), CliError> {
    let (emulator, database) = build_emulator(&options.profiles, options.seed)?;
    if let Some(path) = &options.faults {
        load_faults(&emulator, path)?;
    }
    Ok((emulator, database))
}

/// Returns the server state for an emulator, with the control token.
pub(crate) fn app_state(emulator: Emulator, options: &EmulatorOptions) -> AppState {
    let token = options.control_token.as_ref().map(|token| token.0.clone());
    AppState::new(emulator, DEFAULT_MAX_BODY_BYTES).with_control_token(token)
}

/// Reads a YAML list of fault rules and installs them in order.
pub(crate) fn load_faults(emulator: &Emulator, path: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::usage(format!(
            "failed to read the fault rules {}: {error}",
            path.display()
        ))
    })?;
    let rules: Vec<FaultRule> = serde_saphyr::from_str(&text).map_err(|error| {
        let name = path.display().to_string();
        let rendered = error.render_with_options(serde_saphyr::render_options! {
            source_name: Some(&name),
        });
        CliError::usage(format!("invalid fault rules in {name}: {rendered}"))
    })?;
    for (index, rule) in rules.into_iter().enumerate() {
        let rule = emulator.add_fault(rule).map_err(|error| {
            CliError::usage(format!(
                "invalid fault rule {} in {}: {error}",
                index + 1,
                path.display()
            ))
        })?;
        tracing::info!(
            rule_id = rule.id,
            effect = rule.effect.name(),
            "fault rule loaded"
        );
    }
    Ok(())
}

/// Builds the emulator for the `--profile` values, one database each, and
/// returns it with the served database names for the startup line.
pub(crate) fn build_emulator(
    profiles: &[ProfileArg],
    seed: u64,
) -> Result<(Emulator, String), CliError> {
    let default = [ProfileArg {
        database: None,
        source: DEFAULT_PROFILE.to_owned(),
    }];
    let profiles = if profiles.is_empty() {
        &default[..]
    } else {
        profiles
    };
    let mut loaded = Vec::with_capacity(profiles.len());
    for profile in profiles {
        let resolved = Profile::load(&profile.source)
            .map_err(|error| CliError::usage(format!("invalid profile: {error}")))?;
        loaded.push((profile.database.clone(), resolved));
    }
    let emulator = Emulator::from_profiles(loaded)
        .map_err(|error| CliError::usage(error.to_string()))?
        .with_seed(seed);
    let first = emulator.database_names().join(", ");
    Ok((emulator, first))
}

/// Writes the port through a temporary file and a rename, so a script that
/// polls the file never reads it half-written.
pub(crate) fn write_port_file(path: &Path, port: u16) -> Result<(), CliError> {
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
