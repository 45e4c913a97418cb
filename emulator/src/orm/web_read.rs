//! `web_read` and `web_search_read`, the reads of Odoo 17's web client,
//! which the `web` module defines on every model.
//!
//! A specification maps field names to sub-specifications. `{}` returns
//! the value as `read(load=None)` does. For a many2one, `fields` returns
//! a dict of the related record's fields and `context` reads them with
//! more context keys. For an x2many, `fields` returns a list of dicts,
//! `order` sorts the records and `limit` reads only the first ones of
//! each record, leaving the others as `{"id": ...}`.
//!
//! Where this differs from Odoo 17: the emulator's schema has no
//! `reference`, `many2one_reference` or `properties` fields, so Odoo's
//! handling of those is absent. The x2many `order` search includes
//! archived records, as later 17.0 revisions do. The first 17.0 releases
//! dropped them there.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::orm::domain::{Domain, Operator};
use crate::orm::env::{ids_of, record_id, Env};
use crate::orm::methods::{id_list, query, string_list, usize_arg};
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::search::{self, Query};
use crate::orm::signature::Bound;
use crate::value::{Dict, Value};

/// Runs `web_read(specification)` on the records `ids`.
pub fn web_read(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    ids: &[i64],
    specification: &Value,
) -> OdooResult<Vec<Dict>> {
    let names = field_names(specification)?;
    let mut values_list = if names.is_empty() || names == ["id"] {
        // Odoo returns the ids it was given without reading them, so ids
        // of deleted or hidden records come back too.
        ids.iter().map(|id| id_dict(*id)).collect()
    } else {
        let records = search::read(env, model, ids, &names, false)?;
        records
            .to_dicts()
            .into_iter()
            .filter_map(|record| match record {
                Value::Dict(values) => Some(values),
                _ => None,
            })
            .collect::<Vec<Dict>>()
    };
    if values_list.is_empty() {
        return Ok(values_list);
    }
    let Value::Dict(specification) = specification else {
        return Err(OdooError::attribute(format!(
            "'{}' object has no attribute 'items'",
            specification.python_type()
        )));
    };
    for (name, sub_spec) in specification {
        let Some(field) = model.field(name).cloned() else {
            continue;
        };
        match field.field_type {
            FieldType::Many2one => read_many2one(env, &field, sub_spec, &mut values_list)?,
            FieldType::One2many | FieldType::Many2many => {
                read_x2many(env, &field, sub_spec, &mut values_list)?
            }
            _ => {}
        }
    }
    Ok(values_list)
}

/// Runs `web_search_read(domain, specification, offset=0, limit=None,
/// order=None, count_limit=None)`: the records found, read by
/// `web_read`, and `length`, the number of matching records as far as
/// the web client's pager needs it.
pub fn web_search_read(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let specification = bound.get("specification").unwrap_or(&Value::None);
    let Value::Dict(fields) = specification else {
        return Err(OdooError::attribute(format!(
            "'{}' object has no attribute 'keys'",
            specification.python_type()
        )));
    };
    let query = query(bound, "domain")?;
    let names: Vec<String> = fields.keys().cloned().collect();
    let ids = search::search_fetch(env, model, &query, &names)?;
    let records = web_read(env, model, &ids, specification)?;
    let length = if records.is_empty() {
        0
    } else {
        search_length(env, model, bound, &query, records.len())?
    };
    Ok(Value::Dict(Dict::from_iter([
        ("length".to_owned(), Value::Int(length as i64)),
        (
            "records".to_owned(),
            Value::List(records.into_iter().map(Value::Dict).collect()),
        ),
    ])))
}

