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
            status.set_message(xml_text(&summary(result)));
            status.set_description(xml_text(&result.details()));
            status
        }
    };
    let mut case = TestCase::new(xml_text(&result.name), status);
    case.set_classname(xml_text(&result.path.display().to_string()));
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

/// Returns `text` with each character that XML 1.0 does not allow in a
/// document replaced by U+FFFD. An integration's output and a scenario's
/// name can contain any character, and quick-junit writes U+FFFE and
/// U+FFFF as they are, which makes a parser reject the report.
fn xml_text(text: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    text.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters XML 1.0 forbids become U+FFFD. Tabs, line ends and
    /// every other character stay.
    #[test]
    fn forbidden_characters_replaced() {
        assert_eq!(
            xml_text("a\u{1}b\u{FFFE}c\u{FFFF}d"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d"
        );
        let allowed = "tab\tline\nend\r é \u{FFFD} \u{1F600}";
        assert_eq!(xml_text(allowed), allowed);
    }
}
