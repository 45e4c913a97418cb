//! Building a database's initial state from a profile: reflection rows,
//! groups, seed records, users, access rows and record rules.
//!
//! Every external id is reserved before any record is written, so records
//! may refer to each other in any order. Foreign keys and required fields
//! are checked once everything is written, and errors name the record.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::orm::business::BusinessMethod;
use crate::orm::env::{Env, SUPERUSER_ID};
use crate::orm::schema::{FieldType, Model, OnDelete, Schema};
use crate::orm::store::{Credentials, DbState};
use crate::orm::{load, stored_names, write};
use crate::profile::load::{locate, Source};
use crate::profile::ProfileError;
use crate::value::{Dict, Value};
use crate::version::Version;

/// The clock reading used while seeding.
pub const SEED_TIME: &str = "2024-01-01 00:00:00";

/// Builds the seed state of the last profile in the chain.
pub fn build(
    chain: &[Source],
    schema: Arc<Schema>,
    version: Version,
) -> Result<DbState, ProfileError> {
    let last = chain.last().expect("a chain has at least one profile");
    let mut state = DbState::new(schema.clone());
    state.methods = Arc::new(methods(chain)?);
    let mut env = Env::new(
        &mut state,
        SUPERUSER_ID,
        Dict::default(),
        SEED_TIME.to_owned(),
        version,
    );
    env.defer_foreign_keys = true;
    let fail = |path: &[&str], message: String| {
        ProfileError::at(&last.origin, locate(&last.text, path), message)
    };
    seed_reflection(&mut env).map_err(|e| fail(&["models"], e.message))?;
    for source in chain {
        let fail = |path: &[&str], message: String| {
            ProfileError::at(&source.origin, locate(&source.text, path), message)
        };
        reserve_xmlids(&mut env, source).map_err(|e| fail(&["records"], e))?;
        seed_groups(&mut env, source).map_err(|e| fail(&["groups"], e))?;
        seed_records(&mut env, source)?;
        seed_users(&mut env, source).map_err(|e| fail(&["users"], e))?;
        seed_access(&mut env, source).map_err(|e| fail(&["access"], e))?;
        seed_rules(&mut env, source).map_err(|e| fail(&["rules"], e))?;
    }
    // Records may name a parent written after them, so the stored names
    // computed while writing can miss the parent's name.
    stored_names::refresh_all(&mut env);
    check_foreign_keys(&state).map_err(|m| ProfileError::at(&last.origin, None, m))?;
    check_required_fields(&state, chain)?;
    Ok(state)
}

/// Checks required fields once every profile of the chain is written, so a
/// profile may make an inherited field required and give the base's
/// records their values by external id. The error names every record
/// that lacks the first such field, so that one run lists all the values
/// to add.
fn check_required_fields(state: &DbState, chain: &[Source]) -> Result<(), ProfileError> {
    for model in state.schema.models.values() {
        let Some(table) = state.table(&model.name) else {
            continue;
        };
        let mut missing = table
            .rows
            .iter()
            .filter_map(|(id, row)| Some((*id, write::missing_required(model, row)?)));
        let Some((first_id, field)) = missing.next() else {
            continue;
        };
        let others: Vec<i64> = missing
            .filter(|(_, other)| other.name == field.name)
            .map(|(id, _)| id)
            .collect();
        let xmlid_of = |id: i64| state.xmlids_of(&model.name, id).into_iter().next();
        let label = |id: i64| xmlid_of(id).unwrap_or_else(|| format!("{}({id})", model.name));
        let path = ["records", model.name.as_str()];
        let first_xmlid = xmlid_of(first_id);
        let source = chain
            .iter()
            .rev()
            .find(|s| {
                first_xmlid
                    .as_ref()
                    .is_some_and(|x| s.text.contains(x.as_str()))
            })
            .unwrap_or_else(|| chain.last().expect("a chain has at least one profile"));
        let fix = "set it in `records` by external id or give the field a `default`";
        let message = if others.is_empty() {
            let record = match first_xmlid {
                Some(xmlid) => format!("record {xmlid} of {}", model.name),
                None => format!("record {}({first_id})", model.name),
            };
            format!(
                "{record}: the required field {} ({}) has no value; {fix}",
                field.name, field.string
            )
        } else {
            let all: Vec<String> = std::iter::once(first_id).chain(others).map(label).collect();
            format!(
                "{} records of {} have no value for the required field {} ({}): {}; {fix}",
                all.len(),
                model.name,
                field.name,
                field.string,
                all.join(", ")
            )
        };
        return Err(ProfileError::at(
            &source.origin,
            locate(&source.text, &path),
            message,
        ));
    }
    Ok(())
}

