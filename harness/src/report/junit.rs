//! The `--junit` report: one test suite, one test case per scenario. A
//! failed expectation is a `failure` and a harness error an `error`. The
//! message names the expectations that did not hold, and the description
//! contains the full details that the terminal prints.

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::outcome::{ScenarioResult, Status};

/// Builds the report.
pub fn build(results: &[ScenarioResult]) -> Report {
    let mut suite = TestSuite::new("odoo-harness");
    for result in results {
        suite.add_test_case(test_case(result));
    }
    let mut report = Report::new("odoo-harness");
    report.add_test_suite(suite);
    report
}

fn test_case(result: &ScenarioResult) -> TestCase {
    let status = match result.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Failed | Status::Error => {
            let kind = if result.status == Status::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(summary(result));
            status.set_description(result.details());
            status
        }
    };
    let mut case = TestCase::new(result.name.clone(), status);
    case.set_classname(result.path.display().to_string());
    case.set_time(result.duration());
    case
}

fn summary(result: &ScenarioResult) -> String {
    if let Some(error) = &result.error {
        return format!("harness error: {error}");
    }
    let failed: Vec<&str> = result
        .failures
        .iter()
        .map(|f| f.expectation.as_str())
        .collect();
    format!("expectations that did not hold: {}", failed.join(", "))
}

/// Writes the report.
///
/// # Errors
///
/// Returns the error of serializing or writing the file.
pub fn write(path: &Path, results: &[ScenarioResult]) -> std::io::Result<()> {
    let text = build(results).to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}
