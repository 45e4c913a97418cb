//! The catalog of a `prop` run, read once from the spec: the entities it
//! maps, their Odoo models, the calls a fault can target and the customer
//! drift that applies.

use std::collections::{BTreeMap, BTreeSet};

use odoo_sync::spec::{DeletePolicy, EntitySpec, FieldMapping, Transform};
use odoo_sync::Spec;
use serde_json::Value;

use super::transition::Drift;
use crate::saas::Entity;

/// The entities, models and drift available to generated histories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The entities the spec maps, in contract order.
    pub entities: Vec<Entity>,
    /// The Odoo model of each mapped entity.
    pub models: BTreeMap<Entity, String>,
    /// The entities each entity refers to through `ref` transforms, in its
    /// fields or its lines.
    pub references: BTreeMap<Entity, BTreeSet<Entity>>,
    /// The entities whose deletes unlink the Odoo record.
    pub unlinked: BTreeSet<Entity>,
    /// The ORM methods a fault rule may match on each model.
    pub methods: BTreeMap<String, Vec<String>>,
    /// The selection keys each model's value maps write, by field, which
    /// a customer could remove from the selection.
    pub selection_keys: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// The ORM calls every integration makes on a synced model.
const COMMON_METHODS: &[&str] = &["create", "write", "search", "read", "search_read", "load"];

impl Catalog {
    /// Reads the catalog from an integration spec.
    pub fn from_spec(spec: &Spec) -> Catalog {
        let mut catalog = Catalog {
            entities: Vec::new(),
            models: BTreeMap::new(),
            references: BTreeMap::new(),
            unlinked: BTreeSet::new(),
            methods: BTreeMap::new(),
            selection_keys: BTreeMap::new(),
        };
        for entity in crate::saas::entity::ALL {
            if let Some(entity_spec) = spec.entities.get(entity.as_str()) {
                catalog.add_entity(entity, entity_spec);
            }
        }
        catalog
    }

    fn add_entity(&mut self, entity: Entity, entity_spec: &EntitySpec) {
        let model = entity_spec.model.clone();
        self.entities.push(entity);
        self.models.insert(entity, model.clone());

        let mut mappings: Vec<&FieldMapping> = entity_spec.fields.values().collect();
        if let Some(lines) = &entity_spec.lines {
            mappings.extend(lines.fields.values());
        }
        let references = mappings
            .iter()
            .filter_map(|mapping| match &mapping.transform {
                Some(Transform::Ref(target)) => Entity::parse(target),
                _ => None,
            })
            .collect();
        self.references.insert(entity, references);

        let mut methods: Vec<String> = COMMON_METHODS.iter().map(|m| (*m).to_owned()).collect();
        if entity_spec.delete == DeletePolicy::Unlink {
            self.unlinked.insert(entity);
            methods.push("unlink".into());
        }
        if let Some(actions) = &entity_spec.actions {
            methods.extend(actions.call.values().cloned());
        }
        self.methods.insert(model.clone(), methods);

        for (field, mapping) in &entity_spec.fields {
            let Some(Transform::Map(map)) = &mapping.transform else {
                continue;
            };
            let keys: Vec<String> = map
                .values()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            if !keys.is_empty() {
                self.selection_keys
                    .entry(model.clone())
                    .or_default()
                    .insert(field.clone(), keys);
            }
        }
    }

    /// Lists every drift a history can start, one per model and change.
    pub fn drift_starts(&self) -> Vec<Drift> {
        let mut drifts = Vec::new();
        for (entity, model) in &self.models {
            drifts.push(Drift::RequireField {
                model: model.clone(),
            });
            drifts.push(Drift::RevokeAccess {
                model: model.clone(),
                unlink: self.unlinked.contains(entity),
            });
        }
        for (model, fields) in &self.selection_keys {
            for (field, keys) in fields {
                for key in keys {
                    drifts.push(Drift::RemoveSelection {
                        model: model.clone(),
                        field: field.clone(),
                        key: key.clone(),
                    });
                }
            }
        }
        drifts
    }

    /// Returns the entities whose records drift on `models` can block:
    /// the entities stored in those models and, transitively, the ones
    /// that refer to them.
    pub fn blocked_entities(&self, models: &BTreeSet<String>) -> BTreeSet<Entity> {
        let mut blocked: BTreeSet<Entity> = self
            .models
            .iter()
            .filter(|(_, model)| models.contains(*model))
            .map(|(entity, _)| *entity)
            .collect();
        loop {
            let before = blocked.len();
            for (entity, targets) in &self.references {
                if targets.iter().any(|target| blocked.contains(target)) {
                    blocked.insert(*entity);
                }
            }
            if blocked.len() == before {
                return blocked;
            }
        }
    }
}
