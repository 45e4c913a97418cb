//! One read of every record of a model, archived ones included, with
//! their external ids, so that the checks compare thousands of records in
//! memory instead of one query each.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::expected::KeyLookup;
use crate::odoo::{OdooReader, ReadError};

/// The records of one model at one moment.
#[derive(Debug, Clone)]
pub struct ModelState {
    pub model: String,
    /// `fields_get` of the model.
    pub fields: Map<String, Value>,
    /// Every record by id, with the fields read.
    pub rows: BTreeMap<i64, Map<String, Value>>,
    /// External ids (`module.name`) by record id.
    pub external_ids: HashMap<i64, Vec<String>>,
    /// The records of each external id, the reverse of `external_ids`,
    /// in ascending id order.
    by_external_id: HashMap<String, Vec<i64>>,
    /// The records of each text value of the fields that
    /// [`ModelState::index_field`] indexed, in ascending id order.
    by_field: HashMap<String, HashMap<String, Vec<i64>>>,
}

impl ModelState {
    /// Reads the given fields of every record; fields the model lacks are
    /// skipped, and `active` and `display_name` are always read.
    ///
    /// # Errors
    ///
    /// Returns the error of a read on a model the database does not have.
    pub fn load(odoo: &OdooReader, model: &str, wanted: &[String]) -> Result<Self, ReadError> {
        let fields = odoo.fields(model)?;
        let mut names: Vec<&str> = vec!["display_name"];
        if fields.contains_key("active") {
            names.push("active");
        }
        for name in wanted {
            if fields.contains_key(name) && !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        let ids = odoo.search(model, Value::Array(Vec::new()), true)?;
        let rows: BTreeMap<i64, Map<String, Value>> = odoo
            .read(model, &ids, &names)?
            .into_iter()
            .filter_map(|row| Some((row.get("id")?.as_i64()?, row)))
            .collect();
        let mut external_ids: HashMap<i64, Vec<String>> = HashMap::new();
        let mut by_external_id: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, name) in odoo.all_external_ids(model)? {
            if !rows.contains_key(&id) {
                continue;
            }
            external_ids.entry(id).or_default().push(name.clone());
            by_external_id.entry(name).or_default().push(id);
        }
        for records in by_external_id.values_mut() {
            records.sort_unstable();
            records.dedup();
        }
        Ok(ModelState {
            model: model.to_owned(),
            fields,
            rows,
            external_ids,
            by_external_id,
            by_field: HashMap::new(),
        })
    }

    /// Indexes the records by the text value of a field, so that
    /// [`ModelState::find`] finds a key field's value without a scan.
    pub fn index_field(&mut self, field: &str) {
        let mut index: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, row) in &self.rows {
            if let Some(Value::String(text)) = row.get(field) {
                index.entry(text.clone()).or_default().push(*id);
            }
        }
        self.by_field.insert(field.to_owned(), index);
    }

    /// Returns the ids a key finds, archived records included, in
    /// ascending order.
    pub fn find(&self, key: &KeyLookup) -> Vec<i64> {
        match key {
            KeyLookup::ExternalId { module, name } => self
                .by_external_id
                .get(&format!("{module}.{name}"))
                .cloned()
                .unwrap_or_default(),
            KeyLookup::Field {
                field,
                value: Value::String(text),
            } if self.by_field.contains_key(field) => {
                self.by_field[field].get(text).cloned().unwrap_or_default()
            }
            KeyLookup::Field { field, value } => self
                .rows
                .iter()
                .filter(|(_, row)| row.get(field) == Some(value))
                .map(|(id, _)| *id)
                .collect(),
        }
    }

    /// Tells whether a record is active; records of a model without an
    /// `active` field always are.
    pub fn is_active(&self, id: i64) -> bool {
        self.rows
            .get(&id)
            .and_then(|row| row.get("active"))
            .is_none_or(|active| active.as_bool() != Some(false))
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Describes a record for messages: `res.partner 45 "Ada" (saas.customer_c1)`.
    pub fn describe(&self, id: i64) -> String {
        let name = self
            .rows
            .get(&id)
            .and_then(|row| row.get("display_name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let external = match self.external_ids.get(&id) {
            Some(names) => format!(" ({})", names.join(", ")),
            None => " (no external id)".to_owned(),
        };
        let archived = if self.is_active(id) { "" } else { ", archived" };
        format!("{} {id} {name:?}{external}{archived}", self.model)
    }
}
