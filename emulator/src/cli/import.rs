//! `odoo-emulator profile import`: the options, and writing the profile
//! to a file or standard output.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::profile::import::{import_profile, ImportError, ImportedProfile, Password};

use super::{CliError, EXIT_FAILURE, EXIT_USAGE};

/// Options of `odoo-emulator profile import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Base URL of the Odoo server, such as http://127.0.0.1:8069.
    #[arg(long, value_name = "URL", env = "ODOO_EMULATOR_IMPORT_URL")]
    pub url: String,

    /// Database to import.
    #[arg(long, value_name = "DB", env = "ODOO_EMULATOR_IMPORT_DB")]
    pub db: String,

    /// Login to read the database as. Use an administrator: the import
    /// reads only the fields, access rows and rules this user may read.
    #[arg(long, value_name = "LOGIN", env = "ODOO_EMULATOR_IMPORT_USERNAME")]
    pub username: String,

    /// Password or API key of the login. Prefer the environment variable,
    /// which keeps the secret out of the process list.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "ODOO_EMULATOR_IMPORT_PASSWORD",
        hide_env_values = true,
        value_parser = parse_password
    )]
    pub password: Password,

    /// Models to compare, comma-separated. [default: the base's models and
    /// the server's custom models]
    #[arg(
        long,
        value_name = "M,...",
        env = "ODOO_EMULATOR_IMPORT_MODELS",
        value_delimiter = ','
    )]
    pub models: Vec<String>,

    /// File to write the profile to; standard output when absent or `-`.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        env = "ODOO_EMULATOR_IMPORT_OUTPUT"
    )]
    pub output: Option<PathBuf>,
}

/// Help text listing the exit codes of `profile import`.
pub const IMPORT_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the profile was written and passes `profile check`
  1  the import failed (unreachable server, not Odoo, wrong password, a
     failed call), or the profile was written but fails `profile check`
  2  invalid arguments: a malformed URL or a model the server does not have";

fn parse_password(text: &str) -> Result<Password, String> {
    if text.is_empty() {
        return Err("the password is empty".to_owned());
    }
    Ok(Password::new(text))
}

/// Runs the import and writes the profile.
///
/// # Errors
///
/// Returns a usage error for an invalid URL or unknown model, and a
/// failure for everything else, including a written profile that does not
/// pass `profile check`.
pub fn run_import(args: &ImportArgs) -> Result<(), CliError> {
    let models: Vec<String> = args
        .models
        .iter()
        .map(|model| model.trim().to_owned())
        .filter(|model| !model.is_empty())
        .collect();
    let imported = import_profile(
        &args.url,
        &args.db,
        &args.username,
        args.password.clone(),
        &models,
    )
    .map_err(import_failure)?;
    let destination = args
        .output
        .as_deref()
        .filter(|path| *path != Path::new("-"));
    write_profile(destination, &imported)?;
    if let Some(error) = &imported.check_error {
        return Err(CliError::failure(format!(
            "the imported profile was written, but `profile check` rejects it: {error}"
        )));
    }
    Ok(())
}

fn import_failure(error: ImportError) -> CliError {
    let code = match error {
        ImportError::InvalidUrl { .. } | ImportError::UnknownModel { .. } => EXIT_USAGE,
        _ => EXIT_FAILURE,
    };
    CliError {
        code,
        message: format!("profile import failed: {error}"),
    }
}

fn write_profile(destination: Option<&Path>, imported: &ImportedProfile) -> Result<(), CliError> {
    let Some(path) = destination else {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(imported.yaml.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|error| {
                CliError::failure(format!("failed to write to standard output: {error}"))
            });
    };
    std::fs::write(path, &imported.yaml).map_err(|error| {
        CliError::failure(format!(
            "failed to write the profile to {}: {error}",
            path.display()
        ))
    })?;
    let summary = imported.summary;
    eprintln!(
        "odoo-emulator: wrote {} (extends {}): {} models with {} fields, {} groups, \
         {} access rows, {} rules, {} records; {} notes",
        path.display(),
        imported.base,
        summary.models,
        summary.fields,
        summary.groups,
        summary.access,
        summary.rules,
        summary.records,
        imported.notes.len()
    );
    Ok(())
}
