//! Reporters: the terminal's progress and summary table, and the JUnit
//! and JSON files. Each one reads the same [`ScenarioResult`]s.
//!
//! [`ScenarioResult`]: crate::outcome::ScenarioResult

pub mod json;
pub mod junit;
pub mod stdout;
pub mod terminal;
