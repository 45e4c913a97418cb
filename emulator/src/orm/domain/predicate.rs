//! Row-at-a-time evaluation of the domains whose every leaf tests a
//! record's own stored values.
//!
//! Set-based evaluation builds a set of ids per leaf and combines the
//! sets, which looks every record up once per leaf. Most domains, and the
//! record rules added to nearly every search, only compare a record's own
//! columns with constants, so they can be tested on each row in turn
//! instead: one pass over the table and no intermediate sets. Because
//! every leaf is a test of one record, the two evaluations select the
//! same records. A domain with any other leaf (a dotted path, `any`, a
//! name search on a relational field, a computed field) is left to the
//! set-based evaluator as a whole.
//!
//! Compiling visits the leaves in the order the set-based evaluator does
//! and prepares each one as that evaluator would, so a domain raises the
//! same error either way.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{hierarchy_source, hierarchy_targets, Domain, Leaf, Matcher, Operator, Scope};
use crate::error::OdooResult;
use crate::orm::env::{ids_of, reads_row_value, Env};
use crate::orm::schema::{Field, Model};
use crate::orm::store::{DbState, FieldPosition, OtherRows, Row};
use crate::value::Value;

/// A domain prepared for testing one record at a time.
pub(super) enum Predicate<'d> {
    True,
    False,
    And(Vec<Predicate<'d>>),
    Or(Vec<Predicate<'d>>),
    Not(Box<Predicate<'d>>),
    /// A comparison of a stored column, or of `id`, with the leaf's value.
    Compare {
        column: Column,
        matcher: Matcher<'d>,
    },
    /// A comparison of an x2many column's set of ids with the leaf's
    /// value.
    CompareSet {
        column: Column,
        matcher: Matcher<'d>,
    },
    /// A relational column or `id` pointing into a set of records: a
    /// `child_of` or `parent_of` leaf once its hierarchy is resolved.
    PointsInto {
        column: Column,
        targets: BTreeSet<i64>,
    },
}

/// The source of a leaf's value.
pub(super) enum Column {
    /// The record's id.
    Id,
    /// A stored value, read from the row as [`Env::get`] would return it,
    /// or the field's empty value when the row does not hold it.
    Stored {
        field: Arc<Field>,
        empty: Value,
        position: FieldPosition,
    },
}

impl Column {
    fn of(field: Arc<Field>) -> Option<Column> {
        if field.name == "id" {
            return Some(Column::Id);
        }
        if !Column::reads_row(&field) {
            return None;
        }
        let empty = field.field_type.empty_value();
        let position = FieldPosition::new(&field.name);
        Some(Column::Stored {
            field,
            empty,
            position,
        })
    }

    /// Tells whether [`Column::of`] makes a column of `field`.
    fn reads_row(field: &Field) -> bool {
        field.name == "id" || reads_row_value(field)
    }

    /// Returns the record's value of a stored column, or `None` for
    /// [`Column::Id`], whose value is the record's id.
    fn stored<'r>(&'r self, row: &'r Row) -> Option<&'r Value> {
        match self {
            Column::Id => None,
            Column::Stored {
                field,
                empty,
                position,
            } => Some(position.get(row, &field.name).unwrap_or(empty)),
        }
    }
}

/// Prepares `domain` for row-at-a-time testing, or returns `None` when a
/// leaf needs the set-based evaluator.
///
/// # Errors
///
/// Raises what the set-based evaluator raises for the first invalid leaf:
/// an unknown field or a value its operator cannot take.
pub(super) fn compile<'d>(
    env: &Env<'_>,
    model: &Model,
    domain: &'d Domain,
) -> OdooResult<Option<Predicate<'d>>> {
    compile_reading(env, model, domain, &mut Reads::default())
}

/// The data that compiling a domain read besides the schema and the
/// domain itself.
#[derive(Debug, Default)]
pub(super) struct Reads {
    /// The models whose rows the `child_of` and `parent_of` leaves
    /// resolved their records from, in leaf order.
    models: Vec<String>,
    /// Whether compiling read anything else, or logged an ignored leaf, so
    /// that a memo could not repeat its outcome without compiling again.
    untracked: bool,
}

