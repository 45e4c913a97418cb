//! The fake SaaS's state: current records, the change feed and the error
//! reports, apart from HTTP so the runner and the checks use it directly.
//!
//! Every create, update and delete bumps the record's version and appends
//! one change with the record's full state at that version. A replay
//! appends an existing version again, which is how scenarios deliver a
//! change twice or out of order.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::entity::Entity;

/// One record as the SaaS stores it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub id: String,
    pub version: u64,
    pub deleted: bool,
    /// The full data at `version`; for a deleted record, the data before
    /// the delete.
    pub data: Map<String, Value>,
    /// The data of every version, oldest first, so the checks can tell an
    /// older version from the latest one.
    #[serde(skip)]
    pub history: Vec<Map<String, Value>>,
}

/// `upsert` or `delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Upsert,
    Delete,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub seq: u64,
    pub entity: Entity,
    pub id: String,
    pub op: Op,
    pub version: u64,
    /// Absent for deletes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
}

/// A change the integration reported it could not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub entity: String,
    pub id: String,
    pub error: String,
    pub retryable: bool,
    /// The sync pass that was running, from 1; 0 outside any pass.
    pub pass: usize,
}

/// A SaaS change a scenario asked for that the store cannot apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} {1:?} already exists")]
    Exists(Entity, String),
    #[error("{0} {1:?} does not exist")]
    Missing(Entity, String),
    #[error("{0} {1:?} has no version {2}; its latest is {3}")]
    NoVersion(Entity, String, u64, u64),
}

/// The records, feed and reports of one scenario.
#[derive(Debug, Default, Clone)]
pub struct SaasStore {
    records: BTreeMap<Entity, BTreeMap<String, Record>>,
    changes: Vec<Change>,
    reports: Vec<Report>,
    /// The pass that is running, for reports; 0 between passes.
    pub current_pass: usize,
}

impl SaasStore {
    /// Adds a record at version 1 and publishes it.
    pub fn create(
        &mut self,
        entity: Entity,
        id: &str,
        data: Map<String, Value>,
    ) -> Result<u64, StoreError> {
        let records = self.records.entry(entity).or_default();
        if records.contains_key(id) {
            return Err(StoreError::Exists(entity, id.to_owned()));
        }
        let record = Record {
            id: id.to_owned(),
            version: 1,
            deleted: false,
            data: data.clone(),
            history: vec![data],
        };
        records.insert(id.to_owned(), record);
        Ok(self.publish(entity, id, Op::Upsert))
    }

    /// Merges `set` into a record, bumps its version and publishes it. A
    /// `null` value clears the field.
    pub fn update(
        &mut self,
        entity: Entity,
        id: &str,
        set: &Map<String, Value>,
    ) -> Result<u64, StoreError> {
        let record = self.live_record(entity, id)?;
        for (name, value) in set {
            if value.is_null() {
                record.data.remove(name);
            } else {
                record.data.insert(name.clone(), value.clone());
            }
        }
        record.version += 1;
        let data = record.data.clone();
        record.history.push(data);
        Ok(self.publish(entity, id, Op::Upsert))
    }

    /// Marks a record deleted, bumps its version and publishes the delete.
    pub fn delete(&mut self, entity: Entity, id: &str) -> Result<u64, StoreError> {
        let record = self.live_record(entity, id)?;
        record.deleted = true;
        record.version += 1;
        let data = record.data.clone();
        record.history.push(data);
        Ok(self.publish(entity, id, Op::Delete))
    }

    /// Publishes an existing version of a record again; the latest when
    /// `version` is `None`.
    pub fn replay(
        &mut self,
        entity: Entity,
        id: &str,
        version: Option<u64>,
    ) -> Result<u64, StoreError> {
        let record = self
            .record(entity, id)
            .ok_or_else(|| StoreError::Missing(entity, id.to_owned()))?;
        let latest = record.version;
        let version = version.unwrap_or(latest);
        if version == 0 || version > latest {
            return Err(StoreError::NoVersion(
                entity,
                id.to_owned(),
                version,
                latest,
            ));
        }
        let deleted = record.deleted && version == latest;
        let data = record.history[(version - 1) as usize].clone();
        let seq = self.changes.len() as u64 + 1;
        self.changes.push(Change {
            seq,
            entity,
            id: id.to_owned(),
            op: if deleted { Op::Delete } else { Op::Upsert },
            version,
            data: (!deleted).then_some(data),
        });
        Ok(seq)
    }

