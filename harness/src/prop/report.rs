//! The terminal side of `prop`: a progress bar while histories run, the
//! minimal history of a failure as a numbered list, and its scenario file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::PropArgs;
use super::render::{scenario_text, Notes};
use super::search::{CaseRun, Found, Progress, Setup};
use super::transition::Transition;
use crate::cli::Exit;
use crate::exit_codes;
use crate::integration::Integration;
use crate::report::stdout::{out, outln};

/// Prints a `prop` run's progress and result.
#[derive(Debug)]
pub struct PropReporter {
    bar: ProgressBar,
    seed: u64,
    cases: usize,
    integration: Integration,
    out: PathBuf,
    /// The command line that repeats the search, for the failure report.
    rerun: String,
    started: Instant,
}

impl PropReporter {
    /// Creates a reporter; the bar shows only when stderr is a terminal
    /// and `--no-progress` is absent.
    pub fn new(setup: &Setup, args: &PropArgs) -> PropReporter {
        let target = if !args.no_progress && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(setup.cases as u64), target);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .expect("the progress template is valid");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        PropReporter {
            bar,
            seed: setup.target.seed,
            cases: setup.cases,
            integration: setup.integration.clone(),
            out: setup.out.clone(),
            rerun: rerun_command(setup, args),
            started: Instant::now(),
        }
    }

    /// Prints what the run is about to do.
    pub fn start(&self) {
        outln!(
            "prop: {} against {}, seed {}",
            crate::report::plural(self.cases, "history", "histories"),
            self.integration_label(),
            self.seed
        );
    }

    fn integration_label(&self) -> String {
        match &self.integration {
            Integration::Reference => "the reference engine (in-process)".into(),
            Integration::Command(command) => format!("`{command}`"),
        }
    }

    /// Prints the summary of a run in which every property held.
    pub fn held(&self, cases: usize) {
        self.bar.finish_and_clear();
        let seconds = self.started.elapsed().as_secs_f64();
        outln!(
            "all properties held in {} (seed {}, {}) in {seconds:.1} s, {:.1} cases/s",
            crate::report::plural(cases, "history", "histories"),
            self.seed,
            crate::report::plural(cases, "case", "cases"),
            cases as f64 / seconds.max(f64::EPSILON)
        );
    }

    /// Writes the shrunk history as a scenario file and checks that the
    /// scenario loader accepts it.
    ///
    /// # Errors
    ///
    /// Returns a harness error when the folder or file cannot be written,
    /// or when the file is not a valid scenario.
    pub fn write_failure(&self, found: &Found) -> Result<PathBuf, Exit> {
        let harness_error = |message: String| Exit::new(exit_codes::HARNESS_ERROR, message);
        std::fs::create_dir_all(&self.out).map_err(|e| {
            harness_error(format!(
                "{}: creating the folder failed: {e}",
                self.out.display()
            ))
        })?;
        let path = self
            .out
            .join(format!("seed-{}-case-{}.yaml", self.seed, found.case));
        let text = scenario_text(
            &found.minimal.target,
            &self.notes(found),
            &found.minimal.history,
        );
        std::fs::write(&path, text)
            .map_err(|e| harness_error(format!("{}: writing failed: {e}", path.display())))?;
        crate::scenario::load(&path).map_err(|invalid| {
            harness_error(format!("the written scenario is not valid: {invalid}"))
        })?;
        Ok(path)
    }

    fn notes(&self, found: &Found) -> Notes {
        let keyword = found.property.keyword();
        let mut comments = vec![
            format!("Found by `{}`:", self.rerun),
            format!(
                "case {} of {} broke {keyword}, shrunk from {} steps to {}.",
                found.case,
                self.cases,
                found.original_steps,
                found.minimal.history.len()
            ),
        ];
        comments.extend(numbered(&found.minimal.history));
        Notes {
            name: format!(
                "a generated history breaks {keyword} (seed {}, case {})",
                self.seed, found.case
            ),
            comments,
            reported: found.minimal.reported.clone(),
        }
    }

    /// Prints the minimal history, the failures and how to replay them.
    pub fn broken(&self, found: &Found, path: &Path) {
        self.bar.finish_and_clear();
        let keyword = found.property.keyword();
        outln!(
            "case {} of {} broke {keyword}; shrunk from {} steps to {} in {} runs:",
            found.case,
            self.cases,
            found.original_steps,
            found.minimal.history.len(),
            found.shrink_runs
        );
        for line in numbered(&found.minimal.history) {
            outln!("  {line}");
        }
        outln!("  then: faults cleared, settle pass, checks");
        outln!();
        out!("{}", failures_text(&found.minimal));
        outln!();
        outln!("scenario written to {}", path.display());
        let integration = match &self.integration {
            Integration::Reference => "--reference".to_owned(),
            Integration::Command(command) => format!("--integration {}", shell_quote(command)),
        };
        outln!(
            "replay it:  odoo-harness run {} {integration}",
            shell_quote(&path.display().to_string())
        );
        outln!("search again with seed {}:  {}", self.seed, self.rerun);
    }
}

