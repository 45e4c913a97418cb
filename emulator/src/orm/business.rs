//! Business methods declared by the profile (`action_confirm`, ...): a
//! precondition on every record, field values to set and a return value.
//!
//! Odoo runs real Python here, with side effects the emulator does not
//! reproduce (stock moves, invoices, mail). What a client sees over RPC,
//! the state change, the refusal and the return value, is reproduced.

use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{self, Domain};
use crate::orm::env::Env;
use crate::orm::schema::Model;
use crate::orm::write;
use crate::value::{Dict, Value};

/// A declared business method.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessMethod {
    pub requires: Option<Value>,
    pub message: Option<String>,
    pub sets: Dict,
    pub returns: Value,
}

/// Looks a declared method up.
pub fn find<'e>(env: &'e Env<'_>, model: &str, method: &str) -> Option<&'e BusinessMethod> {
    env.state.methods.get(model)?.get(method)
}

/// Runs a declared method on records: checks `requires` on each, writes
/// `sets`, and returns `returns`.
pub fn run(env: &mut Env<'_>, model: &Arc<Model>, method: &str, ids: &[i64]) -> OdooResult<Value> {
    let spec = find(env, &model.name, method).cloned().ok_or_else(|| {
        OdooError::attribute(format!(
            "The method '{method}' does not exist on the model '{}'",
            model.name
        ))
    })?;
    env.check_missing(model, ids)?;
    if let Some(requires) = &spec.requires {
        let allowed = domain::evaluate(env, model, &Domain::parse(requires)?)?;
        let refused: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !allowed.contains(id))
            .collect();
        if !refused.is_empty() {
            return Err(OdooError::user(refusal_message(
                env, model, method, &spec, &refused,
            )));
        }
    }
    if !spec.sets.is_empty() {
        write::write(env, model, ids, &spec.sets)?;
    }
    Ok(spec.returns.clone())
}

/// Builds the refusal text: the declared message with `%s` replaced by the
/// refused records' display names joined by commas, as Odoo's messages
/// format them.
fn refusal_message(
    env: &Env<'_>,
    model: &Model,
    method: &str,
    spec: &BusinessMethod,
    refused: &[i64],
) -> String {
    let names: Vec<String> = refused
        .iter()
        .map(|id| {
            env.display_name(model, *id)
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let names = names.join(", ");
    match &spec.message {
        Some(message) => message.replacen("%s", &names, 1),
        None => format!("{method} is not allowed on {names}"),
    }
}
