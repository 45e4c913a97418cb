//! The state the checks compare: the expected records derived from the
//! spec, and one snapshot of each Odoo model the spec writes.

use std::collections::{BTreeMap, HashMap};

use odoo_sync::Spec;
use serde_json::Value;

use super::compare::{describe_key, Resolved};
use super::snapshot::ModelState;
use crate::expected::{self, ExpectedRecord, ExpectedValue};
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
        Ok(World {
            expected,
            models,
            lookups,
        })
    }

    /// Resolves an expected value's references against the snapshots.
    pub fn resolve(&self, value: &ExpectedValue) -> Resolved {
        match value {
            ExpectedValue::Literal(value) => Resolved::Literal(value.clone()),
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

    pub fn model(&self, name: &str) -> &ModelState {
        self.models
            .get(name)
            .expect("every model the spec names was read when the world was built")
    }
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
