//! Introspection and small record utilities: `fields_get`, `default_get`,
//! `copy`, `get_metadata`, `check_access_rights`, `context_get` and
//! `ir.model.data.check_object_reference`.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::methods::string_list;
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::signature::Bound;
use crate::orm::{convert, order_lines, write, Env};
use crate::value::{Dict, Value};

/// `fields_get(allfields=None, attributes=None)`.
pub fn fields_get(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let wanted = string_list(bound.given("allfields"))?;
    let attributes = string_list(bound.given("attributes"))?;
    let mut result = Dict::default();
    for field in model.fields.values() {
        if !wanted.is_empty() && !wanted.contains(&field.name) {
            continue;
        }
        if !env.can_read_field(field) {
            continue;
        }
        let mut description = describe(field);
        describe_group_operator(env, field, &mut description);
        if let Some(depends) = order_lines::applies(env, model)
            .then(|| order_lines::depends(&field.name))
            .flatten()
        {
            let depends = depends.iter().copied().map(Value::from).collect();
            description.insert("depends".to_owned(), Value::List(depends));
        }
        if !attributes.is_empty() {
            description.retain(|key, _| attributes.contains(key));
        }
        result.insert(field.name.clone(), Value::Dict(description));
    }
    Ok(Value::Dict(result))
}

/// Adds the aggregate function that `read_group` applies to the field
/// when its `fields` name it bare. Odoo 14 to 17 describe the field's
/// `group_operator` as it is, non-stored fields included, and leave the
/// key out when it is unset (the `id` field, an integer named
/// `sequence`). From 18.0 the key is `aggregator` and a field without a
/// column has one only when `read_group` can aggregate it, which among
/// the fields a profile declares means a related or inherited field.
fn describe_group_operator(env: &Env<'_>, field: &Field, description: &mut Dict) {
    let Some(function) = field.group_operator() else {
        return;
    };
    if env.version.names_aggregator() {
        if field.is_column() || field.related.is_some() || field.delegated.is_some() {
            description.insert("aggregator".to_owned(), Value::from(function));
        }
    } else {
        description.insert("group_operator".to_owned(), Value::from(function));
    }
}

/// Describes a field with the keys Odoo 17's `fields_get` returns.
pub fn describe(field: &Field) -> Dict {
    let mut d = Dict::default();
    let mut put = |key: &str, value: Value| {
        d.insert(key.to_owned(), value);
    };
    put("change_default", Value::Bool(false));
    put("company_dependent", Value::Bool(false));
    let depends: Vec<Value> = match (&field.related, &field.compute) {
        (Some(path), _) => vec![Value::Str(path.join("."))],
        _ => Vec::new(),
    };
    put("depends", Value::List(depends));
    put("exportable", Value::Bool(true));
    if let Some(help) = &field.help {
        put("help", Value::Str(help.clone()));
    }
    put("manual", Value::Bool(field.manual));
    put("name", Value::Str(field.name.clone()));
    put(
        "readonly",
        Value::Bool(field.readonly || !field.is_writable()),
    );
    put("required", Value::Bool(field.required));
    put("searchable", Value::Bool(field.is_searchable()));
    put(
        "sortable",
        Value::Bool(field.is_searchable() && !field.field_type.is_x2many()),
    );
    put("store", Value::Bool(field.store));
    put("string", Value::Str(field.string.clone()));
    put("type", Value::Str(field.field_type.name().to_owned()));
    describe_by_type(field, &mut d);
    d
}

fn describe_by_type(field: &Field, d: &mut Dict) {
    let mut put = |key: &str, value: Value| {
        d.insert(key.to_owned(), value);
    };
    match field.field_type {
        FieldType::Char | FieldType::Text | FieldType::Html => {
            put("translate", Value::Bool(field.translate));
            if let Some(size) = field.size {
                put("size", Value::Int(i64::from(size)));
            }
        }
        FieldType::Selection => {
            let pairs = field
                .selection
                .iter()
                .map(|(key, label)| {
                    Value::List(vec![Value::Str(key.clone()), Value::Str(label.clone())])
                })
                .collect();
            put("selection", Value::List(pairs));
        }
        FieldType::Many2one | FieldType::One2many | FieldType::Many2many => {
            put("relation", Value::Str(field.comodel().to_owned()));
            put("domain", Value::List(Vec::new()));
            put("context", Value::Dict(Dict::default()));
            if let Some(inverse) = &field.inverse {
                put("relation_field", Value::Str(inverse.clone()));
            }
        }
        FieldType::Monetary => {
            put("currency_field", Value::Str("currency_id".to_owned()));
        }
        _ => {}
    }
}

