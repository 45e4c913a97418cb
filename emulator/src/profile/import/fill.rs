//! Values the imported profile needs besides the schema: the defaults of
//! added fields, from the server's `default_get`, and the values of the
//! base's records for fields that became required, which `profile check`
//! demands.

use std::collections::{BTreeMap, BTreeSet};

use crate::orm::store::DbState;
use crate::profile::format::{FieldSpec, RecordSpec};
use crate::value::{Dict, Value};

use super::diff::Changes;
use super::rpc::Instance;
use super::snapshot::{leaf, many2one_id, rows, search_read};
use super::ImportError;

/// Field types whose default `default_get` returns as a literal that a
/// profile can hold. Defaults of other types (dates, relations) usually
/// depend on the clock or the user, which a literal would freeze.
const LITERAL_DEFAULT_TYPES: [&str; 8] = [
    "boolean",
    "integer",
    "float",
    "monetary",
    "char",
    "text",
    "html",
    "selection",
];

/// Field types whose values can be copied into seed records.
const COPIED_VALUE_TYPES: [&str; 10] = [
    "integer",
    "float",
    "monetary",
    "char",
    "text",
    "html",
    "selection",
    "date",
    "datetime",
    "many2one",
];

/// Sets the `default` of each added field from the server's `default_get`.
///
/// # Errors
///
/// Returns the first failed call.
pub fn add_defaults(live: &dyn Instance, changes: &mut Changes) -> Result<(), ImportError> {
    for (model, spec) in changes.models.iter_mut() {
        let added: Vec<Value> = spec
            .fields
            .iter()
            .filter(|(_, field)| field.field_type.is_some())
            .map(|(name, _)| Value::from(name.as_str()))
            .collect();
        if added.is_empty() {
            continue;
        }
        let answer = live.execute_kw(
            model,
            "default_get",
            vec![Value::List(added)],
            Dict::default(),
        )?;
        let Value::Dict(defaults) = answer else {
            continue;
        };
        for (name, value) in defaults {
            let Some(field) = spec.fields.get_mut(&name) else {
                continue;
            };
            if let Err(reason) = set_default(field, &value) {
                changes.notes.push(format!(
                    "The default of {model}.{name} is not imported: {reason}."
                ));
            }
        }
    }
    Ok(())
}

fn set_default(field: &mut FieldSpec, value: &Value) -> Result<(), String> {
    // An empty default reads the same as no default.
    if !value.is_truthy() {
        return Ok(());
    }
    let field_type = field.field_type.as_deref().unwrap_or_default();
    if !LITERAL_DEFAULT_TYPES.contains(&field_type) {
        return Err(format!(
            "a {field_type} default such as {} usually depends on the date or the user",
            value.python_repr()
        ));
    }
    if let (Some(selection), Some(key)) = (&field.selection, value.as_str()) {
        if !selection.iter().any(|(k, _)| k == key) {
            return Err(format!(
                "{} is not one of its selection keys",
                value.python_repr()
            ));
        }
    }
    field.default = Some(serde_json::Value::from(value));
    Ok(())
}

/// A required field whose value the base's records lack.
struct RequiredField {
    model: String,
    name: String,
    field_type: String,
    /// The comodel of a many2one.
    relation: String,
    /// The base's records without a value, by id, with their external id.
    records: BTreeMap<i64, Option<String>>,
}

/// Adds, under `records`, the server's values for the base's records that
/// lack a field the server requires, so that the profile loads.
///
/// # Errors
///
/// Returns the first failed call.
pub fn add_required_values(
    live: &dyn Instance,
    base: &DbState,
    changes: &mut Changes,
) -> Result<BTreeMap<String, Vec<RecordSpec>>, ImportError> {
    let mut records: BTreeMap<String, BTreeMap<String, RecordSpec>> = BTreeMap::new();
    for required in required_fields(base, changes) {
        let values = read_values(live, &required, &mut changes.notes)?;
        for (xmlid, value) in values {
            let model_records = records.entry(required.model.clone()).or_default();
            let record = model_records
                .entry(xmlid.clone())
                .or_insert_with(|| RecordSpec {
                    xmlid: Some(xmlid),
                    ..RecordSpec::default()
                });
            record.values.insert(required.name.clone(), value);
        }
    }
    let records = records
        .into_iter()
        .map(|(model, by_xmlid)| (model, by_xmlid.into_values().collect()))
        .collect();
    Ok(records)
}

/// Lists the stored fields that the changes make required, without a
/// default, whose value some of the base's records lack.
fn required_fields(base: &DbState, changes: &mut Changes) -> Vec<RequiredField> {
    let base_xmlids: BTreeMap<(String, i64), String> = base
        .xmlids
        .iter()
        .map(|(xmlid, (model, id))| ((model.clone(), *id), xmlid.clone()))
        .collect();
    let mut found = Vec::new();
    for (model, spec) in &changes.models {
        let Some(table) = base.table(model) else {
            continue;
        };
        for (name, field) in &spec.fields {
            let base_field = base.schema.model(model).and_then(|m| m.field(name));
            let field_type = field
                .field_type
                .clone()
                .or_else(|| base_field.map(|f| f.field_type.name().to_owned()))
                .unwrap_or_default();
            let stored = field
                .store
                .unwrap_or(base_field.is_none_or(|f| f.is_column()));
            if field.required != Some(true) || field.default.is_some() || !stored {
                continue;
            }
            let missing: BTreeMap<i64, Option<String>> = table
                .rows
                .iter()
                .filter(|(_, row)| row.get(name).is_none_or(|v| !v.is_truthy()))
                .map(|(id, _)| (*id, base_xmlids.get(&(model.clone(), *id)).cloned()))
                .collect();
            if missing.is_empty() {
                continue;
            }
            if !COPIED_VALUE_TYPES.contains(&field_type.as_str()) {
                changes.notes.push(format!(
                    "{model}.{name} is required on the server, but the import cannot copy {} \
                     values into the base's records, so `profile check` reports them.",
                    field_type
                ));
                continue;
            }
            let relation = field
                .relation
                .clone()
                .or_else(|| base_field.and_then(|f| f.relation.clone()))
                .unwrap_or_default();
            found.push(RequiredField {
                model: model.clone(),
                name: name.clone(),
                field_type,
                relation,
                records: missing,
            });
        }
    }
    found
}

