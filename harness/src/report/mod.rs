//! Reporters: the terminal's progress and summary table, and the JUnit
//! and JSON files. Each one reads the same [`ScenarioResult`]s.
//!
//! [`ScenarioResult`]: crate::outcome::ScenarioResult

pub mod json;
pub mod junit;
pub mod stdout;
pub mod terminal;

/// Writes a count with the singular or plural noun, such as "1 scenario".
pub fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("{count} {singular}")
    } else {
        format!("{count} {plural}")
    }
}
