//! Building a [`Schema`] from a chain of profile files: new models, changed
//! fields, automatic fields and `_inherits` delegation, with every
//! reference checked.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::orm::compute;
use crate::orm::schema::{
    Constraint, DefaultValue, Field, FieldMap, FieldType, Model, OnDelete, Schema,
};
use crate::profile::format::{DisplayName, FieldSpec, ModelSpec};
use crate::profile::import::AUTOMATIC_FIELDS;
use crate::profile::load::{locate, Source};
use crate::profile::ProfileError;
use crate::value::Value;

/// Builds the schema of the last profile in the chain.
pub fn build(chain: &[Source]) -> Result<Schema, ProfileError> {
    let mut models: IndexMap<String, Model> = IndexMap::new();
    for source in chain {
        for (name, spec) in &source.file.models {
            let error = |key: &[&str], message: String| {
                let mut path = vec!["models", name.as_str()];
                path.extend_from_slice(key);
                ProfileError::at(&source.origin, locate(&source.text, &path), message)
            };
            let model = models
                .entry(name.clone())
                .or_insert_with(|| new_model(name, spec));
            apply_model_spec(model, spec, &error)?;
        }
    }
    let schema = finish(models);
    let last = chain.last().expect("a chain has at least one profile");
    let at = |path: &[&str], message: String| {
        let source = chain
            .iter()
            .rev()
            .find(|s| locate(&s.text, path).is_some())
            .unwrap_or(last);
        ProfileError::at(&source.origin, locate(&source.text, path), message)
    };
    check_references(&schema, &at)?;
    Ok(schema)
}

/// Applies model changes, written as a profile's `models` section, to a
/// live schema: the runtime schema changes of the control API.
pub fn apply_patch(
    schema: &Schema,
    patch: &IndexMap<String, ModelSpec>,
) -> Result<Schema, ProfileError> {
    let mut models: IndexMap<String, Model> = schema
        .models
        .iter()
        .map(|(name, model)| {
            let mut model = (**model).clone();
            model.fields.retain(|_, field| field.delegated.is_none());
            (name.clone(), model)
        })
        .collect();
    for (name, spec) in patch {
        let error = |key: &[&str], message: String| ProfileError {
            path: format!(
                "models.{name}{}",
                key.iter().map(|k| format!(".{k}")).collect::<String>()
            ),
            message,
        };
        let model = models
            .entry(name.clone())
            .or_insert_with(|| new_model(name, spec));
        apply_model_spec(model, spec, &error)?;
    }
    let schema = finish(models);
    let at = |path: &[&str], message: String| ProfileError {
        path: path.join("."),
        message,
    };
    check_references(&schema, &at)?;
    Ok(schema)
}

/// Adds the automatic and delegated fields and freezes the models.
fn finish(mut models: IndexMap<String, Model>) -> Schema {
    for model in models.values_mut() {
        add_automatic_fields(model);
    }
    add_delegated_fields(&mut models);
    Schema {
        models: models.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
    }
}

fn new_model(name: &str, spec: &ModelSpec) -> Model {
    let custom = name.starts_with("x_");
    Model {
        name: name.to_owned(),
        description: spec.description.clone().unwrap_or_else(|| name.to_owned()),
        rec_name: None,
        order: "id".to_owned(),
        parent_name: "parent_id".to_owned(),
        inherits: IndexMap::new(),
        display_name: DisplayName::RecName,
        fields: FieldMap::default(),
        constraints: Vec::new(),
        reflection: false,
        module: if custom {
            "__custom__".to_owned()
        } else {
            module_of(name)
        },
        manual: custom,
        copy_format: IndexMap::new(),
    }
}

/// Guesses the defining module from the model's prefix, for `ir.model`.
fn module_of(model: &str) -> String {
    match model.split('.').next().unwrap_or("base") {
        "res" | "ir" => "base".to_owned(),
        prefix => prefix.to_owned(),
    }
}

