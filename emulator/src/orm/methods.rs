//! The methods callable over RPC and their Python signatures.
//!
//! [`call`] plays the part of Odoo's `api.call_kw`: it takes the `context`
//! keyword out, splits record ids from the arguments for record methods,
//! binds the rest to the method's signature and runs it.

use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::domain::Domain;
use crate::orm::env::Env;
use crate::orm::schema::Model;
use crate::orm::search::{self, Query};
use crate::orm::signature::{optional, required, Bound, Signature};
use crate::orm::{business, introspect, load, names, read_group, unlink, web_read, write};
use crate::value::{Dict, Value};
use crate::version::Version;

/// Calls a public method by name.
pub fn call(
    env: &mut Env<'_>,
    model_name: &str,
    method: &str,
    args: &[Value],
    kwargs: &Dict,
) -> OdooResult<Value> {
    check_method_name(method)?;
    let model = env.model(model_name)?;
    if let Some(signature) = model_method(method, env) {
        let bound = signature.bind(args, kwargs)?;
        return call_model_method(env, &model, method, &bound);
    }
    if let Some(signature) = record_method(method, env, &model) {
        let (ids, rest) = split_ids(args)?;
        let bound = signature.bind(rest, kwargs)?;
        return call_record_method(env, &model, method, &ids, &bound);
    }
    Err(OdooError::attribute(format!(
        "The method '{method}' does not exist on the model '{model_name}'"
    )))
}

/// Returns whether a method never changes the database, so a call to it
/// may run on a snapshot of the state without holding the database's
/// lock. These names resolve to the ORM's own methods before any business
/// method a profile declares, so a profile cannot make them write. The
/// methods that only some versions have count only in those versions.
pub fn is_read_only(method: &str, version: Version) -> bool {
    match method {
        "web_read" | "web_search_read" => return version.has_web_read(),
        "name_get" => return version.has_name_get(),
        _ => {}
    }
    matches!(
        method,
        "search"
            | "search_read"
            | "search_count"
            | "fields_get"
            | "name_search"
            | "default_get"
            | "read_group"
            | "check_access_rights"
            | "context_get"
            | "check_object_reference"
            | "read"
            | "exists"
            | "check_access_rule"
            | "get_metadata"
            | "get_external_id"
    )
}

/// Rejects private methods (a leading underscore, and `init`), as
/// `odoo.models.check_method_name` does in 17.0.
pub fn check_method_name(method: &str) -> OdooResult<()> {
    if method.starts_with('_') || method == "init" {
        return Err(OdooError::access(format!(
            "Private methods (such as {method}) cannot be called remotely."
        )));
    }
    Ok(())
}

/// Record methods take the ids as their first positional argument.
fn split_ids(args: &[Value]) -> OdooResult<(Vec<i64>, &[Value])> {
    let Some((first, rest)) = args.split_first() else {
        return Err(OdooError::new(
            crate::error::ErrorKind::IndexError,
            "tuple index out of range",
        ));
    };
    let ids = match first {
        // Odoo's `browse` takes any false value as no records.
        Value::Bool(false) | Value::None => Vec::new(),
        Value::Str(text) if text.is_empty() => Vec::new(),
        Value::List(items) => items.iter().map(record_id).collect::<OdooResult<_>>()?,
        single => vec![record_id(single)?],
    };
    Ok((ids, rest))
}

