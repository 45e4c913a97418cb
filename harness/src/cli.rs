//! The command line: `odoo-harness run`, `odoo-harness check` and
//! `odoo-harness prop`.
//!
//! [`main`] parses the arguments, runs the command and maps its outcome to
//! one of the [`exit_codes`](crate::exit_codes). Nothing else in the crate
//! exits the process.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::exit_codes;
use crate::integration::Integration;
use crate::outcome::{Status, Totals};
use crate::report::stdout::outln;
use crate::report::terminal::TerminalReporter;
use crate::runner::{self, RunOptions};
use crate::scenario::discover::{self, Partition};
use crate::scenario::{self, Scenario};

/// Contract tests for Odoo integrations: scripted scenarios against an
/// emulated customer Odoo and a fake SaaS.
///
/// Without a command, `odoo-harness` runs every scenario under
/// `scenarios/` against the reference engine, as `odoo-harness run
/// --reference` does.
#[derive(Debug, Parser)]
#[command(name = "odoo-harness", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The exit codes as `run --help` lists them; they must match
/// [`exit_codes`](crate::exit_codes).
const EXIT_CODES_HELP: &str = "Exit codes:
  0    every expectation held
  2    invalid input: a scenario, profile or spec was rejected; nothing ran
  4    no scenario selected
  100  an expectation did not hold
  101  the harness failed
  130  interrupted; the running passes were killed";

const CHECK_EXIT_CODES_HELP: &str = "Exit codes:
  0    every selected scenario is valid
  2    invalid input: a scenario, or a profile or spec it names, was rejected
  4    no scenario selected
  101  the harness failed";

/// Returns the exit-code table that `run --help` prints.
pub fn exit_codes_help() -> &'static str {
    EXIT_CODES_HELP
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against an integration and check their expectations.
    #[command(after_help = EXIT_CODES_HELP)]
    Run(RunArgs),
    /// Validate scenario files without running them.
    #[command(after_help = CHECK_EXIT_CODES_HELP)]
    Check(SelectArgs),
    Prop(crate::prop::PropArgs),
}

/// The scenario selection.
#[derive(Debug, Clone, Args)]
pub struct SelectArgs {
    /// Scenario files or folders of them [default: scenarios].
    pub paths: Vec<PathBuf>,

    /// Only scenarios whose name contains this text (repeatable; any
    /// match selects).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,

    /// Only the Kth of N shards of the selected scenarios, such as 2/4.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

/// `odoo-harness run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub select: SelectArgs,

    /// The command that performs one sync pass, run through `sh -c`.
    #[arg(long, value_name = "CMD", conflicts_with = "reference")]
    pub integration: Option<String>,

    /// Run the reference sync engine in-process (the default without
    /// --integration).
    #[arg(long)]
    pub reference: bool,

    /// Maximum number of scenarios that run at once, from 1 to 256
    /// [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,

    /// Write a JUnit XML report to this path.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Write a JSON report to this path.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Seed for every scenario's emulator, in place of the scenario's own
    /// `seed` (0 when neither is given).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// The protocol the integration speaks to Odoo, over the spec's
    /// `protocol`: xmlrpc, jsonrpc, or web (the web client's session
    /// routes). The reference engine follows it; a command gets it as
    /// SYNC_PROTOCOL.
    #[arg(long, value_name = "NAME", value_parser = parse_protocol)]
    pub protocol: Option<odoo_sync::rpc::Protocol>,

    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// The maximum of `--jobs`, for `run` and `prop`.
pub const MAX_JOBS: usize = 256;

/// Parses a count that must be from 1 to `max`.
pub(crate) fn parse_count(text: &str, max: usize) -> Result<usize, String> {
    let invalid = || format!("give a whole number from 1 to {max}");
    let count: usize = text.trim().parse().map_err(|_| invalid())?;
    if (1..=max).contains(&count) {
        Ok(count)
    } else {
        Err(invalid())
    }
}

pub(crate) fn parse_jobs(text: &str) -> Result<usize, String> {
    parse_count(text, MAX_JOBS)
}

pub(crate) fn parse_protocol(text: &str) -> Result<odoo_sync::rpc::Protocol, String> {
    text.parse()
}

/// A failure that ends the command, with its exit code.
#[derive(Debug)]
pub struct Exit {
    pub code: i32,
    pub message: String,
}

impl Exit {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Exit {
        Exit {
            code,
            message: message.into(),
        }
    }
}

/// Runs a parsed command line and returns the exit code.
pub fn main(cli: Cli) -> i32 {
    let command = cli.command.unwrap_or_else(|| {
        Command::Run(RunArgs {
            select: SelectArgs {
                paths: Vec::new(),
                filter: Vec::new(),
                partition: None,
            },
            integration: None,
            reference: true,
            jobs: None,
            junit: None,
            json: None,
            seed: None,
            protocol: None,
            no_progress: false,
        })
    });
    let outcome = match command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(&args),
        Command::Prop(args) => crate::prop::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(exit) => {
            eprintln!("error: {}", exit.message);
            exit.code
        }
    }
}