impl Reads {
    /// Returns the current rows of the tables read other than `model`'s,
    /// or `None` when compiling read something untracked.
    pub(super) fn other_rows(&self, state: &DbState, model: &str) -> Option<OtherRows> {
        if self.untracked {
            return None;
        }
        let others = self.models.iter().map(String::as_str);
        Some(OtherRows::of(state, others.filter(|name| *name != model)))
    }

    pub(super) fn untracked(&self) -> bool {
        self.untracked
    }
}

/// Compiles as [`compile`] does, and adds what the compilation read to
/// `reads`.
pub(super) fn compile_reading<'d>(
    env: &Env<'_>,
    model: &Model,
    domain: &'d Domain,
    reads: &mut Reads,
) -> OdooResult<Option<Predicate<'d>>> {
    Ok(match domain {
        Domain::True => Some(Predicate::True),
        Domain::False => Some(Predicate::False),
        Domain::And(parts) => compile_all(env, model, parts, reads)?.map(Predicate::all),
        Domain::Or(parts) => compile_all(env, model, parts, reads)?.map(Predicate::any),
        Domain::Not(inner) if super::drops_not(env, model, inner) => {
            compile_reading(env, model, inner, reads)?
        }
        Domain::Not(inner) => {
            compile_reading(env, model, inner, reads)?.map(|p| Predicate::Not(Box::new(p)))
        }
        Domain::Leaf(leaf) => compile_leaf(env, model, leaf, reads)?,
    })
}

fn compile_all<'d>(
    env: &Env<'_>,
    model: &Model,
    parts: &'d [Domain],
    reads: &mut Reads,
) -> OdooResult<Option<Vec<Predicate<'d>>>> {
    let mut compiled = Vec::with_capacity(parts.len());
    for part in parts {
        match compile_reading(env, model, part, reads)? {
            Some(predicate) => compiled.push(predicate),
            None => return Ok(None),
        }
    }
    Ok(Some(compiled))
}

/// Mirrors the checks of the set-based `evaluate_leaf`, in its order.
fn compile_leaf<'d>(
    env: &Env<'_>,
    model: &Model,
    leaf: &'d Leaf,
    reads: &mut Reads,
) -> OdooResult<Option<Predicate<'d>>> {
    let field = env.field(model, &leaf.path[0])?;
    if field.ignored_in_domains() {
        super::log_ignored_leaf(model, &field);
        reads.untracked = true;
        return Ok(Some(Predicate::True));
    }
    if leaf.path.len() > 1 || matches!(leaf.operator, Operator::Any | Operator::NotAny) {
        return Ok(None);
    }
    if matches!(leaf.operator, Operator::ChildOf | Operator::ParentOf) {
        if Column::of(field).is_none() {
            return Ok(None);
        }
        let (field, targets) = hierarchy_targets(env, model, leaf)?;
        match hierarchy_source(env, model, leaf) {
            Some(source) => reads.models.push(source),
            None => reads.untracked = true,
        }
        return Ok(Column::of(field).map(|column| Predicate::PointsInto { column, targets }));
    }
    if field.field_type.is_relational() && matches!(leaf.value, Value::Str(_)) {
        return Ok(None);
    }
    let x2many = field.field_type.is_x2many();
    let field_type = field.field_type;
    let digits = field.digits;
    let Some(column) = Column::of(field) else {
        return Ok(None);
    };
    let matcher = Matcher::new(leaf.operator, &leaf.value, field_type, digits)?;
    if x2many {
        return Ok(Some(Predicate::CompareSet { column, matcher }));
    }
    Ok(Some(Predicate::Compare { column, matcher }))
}

