//! The body of a pass once Odoo is reachable and the schema checked:
//! read the feed page by page, retry earlier failures, report what fails,
//! and save the state. [`crate::pass`] describes the policy.

use std::collections::HashSet;

use crate::engine::{Engine, Target};
use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::pass::{PassConfig, PassOptions, PassSummary};
use crate::plan::{entity_order, plan_page};
use crate::retry::Backoff;
use crate::rpc::OdooClient;
use crate::saas::{Operation, SaasClient, SyncReport};
use crate::schema::SchemaCheck;
use crate::spec::Spec;
use crate::state::{PendingRecord, SyncState};

/// A pass in progress.
#[derive(Debug)]
pub struct PassRunner<'a> {
    spec: &'a Spec,
    engine: Engine<'a>,
    config: &'a PassConfig,
    options: &'a PassOptions,
    order: Vec<String>,
    summary: PassSummary,
    /// Records in a row that failed with transient errors.
    consecutive_failures: usize,
    /// Changes that schema drift kept from applying.
    drift_failures: usize,
    /// Records whose last change failed before this pass.
    earlier_failures: Vec<(String, String)>,
    /// Records handled by this pass.
    handled: HashSet<(String, String)>,
    /// Entities of the feed that the spec does not map, logged once each.
    unmapped: HashSet<String>,
}

