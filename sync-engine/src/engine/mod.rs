//! Applying one SaaS record to Odoo: find its Odoo record by the spec's
//! key, compute the Odoo values, then create, update, archive or delete,
//! and call business methods.
//!
//! # Upserts
//!
//! Every attempt starts by reading Odoo, then writes only what differs.
//! A record that is already in sync costs reads and no write, and a retry
//! after an ambiguous failure (one that may have committed) first reads
//! what the failed call did. The first attempt of each change in a page
//! takes its read from one batch read of the whole page (see `prefetch`).
//! Every later attempt reads Odoo afresh. The way a record is found and created depends
//! on the key strategy:
//!
//! * **External id** (`<module>.<prefix><saas id>` in `ir.model.data`):
//!   the engine searches `ir.model.data` for the external id. To create,
//!   it calls `load` with the external id in the `id` column: Odoo creates
//!   the record and its `ir.model.data` row in one transaction. Creating
//!   the record and then its external id in two calls would leave a record
//!   without its external id when the first call's response is lost, and
//!   the retry would create a duplicate. `load` takes scalar and many2one
//!   columns only, so x2many values and lines follow in a `write`.
//! * **Unique field** (`default_code` holding a SKU, `ref` holding the
//!   SaaS id): the engine searches the model on that field, archived
//!   records included, and creates with a plain `create` that sets the
//!   field, lines included as `(0, 0, values)` commands. Record and key
//!   are created together, so a lost response is found by the next search.
//!
//! When a key read from a SaaS field changes (a product gets a new SKU),
//! the record found under the key value applied last, which the state
//! directory keeps, is updated and gets the new key.
//!
//! Archived records count: an upsert of an archived record (archive
//! delete policy, `active` not mapped) sets `active` back to true.
//!
//! # Lines
//!
//! Lines are compared in order with the record's current lines: a line
//! that differs is updated with `(1, id, changes)`, extra SaaS lines are
//! added with `(0, 0, values)` and extra Odoo lines deleted with
//! `(2, id, 0)`, all in the parent's `write`.
//!
//! # Business methods
//!
//! A method chosen by the SaaS value of `actions.from` runs once. With
//! `done_when`, the engine reads those fields first and skips the call
//! when they already hold the values, so a retry after an ambiguous
//! failure never runs it twice. Without `done_when`, the state directory
//! records the call. A `cannot marshal None` fault counts as success,
//! because Odoo raises it after the method committed. Any other ambiguous
//! failure without `done_when` is reported as
//! [`ErrorKind::Unverifiable`], since the engine cannot tell whether the
//! method ran, and the method counts as called, so it never runs twice.
//!
//! # References
//!
//! A `ref` to a record that Odoo does not have yet, such as an order's
//! customer whose change failed earlier, pulls that record from the SaaS
//! (`GET /v1/<entity>/<id>`) and syncs it first, when the referenced
//! entity is keyed by the SaaS id.

mod delete;
mod find;
mod prefetch;
mod upsert;

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::retry::Backoff;
use crate::rpc::OdooClient;
use crate::saas::{Operation, SaasClient};
use crate::schema::{DriftScope, SchemaCheck};
use crate::spec::{EntitySpec, Spec};
use crate::state::{AppliedRecord, SyncState};

/// One change to apply: a SaaS record at a version.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub entity: String,
    pub id: String,
    pub op: Operation,
    pub version: u64,
    /// The record's state at `version`; absent for a delete.
    pub data: Option<Map<String, Value>>,
}

impl Target {
    fn label(&self) -> String {
        format!("{} {} version {}", self.entity, self.id, self.version)
    }
}

/// Everything a pass works with, once authenticated and checked.
#[derive(Debug)]
pub struct Engine<'a> {
    pub spec: &'a Spec,
    pub odoo: OdooClient,
    pub saas: SaasClient,
    pub schema: SchemaCheck,
    pub state: SyncState,
    backoff: Backoff,
    /// `lookup` results by model, field and value, for this pass.
    lookups: HashMap<(String, String, String), i64>,
    /// Database ids of the external ids named in the spec, by model and
    /// external id, for this pass.
    external_ids: HashMap<(String, String), i64>,
    /// Records being pulled for a reference, to stop cycles.
    pulling: Vec<(String, String)>,
    /// The current page's records by model and key value, each result
    /// taken once; `None` when Odoo has no record for the key.
    prefetched: HashMap<(String, String), Option<find::Existing>>,
    /// Problems of records that were applied all the same, to report.
    notices: Vec<SyncError>,
}

