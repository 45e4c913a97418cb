//! `ORDER BY` clauses: parsing `order` strings and sorting ids.
//!
//! PostgreSQL's rules apply: `NULL` sorts last in ascending order and first
//! in descending order unless `NULLS FIRST`/`NULLS LAST` is given.
//! Ordering by a many2one orders by the comodel's own `_order`, as Odoo
//! does; ties are broken by id so results are deterministic.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{collate, compare_numbers};
use crate::orm::env::{reads_row_value, Env};
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::store::{FieldPosition, OtherRows, Row, SortedKey, SortedProbe, Table};
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

/// A record's id with its row, or `None` when the record has no row.
pub type RecordRow<'r> = (i64, Option<&'r Arc<Row>>);

/// Sorts ids by the terms, then by id.
pub fn sort(
    env: &Env<'_>,
    model: &Arc<Model>,
    ids: &mut [i64],
    terms: &[OrderTerm],
) -> OdooResult<()> {
    let count = ids.len();
    sort_first(env, model, ids, terms, count)
}

/// Puts the `count` first ids in the order of [`sort`] at the start of
/// `ids`, leaving the others after them in no particular order. The order
/// is total (ties are broken by id), so the first `count` are the same as
/// after a full sort, but a search with a `limit` avoids sorting them all.
pub fn sort_first(
    env: &Env<'_>,
    model: &Arc<Model>,
    ids: &mut [i64],
    terms: &[OrderTerm],
    count: usize,
) -> OdooResult<()> {
    let table = env.state.table(&model.name);
    let mut rows: Vec<RecordRow<'_>> = ids
        .iter()
        .map(|id| (*id, table.and_then(|table| table.rows.get(id))))
        .collect();
    sort_first_rows(env, model, &mut rows, terms, count)?;
    for (slot, (id, _)) in ids.iter_mut().zip(rows) {
        *slot = id;
    }
    Ok(())
}

/// Orders records given with their rows as [`sort_first`] orders ids. The
/// values of a record without a row are read through [`Env::get`].
pub fn sort_first_rows<'r>(
    env: &'r Env<'_>,
    model: &Arc<Model>,
    rows: &mut [RecordRow<'r>],
    terms: &[OrderTerm],
    count: usize,
) -> OdooResult<()> {
    let plan = plan(model, terms, 0);
    let mut keyed: Vec<(Vec<SortKey<'r>>, RecordRow<'r>)> = Vec::with_capacity(rows.len());
    for (id, row) in rows.iter() {
        let mut keys = Vec::with_capacity(plan.len());
        sort_keys(env, model, &plan, *id, *row, &mut keys)?;
        keyed.push((keys, (*id, *row)));
    }
    let compare = |(a, (id_a, _)): &(Vec<SortKey<'_>>, RecordRow<'_>),
                   (b, (id_b, _)): &(Vec<SortKey<'_>>, RecordRow<'_>)| {
        compare_keys(a, b).then(id_a.cmp(id_b))
    };
    if count < keyed.len() {
        if count > 0 {
            keyed.select_nth_unstable_by(count - 1, compare);
        }
        keyed[..count].sort_by(compare);
    } else {
        keyed.sort_by(compare);
    }
    for (slot, (_, record)) in rows.iter_mut().zip(keyed) {
        *slot = record;
    }
    Ok(())
}

