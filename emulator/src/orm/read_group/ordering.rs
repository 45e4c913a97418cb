//! The order of `read_group`'s groups, as Odoo 17's `read_group` and
//! `_read_group_orderby` give it: by `orderby` when given, else by the
//! groupbys, with a many2one ordered by its comodel's `_order`.
//!
//! Where it differs from Odoo 17: an `orderby` term that names a valid
//! aggregate that `fields` does not request is left out, where Odoo
//! computes it to sort by.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::compare_values;
use crate::orm::order;
use crate::orm::schema::{FieldType, Model};
use crate::orm::Env;
use crate::value::{python_str_repr, Dict, Value};

use super::function::Function;
use super::{GroupBy, GroupKey};

/// One term of the groups' order.
pub(super) struct SortTerm {
    key: SortKey,
    descending: bool,
    nulls_first: bool,
}

enum SortKey {
    /// The value of the groupby at this index; for a many2one ordered by
    /// its comodel, the rank of each id in that order.
    Groupby(usize, Option<Ranks>),
    /// The value of a boolean groupby at this index, which Odoo reads
    /// with `COALESCE(field, FALSE)`, so that `False` sorts before `True`
    /// rather than as unset.
    Boolean(usize),
    /// The aggregate under this output key.
    Aggregate(String),
}

/// Returns the order of the groups: `orderby` with its names rewritten to
/// the annotated specifications as Odoo's `read_group` does, or the
/// groupbys in turn. `aggregates` pairs each output key with its
/// `field:function` specification; `keys` are the groups' values.
pub(super) fn terms(
    env: &Env<'_>,
    model: &Model,
    orderby: Option<&str>,
    groupbys: &[GroupBy],
    aggregates: &[(String, String)],
    keys: &[&[GroupKey]],
) -> OdooResult<Vec<SortTerm>> {
    let annotated: Vec<(String, String)> = groupbys
        .iter()
        .map(|groupby| {
            let is_date = model.field(&groupby.field).is_some_and(|field| {
                matches!(field.field_type, FieldType::Date | FieldType::Datetime)
            });
            let spec = match (&groupby.granularity, is_date) {
                (Some(granularity), true) => format!("{}:{granularity}", groupby.field),
                _ => groupby.spec.clone(),
            };
            (groupby.spec.clone(), spec)
        })
        .collect();
    let mut order = match orderby.filter(|text| !text.is_empty()) {
        Some(orderby) => orderby
            .split(',')
            .map(|term| rewrite(term.trim(), &annotated, aggregates))
            .collect::<Vec<_>>()
            .join(","),
        None => String::new(),
    };
    // An `orderby` of only spaces leaves an empty order, which Odoo's
    // `_read_group_orderby` replaces by the groupbys without following a
    // many2one's comodel order.
    let traverse = !order.is_empty() || orderby.is_none_or(str::is_empty);
    if order.is_empty() {
        order = annotated
            .iter()
            .map(|(_, spec)| spec.clone())
            .collect::<Vec<_>>()
            .join(",");
    }
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let mut terms = Vec::new();
    for part in order.split(',') {
        let Some((term, descending, nulls_first)) = parse_part(part) else {
            return Err(OdooError::value(format!(
                "Invalid order {} for _read_group()",
                python_str_repr(&order)
            )));
        };
        let mut nulls_first = nulls_first;
        let key = if let Some(index) = annotated.iter().position(|(_, spec)| *spec == term) {
            let boolean = model
                .field(&groupbys[index].field)
                .is_some_and(|field| field.field_type == FieldType::Boolean);
            if boolean {
                SortKey::Boolean(index)
            } else {
                let ranks = if traverse {
                    comodel_ranks(env, model, &groupbys[index], index, keys)?
                } else {
                    None
                };
                if let Some(ranks) = &ranks {
                    if !explicit_nulls(part) {
                        // Reversing the comodel's order reverses where its
                        // unset group goes.
                        nulls_first = ranks.unset_first != descending;
                    }
                }
                SortKey::Groupby(index, ranks)
            }
        } else if let Some((key, _)) = aggregates.iter().find(|(_, spec)| *spec == term) {
            SortKey::Aggregate(key.clone())
        } else if is_aggregate(env, model, &term) {
            continue;
        } else {
            return Err(OdooError::value(format!(
                "Order term {} is not a valid aggregate nor valid groupby",
                python_str_repr(part)
            )));
        };
        terms.push(SortTerm {
            key,
            descending,
            nulls_first,
        });
    }
    Ok(terms)
}

/// Replaces the first groupby or aggregate name that `term` starts with
/// by its specification, trying the groupbys last to first and then the
/// aggregates, as Odoo 17's `read_group` does.
fn rewrite(term: &str, groupbys: &[(String, String)], aggregates: &[(String, String)]) -> String {
    for (name, spec) in groupbys.iter().rev().chain(aggregates) {
        let name = name.split(':').next().unwrap_or(name);
        if term == name || term.starts_with(&format!("{name} ")) {
            return term.replace(name, spec);
        }
    }
    term.to_owned()
}

