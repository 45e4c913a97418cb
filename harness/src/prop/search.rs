//! Running generated histories and shrinking the first one that breaks a
//! property.
//!
//! All histories come from one proptest runner seeded with the run's seed,
//! generated in order before any runs, so the same seed gives the same
//! histories whatever `--jobs` is. They run several at a time. When some
//! fail, the run waits for the histories already started and keeps the
//! failure with the lowest case number, which every `--jobs` value finds.
//! Shrinking then runs one candidate at a time and keeps a candidate only
//! when it breaks the same property as the original.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use tokio::task::JoinSet;

use super::args::Property;
use super::catalog::Catalog;
use super::model::{with_catalog, History, HistoryMachine};
use super::render::{scenario_text, Notes, Target};
use super::transition::Transition;
use crate::integration::Integration;
use crate::outcome::{ScenarioResult, Status};
use crate::runner::{run_scenario, RunOptions};
use crate::saas::Entity;

/// Everything a `prop` run needs, shared by its cases.
#[derive(Debug)]
pub struct Setup {
    pub target: Target,
    pub catalog: Arc<Catalog>,
    pub integration: Integration,
    /// The folder scenario files are written to; relative profile and
    /// spec paths in [`Target`] start there.
    pub out: PathBuf,
    pub cases: usize,
    pub max_steps: usize,
    pub max_shrink_runs: usize,
    pub jobs: usize,
}

/// One history and what running it showed.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub history: Vec<Transition>,
    /// The scenario settings the history ran with, expectations included.
    pub target: Target,
    pub result: ScenarioResult,
    /// Records of entities that drift or an injected Odoo exception could
    /// block and that the integration reported, by entity.
    pub reported: BTreeMap<Entity, BTreeSet<String>>,
    /// The properties the history broke.
    pub broken: BTreeSet<Property>,
}

/// A history that broke a property, shrunk.
#[derive(Debug)]
pub struct Found {
    /// The case number, from 1.
    pub case: usize,
    pub original_steps: usize,
    /// The property that every shrunk candidate had to break.
    pub property: Property,
    pub minimal: CaseRun,
    pub shrink_runs: usize,
}

/// The end of a search.
#[derive(Debug)]
pub enum Outcome {
    /// No history broke a property.
    Held {
        cases: usize,
    },
    Broken(Box<Found>),
}

/// Receives the events of a search as they happen.
pub trait Progress: Send + Sync {
    /// Receives a finished case; `None` for a history that left no
    /// selected property to check.
    fn case_finished(&self, case: usize, run: Option<&CaseRun>);
    fn shrinking(&self, steps: usize, runs: usize);
}

