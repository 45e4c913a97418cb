//! Property-based runs: `odoo-harness prop`.
//!
//! A proptest state machine ([`model`]) generates histories: SaaS creates,
//! updates, deletes and out-of-order deliveries, fault rules, customer
//! drift (a required field, revoked access, a removed selection key),
//! clock moves and sync passes. Each history is written as a scenario
//! ([`render`]) and run by the same runner as `odoo-harness run`, which
//! clears the faults, runs a settle pass and checks the sync properties
//! with the scenario checks. [`search`] runs the histories and shrinks the
//! first failure, and [`report`] prints it and writes its scenario file.

pub mod args;
pub mod catalog;
mod fit;
pub mod model;
pub mod render;
mod report;
pub mod search;
pub mod transition;
mod yaml;

use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

pub use args::{PropArgs, Property};

use crate::cli::Exit;
use crate::exit_codes;
use crate::integration::Integration;
use catalog::Catalog;
use render::{relative_to, scenario_text, Notes, Target};
use search::{Outcome, Setup};

/// Runs `odoo-harness prop` and returns its exit code.
///
/// # Errors
///
/// Returns invalid options, a rejected profile or spec, a harness failure
/// or an interruption, each with its exit code.
pub fn run(args: PropArgs) -> Result<i32, Exit> {
    let setup = Arc::new(setup(&args)?);
    let runtime = crate::cli::runtime()?;
    let reporter = Arc::new(report::PropReporter::new(&setup, &args));
    reporter.start();
    let search = search::search(setup.clone(), reporter.clone());
    let Some(outcome) = runtime.block_on(crate::cli::until_interrupted(search)) else {
        crate::integration::kill_running_passes();
        // As `run` does: the process exits next, without waiting for the
        // passes on blocking threads.
        runtime.shutdown_background();
        return Err(Exit::new(
            exit_codes::INTERRUPTED,
            "interrupted: the running passes were killed and no scenario was written",
        ));
    };
    let outcome = outcome.map_err(|e| Exit::new(exit_codes::HARNESS_ERROR, e))?;
    match outcome {
        Outcome::Held { cases } => {
            reporter.held(cases);
            Ok(exit_codes::ALL_HELD)
        }
        Outcome::Broken(found) => {
            let path = reporter.write_failure(&found)?;
            reporter.broken(&found, &path);
            Ok(exit_codes::CONTRACT_FAILED)
        }
    }
}

/// Checks the options and loads the profile and spec.
fn setup(args: &PropArgs) -> Result<Setup, Exit> {
    check_options(args).map_err(|message| Exit::new(exit_codes::INVALID_INPUT, message))?;
    let target = target(args);
    // Scenario paths such as `prop-failures/../fixtures/acme.yaml` only
    // resolve through a folder that exists.
    // A path the folder cannot be created at (a file, a read-only place)
    // is a bad option, reported before anything runs.
    std::fs::create_dir_all(&args.out).map_err(|e| {
        Exit::new(
            exit_codes::INVALID_INPUT,
            format!(
                "--out {}: creating the folder failed: {e}. Give a folder path that can be \
                 created or written.",
                args.out.display()
            ),
        )
    })?;

    let notes = Notes {
        name: "the run's profile and spec".into(),
        ..Notes::default()
    };
    let probe = scenario_text(&target, &notes, &[]);
    let probe_path = args.out.join("generated.yaml");
    let invalid = |problems: Vec<String>| {
        let messages: Vec<String> = problems
            .iter()
            .map(|problem| option_problem(problem, &probe_path, &probe, args))
            .collect();
        Exit::new(exit_codes::INVALID_INPUT, messages.join("\n"))
    };
    let scenario = crate::scenario::load_text(&probe_path, &probe)
        .map_err(|rejected| invalid(rejected.problems))?;
    crate::scenario::check_protocol(&scenario, None).map_err(|problem| invalid(vec![problem]))?;
    let drifts = fit::schema_drifts(&scenario)
        .map_err(|error| Exit::new(exit_codes::HARNESS_ERROR, error))?;
    if !drifts.is_empty() {
        return Err(Exit::new(
            exit_codes::INVALID_INPUT,
            format!(
                "--spec {} does not fit --profile {}:\n  {}\ngive a spec written for this \
                 profile; nothing ran",
                args.spec,
                args.profile,
                drifts.join("\n  ")
            ),
        ));
    }

    let integration = match &args.integration {
        Some(command) => Integration::Command(command.clone()),
        None => Integration::Reference,
    };
    Ok(Setup {
        target,
        catalog: Arc::new(Catalog::from_spec(&scenario.spec)),
        integration,
        out: args.out.clone(),
        cases: args.cases,
        max_steps: args.max_steps,
        max_shrink_runs: args.max_shrink_runs,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
    })
}

