//! The `--json` report: every scenario's result, with its failures and the
//! output of each pass, for tools that post-process a run.

use std::path::Path;

use serde::Serialize;

use crate::outcome::{ScenarioResult, Totals};

/// The document written to the `--json` path.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// The integration command, or `reference`.
    pub integration: &'a str,
    pub totals: Totals,
    pub scenarios: &'a [ScenarioResult],
}

/// Writes the report, pretty-printed.
///
/// # Errors
///
/// Returns the error of writing the file.
pub fn write(path: &Path, integration: &str, results: &[ScenarioResult]) -> std::io::Result<()> {
    let report = JsonReport {
        integration,
        totals: Totals::of(results),
        scenarios: results,
    };
    let text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}