/// Returns the first `count` records of `ids` in the order of [`sort`],
/// taken from the table's sorted ids. Returns `None`, and the caller
/// sorts, when the order reads other tables, when `ids` is under a
/// quarter of the table or when this version of the rows has no list yet.
pub fn first_in_sorted<'r>(
    env: &Env<'_>,
    model: &Arc<Model>,
    table: &'r Table,
    ids: &std::collections::BTreeSet<i64>,
    terms: &[OrderTerm],
    count: usize,
) -> OdooResult<Option<Vec<RecordRow<'r>>>> {
    // For a few ids, sorting them costs less than walking the whole list.
    if ids.len().saturating_mul(4) < table.rows.len() {
        return Ok(None);
    }

    if !reads_rows_only(model, terms) {
        return Ok(None);
    }
    let key = order_key(terms);
    let sort_all = || {
        let mut rows: Vec<RecordRow<'_>> = table
            .rows
            .iter()
            .map(|(id, row)| (*id, Some(row)))
            .collect();
        let all = rows.len();
        sort_first_rows(env, model, &mut rows, terms, all)?;
        let ids = rows.into_iter().map(|(id, _)| id).collect();
        // The terms read the table's own rows only.
        Ok::<_, OdooError>((ids, Some(OtherRows::default())))
    };
    let schema = &env.state.schema;
    let probe = SortedProbe {
        order: &key,
        schema,
    };
    let sorted = table.memos.sorted.get_or_compute(
        env.state,
        &probe,
        &table.rows,
        || SortedKey {
            order: key.clone(),
            schema: Arc::clone(schema),
        },
        sort_all,
    )?;
    let Some(sorted) = sorted else {
        return Ok(None);
    };

    let mut found = Vec::with_capacity(count.min(ids.len()));
    let members = IdBits::new(ids);
    for id in sorted.iter() {
        if found.len() == count {
            break;
        }
        let member = match &members {
            Some(members) => members.contains(*id),
            None => ids.contains(id),
        };
        if member {
            found.push((*id, table.rows.get(id)));
        }
    }
    Ok(Some(found))
}

/// Tells whether the order of records by `terms` depends on their ids
/// and their own rows alone. A many2one sorts by its comodel's rows, and
/// a computed field reads whatever it reads, so neither qualifies.
pub fn reads_rows_only(model: &Model, terms: &[OrderTerm]) -> bool {
    plan(model, terms, 0).iter().all(|term| {
        term.field.name == "id" || (term.plain && term.field.field_type != FieldType::Many2one)
    })
}

/// A set of ids as one bit per id from 0 to the largest, for testing each
/// id of a sorted list in a few instructions rather than a tree search.
struct IdBits(Vec<u64>);

impl IdBits {
    /// Returns the bits of `ids`, or `None` when they would take more
    /// than four words per id: ids spread far apart, or negative ones.
    fn new(ids: &std::collections::BTreeSet<i64>) -> Option<IdBits> {
        let first = *ids.first()?;
        let last = *ids.last()?;
        let words = usize::try_from(last / 64 + 1).ok()?;
        if first < 0 || words > ids.len().saturating_mul(4) {
            return None;
        }
        let mut bits = vec![0u64; words];
        for id in ids {
            // Every id is between 0 and `last`, checked above.
            let id = *id as usize;
            bits[id / 64] |= 1 << (id % 64);
        }
        Some(IdBits(bits))
    }

    fn contains(&self, id: i64) -> bool {
        usize::try_from(id)
            .ok()
            .and_then(|id| self.0.get(id / 64).map(|word| word & (1 << (id % 64)) != 0))
            .unwrap_or(false)
    }
}

/// Spells terms out in one canonical form, so order strings that differ
/// only in case or spacing share a sorted list.
fn order_key(terms: &[OrderTerm]) -> String {
    let mut key = String::new();
    for term in terms {
        key.push_str(&term.field);
        key.push_str(if term.descending { " desc" } else { " asc" });
        key.push_str(if term.nulls_first {
            " nulls first,"
        } else {
            " nulls last,"
        });
    }
    key
}

/// A sort value with its direction, flattened through many2one fields.
#[derive(Debug, Clone)]
struct SortKey<'r> {
    /// `None` for SQL's `NULL`.
    value: Option<SortValue<'r>>,
    descending: bool,
    nulls_first: bool,
}

/// A set value in the form [`crate::orm::domain::compare_values`] compares it, worked out
/// once per record rather than once per comparison. Text is borrowed from
/// the row when the value is stored.
#[derive(Debug, Clone)]
enum SortValue<'r> {
    Text(Cow<'r, str>),
    Number(f64),
    /// A value that `compare_values` cannot compare with any other, such
    /// as a list. Such values sort after numbers and text.
    Unordered,
}

