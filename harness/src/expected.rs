//! The expected Odoo state, derived from the spec and the SaaS data.
//!
//! For each SaaS record, the spec names the Odoo model that stores it, how the
//! integration finds it again (its key) and the value of each mapped
//! field. This module computes that without touching Odoo: values that
//! depend on Odoo records (a many2one to another synced record, a country
//! looked up by code, a constant naming a company by external id) stay
//! symbolic, and the checks resolve them against the emulator. A record the spec cannot map, such as a selection value
//! the value map lacks, is marked with the reason instead.

use indexmap::IndexMap;
use odoo_sync::spec::{DeletePolicy, EntitySpec, FieldMapping, KeySpec, Transform};
use odoo_sync::Spec;
use serde_json::{Map, Value};

use crate::saas::{Entity, Record, SaasStore};

/// The Odoo record that the spec derives from one SaaS record.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedRecord {
    pub entity: Entity,
    pub saas_id: String,
    pub version: u64,
    pub model: String,
    pub key: KeyLookup,
    pub presence: Presence,
    /// Field values of the latest version, by Odoo field name.
    pub fields: IndexMap<String, ExpectedValue>,
    /// The lines of the latest version, when the spec maps lines.
    pub lines: Option<ExpectedLines>,
    /// The reason the spec cannot map the record, when it cannot.
    pub unsyncable: Option<String>,
}

/// The lookup that finds the Odoo record of a SaaS record.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyLookup {
    /// Through `ir.model.data`: `module.name`.
    ExternalId { module: String, name: String },
    /// By a field holding a unique value.
    Field { field: String, value: Value },
}

/// Whether the Odoo record must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// It exists and contains the mapped values.
    Active,
    /// The SaaS record is deleted and the policy archives: no active
    /// record remains (an archived one or none at all).
    Archived,
    /// The SaaS record is deleted and the policy unlinks: no record
    /// remains.
    Absent,
}

/// An expected field value.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedValue {
    /// This value; `null` means empty, which Odoo reads as `False`.
    Literal(Value),
    /// A many2one to the Odoo record of another synced record.
    Keyed { model: String, key: KeyLookup },
    /// A many2one to the record of `model` whose `field` equals `value`.
    Lookup {
        model: String,
        field: String,
        value: Value,
    },
    /// A constant or default from the spec. On a many2one field the engine
    /// reads text as an external id (`base.main_company`), and on a
    /// many2many field each text of a list. The checks therefore resolve
    /// it by the field's type. On other fields it is this value.
    Constant(Value),
}

/// The expected lines of a record, such as an order's.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedLines {
    /// The one2many field on the parent.
    pub field: String,
    pub model: String,
    pub lines: Vec<IndexMap<String, ExpectedValue>>,
}

/// Derives the expected record of every SaaS record of every entity the
/// spec maps, in entity then id order.
pub fn derive(spec: &Spec, store: &SaasStore) -> Vec<ExpectedRecord> {
    let mut expected = Vec::new();
    for entity in crate::saas::entity::ALL {
        let Some(entity_spec) = spec.entities.get(entity.as_str()) else {
            continue;
        };
        for record in store.records(entity) {
            expected.push(derive_record(spec, store, entity, entity_spec, record));
        }
    }
    expected
}

/// Derives the expected record of one SaaS record.
pub fn derive_record(
    spec: &Spec,
    store: &SaasStore,
    entity: Entity,
    entity_spec: &EntitySpec,
    record: &Record,
) -> ExpectedRecord {
    let key = own_key(spec, entity_spec, &record.id, &record.data);
    let presence = match (record.deleted, entity_spec.delete) {
        (false, _) => Presence::Active,
        (true, DeletePolicy::Archive) => Presence::Archived,
        (true, DeletePolicy::Unlink) => Presence::Absent,
    };
    let mapped = map_version(spec, store, entity_spec, &record.data);
    let (fields, lines, unsyncable) = match mapped {
        Ok((fields, lines)) => (fields, lines, None),
        Err(reason) => (IndexMap::new(), None, Some(reason)),
    };
    ExpectedRecord {
        entity,
        saas_id: record.id.clone(),
        version: record.version,
        model: entity_spec.model.clone(),
        key,
        presence,
        fields,
        lines,
        unsyncable: unsyncable.filter(|_| presence == Presence::Active),
    }
}

/// The mapped fields and lines of one version of a record's data.
pub type MappedVersion = (IndexMap<String, ExpectedValue>, Option<ExpectedLines>);