/// `default_get(fields_list)`: context `default_*` keys, then field
/// defaults, for the listed fields.
pub fn default_get(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let names = string_list(bound.get("fields_list"))?;
    let mut result = Dict::default();
    for name in names {
        let Some(field) = model.field(&name) else {
            continue;
        };
        if let Some(value) = env.context.get(&format!("default_{name}")) {
            result.insert(name, value.clone());
        } else if let Some(default) = &field.default {
            result.insert(name, write::default_value(env, default)?);
        }
    }
    Ok(Value::Dict(result))
}

/// `copy(default=None)`: duplicates one record's stored values, without
/// its one2many lines, and returns the new id.
pub fn copy(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    ids: &[i64],
    bound: &Bound,
) -> OdooResult<Value> {
    let [id] = ids else {
        return Err(OdooError::value(format!(
            "Expected singleton: {}",
            crate::orm::rule_expr::records_repr(&model.name, ids)
        )));
    };
    // Odoo reads the record's values as the calling user.
    env.check_access_rights(model, crate::orm::access::Operation::Read)?;
    env.check_missing(model, ids)?;
    env.check_access_rule(model, ids, crate::orm::access::Operation::Read)?;
    let overrides = match bound.given("default") {
        Some(Value::Dict(d)) => d.clone(),
        _ => Dict::default(),
    };
    let mut seen = BTreeSet::new();
    let mut vals = copy_data(env, model, *id, &mut seen)?.unwrap_or_default();
    vals.extend(overrides);
    let new_ids = write::create(env, model, &[vals])?;
    Ok(Value::Int(new_ids[0]))
}

/// Returns the values a copy of record `id` is created with, as Odoo's
/// `copy_data` gathers them from the fields marked `copy`. A many2many
/// becomes a set command. Each line of a copied one2many becomes a create
/// command with the line's own copied values. A record already in `seen`
/// gives `None`, as Odoo's `__copy_data_seen` makes each record copied
/// once, so a cycle of lines ends.
fn copy_data(
    env: &Env<'_>,
    model: &Model,
    id: i64,
    seen: &mut BTreeSet<(String, i64)>,
) -> OdooResult<Option<Dict>> {
    if !seen.insert((model.name.clone(), id)) {
        return Ok(None);
    }
    let mut vals = Dict::default();
    for field in model.fields.values() {
        let copied = field.is_column() || field.field_type.is_x2many() || field.delegated.is_some();
        if field.automatic || !field.copy || !copied {
            continue;
        }
        let value = env.get(model, id, field);
        let value = match field.field_type {
            FieldType::Many2many => {
                Value::List(vec![Value::List(vec![Value::Int(6), Value::Int(0), value])])
            }
            FieldType::One2many => copied_lines(env, field, id, seen)?,
            _ => value,
        };
        vals.insert(field.name.clone(), value);
    }
    // The copy gets its own delegated parent record, as in Odoo.
    for link in model.inherits.values() {
        vals.shift_remove(link);
    }
    for (name, format) in &model.copy_format {
        if let Some(Value::Str(current)) = vals.get(name) {
            let renamed = format.replacen("%s", current, 1);
            vals.insert(name.clone(), Value::Str(renamed));
        }
    }
    Ok(Some(vals))
}

/// Returns `(0, 0, values)` commands that copy the lines of one2many
/// `field` of record `id`, in id order as Odoo copies them. The line's
/// link to its parent is left out: the command sets it to the copy.
fn copied_lines(
    env: &Env<'_>,
    field: &Field,
    id: i64,
    seen: &mut BTreeSet<(String, i64)>,
) -> OdooResult<Value> {
    let comodel = env.model(field.comodel())?;
    // Odoo reads the lines as the caller through a search, so lines the
    // record rules hide are not copied.
    env.check_access_rights(&comodel, crate::orm::access::Operation::Read)?;
    let lines = env.filter_readable(&comodel, env.one2many_ids(id, field))?;
    let mut commands = Vec::new();
    for line in lines {
        if order_lines::skipped_by_copy(env, &comodel, line) {
            continue;
        }
        let Some(mut line_vals) = copy_data(env, &comodel, line, seen)? else {
            continue;
        };
        if let Some(inverse) = &field.inverse {
            line_vals.shift_remove(inverse);
        }
        commands.push(Value::List(vec![
            Value::Int(0),
            Value::Int(0),
            Value::Dict(line_vals),
        ]));
    }
    Ok(Value::List(commands))
}

