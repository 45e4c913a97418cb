//! The emulator's control operations, independent of HTTP: reset,
//! snapshots, runtime schema and access changes, the clock, fault rules
//! and the journal.
//!
//! Every database operation takes the database's lock, which a call holds
//! for its whole duration, so a reset or restore is atomic with respect to
//! calls in flight: each database is either fully reset or untouched when
//! a call reads it.

pub mod state_file;

use std::collections::BTreeMap;
use std::path::Path;

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
    /// A state file could not be written, read or applied.
    #[error("{0}")]
    File(String),
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
        check_snapshot_name(name)?;
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
            state.reindex();
            refresh_reflection(&mut state, db).map_err(ControlError::Invalid)?;
        }
        let now = self.clock.now_text();
        let mut env = Env::new(
            &mut state,
            SUPERUSER_ID,
            Dict::default(),
            now,
            db.profile.version,
        );
        crate::profile::seed::apply_access(&mut env, &change.grant, &change.revoke, &change.rules)
            .map_err(ControlError::Invalid)?;
        if !change.models.is_empty() {
            // A model may have gained a stored display name, or changed a
            // field that one is built from.
            crate::orm::stored_names::refresh_all(&mut env);
        }
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

impl Emulator {
    /// Writes the current state of one or every database, or a saved
    /// snapshot, to a JSON state file. Returns the databases written.
    pub fn export_state(
        &self,
        path: &Path,
        database: Option<&str>,
        snapshot: Option<&str>,
    ) -> Result<Vec<String>, ControlError> {
        let states = match snapshot {
            Some(name) => self.snapshot_states(name, database)?,
            None => self
                .selected(database)?
                .into_iter()
                .map(|(name, db)| {
                    let state = db.state.lock().expect("a database lock is never poisoned");
                    (name.clone(), state.clone())
                })
                .collect(),
        };
        let mut databases = BTreeMap::new();
        for (name, state) in &states {
            let version = self.lookup(name)?.profile.version.to_string();
            databases.insert(name.clone(), state_file::database_data(state, version));
        }
        let file = state_file::StateFile {
            format: state_file::STATE_FILE_FORMAT,
            written_by: format!("odoo-emulator {}", env!("CARGO_PKG_VERSION")),
            databases,
        };
        state_file::write(path, &file).map_err(ControlError::File)?;
        Ok(states.into_keys().collect())
    }

    fn snapshot_states(
        &self,
        name: &str,
        database: Option<&str>,
    ) -> Result<BTreeMap<String, DbState>, ControlError> {
        let snapshots = self
            .snapshots
            .lock()
            .expect("the snapshot lock is never poisoned");
        let saved = snapshots
            .get(name)
            .ok_or_else(|| ControlError::UnknownSnapshot(name.to_owned()))?;
        match database {
            None => Ok(saved.clone()),
            Some(db) => {
                let state = saved.get(db).ok_or_else(|| {
                    ControlError::Invalid(format!(
                        "snapshot {name:?} does not contain database {db:?}"
                    ))
                })?;
                Ok(BTreeMap::from([(db.to_owned(), state.clone())]))
            }
        }
    }

    /// Reads a state file and either restores its databases (when
    /// `save_as` is `None`) or saves them as a snapshot of that name.
    /// Every database of the file is checked before any changes, so a
    /// file that does not fit leaves every database as it was.
    pub fn import_state(
        &self,
        path: &Path,
        save_as: Option<&str>,
    ) -> Result<Vec<String>, ControlError> {
        if let Some(name) = save_as {
            check_snapshot_name(name)?;
        }
        let file = state_file::read(path).map_err(ControlError::File)?;
        let mut restored = BTreeMap::new();
        for (name, data) in &file.databases {
            let db = self.lookup(name)?;
            let version = db.profile.version.to_string();
            if data.odoo_version != version {
                return Err(ControlError::File(format!(
                    "database {name:?} in {} is Odoo {}, but the served one is Odoo {version}",
                    path.display(),
                    data.odoo_version
                )));
            }
            let live = db.state.lock().expect("a database lock is never poisoned");
            let state = state_file::restore_data(&live, data, db.profile.version)
                .map_err(|error| ControlError::File(format!("database {name:?}: {error}")))?;
            restored.insert(name.clone(), state);
        }
        let names: Vec<String> = restored.keys().cloned().collect();
        match save_as {
            Some(snapshot) => {
                self.snapshots
                    .lock()
                    .expect("the snapshot lock is never poisoned")
                    .insert(snapshot.to_owned(), restored);
            }
            None => {
                for (name, state) in restored {
                    *self
                        .lookup(&name)?
                        .state
                        .lock()
                        .expect("a database lock is never poisoned") = state;
                }
            }
        }
        Ok(names)
    }

    /// Returns the login and password of a database's administrator (user
    /// id 2, as in Odoo), when the profile gives that user a password.
    pub fn admin_credentials(&self, database: &str) -> Option<(String, String)> {
        let db = self.databases.get(database)?;
        let state = db.state.lock().expect("a database lock is never poisoned");
        let login = state
            .stored("res.users", ADMIN_UID, "login")?
            .as_str()?
            .to_owned();
        let password = state.credentials.get(&ADMIN_UID)?.password.clone()?;
        Some((login, password))
    }

    /// Returns the number of journal entries dropped because the journal
    /// was full.
    pub fn journal_dropped(&self) -> u64 {
        self.journal
            .lock()
            .expect("the journal lock is never poisoned")
            .dropped()
    }

    /// Removes every journal entry; sequence numbers keep counting.
    pub fn clear_journal(&self) {
        self.journal
            .lock()
            .expect("the journal lock is never poisoned")
            .clear();
    }
}

/// The administrator's user id in every Odoo database (`base.user_admin`).
const ADMIN_UID: i64 = 2;

/// The names that the control API uses as routes under `snapshots/`.
const RESERVED_SNAPSHOT_NAMES: [&str; 2] = ["export", "import"];

/// Checks that a snapshot name can appear in a control API path.
fn check_snapshot_name(name: &str) -> Result<(), ControlError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() || !valid_chars {
        return Err(ControlError::Invalid(format!(
            "invalid snapshot name {name:?}: use letters, digits, '-', '_' and '.'"
        )));
    }
    if RESERVED_SNAPSHOT_NAMES.contains(&name) {
        return Err(ControlError::Invalid(format!(
            "snapshot name {name:?} is reserved for the export and import routes"
        )));
    }
    Ok(())
}

/// Rebuilds `ir.model` and `ir.model.fields` rows after a schema change,
/// keeping the ids of rows that still describe a model or field.
fn refresh_reflection(state: &mut DbState, db: &Database) -> Result<(), String> {
    let mut env = Env::new(
        state,
        SUPERUSER_ID,
        Dict::default(),
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