/// Computes `length` as Odoo 17 does: the records found plus the offset,
/// unless a full page came back. Then the matching records are counted,
/// up to `count_limit`, except when the page already ends at or past
/// `count_limit`. The context key `force_search_count` forces the count
/// whenever a limit is given.
fn search_length(
    env: &Env<'_>,
    model: &Arc<Model>,
    bound: &Bound,
    query: &Query,
    found: usize,
) -> OdooResult<usize> {
    if matches!(bound.get("offset"), Some(Value::None)) {
        return Err(OdooError::type_error(
            "unsupported operand type(s) for +: 'int' and 'NoneType'",
        ));
    }
    // The search already raised PostgreSQL's error for a negative offset
    // or limit, so both are positive here.
    let offset = usize::try_from(query.offset).unwrap_or(0);

    let current_length = found + offset;
    let limit_reached = query.limit.and_then(|limit| usize::try_from(limit).ok()) == Some(found);
    let count_limit = bound.given("count_limit").filter(|value| value.is_truthy());
    let count_limit_reached = match count_limit {
        Some(count_limit) => match count_limit.as_f64() {
            Some(number) => number <= current_length as f64,
            None => {
                return Err(OdooError::type_error(format!(
                    "'<=' not supported between instances of '{}' and 'int'",
                    count_limit.python_type()
                )))
            }
        },
        None => false,
    };

    let force_count = env.context_flag("force_search_count", false);
    if query.limit.is_none() || !((limit_reached && !count_limit_reached) || force_count) {
        return Ok(current_length);
    }

    // `search_count` with a zero limit counts everything, as `search` does.
    let count_limit = match usize_arg(count_limit)? {
        Some(0) => None,
        other => other,
    };
    let count_limit = count_limit.map(|limit| i64::try_from(limit).unwrap_or(i64::MAX));
    search::count(env, model, &query.domain, count_limit)
}

/// Fills a many2one with a sub-specification that has `fields`: each
/// value becomes the dict `web_read` returns for the related record.
/// `display_name` is computed as the superuser, so it is shown even for
/// a record the user may not read, while any other field is read with
/// the user's access rights.
fn read_many2one(
    env: &mut Env<'_>,
    field: &Field,
    sub_spec: &Value,
    values_list: &mut [Dict],
) -> OdooResult<()> {
    if !python_contains(sub_spec, "fields")? {
        return Ok(());
    }
    let comodel = env.model(field.comodel())?;
    let co_ids = unique(
        values_list
            .iter()
            .filter_map(|values| record_id(values.get(&field.name)?)),
    );
    let context = sub_spec_context(sub_spec)?;
    let fields_spec = python_item(sub_spec, "fields")?;
    let mut extra_fields = fields_dict(fields_spec)?;
    let with_name = extra_fields.shift_remove("display_name").is_some();
    let related = with_context(env, context.as_ref(), |env| {
        let mut related = web_read(env, &comodel, &co_ids, &Value::Dict(extra_fields))?;
        if with_name {
            for values in &mut related {
                let id = values.get("id").and_then(Value::as_i64).unwrap_or(0);
                values.insert("display_name".to_owned(), env.display_name(&comodel, id));
            }
        }
        Ok(related)
    })?;
    let by_id: HashMap<i64, Dict> = related
        .into_iter()
        .filter_map(|values| Some((values.get("id")?.as_i64()?, values)))
        .collect();
    for values in values_list.iter_mut() {
        let Some(id) = values.get(&field.name).and_then(record_id) else {
            continue;
        };
        let related = by_id
            .get(&id)
            .ok_or_else(|| OdooError::new(ErrorKind::KeyError, id.to_string()))?;
        values.insert(field.name.clone(), Value::Dict(related.clone()));
    }
    Ok(())
}

