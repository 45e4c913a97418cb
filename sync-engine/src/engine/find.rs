//! Finding Odoo records: by a SaaS record's key, by a `lookup` value, and
//! by a `ref` to another entity, pulling that record from the SaaS when
//! Odoo does not have it yet.

use serde_json::{json, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::mapping::Resolve;
use crate::rpc::Record;
use crate::saas::Operation;
use crate::spec::{EntitySpec, KeySpec};

use super::{Engine, Target, MAX_PULL_DEPTH};

/// An Odoo record found by its key, with the fields read.
#[derive(Debug, Clone)]
pub(super) struct Existing {
    pub id: i64,
    pub values: Record,
}

impl Engine<'_> {
    /// Finds the Odoo record of a key value (an external id, or the key
    /// field's value), archived records included, and reads `fields`.
    pub(super) fn find(
        &mut self,
        entity: &EntitySpec,
        key: &str,
        fields: &[&str],
    ) -> SyncResult<Option<Existing>> {
        let cache_key = (entity.model.clone(), key.to_owned());
        if let Some(prefetched) = self.prefetched.remove(&cache_key) {
            let complete = prefetched.as_ref().is_none_or(|e| {
                fields
                    .iter()
                    .all(|f| *f == "id" || e.values.contains_key(*f))
            });
            if complete {
                return Ok(prefetched);
            }
        }
        match &entity.key {
            KeySpec::ExternalId { .. } => self.find_by_external_id(&entity.model, key, fields),
            KeySpec::Field { field, .. } => self.find_by_field(&entity.model, field, key, fields),
        }
    }

    fn find_by_external_id(
        &mut self,
        model: &str,
        external_id: &str,
        fields: &[&str],
    ) -> SyncResult<Option<Existing>> {
        let (module, name) = external_id.split_once('.').unwrap_or(("", external_id));
        let domain = json!([["module", "=", module], ["name", "=", name]]);
        let rows = self
            .odoo
            .search_read("ir.model.data", domain, &["model", "res_id"])?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let row_model = row.get("model").and_then(Value::as_str).unwrap_or_default();
        let res_id = row
            .get("res_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        if row_model != model {
            return Err(SyncError::new(
                ErrorKind::DuplicateKey,
                format!("find {external_id}"),
                format!("the external id belongs to a {row_model} record (id {res_id}), not to {model}: remove or rename it in Odoo"),
            ));
        }
        match self.read_one(model, res_id, fields)? {
            Some(values) => Ok(Some(Existing { id: res_id, values })),
            None => {
                self.remove_dangling_external_id(external_id, model, res_id, &rows)?;
                Ok(None)
            }
        }
    }

    /// Deletes `ir.model.data` rows whose record no longer exists, so that
    /// `load` can register the external id again.
    fn remove_dangling_external_id(
        &mut self,
        external_id: &str,
        model: &str,
        res_id: i64,
        rows: &[Record],
    ) -> SyncResult<()> {
        tracing::warn!(%external_id, %model, res_id, "the external id points to a deleted record; removing it before creating the record again");
        let ids: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect();
        self.odoo.unlink("ir.model.data", &ids)
    }

    /// Reads one record, or `None` when it does not exist. Odoo 17 leaves
    /// missing ids out of `read`; other releases raise `MissingError`.
    fn read_one(&mut self, model: &str, id: i64, fields: &[&str]) -> SyncResult<Option<Record>> {
        match self.odoo.read(model, &[id], fields) {
            Ok(records) => Ok(records.into_iter().next()),
            Err(error) if error.kind() == ErrorKind::RecordMissing => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn find_by_field(
        &mut self,
        model: &str,
        field: &str,
        key: &str,
        fields: &[&str],
    ) -> SyncResult<Option<Existing>> {
        let domain = json!([[field, "=", key]]);
        let mut read: Vec<&str> = fields.to_vec();
        if read.is_empty() {
            read.push("id");
        }
        let mut rows = self.odoo.search_read(model, domain, &read)?;
        match rows.len() {
            0 => Ok(None),
            1 => {
                let values = rows.remove(0);
                let id = values.get("id").and_then(Value::as_i64).unwrap_or_default();
                Ok(Some(Existing { id, values }))
            }
            count => {
                let ids: Vec<String> = rows
                    .iter()
                    .filter_map(|r| r.get("id").map(Value::to_string))
                    .collect();
                Err(SyncError::new(
                    ErrorKind::DuplicateKey,
                    format!("find {model} by {field}"),
                    format!(
                        "{count} {model} records (ids {}) have {field} = {key:?}: merge or delete the duplicates in Odoo",
                        ids.join(", ")
                    ),
                ))
            }
        }
    }

    /// Returns the Odoo id of `entity`'s record with key value `key`,
    /// syncing it from the SaaS first when Odoo does not have it.
    fn resolve_reference(&mut self, entity_name: &str, key: &str) -> SyncResult<i64> {
        let spec = self.spec;
        let Some(entity) = spec.entities.get(entity_name) else {
            return Err(SyncError::new(
                ErrorKind::Mapping,
                format!("resolve {entity_name} {key}"),
                format!("the spec maps no entity {entity_name:?}"),
            ));
        };
        let key_value = match &entity.key {
            KeySpec::ExternalId { prefix } => format!("{}.{prefix}{key}", spec.module),
            KeySpec::Field { .. } => key.to_owned(),
        };
        if let Some(existing) = self.find(entity, &key_value, &["id"])? {
            return Ok(existing.id);
        }
        let keyed_by_id = matches!(
            entity.key,
            KeySpec::ExternalId { .. } | KeySpec::Field { from: None, .. }
        );
        if !keyed_by_id {
            return Err(missing_reference(
                entity_name,
                key,
                format!("Odoo has no {} whose key is {key:?} yet", entity.model),
            ));
        }
        self.pull(entity_name, key)?;
        match self.find(entity, &key_value, &["id"])? {
            Some(existing) => Ok(existing.id),
            None => Err(missing_reference(
                entity_name,
                key,
                "the record was synced but Odoo still does not have it".to_owned(),
            )),
        }
    }

    /// Syncs a referenced record from its current SaaS state.
    fn pull(&mut self, entity: &str, id: &str) -> SyncResult<()> {
        let pair = (entity.to_owned(), id.to_owned());
        if self.pulling.contains(&pair) || self.pulling.len() >= MAX_PULL_DEPTH {
            return Err(missing_reference(
                entity,
                id,
                "the references between records form a cycle or a chain too long to follow"
                    .to_owned(),
            ));
        }
        let current = self.saas.record(entity, id)?;
        let (version, data) = match current {
            Some(record) if !record.deleted && record.data.is_some() => {
                (record.version, record.data)
            }
            Some(_) => {
                return Err(missing_reference(
                    entity,
                    id,
                    "the SaaS reports it deleted".to_owned(),
                ))
            }
            None => {
                return Err(missing_reference(
                    entity,
                    id,
                    "the SaaS does not have it".to_owned(),
                ))
            }
        };
        tracing::info!(%entity, %id, version, "syncing a referenced record first");
        let target = Target {
            entity: entity.to_owned(),
            id: id.to_owned(),
            op: Operation::Upsert,
            version,
            data,
        };
        self.pulling.push(pair);
        let result = self.sync_record(&target);
        self.pulling.pop();
        match result {
            Ok(applied) => {
                self.state.mark_applied(entity, id, applied);
                Ok(())
            }
            Err(error) => Err(missing_reference(
                entity,
                id,
                format!("syncing it first failed: {error}"),
            )),
        }
    }

    fn lookup_value(&mut self, model: &str, field: &str, value: &Value) -> SyncResult<i64> {
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let cache_key = (model.to_owned(), field.to_owned(), text.clone());
        if let Some(id) = self.lookups.get(&cache_key) {
            return Ok(*id);
        }
        let rows = self
            .odoo
            .search_read(model, json!([[field, "=", value]]), &["id"])?;
        let context = format!("look up {model} by {field}");
        let id = match rows.as_slice() {
            [row] => row.get("id").and_then(Value::as_i64).unwrap_or_default(),
            [] => {
                return Err(SyncError::new(
                    ErrorKind::Mapping,
                    context,
                    format!("no {model} has {field} = {text:?}: create it in Odoo or correct the SaaS value"),
                ))
            }
            rows => {
                return Err(SyncError::new(
                    ErrorKind::DuplicateKey,
                    context,
                    format!("{} {model} records have {field} = {text:?}", rows.len()),
                ))
            }
        };
        self.lookups.insert(cache_key, id);
        Ok(id)
    }
}

impl Engine<'_> {
    /// Returns the id behind an external id that the spec names, checking
    /// that it is a `model` record.
    fn resolve_external_id(&mut self, model: &str, external_id: &str) -> SyncResult<i64> {
        let cache_key = (model.to_owned(), external_id.to_owned());
        if let Some(id) = self.external_ids.get(&cache_key) {
            return Ok(*id);
        }
        let context = format!("resolve the external id {external_id}");
        let Some((module, name)) = external_id.split_once('.') else {
            return Err(SyncError::new(
                ErrorKind::Mapping,
                context,
                "an external id has the form module.name",
            ));
        };
        let domain = json!([["module", "=", module], ["name", "=", name]]);
        let rows = self
            .odoo
            .search_read("ir.model.data", domain, &["model", "res_id"])?;
        let found = rows.first().map(|row| {
            let row_model = row.get("model").and_then(Value::as_str).unwrap_or_default();
            let res_id = row
                .get("res_id")
                .and_then(Value::as_i64)
                .unwrap_or_default();
            (row_model.to_owned(), res_id)
        });
        let id = match found {
            Some((row_model, res_id)) if row_model == model => res_id,
            Some((row_model, _)) => {
                return Err(SyncError::new(
                    ErrorKind::Mapping,
                    context,
                    format!("it names a {row_model} record, but the field needs a {model} record"),
                ))
            }
            None => {
                return Err(SyncError::new(
                    ErrorKind::Mapping,
                    context,
                    "Odoo has no such external id: correct the spec",
                ))
            }
        };
        self.external_ids.insert(cache_key, id);
        Ok(id)
    }
}

fn missing_reference(entity: &str, id: &str, reason: String) -> SyncError {
    SyncError::new(
        ErrorKind::MissingReference,
        format!("resolve {entity} {id}"),
        reason,
    )
}

impl Resolve for Engine<'_> {
    fn resolve_ref(&mut self, entity: &str, key: &str) -> SyncResult<i64> {
        self.resolve_reference(entity, key)
    }

    fn lookup(&mut self, model: &str, field: &str, value: &Value) -> SyncResult<i64> {
        self.lookup_value(model, field, value)
    }

    fn external_id(&mut self, model: &str, external_id: &str) -> SyncResult<i64> {
        self.resolve_external_id(model, external_id)
    }
}
