//! What a pass keeps in `SYNC_STATE_DIR` for the next one, in one JSON
//! file, `state.json`:
//!
//! * the cursor: the sequence number of the last change handled;
//! * per SaaS record, the version applied (or deleted), so that a change
//!   older than what Odoo already has is skipped;
//! * per SaaS record whose key is not the SaaS id, the key value, so that
//!   a delete, which carries no data, can still find the Odoo record;
//! * the records whose last change failed, retried at the start of every
//!   pass from the SaaS's current state, and whether the failure has been
//!   reported yet.
//!
//! The file is replaced atomically: written to a temporary file in the
//! same folder, flushed to disk, then renamed over the old one. A pass
//! killed at any point leaves the old state or the new one, never a mix.
//! Only one pass may use a state directory at a time.
//!
//! NOTE: the file holds one entry per SaaS record and is rewritten after
//! every page, which suits feeds of up to some hundred thousand records.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, SyncError, SyncResult};

/// The state file's name inside the state directory.
pub const STATE_FILE: &str = "state.json";
/// The format version written; a newer one is rejected rather than lost.
pub const STATE_FORMAT: u32 = 1;

/// The last change applied to one SaaS record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRecord {
    pub version: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The record's key value when the key strategy reads it from a SaaS
    /// field other than the id, such as a product's SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Business methods called for the record, for specs whose actions
    /// have no `done_when` to check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
}

/// A record whose last change failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRecord {
    /// The version that failed.
    pub version: u64,
    pub error: String,
    pub retryable: bool,
    /// Whether the SaaS accepted the report of this failure.
    pub reported: bool,
}

/// The whole state of a state directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub format: u32,
    /// The sequence number of the last change handled: applied, skipped
    /// as stale, or recorded as pending.
    pub cursor: u64,
    /// Applied versions by entity, then SaaS id.
    #[serde(default)]
    pub applied: BTreeMap<String, BTreeMap<String, AppliedRecord>>,
    /// Failed records by entity, then SaaS id.
    #[serde(default)]
    pub pending: BTreeMap<String, BTreeMap<String, PendingRecord>>,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            format: STATE_FORMAT,
            cursor: 0,
            applied: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }
}

fn state_error(context: String, error: impl std::fmt::Display) -> SyncError {
    SyncError::new(ErrorKind::State, context, error.to_string())
}

impl SyncState {
    /// Reads the state of `dir`, or an empty state when the directory or
    /// the file does not exist yet.
    pub fn load(dir: &Path) -> SyncResult<Self> {
        let path = dir.join(STATE_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SyncState::default())
            }
            Err(error) => return Err(state_error(format!("read {}", path.display()), error)),
        };
        let state: SyncState = serde_json::from_str(&text).map_err(|e| {
            state_error(
                format!("read {}", path.display()),
                format!("{e}: the file is corrupt; delete it to sync from the beginning"),
            )
        })?;
        if state.format > STATE_FORMAT {
            return Err(state_error(
                format!("read {}", path.display()),
                format!(
                    "format {} is newer than this engine's {STATE_FORMAT}: upgrade odoo-sync",
                    state.format
                ),
            ));
        }
        Ok(state)
    }

    /// Writes the state to `dir` atomically, creating the directory if
    /// needed.
    pub fn save(&self, dir: &Path) -> SyncResult<()> {
        let context = || format!("write {}", dir.join(STATE_FILE).display());
        fs::create_dir_all(dir).map_err(|e| state_error(context(), e))?;
        let temporary: PathBuf = dir.join(format!(".{STATE_FILE}.tmp"));
        let text = serde_json::to_vec_pretty(self).map_err(|e| state_error(context(), e))?;
        let mut file = fs::File::create(&temporary).map_err(|e| state_error(context(), e))?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .map_err(|e| state_error(context(), e))?;
        drop(file);
        fs::rename(&temporary, dir.join(STATE_FILE)).map_err(|e| state_error(context(), e))?;
        sync_directory(dir).map_err(|e| state_error(context(), e))
    }

    /// Returns what was last applied to a record.
    pub fn applied(&self, entity: &str, id: &str) -> Option<&AppliedRecord> {
        self.applied.get(entity)?.get(id)
    }

    /// Tells whether `version` is not newer than what Odoo already has.
    pub fn is_stale(&self, entity: &str, id: &str, version: u64) -> bool {
        self.applied(entity, id)
            .is_some_and(|record| record.version >= version)
    }

    /// Records an applied change and clears the record's failure.
    pub fn mark_applied(&mut self, entity: &str, id: &str, record: AppliedRecord) {
        self.applied
            .entry(entity.to_owned())
            .or_default()
            .insert(id.to_owned(), record);
        self.clear_pending(entity, id);
    }

    /// Records a failed change, unless a newer version already failed.
    pub fn mark_pending(&mut self, entity: &str, id: &str, pending: PendingRecord) {
        let records = self.pending.entry(entity.to_owned()).or_default();
        if records.get(id).is_some_and(|p| p.version > pending.version) {
            return;
        }
        records.insert(id.to_owned(), pending);
    }

    /// Returns a record's failure, if its last change failed.
    pub fn pending_record(&self, entity: &str, id: &str) -> Option<&PendingRecord> {
        self.pending.get(entity)?.get(id)
    }

    /// Forgets a record's failure.
    pub fn clear_pending(&mut self, entity: &str, id: &str) {
        if let Some(records) = self.pending.get_mut(entity) {
            records.remove(id);
            if records.is_empty() {
                self.pending.remove(entity);
            }
        }
    }

    /// Lists the failed records as `(entity, id)` pairs.
    pub fn pending_keys(&self) -> Vec<(String, String)> {
        self.pending
            .iter()
            .flat_map(|(entity, records)| records.keys().map(|id| (entity.clone(), id.clone())))
            .collect()
    }
}

