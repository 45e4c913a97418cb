//! Running one scenario: its own emulator and fake SaaS, the steps in
//! order, the final passes, then the checks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use odoo_emulator::faults::{Entry, FaultRule};
use odoo_emulator::server::{EmulatorServer, ServerConfig};
use odoo_emulator::service::Emulator;

use super::idempotence;
use crate::check::{self, Evidence, Failure, World};
use crate::integration::{self, Integration, PassEnv, PassOutcome};
use crate::odoo::OdooReader;
use crate::outcome::{ScenarioResult, Status};
use crate::saas::{Entity, SaasServer, SaasStore};
use crate::scenario::{ClockChange, Expectation, SaasChange, Scenario, SpecSource, Step};

/// Options shared by every scenario of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub integration: Integration,
    /// Overrides each scenario's seed.
    pub seed: Option<u64>,
    /// Entities whose records may be reported instead of synced: a
    /// reported record of one of them is left out of `converged` and
    /// `no_lost_updates`, as if `errors_reported` listed it. `prop` sets
    /// this for the entities that active drift can block.
    pub excusable: BTreeSet<Entity>,
    /// Overrides the spec's protocol.
    pub protocol: Option<odoo_sync::rpc::Protocol>,
}

/// The servers and state of one running scenario.
struct Session {
    emulator: Emulator,
    database: String,
    server: Option<EmulatorServer>,
    saas: SaasServer,
    env: PassEnv,
    /// Keeps the state folder and spec file until the scenario ends.
    _workdir: tempfile::TempDir,
    faults: BTreeMap<u64, FaultRule>,
    passes: Vec<PassOutcome>,
}

/// Runs a scenario and returns its result; harness errors become a
/// result with [`Status::Error`].
pub async fn run_scenario(scenario: &Scenario, options: &RunOptions) -> ScenarioResult {
    let started = Instant::now();
    let seed = options.seed.or(scenario.seed).unwrap_or(0);
    let (passes, reports, outcome) =
        match Session::start(scenario, seed, scenario.protocol.or(options.protocol)).await {
            Ok(mut session) => {
                let outcome = session.run(scenario, options).await;
                let passes = std::mem::take(&mut session.passes);
                let reports = session
                    .saas
                    .store()
                    .lock()
                    .expect("the SaaS store lock is never poisoned")
                    .reports()
                    .to_vec();
                session.stop().await;
                (passes, reports, outcome)
            }
            Err(error) => (Vec::new(), Vec::new(), Err(error)),
        };
    let (status, failures, error) = match outcome {
        Ok(failures) if failures.is_empty() => (Status::Passed, failures, None),
        Ok(failures) => (Status::Failed, failures, None),
        Err(error) => (Status::Error, Vec::new(), Some(error)),
    };
    ScenarioResult {
        name: scenario.name.clone(),
        path: scenario.path.clone(),
        status,
        seed,
        duration_ms: started.elapsed().as_millis(),
        passes,
        reports,
        failures,
        error,
    }
}

impl Session {
    async fn start(
        scenario: &Scenario,
        seed: u64,
        protocol: Option<odoo_sync::rpc::Protocol>,
    ) -> Result<Session, String> {
        let emulator = Emulator::from_profiles(vec![(None, scenario.profile.clone())])
            .map_err(|e| format!("building the emulator failed: {e}"))?
            .with_seed(seed);
        let server = EmulatorServer::start(emulator.clone(), ServerConfig::loopback_any_port())
            .map_err(|e| format!("starting the emulator failed: {e}"))?;
        let mut store = SaasStore::default();
        for record in &scenario.saas {
            store
                .create(record.entity, &record.id, record.data.clone())
                .map_err(|e| format!("loading the SaaS data failed: {e}"))?;
        }
        let saas = SaasServer::start(Arc::new(Mutex::new(store)))
            .await
            .map_err(|e| format!("starting the fake SaaS failed: {e}"))?;
        let workdir = tempfile::Builder::new()
            .prefix("odoo-harness-")
            .tempdir()
            .map_err(|e| format!("creating a temporary folder failed: {e}"))?;
        let env = pass_env(scenario, &server, &saas, workdir.path(), protocol)?;
        Ok(Session {
            database: scenario.profile.database.clone(),
            emulator,
            server: Some(server),
            saas,
            env,
            _workdir: workdir,
            faults: BTreeMap::new(),
            passes: Vec::new(),
        })
    }