/// `get_metadata()`: audit fields and external ids of each record.
pub fn get_metadata(env: &mut Env<'_>, model: &Arc<Model>, ids: &[i64]) -> OdooResult<Value> {
    let fields: Vec<String> = ["create_uid", "create_date", "write_uid", "write_date"]
        .into_iter()
        .filter(|f| model.has_field(f))
        .map(str::to_owned)
        .collect();
    let records = crate::orm::search::read(env, model, ids, &fields, true)?;
    let mut result = Vec::new();
    for record in records.to_dicts() {
        let Value::Dict(mut record) = record else {
            continue;
        };
        let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
        let xmlids: Vec<String> = env
            .state
            .xmlids
            .iter()
            .filter(|(_, (m, rid))| *m == model.name && *rid == id)
            .map(|(name, _)| name.clone())
            .collect();
        let first = xmlids
            .first()
            .cloned()
            .map_or(Value::Bool(false), Value::Str);
        record.insert("xmlid".into(), first);
        let entries = xmlids
            .into_iter()
            .map(|x| {
                Value::Dict(Dict::from_iter([
                    ("xmlid".to_owned(), Value::Str(x)),
                    ("noupdate".to_owned(), Value::Bool(false)),
                ]))
            })
            .collect();
        record.insert("xmlids".into(), Value::List(entries));
        record.insert("noupdate".into(), Value::Bool(false));
        result.push(Value::Dict(record));
    }
    Ok(Value::List(result))
}

/// `get_external_id()`: each record's first external id, or `""`, keyed by
/// record id.
pub fn get_external_id(env: &Env<'_>, model: &Model, ids: &[i64]) -> Value {
    let entries = ids
        .iter()
        .map(|id| {
            let xmlid = env
                .state
                .xmlids
                .iter()
                .find(|(_, (m, rid))| *m == model.name && rid == id)
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            (*id, Value::Str(xmlid))
        })
        .collect();
    Value::IntMap(entries)
}

/// `check_access_rights(operation, raise_exception=True)`.
pub fn check_access_rights(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    bound: &Bound,
) -> OdooResult<Value> {
    // Odoo 17 returns `True` for the superuser before it checks the
    // operation, and asserts that the operation is known before it reads
    // `raise_exception`.
    if env.su {
        return Ok(Value::Bool(true));
    }
    let text = bound.get("operation").and_then(Value::as_str);
    let Some(operation) = text.and_then(Operation::parse) else {
        return Err(OdooError::new(
            ErrorKind::AssertionError,
            "Invalid access mode",
        ));
    };
    let raise = bound.get("raise_exception").is_none_or(Value::is_truthy);
    match env.check_access_rights(model, operation) {
        Ok(()) => Ok(Value::Bool(true)),
        Err(_) if !raise => Ok(Value::Bool(false)),
        Err(error) => Err(error),
    }
}

/// `res.users.context_get()`: the user's `lang` and `tz`.
pub fn context_get(env: &mut Env<'_>) -> OdooResult<Value> {
    let users = env.model("res.users")?;
    let mut context = Dict::default();
    for key in ["lang", "tz"] {
        let value = env.get_by_name(&users, env.uid, key);
        let value = convert::to_read(
            env,
            users
                .field(key)
                .map_or(&Field::new(key, FieldType::Char, key), |f| f),
            value,
            false,
        );
        context.insert(key.to_owned(), value);
    }
    context.insert("uid".to_owned(), Value::Int(env.uid));
    Ok(Value::Dict(context))
}

/// `ir.model.data.check_object_reference(module, xml_id)`: the model and
/// id behind an external id.
pub fn check_object_reference(env: &mut Env<'_>, bound: &Bound) -> OdooResult<Value> {
    let module = bound
        .get("module")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = bound
        .get("xml_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let full = format!("{module}.{name}");
    match env.state.xmlid(&full) {
        Some((model, id)) => Ok(Value::List(vec![
            Value::Str(model.clone()),
            Value::Int(*id),
        ])),
        None => Err(OdooError::value(format!(
            "External ID not found in the system: {full}"
        ))),
    }
}
