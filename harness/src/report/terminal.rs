//! The terminal reporter: a progress bar while scenarios run (on a
//! terminal only), a line per finished scenario with the details of each
//! failure, and a summary table at the end.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::outcome::{ScenarioResult, Status, Totals};
use crate::report::stdout::out;
use crate::runner::Observer;
use crate::scenario::Scenario;

/// Prints progress and results to stdout, with the bar on stderr.
#[derive(Debug)]
pub struct TerminalReporter {
    bar: ProgressBar,
}

impl TerminalReporter {
    /// Creates a reporter for `total` scenarios. The bar shows only when
    /// stderr is a terminal and `progress` is true.
    pub fn new(total: usize, progress: bool) -> Self {
        let target = if progress && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .expect("the progress template is valid");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        TerminalReporter { bar }
    }

    fn print(&self, text: &str) {
        self.bar.suspend(|| out!("{text}"));
    }

    /// Ends the bar and prints the summary table.
    pub fn summary(&self, results: &[ScenarioResult]) {
        self.bar.finish_and_clear();
        out!("{}", summary_table(results));
    }
}

impl Observer for TerminalReporter {
    fn started(&self, scenario: &Scenario) {
        self.bar.set_message(scenario.name.clone());
    }

    fn finished(&self, result: &ScenarioResult) {
        self.bar.inc(1);
        let mut text = format!(
            "{:>5} [{:>6.1}s] {}\n",
            label(result.status),
            result.duration().as_secs_f64(),
            result.name
        );
        if result.status != Status::Passed {
            text.push_str(&format!("      {}\n", result.path.display()));
            for line in result.details().lines() {
                text.push_str(&format!("      {line}\n"));
            }
        }
        self.print(&text);
    }
}

fn label(status: Status) -> &'static str {
    match status {
        Status::Passed => "PASS",
        Status::Failed => "FAIL",
        Status::Error => "ERROR",
    }
}

/// Writes the summary table: one row per scenario, then the totals.
pub fn summary_table(results: &[ScenarioResult]) -> String {
    let width = results
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 72);
    let mut text = format!(
        "\n{:<6} {:>8} {:>6}  {:<width$}  {}\n",
        "status", "time", "passes", "scenario", "failed expectations"
    );
    for result in results {
        let failed: Vec<String> = result
            .failures
            .iter()
            .map(|f| format!("{} (line {})", f.expectation, f.line))
            .collect();
        let failed = match &result.error {
            Some(_) => "harness error".to_owned(),
            None => failed.join(", "),
        };
        let name: String = result.name.chars().take(width).collect();
        text.push_str(&format!(
            "{:<6} {:>7.1}s {:>6}  {:<width$}  {}\n",
            label(result.status),
            result.duration().as_secs_f64(),
            result.passes.len(),
            name,
            failed
        ));
    }
    let totals = Totals::of(results);
    text.push_str(&format!(
        "\n{} passed, {} failed, {}, of {}\n",
        totals.passed,
        totals.failed,
        super::plural(totals.errors, "error", "errors"),
        super::plural(results.len(), "scenario", "scenarios")
    ));
    text
}