/// Reads one part of an order as Odoo's `regex_order` does. A term comes
/// first: a field name, bare or in double quotes, with an optional
/// `.property` and an optional `:function`. An optional direction
/// follows, then `nulls first` or `nulls last` with one space inside.
/// Names and keywords match in any case. Returns the term as written, whether it is
/// descending and whether unset values come first (PostgreSQL's default:
/// last when ascending).
fn parse_part(part: &str) -> Option<(String, bool, bool)> {
    let part = part.trim_start();
    let term_end = part.find(char::is_whitespace).unwrap_or(part.len());
    let (term, mut rest) = part.split_at(term_end);
    if !valid_term(term) {
        return None;
    }
    // Takes `keyword` after at least one space, in any case.
    let mut keyword = |word: &str| -> bool {
        let trimmed = rest.trim_start();
        let spaced = trimmed.len() < rest.len();
        let found = spaced
            && trimmed
                .get(..word.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(word))
            && trimmed[word.len()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace);
        if found {
            rest = &trimmed[word.len()..];
        }
        found
    };
    let descending = if keyword("desc") {
        true
    } else {
        keyword("asc");
        false
    };
    let nulls_first = if keyword("nulls first") {
        true
    } else if keyword("nulls last") {
        false
    } else {
        descending
    };
    rest.trim()
        .is_empty()
        .then(|| (term.to_owned(), descending, nulls_first))
}

/// Tells whether `term` reads as `regex_order`'s term.
fn valid_term(term: &str) -> bool {
    let name = |text: &str| {
        !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let (path, function) = match term.split_once(':') {
        Some((path, function)) => (path, Some(function)),
        None => (term, None),
    };
    let (field, property) = match path.split_once('.') {
        Some((field, property)) => (field, Some(property)),
        None => (path, None),
    };
    let field = field
        .strip_prefix('"')
        .and_then(|quoted| quoted.strip_suffix('"'))
        .unwrap_or(field);
    name(field)
        && property.is_none_or(name)
        && function
            .is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
}

/// Tells whether an order part names `nulls first` or `nulls last`.
fn explicit_nulls(part: &str) -> bool {
    part.to_ascii_lowercase().contains("nulls")
}

/// Tells whether `term` is an aggregate specification Odoo's
/// `_read_group_select` accepts: `__count`, or a field and a function.
fn is_aggregate(env: &Env<'_>, model: &Model, term: &str) -> bool {
    if term == "__count" {
        return true;
    }
    let Some((field, function)) = term.split_once(':') else {
        return false;
    };
    model.has_field(field) && Function::parse(function, env.version).is_some()
}

/// Ranks the ids of a many2one groupby in its comodel's `_order`, which
/// Odoo follows when the comodel's order is not just `id`.
fn comodel_ranks(
    env: &Env<'_>,
    model: &Model,
    groupby: &GroupBy,
    index: usize,
    keys: &[&[GroupKey]],
) -> OdooResult<Option<Ranks>> {
    let Some(field) = model.field(&groupby.field) else {
        return Ok(None);
    };
    if field.field_type != FieldType::Many2one {
        return Ok(None);
    }
    let comodel: Arc<Model> = env.model(field.comodel())?;
    if comodel.order.trim() == "id" {
        return Ok(None);
    }
    let mut ids: Vec<i64> = keys
        .iter()
        .filter_map(|key| key[index].raw.as_i64().filter(|id| *id > 0))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let order_terms = order::parse(&comodel, &comodel.order)?;
    order::sort(env, &comodel, &mut ids, &order_terms)?;
    Ok(Some(Ranks {
        ranks: ids
            .into_iter()
            .enumerate()
            .map(|(rank, id)| (id, rank))
            .collect(),
        unset_first: order_terms.first().is_some_and(|term| term.nulls_first),
    }))
}

/// A many2one's ids ranked in its comodel's `_order`, and where its unset
/// group goes in that order. Odoo joins the comodel, whose columns are
/// `NULL` for that group. PostgreSQL puts `NULL`s first when descending,
/// so the group comes first when the order's first term is descending,
/// and last otherwise.
struct Ranks {
    ranks: HashMap<i64, usize>,
    unset_first: bool,
}

/// Compares two groups by the terms in turn.
pub(super) fn compare(
    terms: &[SortTerm],
    (a_key, a_row): (&[GroupKey], &Dict),
    (b_key, b_row): (&[GroupKey], &Dict),
) -> Ordering {
    for term in terms {
        let (a, b) = match &term.key {
            SortKey::Groupby(index, Some(ranks)) => (
                rank_of(&ranks.ranks, &a_key[*index].raw),
                rank_of(&ranks.ranks, &b_key[*index].raw),
            ),
            SortKey::Groupby(index, None) => (a_key[*index].raw.clone(), b_key[*index].raw.clone()),
            SortKey::Boolean(index) => {
                let flag = |key: &[GroupKey]| Value::Int(i64::from(key[*index].raw.is_truthy()));
                (flag(a_key), flag(b_key))
            }
            SortKey::Aggregate(key) => (
                a_row.get(key).cloned().unwrap_or_default(),
                b_row.get(key).cloned().unwrap_or_default(),
            ),
        };
        // Two booleans are values, as `bool_and` and `bool_or` give them;
        // `False` stands for `NULL` only beside another kind of value.
        let (a, b) = match (&a, &b) {
            (Value::Bool(x), Value::Bool(y)) => {
                (Value::Int(i64::from(*x)), Value::Int(i64::from(*y)))
            }
            _ => (a, b),
        };
        let unset = |value: &Value| matches!(value, Value::None | Value::Bool(false));
        let ordering = match (unset(&a), unset(&b)) {
            (true, true) => Ordering::Equal,
            (true, false) if term.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if term.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let ordering = compare_values(&a, &b).unwrap_or(Ordering::Equal);
                if term.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            }
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

fn rank_of(ranks: &HashMap<i64, usize>, value: &Value) -> Value {
    match value.as_i64().and_then(|id| ranks.get(&id)) {
        Some(rank) => Value::Int(i64::try_from(*rank).unwrap_or(i64::MAX)),
        None => Value::Bool(false),
    }
}
