//! Running scenarios, several at a time: each gets its own emulator and
//! fake SaaS on free loopback ports, so scenarios never share state.

mod idempotence;
mod scenario_run;

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::outcome::ScenarioResult;
use crate::scenario::Scenario;

pub use scenario_run::{run_scenario, RunOptions};

/// Receives the events of a run as they happen.
pub trait Observer: Send + Sync {
    fn started(&self, scenario: &Scenario);
    fn finished(&self, result: &ScenarioResult);
}

/// Runs scenarios with at most `jobs` at once and returns the results in
/// the order of `scenarios`.
pub async fn run_all(
    scenarios: Vec<Scenario>,
    options: RunOptions,
    jobs: usize,
    observer: Arc<dyn Observer>,
) -> Vec<ScenarioResult> {
    let slots = Arc::new(Semaphore::new(jobs.max(1)));
    let options = Arc::new(options);
    let mut tasks = JoinSet::new();
    for (index, scenario) in scenarios.into_iter().enumerate() {
        // Taking the slot before spawning starts scenarios in list order.
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let options = options.clone();
        let observer = observer.clone();
        tasks.spawn(async move {
            let _slot = slot;
            observer.started(&scenario);
            let result = run_scenario(&scenario, &options).await;
            observer.finished(&result);
            (index, result)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(pair) => results.push(pair),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}