/// Reads one record id sent by a client. A float with an integral value
/// counts, because Odoo's SQL and record cache treat `8.0` as `8`.
// NOTE: Odoo fails later, and differently, on ids of other types. A
// string reaches PostgreSQL, which rejects `'x'` as an integer, and `True`
// reaches it as a boolean. The emulator raises one clear error instead of
// guessing each of those tracebacks.
fn record_id(value: &Value) -> OdooResult<i64> {
    match value {
        Value::Int(id) => Ok(*id),
        Value::Float(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => {
            Ok(*number as i64)
        }
        Value::Dict(_) => Err(OdooError::new(
            crate::error::ErrorKind::ProgrammingError,
            "can't adapt type 'dict'",
        )),
        other => Err(OdooError::value(format!(
            "Invalid record id {}: record ids are integers",
            other.python_repr()
        ))),
    }
}

/// Builds a signature in a constant, so its parameter list is `'static`.
macro_rules! signature {
    ($qualname:expr, [$($param:expr),* $(,)?] $(,)?) => {{
        const SIGNATURE: Signature = Signature { qualname: $qualname, params: &[$($param),*], var_keyword: false };
        SIGNATURE
    }};
}

fn model_method(method: &str, env: &Env<'_>) -> Option<Signature> {
    Some(match method {
        "create" => signature!("BaseModel.create", [required("vals_list")]),
        "search" => signature!(
            "BaseModel.search",
            [
                required("domain"),
                optional("offset"),
                optional("limit"),
                optional("order")
            ],
        ),
        "search_read" => {
            const SEARCH_READ: Signature = Signature {
                qualname: "BaseModel.search_read",
                params: &[
                    optional("domain"),
                    optional("fields"),
                    optional("offset"),
                    optional("limit"),
                    optional("order"),
                ],
                var_keyword: true,
            };
            SEARCH_READ
        }
        "search_count" => signature!(
            "BaseModel.search_count",
            [required("domain"), optional("limit")]
        ),
        "fields_get" => signature!(
            "BaseModel.fields_get",
            [optional("allfields"), optional("attributes")]
        ),
        "name_search" => signature!(
            "BaseModel.name_search",
            [
                optional("name"),
                optional("args"),
                optional("operator"),
                optional("limit")
            ],
        ),
        "name_create" => signature!("BaseModel.name_create", [required("name")]),
        "default_get" => signature!("BaseModel.default_get", [required("fields_list")]),
        "read_group" => signature!(
            "BaseModel.read_group",
            [
                required("domain"),
                required("fields"),
                required("groupby"),
                optional("offset"),
                optional("limit"),
                optional("orderby"),
                optional("lazy"),
            ],
        ),
        "load" => signature!("BaseModel.load", [required("fields"), required("data")]),
        "web_search_read" if env.version.has_web_read() => signature!(
            "Base.web_search_read",
            [
                required("domain"),
                required("specification"),
                optional("offset"),
                optional("limit"),
                optional("order"),
                optional("count_limit"),
            ],
        ),
        "check_access_rights" => {
            signature!(
                "BaseModel.check_access_rights",
                [required("operation"), optional("raise_exception")]
            )
        }
        "context_get" if env.state.schema.model("res.users").is_some() => {
            signature!("Users.context_get", [])
        }
        "check_object_reference" => signature!(
            "IrModelData.check_object_reference",
            [
                required("module"),
                required("xml_id"),
                optional("raise_on_access_error")
            ],
        ),
        _ => return None,
    })
}

fn record_method(method: &str, env: &Env<'_>, model: &Model) -> Option<Signature> {
    Some(match method {
        "read" => signature!("BaseModel.read", [optional("fields"), optional("load")]),
        "write" => signature!("BaseModel.write", [required("vals")]),
        "unlink" => signature!("BaseModel.unlink", []),
        "copy" => signature!("BaseModel.copy", [optional("default")]),
        "exists" => signature!("BaseModel.exists", []),
        "check_access_rule" => signature!("BaseModel.check_access_rule", [required("operation")]),
        "get_metadata" => signature!("BaseModel.get_metadata", []),
        "get_external_id" => signature!("BaseModel.get_external_id", []),
        "name_get" if env.version.has_name_get() => signature!("BaseModel.name_get", []),
        "web_read" if env.version.has_web_read() => {
            signature!("Base.web_read", [required("specification")])
        }
        "action_archive" | "action_unarchive" | "toggle_active" if model.has_active() => {
            signature!("BaseModel.action_archive", [])
        }
        _ if business::find(env, &model.name, method).is_some() => {
            signature!("BaseModel.method", [])
        }
        _ => return None,
    })
}

fn call_model_method(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    method: &str,
    bound: &Bound,
) -> OdooResult<Value> {
    match method {
        "create" => create(env, model, bound),
        "search" => {
            let query = query(bound, "domain")?;
            Ok(id_list(search::search(env, model, &query)?))
        }
        "search_read" => search_read(env, model, bound),
        "search_count" => {
            let domain = Domain::parse(bound.get("domain").unwrap_or(&Value::List(vec![])))?;
            let limit = row_count_arg(bound.given("limit"))?;
            Ok(Value::Int(search::count(env, model, &domain, limit)? as i64))
        }
        "fields_get" => introspect::fields_get(env, model, bound),
        "name_search" => names::name_search(env, model, bound),
        "name_create" => names::name_create(env, model, bound),
        "default_get" => introspect::default_get(env, model, bound),
        "read_group" => read_group::read_group(env, model, bound),
        "load" => load::load(env, model, bound),
        "web_search_read" => web_read::web_search_read(env, model, bound),
        "check_access_rights" => introspect::check_access_rights(env, model, bound),
        "context_get" => introspect::context_get(env),
        "check_object_reference" => introspect::check_object_reference(env, bound),
        _ => Err(OdooError::attribute(format!(
            "The method '{method}' does not exist on the model '{}'",
            model.name
        ))),
    }
}

fn call_record_method(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    method: &str,
    ids: &[i64],
    bound: &Bound,
) -> OdooResult<Value> {
    match method {
        "read" => {
            let fields = string_list(bound.given("fields"))?;
            // An absent `load` defaults to `_classic_read`, but an explicit
            // `None` is another value: Odoo 17's `_read_format` shows display
            // names only when `load == '_classic_read'`.
            let classic = bound
                .get("load")
                .is_none_or(|l| l.as_str() == Some("_classic_read"));
            Ok(Value::Records(search::read(
                env, model, ids, &fields, classic,
            )?))
        }
        "write" => {
            let vals = dict_arg(bound.get("vals"), "vals")?;
            write::write(env, model, ids, &vals)?;
            Ok(Value::Bool(true))
        }
        "unlink" => {
            unlink::unlink(env, model, ids)?;
            Ok(Value::Bool(true))
        }
        "copy" => introspect::copy(env, model, ids, bound),
        "exists" => Ok(id_list(
            ids.iter()
                .copied()
                .filter(|id| env.exists(&model.name, *id))
                .collect(),
        )),
        "check_access_rule" => {
            // Odoo 17 returns at once for the superuser. For anyone else,
            // `ir.rule._get_rules` rejects a mode that is not one of the
            // four operations, even for an empty recordset.
            if env.su {
                return Ok(Value::None);
            }
            let operation = rule_mode_arg(bound.get("operation"))?;
            env.check_access_rule(model, ids, operation)?;
            Ok(Value::None)
        }
        "get_metadata" => introspect::get_metadata(env, model, ids),
        "get_external_id" => Ok(introspect::get_external_id(env, model, ids)),
        "name_get" => names::name_get(env, model, ids),
        "web_read" => {
            let specification = bound.get("specification").unwrap_or(&Value::None);
            let records = web_read::web_read(env, model, ids, specification)?;
            Ok(Value::List(records.into_iter().map(Value::Dict).collect()))
        }
        "action_archive" | "action_unarchive" | "toggle_active" => archive(env, model, ids, method),
        _ => business::run(env, model, method, ids),
    }
}

fn create(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    match bound.get("vals_list") {
        Some(Value::Dict(vals)) => {
            let ids = write::create(env, model, std::slice::from_ref(vals))?;
            Ok(Value::Int(ids[0]))
        }
        Some(Value::List(items)) => {
            let vals_list = items
                .iter()
                .map(|item| match item {
                    Value::Dict(vals) => Ok(vals.clone()),
                    other => Err(not_a_dict(other)),
                })
                .collect::<OdooResult<Vec<Dict>>>()?;
            Ok(id_list(write::create(env, model, &vals_list)?))
        }
        Some(other) => Err(not_a_dict(other)),
        None => Err(not_a_dict(&Value::None)),
    }
}

/// Odoo's `create` reads each item as a mapping, so anything else fails
/// with a `TypeError`.
fn not_a_dict(value: &Value) -> OdooError {
    OdooError::type_error(format!("'{}' object is not a mapping", value.python_type()))
}

fn search_read(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let query = query(bound, "domain")?;
    let fields = string_list(bound.given("fields"))?;
    let classic = bound
        .extra
        .get("load")
        .is_none_or(|l| l.as_str() == Some("_classic_read"));
    Ok(Value::Records(search::search_read(
        env, model, &query, &fields, classic,
    )?))
}

fn archive(env: &mut Env<'_>, model: &Arc<Model>, ids: &[i64], method: &str) -> OdooResult<Value> {
    let active_field = model
        .field("active")
        .cloned()
        .expect("archive needs an active field");
    for &id in ids {
        let active = env.get(model, id, &active_field).is_truthy();
        let target = match method {
            "action_archive" => false,
            "action_unarchive" => true,
            _ => !active,
        };
        if active != target {
            write::write(
                env,
                model,
                &[id],
                &Dict::from_iter([("active".to_owned(), Value::Bool(target))]),
            )?;
        }
    }
    // `toggle_active` returns None in Odoo 17, and the archive actions
    // return its result, which XML-RPC then fails to marshal.
    Ok(Value::None)
}

/// Builds a search query from bound arguments.
pub fn query(bound: &Bound, domain_name: &str) -> OdooResult<Query> {
    let domain = match bound.get(domain_name) {
        Some(value) => Domain::parse(value)?,
        None => Domain::True,
    };
    Ok(Query {
        domain,
        offset: row_count_arg(bound.given("offset"))?.unwrap_or(0),
        limit: row_count_arg(bound.given("limit"))?,
        order: match bound.given("order") {
            Some(Value::Str(order)) => Some(order.clone()),
            Some(Value::Bool(false)) | None => None,
            Some(other) => {
                return Err(OdooError::type_error(format!(
                    "expected string or bytes-like object, got '{}'",
                    other.python_type()
                )))
            }
        },
    })
}

/// Reads the `offset` or `limit` of a search as sent. The search checks
/// its sign when it runs, as PostgreSQL does, so that the errors Odoo
/// raises before running the query come first.
pub fn row_count_arg(value: Option<&Value>) -> OdooResult<Option<i64>> {
    match value {
        None | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Int(n)) => Ok(Some(*n)),
        Some(other) => Err(not_comparable_with_int(other)),
    }
}

