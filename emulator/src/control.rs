//! The emulator's control operations, independent of HTTP: reset,
//! snapshots, runtime schema and access changes, the clock, fault rules
//! and the journal.
//!
//! Every database operation takes the database's lock, which a call holds
//! for its whole duration, so a reset or restore is atomic with respect to
//! calls in flight: each database is either fully reset or untouched when
//! a call sees it.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::faults::{Entry, FaultRule, InvalidRule};
use crate::orm::env::{Env, SUPERUSER_ID};
use crate::orm::store::DbState;
use crate::profile::format::{AccessSpec, ModelSpec, RuleSpec};
use crate::service::{Database, Emulator};
use crate::value::Dict;

/// A failed control operation, with a message for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("database {0:?} is not served; see GET /_emulator/health for the list")]
    UnknownDatabase(String),
    #[error("snapshot {0:?} does not exist")]
    UnknownSnapshot(String),
    #[error("fault rule {0} does not exist")]
    UnknownRule(u64),
    #[error("{0}")]
    Invalid(String),
}

impl From<InvalidRule> for ControlError {
    fn from(error: InvalidRule) -> Self {
        ControlError::Invalid(error.to_string())
    }
}

/// Runtime changes to a database's schema and permissions, in the
/// profile's own format.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceChange {
    /// Model changes, as a profile's `models` section writes them.
    #[serde(default)]
    pub models: IndexMap<String, ModelSpec>,
    /// Access rows to add.
    #[serde(default)]
    pub grant: Vec<AccessSpec>,
    /// Access rows to remove: every row of the model (and group, when
    /// given) loses the listed permissions.
    #[serde(default)]
    pub revoke: Vec<AccessSpec>,
    /// Record rules to add.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

impl Emulator {
    fn lookup(&self, name: &str) -> Result<&Database, ControlError> {
        self.databases
            .get(name)
            .map(|d| d.as_ref())
            .ok_or_else(|| ControlError::UnknownDatabase(name.to_owned()))
    }

    fn selected(&self, database: Option<&str>) -> Result<Vec<(&String, &Database)>, ControlError> {
        match database {
            Some(name) => Ok(vec![(
                self.databases
                    .get_key_value(name)
                    .map(|(k, _)| k)
                    .ok_or_else(|| ControlError::UnknownDatabase(name.to_owned()))?,
                self.lookup(name)?,
            )]),
            None => Ok(self
                .databases
                .iter()
                .map(|(k, d)| (k, d.as_ref()))
                .collect()),
        }
    }

    /// Returns one database, or every database, to its profile's seed.
    pub fn reset(&self, database: Option<&str>) -> Result<Vec<String>, ControlError> {
        let mut names = Vec::new();
        for (name, db) in self.selected(database)? {
            *db.state.lock().expect("a database lock is never poisoned") = db.profile.seed.clone();
            names.push(name.clone());
        }
        Ok(names)
    }

    /// Saves the current state of one or every database under a name.
    pub fn save_snapshot(
        &self,
        name: &str,
        database: Option<&str>,
    ) -> Result<Vec<String>, ControlError> {
        let mut saved = BTreeMap::new();
        for (db_name, db) in self.selected(database)? {
            saved.insert(
                db_name.clone(),
                db.state
                    .lock()
                    .expect("a database lock is never poisoned")
                    .clone(),
            );
        }
        let names = saved.keys().cloned().collect();
        self.snapshots
            .lock()
            .expect("the snapshot lock is never poisoned")
            .insert(name.to_owned(), saved);
        Ok(names)
    }

    /// Restores a saved snapshot into the databases it holds.
    pub fn restore_snapshot(&self, name: &str) -> Result<Vec<String>, ControlError> {
        let snapshots = self
            .snapshots
            .lock()
            .expect("the snapshot lock is never poisoned");
        let saved = snapshots
            .get(name)
            .ok_or_else(|| ControlError::UnknownSnapshot(name.to_owned()))?;
        for (db_name, state) in saved {
            *self
                .lookup(db_name)?
                .state
                .lock()
                .expect("a database lock is never poisoned") = state.clone();
        }
        Ok(saved.keys().cloned().collect())
    }