/// How many references deep the engine pulls records before it gives up.
const MAX_PULL_DEPTH: usize = 4;

impl<'a> Engine<'a> {
    pub fn new(
        spec: &'a Spec,
        odoo: OdooClient,
        saas: SaasClient,
        schema: SchemaCheck,
        state: SyncState,
        backoff: Backoff,
    ) -> Self {
        Engine {
            spec,
            odoo,
            saas,
            schema,
            state,
            backoff,
            lookups: HashMap::new(),
            external_ids: HashMap::new(),
            pulling: Vec::new(),
            prefetched: HashMap::new(),
            notices: Vec::new(),
        }
    }

    /// Takes the problems of the last applied record that the SaaS should
    /// hear about although the record was applied.
    pub fn take_notices(&mut self) -> Vec<SyncError> {
        std::mem::take(&mut self.notices)
    }

    /// Forgets the prefetched records of the page just applied.
    pub fn forget_prefetched(&mut self) {
        self.prefetched.clear();
    }

    /// Returns the number of record-level retries made.
    pub fn retries(&self) -> u64 {
        self.backoff.retries()
    }

    /// Applies a change, re-reading Odoo and trying again after a failure
    /// that may have committed, and returns what to record as applied.
    ///
    /// # Errors
    ///
    /// The last failure, once it is not worth another attempt.
    pub fn sync_record(&mut self, target: &Target) -> SyncResult<AppliedRecord> {
        let label = target.label();
        let mut attempt = 1;
        loop {
            let error = match self.apply_once(target) {
                Ok(applied) => {
                    tracing::debug!("{label}: applied");
                    return Ok(applied);
                }
                Err(error) => error,
            };
            let again = error.may_have_applied() || error.kind() == ErrorKind::RecordMissing;
            if !again {
                return Err(error);
            }
            tracing::info!(%error, "{label}: the last call may have applied; re-reading Odoo before trying again");
            if !self.backoff.wait_before_retry(&label, attempt, &error) {
                return Err(error);
            }
            attempt += 1;
        }
    }

    fn apply_once(&mut self, target: &Target) -> SyncResult<AppliedRecord> {
        let spec = self.spec;
        let entity = spec.entities.get(&target.entity).ok_or_else(|| {
            SyncError::new(
                ErrorKind::Mapping,
                target.label(),
                format!("the spec maps no entity {:?}", target.entity),
            )
        })?;
        match target.op {
            Operation::Upsert => {
                let Some(data) = &target.data else {
                    return Err(SyncError::new(
                        ErrorKind::InvalidResponse,
                        target.label(),
                        "the SaaS sent an upsert without data",
                    ));
                };
                self.upsert(target, entity, data)
            }
            Operation::Delete => self.delete(target, entity),
        }
    }

    /// Fails with the entity's first drift of one of `scopes`.
    fn check_drift(&self, target: &Target, scopes: &[DriftScope]) -> SyncResult<()> {
        match self.schema.blocking(&target.entity, scopes) {
            Some(drift) => Err(SyncError::new(
                ErrorKind::Drift,
                format!("sync {}", target.label()),
                drift.message.clone(),
            )),
            None => Ok(()),
        }
    }

    /// Returns what the state directory keeps for an applied record.
    fn applied_record(
        &self,
        target: &Target,
        entity: &EntitySpec,
        key: Option<String>,
    ) -> AppliedRecord {
        let previous = self.state.applied(&target.entity, &target.id);
        let key = match &entity.key {
            crate::spec::KeySpec::Field { from: Some(_), .. } => {
                key.or_else(|| previous.and_then(|p| p.key.clone()))
            }
            _ => None,
        };
        AppliedRecord {
            version: target.version,
            deleted: target.op == Operation::Delete,
            key,
            actions: previous.map(|p| p.actions.clone()).unwrap_or_default(),
        }
    }
}