    /// Stops the emulator on a blocking thread: its shutdown waits for
    /// requests in flight.
    async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            let _ = tokio::task::spawn_blocking(move || drop(server)).await;
        }
    }

    async fn run(
        &mut self,
        scenario: &Scenario,
        options: &RunOptions,
    ) -> Result<Vec<Failure>, String> {
        let odoo = OdooReader::new(self.emulator.clone(), self.database.clone());
        let baseline = baseline(&odoo, scenario)?;
        let mut sync_count = 0;
        for step in &scenario.steps {
            self.step(&step.value, scenario, options, &mut sync_count)
                .await
                .map_err(|e| format!("step at line {} failed: {e}", step.line))?;
        }
        let journal = self.emulator.journal(0, Some(&self.database));
        let wants = |keyword: &str| {
            scenario
                .expectations
                .iter()
                .any(|e| e.value.keyword() == keyword)
        };
        if wants("converged") || wants("idempotent") {
            self.emulator.clear_faults();
            self.pass(scenario, options, "final pass".into()).await;
        }
        let mut failures = self.check(scenario, options, &odoo, &journal, &baseline)?;
        if let Some(expectation) = scenario
            .expectations
            .iter()
            .find(|e| e.value == Expectation::Idempotent)
        {
            let before = idempotence::Snapshot::take(&odoo, &scenario.spec)?;
            let after_seq = journal_end(&self.emulator, &self.database);
            self.pass(scenario, options, "idempotence pass".into())
                .await;
            let writes = self.emulator.journal(after_seq, Some(&self.database));
            let after = idempotence::Snapshot::take(&odoo, &scenario.spec)?;
            failures.extend(idempotence::check(
                expectation.line,
                &before,
                &after,
                &writes,
            ));
        }
        Ok(failures)
    }

    async fn step(
        &mut self,
        step: &Step,
        scenario: &Scenario,
        options: &RunOptions,
        sync_count: &mut usize,
    ) -> Result<(), String> {
        match step {
            Step::Sync => {
                *sync_count += 1;
                self.pass(scenario, options, format!("pass {sync_count}"))
                    .await;
            }
            Step::Saas(change) => self.saas_change(change)?,
            Step::Fault(rule) => {
                let added = self
                    .emulator
                    .add_fault(rule.clone())
                    .map_err(|e| e.to_string())?;
                self.faults.insert(added.id, added);
            }
            Step::ClearFaults => self.emulator.clear_faults(),
            Step::Instance { change, .. } => self
                .emulator
                .change_instance(&self.database, change)
                .map_err(|e| e.to_string())?,
            Step::Clock(ClockChange::Freeze(at)) => self
                .emulator
                .clock()
                .freeze(*at)
                .map_err(|e| e.to_string())?,
            Step::Clock(ClockChange::Advance(by)) => self
                .emulator
                .clock()
                .advance(*by)
                .map_err(|e| e.to_string())?,
            Step::Reset => {
                self.emulator
                    .reset(Some(&self.database))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn saas_change(&self, change: &SaasChange) -> Result<(), String> {
        let mut store = self
            .saas
            .store()
            .lock()
            .expect("the SaaS store lock is never poisoned");
        let applied = match change {
            SaasChange::Create { entity, id, data } => store.create(*entity, id, data.clone()),
            SaasChange::Update { entity, id, set } => store.update(*entity, id, set),
            SaasChange::Delete { entity, id } => store.delete(*entity, id),
            SaasChange::Replay {
                entity,
                id,
                version,
            } => store.replay(*entity, id, *version),
        };
        applied.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn pass(&mut self, scenario: &Scenario, options: &RunOptions, label: String) {
        let number = self.passes.len() + 1;
        self.set_current_pass(number);
        let outcome = integration::run_pass(
            &options.integration,
            &self.env,
            scenario.pass_timeout,
            label,
        )
        .await;
        self.set_current_pass(0);
        tracing::debug!(scenario = scenario.name, pass = outcome.label, status = ?outcome.status, "pass ended");
        self.passes.push(outcome);
    }

    fn set_current_pass(&self, number: usize) {
        self.saas
            .store()
            .lock()
            .expect("the SaaS store lock is never poisoned")
            .current_pass = number;
    }

    fn check(
        &self,
        scenario: &Scenario,
        options: &RunOptions,
        odoo: &OdooReader,
        journal: &[Entry],
        baseline: &BTreeMap<String, BTreeSet<i64>>,
    ) -> Result<Vec<Failure>, String> {
        let saas = self
            .saas
            .store()
            .lock()
            .expect("the SaaS store lock is never poisoned")
            .clone();
        let mut declared: BTreeSet<(Entity, String)> = scenario
            .expectations
            .iter()
            .filter_map(|e| match &e.value {
                Expectation::ErrorsReported(records) => Some(records.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        declared.extend(saas.reports().iter().filter_map(|report| {
            let entity = Entity::parse(&report.entity)?;
            options
                .excusable
                .contains(&entity)
                .then(|| (entity, report.id.clone()))
        }));
        let world = tokio::task::block_in_place(|| World::build(odoo, &scenario.spec, &saas))
            .map_err(|e| format!("reading Odoo for the checks failed: {e}"))?;
        let evidence = Evidence {
            odoo,
            spec: &scenario.spec,
            saas: &saas,
            journal,
            faults: &self.faults,
            declared_unsyncable: &declared,
            baseline,
        };
        let failures = tokio::task::block_in_place(|| {
            scenario
                .expectations
                .iter()
                .flat_map(|expectation| check::check(expectation, &evidence, &world))
                .collect()
        });
        Ok(failures)
    }
}

fn journal_end(emulator: &Emulator, database: &str) -> u64 {
    emulator
        .journal(0, Some(database))
        .last()
        .map_or(0, |entry| entry.seq)
}

/// Builds the environment of every pass, writing a built-in spec to the
/// scenario's folder so the integration can read it.
fn pass_env(
    scenario: &Scenario,
    server: &EmulatorServer,
    saas: &SaasServer,
    workdir: &std::path::Path,
    protocol: Option<odoo_sync::rpc::Protocol>,
) -> Result<PassEnv, String> {
    let state_dir = workdir.join("state");
    std::fs::create_dir(&state_dir)
        .map_err(|e| format!("creating the state folder failed: {e}"))?;
    let spec_path = match &scenario.spec_source {
        SpecSource::File(path) => {
            std::path::absolute(path).map_err(|e| format!("resolving the spec path failed: {e}"))?
        }
        SpecSource::Builtin { name, text } => {
            let path = workdir.join(format!("{name}.yaml"));
            std::fs::write(&path, text).map_err(|e| format!("writing the spec failed: {e}"))?;
            path
        }
    };
    Ok(PassEnv {
        odoo_url: server.url(),
        database: scenario.profile.database.clone(),
        username: scenario.user.login.clone(),
        password: scenario.user.password.clone(),
        api_key: scenario.user.api_key.clone(),
        saas_url: saas.url(),
        state_dir,
        spec_path,
        protocol,
    })
}

/// Records the ids of each model the spec writes before the first step,
/// so the duplicate check can tell seed records from created ones.
fn baseline(
    odoo: &OdooReader,
    scenario: &Scenario,
) -> Result<BTreeMap<String, BTreeSet<i64>>, String> {
    let mut baseline = BTreeMap::new();
    for entity in scenario.spec.entities.values() {
        let ids = odoo
            .search(&entity.model, serde_json::json!([]), true)
            .map_err(|e| e.to_string())?;
        baseline.insert(entity.model.clone(), ids.into_iter().collect());
    }
    Ok(baseline)
}