impl Progress for PropReporter {
    fn case_finished(&self, case: usize, run: Option<&CaseRun>) {
        self.bar.inc(1);
        let Some(run) = run else {
            return;
        };
        if !run.broken.is_empty() {
            let broken: Vec<&str> = run.broken.iter().map(|p| p.keyword()).collect();
            self.bar.suspend(|| {
                outln!(
                    "case {case} broke {} in {} steps",
                    broken.join(", "),
                    run.history.len()
                );
            });
        }
    }

    fn shrinking(&self, steps: usize, runs: usize) {
        self.bar
            .set_message(format!("shrinking: {steps} steps, run {runs}"));
    }
}

/// Writes the history as `1. step` lines.
fn numbered(history: &[Transition]) -> Vec<String> {
    history
        .iter()
        .enumerate()
        .map(|(index, step)| format!("{:>2}. {step}", index + 1))
        .collect()
}

/// Writes each failed expectation with what was expected and found.
fn failures_text(run: &CaseRun) -> String {
    let mut text = String::new();
    for failure in &run.result.failures {
        text.push_str(&format!(
            "expectation `{}` did not hold\n  expected: {}\n",
            failure.expectation, failure.expected
        ));
        for found in &failure.found {
            text.push_str(&format!("  found:    {found}\n"));
        }
        if !failure.journal.is_empty() {
            text.push_str("  journal:\n");
        }
        for entry in failure.journal.iter().take(10) {
            text.push_str(&format!("    {entry}\n"));
        }
    }
    text
}

fn rerun_command(setup: &Setup, args: &PropArgs) -> String {
    let mut command = format!(
        "odoo-harness prop --seed {} --cases {} --max-steps {}",
        setup.target.seed, setup.cases, setup.max_steps
    );
    match &setup.integration {
        Integration::Reference => command.push_str(" --reference"),
        Integration::Command(cmd) => {
            command.push_str(&format!(" --integration {}", shell_quote(cmd)));
        }
    }
    if args.profile != "odoo-17" {
        command.push_str(&format!(" --profile {}", shell_quote(&args.profile)));
    }
    if args.spec != "odoo-17" {
        command.push_str(&format!(" --spec {}", shell_quote(&args.spec)));
    }
    if let Some(login) = &args.login {
        command.push_str(&format!(" --login {}", shell_quote(login)));
        // The secret stays out of the output; the user fills it in again.
        if args.password.is_some() {
            command.push_str(" --password PASSWORD");
        }
        if args.api_key.is_some() {
            command.push_str(" --api-key KEY");
        }
    }
    if let Some(protocol) = &args.protocol {
        command.push_str(&format!(" --protocol {protocol}"));
    }
    if args.out != std::path::Path::new("prop-failures") {
        command.push_str(&format!(
            " --out {}",
            shell_quote(&args.out.display().to_string())
        ));
    }
    if !args.properties.is_empty() {
        let names: Vec<&str> = setup
            .target
            .properties
            .iter()
            .map(|p| p.keyword())
            .collect();
        command.push_str(&format!(" --properties {}", names.join(",")));
    }
    command
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
