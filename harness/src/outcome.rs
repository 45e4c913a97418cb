//! The results of a run: one per scenario, which every reporter (terminal,
//! JUnit, JSON) reads.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::check::Failure;
use crate::integration::PassOutcome;
use crate::saas::Report;

/// The final status of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every expectation held.
    Passed,
    /// At least one expectation did not hold.
    Failed,
    /// The harness could not run the scenario to the end.
    Error,
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub path: PathBuf,
    pub status: Status,
    /// The seed the emulator ran with; `--seed` with it replays the run.
    pub seed: u64,
    pub duration_ms: u128,
    pub passes: Vec<PassOutcome>,
    /// The changes the integration reported it could not apply.
    pub reports: Vec<Report>,
    pub failures: Vec<Failure>,
    /// The harness error, for [`Status::Error`].
    pub error: Option<String>,
}

impl ScenarioResult {
    pub fn duration(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.duration_ms).unwrap_or(u64::MAX))
    }

    /// Writes the failure details as the terminal and JUnit show them:
    /// each failure with what was expected, what was found and the
    /// journal excerpt, then the output of each pass that did not finish
    /// cleanly or printed to stderr.
    pub fn details(&self) -> String {
        let mut text = String::new();
        if let Some(error) = &self.error {
            text.push_str(&format!("harness error: {error}\n"));
        }
        // A mistyped command fails every expectation; saying so first
        // keeps the reader from looking for a sync bug.
        if let Some(first) = self.passes.first() {
            if self.passes.iter().all(|pass| pass.status.never_ran()) {
                text.push_str(&format!(
                    "the integration never ran: every pass {}; check the --integration command\n",
                    first.status.describe()
                ));
            }
        }
        for failure in &self.failures {
            text.push_str(&format!(
                "expectation `{}` (line {}) did not hold\n  expected: {}\n",
                failure.expectation, failure.line, failure.expected
            ));
            for (index, found) in failure.found.iter().enumerate() {
                let label = if index == 0 {
                    "  found:   "
                } else {
                    "           "
                };
                text.push_str(&format!("{label}{found}\n"));
            }
            if !failure.journal.is_empty() {
                text.push_str("  journal:\n");
                for line in &failure.journal {
                    text.push_str(&format!("    {line}\n"));
                }
            }
        }
        for pass in &self.passes {
            text.push_str(&pass_summary(pass));
        }
        text
    }
}

fn pass_summary(pass: &PassOutcome) -> String {
    let mut text = format!(
        "{} {} in {:.1} s\n",
        pass.label,
        pass.status.describe(),
        pass.duration_ms as f64 / 1000.0
    );
    for (name, output) in [("stdout", &pass.stdout), ("stderr", &pass.stderr)] {
        if output.trim().is_empty() {
            continue;
        }
        text.push_str(&format!("  --- {name} ---\n"));
        for line in output.trim_end().lines() {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text
}

/// The counts a run ends with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

impl Totals {
    pub fn of(results: &[ScenarioResult]) -> Totals {
        let count = |status| results.iter().filter(|r| r.status == status).count();
        Totals {
            passed: count(Status::Passed),
            failed: count(Status::Failed),
            errors: count(Status::Error),
        }
    }
}
