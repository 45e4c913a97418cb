//! The live schema check that starts every pass: `fields_get` on each
//! model the spec maps, compared with what the spec needs.
//!
//! Each mismatch becomes a [`Drift`] that names the model, the field and
//! what the spec needs, and a [`DriftScope`] that defines which changes
//! it blocks:
//!
//! * a missing model, a missing mapped field, a field whose type no longer
//!   fits its transform, or a lines field that is no longer a one2many
//!   blocks every change of the entity;
//! * a required field that the spec does not fill and that Odoo has no
//!   default for blocks creations only, since a write that leaves the
//!   field alone still succeeds;
//! * a model without `active` blocks deletions under the archive policy;
//! * a selection value that the spec maps to but the field no longer
//!   allows blocks only the records whose value maps to it. The mapping
//!   checks each record's value against the live selection, so this drift
//!   is listed here for the report and enforced per record.
//!
//! The pass reports every change that a drift blocks to the SaaS with
//! `retryable: false` and goes on with the rest (see [`crate::pass`]).
//!
//! A field that the integration user may not read is left out of
//! `fields_get` by Odoo, so it shows up here as missing.

mod check;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::Spec;

pub use check::check;

/// One field as `fields_get` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    /// Odoo's field type, such as `char` or `many2one`.
    pub field_type: String,
    pub label: String,
    pub required: bool,
    pub readonly: bool,
    /// The comodel of a relational field.
    pub relation: Option<String>,
    /// The keys of a selection field, in order.
    pub selection: Option<Vec<String>>,
    /// The fields a computed field depends on, empty for a plain field.
    pub depends: Vec<String>,
}

impl FieldInfo {
    fn from_description(name: &str, description: &Value) -> Self {
        let text = |key: &str| {
            description
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let flag = |key: &str| {
            description
                .get(key)
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let selection = description
            .get("selection")
            .and_then(Value::as_array)
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|pair| pair.get(0).and_then(Value::as_str).map(str::to_owned))
                    .collect()
            });
        let depends = description
            .get("depends")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        FieldInfo {
            name: name.to_owned(),
            field_type: text("type").unwrap_or_default(),
            label: text("string").unwrap_or_else(|| name.to_owned()),
            required: flag("required"),
            readonly: flag("readonly"),
            relation: text("relation").filter(|r| !r.is_empty()),
            selection,
            depends,
        }
    }

    /// Tells whether the field links to several records.
    pub fn is_x2many(&self) -> bool {
        self.field_type == "one2many" || self.field_type == "many2many"
    }
}

/// One model's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelSchema {
    pub name: String,
    pub fields: BTreeMap<String, FieldInfo>,
}

impl ModelSchema {
    /// Builds a model's schema from a `fields_get` result.
    pub fn from_fields_get(name: &str, fields: &serde_json::Map<String, Value>) -> Self {
        ModelSchema {
            name: name.to_owned(),
            fields: fields
                .iter()
                .map(|(field, description)| {
                    (
                        field.clone(),
                        FieldInfo::from_description(field, description),
                    )
                })
                .collect(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.get(name)
    }

    /// Tells whether the model can archive records.
    pub fn has_active(&self) -> bool {
        self.fields
            .get("active")
            .is_some_and(|f| f.field_type == "boolean")
    }
}

/// The changes of an entity that a drift blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftScope {
    /// Every change.
    AllChanges,
    /// Changes that would create a record.
    Creates,
    /// Deletions.
    Deletes,
    /// Only records whose value maps to a selection key no longer allowed.
    SomeRecords,
}

/// A mismatch between the live schema and the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub entity: String,
    pub model: String,
    pub field: Option<String>,
    pub scope: DriftScope,
    pub message: String,
}

/// The live schema of every mapped model, and the drifts found.
#[derive(Debug, Clone, Default)]
pub struct SchemaCheck {
    pub models: BTreeMap<String, ModelSchema>,
    pub drifts: Vec<Drift>,
}

impl SchemaCheck {
    /// Returns a model's schema; empty when the model could not be read.
    pub fn model(&self, name: &str) -> ModelSchema {
        self.models
            .get(name)
            .cloned()
            .unwrap_or_else(|| ModelSchema {
                name: name.to_owned(),
                ..ModelSchema::default()
            })
    }

    /// Returns the first drift of `entity` with one of `scopes`.
    pub fn blocking(&self, entity: &str, scopes: &[DriftScope]) -> Option<&Drift> {
        self.drifts
            .iter()
            .find(|d| d.entity == entity && scopes.contains(&d.scope))
    }

    /// Tells whether every entity of the spec is blocked for every change.
    pub fn blocks_everything(&self, spec: &Spec) -> bool {
        !spec.entities.is_empty()
            && spec
                .entities
                .keys()
                .all(|entity| self.blocking(entity, &[DriftScope::AllChanges]).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_info_reads_attributes() {
        let description = json!({
            "type": "selection", "string": "Segment", "required": true, "readonly": false,
            "selection": [["smb", "SMB"], ["ent", "Enterprise"]]
        });
        let info = FieldInfo::from_description("x_studio_segment", &description);
        assert_eq!(info.field_type, "selection");
        assert_eq!(info.label, "Segment");
        assert!(info.required);
        assert_eq!(
            info.selection,
            Some(vec!["smb".to_owned(), "ent".to_owned()])
        );
        assert_eq!(info.relation, None);
        assert!(info.depends.is_empty());
    }

    #[test]
    fn field_info_reads_depends() {
        let description = json!({
            "type": "text", "string": "Description", "required": true, "readonly": false,
            "depends": ["product_id"]
        });
        let info = FieldInfo::from_description("name", &description);
        assert_eq!(info.depends, vec!["product_id".to_owned()]);
    }

    #[test]
    fn has_active_needs_boolean() {
        let schema = ModelSchema::from_fields_get(
            "res.partner",
            json!({"active": {"type": "boolean"}})
                .as_object()
                .expect("an object"),
        );
        assert!(schema.has_active());
        let other = ModelSchema::from_fields_get(
            "x",
            json!({"active": {"type": "char"}})
                .as_object()
                .expect("an object"),
        );
        assert!(!other.has_active());
    }

    #[test]
    fn blocking_filters_by_scope() {
        let check = SchemaCheck {
            models: BTreeMap::new(),
            drifts: vec![Drift {
                entity: "customer".to_owned(),
                model: "res.partner".to_owned(),
                field: Some("x".to_owned()),
                scope: DriftScope::Creates,
                message: "m".to_owned(),
            }],
        };
        assert!(check
            .blocking("customer", &[DriftScope::AllChanges])
            .is_none());
        assert!(check.blocking("customer", &[DriftScope::Creates]).is_some());
        assert!(check.blocking("product", &[DriftScope::Creates]).is_none());
    }
}