fn apply_model_spec(
    model: &mut Model,
    spec: &ModelSpec,
    error: &dyn Fn(&[&str], String) -> ProfileError,
) -> Result<(), ProfileError> {
    if let Some(description) = &spec.description {
        model.description = description.clone();
    }
    if let Some(rec_name) = &spec.rec_name {
        model.rec_name = Some(rec_name.clone());
    }
    if let Some(order) = &spec.order {
        model.order = order.clone();
    }
    if let Some(parent) = &spec.parent {
        model.parent_name = parent.clone();
    }
    if let Some(kind) = &spec.display_name {
        model.display_name = kind.clone();
    }
    model.inherits.extend(spec.inherits.clone());
    model.reflection |= spec.reflection;
    model.copy_format.extend(spec.copy_format.clone());
    for (name, field_spec) in &spec.fields {
        // Every schema change adds the automatic fields again, so removing
        // one is silently undone, and the ORM relies on their types.
        if AUTOMATIC_FIELDS.contains(&name.as_str()) {
            return Err(error(
                &["fields", name],
                format!(
                    "field {}.{name} is built in, so it cannot be declared, changed or \
                     removed; the built-in fields are {}",
                    model.name,
                    AUTOMATIC_FIELDS.join(", ")
                ),
            ));
        }
        if field_spec.remove {
            // A removal that finds nothing is a misspelt name, which would
            // otherwise leave the field a profile or scenario meant to drop.
            if model.fields.shift_remove(name).is_none() {
                return Err(error(
                    &["fields", name],
                    format!(
                        "field {}.{name} does not exist, so it cannot be removed",
                        model.name
                    ),
                ));
            }
            continue;
        }
        let field = match model.fields.get(name) {
            Some(existing) => change_field(existing, field_spec, &model.name, &|m| {
                error(&["fields", name, m], m.to_owned())
            })?,
            None => {
                new_field(name, field_spec, &model.name).map_err(|m| error(&["fields", name], m))?
            }
        };
        model.fields.insert(name.clone(), Arc::new(field));
    }
    for constraint in &spec.constraints {
        model.constraints.retain(|c| c.name != constraint.name);
        model.constraints.push(Constraint {
            name: constraint.name.clone(),
            fields: constraint.unique.clone(),
            check: constraint.check.clone().map(Value::from),
            message: constraint.message.clone(),
        });
    }
    Ok(())
}

fn new_field(name: &str, spec: &FieldSpec, model: &str) -> Result<Field, String> {
    let Some(type_name) = &spec.field_type else {
        return Err(format!("field {model}.{name} is new, so it needs a `type`"));
    };
    let field_type = FieldType::from_name(type_name).ok_or_else(|| {
        let allowed: Vec<&str> = FieldType::ALL.iter().map(|t| t.name()).collect();
        format!(
            "unknown field type {type_name:?} for {model}.{name}; allowed: {}",
            allowed.join(", ")
        )
    })?;
    let mut field = Field::new(name, field_type, &default_label(name));
    field.manual = name.starts_with("x_");
    field.module = if field.manual {
        "__custom__".to_owned()
    } else {
        module_of(model)
    };
    apply_field_spec(&mut field, spec, model)?;
    Ok(field)
}