/// Gives every record and user of a profile its id and external id before
/// any values are written, so references may point forward.
fn reserve_xmlids(env: &mut Env<'_>, source: &Source) -> Result<(), String> {
    let users = source
        .file
        .users
        .iter()
        .map(|u| ("res.users", u.xmlid.as_deref(), u.id));
    let records = source.file.records.iter().flat_map(|(model, records)| {
        records
            .iter()
            .map(move |r| (model.as_str(), r.xmlid.as_deref(), r.id))
    });
    for (model, xmlid, fixed) in users.chain(records) {
        let Some(xmlid) = xmlid else { continue };
        if env.state.xmlid(xmlid).is_some() {
            continue;
        }
        env.model(model).map_err(|e| e.message)?;
        let table = env.state.table_mut(model);
        let id = match fixed {
            Some(id) => {
                table.reserve_id(id);
                id
            }
            None => table.allocate_id(),
        };
        load::register_xmlid(env, xmlid, model, id).map_err(|e| e.message)?;
    }
    Ok(())
}

/// Checks that every many2one of the seed points to an existing record.
fn check_foreign_keys(state: &DbState) -> Result<(), String> {
    for model in state.schema.models.values() {
        for field in model
            .fields
            .values()
            .filter(|f| f.field_type == FieldType::Many2one && f.is_column())
        {
            for (id, row) in state
                .table(&model.name)
                .map(|t| t.rows.clone())
                .unwrap_or_default()
            {
                let Some(target) = row.get(&field.name).and_then(Value::as_i64) else {
                    continue;
                };
                if !state.exists(field.comodel(), target) {
                    return Err(format!(
                        "{}({id}).{} points to {}({target}), which no record of the profile creates",
                        model.name, field.name, field.comodel()
                    ));
                }
            }
        }
    }
    Ok(())
}

fn methods(
    chain: &[Source],
) -> Result<BTreeMap<String, BTreeMap<String, BusinessMethod>>, ProfileError> {
    let mut result: BTreeMap<String, BTreeMap<String, BusinessMethod>> = BTreeMap::new();
    for source in chain {
        for (model, methods) in &source.file.methods {
            for (name, spec) in methods {
                let method = BusinessMethod {
                    requires: spec.requires.clone().map(Value::from),
                    message: spec.message.clone(),
                    sets: spec
                        .sets
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                        .collect(),
                    returns: Value::from(spec.returns.clone()),
                };
                result
                    .entry(model.clone())
                    .or_default()
                    .insert(name.clone(), method);
            }
        }
    }
    Ok(result)
}

/// Creates a record as the superuser with an optional external id, and
/// returns its id; an existing external id updates its record instead.
fn upsert(env: &mut Env<'_>, model: &str, xmlid: Option<&str>, vals: Dict) -> Result<i64, String> {
    upsert_with_id(env, model, xmlid, None, vals)
}

/// Creates or updates a seed record; a record without an external id may
/// still ask for a fixed database id.
fn upsert_with_id(
    env: &mut Env<'_>,
    model: &str,
    xmlid: Option<&str>,
    fixed: Option<i64>,
    vals: Dict,
) -> Result<i64, String> {
    let model = env.model(model).map_err(|e| e.message)?;
    if let (None, Some(id)) = (xmlid, fixed) {
        if env.exists(&model.name, id) {
            return Err(format!("{}({id}) is defined twice", model.name));
        }
        return write::create_with_id(env, &model, Some(id), &vals).map_err(|e| e.message);
    }
    if let Some((_, id)) = xmlid.and_then(|x| env.state.xmlid(x)).cloned() {
        if env.exists(&model.name, id) {
            write::write_one(env, &model, id, &vals).map_err(|e| e.message)?;
        } else {
            write::create_with_id(env, &model, Some(id), &vals).map_err(|e| e.message)?;
        }
        return Ok(id);
    }
    let id = write::create_one(env, &model, &vals).map_err(|e| e.message)?;
    if let Some(xmlid) = xmlid {
        load::register_xmlid(env, xmlid, &model.name, id).map_err(|e| e.message)?;
    }
    Ok(id)
}

