//! Helpers shared by the harness's end-to-end tests: running the binary
//! from the repository root and showing its output when a check fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is inside the workspace")
        .to_path_buf()
}

/// Returns the interpreter for the Python integrations: the one that
/// `scripts/test` installs, or `python3`.
pub fn python() -> String {
    std::env::var("ODOO_E2E_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `odoo-harness` with `args` from the repository root.
pub fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_odoo-harness"))
        .args(args)
        .current_dir(repository())
        .output()
        .expect("the harness binary runs")
}

/// Writes the exit code and both streams, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Returns the command that runs a Python integration under `harness/`.
pub fn integration(script: &str) -> String {
    let path = repository().join("harness").join(script);
    format!("{} {}", python(), path.display())
}
