//! The state the checks compare: the expected records derived from the
//! spec, and one snapshot of each Odoo model the spec writes.

use std::collections::{BTreeMap, HashMap};

use odoo_sync::Spec;
use serde_json::Value;

use super::compare::{describe_key, field_type, relation, Resolved};
use super::snapshot::ModelState;
use crate::expected::{self, ExpectedRecord, ExpectedValue, KeyLookup};
use crate::odoo::{OdooReader, ReadError};
use crate::saas::SaasStore;

/// Expected records and the Odoo records to compare them with.
#[derive(Debug, Clone)]
pub struct World {
    pub expected: Vec<ExpectedRecord>,
    /// Snapshots of the entity models and line models, by model name.
    pub models: BTreeMap<String, ModelState>,
    /// Lookups (`res.country` by `code`) resolved once, by
    /// `model/field/value`.
    lookups: HashMap<String, Option<i64>>,
    /// External ids in constants on relational fields, resolved once, by
    /// model and external id.
    external_ids: HashMap<(String, String), Option<i64>>,
}

impl World {
    /// Derives the expected records and reads the models they live in.
    ///
    /// # Errors
    ///
    /// Returns the error of a read on a model the database does not have.
    pub fn build(odoo: &OdooReader, spec: &Spec, saas: &SaasStore) -> Result<World, ReadError> {
        let expected = expected::derive(spec, saas);
        let mut models = BTreeMap::new();
        for entity_spec in spec.entities.values() {
            let mut wanted: Vec<String> = entity_spec.fields.keys().cloned().collect();
            if let odoo_sync::spec::KeySpec::Field { field, .. } = &entity_spec.key {
                wanted.push(field.clone());
            }
            if let Some(actions) = &entity_spec.actions {
                wanted.extend(actions.done_when.keys().cloned());
            }
            if let Some(lines) = &entity_spec.lines {
                wanted.push(lines.field.clone());
                let line_fields: Vec<String> = lines.fields.keys().cloned().collect();
                let state = ModelState::load(odoo, &lines.model, &line_fields)?;
                models.insert(lines.model.clone(), state);
            }
            let mut state = ModelState::load(odoo, &entity_spec.model, &wanted)?;
            if let odoo_sync::spec::KeySpec::Field { field, .. } = &entity_spec.key {
                state.index_field(field);
            }
            models.insert(entity_spec.model.clone(), state);
        }
        let mut lookups = HashMap::new();
        for value in expected.iter().flat_map(all_values) {
            if let ExpectedValue::Lookup {
                model,
                field,
                value,
            } = value
            {
                let label = lookup_label(model, field, value);
                if let std::collections::hash_map::Entry::Vacant(slot) = lookups.entry(label) {
                    let domain = serde_json::json!([[field, "=", value]]);
                    slot.insert(odoo.search(model, domain, true)?.first().copied());
                }
            }
        }
        let external_ids = resolve_external_ids(odoo, &expected, &models)?;
        Ok(World {
            expected,
            models,
            lookups,
            external_ids,
        })
    }

    /// Resolves the references of an expected value of `field`, a field of
    /// the model in `state`, against the snapshots.
    pub fn resolve(&self, state: &ModelState, field: &str, value: &ExpectedValue) -> Resolved {
        match value {
            ExpectedValue::Literal(value) => Resolved::Literal(value.clone()),
            ExpectedValue::Constant(value) => self.resolve_constant(state, field, value),
            ExpectedValue::Keyed { model, key } => Resolved::Record {
                model: model.clone(),
                id: self
                    .models
                    .get(model)
                    .and_then(|state| state.find(key).first().copied()),
                what: describe_key(key),
            },
            ExpectedValue::Lookup {
                model,
                field,
                value,
            } => Resolved::Record {
                model: model.clone(),
                id: self
                    .lookups
                    .get(&lookup_label(model, field, value))
                    .copied()
                    .flatten(),
                what: format!("{field} = {value}"),
            },
        }
    }

    /// Resolves a constant as the engine does: text on a many2one field
    /// and each text in a list on a many2many field are external ids.
    fn resolve_constant(&self, state: &ModelState, field: &str, value: &Value) -> Resolved {
        let Some(comodel) = relation(&state.fields, field) else {
            return Resolved::Literal(value.clone());
        };
        let id_of = |xmlid: &str| {
            let key = (comodel.to_owned(), xmlid.to_owned());
            self.external_ids.get(&key).copied().flatten()
        };
        match (field_type(&state.fields, field), value) {
            ("many2one", Value::String(xmlid)) if !xmlid.is_empty() => Resolved::Record {
                model: comodel.to_owned(),
                id: id_of(xmlid),
                what: xmlid.clone(),
            },
            ("many2many", Value::Array(items)) => {
                // An external id that Odoo lacks stays text, so it matches
                // no id.
                let ids = items
                    .iter()
                    .map(|item| match item {
                        Value::String(xmlid) => id_of(xmlid).map_or(item.clone(), Value::from),
                        other => other.clone(),
                    })
                    .collect();
                Resolved::Literal(Value::Array(ids))
            }
            _ => Resolved::Literal(value.clone()),
        }
    }

    pub fn model(&self, name: &str) -> &ModelState {
        self.models
            .get(name)
            .expect("every model the spec names was read when the world was built")
    }
}

/// Resolves the external ids named by constants on the relational fields
/// of the snapshot models, each once.
fn resolve_external_ids(
    odoo: &OdooReader,
    expected: &[ExpectedRecord],
    models: &BTreeMap<String, ModelState>,
) -> Result<HashMap<(String, String), Option<i64>>, ReadError> {
    let mut resolved = HashMap::new();
    for (state, field, value) in expected.iter().flat_map(|r| constants(r, models)) {
        let Some(comodel) = relation(&state.fields, field) else {
            continue;
        };
        let texts = match value {
            Value::String(text) => vec![text.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for xmlid in texts {
            let key = (comodel.to_owned(), xmlid.to_owned());
            if resolved.contains_key(&key) {
                continue;
            }
            let id = match xmlid.split_once('.') {
                Some((module, name)) => {
                    let lookup = KeyLookup::ExternalId {
                        module: module.to_owned(),
                        name: name.to_owned(),
                    };
                    odoo.find(comodel, &lookup)?.first().copied()
                }
                None => None,
            };
            resolved.insert(key, id);
        }
    }
    Ok(resolved)
}

/// Returns the constants of a record and of its lines, each with the
/// snapshot of its model and its field name.
fn constants<'a>(
    record: &'a ExpectedRecord,
    models: &'a BTreeMap<String, ModelState>,
) -> Vec<(&'a ModelState, &'a str, &'a Value)> {
    let mut found = Vec::new();
    let mut collect = |model: &str, fields: &'a indexmap::IndexMap<String, ExpectedValue>| {
        let Some(state) = models.get(model) else {
            return;
        };
        for (field, value) in fields {
            if let ExpectedValue::Constant(value) = value {
                found.push((state, field.as_str(), value));
            }
        }
    };
    collect(&record.model, &record.fields);
    if let Some(lines) = &record.lines {
        for line in &lines.lines {
            collect(&lines.model, line);
        }
    }
    found
}

fn lookup_label(model: &str, field: &str, value: &Value) -> String {
    format!("{model}/{field}/{value}")
}

fn all_values(record: &ExpectedRecord) -> impl Iterator<Item = &ExpectedValue> {
    let lines = record
        .lines
        .iter()
        .flat_map(|l| l.lines.iter().flat_map(|f| f.values()));
    record.fields.values().chain(lines)
}