pub(crate) fn seed_reflection(env: &mut Env<'_>) -> crate::error::OdooResult<()> {
    if env.state.schema.model("ir.model").is_none() {
        return Ok(());
    }
    let schema = env.state.schema.clone();
    for model in schema.models.values() {
        let xmlid = format!("{}.model_{}", model.module, model.name.replace('.', "_"));
        let mut vals = Dict::default();
        put_if(
            &mut vals,
            env,
            "ir.model",
            "model",
            Value::Str(model.name.clone()),
        );
        put_if(
            &mut vals,
            env,
            "ir.model",
            "name",
            Value::Str(model.description.clone()),
        );
        put_if(
            &mut vals,
            env,
            "ir.model",
            "state",
            Value::Str(if model.manual { "manual" } else { "base" }.into()),
        );
        put_if(
            &mut vals,
            env,
            "ir.model",
            "order",
            Value::Str(model.order.clone()),
        );
        let id =
            upsert(env, "ir.model", Some(&xmlid), vals).map_err(crate::error::OdooError::value)?;
        seed_fields(env, model, id)?;
    }
    Ok(())
}

fn seed_fields(env: &mut Env<'_>, model: &Model, model_id: i64) -> crate::error::OdooResult<()> {
    if env.state.schema.model("ir.model.fields").is_none() {
        return Ok(());
    }
    for field in model.fields.values() {
        let mut vals = Dict::default();
        let entries = [
            ("name", Value::Str(field.name.clone())),
            ("model", Value::Str(model.name.clone())),
            ("model_id", Value::Int(model_id)),
            ("field_description", Value::Str(field.string.clone())),
            ("ttype", Value::Str(field.field_type.name().into())),
            (
                "relation",
                field
                    .relation
                    .clone()
                    .map_or(Value::Bool(false), Value::Str),
            ),
            (
                "relation_field",
                field.inverse.clone().map_or(Value::Bool(false), Value::Str),
            ),
            ("required", Value::Bool(field.required)),
            ("readonly", Value::Bool(field.readonly)),
            ("store", Value::Bool(field.store)),
            ("index", Value::Bool(field.index)),
            ("translate", Value::Bool(field.translate)),
            (
                "help",
                field.help.clone().map_or(Value::Bool(false), Value::Str),
            ),
            ("size", Value::Int(field.size.map_or(0, i64::from))),
            (
                "related",
                field
                    .related
                    .as_ref()
                    .map_or(Value::Bool(false), |path| Value::Str(path.join("."))),
            ),
            (
                "state",
                Value::Str(if field.manual { "manual" } else { "base" }.into()),
            ),
        ];
        for (name, value) in entries {
            put_if(&mut vals, env, "ir.model.fields", name, value);
        }
        // Odoo 17's `_reflect_field_params` (ir_model.py) stores `on_delete`
        // only for fields that have an `ondelete`, which are many2one fields.
        if field.field_type == FieldType::Many2one {
            let on_delete = match field.ondelete {
                OnDelete::SetNull => "set null",
                OnDelete::Restrict => "restrict",
                OnDelete::Cascade => "cascade",
            };
            put_if(
                &mut vals,
                env,
                "ir.model.fields",
                "on_delete",
                Value::Str(on_delete.to_owned()),
            );
        }
        let xmlid = format!(
            "{}.field_{}__{}",
            field.module,
            model.name.replace('.', "_"),
            field.name
        );
        upsert(env, "ir.model.fields", Some(&xmlid), vals)
            .map_err(crate::error::OdooError::value)?;
    }
    Ok(())
}

