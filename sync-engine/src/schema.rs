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

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::rpc::OdooClient;
use crate::spec::{EntitySpec, FieldMapping, KeySpec, Spec, Transform};

/// The `fields_get` attributes read. `digits` is left out because Odoo
/// can return `None` for it, which XML-RPC cannot send.
const ATTRIBUTES: [&str; 6] = [
    "type",
    "string",
    "required",
    "readonly",
    "relation",
    "selection",
];

/// Fields that Odoo adds to every model and fills itself.
const MAGIC_FIELDS: [&str; 7] = [
    "id",
    "display_name",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
    "__last_update",
];

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
        FieldInfo {
            name: name.to_owned(),
            field_type: text("type").unwrap_or_default(),
            label: text("string").unwrap_or_else(|| name.to_owned()),
            required: flag("required"),
            readonly: flag("readonly"),
            relation: text("relation").filter(|r| !r.is_empty()),
            selection,
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

/// Reads the schema of every model the spec maps and lists the drifts.
///
/// # Errors
///
/// Transport failures and faults other than a missing model or a denied
/// read, which the pass cannot go on without.
pub fn check(client: &mut OdooClient, spec: &Spec) -> SyncResult<SchemaCheck> {
    let mut checker = Checker {
        client,
        spec,
        result: SchemaCheck::default(),
        unreadable: BTreeMap::new(),
    };
    for (entity, entity_spec) in &spec.entities {
        checker.check_entity(entity, entity_spec)?;
    }
    for drift in &checker.result.drifts {
        tracing::warn!(entity = %drift.entity, model = %drift.model, field = ?drift.field, "schema drift: {}", drift.message);
    }
    Ok(checker.result)
}

struct Checker<'a> {
    client: &'a mut OdooClient,
    spec: &'a Spec,
    result: SchemaCheck,
    /// Models whose `fields_get` failed, with the reason.
    unreadable: BTreeMap<String, String>,
}

