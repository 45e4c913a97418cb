//! `load(fields, data)`: Odoo's import, an atomic upsert keyed by external
//! id, which integrations use to make re-runs idempotent.
//!
//! Column names follow Odoo's import syntax: `id` is the row's external id
//! (`module.name`, or a bare name placed in the `__import__` module),
//! `field/id` names a related record by external id and `field/.id` by
//! database id. Any error rolls the whole call back and returns the
//! messages with `ids: False`, as Odoo does. One2many sub-rows are not
//! supported and are reported as an error.

use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{self, Domain, Operator};
use crate::orm::methods::{id_list, string_list};
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::signature::Bound;
use crate::orm::{write, Env};
use crate::value::{Dict, Value};

/// Runs `load` and returns `{ids, messages, nextrow}`.
pub fn load(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let columns = string_list(bound.get("fields"))?;
    let rows = match bound.get("data") {
        Some(Value::List(rows)) => rows.clone(),
        _ => Vec::new(),
    };
    let snapshot = env.state.clone();
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let cells = row.as_list().unwrap_or_default();
        match load_row(env, model, &columns, cells) {
            Ok(id) => ids.push(id),
            Err(error) => messages.push(message(index, &error.message)),
        }
    }
    let mut result = Dict::default();
    if messages.is_empty() {
        result.insert("ids".into(), id_list(ids));
    } else {
        *env.state = snapshot;
        result.insert("ids".into(), Value::Bool(false));
    }
    result.insert("messages".into(), Value::List(messages));
    result.insert("nextrow".into(), Value::Int(0));
    Ok(Value::Dict(result))
}

fn message(index: usize, text: &str) -> Value {
    let rows = Dict::from_iter([
        ("from".to_owned(), Value::Int(index as i64)),
        ("to".to_owned(), Value::Int(index as i64)),
    ]);
    Value::Dict(Dict::from_iter([
        ("type".to_owned(), Value::Str("error".into())),
        ("message".to_owned(), Value::Str(text.to_owned())),
        ("record".to_owned(), Value::Int(index as i64)),
        ("rows".to_owned(), Value::Dict(rows)),
    ]))
}

fn load_row(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    columns: &[String],
    cells: &[Value],
) -> OdooResult<i64> {
    let mut xmlid = None;
    let mut vals = Dict::default();
    for (column, cell) in columns.iter().zip(cells) {
        if column == "id" {
            xmlid = cell.as_str().filter(|s| !s.is_empty()).map(qualify);
            continue;
        }
        let (name, suffix) = match column.split_once('/') {
            Some((name, suffix)) => (name, Some(suffix)),
            None => (column.as_str(), None),
        };
        let field = env.field(model, name)?;
        vals.insert(name.to_owned(), convert_cell(env, &field, suffix, cell)?);
    }
    let existing = xmlid
        .as_deref()
        .and_then(|x| env.state.xmlid(x))
        .filter(|(m, _)| *m == model.name)
        .map(|(_, id)| *id);
    match existing {
        Some(id) if env.exists(&model.name, id) => {
            write::write(env, model, &[id], &vals)?;
            Ok(id)
        }
        _ => {
            let id = write::create(env, model, &[vals])?[0];
            if let Some(xmlid) = xmlid {
                register_xmlid(env, &xmlid, &model.name, id)?;
            }
            Ok(id)
        }
    }
}

/// Places a bare external id in the `__import__` module.
fn qualify(xmlid: &str) -> String {
    if xmlid.contains('.') {
        xmlid.to_owned()
    } else {
        format!("__import__.{xmlid}")
    }
}