/// Tells whether [`compile`] would prepare every leaf of `domain` for
/// testing rows without logging, and resolve each hierarchy leaf from
/// the rows of one table, whose model it adds to `models`. It resolves
/// and logs nothing itself, and returns false for an invalid leaf rather
/// than raising its error.
pub(super) fn reads_rows_only(
    env: &Env<'_>,
    model: &Model,
    domain: &Domain,
    models: &mut Vec<String>,
) -> bool {
    match domain {
        Domain::True | Domain::False => true,
        Domain::And(parts) | Domain::Or(parts) => parts
            .iter()
            .all(|part| reads_rows_only(env, model, part, models)),
        Domain::Not(inner) => reads_rows_only(env, model, inner, models),
        Domain::Leaf(leaf) => leaf_reads_rows_only(env, model, leaf, models),
    }
}

/// Checks one leaf for [`reads_rows_only`], as [`compile_leaf`] decides.
fn leaf_reads_rows_only(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    models: &mut Vec<String>,
) -> bool {
    let Some(field) = model.field(&leaf.path[0]) else {
        return false;
    };
    let set_based = field.ignored_in_domains()
        || leaf.path.len() > 1
        || matches!(leaf.operator, Operator::Any | Operator::NotAny)
        || !Column::reads_row(field);
    if set_based {
        return false;
    }
    if matches!(leaf.operator, Operator::ChildOf | Operator::ParentOf) {
        let Some(source) = hierarchy_source(env, model, leaf) else {
            return false;
        };
        models.push(source);
        return true;
    }
    !(field.field_type.is_relational() && matches!(leaf.value, Value::Str(_)))
}

impl<'d> Predicate<'d> {
    /// Joins parts with `&`, dropping the parts that are always true and
    /// merging nested `&`s, so each row walks a flatter tree. A search
    /// joins its domain, the implicit `active` leaf and the record rules
    /// with `&`, and each of those is often an `&` or `|` itself.
    fn all(parts: Vec<Predicate<'d>>) -> Predicate<'d> {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Predicate::True => {}
                Predicate::False => return Predicate::False,
                Predicate::And(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Predicate::True,
            1 => flat.pop().expect("one part"),
            _ => Predicate::And(flat),
        }
    }

    /// Joins parts with `|` as [`Predicate::all`] joins them with `&`.
    fn any(parts: Vec<Predicate<'d>>) -> Predicate<'d> {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Predicate::False => {}
                Predicate::True => return Predicate::True,
                Predicate::Or(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Predicate::False,
            1 => flat.pop().expect("one part"),
            _ => Predicate::Or(flat),
        }
    }

    fn test(&self, id: i64, row: &Row) -> bool {
        match self {
            Predicate::True => true,
            Predicate::False => false,
            Predicate::And(parts) => parts.iter().all(|part| part.test(id, row)),
            Predicate::Or(parts) => parts.iter().any(|part| part.test(id, row)),
            Predicate::Not(inner) => !inner.test(id, row),
            // A stored value is matched without a closure or a temporary
            // value, which this test of every row would pay for whenever
            // the compiler does not inline them.
            Predicate::Compare { column, matcher } => match column.stored(row) {
                Some(value) => matcher.matches(value),
                None => matcher.matches(&Value::Int(id)),
            },
            Predicate::CompareSet { column, matcher } => match column.stored(row) {
                Some(value) => matcher.matches_set(&ids_of(value)),
                None => matcher.matches_set(&[id]),
            },
            Predicate::PointsInto { column, targets } => match column.stored(row) {
                Some(Value::Int(target)) => targets.contains(target),
                Some(other) => ids_of(other).iter().any(|t| targets.contains(t)),
                None => targets.contains(&id),
            },
        }
    }
}

/// Returns the records of `scope` that pass `predicate`.
pub(super) fn filter(
    env: &Env<'_>,
    model: &Model,
    predicate: &Predicate<'_>,
    scope: Scope<'_>,
) -> BTreeSet<i64> {
    let Some(table) = env.state.table(&model.name) else {
        return BTreeSet::new();
    };
    match scope {
        Scope::All => table
            .rows
            .iter()
            .filter(|(id, row)| predicate.test(**id, row))
            .map(|(id, _)| *id)
            .collect(),
        Scope::Ids(ids) => ids
            .iter()
            .copied()
            .filter(|id| {
                table
                    .rows
                    .get(id)
                    .is_some_and(|row| predicate.test(*id, row))
            })
            .collect(),
    }
}