/// Odoo's default label: the name without `_id`/`_ids`, words capitalized.
fn default_label(name: &str) -> String {
    let base = name
        .strip_suffix("_ids")
        .or_else(|| name.strip_suffix("_id"))
        .unwrap_or(name);
    base.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn change_field(
    existing: &Field,
    spec: &FieldSpec,
    model: &str,
    error: &dyn Fn(&str) -> ProfileError,
) -> Result<Field, ProfileError> {
    let mut field = existing.clone();
    if let Some(type_name) = &spec.field_type {
        field.field_type = FieldType::from_name(type_name).ok_or_else(|| error("type"))?;
    }
    apply_field_spec(&mut field, spec, model).map_err(|m| ProfileError {
        path: error("type").path,
        message: m,
    })?;
    Ok(field)
}

fn apply_field_spec(field: &mut Field, spec: &FieldSpec, model: &str) -> Result<(), String> {
    macro_rules! copy {
        ($($name:ident),*) => {$(
            if let Some(value) = &spec.$name {
                field.$name = value.clone();
            }
        )*};
    }
    copy!(string, required, readonly, store, index, translate, selection);
    if spec.help.is_some() {
        field.help = spec.help.clone();
    }
    if spec.relation.is_some() {
        field.relation = spec.relation.clone();
    }
    if spec.inverse.is_some() {
        field.inverse = spec.inverse.clone();
    }
    if spec.groups.is_some() {
        field.groups = spec.groups.clone().unwrap_or_default();
    }
    if spec.compute.is_some() {
        field.compute = spec.compute.clone();
        field.store = spec.store.unwrap_or(false);
        field.readonly = spec.readonly.unwrap_or(true);
    }
    if let Some(related) = &spec.related {
        field.related = Some(related.split('.').map(str::to_owned).collect());
        field.store = spec.store.unwrap_or(false);
        field.readonly = spec.readonly.unwrap_or(true);
    }
    if spec.sequence.is_some() {
        field.sequence = spec.sequence.clone();
    }
    field.digits = spec.digits.or(field.digits);
    field.copy = spec.copy.unwrap_or(field.copy);
    field.size = spec.size.or(field.size);
    if let Some(ondelete) = &spec.ondelete {
        field.ondelete = match ondelete.as_str() {
            "set null" => OnDelete::SetNull,
            "restrict" => OnDelete::Restrict,
            "cascade" => OnDelete::Cascade,
            other => {
                return Err(format!(
                    "invalid ondelete {other:?} on {model}.{}: use set null, restrict or cascade",
                    field.name
                ))
            }
        };
    }
    if let Some(added) = &spec.selection_add {
        field
            .selection
            .retain(|(k, _)| !added.iter().any(|(a, _)| a == k));
        field.selection.extend(added.iter().cloned());
    }
    if let Some(removed) = &spec.selection_remove {
        if let Some(missing) = removed
            .iter()
            .find(|key| !field.selection.iter().any(|(k, _)| k == *key))
        {
            let keys: Vec<&str> = field.selection.iter().map(|(k, _)| k.as_str()).collect();
            return Err(format!(
                "{model}.{} has no selection key {missing:?} to remove; its keys are {}",
                field.name,
                keys.join(", ")
            ));
        }
        field.selection.retain(|(k, _)| !removed.contains(k));
    }
    if let Some(default) = &spec.default {
        field.default = Some(parse_default(default).map_err(|expr| {
            format!(
                "invalid default {{expr: {expr}}} on {model}.{}: use now, today, uid, company, \
                 company_currency or user_partner",
                field.name
            )
        })?);
    }
    Ok(())
}

/// Reads a field default: `{expr: name}` for a value computed at create
/// time, anything else as a literal. Returns the unknown text of an
/// `expr` as the error.
fn parse_default(value: &serde_json::Value) -> Result<DefaultValue, String> {
    let Some(expr) = value.get("expr") else {
        return Ok(DefaultValue::Literal(Value::from(value.clone())));
    };
    Ok(match expr.as_str() {
        Some("now") => DefaultValue::Now,
        Some("today") => DefaultValue::Today,
        Some("uid") => DefaultValue::Uid,
        Some("company") => DefaultValue::Company,
        Some("company_currency") => DefaultValue::CompanyCurrency,
        Some("user_partner") => DefaultValue::UserPartner,
        Some(other) => return Err(other.to_owned()),
        None => return Err(expr.to_string()),
    })
}

fn add_automatic_fields(model: &mut Model) {
    let mut automatic = vec![Field::new("id", FieldType::Integer, "ID")];
    let mut display = Field::new("display_name", FieldType::Char, "Display Name");
    display.store = false;
    automatic.push(display);
    for (name, label) in [
        ("create_uid", "Created by"),
        ("write_uid", "Last Updated by"),
    ] {
        let mut field = Field::new(name, FieldType::Many2one, label);
        field.relation = Some("res.users".to_owned());
        automatic.push(field);
    }
    automatic.push(Field::new("create_date", FieldType::Datetime, "Created on"));
    automatic.push(Field::new(
        "write_date",
        FieldType::Datetime,
        "Last Updated on",
    ));
    for mut field in automatic {
        field.automatic = true;
        field.readonly = true;
        field.module = model.module.clone();
        model
            .fields
            .entry(field.name.clone())
            .or_insert_with(|| Arc::new(field));
    }
}

/// Copies each `_inherits` parent's fields onto the child as delegated
/// fields, unless the child defines the name itself.
fn add_delegated_fields(models: &mut IndexMap<String, Model>) {
    let snapshot = models.clone();
    for model in models.values_mut() {
        for (parent, link) in model.inherits.clone() {
            let Some(parent_model) = snapshot.get(&parent) else {
                continue;
            };
            for (name, field) in &parent_model.fields {
                if model.fields.contains_key(name) || field.automatic {
                    continue;
                }
                let mut delegated = (**field).clone();
                delegated.delegated = Some((parent.clone(), link.clone()));
                model.fields.insert(name.clone(), Arc::new(delegated));
            }
        }
    }
}

fn check_references(
    schema: &Schema,
    at: &dyn Fn(&[&str], String) -> ProfileError,
) -> Result<(), ProfileError> {
    for model in schema.models.values() {
        for field in model.fields.values() {
            let path = ["models", model.name.as_str(), "fields", field.name.as_str()];
            check_field(schema, model, field).map_err(|m| at(&path, m))?;
        }
        for (parent, link) in &model.inherits {
            if schema.model(parent).is_none() || !model.has_field(link) {
                return Err(at(
                    &["models", &model.name, "inherits"],
                    format!(
                    "{} inherits {parent} through {link}, but the model or the field is missing",
                    model.name
                ),
                ));
            }
        }
        if let Some(rec_name) = &model.rec_name {
            if !model.has_field(rec_name) {
                return Err(at(
                    &["models", &model.name, "rec_name"],
                    format!("rec_name {rec_name} is not a field of {}", model.name),
                ));
            }
        }
        for constraint in &model.constraints {
            if let Some(missing) = constraint.fields.iter().find(|f| !model.has_field(f)) {
                return Err(at(
                    &["models", &model.name, "constraints"],
                    format!(
                        "constraint {} names {missing}, which is not a field of {}",
                        constraint.name, model.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_field(schema: &Schema, model: &Model, field: &Field) -> Result<(), String> {
    if field.field_type.is_relational() {
        let Some(comodel) = field.relation.as_deref().and_then(|r| schema.model(r)) else {
            return Err(format!(
                "{}.{} is a {} field whose `relation` {:?} is not a model of this profile",
                model.name,
                field.name,
                field.field_type.name(),
                field.relation.as_deref().unwrap_or("")
            ));
        };
        if field.field_type == FieldType::One2many {
            let inverse = field.inverse.as_deref().unwrap_or("");
            if comodel
                .field(inverse)
                .is_none_or(|f| f.field_type != FieldType::Many2one)
            {
                return Err(format!(
                    "{}.{} is a one2many whose `inverse` {inverse:?} is not a many2one of {}",
                    model.name, field.name, comodel.name
                ));
            }
        }
    }
    if field.field_type == FieldType::Selection
        && field.selection.is_empty()
        && field.related.is_none()
        && field.delegated.is_none()
    {
        return Err(format!(
            "{}.{} is a selection field without `selection` values",
            model.name, field.name
        ));
    }
    if let Some(expression) = &field.compute {
        compute::parse(expression).map_err(|e| e.message)?;
        // A display name built from the record's name field must not be
        // that field itself, or computing it would never end.
        let builds_from_self = model.display_name == DisplayName::RecName
            && model.rec_name.as_deref() == Some(&field.name);
        if expression == "display_name" && builds_from_self {
            return Err(format!(
                "{}.{} computes the display name, which {} builds from that same field (rec_name); use a display_name kind such as path",
                model.name, field.name, model.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn default_expressions_parse() {
        let parse = |text: &str| parse_default(&serde_json::from_str(text).expect("JSON"));
        assert_eq!(
            parse(r#"{"expr": "company_currency"}"#),
            Ok(DefaultValue::CompanyCurrency)
        );
        assert_eq!(parse(r#"{"expr": "uid"}"#), Ok(DefaultValue::Uid));
        assert_eq!(
            parse(r#""draft""#),
            Ok(DefaultValue::Literal(Value::from("draft")))
        );
        assert_eq!(parse(r#"{"expr": "tomorrow"}"#), Err("tomorrow".to_owned()));
        assert_eq!(parse(r#"{"expr": 3}"#), Err("3".to_owned()));
    }

    #[test]
    fn unknown_default_expression_is_refused() {
        let text = "name: x\nextends: odoo-17\nmodels:\n  res.partner:\n    fields:\n      \
                    x_since: {type: date, string: Since, default: {expr: tomorrow}}\n";
        let error = Profile::from_yaml("x.yaml", text).expect_err("an unknown expr");
        assert!(
            error.message.contains(
                "invalid default {expr: tomorrow} on res.partner.x_since: use now, today, uid, \
                 company, company_currency or user_partner"
            ),
            "{}",
            error.message
        );
    }
}