impl<'a> PassRunner<'a> {
    #[expect(
        clippy::too_many_arguments,
        reason = "the parts of a pass, each built by the caller"
    )]
    pub fn new(
        spec: &'a Spec,
        odoo: OdooClient,
        saas: SaasClient,
        schema: SchemaCheck,
        state: SyncState,
        backoff: Backoff,
        config: &'a PassConfig,
        options: &'a PassOptions,
    ) -> Self {
        PassRunner {
            spec,
            engine: Engine::new(spec, odoo, saas, schema, state, backoff),
            config,
            options,
            order: entity_order(spec),
            summary: PassSummary::default(),
            consecutive_failures: 0,
            drift_failures: 0,
            earlier_failures: Vec::new(),
            handled: HashSet::new(),
            unmapped: HashSet::new(),
        }
    }

    /// Runs the pass to its end.
    pub fn run(&mut self) -> SyncResult<PassSummary> {
        self.summary.drift = self
            .engine
            .schema
            .drifts
            .iter()
            .map(|d| d.message.clone())
            .collect();
        self.earlier_failures = self.engine.state.pending_keys();
        let outcome = self.read_feed().and_then(|()| self.retry_pending());
        self.collect_counters();
        outcome?;
        self.finish()
    }

    fn save(&self) -> SyncResult<()> {
        self.engine.state.save(&self.config.state_dir)
    }

    /// Retries the records whose last change failed in an earlier pass and
    /// that this pass has not handled, from the SaaS's current state.
    fn retry_pending(&mut self) -> SyncResult<()> {
        let mut keys: Vec<(String, String)> = std::mem::take(&mut self.earlier_failures)
            .into_iter()
            .filter(|key| !self.handled.contains(key))
            .filter(|(entity, id)| self.engine.state.pending_record(entity, id).is_some())
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        keys.sort_by_key(|(entity, _)| self.rank(entity));
        tracing::info!(
            records = keys.len(),
            "retrying records that failed in earlier passes"
        );
        for (entity, id) in keys {
            self.summary.retried += 1;
            let failed_version = self
                .engine
                .state
                .pending_record(&entity, &id)
                .map_or(0, |p| p.version);
            let target = match self.engine.saas.record(&entity, &id) {
                Ok(Some(current)) if !current.deleted => Target {
                    entity,
                    id,
                    op: Operation::Upsert,
                    version: current.version,
                    data: current.data,
                },
                Ok(current) => Target {
                    entity,
                    id,
                    op: Operation::Delete,
                    version: current.map_or(failed_version, |c| c.version),
                    data: None,
                },
                Err(error) => {
                    self.save()?;
                    return Err(error);
                }
            };
            let handled = self.handle(target);
            self.save()?;
            handled?;
        }
        Ok(())
    }

    /// Reads and applies the feed from the saved cursor, page by page.
    fn read_feed(&mut self) -> SyncResult<()> {
        loop {
            let cursor = self.engine.state.cursor;
            let page = self.engine.saas.changes(cursor, self.options.page_size)?;
            let changes: Vec<_> = page
                .changes
                .into_iter()
                .filter(|c| c.seq > cursor)
                .collect();
            let Some(last_seq) = changes.iter().map(|c| c.seq).max() else {
                return Ok(());
            };
            let full_page = changes.len() >= self.options.page_size;
            self.summary.changes += changes.len();
            tracing::debug!(
                cursor,
                changes = changes.len(),
                last_seq,
                "applying a page of changes"
            );
            let targets: Vec<Target> = plan_page(changes, &self.order)
                .into_iter()
                .map(|change| Target {
                    entity: change.entity,
                    id: change.id,
                    op: change.op,
                    version: change.version,
                    data: change.data,
                })
                .collect();
            self.engine.prefetch(&targets);
            for target in targets {
                if let Err(error) = self.handle(target) {
                    self.engine.forget_prefetched();
                    self.save()?;
                    return Err(error);
                }
            }
            self.engine.forget_prefetched();
            self.engine.state.cursor = last_seq;
            self.save()?;
            // A SaaS may report the page's own last sequence number rather
            // than the feed's, so a full page always leads to a request for
            // the next one.
            if last_seq >= page.last_seq && !full_page {
                return Ok(());
            }
        }
    }

    /// Applies one change, or reports it. Fails only when the pass should
    /// give up.
    fn handle(&mut self, target: Target) -> SyncResult<()> {
        self.handled
            .insert((target.entity.clone(), target.id.clone()));
        if !self.spec.entities.contains_key(&target.entity) {
            self.engine.state.clear_pending(&target.entity, &target.id);
            if self.unmapped.insert(target.entity.clone()) {
                tracing::info!(entity = %target.entity, "the spec maps no such entity, so its changes are skipped");
            }
            self.summary.skipped += 1;
            return Ok(());
        }
        if self
            .engine
            .state
            .is_stale(&target.entity, &target.id, target.version)
        {
            tracing::debug!(entity = %target.entity, id = %target.id, version = target.version, "skipping a change older than the version applied");
            self.engine.state.clear_pending(&target.entity, &target.id);
            self.summary.skipped += 1;
            return Ok(());
        }
        let result = self.engine.sync_record(&target);
        for notice in self.engine.take_notices() {
            tracing::warn!(entity = %target.entity, id = %target.id, error = %notice, "reporting a problem of an applied change");
            self.report(&target, &notice.to_string(), false);
        }
        match result {
            Ok(applied) => {
                self.engine
                    .state
                    .mark_applied(&target.entity, &target.id, applied);
                self.summary.applied += 1;
                self.consecutive_failures = 0;
                Ok(())
            }
            Err(error) => self.fail(&target, error),
        }
    }

    /// Reports a change that could not be applied and keeps it for the
    /// next pass. Fails when too many records in a row failed with
    /// transient errors.
    fn fail(&mut self, target: &Target, error: SyncError) -> SyncResult<()> {
        tracing::warn!(entity = %target.entity, id = %target.id, version = target.version, %error, "the change could not be applied");
        self.keep_failure(target, &error);
        self.summary.reported += 1;
        if error.kind() == ErrorKind::Drift {
            self.drift_failures += 1;
        }

        if !error.is_retryable() {
            self.consecutive_failures = 0;
            return Ok(());
        }
        self.consecutive_failures += 1;
        if self.consecutive_failures < self.options.max_consecutive_failures {
            return Ok(());
        }
        Err(SyncError::new(
            error.kind(),
            "sync pass",
            format!(
                "{} records in a row failed with transient errors, the last with: {error}",
                self.consecutive_failures
            ),
        ))
    }

    /// Sends the failure's report, unless the same failure of the same
    /// version was reported before, and records the record as pending.
    fn keep_failure(&mut self, target: &Target, error: &SyncError) {
        let message = error.to_string();
        let retryable = error.is_report_retryable();
        let already_reported = self
            .engine
            .state
            .pending_record(&target.entity, &target.id)
            .is_some_and(|p| p.reported && p.version == target.version && p.error == message);
        let reported = already_reported || self.report(target, &message, retryable);
        let pending = PendingRecord {
            version: target.version,
            error: message,
            retryable,
            reported,
        };
        self.engine
            .state
            .mark_pending(&target.entity, &target.id, pending);
    }

    /// Sends a sync report, and returns whether the SaaS accepted it.
    fn report(&mut self, target: &Target, message: &str, retryable: bool) -> bool {
        let report = SyncReport {
            entity: target.entity.clone(),
            id: target.id.clone(),
            error: message.to_owned(),
            retryable,
        };
        match self.engine.saas.report(&report) {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(entity = %target.entity, id = %target.id, %error, "the sync report failed; it is sent again on the next pass");
                false
            }
        }
    }

    fn rank(&self, entity: &str) -> usize {
        self.order
            .iter()
            .position(|e| e == entity)
            .unwrap_or(self.order.len())
    }

    fn collect_counters(&mut self) {
        self.summary.writes = self.engine.odoo.writes();
        self.summary.retries =
            self.engine.odoo.retries() + self.engine.saas.retries() + self.engine.retries();
    }

    /// Returns the summary, or the drift error when drift left nothing to
    /// do.
    fn finish(&mut self) -> SyncResult<PassSummary> {
        let summary = self.summary.clone();
        tracing::info!(
            changes = summary.changes,
            applied = summary.applied,
            skipped = summary.skipped,
            reported = summary.reported,
            retried = summary.retried,
            writes = summary.writes,
            retries = summary.retries,
            "sync pass finished"
        );
        let blocked_everything = self.engine.schema.blocks_everything(self.spec);
        let nothing_applied = self.drift_failures > 0 && summary.applied == 0;
        if blocked_everything || nothing_applied {
            return Err(SyncError::new(
                ErrorKind::Drift,
                "sync pass",
                format!(
                    "the live Odoo schema no longer fits the spec, so nothing could be synced: {}",
                    summary.drift.join("; ")
                ),
            ));
        }
        Ok(summary)
    }
}
