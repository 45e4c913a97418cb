//! Reading the Odoo records of a whole page of changes in a few calls, in
//! place of one search per change.
//!
//! For each entity, one search finds the records of every key in the page
//! (`ir.model.data` by external id, or the model by its key field), and one
//! `read` fetches the fields the upserts compare. `Engine::find` takes a
//! prefetched result once and then forgets it, so a retry after a failure,
//! or any later search in the pass, reads Odoo again. A key that the
//! prefetch cannot settle for sure (a dangling external id, several records
//! with one key, a key field that is not text) is left to the per-record
//! search, which reports it precisely.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::error::SyncResult;
use crate::mapping;
use crate::saas::Operation;
use crate::schema::DriftScope;
use crate::spec::{EntitySpec, KeySpec};

use super::find::Existing;
use super::{upsert, Engine, Target};

impl Engine<'_> {
    /// Reads the existing records of a page's changes ahead of applying
    /// them. A failure here only costs the shortcut: it is logged, and
    /// each change then searches on its own.
    pub fn prefetch(&mut self, targets: &[Target]) {
        self.prefetched.clear();
        let spec = self.spec;
        for (name, entity) in &spec.entities {
            if self
                .schema
                .blocking(name, &[DriftScope::AllChanges])
                .is_some()
            {
                continue;
            }
            let keys = page_keys(&spec.module, name, entity, targets);
            if keys.is_empty() {
                continue;
            }
            if let Err(error) = self.prefetch_entity(entity, &keys) {
                tracing::debug!(entity = %name, %error, "prefetching the page's records failed; searching one by one");
            }
        }
    }

    fn prefetch_entity(&mut self, entity: &EntitySpec, keys: &[String]) -> SyncResult<()> {
        let schema = self.schema.model(&entity.model);
        let fields = upsert::read_fields(entity, &schema);
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let found = match &entity.key {
            KeySpec::ExternalId { .. } => {
                self.prefetch_external_ids(&entity.model, keys, &fields)?
            }
            KeySpec::Field { field, .. } => {
                let text_field = schema
                    .field(field)
                    .is_some_and(|f| f.field_type == "char" || f.field_type == "text");
                if !text_field {
                    return Ok(());
                }
                self.prefetch_by_field(&entity.model, field, keys, &fields)?
            }
        };
        for (key, existing) in found {
            self.prefetched
                .insert((entity.model.clone(), key), existing);
        }
        Ok(())
    }

    /// Returns the result for each external id that is certain: the record,
    /// or `None` when `ir.model.data` does not have the external id.
    fn prefetch_external_ids(
        &mut self,
        model: &str,
        external_ids: &[String],
        fields: &[&str],
    ) -> SyncResult<BTreeMap<String, Option<Existing>>> {
        let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for external_id in external_ids {
            if let Some((module, name)) = external_id.split_once('.') {
                by_module.entry(module).or_default().push(name);
            }
        }
        let mut results = BTreeMap::new();
        for (module, names) in by_module {
            let domain = json!([["module", "=", module], ["name", "in", names]]);
            let rows =
                self.odoo
                    .search_read("ir.model.data", domain, &["name", "model", "res_id"])?;
            let mut targets: BTreeMap<String, i64> = BTreeMap::new();
            for row in &rows {
                let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
                let row_model = row.get("model").and_then(Value::as_str).unwrap_or_default();
                let res_id = row
                    .get("res_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_default();
                if row_model == model {
                    targets.insert(name.to_owned(), res_id);
                }
            }
            let ids: Vec<i64> = targets.values().copied().collect();
            let records = if ids.is_empty() {
                Vec::new()
            } else {
                self.odoo.read(model, &ids, fields)?
            };
            let by_id: BTreeMap<i64, _> = records
                .into_iter()
                .filter_map(|r| Some((r.get("id")?.as_i64()?, r)))
                .collect();
            let listed: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .collect();
            for name in names {
                let external_id = format!("{module}.{name}");
                match targets.get(name) {
                    Some(id) => {
                        if let Some(values) = by_id.get(id) {
                            let existing = Existing {
                                id: *id,
                                values: values.clone(),
                            };
                            results.insert(external_id, Some(existing));
                        }
                    }
                    None if !listed.contains(&name) => {
                        results.insert(external_id, None);
                    }
                    None => {}
                }
            }
        }
        Ok(results)
    }

    /// Returns the result for each key value that at most one record has.
    fn prefetch_by_field(
        &mut self,
        model: &str,
        field: &str,
        keys: &[String],
        fields: &[&str],
    ) -> SyncResult<BTreeMap<String, Option<Existing>>> {
        let mut read: Vec<&str> = fields.to_vec();
        if !read.contains(&field) {
            read.push(field);
        }
        let rows = self
            .odoo
            .search_read(model, json!([[field, "in", keys]]), &read)?;
        let mut matches: BTreeMap<String, Vec<Existing>> = BTreeMap::new();
        for row in rows {
            let Some(key) = row.get(field).and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let id = row.get("id").and_then(Value::as_i64).unwrap_or_default();
            matches
                .entry(key)
                .or_default()
                .push(Existing { id, values: row });
        }
        let mut results = BTreeMap::new();
        for key in keys {
            match matches.remove(key) {
                None => {
                    results.insert(key.clone(), None);
                }
                Some(mut found) if found.len() == 1 => {
                    results.insert(key.clone(), found.pop());
                }
                Some(_) => {}
            }
        }
        Ok(results)
    }
}

/// Lists the key values of an entity's changes in a page.
fn page_keys(
    module: &str,
    entity_name: &str,
    entity: &EntitySpec,
    targets: &[Target],
) -> Vec<String> {
    let mut keys: Vec<String> = targets
        .iter()
        .filter(|t| t.entity == entity_name && t.op == Operation::Upsert)
        .filter_map(|t| mapping::key_value(module, entity, &t.id, t.data.as_ref()).ok())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