/// Reads the server's values of one field for the base's records, matched
/// by external id, and returns them by external id.
fn read_values(
    live: &dyn Instance,
    required: &RequiredField,
    notes: &mut Vec<String>,
) -> Result<BTreeMap<String, serde_json::Value>, ImportError> {
    let (model, name) = (&required.model, &required.name);
    let wanted = live_records(live, required, notes)?;
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }

    let ids = wanted.keys().map(|id| Value::Int(*id)).collect();
    let columns = Value::List(vec![Value::from(name.as_str())]);
    let answer = live.execute_kw(
        model,
        "read",
        vec![Value::List(ids), columns],
        Dict::default(),
    )?;
    let mut values = BTreeMap::new();
    let mut targets = BTreeMap::new();
    for row in rows(model, "read", answer)? {
        let id = row.get("id").and_then(Value::as_i64).unwrap_or_default();
        let Some(xmlid) = wanted.get(&id) else {
            continue;
        };
        let value = row.get(name).cloned().unwrap_or_default();
        if required.field_type == "many2one" {
            if let Some(target) = many2one_id(&row, name) {
                targets.insert(xmlid.clone(), target);
                continue;
            }
        }
        if value.is_truthy() || matches!(value, Value::Int(_) | Value::Float(_)) {
            values.insert(xmlid.clone(), serde_json::Value::from(&value));
        } else {
            notes.push(format!(
                "The server's record {xmlid} has no value for the required field \
                 {model}.{name}, so `profile check` reports it."
            ));
        }
    }

    if !targets.is_empty() {
        resolve_targets(live, required, targets, &mut values, notes)?;
    }
    Ok(values)
}

/// Finds the server's ids of the base's records that need a value, by
/// external id, and returns their external ids by server id.
fn live_records(
    live: &dyn Instance,
    required: &RequiredField,
    notes: &mut Vec<String>,
) -> Result<BTreeMap<i64, String>, ImportError> {
    let (model, name) = (&required.model, &required.name);
    let live_ids = external_ids(live, model, None)?;
    let mut wanted = BTreeMap::new();
    for (id, xmlid) in &required.records {
        let live_id = xmlid.as_ref().and_then(|x| live_ids.get(x));
        match (xmlid, live_id) {
            (Some(xmlid), Some(live_id)) => {
                wanted.insert(*live_id, xmlid.clone());
            }
            _ => notes.push(format!(
                "The base's record {model}({id}) needs a value for {model}.{name}, which the \
                 server requires, but it has no external id on the server to read it by."
            )),
        }
    }
    Ok(wanted)
}

/// Writes many2one values as the external ids of their targets, which is
/// how a profile names a record.
fn resolve_targets(
    live: &dyn Instance,
    required: &RequiredField,
    targets: BTreeMap<String, i64>,
    values: &mut BTreeMap<String, serde_json::Value>,
    notes: &mut Vec<String>,
) -> Result<(), ImportError> {
    let field = format!("{}.{}", required.model, required.name);
    let comodel = &required.relation;
    let ids: BTreeSet<i64> = targets.values().copied().collect();
    let by_id: BTreeMap<i64, String> = external_ids(live, comodel, Some(&ids))?
        .into_iter()
        .map(|(xmlid, id)| (id, xmlid))
        .collect();
    for (xmlid, target) in targets {
        match by_id.get(&target) {
            Some(target_xmlid) => {
                values.insert(xmlid, serde_json::Value::from(target_xmlid.as_str()));
            }
            None => notes.push(format!(
                "The server's record {xmlid} points {field} to {comodel}({target}), which has \
                 no external id, so the value is not imported."
            )),
        }
    }
    Ok(())
}

/// Returns the external ids of a model's records on the server, with
/// their record ids, restricted to `ids` when given.
fn external_ids(
    live: &dyn Instance,
    model: &str,
    ids: Option<&BTreeSet<i64>>,
) -> Result<BTreeMap<String, i64>, ImportError> {
    let mut domain = vec![leaf("model", "=", Value::from(model))];
    if let Some(ids) = ids {
        let ids = ids.iter().map(|id| Value::Int(*id)).collect();
        domain.push(leaf("res_id", "in", Value::List(ids)));
    }
    let rows = search_read(live, "ir.model.data", domain, &["module", "name", "res_id"])?;
    let mut xmlids = BTreeMap::new();
    for row in rows {
        let module = row
            .get("module")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
        let id = row
            .get("res_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        xmlids.insert(format!("{module}.{name}"), id);
    }
    Ok(xmlids)
}
