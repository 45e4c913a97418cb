//! Record names: `name_search`, `name_create` and `name_get`.

use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{Domain, Operator};
use crate::orm::methods::row_count_arg;
use crate::orm::schema::Model;
use crate::orm::search::{self, Query};
use crate::orm::signature::Bound;
use crate::orm::{write, Env};
use crate::value::{Dict, Value};

/// `name_search(name='', args=None, operator='ilike', limit=100)`: pairs of
/// id and display name for records whose name matches.
pub fn name_search(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let name = bound
        .given("name")
        .cloned()
        .unwrap_or(Value::Str(String::new()));
    let operator_text = bound
        .given("operator")
        .and_then(Value::as_str)
        .unwrap_or("ilike");
    let operator = Operator::parse(operator_text)
        .ok_or_else(|| OdooError::value(format!("Invalid operator {operator_text:?}")))?;
    let limit = match bound.get("limit") {
        None => Some(100),
        Some(value) => row_count_arg(Some(value))?,
    };
    let mut parts = vec![match bound.given("args") {
        Some(args) => Domain::parse(args)?,
        None => Domain::True,
    }];
    // An empty name with a positive operator matches every record, as in
    // Odoo, where the name leaf is then left out.
    let skip_name =
        name.as_str() == Some("") && matches!(operator, Operator::Ilike | Operator::Like);
    if !skip_name {
        let field = model.rec_name_field().unwrap_or("id");
        parts.push(Domain::leaf(field, operator, name));
    }
    let query = Query {
        domain: Domain::and(parts),
        offset: 0,
        limit,
        order: None,
    };
    let ids = search::search(env, model, &query)?;
    Ok(pairs(env, model, &ids))
}

/// `name_create(name)`: creates a record from its name alone and returns
/// `[id, display_name]`.
pub fn name_create(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let Some(field) = model.rec_name_field() else {
        return Err(OdooError::user(format!(
            "Cannot execute name_create, no _rec_name defined on {}",
            model.name
        )));
    };
    let name = bound.get("name").cloned().unwrap_or(Value::Bool(false));
    let vals = Dict::from_iter([(field.to_owned(), name)]);
    let ids = write::create(env, model, &[vals])?;
    Ok(match pairs(env, model, &ids) {
        Value::List(mut items) if !items.is_empty() => items.remove(0),
        _ => Value::Bool(false),
    })
}

/// `name_get()`: deprecated in 17.0 (removed in 18.0), it still returns
/// `[[id, display_name], ...]`.
pub fn name_get(env: &mut Env<'_>, model: &Arc<Model>, ids: &[i64]) -> OdooResult<Value> {
    let fields = vec!["display_name".to_owned()];
    search::read(env, model, ids, &fields, true)?;
    let existing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| env.exists(&model.name, *id))
        .collect();
    tracing::debug!(model = %model.name, "name_get is deprecated since Odoo 17.0");
    Ok(pairs(env, model, &existing))
}

fn pairs(env: &Env<'_>, model: &Model, ids: &[i64]) -> Value {
    Value::List(
        ids.iter()
            .map(|id| Value::List(vec![Value::Int(*id), env.display_name(model, *id)]))
            .collect(),
    )
}