/// Maps one version of a record's data through the entity's spec.
///
/// # Errors
///
/// Returns why the data cannot be mapped.
pub fn map_version(
    spec: &Spec,
    store: &SaasStore,
    entity_spec: &EntitySpec,
    data: &Map<String, Value>,
) -> Result<MappedVersion, String> {
    let mut fields = map_fields(spec, store, &entity_spec.fields, data)?;
    if let Some(actions) = &entity_spec.actions {
        let trigger = data.get(&actions.from).and_then(Value::as_str);
        if trigger.is_some_and(|value| actions.call.contains_key(value)) {
            for (field, value) in &actions.done_when {
                fields.insert(field.clone(), ExpectedValue::Literal(value.clone()));
            }
        }
    }
    let lines = match &entity_spec.lines {
        None => None,
        Some(lines_spec) => {
            let source = data.get(&lines_spec.from).and_then(Value::as_array);
            let mut lines = Vec::new();
            for line in source.into_iter().flatten() {
                let line = line.as_object().cloned().unwrap_or_default();
                lines.push(map_fields(spec, store, &lines_spec.fields, &line)?);
            }
            Some(ExpectedLines {
                field: lines_spec.field.clone(),
                model: lines_spec.model.clone(),
                lines,
            })
        }
    };
    Ok((fields, lines))
}

fn map_fields(
    spec: &Spec,
    store: &SaasStore,
    mappings: &IndexMap<String, FieldMapping>,
    data: &Map<String, Value>,
) -> Result<IndexMap<String, ExpectedValue>, String> {
    let mut fields = IndexMap::new();
    for (field, mapping) in mappings {
        let value = map_field(spec, store, field, mapping, data)?;
        fields.insert(field.clone(), value);
    }
    Ok(fields)
}

fn map_field(
    spec: &Spec,
    store: &SaasStore,
    field: &str,
    mapping: &FieldMapping,
    data: &Map<String, Value>,
) -> Result<ExpectedValue, String> {
    let raw = mapping
        .from
        .as_ref()
        .and_then(|from| data.get(from))
        .filter(|value| !is_empty(value));
    let fallback = || match &mapping.default {
        Some(default) => ExpectedValue::Constant(default.clone()),
        None => ExpectedValue::Literal(Value::Null),
    };
    let Some(raw) = raw else {
        return Ok(match &mapping.transform {
            Some(Transform::Constant(value)) => ExpectedValue::Constant(value.clone()),
            _ => fallback(),
        });
    };
    match &mapping.transform {
        None => Ok(ExpectedValue::Literal(raw.clone())),
        Some(Transform::Constant(value)) => Ok(ExpectedValue::Constant(value.clone())),
        Some(Transform::Map(map)) => {
            let key = scalar_text(raw);
            map.get(&key)
                .cloned()
                .map(ExpectedValue::Literal)
                .ok_or_else(|| {
                    format!("the value {raw} for {field} has no entry in the spec's value map")
                })
        }
        Some(Transform::Lookup { model, field: by }) => Ok(ExpectedValue::Lookup {
            model: model.clone(),
            field: by.clone(),
            value: raw.clone(),
        }),
        Some(Transform::Ref(target)) => reference(spec, store, target, raw),
    }
}

/// Resolves a reference to another entity's record by its key value. The
/// SaaS must still have a live record with that key, or a deleted one that
/// the spec archives: its Odoo record remains, archived, and Odoo lets a
/// many2one point to an archived record.
fn reference(
    spec: &Spec,
    store: &SaasStore,
    target: &str,
    raw: &Value,
) -> Result<ExpectedValue, String> {
    let target_spec = spec
        .entities
        .get(target)
        .ok_or_else(|| format!("the spec does not map {target}"))?;
    let entity = Entity::parse(target).ok_or_else(|| format!("unknown entity {target}"))?;
    let key_value = scalar_text(raw);
    let has_key =
        |record: &&Record| key_value_of(target_spec, &record.id, &record.data) == key_value;
    let live = store
        .records(entity)
        .filter(has_key)
        .find(|record| !record.deleted);
    let found = match live {
        Some(record) => Some(record),
        None if target_spec.delete == DeletePolicy::Archive => store.records(entity).find(has_key),
        None => None,
    };
    let Some(found) = found else {
        return Err(format!(
            "it refers to {target} {key_value:?}, which the SaaS does not have"
        ));
    };
    Ok(ExpectedValue::Keyed {
        model: target_spec.model.clone(),
        key: own_key(spec, target_spec, &found.id, &found.data),
    })
}

/// Returns the value an entity's key is made from: the SaaS id, or the
/// SaaS field the key strategy names.
fn key_value_of(entity_spec: &EntitySpec, id: &str, data: &Map<String, Value>) -> String {
    match &entity_spec.key {
        KeySpec::ExternalId { .. } | KeySpec::Field { from: None, .. } => id.to_owned(),
        KeySpec::Field {
            from: Some(from), ..
        } => data.get(from).map(scalar_text).unwrap_or_default(),
    }
}

fn own_key(
    spec: &Spec,
    entity_spec: &EntitySpec,
    id: &str,
    data: &Map<String, Value>,
) -> KeyLookup {
    let value = key_value_of(entity_spec, id, data);
    match &entity_spec.key {
        KeySpec::ExternalId { prefix } => KeyLookup::ExternalId {
            module: spec.module.clone(),
            name: format!("{prefix}{value}"),
        },
        KeySpec::Field { field, .. } => KeyLookup::Field {
            field: field.clone(),
            value: Value::String(value),
        },
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// Writes a scalar as the text a value map or key compares: strings bare,
/// other values as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