/// Creates the `ir.model.data` row for a new record.
pub fn register_xmlid(env: &mut Env<'_>, xmlid: &str, model: &str, id: i64) -> OdooResult<()> {
    let (module, name) = xmlid.split_once('.').unwrap_or(("__import__", xmlid));
    // A profile without `ir.model.data` still resolves external ids.
    let Some(data_model) = env.state.schema.model("ir.model.data").cloned() else {
        env.state
            .insert_xmlid(format!("{module}.{name}"), model.to_owned(), id);
        return Ok(());
    };
    let vals = Dict::from_iter([
        ("module".to_owned(), Value::Str(module.to_owned())),
        ("name".to_owned(), Value::Str(name.to_owned())),
        ("model".to_owned(), Value::Str(model.to_owned())),
        ("res_id".to_owned(), Value::Int(id)),
    ]);
    write::create_one(env, &data_model, &vals)?;
    Ok(())
}

fn convert_cell(
    env: &Env<'_>,
    field: &Field,
    suffix: Option<&str>,
    cell: &Value,
) -> OdooResult<Value> {
    let text = match cell {
        Value::Str(s) => s.clone(),
        Value::Bool(false) | Value::None => String::new(),
        other => other.python_repr(),
    };
    if text.is_empty() {
        return Ok(field.field_type.empty_value());
    }
    match (field.field_type, suffix) {
        (FieldType::Many2one, Some("id")) => Ok(Value::Int(resolve_xmlid(env, field, &text)?)),
        (FieldType::Many2one, Some(".id")) => parse_int(&text).map(Value::Int),
        (FieldType::Many2one, None) => Ok(Value::Int(resolve_name(env, field, &text)?)),
        (FieldType::Many2many, Some("id")) => {
            let ids = text
                .split(',')
                .map(|x| resolve_xmlid(env, field, x.trim()))
                .collect::<OdooResult<Vec<_>>>()?;
            Ok(Value::List(vec![Value::List(vec![
                Value::Int(6),
                Value::Int(0),
                id_list(ids),
            ])]))
        }
        (FieldType::One2many, _) => Err(OdooError::value(format!(
            "Importing one2many lines of {} is not supported by the emulator",
            field.name
        ))),
        (FieldType::Boolean, _) => Ok(Value::Bool(!matches!(
            text.to_lowercase().as_str(),
            "0" | "false" | "no" | "off"
        ))),
        (FieldType::Integer, _) => parse_int(&text).map(Value::Int),
        (FieldType::Float | FieldType::Monetary, _) => {
            text.parse::<f64>().map(Value::Float).map_err(|_| {
                OdooError::value(format!(
                    "'{text}' does not seem to be a number for field '{}'",
                    field.string
                ))
            })
        }
        (FieldType::Selection, _) => selection_key(field, &text),
        _ => Ok(Value::Str(text)),
    }
}

fn parse_int(text: &str) -> OdooResult<i64> {
    text.trim()
        .parse()
        .map_err(|_| OdooError::value(format!("'{text}' does not seem to be an integer")))
}

/// Import accepts a selection's key or its label.
fn selection_key(field: &Field, text: &str) -> OdooResult<Value> {
    field
        .selection
        .iter()
        .find(|(key, label)| key == text || label.eq_ignore_ascii_case(text))
        .map(|(key, _)| Value::Str(key.clone()))
        .ok_or_else(|| {
            OdooError::value(format!(
                "Value '{text}' not found in selection field '{}'",
                field.string
            ))
        })
}

fn resolve_xmlid(env: &Env<'_>, field: &Field, text: &str) -> OdooResult<i64> {
    let full = qualify(text);
    match env.state.xmlid(&full) {
        Some((model, id)) if model == field.comodel() => Ok(*id),
        _ => Err(OdooError::value(format!(
            "No matching record found for external id '{full}' in field '{}'",
            field.string
        ))),
    }
}

fn resolve_name(env: &Env<'_>, field: &Field, text: &str) -> OdooResult<i64> {
    let comodel = env.model(field.comodel())?;
    let rec_name = comodel.rec_name_field().unwrap_or("name");
    let found = domain::evaluate(
        env,
        &comodel,
        &Domain::leaf(rec_name, Operator::EqIlike, Value::Str(text.to_owned())),
    )?;
    found.into_iter().next().ok_or_else(|| {
        OdooError::value(format!(
            "No matching record found for name '{text}' in field '{}'",
            field.string
        ))
    })
}
