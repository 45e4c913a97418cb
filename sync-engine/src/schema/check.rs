//! The checker behind [`super::check`]: `fields_get` on each mapped model,
//! `default_get` for required fields the spec leaves empty, and one
//! [`Drift`] per mismatch.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::rpc::OdooClient;
use crate::spec::{EntitySpec, FieldMapping, KeySpec, Spec, Transform};

use super::{Drift, DriftScope, FieldInfo, ModelSchema, SchemaCheck};

/// The `fields_get` attributes read. `digits` is left out because Odoo
/// can return `None` for it, which XML-RPC cannot send.
const ATTRIBUTES: [&str; 7] = [
    "type",
    "string",
    "required",
    "readonly",
    "relation",
    "selection",
    "depends",
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
        let field = drift.field.as_deref().unwrap_or("(the model)");
        tracing::warn!(entity = %drift.entity, model = %drift.model, field, "schema drift: {}", drift.message);
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
            // A required field that Odoo computes (`depends` lists its
            // inputs), such as an order line's description from Odoo 16
            // on, is filled by Odoo when the spec leaves it out.
            .filter(|f| f.required && !f.readonly && !f.is_x2many() && f.depends.is_empty())
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
