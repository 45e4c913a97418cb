//! `ORDER BY` clauses: parsing `order` strings and sorting ids.
//!
//! PostgreSQL's rules apply: `NULL` sorts last in ascending order and first
//! in descending order unless `NULLS FIRST`/`NULLS LAST` says otherwise.
//! Ordering by a many2one orders by the comodel's own `_order`, as Odoo
//! does; ties are broken by id so results are deterministic.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::compare_values;
use crate::orm::env::Env;
use crate::orm::schema::{FieldType, Model};
use crate::value::{python_str_repr, Value};

/// One `ORDER BY` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTerm {
    pub field: String,
    pub descending: bool,
    pub nulls_first: bool,
}

/// Parses an order string such as `name asc, id desc nulls last`.
pub fn parse(model: &Model, text: &str) -> OdooResult<Vec<OrderTerm>> {
    let mut terms = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let words: Vec<String> = part.split_whitespace().map(str::to_owned).collect();
        terms.push(parse_term(model, text, &words)?);
    }
    Ok(terms)
}

fn parse_term(model: &Model, whole: &str, words: &[String]) -> OdooResult<OrderTerm> {
    let invalid = || {
        OdooError::value(format!("Invalid \"order\" specified ({whole}). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)"))
    };
    let (field, rest) = words.split_first().ok_or_else(invalid)?;
    let lowered: Vec<String> = rest.iter().map(|w| w.to_ascii_lowercase()).collect();
    let (descending, rest) = match lowered.first().map(String::as_str) {
        Some("desc") => (true, &lowered[1..]),
        Some("asc") => (false, &lowered[1..]),
        _ => (false, &lowered[..]),
    };
    let nulls_first = match rest {
        [] => descending,
        [nulls, first] if nulls == "nulls" && first == "first" => true,
        [nulls, last] if nulls == "nulls" && last == "last" => false,
        _ => return Err(invalid()),
    };
    let field_name = field.trim_matches('"');
    let Some(spec) = model.field(field_name) else {
        return Err(OdooError::value(format!(
            "Invalid field {} on model {}",
            python_str_repr(field_name),
            python_str_repr(&model.name)
        )));
    };
    if !spec.is_searchable() && spec.name != "display_name" {
        return Err(OdooError::value(format!(
            "Cannot convert {}.{} to SQL because it is not stored",
            model.name, field_name
        )));
    }
    Ok(OrderTerm {
        field: field_name.to_owned(),
        descending,
        nulls_first,
    })
}

/// Sorts ids by the terms, then by id.
pub fn sort(
    env: &Env<'_>,
    model: &Arc<Model>,
    ids: &mut [i64],
    terms: &[OrderTerm],
) -> OdooResult<()> {
    let mut keyed: Vec<(Vec<SortKey>, i64)> = Vec::with_capacity(ids.len());
    for id in ids.iter() {
        keyed.push((sort_keys(env, model, *id, terms, 0)?, *id));
    }
    keyed.sort_by(|(a, id_a), (b, id_b)| compare_keys(a, b).then(id_a.cmp(id_b)));
    for (slot, (_, id)) in ids.iter_mut().zip(keyed) {
        *slot = id;
    }
    Ok(())
}

/// A sort value with its direction, flattened through many2one fields.
#[derive(Debug, Clone)]
struct SortKey {
    value: Option<Value>,
    descending: bool,
    nulls_first: bool,
}

fn sort_keys(
    env: &Env<'_>,
    model: &Model,
    id: i64,
    terms: &[OrderTerm],
    depth: usize,
) -> OdooResult<Vec<SortKey>> {
    let mut keys = Vec::new();
    for term in terms {
        let field = env.field(model, &term.field)?;
        let value = env.get(model, id, &field);
        let target = value
            .as_i64()
            .filter(|_| field.field_type == FieldType::Many2one);
        // A many2one sorts by its comodel's `_order`; the depth bound stops
        // models whose order refers back to themselves.
        if let (Some(target), true) = (target, depth < 2) {
            let comodel = env.model(field.comodel())?;
            let mut nested = parse(&comodel, &comodel.order)?;
            for nested_term in &mut nested {
                nested_term.descending ^= term.descending;
                nested_term.nulls_first = nested_term.descending;
            }
            keys.extend(sort_keys(env, &comodel, target, &nested, depth + 1)?);
            continue;
        }
        let unset = matches!(value, Value::Bool(false) | Value::None)
            && !matches!(field.field_type, FieldType::Boolean);
        keys.push(SortKey {
            value: (!unset).then_some(value),
            descending: term.descending,
            nulls_first: term.nulls_first,
        });
    }
    Ok(keys)
}

fn compare_keys(a: &[SortKey], b: &[SortKey]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ordering = match (&x.value, &y.value) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => {
                if x.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (Some(_), None) => {
                if x.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Some(left), Some(right)) => {
                let natural = compare_values(left, right).unwrap_or(Ordering::Equal);
                if x.descending {
                    natural.reverse()
                } else {
                    natural
                }
            }
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}