/// Sets a value only when the reflection model declares the field, so a
/// profile may describe those models with fewer fields.
fn put_if(vals: &mut Dict, env: &Env<'_>, model: &str, field: &str, value: Value) {
    let declared = env
        .state
        .schema
        .model(model)
        .is_some_and(|m| m.has_field(field) && !m.fields[field].automatic);
    let empty = matches!(value, Value::Bool(false));
    if declared
        && !(empty
            && env
                .state
                .schema
                .model(model)
                .is_some_and(|m| m.fields[field].field_type == FieldType::Many2one))
    {
        vals.insert(field.to_owned(), value);
    }
}

fn seed_groups(env: &mut Env<'_>, source: &Source) -> Result<(), String> {
    for group in &source.file.groups {
        let vals = Dict::from_iter([("name".to_owned(), Value::Str(group.name.clone()))]);
        upsert(env, "res.groups", Some(&group.xmlid), vals)?;
    }
    for group in &source.file.groups {
        let implied = resolve_refs(env, &group.implied)?;
        let vals = Dict::from_iter([("implied_ids".to_owned(), set_command(implied))]);
        upsert(env, "res.groups", Some(&group.xmlid), vals)?;
    }
    Ok(())
}

fn set_command(ids: Vec<i64>) -> Value {
    let ids = Value::List(ids.into_iter().map(Value::Int).collect());
    Value::List(vec![Value::List(vec![Value::Int(6), Value::Int(0), ids])])
}

fn resolve_refs(env: &Env<'_>, xmlids: &[String]) -> Result<Vec<i64>, String> {
    xmlids
        .iter()
        .map(|x| {
            env.state
                .xmlid(x)
                .map(|(_, id)| *id)
                .ok_or_else(|| format!("unknown external id {x:?}"))
        })
        .collect()
}