/// Rewrites a problem the loader found in the probe scenario at
/// `probe_path` to name the option and value it came from, because the
/// probe file is never written and the user gave options, not a file.
fn option_problem(problem: &str, probe_path: &Path, probe: &str, args: &PropArgs) -> String {
    let Some(rest) = problem.strip_prefix(&format!("{}:", probe_path.display())) else {
        return problem.to_owned();
    };
    // The rest is "LINE:COLUMN: message" or " message".
    let mut parts = rest.splitn(3, ':');
    let line: Option<usize> = parts.next().and_then(|l| l.trim().parse().ok());
    let message = match line {
        Some(_) => parts.nth(1).unwrap_or_default().trim(),
        None => rest.trim(),
    };
    let key = line
        .and_then(|l| probe.lines().nth(l.wrapping_sub(1)))
        .and_then(|l| l.split_once(':'))
        .map(|(key, _)| key.trim());
    match key {
        Some("profile") => format!("--profile {}: {message}", args.profile),
        Some("spec") => format!("--spec {}: {message}", args.spec),
        Some("pass_timeout_seconds") => format!("--pass-timeout {}: {message}", args.pass_timeout),
        Some("integration_user") => format!("{}: {message}", user_options(args)),
        _ if message.contains("protocol is web") => format!(
            "--spec {} with {}: {message}",
            args.spec,
            user_options(args)
        ),
        _ => message.to_owned(),
    }
}

/// Writes the user options as given, with the secrets left out.
fn user_options(args: &PropArgs) -> String {
    let mut text = format!("--login {}", args.login.as_deref().unwrap_or("admin"));
    if args.password.is_some() {
        text.push_str(" --password");
    }
    if args.api_key.is_some() {
        text.push_str(" --api-key");
    }
    text
}

fn check_options(args: &PropArgs) -> Result<(), &'static str> {
    if !(args.pass_timeout.is_finite() && args.pass_timeout > 0.0) {
        return Err("--pass-timeout must be a positive number of seconds");
    }
    if args.login.is_some() && args.password.is_none() && args.api_key.is_none() {
        return Err("--login needs --password or --api-key");
    }
    Ok(())
}

/// Builds the scenario settings the options give.
fn target(args: &PropArgs) -> Target {
    let mut properties = if args.properties.is_empty() {
        Property::ALL.to_vec()
    } else {
        args.properties.clone()
    };
    properties.sort();
    properties.dedup();

    let user = args.login.as_ref().map(|login| {
        let mut user = json!({"login": login});
        if let Some(password) = &args.password {
            user["password"] = json!(password);
        }
        if let Some(key) = &args.api_key {
            user["api_key"] = json!(key);
        }
        user
    });
    Target {
        profile: reference(&args.profile, is_builtin_profile(&args.profile), &args.out),
        spec: reference(&args.spec, is_builtin_spec(&args.spec), &args.out),
        protocol: args.protocol,
        user,
        seed: args.seed.unwrap_or_else(random_seed),
        pass_timeout: args.pass_timeout,
        properties,
    }
}

fn is_builtin_profile(name: &str) -> bool {
    odoo_emulator::profile::load::builtin_names().contains(&name)
}

fn is_builtin_spec(name: &str) -> bool {
    crate::scenario::BUILTIN_SPECS
        .iter()
        .any(|(builtin, _)| *builtin == name)
}

/// Writes a profile or spec as a scenario in `out` names it: a built-in
/// name as it is, a path relative to `out`.
fn reference(given: &str, builtin: bool, out: &Path) -> String {
    if builtin {
        return given.to_owned();
    }
    relative_to(Path::new(given), out).display().to_string()
}

/// Draws a seed from the standard library's per-process random keys.
fn random_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish() % 1_000_000
}