/// Fills an x2many with a non-empty sub-specification: `order` sorts
/// each list of ids, and `fields` turns the ids into the dicts `web_read`
/// returns for them, reading only the first `limit` ids of each record.
fn read_x2many(
    env: &mut Env<'_>,
    field: &Field,
    sub_spec: &Value,
    values_list: &mut [Dict],
) -> OdooResult<()> {
    if !sub_spec.is_truthy() {
        return Ok(());
    }
    let comodel = env.model(field.comodel())?;
    let mut co_ids = unique(id_lists(values_list, field).into_iter().flatten());
    if python_contains(sub_spec, "order")? {
        let order = python_item(sub_spec, "order")?;
        if order.is_truthy() {
            co_ids = search_in_order(env, &comodel, &co_ids, order)?;
            sort_id_lists(values_list, field, &co_ids);
        }
    }

    let context = sub_spec_context(sub_spec)?;
    if !python_contains(sub_spec, "fields")? {
        return Ok(());
    }
    let limit = python_get(sub_spec, "limit")?;
    if !matches!(limit, Value::None) {
        let mut limited = Vec::new();
        for ids in id_lists(values_list, field) {
            let end = slice_end(ids.len(), limit)?;
            limited.extend_from_slice(&ids[..end]);
        }
        co_ids = unique(limited);
    }

    let fields_spec = python_item(sub_spec, "fields")?;
    let related = with_context(env, context.as_ref(), |env| {
        web_read(env, &comodel, &co_ids, fields_spec)
    })?;
    let by_id: HashMap<i64, Dict> = related
        .into_iter()
        .filter_map(|values| Some((values.get("id")?.as_i64()?, values)))
        .collect();
    for values in values_list.iter_mut() {
        let ids = ids_of(values.get(&field.name).unwrap_or(&Value::None));
        let dicts = ids
            .into_iter()
            .map(|id| Value::Dict(by_id.get(&id).cloned().unwrap_or_else(|| id_dict(id))))
            .collect();
        values.insert(field.name.clone(), Value::List(dicts));
    }
    Ok(())
}

/// Returns each record's ids in an x2many field.
fn id_lists(values_list: &[Dict], field: &Field) -> Vec<Vec<i64>> {
    values_list
        .iter()
        .map(|values| ids_of(values.get(&field.name).unwrap_or(&Value::None)))
        .collect()
}

/// Sorts each record's ids in an x2many field in the order of `sorted`,
/// dropping the ids that `sorted` lacks because the rules hide them.
fn sort_id_lists(values_list: &mut [Dict], field: &Field, sorted: &[i64]) {
    let position: HashMap<i64, usize> = sorted
        .iter()
        .enumerate()
        .map(|(index, id)| (*id, index))
        .collect();
    for values in values_list.iter_mut() {
        let mut ids: Vec<i64> = ids_of(values.get(&field.name).unwrap_or(&Value::None))
            .into_iter()
            .filter(|id| position.contains_key(id))
            .collect();
        ids.sort_by_key(|id| position[id]);
        values.insert(field.name.clone(), id_list(ids));
    }
}

/// Searches the records `ids` in the order a sub-specification requests,
/// archived records included, with the user's access rights and rules.
fn search_in_order(
    env: &mut Env<'_>,
    comodel: &Arc<Model>,
    ids: &[i64],
    order: &Value,
) -> OdooResult<Vec<i64>> {
    let Value::Str(order) = order else {
        return Err(OdooError::type_error(format!(
            "expected string or bytes-like object, got '{}'",
            order.python_type()
        )));
    };
    let query = Query {
        domain: Domain::leaf("id", Operator::In, id_list(ids.to_vec())),
        offset: 0,
        limit: None,
        order: Some(order.clone()),
    };
    let inactive = Dict::from_iter([("active_test".to_owned(), Value::Bool(false))]);
    with_context(env, Some(&inactive), |env| {
        search::search(env, comodel, &query)
    })
}