impl Checker<'_> {
    fn drift(
        &mut self,
        entity: &str,
        model: &str,
        field: Option<&str>,
        scope: DriftScope,
        message: String,
    ) {
        self.result.drifts.push(Drift {
            entity: entity.to_owned(),
            model: model.to_owned(),
            field: field.map(str::to_owned),
            scope,
            message,
        });
    }

    /// Fetches a model's schema once; `None` when the model cannot be read.
    fn load_model(&mut self, model: &str) -> SyncResult<Option<ModelSchema>> {
        if let Some(schema) = self.result.models.get(model) {
            return Ok(Some(schema.clone()));
        }
        if self.unreadable.contains_key(model) {
            return Ok(None);
        }
        match self.client.fields_get(model, &ATTRIBUTES) {
            Ok(fields) => {
                let schema = ModelSchema::from_fields_get(model, &fields);
                self.result.models.insert(model.to_owned(), schema.clone());
                Ok(Some(schema))
            }
            Err(error) if is_schema_fault(&error) => {
                self.unreadable
                    .insert(model.to_owned(), error.message().to_owned());
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    fn check_entity(&mut self, entity: &str, spec: &EntitySpec) -> SyncResult<()> {
        let Some(schema) = self.load_model(&spec.model)? else {
            let reason = self
                .unreadable
                .get(&spec.model)
                .cloned()
                .unwrap_or_default();
            let message = format!("cannot read model {}: {reason}", spec.model);
            self.drift(entity, &spec.model, None, DriftScope::AllChanges, message);
            return Ok(());
        };
        if let KeySpec::Field { field, .. } = &spec.key {
            if schema.field(field).is_none() {
                let message = format!(
                    "{} has no field {field}, which the spec uses as the key",
                    spec.model
                );
                self.drift(
                    entity,
                    &spec.model,
                    Some(field),
                    DriftScope::AllChanges,
                    message,
                );
            }
        }
        for (field, mapping) in &spec.fields {
            self.check_mapping(entity, &schema, field, mapping)?;
        }
        let mut filled: BTreeSet<String> = spec.fields.keys().cloned().collect();
        if let Some(lines) = &spec.lines {
            filled.insert(lines.field.clone());
            self.check_lines(entity, spec, &schema)?;
        }
        self.check_required(entity, &schema, &filled, None)?;
        self.check_actions(entity, spec, &schema);
        if spec.delete == crate::spec::DeletePolicy::Archive && !schema.has_active() {
            let message = format!(
                "{} has no boolean field active, so the spec's delete policy archive cannot apply",
                spec.model
            );
            self.drift(
                entity,
                &spec.model,
                Some("active"),
                DriftScope::Deletes,
                message,
            );
        }
        Ok(())
    }

    fn check_lines(
        &mut self,
        entity: &str,
        spec: &EntitySpec,
        schema: &ModelSchema,
    ) -> SyncResult<()> {
        let Some(lines) = &spec.lines else {
            return Ok(());
        };
        match schema.field(&lines.field) {
            None => {
                let message = format!(
                    "{} has no field {}, which the spec fills with the lines of {entity}",
                    spec.model, lines.field
                );
                self.drift(
                    entity,
                    &spec.model,
                    Some(&lines.field),
                    DriftScope::AllChanges,
                    message,
                );
                return Ok(());
            }
            Some(field)
                if field.field_type != "one2many"
                    || field.relation.as_deref() != Some(lines.model.as_str()) =>
            {
                let message = format!(
                    "{}.{} is a {} field to {}, but the spec writes {} lines into it as a one2many",
                    spec.model,
                    lines.field,
                    field.field_type,
                    field.relation.as_deref().unwrap_or("no model"),
                    lines.model
                );
                self.drift(
                    entity,
                    &spec.model,
                    Some(&lines.field),
                    DriftScope::AllChanges,
                    message,
                );
                return Ok(());
            }
            Some(_) => {}
        }
        let Some(line_schema) = self.load_model(&lines.model)? else {
            let reason = self
                .unreadable
                .get(&lines.model)
                .cloned()
                .unwrap_or_default();
            let message = format!("cannot read model {}: {reason}", lines.model);
            self.drift(entity, &lines.model, None, DriftScope::AllChanges, message);
            return Ok(());
        };
        for (field, mapping) in &lines.fields {
            self.check_mapping(entity, &line_schema, field, mapping)?;
        }
        let filled = lines.fields.keys().cloned().collect();
        self.check_required(entity, &line_schema, &filled, Some(&spec.model))
    }

    fn check_mapping(
        &mut self,
        entity: &str,
        schema: &ModelSchema,
        field: &str,
        mapping: &FieldMapping,
    ) -> SyncResult<()> {
        let model = schema.name.clone();
        let Some(info) = schema.field(field).cloned() else {
            let source = match &mapping.from {
                Some(from) => format!("maps from {from}"),
                None => "fills with a constant".to_owned(),
            };
            let message = format!(
                "{model} has no field {field} (or the integration user may not read it), which the spec {source}"
            );
            self.drift(entity, &model, Some(field), DriftScope::AllChanges, message);
            return Ok(());
        };
        match &mapping.transform {
            Some(Transform::Ref(target)) => self.check_ref(entity, &model, &info, target),
            Some(Transform::Lookup {
                model: target,
                field: key,
            }) => self.check_lookup(entity, &model, &info, target, key)?,
            Some(Transform::Map(values)) => {
                let targets: Vec<(String, &Value)> =
                    values.iter().map(|(from, to)| (from.clone(), to)).collect();
                for (from, to) in targets {
                    self.check_selection_value(
                        entity,
                        &model,
                        &info,
                        to,
                        &format!("the value {from:?}"),
                        DriftScope::SomeRecords,
                    );
                }
            }
            Some(Transform::Constant(value)) => {
                self.check_selection_value(
                    entity,
                    &model,
                    &info,
                    value,
                    "a constant",
                    DriftScope::AllChanges,
                );
            }
            None => {}
        }
        if let Some(default) = &mapping.default {
            self.check_selection_value(
                entity,
                &model,
                &info,
                default,
                "its default",
                DriftScope::SomeRecords,
            );
        }
        if info.field_type == "one2many" {
            let message = format!(
                "{model}.{field} is a one2many field: map it as the entity's lines, not as a field"
            );
            self.drift(entity, &model, Some(field), DriftScope::AllChanges, message);
        }
        Ok(())
    }

    fn check_ref(&mut self, entity: &str, model: &str, info: &FieldInfo, target: &str) {
        let target_model = self
            .spec
            .entities
            .get(target)
            .map(|e| e.model.clone())
            .unwrap_or_default();
        let relational = info.field_type == "many2one" || info.field_type == "many2many";
        if !relational || info.relation.as_deref() != Some(target_model.as_str()) {
            let message = format!(
                "{model}.{} is a {} field to {}, but the spec links it to {target} records ({target_model})",
                info.name,
                info.field_type,
                info.relation.as_deref().unwrap_or("no model")
            );
            self.drift(
                entity,
                model,
                Some(&info.name),
                DriftScope::AllChanges,
                message,
            );
        }
    }

    fn check_lookup(
        &mut self,
        entity: &str,
        model: &str,
        info: &FieldInfo,
        target: &str,
        key: &str,
    ) -> SyncResult<()> {
        let relational = info.field_type == "many2one" || info.field_type == "many2many";
        if !relational || info.relation.as_deref() != Some(target) {
            let message = format!(
                "{model}.{} is a {} field to {}, but the spec looks values up in {target}",
                info.name,
                info.field_type,
                info.relation.as_deref().unwrap_or("no model")
            );
            self.drift(
                entity,
                model,
                Some(&info.name),
                DriftScope::AllChanges,
                message,
            );
            return Ok(());
        }
        let has_key = self
            .load_model(target)?
            .is_some_and(|schema| schema.field(key).is_some());
        if !has_key {
            let message = format!(
                "{target} has no readable field {key}, which the spec looks {model}.{} up by",
                info.name
            );
            self.drift(entity, target, Some(key), DriftScope::AllChanges, message);
        }
        Ok(())
    }

    fn check_selection_value(
        &mut self,
        entity: &str,
        model: &str,
        info: &FieldInfo,
        value: &Value,
        source: &str,
        scope: DriftScope,
    ) {
        let (Some(allowed), Some(key)) = (&info.selection, value.as_str()) else {
            return;
        };
        if !allowed.iter().any(|k| k == key) {
            let message = format!(
                "{model}.{} no longer allows {key:?} (allowed: {}), which the spec writes for {source}",
                info.name,
                allowed.join(", ")
            );
            self.drift(entity, model, Some(&info.name), scope, message);
        }
    }

    fn check_actions(&mut self, entity: &str, spec: &EntitySpec, schema: &ModelSchema) {
        let Some(actions) = &spec.actions else {
            return;
        };
        for field in actions.done_when.keys() {
            if schema.field(field).is_none() {
                let message = format!(
                    "{} has no field {field}, which the spec reads to tell whether a business method ran",
                    spec.model
                );
                self.drift(
                    entity,
                    &spec.model,
                    Some(field),
                    DriftScope::AllChanges,
                    message,
                );
            }
        }
    }

    /// Lists required fields that neither the spec nor Odoo's defaults
    /// fill. `parent` is the model whose one2many creates the records, for
    /// lines: their link to it is filled by Odoo.
    fn check_required(
        &mut self,
        entity: &str,
        schema: &ModelSchema,
        filled: &BTreeSet<String>,
        parent: Option<&str>,
    ) -> SyncResult<()> {
        let candidates: Vec<FieldInfo> = schema
            .fields
            .values()
            .filter(|f| f.required && !f.readonly && !f.is_x2many())
            .filter(|f| !filled.contains(&f.name) && !MAGIC_FIELDS.contains(&f.name.as_str()))
            .filter(|f| parent.is_none() || f.relation.as_deref() != parent)
            .cloned()
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = candidates.iter().map(|f| f.name.as_str()).collect();
        let defaults = self.client.default_get(&schema.name, &names)?;
        for field in candidates {
            let has_default = defaults
                .get(&field.name)
                .is_some_and(|v| !v.is_null() && *v != Value::Bool(false));
            if has_default || self.is_delegation(schema, &field)? {
                continue;
            }
            let message = format!(
                "{} requires {} ({}), which the spec does not fill and Odoo has no default for: map it or give it a default",
                schema.name, field.name, field.label
            );
            self.drift(
                entity,
                &schema.name,
                Some(&field.name),
                DriftScope::Creates,
                message,
            );
        }
        Ok(())
    }

    /// Tells whether a required many2one is an `_inherits` link, which
    /// Odoo fills by creating the parent record. `fields_get` does not say
    /// so directly, but such a model shows every field of its parent.
    fn is_delegation(&mut self, schema: &ModelSchema, field: &FieldInfo) -> SyncResult<bool> {
        let Some(parent) = field
            .relation
            .as_deref()
            .filter(|_| field.field_type == "many2one")
        else {
            return Ok(false);
        };
        let Some(parent_schema) = self.load_model(parent)? else {
            return Ok(false);
        };
        let inherited = parent_schema
            .fields
            .keys()
            .filter(|name| !MAGIC_FIELDS.contains(&name.as_str()))
            .all(|name| schema.fields.contains_key(name));
        Ok(inherited && parent_schema.fields.len() > MAGIC_FIELDS.len())
    }
}

/// Tells whether a `fields_get` failure means the model is missing or
/// unreadable, which is drift, rather than a failure of the pass.
fn is_schema_fault(error: &SyncError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Validation | ErrorKind::ServerError | ErrorKind::AccessError
    )
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