pub fn usize_arg(value: Option<&Value>) -> OdooResult<Option<usize>> {
    match value {
        None | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Int(n)) if *n >= 0 => Ok(Some(*n as usize)),
        Some(Value::Int(_)) => Ok(Some(0)),
        Some(other) => Err(not_comparable_with_int(other)),
    }
}

fn not_comparable_with_int(value: &Value) -> OdooError {
    OdooError::type_error(format!(
        "'<' not supported between instances of '{}' and 'int'",
        value.python_type()
    ))
}

pub fn string_list(value: Option<&Value>) -> OdooResult<Vec<String>> {
    match value {
        None | Some(Value::Bool(false)) => Ok(Vec::new()),
        Some(Value::Str(single)) => Ok(vec![single.clone()]),
        Some(Value::List(items)) => items
            .iter()
            .map(|item| match item {
                Value::Str(s) => Ok(s.clone()),
                other => Err(OdooError::type_error(format!(
                    "unhashable type: '{}'",
                    other.python_type()
                ))),
            })
            .collect(),
        Some(other) => Err(OdooError::type_error(format!(
            "'{}' object is not iterable",
            other.python_type()
        ))),
    }
}

pub fn dict_arg(value: Option<&Value>, name: &str) -> OdooResult<Dict> {
    match value {
        Some(Value::Dict(dict)) => Ok(dict.clone()),
        Some(other) => Err(OdooError::attribute(format!(
            "'{}' object has no attribute 'items'",
            other.python_type()
        ))),
        None => Err(OdooError::type_error(format!(
            "missing required argument '{name}'"
        ))),
    }
}

/// Reads the mode of `check_access_rule`, raising `ir.rule._get_rules`'s
/// `ValueError` with the repr of any other value.
fn rule_mode_arg(value: Option<&Value>) -> OdooResult<Operation> {
    let mode = value.cloned().unwrap_or(Value::None);
    mode.as_str()
        .and_then(Operation::parse)
        .ok_or_else(|| OdooError::value(format!("Invalid mode: {}", mode.python_repr())))
}

pub fn id_list(ids: Vec<i64>) -> Value {
    Value::List(ids.into_iter().map(Value::Int).collect())
}