/// Flushes the directory entry of a rename to disk.
#[cfg(unix)]
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(version: u64) -> AppliedRecord {
        AppliedRecord {
            version,
            deleted: false,
            key: None,
            actions: Vec::new(),
        }
    }

    fn pending(version: u64) -> PendingRecord {
        PendingRecord {
            version,
            error: "no".to_owned(),
            retryable: false,
            reported: true,
        }
    }

    #[test]
    fn missing_directory_is_empty_state() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let state = SyncState::load(&dir.path().join("absent")).expect("empty state");
        assert_eq!(state, SyncState::default());
        assert_eq!(state.cursor, 0);
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut state = SyncState {
            cursor: 12,
            ..SyncState::default()
        };
        state.mark_applied("customer", "c1", applied(3));
        state.mark_pending("order", "o1", pending(2));
        state.save(dir.path()).expect("saved");
        let loaded = SyncState::load(dir.path()).expect("loaded");
        assert_eq!(loaded, state);
        assert!(!dir.path().join(".state.json.tmp").exists());
    }

    #[test]
    fn save_creates_directory() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let nested = dir.path().join("a/b");
        SyncState::default().save(&nested).expect("saved");
        assert!(nested.join(STATE_FILE).exists());
    }

    #[test]
    fn corrupt_file_is_state_error() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        fs::write(dir.path().join(STATE_FILE), "{\"cursor\": ").expect("written");
        let error = SyncState::load(dir.path()).expect_err("corrupt");
        assert_eq!(error.kind(), ErrorKind::State);
        assert!(error.message().contains("delete it"), "{error}");
    }

    #[test]
    fn newer_format_is_rejected() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        fs::write(
            dir.path().join(STATE_FILE),
            "{\"format\": 99, \"cursor\": 1}",
        )
        .expect("written");
        let error = SyncState::load(dir.path()).expect_err("too new");
        assert!(error.message().contains("upgrade"), "{error}");
    }

    #[test]
    fn stale_versions() {
        let mut state = SyncState::default();
        assert!(!state.is_stale("customer", "c1", 1));
        state.mark_applied("customer", "c1", applied(3));
        assert!(state.is_stale("customer", "c1", 2));
        assert!(state.is_stale("customer", "c1", 3));
        assert!(!state.is_stale("customer", "c1", 4));
        assert!(!state.is_stale("customer", "c2", 1));
    }

    #[test]
    fn applied_clears_pending() {
        let mut state = SyncState::default();
        state.mark_pending("customer", "c1", pending(1));
        assert_eq!(
            state.pending_keys(),
            vec![("customer".to_owned(), "c1".to_owned())]
        );
        state.mark_applied("customer", "c1", applied(2));
        assert!(state.pending_keys().is_empty());
        assert!(state.pending.is_empty());
    }

    #[test]
    fn older_failure_keeps_newer_one() {
        let mut state = SyncState::default();
        state.mark_pending("customer", "c1", pending(3));
        state.mark_pending("customer", "c1", pending(2));
        assert_eq!(
            state.pending_record("customer", "c1").map(|p| p.version),
            Some(3)
        );
    }
}