/// Loads the selected scenarios; any invalid one rejects the whole run.
/// `protocol` is the `--protocol` of `run`.
fn select(
    args: &SelectArgs,
    protocol: Option<odoo_sync::rpc::Protocol>,
) -> Result<Vec<Scenario>, Exit> {
    let default_library = args.paths.is_empty();
    let paths = if default_library {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let files = discover::scenario_files(&paths).map_err(|error| {
        let message = if default_library {
            format!(
                "{error}: without paths the harness reads the library in ./scenarios; run it \
                 from the repository root or give scenario files or folders"
            )
        } else {
            error
        };
        Exit::new(exit_codes::INVALID_INPUT, message)
    })?;
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let loaded = scenario::load(&file).map_err(|invalid| invalid.problems);
        let checked = loaded.and_then(|scenario| {
            scenario::check_protocol(&scenario, protocol).map_err(|problem| vec![problem])?;
            Ok(scenario)
        });
        match checked {
            Ok(scenario) => scenarios.push(scenario),
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        let count = crate::report::plural(problems.len(), "problem", "problems");
        return Err(Exit::new(
            exit_codes::INVALID_INPUT,
            format!("{}\n{count} found; nothing ran", problems.join("\n")),
        ));
    }
    if !args.filter.is_empty() {
        scenarios.retain(|s| args.filter.iter().any(|f| s.name.contains(f.as_str())));
    }
    if let Some(partition) = args.partition {
        scenarios = partition.select(scenarios);
    }
    if scenarios.is_empty() {
        return Err(Exit::new(
            exit_codes::NO_SCENARIOS,
            "no scenario selected: check the paths, --filter and --partition",
        ));
    }
    Ok(scenarios)
}

fn check(args: &SelectArgs) -> Result<i32, Exit> {
    let scenarios = select(args, None)?;
    for scenario in &scenarios {
        outln!("valid  {}  {}", scenario.path.display(), scenario.name);
    }
    let count = scenarios.len();
    let verb = if count == 1 { "is" } else { "are" };
    outln!(
        "{} {verb} valid",
        crate::report::plural(count, "scenario", "scenarios")
    );
    Ok(exit_codes::ALL_HELD)
}

/// Waits for `run`, or returns `None` at the first SIGINT or SIGTERM.
pub(crate) async fn until_interrupted<T>(run: impl std::future::Future<Output = T>) -> Option<T> {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        results = run => Some(results),
        _ = tokio::signal::ctrl_c() => None,
        () = terminate => None,
    }
}

/// Builds the multi-threaded runtime that runs scenarios.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Exit::new(
                exit_codes::HARNESS_ERROR,
                format!("starting the runtime failed: {e}"),
            )
        })
}

/// Checks that the `--junit` and `--json` reports can be written, so that
/// a bad path fails before the scenarios run rather than after.
fn check_report_paths(args: &RunArgs) -> Result<(), Exit> {
    let reports = [("--junit", &args.junit), ("--json", &args.json)];
    let problems: Vec<String> = reports
        .into_iter()
        .filter_map(|(option, path)| {
            let path = path.as_ref()?;
            let error = writable(path).err()?;
            Some(format!(
                "{option} {}: the report cannot be written ({error}). Give a path in an \
                 existing, writable folder.",
                path.display()
            ))
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Exit::new(
        exit_codes::INVALID_INPUT,
        format!("{}\nnothing ran", problems.join("\n")),
    ))
}

/// Opens `path` for writing without changing it, and removes it again
/// when it did not exist before.
fn writable(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::other("the path is a folder"));
    }
    if path.exists() {
        std::fs::OpenOptions::new().append(true).open(path)?;
        return Ok(());
    }
    std::fs::File::create(path)?;
    std::fs::remove_file(path)
}

fn run(args: RunArgs) -> Result<i32, Exit> {
    check_report_paths(&args)?;
    let scenarios = select(&args.select, args.protocol)?;
    let integration = match &args.integration {
        Some(command) => Integration::Command(command.clone()),
        None => Integration::Reference,
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = runtime()?;
    let reporter = Arc::new(TerminalReporter::new(scenarios.len(), !args.no_progress));
    let options = RunOptions {
        integration,
        seed: args.seed,
        excusable: std::collections::BTreeSet::new(),
        protocol: args.protocol,
    };
    let run = runner::run_all(scenarios, options, jobs, reporter.clone());
    let Some(results) = runtime.block_on(until_interrupted(run)) else {
        crate::integration::kill_running_passes();
        // Dropping the runtime would wait for the reference passes and the
        // emulators' shutdown on blocking threads, seconds after the
        // interrupt. The process exits next, which ends them.
        runtime.shutdown_background();
        return Err(Exit::new(
            exit_codes::INTERRUPTED,
            "interrupted: the running passes were killed and no report was written",
        ));
    };
    reporter.summary(&results);

    let label = args.integration.as_deref().unwrap_or("reference");
    if let Some(path) = &args.junit {
        crate::report::junit::write(path, &results).map_err(|e| {
            Exit::new(
                exit_codes::HARNESS_ERROR,
                format!("{}: writing the JUnit report failed: {e}", path.display()),
            )
        })?;
    }
    if let Some(path) = &args.json {
        crate::report::json::write(path, label, &results).map_err(|e| {
            Exit::new(
                exit_codes::HARNESS_ERROR,
                format!("{}: writing the JSON report failed: {e}", path.display()),
            )
        })?;
    }
    let totals = Totals::of(&results);
    Ok(if totals.errors > 0 {
        exit_codes::HARNESS_ERROR
    } else if results.iter().any(|r| r.status == Status::Failed) {
        exit_codes::CONTRACT_FAILED
    } else {
        exit_codes::ALL_HELD
    })
}