impl<'r> SortValue<'r> {
    fn of(value: Cow<'r, Value>) -> SortValue<'r> {
        match value {
            Cow::Borrowed(Value::Str(text)) => SortValue::Text(Cow::Borrowed(text)),
            Cow::Owned(Value::Str(text)) => SortValue::Text(Cow::Owned(text)),
            other => other
                .as_f64()
                .map_or(SortValue::Unordered, SortValue::Number),
        }
    }

    /// Orders two values as `compare_values` does. Values of different
    /// kinds, which one column holds only when a profile stores
    /// inconsistent data, sort by kind, so that the order stays total:
    /// Rust's sorts panic on an order that is not.
    fn compare(&self, other: &SortValue<'_>) -> Ordering {
        match (self, other) {
            (SortValue::Text(a), SortValue::Text(b)) => collate(a, b),
            (SortValue::Number(a), SortValue::Number(b)) => compare_numbers(*a, *b),
            _ => self.kind().cmp(&other.kind()),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            SortValue::Number(_) => 0,
            SortValue::Text(_) => 1,
            SortValue::Unordered => 2,
        }
    }
}

/// A comodel and the plan of its own order.
type NestedPlan = (Arc<Model>, Vec<TermPlan>);

/// One order term resolved against its model once for all records.
#[derive(Debug)]
struct TermPlan {
    field: Arc<Field>,
    descending: bool,
    nulls_first: bool,
    /// For a many2one above the depth bound: the comodel and its own
    /// order, resolved on first use because a failure to resolve it is
    /// only an error when a record points to the comodel.
    nested: Option<OnceCell<OdooResult<NestedPlan>>>,
    depth: usize,
    position: FieldPosition,
    /// Whether the value is read from the row, as [`reads_row_value`]
    /// decides once for all records.
    plain: bool,
}

/// Resolves the terms' fields. `parse` has checked that they exist.
fn plan(model: &Model, terms: &[OrderTerm], depth: usize) -> Vec<TermPlan> {
    terms
        .iter()
        .filter_map(|term| {
            let field = model.field(&term.field)?.clone();
            // A many2one sorts by its comodel's `_order`; the depth bound
            // stops models whose order refers back to themselves.
            let nested = (field.field_type == FieldType::Many2one && depth < 2).then(OnceCell::new);
            let position = FieldPosition::new(&field.name);
            let plain = reads_row_value(&field);
            Some(TermPlan {
                plain,
                field,
                descending: term.descending,
                nulls_first: term.nulls_first,
                nested,
                depth,
                position,
            })
        })
        .collect()
}

/// Resolves the comodel order of a many2one term, with the directions
/// flipped when the term is descending.
fn plan_nested(env: &Env<'_>, term: &TermPlan) -> OdooResult<NestedPlan> {
    let comodel = env.model(term.field.comodel())?;
    let mut nested = parse(&comodel, &comodel.order)?;
    for nested_term in &mut nested {
        nested_term.descending ^= term.descending;
        nested_term.nulls_first = nested_term.descending;
    }
    let plan = plan(&comodel, &nested, term.depth + 1);
    Ok((comodel, plan))
}

/// Appends the sort keys of record `id`. `row` is the record's row when
/// the caller has it, so plain columns are read without a lookup.
fn sort_keys<'r>(
    env: &'r Env<'_>,
    model: &Model,
    plan: &[TermPlan],
    id: i64,
    row: Option<&'r Arc<Row>>,
    keys: &mut Vec<SortKey<'r>>,
) -> OdooResult<()> {
    for term in plan {
        let value = match row {
            Some(row) if term.plain => match term.position.get(row, &term.field.name) {
                Some(value) => Cow::Borrowed(value),
                None => Cow::Owned(term.field.field_type.empty_value()),
            },
            _ => Cow::Owned(env.get(model, id, &term.field)),
        };
        let target = value
            .as_i64()
            .filter(|_| term.field.field_type == FieldType::Many2one);
        if let (Some(target), Some(nested)) = (target, &term.nested) {
            let (comodel, nested_plan) = nested
                .get_or_init(|| plan_nested(env, term))
                .as_ref()
                .map_err(Clone::clone)?;
            let target_row = env.state.row(&comodel.name, target);
            sort_keys(env, comodel, nested_plan, target, target_row, keys)?;
            continue;
        }
        let unset = matches!(*value, Value::Bool(false) | Value::None)
            && !matches!(term.field.field_type, FieldType::Boolean);
        keys.push(SortKey {
            value: (!unset).then(|| SortValue::of(value)),
            descending: term.descending,
            nulls_first: term.nulls_first,
        });
    }
    Ok(())
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
                let natural = left.compare(right);
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