/// Converts a YAML value for a field: strings on relational fields are
/// external ids.
fn resolve_value(
    env: &Env<'_>,
    model: &Model,
    field: &str,
    value: &serde_json::Value,
) -> Result<Value, String> {
    let Some(definition) = model.field(field) else {
        return Err(format!("{} has no field {field}", model.name));
    };
    let reference = |text: &str| {
        env.state
            .xmlid(text)
            .map(|(_, id)| *id)
            .ok_or_else(|| format!("unknown external id {text:?} in {}.{field}", model.name))
    };
    match (definition.field_type, value) {
        (FieldType::Many2one, serde_json::Value::String(text)) => Ok(Value::Int(reference(text)?)),
        (FieldType::Many2many, serde_json::Value::Array(items))
            if items.iter().all(|i| i.is_string() || i.is_i64()) =>
        {
            let ids = items
                .iter()
                .map(|item| match item {
                    serde_json::Value::String(text) => reference(text),
                    other => Ok(other.as_i64().unwrap_or_default()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(set_command(ids))
        }
        (FieldType::One2many, serde_json::Value::Array(lines)) => {
            let comodel = env.model(definition.comodel()).map_err(|e| e.message)?;
            let mut commands = Vec::new();
            for line in lines {
                let serde_json::Value::Object(values) = line else {
                    return Err(format!("{}.{field} lines must be mappings", model.name));
                };
                let mut vals = Dict::default();
                for (key, value) in values {
                    vals.insert(key.clone(), resolve_value(env, &comodel, key, value)?);
                }
                commands.push(Value::List(vec![
                    Value::Int(0),
                    Value::Int(0),
                    Value::Dict(vals),
                ]));
            }
            Ok(Value::List(commands))
        }
        _ => Ok(Value::from(value.clone())),
    }
}

fn seed_records(env: &mut Env<'_>, source: &Source) -> Result<(), ProfileError> {
    for (model_name, records) in &source.file.records {
        for (index, record) in records.iter().enumerate() {
            let label = record
                .xmlid
                .clone()
                .unwrap_or_else(|| format!("#{}", index + 1));
            let fail = |message: String| {
                let location = locate(&source.text, &["records", model_name]);
                ProfileError::at(
                    &source.origin,
                    location,
                    format!("record {label} of {model_name}: {message}"),
                )
            };
            let model = env.model(model_name).map_err(|e| fail(e.message))?;
            let mut vals = Dict::default();
            for (field, value) in &record.values {
                vals.insert(
                    field.clone(),
                    resolve_value(env, &model, field, value).map_err(&fail)?,
                );
            }
            upsert_with_id(env, model_name, record.xmlid.as_deref(), record.id, vals)
                .map_err(fail)?;
        }
    }
    Ok(())
}

fn seed_users(env: &mut Env<'_>, source: &Source) -> Result<(), String> {
    let users = env.model("res.users").map_err(|e| e.message)?;
    for user in &source.file.users {
        let mut vals = Dict::default();
        vals.insert("login".into(), Value::Str(user.login.clone()));
        // A user without a name takes its login, unless it links an
        // existing partner, whose name is then the user's.
        let name = match (&user.name, user.values.contains_key("partner_id")) {
            (Some(name), _) => Some(name.clone()),
            (None, false) => Some(user.login.clone()),
            (None, true) => None,
        };
        if let Some(name) = name {
            vals.insert("name".into(), Value::Str(name));
        }
        if users.has_field("active") {
            vals.insert("active".into(), Value::Bool(user.active));
        } else if !user.active {
            return Err(format!(
                "user {} is inactive, but res.users has no active field",
                user.login
            ));
        }
        let groups = resolve_refs(env, &user.groups)?;
        if users.has_field("groups_id") {
            vals.insert("groups_id".into(), set_command(groups));
        }
        if let Some(company) = &user.company_id {
            vals.insert(
                "company_id".into(),
                resolve_value(env, &users, "company_id", company)?,
            );
        }
        if !user.company_ids.is_empty() {
            let list = serde_json::Value::Array(user.company_ids.clone());
            vals.insert(
                "company_ids".into(),
                resolve_value(env, &users, "company_ids", &list)?,
            );
        }
        for (field, value) in &user.values {
            vals.insert(field.clone(), resolve_value(env, &users, field, value)?);
        }
        let id = upsert_with_id(env, "res.users", user.xmlid.as_deref(), user.id, vals)?;
        let credentials = Credentials {
            password: user.password.clone(),
            api_keys: user.api_keys.clone(),
        };
        env.state.credentials.insert(id, credentials);
    }
    Ok(())
}

fn seed_access(env: &mut Env<'_>, source: &Source) -> Result<(), String> {
    grant_access(env, &source.file.access)
}

/// Adds, revokes and adds rules at run time, as the control API does.
pub(crate) fn apply_access(
    env: &mut Env<'_>,
    grant: &[crate::profile::format::AccessSpec],
    revoke: &[crate::profile::format::AccessSpec],
    rules: &[crate::profile::format::RuleSpec],
) -> Result<(), String> {
    grant_access(env, grant)?;
    revoke_access(env, revoke)?;
    add_rules(env, rules)
}

/// Clears the listed permissions on every access row of the model (and
/// group, when given).
fn revoke_access(
    env: &mut Env<'_>,
    revoke: &[crate::profile::format::AccessSpec],
) -> Result<(), String> {
    let Ok(access) = env.model("ir.model.access") else {
        return Ok(());
    };
    for row in revoke {
        let model_id = model_id(env, &row.model)?;
        let group_id = match &row.group {
            Some(group) => Some(resolve_refs(env, std::slice::from_ref(group))?[0]),
            None => None,
        };
        let mut vals = Dict::default();
        for (wanted, column) in [
            (row.read, "perm_read"),
            (row.write, "perm_write"),
            (row.create, "perm_create"),
            (row.unlink, "perm_unlink"),
        ] {
            if wanted {
                vals.insert(column.to_owned(), Value::Bool(false));
            }
        }
        let targets: Vec<i64> = env
            .all_ids("ir.model.access")
            .into_iter()
            .filter(|id| env.get_by_name(&access, *id, "model_id").as_i64() == Some(model_id))
            .filter(|id| {
                group_id
                    .is_none_or(|g| env.get_by_name(&access, *id, "group_id").as_i64() == Some(g))
            })
            .collect();
        for id in targets {
            write::write_one(env, &access, id, &vals).map_err(|e| e.message)?;
        }
    }
    Ok(())
}

fn grant_access(
    env: &mut Env<'_>,
    rows: &[crate::profile::format::AccessSpec],
) -> Result<(), String> {
    if env.state.schema.model("ir.model.access").is_none() {
        return Ok(());
    }
    for (index, row) in rows.iter().enumerate() {
        let model_id = model_id(env, &row.model)?;
        let mut vals =
            Dict::from_iter([
                (
                    "name".to_owned(),
                    Value::Str(row.name.clone().unwrap_or_else(|| {
                        format!("access_{}_{index}", row.model.replace('.', "_"))
                    })),
                ),
                ("model_id".to_owned(), Value::Int(model_id)),
                ("perm_read".to_owned(), Value::Bool(row.read)),
                ("perm_write".to_owned(), Value::Bool(row.write)),
                ("perm_create".to_owned(), Value::Bool(row.create)),
                ("perm_unlink".to_owned(), Value::Bool(row.unlink)),
            ]);
        if let Some(group) = &row.group {
            vals.insert(
                "group_id".into(),
                Value::Int(resolve_refs(env, std::slice::from_ref(group))?[0]),
            );
        }
        upsert(env, "ir.model.access", None, vals)?;
    }
    Ok(())
}

fn seed_rules(env: &mut Env<'_>, source: &Source) -> Result<(), String> {
    add_rules(env, &source.file.rules)
}

fn add_rules(env: &mut Env<'_>, rules: &[crate::profile::format::RuleSpec]) -> Result<(), String> {
    if env.state.schema.model("ir.rule").is_none() {
        return Ok(());
    }
    for rule in rules {
        let model_id = model_id(env, &rule.model)?;
        check_rule_fields(env, &rule.model, &rule.domain_force)
            .map_err(|e| format!("rule {:?} on {}: {e}", rule.name, rule.model))?;
        let groups = resolve_refs(env, &rule.groups)?;
        let vals = Dict::from_iter([
            ("name".to_owned(), Value::Str(rule.name.clone())),
            ("model_id".to_owned(), Value::Int(model_id)),
            (
                "domain_force".to_owned(),
                Value::Str(rule.domain_force.clone()),
            ),
            ("groups".to_owned(), set_command(groups)),
            ("perm_read".to_owned(), Value::Bool(rule.perm_read)),
            ("perm_write".to_owned(), Value::Bool(rule.perm_write)),
            ("perm_create".to_owned(), Value::Bool(rule.perm_create)),
            ("perm_unlink".to_owned(), Value::Bool(rule.perm_unlink)),
        ]);
        upsert(env, "ir.rule", None, vals)?;
    }
    Ok(())
}

/// Checks that every field a rule's domain names exists, so a wrong rule
/// fails when the profile loads rather than on the first search.
fn check_rule_fields(env: &Env<'_>, model: &str, domain_force: &str) -> Result<(), String> {
    let context = crate::orm::rule_expr::EvalContext::for_user(env).map_err(|e| e.message)?;
    let domain = crate::orm::rule_expr::evaluate_domain(env, &context, domain_force)
        .map_err(|e| e.message)?;
    let model = env.model(model).map_err(|e| e.message)?;
    check_domain_fields(env, &model, &domain)
}

fn check_domain_fields(
    env: &Env<'_>,
    model: &Model,
    domain: &crate::orm::domain::Domain,
) -> Result<(), String> {
    use crate::orm::domain::Domain;
    match domain {
        Domain::True | Domain::False => Ok(()),
        Domain::And(parts) | Domain::Or(parts) => parts
            .iter()
            .try_for_each(|p| check_domain_fields(env, model, p)),
        Domain::Not(inner) => check_domain_fields(env, model, inner),
        Domain::Leaf(leaf) => {
            let mut current = model.clone();
            for name in &leaf.path {
                let field = current
                    .field(name)
                    .ok_or_else(|| format!("{} has no field {name:?}", current.name))?;
                if !field.field_type.is_relational() {
                    break;
                }
                current = (*env.model(field.comodel()).map_err(|e| e.message)?).clone();
            }
            Ok(())
        }
    }
}

fn model_id(env: &Env<'_>, model: &str) -> Result<i64, String> {
    let ir_model = env.model("ir.model").map_err(|e| e.message)?;
    env.all_ids("ir.model")
        .into_iter()
        .find(|id| env.get_by_name(&ir_model, *id, "model").as_str() == Some(model))
        .ok_or_else(|| format!("unknown model {model:?}"))
}