/// Generates every history of the run from the seed, yielding to the
/// runtime after each one so that an interrupt can end the run during
/// generation.
///
/// # Errors
///
/// Returns the generator's error, such as too many rejected steps.
pub async fn generate(setup: &Setup) -> Result<Vec<impl ValueTree<Value = HistoryValue>>, String> {
    let strategy = HistoryMachine::sequential_strategy(1..=setup.max_steps.max(1));
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut seed = [0_u8; 32];
    seed[..8].copy_from_slice(&setup.target.seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let mut trees = Vec::with_capacity(setup.cases);
    for _ in 0..setup.cases {
        let tree = with_catalog(&setup.catalog, || strategy.new_tree(&mut runner))
            .map_err(|reason| format!("generating histories failed: {reason}"))?;
        trees.push(tree);
        tokio::task::yield_now().await;
    }
    Ok(trees)
}

/// The value of the state machine's tree: the initial state, the steps
/// and proptest's counter of steps run.
pub type HistoryValue = (
    History,
    Vec<Transition>,
    Option<Arc<std::sync::atomic::AtomicUsize>>,
);

/// Runs the histories and shrinks the first failure.
///
/// # Errors
///
/// Returns a harness error: a history that is not a valid scenario, or a
/// case the runner could not finish.
pub async fn search(setup: Arc<Setup>, progress: Arc<dyn Progress>) -> Result<Outcome, String> {
    let mut trees = generate(&setup).await?;
    let histories: Vec<Vec<Transition>> = trees.iter().map(|tree| tree.current().1).collect();
    let Some((index, first)) = first_failure(&setup, histories, &progress).await? else {
        return Ok(Outcome::Held { cases: setup.cases });
    };
    let property = Property::ALL
        .into_iter()
        .find(|p| first.broken.contains(p))
        .expect("a failed case broke at least one property");
    let original_steps = first.history.len();
    let tree = trees.swap_remove(index);
    let (minimal, shrink_runs) = shrink(&setup, tree, first, property, &progress).await?;
    Ok(Outcome::Broken(Box::new(Found {
        case: index + 1,
        original_steps,
        property,
        minimal,
        shrink_runs,
    })))
}

/// Runs the histories, at most `jobs` at once, and returns the failure
/// with the lowest index.
async fn first_failure(
    setup: &Arc<Setup>,
    histories: Vec<Vec<Transition>>,
    progress: &Arc<dyn Progress>,
) -> Result<Option<(usize, CaseRun)>, String> {
    let mut pending = histories.into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut failures: BTreeMap<usize, CaseRun> = BTreeMap::new();
    loop {
        while failures.is_empty() && running.len() < setup.jobs.max(1) {
            let Some((index, history)) = pending.next() else {
                break;
            };
            let setup = setup.clone();
            running.spawn(async move { (index, run_case(&setup, history).await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (index, run) = match joined {
            Ok(pair) => pair,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        let run = run?;
        progress.case_finished(index + 1, run.as_ref());
        if let Some(run) = run.filter(|run| !run.broken.is_empty()) {
            failures.insert(index, run);
        }
    }
    Ok(failures.into_iter().next())
}

/// Shrinks a failing history as proptest does: simplify while the
/// candidate still fails, step back when it passes.
async fn shrink(
    setup: &Arc<Setup>,
    mut tree: impl ValueTree<Value = HistoryValue>,
    first: CaseRun,
    property: Property,
    progress: &Arc<dyn Progress>,
) -> Result<(CaseRun, usize), String> {
    // The tree cuts every step after the number this counter holds, which
    // a test that stops at the first failing step would set. A history
    // always runs whole.
    if let Some(counter) = tree.current().2 {
        counter.store(first.history.len(), std::sync::atomic::Ordering::SeqCst);
    }
    let mut best = first;
    let mut seen: HashMap<String, bool> = HashMap::new();
    let mut runs = 0;
    if !tree.simplify() {
        return Ok((best, runs));
    }
    while runs < setup.max_shrink_runs {
        let candidate = tree.current().1;
        let key = format!("{candidate:?}");
        let fails = match seen.get(&key) {
            Some(fails) => *fails,
            None => {
                runs += 1;
                progress.shrinking(best.history.len(), runs);
                let run = run_case(setup, candidate).await?;
                let fails = run.as_ref().is_some_and(|r| r.broken.contains(&property));
                if let Some(run) = run.filter(|r| fails && r.history.len() <= best.history.len()) {
                    best = run;
                }
                seen.insert(key, fails);
                fails
            }
        };
        let moved = if fails {
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !moved {
            break;
        }
    }
    Ok((best, runs))
}

/// Runs one history as a scenario. Returns `None` without running it when
/// none of the selected properties applies to it: `idempotent` alone
/// after a history that ends with drift in force.
///
/// # Errors
///
/// Returns why the history could not run to the end.
pub async fn run_case(setup: &Setup, history: Vec<Transition>) -> Result<Option<CaseRun>, String> {
    let end = history
        .iter()
        .fold(History::new(setup.catalog.clone()), HistoryMachine::apply);
    let blocked = setup.catalog.blocked_entities(&end.blocking_models());
    let target = case_target(&setup.target, &end);
    if target.properties.is_empty() {
        return Ok(None);
    }
    let notes = Notes {
        name: "a generated history".into(),
        ..Notes::default()
    };
    let text = scenario_text(&target, &notes, &history);

    let scenario = crate::scenario::load_text(&setup.out.join("generated.yaml"), &text).map_err(
        |invalid| format!("a generated history is not a valid scenario: {invalid}\n{text}"),
    )?;
    let options = RunOptions {
        integration: setup.integration.clone(),
        seed: None,
        excusable: blocked.clone(),
        protocol: None,
    };
    let result = run_scenario(&scenario, &options).await;

    if result.status == Status::Error {
        let error = result.error.clone().unwrap_or_default();
        return Err(format!(
            "running a generated history failed: {error}\n{text}"
        ));
    }

    let mut reported: BTreeMap<Entity, BTreeSet<String>> = BTreeMap::new();
    for report in &result.reports {
        let Some(entity) = Entity::parse(&report.entity) else {
            continue;
        };
        let known = end.records.contains_key(&(entity, report.id.clone()));
        if blocked.contains(&entity) && known {
            reported
                .entry(entity)
                .or_default()
                .insert(report.id.clone());
        }
    }
    let broken = result
        .failures
        .iter()
        .filter_map(|failure| {
            Property::ALL
                .into_iter()
                .find(|p| p.keyword() == failure.expectation)
        })
        .collect();
    Ok(Some(CaseRun {
        history,
        target,
        result,
        reported,
        broken,
    }))
}

/// Returns the run's settings with the expectations this history can
/// check. `idempotent` is left out while drift is in force at the end: a
/// careful integration retries the records that drift blocks in every
/// pass, and a retried `load` succeeds as a call even when it rejects
/// every row.
fn case_target(target: &Target, end: &History) -> Target {
    let mut target = target.clone();
    if !end.drift.is_empty() {
        target.properties.retain(|p| *p != Property::Idempotent);
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(seed: u64) -> Setup {
        let target = crate::prop::render::built_in_target(seed, Property::ALL.to_vec());
        let notes = Notes {
            name: "probe".into(),
            ..Notes::default()
        };
        let probe = scenario_text(&target, &notes, &[]);
        let scenario = crate::scenario::load_text(std::path::Path::new("probe.yaml"), &probe)
            .expect("the built-in profile and spec load");
        Setup {
            target,
            catalog: Arc::new(Catalog::from_spec(&scenario.spec)),
            integration: Integration::Reference,
            out: PathBuf::from("."),
            cases: 20,
            max_steps: 12,
            max_shrink_runs: 0,
            jobs: 1,
        }
    }

    fn histories(setup: &Setup) -> Vec<Vec<Transition>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime
            .block_on(generate(setup))
            .expect("histories are generated")
            .iter()
            .map(|tree| tree.current().1)
            .collect()
    }

    #[test]
    fn same_seed_gives_same_histories() {
        let first = histories(&setup(3));
        let again = histories(&setup(3));
        let other = histories(&setup(4));

        assert_eq!(first, again);
        assert_ne!(first, other);
    }

    #[test]
    fn every_history_is_a_valid_scenario() {
        let setup = setup(8);

        for history in histories(&setup) {
            let end = history
                .iter()
                .fold(History::new(setup.catalog.clone()), HistoryMachine::apply);
            let target = case_target(&setup.target, &end);
            let notes = Notes {
                name: "generated".into(),
                ..Notes::default()
            };
            let text = scenario_text(&target, &notes, &history);

            let loaded = crate::scenario::load_text(std::path::Path::new("case.yaml"), &text);

            let scenario = loaded.unwrap_or_else(|invalid| panic!("{invalid}\n{text}"));
            assert_eq!(scenario.steps.len(), history.len(), "{text}");
        }
    }
}