    fn live_record(&mut self, entity: Entity, id: &str) -> Result<&mut Record, StoreError> {
        self.records
            .get_mut(&entity)
            .and_then(|records| records.get_mut(id))
            .filter(|record| !record.deleted)
            .ok_or_else(|| StoreError::Missing(entity, id.to_owned()))
    }

    fn publish(&mut self, entity: Entity, id: &str, op: Op) -> u64 {
        let record = self
            .record(entity, id)
            .expect("the record was just written");
        let change = Change {
            seq: self.changes.len() as u64 + 1,
            entity,
            id: id.to_owned(),
            op,
            version: record.version,
            data: (op == Op::Upsert).then(|| record.data.clone()),
        };
        let seq = change.seq;
        self.changes.push(change);
        seq
    }

    pub fn record(&self, entity: Entity, id: &str) -> Option<&Record> {
        self.records.get(&entity)?.get(id)
    }

    /// Returns every record of an entity, deleted ones included, by id.
    pub fn records(&self, entity: Entity) -> impl Iterator<Item = &Record> {
        self.records
            .get(&entity)
            .into_iter()
            .flat_map(|r| r.values())
    }

    /// Returns up to `limit` changes after `after`, in sequence order.
    pub fn changes_after(&self, after: u64, limit: usize) -> &[Change] {
        let start = (after as usize).min(self.changes.len());
        let end = start.saturating_add(limit).min(self.changes.len());
        &self.changes[start..end]
    }

    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    pub fn add_report(&mut self, mut report: Report) {
        report.pass = self.current_pass;
        self.reports.push(report);
    }

    pub fn reports(&self) -> &[Report] {
        &self.reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    #[test]
    fn update_publishes_full_state() {
        let mut store = SaasStore::default();
        store
            .create(
                Entity::Customer,
                "c1",
                data(json!({"name": "Ada", "email": "a@x"})),
            )
            .expect("create");

        store
            .update(Entity::Customer, "c1", &data(json!({"email": "b@x"})))
            .expect("update");

        let change = &store.changes()[1];
        assert_eq!(change.seq, 2);
        assert_eq!(change.version, 2);
        assert_eq!(
            change.data,
            Some(data(json!({"name": "Ada", "email": "b@x"})))
        );
    }

    #[test]
    fn delete_has_no_data_and_blocks_updates() {
        let mut store = SaasStore::default();
        store
            .create(
                Entity::Product,
                "p1",
                data(json!({"sku": "A", "name": "A"})),
            )
            .expect("create");

        store.delete(Entity::Product, "p1").expect("delete");

        assert_eq!(store.changes()[1].op, Op::Delete);
        assert_eq!(store.changes()[1].data, None);
        let error = store
            .update(Entity::Product, "p1", &Map::new())
            .expect_err("deleted");
        assert_eq!(error.to_string(), "product \"p1\" does not exist");
    }

    #[test]
    fn replay_publishes_an_older_version() {
        let mut store = SaasStore::default();
        store
            .create(Entity::Customer, "c1", data(json!({"name": "Ada"})))
            .expect("create");
        store
            .update(Entity::Customer, "c1", &data(json!({"name": "Ada L."})))
            .expect("update");

        store
            .replay(Entity::Customer, "c1", Some(1))
            .expect("replay");

        let replayed = &store.changes()[2];
        assert_eq!(replayed.seq, 3);
        assert_eq!(replayed.version, 1);
        assert_eq!(replayed.data, Some(data(json!({"name": "Ada"}))));
        assert_eq!(
            store.record(Entity::Customer, "c1").map(|r| r.version),
            Some(2)
        );
    }

    #[test]
    fn changes_after_pages() {
        let mut store = SaasStore::default();
        for i in 0..5 {
            store
                .create(
                    Entity::Customer,
                    &format!("c{i}"),
                    data(json!({"name": "x"})),
                )
                .expect("create");
        }
        let seqs = |after, limit| -> Vec<u64> {
            store
                .changes_after(after, limit)
                .iter()
                .map(|c| c.seq)
                .collect()
        };
        assert_eq!(seqs(0, 2), vec![1, 2]);
        assert_eq!(seqs(2, 2), vec![3, 4]);
        assert_eq!(seqs(4, 2), vec![5]);
        assert_eq!(seqs(9, 2), Vec::<u64>::new());
    }
}