/// Runs `run` with `extra` merged over the context, as Odoo's
/// `with_context(**extra)` does, and restores the context afterwards.
fn with_context<T>(
    env: &mut Env<'_>,
    extra: Option<&Dict>,
    run: impl FnOnce(&mut Env<'_>) -> OdooResult<T>,
) -> OdooResult<T> {
    let Some(extra) = extra else {
        return run(env);
    };
    let saved = env.context.clone();
    env.context.extend(
        extra
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    let result = run(env);
    env.context = saved;
    result
}

/// Returns the `context` of a sub-specification, which Odoo passes to
/// `with_context(**context)`.
fn sub_spec_context(sub_spec: &Value) -> OdooResult<Option<Dict>> {
    if !python_contains(sub_spec, "context")? {
        return Ok(None);
    }
    match python_item(sub_spec, "context")? {
        Value::Dict(context) => Ok(Some(context.clone())),
        other => Err(OdooError::type_error(format!(
            "odoo.models.BaseModel.with_context() argument after ** must be a mapping, not {}",
            other.python_type()
        ))),
    }
}

/// Returns the field names of a specification as Python's
/// `list(specification)` does: a dict's keys, a list's items or a
/// string's characters.
fn field_names(specification: &Value) -> OdooResult<Vec<String>> {
    match specification {
        Value::Dict(fields) => Ok(fields.keys().cloned().collect()),
        Value::Str(text) => Ok(text.chars().map(String::from).collect()),
        Value::List(_) => string_list(Some(specification)),
        other => Err(OdooError::type_error(format!(
            "'{}' object is not iterable",
            other.python_type()
        ))),
    }
}

/// Copies the `fields` of a many2one sub-specification, which Odoo
/// converts with `dict()`.
// NOTE: Python's `dict()` also accepts a list of key and value pairs,
// which this rejects with a TypeError of its own.
fn fields_dict(fields: &Value) -> OdooResult<Dict> {
    match fields {
        Value::Dict(fields) => Ok(fields.clone()),
        Value::List(_) | Value::Str(_) | Value::Records(_) => Err(OdooError::type_error(format!(
            "the 'fields' of a many2one sub-specification must be a dict such as {{\"name\": {{}}}}, not {}",
            fields.python_type()
        ))),
        other => Err(OdooError::type_error(format!(
            "'{}' object is not iterable",
            other.python_type()
        ))),
    }
}

/// Python's `key in container` for a sub-specification, which clients
/// send as a dict.
fn python_contains(container: &Value, key: &str) -> OdooResult<bool> {
    match container {
        Value::Dict(entries) => Ok(entries.contains_key(key)),
        Value::List(items) => Ok(items.iter().any(|item| *item == Value::from(key))),
        Value::Str(text) => Ok(text.contains(key)),
        Value::Records(_) | Value::IntMap(_) => Ok(false),
        Value::Binary(_) => Err(OdooError::type_error(
            "a bytes-like object is required, not 'str'",
        )),
        other => Err(OdooError::type_error(format!(
            "argument of type '{}' is not iterable",
            other.python_type()
        ))),
    }
}

/// Python's `container[key]`, once `key in container` held.
fn python_item<'v>(container: &'v Value, key: &str) -> OdooResult<&'v Value> {
    match container {
        Value::Dict(entries) => entries.get(key).ok_or_else(|| OdooError::key(key)),
        Value::List(_) | Value::Records(_) => Err(OdooError::type_error(
            "list indices must be integers or slices, not str",
        )),
        // CPython 3.11's text. CPython 3.10 ends the message after
        // "integers".
        Value::Str(_) => Err(OdooError::type_error(
            "string indices must be integers, not 'str'",
        )),
        other => Err(OdooError::type_error(format!(
            "'{}' object is not subscriptable",
            other.python_type()
        ))),
    }
}

/// Python's `container.get(key)`, which only a dict has.
fn python_get<'v>(container: &'v Value, key: &str) -> OdooResult<&'v Value> {
    match container {
        Value::Dict(entries) => Ok(entries.get(key).unwrap_or(&Value::None)),
        other => Err(OdooError::attribute(format!(
            "'{}' object has no attribute 'get'",
            other.python_type()
        ))),
    }
}

/// Returns where Python's `items[:limit]` ends for a list of `len` items:
/// a negative limit counts from the end.
fn slice_end(len: usize, limit: &Value) -> OdooResult<usize> {
    let limit = match limit {
        Value::Int(limit) => *limit,
        Value::Bool(flag) => i64::from(*flag),
        _ => {
            return Err(OdooError::type_error(
                "slice indices must be integers or None or have an __index__ method",
            ))
        }
    };
    let magnitude = usize::try_from(limit.unsigned_abs()).unwrap_or(usize::MAX);
    Ok(if limit >= 0 {
        magnitude.min(len)
    } else {
        len.saturating_sub(magnitude)
    })
}

/// Keeps the first occurrence of each id, as Odoo's recordset union does.
fn unique(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

fn id_dict(id: i64) -> Dict {
    Dict::from_iter([("id".to_owned(), Value::Int(id))])
}