    /// Lists snapshot names with the databases each holds.
    pub fn snapshots(&self) -> BTreeMap<String, Vec<String>> {
        let snapshots = self
            .snapshots
            .lock()
            .expect("the snapshot lock is never poisoned");
        snapshots
            .iter()
            .map(|(name, dbs)| (name.clone(), dbs.keys().cloned().collect()))
            .collect()
    }

    pub fn delete_snapshot(&self, name: &str) -> Result<(), ControlError> {
        let mut snapshots = self
            .snapshots
            .lock()
            .expect("the snapshot lock is never poisoned");
        snapshots
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| ControlError::UnknownSnapshot(name.to_owned()))
    }

    /// Applies runtime schema and access changes to a database, atomically:
    /// an invalid change leaves the database untouched.
    pub fn change_instance(
        &self,
        database: &str,
        change: &InstanceChange,
    ) -> Result<(), ControlError> {
        let db = self.lookup(database)?;
        let mut guard = db.state.lock().expect("a database lock is never poisoned");
        let mut state = guard.clone();
        if !change.models.is_empty() {
            let schema = crate::profile::schema::apply_patch(&state.schema, &change.models)
                .map_err(|e| ControlError::Invalid(e.to_string()))?;
            state.schema = std::sync::Arc::new(schema);
            for name in change.models.keys() {
                state.table_mut(name);
            }
            refresh_reflection(&mut state, db).map_err(ControlError::Invalid)?;
        }
        let now = self.clock.now_text();
        let mut env = Env::new(
            &mut state,
            SUPERUSER_ID,
            Dict::new(),
            now,
            db.profile.version,
        );
        crate::profile::seed::apply_access(&mut env, &change.grant, &change.revoke, &change.rules)
            .map_err(ControlError::Invalid)?;
        *guard = state;
        Ok(())
    }

    /// Installs a fault rule and returns it with its id.
    pub fn add_fault(&self, rule: FaultRule) -> Result<FaultRule, ControlError> {
        Ok(self
            .faults
            .lock()
            .expect("the fault lock is never poisoned")
            .add(rule)?)
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.faults
            .lock()
            .expect("the fault lock is never poisoned")
            .list()
    }

    pub fn delete_fault(&self, id: u64) -> Result<(), ControlError> {
        let removed = self
            .faults
            .lock()
            .expect("the fault lock is never poisoned")
            .remove(id);
        removed.then_some(()).ok_or(ControlError::UnknownRule(id))
    }

    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .expect("the fault lock is never poisoned")
            .clear();
    }

    /// Returns journal entries after a sequence number.
    pub fn journal(&self, after: u64, database: Option<&str>) -> Vec<Entry> {
        self.journal
            .lock()
            .expect("the journal lock is never poisoned")
            .since(after, database)
    }

    pub fn record_call(&self, entry: Entry) -> u64 {
        self.journal
            .lock()
            .expect("the journal lock is never poisoned")
            .record(entry)
    }
}

/// Rebuilds `ir.model` and `ir.model.fields` rows after a schema change,
/// keeping the ids of rows that still describe a model or field.
fn refresh_reflection(state: &mut DbState, db: &Database) -> Result<(), String> {
    let mut env = Env::new(
        state,
        SUPERUSER_ID,
        Dict::new(),
        String::new(),
        db.profile.version,
    );
    env.defer_foreign_keys = true;
    crate::profile::seed::seed_reflection(&mut env).map_err(|e| e.message)?;
    Ok(())
}

/// Tells whether a value is an empty change, for the control API's checks.
pub fn is_empty_change(change: &InstanceChange) -> bool {
    change.models.is_empty()
        && change.grant.is_empty()
        && change.revoke.is_empty()
        && change.rules.is_empty()
}
