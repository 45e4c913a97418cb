//! Reading the emulator's Odoo state for the checks, in-process and as the
//! superuser, so that record rules and access rights never hide a record
//! from the harness and its reads never appear in the call journal.

use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, Value as OdooValue};
use serde_json::{json, Map, Value};

use crate::expected::KeyLookup;

/// The user id that bypasses access rights and record rules.
const SUPERUSER: i64 = 1;

/// One database of a running emulator, read as the superuser.
#[derive(Debug, Clone)]
pub struct OdooReader {
    emulator: Emulator,
    database: String,
}

/// A read that failed: the model or field does not exist, or the domain
/// is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reading {model} failed: {message}")]
pub struct ReadError {
    pub model: String,
    pub message: String,
}

impl OdooReader {
    pub fn new(emulator: Emulator, database: String) -> Self {
        OdooReader { emulator, database }
    }

    fn call(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Value,
    ) -> Result<Value, ReadError> {
        let args = args.into_iter().map(OdooValue::from).collect();
        let kwargs = match OdooValue::from(kwargs) {
            OdooValue::Dict(dict) => dict,
            _ => Dict::default(),
        };
        self.emulator
            .execute(&self.database, SUPERUSER, model, method, args, kwargs)
            .map(|value| Value::from(&value))
            .map_err(|error| ReadError {
                model: model.to_owned(),
                message: error.message,
            })
    }

    /// Returns the ids matching a domain; archived records too when
    /// `include_archived`.
    pub fn search(
        &self,
        model: &str,
        domain: Value,
        include_archived: bool,
    ) -> Result<Vec<i64>, ReadError> {
        let kwargs = json!({"context": {"active_test": !include_archived}, "order": "id"});
        let ids = self.call(model, "search", vec![domain], kwargs)?;
        Ok(ids
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default())
    }

    /// Reads fields of records, in id order.
    pub fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Map<String, Value>>, ReadError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let kwargs = json!({"fields": fields, "context": {"active_test": false}});
        let rows = self.call(model, "read", vec![json!(ids)], kwargs)?;
        Ok(rows
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect())
            .unwrap_or_default())
    }

    /// Returns `fields_get` for a model: type, relation and whether the
    /// field is required, by field name.
    pub fn fields(&self, model: &str) -> Result<Map<String, Value>, ReadError> {
        let kwargs = json!({"attributes": ["type", "relation", "required"]});
        let fields = self.call(model, "fields_get", vec![], kwargs)?;
        Ok(fields.as_object().cloned().unwrap_or_default())
    }

    /// Returns the ids of the records a key finds, archived ones included.
    pub fn find(&self, model: &str, key: &KeyLookup) -> Result<Vec<i64>, ReadError> {
        match key {
            KeyLookup::Field { field, value } => {
                self.search(model, json!([[field, "=", value]]), true)
            }
            KeyLookup::ExternalId { module, name } => {
                let domain = json!([
                    ["module", "=", module],
                    ["name", "=", name],
                    ["model", "=", model]
                ]);
                let ids = self.search("ir.model.data", domain, true)?;
                let rows = self.read("ir.model.data", &ids, &["res_id"])?;
                let targets: Vec<i64> = rows
                    .iter()
                    .filter_map(|r| r.get("res_id")?.as_i64())
                    .collect();
                // An external id can outlive its record after an unlink.
                let existing = self.search(model, json!([["id", "in", targets]]), true)?;
                Ok(existing)
            }
        }
    }

    /// Counts the records matching a domain.
    pub fn count(
        &self,
        model: &str,
        domain: Value,
        include_archived: bool,
    ) -> Result<usize, ReadError> {
        Ok(self.search(model, domain, include_archived)?.len())
    }

    /// Returns every external id (`module.name`) of a model with the
    /// record it points at, including records that no longer exist. One
    /// search by model replaces a search by `res_id in [ids]`, whose cost
    /// grows with the number of ids times the number of external ids.
    pub fn all_external_ids(&self, model: &str) -> Result<Vec<(i64, String)>, ReadError> {
        let domain = json!([["model", "=", model]]);
        let data_ids = self.search("ir.model.data", domain, true)?;
        let rows = self.read("ir.model.data", &data_ids, &["module", "name", "res_id"])?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let res_id = row.get("res_id")?.as_i64()?;
                let module = row.get("module")?.as_str()?;
                let name = row.get("name")?.as_str()?;
                Some((res_id, format!("{module}.{name}")))
            })
            .collect())
    }
}
