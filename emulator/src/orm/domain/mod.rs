//! Search domains: parsing Odoo's prefix notation and evaluating it
//! against the store.
//!
//! Evaluation is set-based, as SQL is: each leaf yields the set of matching
//! ids, and dotted paths become sub-searches on the comodel. Differences
//! from Odoo a client could notice:
//! - text compares by Unicode code point, which is PostgreSQL's `C`
//!   collation (Odoo creates its databases with `LC_COLLATE 'C'`) except
//!   that PostgreSQL compares UTF-8 bytes, which orders the same;
//! - `ilike` does not apply `unaccent`, which Odoo uses only when the
//!   database has the extension;
//! - negative operators on a dotted path are applied inside the sub-search
//!   (`partner_id.name != 'x'` matches records whose partner's name is not
//!   `x`), not as the complement of the positive search;
//! - a domain whose tree is deeper than [`MAX_DOMAIN_DEPTH`] levels, after
//!   merging `&` in `&`, `|` in `|` and cancelling `!` pairs, raises a
//!   `ValueError`, because evaluation recurses once per level. Odoo's
//!   domain normalization does not recurse and has no such limit;
//! - `any` and `not any` sub-domains nested more than [`MAX_ANY_DEPTH`]
//!   deep raise a `ValueError`.

mod predicate;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::env::{ids_of, reads_row_value, Env};
use crate::orm::schema::{Field, FieldType, Model, Schema};
use crate::orm::store::{OtherRows, Row};
use crate::value::{python_str_repr, Value};
use rustc_hash::FxHashSet;

/// A parsed domain.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Domain {
    #[default]
    True,
    False,
    And(Vec<Domain>),
    Or(Vec<Domain>),
    Not(Box<Domain>),
    Leaf(Leaf),
}

/// A condition on one field path.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub path: Vec<String>,
    pub operator: Operator,
    pub value: Value,
}

/// A domain operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    EqOrUnset,
    EqLike,
    EqIlike,
    Like,
    NotLike,
    Ilike,
    NotIlike,
    In,
    NotIn,
    ChildOf,
    ParentOf,
    Any,
    NotAny,
}

impl Operator {
    pub fn parse(text: &str) -> Option<Operator> {
        Some(match text.to_ascii_lowercase().as_str() {
            "=" | "==" => Operator::Eq,
            "!=" | "<>" => Operator::Ne,
            "<" => Operator::Lt,
            "<=" => Operator::Le,
            ">" => Operator::Gt,
            ">=" => Operator::Ge,
            "=?" => Operator::EqOrUnset,
            "=like" => Operator::EqLike,
            "=ilike" => Operator::EqIlike,
            "like" => Operator::Like,
            "not like" => Operator::NotLike,
            "ilike" => Operator::Ilike,
            "not ilike" => Operator::NotIlike,
            "in" => Operator::In,
            "not in" => Operator::NotIn,
            "child_of" => Operator::ChildOf,
            "parent_of" => Operator::ParentOf,
            "any" => Operator::Any,
            "not any" => Operator::NotAny,
            _ => return None,
        })
    }

    /// Tells whether the operator matches unset values when its positive
    /// twin does not, as Odoo's SQL adds `OR column IS NULL` for them.
    fn is_negative(self) -> bool {
        matches!(
            self,
            Operator::Ne | Operator::NotLike | Operator::NotIlike | Operator::NotIn
        )
    }
}

impl Domain {
    /// Parses a domain from its wire form: a list in prefix notation whose
    /// items are `'&'`, `'|'`, `'!'` or `[field, operator, value]` leaves,
    /// with an implicit `'&'` between consecutive terms.
    pub fn parse(value: &Value) -> OdooResult<Domain> {
        Domain::parse_within(value, 0).map(|nested| nested.domain)
    }

    /// Parses a domain that sits inside `any_depth` `any` or `not any`
    /// leaves, and returns it with the depth of its tree, sub-domains
    /// included.
    fn parse_within(value: &Value, any_depth: usize) -> OdooResult<Nested> {
        let items = match value {
            Value::List(items) => items.as_slice(),
            Value::Bool(false) | Value::None => {
                return Ok(Nested {
                    domain: Domain::True,
                    depth: 1,
                })
            }
            other => {
                return Err(OdooError::value(format!(
                    "Domains to normalize must have a 'domain' form: a list or tuple of domain components, got {}",
                    other.python_repr()
                )))
            }
        };
        let mut terms = Vec::new();
        let mut position = 0;
        while position < items.len() {
            terms.push(parse_term(items, &mut position, value, any_depth)?);
        }
        let depth = terms.iter().map(|term| term.depth).max().unwrap_or(0);
        Ok(match terms.len() {
            0 => Nested {
                domain: Domain::True,
                depth: 1,
            },
            1 => terms.pop().expect("one term"),
            _ => Nested {
                domain: Domain::And(terms.into_iter().map(|term| term.domain).collect()),
                depth: depth + 1,
            },
        })
    }

    /// Combines domains with AND, dropping trivially true parts.
    pub fn and(parts: Vec<Domain>) -> Domain {
        let mut parts: Vec<Domain> = parts.into_iter().filter(|d| *d != Domain::True).collect();
        match parts.len() {
            0 => Domain::True,
            1 => parts.pop().expect("one part"),
            _ => Domain::And(parts),
        }
    }

    /// Tells whether any leaf's path starts with `field`.
    pub fn mentions(&self, field: &str) -> bool {
        match self {
            Domain::True | Domain::False => false,
            Domain::And(parts) | Domain::Or(parts) => parts.iter().any(|d| d.mentions(field)),
            Domain::Not(inner) => inner.mentions(field),
            Domain::Leaf(leaf) => leaf.path.first().is_some_and(|f| f == field),
        }
    }

    /// Tells whether the domain matches no record whatever the data, as
    /// Odoo 17's `expression.is_false` decides it. Odoo's `_search` then
    /// returns no records without building or running a query, so neither
    /// the fields nor the order nor `limit` and `offset` are checked.
    // NOTE: Odoo compares the operator as sent, so `IN` with an empty list
    // is unknown there. The parser lowercases operators, so here it is
    // false.
    pub fn is_known_false(&self) -> bool {
        self.certainty() < 0
    }

    /// Evaluates the domain in three-valued logic without the data: -1 for
    /// false, 1 for true and 0 when the records decide. Only the constant
    /// leaves and `in` or `not in` a falsy value are certain.
    fn certainty(&self) -> i8 {
        match self {
            Domain::True => 1,
            Domain::False => -1,
            Domain::And(parts) => parts.iter().map(Domain::certainty).min().unwrap_or(1),
            Domain::Or(parts) => parts.iter().map(Domain::certainty).max().unwrap_or(-1),
            Domain::Not(inner) => -inner.certainty(),
            Domain::Leaf(leaf) => match leaf.operator {
                Operator::In if !leaf.value.is_truthy() => -1,
                Operator::NotIn if !leaf.value.is_truthy() => 1,
                _ => 0,
            },
        }
    }

    pub fn leaf(field: &str, operator: Operator, value: Value) -> Domain {
        Domain::Leaf(Leaf {
            path: vec![field.to_owned()],
            operator,
            value,
        })
    }
}

fn syntax_error(domain: &Value) -> OdooError {
    OdooError::value(format!(
        "Domain {} is syntactically not correct.",
        domain.python_repr()
    ))
}

/// Parses one term starting at `position`: a leaf, or an operator and its
/// operands. It keeps the open operators on a heap stack instead of
/// recursing, because clients can send thousands of prefix operators.
/// An operator nested directly in one of the same kind joins it (`&` in
/// `&`, `|` in `|`), and two `!` in a row cancel out. Neither changes the
/// result or the errors, and both keep the tree shallow for [`evaluate`]
/// and `Drop`, which do recurse.
fn parse_term(
    items: &[Value],
    position: &mut usize,
    whole: &Value,
    any_depth: usize,
) -> OdooResult<Nested> {
    let mut open: Vec<OpenOperator> = Vec::new();
    loop {
        let Some(item) = items.get(*position) else {
            return Err(syntax_error(whole));
        };
        *position += 1;
        let leaf = match item {
            Value::Str(op) if op == "&" || op == "|" || op == "!" => {
                let connective = match op.as_str() {
                    "&" => Connective::And,
                    "|" => Connective::Or,
                    _ => Connective::Not,
                };
                open_operator(&mut open, connective);
                continue;
            }
            Value::List(leaf) if leaf.len() == 3 => leaf,
            other => {
                return Err(OdooError::value(format!(
                    "Invalid leaf {}",
                    python_tuple_repr(other)
                )))
            }
        };
        let mut finished = parse_leaf(leaf, any_depth)?;
        // Hand the finished term to the innermost open operator, and close
        // every operator that this completes.
        loop {
            let Some(innermost) = open.last_mut() else {
                return Ok(finished);
            };
            innermost.push(finished);
            if innermost.remaining > 0 {
                break;
            }
            let closed = open.pop().expect("an open operator").close();
            check_depth(closed.depth)?;
            finished = closed;
        }
    }
}

/// Opens an operator in the innermost open one, merging it into an open
/// operator of the same kind.
fn open_operator(open: &mut Vec<OpenOperator>, connective: Connective) {
    match open.last_mut() {
        Some(innermost) if innermost.connective == connective => match connective {
            // The nested operator's two operands take its one slot.
            Connective::And | Connective::Or => innermost.remaining += 1,
            Connective::Not => {
                open.pop();
            }
        },
        _ => open.push(OpenOperator::new(connective)),
    }
}

/// The maximum depth of a parsed domain tree, counting a leaf as 1.
/// The emulator evaluates and drops the tree recursively, so it rejects
/// deeper domains with a `ValueError` instead of overflowing the stack.
/// The nesting-at-max-depth test runs at this depth on a thread with the
/// server's stack, in a debug build.
pub const MAX_DOMAIN_DEPTH: usize = 2_000;

/// The maximum nesting of `any` and `not any` sub-domains. Each level is
/// parsed again when evaluated, so the cost grows with the square of the
/// nesting, and real domains nest a few levels. Odoo sets no limit of its
/// own.
pub const MAX_ANY_DEPTH: usize = 100;

/// A prefix operator of the domain syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connective {
    And,
    Or,
    Not,
}

/// A parsed term and the depth of its tree.
struct Nested {
    domain: Domain,
    depth: usize,
}

/// An operator whose operands are still being parsed.
struct OpenOperator {
    connective: Connective,
    parts: Vec<Domain>,
    /// How many operands are still to be parsed.
    remaining: usize,
    /// The depth of the tree this operator closes into, so far.
    depth: usize,
}

impl OpenOperator {
    fn new(connective: Connective) -> Self {
        OpenOperator {
            connective,
            parts: Vec::new(),
            remaining: match connective {
                Connective::And | Connective::Or => 2,
                Connective::Not => 1,
            },
            depth: 1,
        }
    }

    fn push(&mut self, operand: Nested) {
        self.remaining -= 1;
        self.depth = self.depth.max(operand.depth + 1);
        self.parts.push(operand.domain);
    }

    fn close(mut self) -> Nested {
        let domain = match self.connective {
            Connective::And => Domain::And(self.parts),
            Connective::Or => Domain::Or(self.parts),
            Connective::Not => Domain::Not(Box::new(self.parts.pop().expect("one operand"))),
        };
        Nested {
            domain,
            depth: self.depth,
        }
    }
}

/// Rejects a tree deeper than [`MAX_DOMAIN_DEPTH`].
fn check_depth(depth: usize) -> OdooResult<()> {
    if depth <= MAX_DOMAIN_DEPTH {
        return Ok(());
    }
    Err(OdooError::value(format!(
        "Domain nesting is deeper than {MAX_DOMAIN_DEPTH} levels of '&', '|', '!' and sub-domains \
         after merging repeated operators. Flatten the domain, for example by listing \
         leaves one after another, which ANDs them."
    )))
}

fn parse_leaf(leaf: &[Value], any_depth: usize) -> OdooResult<Nested> {
    // The constant leaves TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1).
    if let (Value::Int(left), Value::Str(op), Value::Int(1)) = (&leaf[0], &leaf[1], &leaf[2]) {
        if op == "=" {
            let domain = if *left == 1 {
                Domain::True
            } else {
                Domain::False
            };
            return Ok(Nested { domain, depth: 1 });
        }
    }
    let whole = Value::List(leaf.to_vec());
    let (Value::Str(path), Value::Str(op)) = (&leaf[0], &leaf[1]) else {
        return Err(OdooError::value(format!(
            "Invalid leaf {}",
            python_tuple_repr(&whole)
        )));
    };
    let Some(operator) = Operator::parse(op) else {
        return Err(OdooError::value(format!(
            "Invalid operator {} in domain term {}",
            python_str_repr(op),
            python_tuple_repr(&whole)
        )));
    };
    let mut depth = 1;
    let value = match (operator, &leaf[2]) {
        (Operator::Any | Operator::NotAny, sub) => {
            if any_depth >= MAX_ANY_DEPTH {
                return Err(OdooError::value(format!(
                    "Domain nests more than {MAX_ANY_DEPTH} 'any' or 'not any' sub-domains \
                     in one another."
                )));
            }
            // Sub-domains are validated now so errors name the whole leaf.
            // Evaluating the leaf recurses into the sub-domain, so its
            // depth counts towards the whole tree's.
            depth += Domain::parse_within(sub, any_depth + 1)?.depth;
            check_depth(depth)?;
            sub.clone()
        }
        (_, value) if is_id_path(path) && compares_values(operator) => id_text_as_int(value)?,
        (_, value) => value.clone(),
    };
    let domain = Domain::Leaf(Leaf {
        path: path.split('.').map(str::to_owned).collect(),
        operator,
        value,
    });
    Ok(Nested { domain, depth })
}

/// Tells whether a leaf's path ends at a record id: `id`, or `id` of
/// the record a many2one path reaches.
fn is_id_path(path: &str) -> bool {
    path == "id" || path.ends_with(".id")
}

/// Tells whether the operator compares the column with the leaf's values
/// as they are, as `=`, `<` and `in` do.
fn compares_values(operator: Operator) -> bool {
    matches!(
        operator,
        Operator::Eq
            | Operator::Ne
            | Operator::Lt
            | Operator::Le
            | Operator::Gt
            | Operator::Ge
            | Operator::In
            | Operator::NotIn
    )
}

/// Converts the value of a leaf on an integer column as Odoo's
/// `Integer.convert_to_column` does before the query: `int(value or 0)`,
/// so `'3'` is 3, `3.7` is 3 and `''` is 0, and text that is not an
/// integer raises Python's `ValueError`. `False` and `None` stay, since
/// they test for an unset column, and so does each item of a list.
fn integer_operand(value: &Value) -> OdooResult<Value> {
    let convert = |item: &Value| -> OdooResult<Value> {
        match item {
            Value::Bool(false) | Value::None | Value::Int(_) => Ok(item.clone()),
            falsy if !falsy.is_truthy() => Ok(Value::Int(0)),
            other => crate::orm::convert::python_int(other).map(Value::Int),
        }
    };
    map_operand(value, convert)
}

/// Converts the value of a leaf on a float column as Odoo's
/// `Float.convert_to_column` does: `float(value or 0.0)`, rounded to the
/// field's digits when it has them, so `'10.5'` is 10.5 and, with two
/// digits, `10.126` is 10.13. Text that is not a number raises Python's
/// `ValueError`. `False` and `None` stay, as for an integer column.
fn float_operand(value: &Value, digits: Option<(u8, u8)>) -> OdooResult<Value> {
    let convert = |item: &Value| -> OdooResult<Value> {
        match item {
            Value::Bool(false) | Value::None => Ok(item.clone()),
            falsy if !falsy.is_truthy() => Ok(Value::Float(0.0)),
            other => crate::orm::convert::to_float(other)
                .and_then(|number| crate::orm::convert::round_to_digits(number, digits)),
        }
    };
    map_operand(value, convert)
}

/// Reads the text of an integer as the integer, in a value or in each
/// item of a list. Odoo's `expression` passes an `id` leaf's values to
/// PostgreSQL unconverted (other columns go through the field's
/// `convert_to_column`). PostgreSQL reads `'32'` compared with the integer
/// column as 32, so `('id', 'in', ['32'])` finds record 32. Text that is
/// not an integer of the column's 32 bits is left as it is, and the leaf
/// then raises as one on an integer column does (see [`integer_operand`]).
/// It does not fail itself, and returns a result only to share
/// [`map_operand`].
// NOTE: for such text PostgreSQL raises `invalid input syntax for type
// integer`, and the emulator Python's `ValueError` of `int()`.
fn id_text_as_int(value: &Value) -> OdooResult<Value> {
    let as_int = |item: &Value| match item {
        Value::Str(text) => text
            .trim()
            .parse::<i32>()
            .map_or_else(|_| item.clone(), |id| Value::Int(i64::from(id))),
        other => other.clone(),
    };
    map_operand(value, |item| Ok(as_int(item)))
}

/// Applies `convert` to a leaf's value, or to each item of a list value,
/// as an `in` leaf lists its values.
fn map_operand(value: &Value, convert: impl Fn(&Value) -> OdooResult<Value>) -> OdooResult<Value> {
    match value {
        Value::List(items) => items
            .iter()
            .map(convert)
            .collect::<OdooResult<_>>()
            .map(Value::List),
        other => convert(other),
    }
}

/// Renders a leaf as Python prints a tuple, for error messages.
fn python_tuple_repr(value: &Value) -> String {
    match value {
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(Value::python_repr).collect();
            format!("({})", inner.join(", "))
        }
        other => other.python_repr(),
    }
}

/// Evaluates a domain over every record of `model`, with no implicit
/// `active` filter and no record rules: callers add those.
pub fn evaluate(env: &Env<'_>, model: &Model, domain: &Domain) -> OdooResult<BTreeSet<i64>> {
    evaluate_top(env, model, domain, Scope::All)
}

/// Returns the records that may match `domain`, from the table's indexes.
/// That needs a top-level condition that is `=` or `in` on `id`, or on an
/// indexed column with values its index can look up (see
/// [`lookup_of`]). Returns `None` when no condition is such, and the
/// caller evaluates the domain over every row.
///
/// The records are a superset of the matches, so evaluating the domain
/// within them gives the same result as over the whole table. An empty
/// value is never looked up, because indexes leave empty values out and
/// `in` with `False` also matches the rows where the field is unset.
pub fn indexed_candidates(env: &Env<'_>, model: &Model, domain: &Domain) -> Option<BTreeSet<i64>> {
    let conditions = match domain {
        Domain::And(parts) => parts.as_slice(),
        Domain::Leaf(_) => std::slice::from_ref(domain),
        _ => return None,
    };
    let table = env.state.table(&model.name)?;
    // Only the narrowest leaf's ids are collected, after counting each,
    // so that a leaf matching most of the table (`module = X` beside
    // `name in [...]`) costs no more than its count.
    conditions
        .iter()
        .filter_map(|condition| match condition {
            Domain::Leaf(leaf) => lookup_of(model, table, leaf),
            _ => None,
        })
        .min_by_key(Lookup::count)
        .map(|lookup| lookup.candidates(table))
}

/// An `=` or `in` leaf whose records the table finds without a scan.
enum Lookup<'a> {
    /// A leaf on `id`: the ids it names.
    Ids(Vec<i64>),
    /// A leaf on an indexed column: its index and the values to look up.
    Index(&'a crate::orm::index::FieldIndex, &'a [Value]),
}

impl Lookup<'_> {
    /// Returns at most how many records the leaf matches.
    fn count(&self) -> usize {
        match self {
            Lookup::Ids(ids) => ids.len(),
            Lookup::Index(index, values) => values
                .iter()
                .map(|value| index.count(value).unwrap_or(usize::MAX))
                .fold(0, usize::saturating_add),
        }
    }

    /// Returns the records that may match the leaf.
    fn candidates(&self, table: &crate::orm::store::Table) -> BTreeSet<i64> {
        match self {
            Lookup::Ids(ids) => ids
                .iter()
                .copied()
                .filter(|id| table.rows.contains_key(id))
                .collect(),
            Lookup::Index(index, values) => values
                .iter()
                .filter_map(|value| index.candidates(value))
                .flatten()
                .collect(),
        }
    }
}

/// Returns how the table finds the records of `leaf` without a scan.
/// That works for `=` or `in` on `id`, or on an indexed column with
/// non-empty values its index can look up. Those values are ids for
/// many2one and many2many fields, text for character fields and
/// integers for integer fields.
fn lookup_of<'a>(
    model: &Model,
    table: &'a crate::orm::store::Table,
    leaf: &'a Leaf,
) -> Option<Lookup<'a>> {
    let [name] = leaf.path.as_slice() else {
        return None;
    };
    let values = match (&leaf.operator, &leaf.value) {
        (Operator::Eq, value) => std::slice::from_ref(value),
        (Operator::In, Value::List(values)) if !values.is_empty() => values.as_slice(),
        _ => return None,
    };
    if name == "id" {
        let ids = values
            .iter()
            .map(|value| match value {
                Value::Int(id) => Some(*id),
                _ => None,
            })
            .collect::<Option<Vec<i64>>>()?;
        return Some(Lookup::Ids(ids));
    }
    let field = model.field(name)?;
    if !reads_row_value(field) {
        return None;
    }
    let index = table.index(name)?;
    let usable = values.iter().all(|value| match (field.field_type, value) {
        (FieldType::Many2one | FieldType::Many2many, Value::Int(id)) => *id > 0,
        (FieldType::Integer, Value::Int(number)) => *number != 0,
        (FieldType::Char | FieldType::Text | FieldType::Selection, Value::Str(text)) => {
            !text.is_empty()
        }
        _ => false,
    });
    usable.then_some(Lookup::Index(index, values))
}

/// The key of a domain's matching records in a table's memo: the domain
/// and the schema that typed its leaves. With the rows of the table and
/// of the tables its `child_of` and `parent_of` leaves read, which the
/// memo checks, they decide which records match.
#[derive(Debug)]
pub struct MatchKey {
    domain: Domain,
    schema: Arc<Schema>,
}

/// A [`MatchKey`] borrowed from a search, for looking an entry up.
#[derive(Debug)]
pub struct MatchProbe<'a> {
    domain: &'a Domain,
    schema: &'a Arc<Schema>,
}

impl PartialEq<MatchProbe<'_>> for MatchKey {
    fn eq(&self, probe: &MatchProbe<'_>) -> bool {
        Arc::ptr_eq(&self.schema, probe.schema) && self.domain == *probe.domain
    }
}

/// Returns every record of `model` that matches `domain`, kept in the
/// table's memo for this version of the rows. Searches join the implicit
/// `active` leaf and the record rules to nearly every domain, and those
/// select the same records until the table changes.
///
/// Returns `None`, and the caller evaluates the domain itself, in three
/// cases: on the first search of this version with this domain, when a
/// leaf needs more than the record's own row (see [`predicate`]), and
/// when the domain is invalid. The caller then raises the error it would
/// raise without a memo. A kept result is returned without compiling the
/// domain again.
pub fn memoized(env: &Env<'_>, model: &Model, domain: &Domain) -> Option<Arc<BTreeSet<i64>>> {
    let table = env.state.table(&model.name)?;
    let schema = &env.state.schema;
    let probe = MatchProbe { domain, schema };
    let key = || MatchKey {
        domain: domain.clone(),
        schema: Arc::clone(schema),
    };
    let compute = || {
        let mut reads = predicate::Reads::default();
        let compiled = predicate::compile_reading(env, model, domain, &mut reads);
        let predicate = match compiled {
            Ok(Some(predicate)) => predicate,
            // Whether a domain needs the set-based evaluator depends on
            // the domain and the schema alone, so that outcome is kept.
            // An error is not: the caller raises it on every search.
            Ok(None) if !reads.untracked() => {
                return Ok((None, Some(OtherRows::default())));
            }
            Ok(None) | Err(_) => return Ok((None, None)),
        };
        let found = predicate::filter(env, model, &predicate, Scope::All);
        let others = reads.other_rows(env.state, &model.name);
        Ok::<_, std::convert::Infallible>((Some(Arc::new(found)), others))
    };
    match table
        .memos
        .matched
        .get_or_compute(env.state, &probe, &table.rows, key, compute)
    {
        Ok(found) => found.flatten(),
        Err(never) => match never {},
    }
}

/// Returns the models other than `model` whose rows, with `model`'s own,
/// decide which records match `domain`, when every leaf of it tests the
/// record's own row or resolves a `child_of` or `parent_of` leaf from one
/// table (see [`predicate`]). Returns `None` for other domains and for
/// invalid ones, without raising or logging anything.
pub fn row_only_reads(env: &Env<'_>, model: &Model, domain: &Domain) -> Option<Vec<String>> {
    let mut models = Vec::new();
    if !predicate::reads_rows_only(env, model, domain, &mut models) {
        return None;
    }
    models.retain(|name| *name != model.name);
    models.sort();
    models.dedup();
    Some(models)
}

/// Evaluates a whole domain: in one pass over the rows when every leaf
/// is a test of the record's own row (see [`predicate`]), else set by set.
fn evaluate_top(
    env: &Env<'_>,
    model: &Model,
    domain: &Domain,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    match predicate::compile(env, model, domain)? {
        Some(test) => Ok(predicate::filter(env, model, &test, scope)),
        None => evaluate_in(env, model, domain, scope),
    }
}

/// Evaluates a domain over the given records only: the result is
/// `evaluate(..) ∩ ids`, at a cost that grows with `ids` rather than with
/// the table for most leaves. Errors are the same as [`evaluate`]'s.
pub fn evaluate_within(
    env: &Env<'_>,
    model: &Model,
    domain: &Domain,
    ids: &BTreeSet<i64>,
) -> OdooResult<BTreeSet<i64>> {
    evaluate_top(env, model, domain, Scope::Ids(ids))
}

/// The records a domain is evaluated over.
#[derive(Debug, Clone, Copy)]
enum Scope<'s> {
    /// Every record of the model.
    All,
    /// These ids; those that are not records of the model are ignored.
    Ids(&'s BTreeSet<i64>),
}

/// Evaluates a domain over the records of `scope`. Every leaf is a test
/// of one record at a time, so evaluating within a scope is the same as
/// intersecting with it afterwards: `&` evaluates each part within the
/// records that passed the parts before it. Each part is still evaluated,
/// even over no records, so its errors are raised as without a scope.
fn evaluate_in(
    env: &Env<'_>,
    model: &Model,
    domain: &Domain,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    match domain {
        Domain::True => Ok(scope_ids(env, model, scope).into_iter().collect()),
        Domain::False => Ok(BTreeSet::new()),
        Domain::And(parts) => {
            let mut result: Option<BTreeSet<i64>> = None;
            for part in parts {
                let within = match &result {
                    None => scope,
                    Some(passed) => Scope::Ids(passed),
                };
                let ids = evaluate_in(env, model, part, within)?;
                result = Some(ids);
            }
            Ok(result.unwrap_or_default())
        }
        Domain::Or(parts) => {
            let mut result = BTreeSet::new();
            for part in parts {
                result.extend(evaluate_in(env, model, part, scope)?);
            }
            Ok(result)
        }
        Domain::Not(inner) if drops_not(env, model, inner) => evaluate_in(env, model, inner, scope),
        Domain::Not(inner) => {
            let excluded = evaluate_in(env, model, inner, scope)?;
            Ok(complement(env, model, scope, &excluded))
        }
        Domain::Leaf(leaf) => evaluate_leaf(env, model, leaf, scope),
    }
}

/// Returns the ids of the records in `scope`, in ascending order.
fn scope_ids(env: &Env<'_>, model: &Model, scope: Scope<'_>) -> Vec<i64> {
    match scope {
        Scope::All => env.all_ids(&model.name),
        Scope::Ids(ids) => ids
            .iter()
            .copied()
            .filter(|id| env.exists(&model.name, *id))
            .collect(),
    }
}

/// Returns the records of `scope` that are not in `excluded`.
fn complement(
    env: &Env<'_>,
    model: &Model,
    scope: Scope<'_>,
    excluded: &BTreeSet<i64>,
) -> BTreeSet<i64> {
    scope_ids(env, model, scope)
        .into_iter()
        .filter(|id| !excluded.contains(id))
        .collect()
}

/// Returns the records of `scope` whose value of `field`, as [`Env::get`]
/// returns it, passes `test`. Fields stored as they are read are taken
/// from the rows directly, without a lookup or a copy per record.
fn filter_by_value(
    env: &Env<'_>,
    model: &Model,
    field: &Field,
    scope: Scope<'_>,
    test: impl Fn(&Value) -> bool,
) -> BTreeSet<i64> {
    if !reads_row_value(field) {
        return scope_ids(env, model, scope)
            .into_iter()
            .filter(|id| test(&env.get(model, *id, field)))
            .collect();
    }
    let Some(table) = env.state.table(&model.name) else {
        return BTreeSet::new();
    };
    let empty = field.field_type.empty_value();
    let passes = |row: &Row| test(row.get(&field.name).unwrap_or(&empty));
    match scope {
        Scope::All => table
            .rows
            .iter()
            .filter(|(_, row)| passes(row))
            .map(|(id, _)| *id)
            .collect(),
        Scope::Ids(ids) => ids
            .iter()
            .copied()
            .filter(|id| table.rows.get(id).is_some_and(|row| passes(row)))
            .collect(),
    }
}

fn evaluate_leaf(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    let field = env.field(model, &leaf.path[0])?;
    if field.ignored_in_domains() {
        log_ignored_leaf(model, &field);
        return Ok(scope_ids(env, model, scope).into_iter().collect());
    }
    if leaf.path.len() > 1 {
        return evaluate_path(env, model, leaf, scope);
    }
    if matches!(leaf.operator, Operator::Any | Operator::NotAny) {
        return evaluate_any(env, model, leaf, scope);
    }
    if matches!(leaf.operator, Operator::ChildOf | Operator::ParentOf) {
        return evaluate_hierarchy(env, model, leaf, scope);
    }
    if field.field_type.is_relational() && matches!(leaf.value, Value::Str(_)) {
        return evaluate_by_name(env, model, leaf, scope);
    }
    let matcher = Matcher::new(leaf.operator, &leaf.value, field.field_type, field.digits)?;
    let x2many = field.field_type.is_x2many();
    Ok(filter_by_value(env, model, &field, scope, |value| {
        if x2many {
            matcher.matches_set(&ids_of(value))
        } else {
            matcher.matches(value)
        }
    }))
}

/// Tells whether a `!` over `inner` drops out, because `inner` is a leaf
/// that Odoo ignores once it has moved the `!` into it. Odoo's
/// `distribute_not` negates the operator of a leaf (`>` to `<=`, `in` to
/// `not in`) before the field is looked at. When the path ends in a field
/// Odoo cannot search, the negated leaf is then ignored just as the leaf
/// itself, so the `!` changes nothing. The operators it cannot negate
/// (`=like`, `=ilike`, `=?`, `child_of`, `parent_of`) keep the `!`.
pub(super) fn drops_not(env: &Env<'_>, model: &Model, inner: &Domain) -> bool {
    let Domain::Leaf(leaf) = inner else {
        return false;
    };
    let negatable = !matches!(
        leaf.operator,
        Operator::EqLike
            | Operator::EqIlike
            | Operator::EqOrUnset
            | Operator::ChildOf
            | Operator::ParentOf
    );
    negatable && last_field(env, model, &leaf.path).is_some_and(|field| field.ignored_in_domains())
}

/// Returns the field a dotted path ends in, following its relations.
fn last_field<'s>(env: &'s Env<'_>, model: &'s Model, path: &[String]) -> Option<&'s Field> {
    let (last, hops) = path.split_last()?;
    let mut current = model;
    for hop in hops {
        let field = current.field(hop)?;
        current = env.state.schema.model(field.relation.as_deref()?)?;
    }
    current.field(last).map(|field| &**field)
}

/// Logs the error Odoo logs for a leaf on a field it cannot search.
pub(super) fn log_ignored_leaf(model: &Model, field: &Field) {
    tracing::error!(
        model = %model.name,
        field = %field.name,
        "Non-stored field {}.{} cannot be searched; the leaf is ignored",
        model.name,
        field.name
    );
}

/// Evaluates a leaf on a dotted path: searches the comodel for the rest of the path,
/// then match records whose relation points into that result.
fn evaluate_path(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    let (_, comodel) = relational_field(env, model, leaf, |_| {
        format!(
            "Invalid field {} in leaf {}",
            python_str_repr(&leaf.path.join(".")),
            leaf_repr(leaf)
        )
    })?;
    let rest = Leaf {
        path: leaf.path[1..].to_vec(),
        operator: leaf.operator,
        value: leaf.value.clone(),
    };
    let targets = evaluate(env, &comodel, &Domain::Leaf(rest))?;
    records_pointing_into(env, model, &leaf.path[0], &targets, scope)
}

fn evaluate_any(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    let (field, comodel) = relational_field(env, model, leaf, |field| {
        format!(
            "Operator {} not supported on non-relational field {}",
            python_str_repr(if leaf.operator == Operator::Any {
                "any"
            } else {
                "not any"
            }),
            python_str_repr(&field.name)
        )
    })?;
    let targets = evaluate(env, &comodel, &Domain::parse(&leaf.value)?)?;
    let negate = leaf.operator == Operator::NotAny;
    records_pointing_into_or_not(env, model, &field.name, &targets, scope, negate)
}

/// Returns the leaf's first field and its comodel, or the `ValueError`
/// that `not_relational` words when the field is not relational.
fn relational_field(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    not_relational: impl FnOnce(&Field) -> String,
) -> OdooResult<(Arc<Field>, Arc<Model>)> {
    let field = env.field(model, &leaf.path[0])?;
    if !field.field_type.is_relational() {
        return Err(OdooError::value(not_relational(&field)));
    }
    let comodel = env.model(field.comodel())?;
    Ok((field, comodel))
}

/// Returns the records of `scope` whose field points into `targets`, or,
/// when `negate`, the records of `scope` whose field does not.
fn records_pointing_into_or_not(
    env: &Env<'_>,
    model: &Model,
    field_name: &str,
    targets: &BTreeSet<i64>,
    scope: Scope<'_>,
    negate: bool,
) -> OdooResult<BTreeSet<i64>> {
    let matching = records_pointing_into(env, model, field_name, targets, scope)?;
    if negate {
        Ok(complement(env, model, scope, &matching))
    } else {
        Ok(matching)
    }
}

fn records_pointing_into(
    env: &Env<'_>,
    model: &Model,
    field_name: &str,
    targets: &BTreeSet<i64>,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    let field = env.field(model, field_name)?;
    Ok(filter_by_value(env, model, &field, scope, |value| {
        ids_of(value).iter().any(|t| targets.contains(t))
    }))
}

/// Matches a string compared to a relational field against the comodel's
/// record name, as Odoo does through `_name_search`.
fn evaluate_by_name(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    let field = env.field(model, &leaf.path[0])?;
    let comodel = env.model(field.comodel())?;
    let Some(rec_name) = comodel.rec_name_field() else {
        return Ok(BTreeSet::new());
    };
    let positive = match leaf.operator {
        Operator::Ne => Operator::Eq,
        Operator::NotLike => Operator::Like,
        Operator::NotIlike => Operator::Ilike,
        Operator::NotIn => Operator::In,
        other => other,
    };
    let by_name = Domain::leaf(rec_name, positive, leaf.value.clone());
    let targets = evaluate(env, &comodel, &by_name)?;
    let negate = positive != leaf.operator;
    records_pointing_into_or_not(env, model, &field.name, &targets, scope, negate)
}

/// `child_of` and `parent_of`: the given records and their descendants
/// (or ancestors) through the comodel's `_parent_name`.
fn evaluate_hierarchy(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
    scope: Scope<'_>,
) -> OdooResult<BTreeSet<i64>> {
    let (field, related) = hierarchy_targets(env, model, leaf)?;
    if field.name == "id" {
        return Ok(match scope {
            Scope::All => related,
            Scope::Ids(ids) => related.intersection(ids).copied().collect(),
        });
    }
    records_pointing_into(env, model, &field.name, &related, scope)
}

/// Returns the model whose rows alone decide the records that
/// [`hierarchy_targets`] resolves a leaf to. Returns `None` when resolving
/// it may read other tables, which happens when the model's parent field
/// is not read from the row, or when the leaf names records by text and
/// their record name is not read from the row.
fn hierarchy_source(env: &Env<'_>, model: &Model, leaf: &Leaf) -> Option<String> {
    let field = model.field(&leaf.path[0])?;
    let target = if field.name == "id" {
        model
    } else {
        env.state.schema.model(field.comodel())?
    };
    if let Some(parent) = target.field(&target.parent_name) {
        if !reads_row_value(parent) {
            return None;
        }
    }
    if matches!(leaf.value, Value::Str(_)) {
        let rec_name = target.rec_name_field().unwrap_or("name");
        let name = target.field(rec_name)?;
        let row_only =
            reads_row_value(name) && !name.ignored_in_domains() && !name.field_type.is_relational();
        if !row_only {
            return None;
        }
    }
    Some(target.name.clone())
}

/// Returns the field of a `child_of` or `parent_of` leaf and the records
/// it relates to: the given records and their descendants (or ancestors).
fn hierarchy_targets(
    env: &Env<'_>,
    model: &Model,
    leaf: &Leaf,
) -> OdooResult<(Arc<Field>, BTreeSet<i64>)> {
    let field = env.field(model, &leaf.path[0])?;
    let target_model = if field.name == "id" {
        env.model(&model.name)?
    } else {
        env.model(field.comodel())?
    };
    let roots: BTreeSet<i64> = match &leaf.value {
        Value::Str(_) => {
            let rec_name = target_model.rec_name_field().unwrap_or("name");
            evaluate(
                env,
                &target_model,
                &Domain::leaf(rec_name, Operator::Ilike, leaf.value.clone()),
            )?
        }
        other => ids_of(other).into_iter().collect(),
    };
    let related = if leaf.operator == Operator::ChildOf {
        descendants(env, &target_model, &roots)
    } else {
        ancestors(env, &target_model, &roots)
    };
    Ok((field, related))
}

fn descendants(env: &Env<'_>, model: &Model, roots: &BTreeSet<i64>) -> BTreeSet<i64> {
    let mut result: BTreeSet<i64> = roots
        .iter()
        .copied()
        .filter(|id| env.exists(&model.name, *id))
        .collect();
    let all = env.all_ids(&model.name);
    loop {
        let before = result.len();
        for id in &all {
            let parent = env.get_by_name(model, *id, &model.parent_name).as_i64();
            if parent.is_some_and(|p| result.contains(&p)) {
                result.insert(*id);
            }
        }
        if result.len() == before {
            return result;
        }
    }
}

fn ancestors(env: &Env<'_>, model: &Model, roots: &BTreeSet<i64>) -> BTreeSet<i64> {
    let mut result = BTreeSet::new();
    for root in roots {
        let mut current = Some(*root);
        while let Some(id) = current.filter(|id| env.exists(&model.name, *id)) {
            if !result.insert(id) {
                break;
            }
            current = env
                .get_by_name(model, id, &model.parent_name)
                .as_i64()
                .filter(|p| *p > 0);
        }
    }
    result
}

fn leaf_repr(leaf: &Leaf) -> String {
    format!(
        "({}, {}, {})",
        python_str_repr(&leaf.path.join(".")),
        python_str_repr(operator_text(leaf.operator)),
        leaf.value.python_repr()
    )
}

fn operator_text(op: Operator) -> &'static str {
    match op {
        Operator::Eq => "=",
        Operator::Ne => "!=",
        Operator::Lt => "<",
        Operator::Le => "<=",
        Operator::Gt => ">",
        Operator::Ge => ">=",
        Operator::EqOrUnset => "=?",
        Operator::EqLike => "=like",
        Operator::EqIlike => "=ilike",
        Operator::Like => "like",
        Operator::NotLike => "not like",
        Operator::Ilike => "ilike",
        Operator::NotIlike => "not ilike",
        Operator::In => "in",
        Operator::NotIn => "not in",
        Operator::ChildOf => "child_of",
        Operator::ParentOf => "parent_of",
        Operator::Any => "any",
        Operator::NotAny => "not any",
    }
}

/// One leaf's comparison, prepared once and applied to every record.
struct Matcher<'v> {
    operator: Operator,
    /// The leaf's value, converted for an integer column as Odoo
    /// converts it (see [`integer_operand`]).
    value: std::borrow::Cow<'v, Value>,
    field_type: FieldType,
    pattern: Option<regex::Regex>,
    /// The candidates of `in` and `not in`: the value's items, or the
    /// value itself when it is not a list.
    candidates: Vec<Value>,
    /// Whether a candidate is `False` or `None`, which unset values match.
    candidates_unset: bool,
    /// The candidates by hash, for long lists.
    lookup: Option<InLookup>,
    /// The ids in the value, for x2many fields.
    target_ids: Vec<i64>,
}

/// The candidates of an `in` list in hash sets, so a long list costs one
/// lookup per record rather than one comparison per item. Each set keeps
/// exactly the candidates that [`values_equal`] can find equal to a
/// number or to a text.
struct InLookup {
    numbers: FxHashSet<u64>,
    texts: FxHashSet<String>,
}

/// The length from which an `in` list is looked up by hash.
const IN_LOOKUP_MIN: usize = 16;

impl InLookup {
    fn new(candidates: &[Value]) -> Self {
        let mut numbers = FxHashSet::default();
        let mut texts = FxHashSet::default();
        for candidate in candidates {
            if let Some(text) = candidate.as_str() {
                texts.insert(text.to_owned());
            } else if let Some(number) = candidate.as_f64() {
                numbers.insert(number_key(number));
            }
        }
        InLookup { numbers, texts }
    }

    /// Returns whether a candidate equals `value` as [`values_equal`]
    /// tests it, or `None` for a value that is neither a number nor a
    /// text.
    fn contains(&self, value: &Value) -> Option<bool> {
        if let Some(text) = value.as_str() {
            return Some(self.texts.contains(text));
        }
        value
            .as_f64()
            .map(|number| self.numbers.contains(&number_key(number)))
    }
}

/// Returns a number's hash key: equal for numbers that
/// [`compare_numbers`] finds equal, so `-0.0` is `0.0` and every NaN is
/// one NaN.
fn number_key(number: f64) -> u64 {
    if number.is_nan() {
        f64::NAN.to_bits()
    } else if number == 0.0 {
        0
    } else {
        number.to_bits()
    }
}

impl<'v> Matcher<'v> {
    /// Prepares the comparison of a leaf on a field of `field_type`, with
    /// the field's `digits` for a float.
    fn new(
        operator: Operator,
        value: &'v Value,
        field_type: FieldType,
        digits: Option<(u8, u8)>,
    ) -> OdooResult<Self> {
        let value = match field_type {
            FieldType::Integer if compares_values(operator) => {
                std::borrow::Cow::Owned(integer_operand(value)?)
            }
            FieldType::Float if compares_values(operator) => {
                std::borrow::Cow::Owned(float_operand(value, digits)?)
            }
            _ => std::borrow::Cow::Borrowed(value),
        };
        let value_ref: &Value = &value;
        let pattern = match operator {
            Operator::Like | Operator::NotLike | Operator::Ilike | Operator::NotIlike => {
                let text = like_text(value_ref);
                Some(like_regex(
                    &format!("%{}%", escape_like(&text)),
                    operator_ignores_case(operator),
                ))
            }
            Operator::EqLike | Operator::EqIlike => Some(like_regex(
                &like_text(value_ref),
                operator == Operator::EqIlike,
            )),
            _ => None,
        };
        let candidates = match operator {
            Operator::In | Operator::NotIn => in_list(value_ref),
            _ => Vec::new(),
        };
        let candidates_unset = candidates
            .iter()
            .any(|v| matches!(v, Value::Bool(false) | Value::None));
        // Booleans compare by truth rather than by value, so they keep the
        // item-by-item test.
        let lookup = (candidates.len() >= IN_LOOKUP_MIN && field_type != FieldType::Boolean)
            .then(|| InLookup::new(&candidates));
        Ok(Matcher {
            operator,
            field_type,
            pattern,
            candidates,
            candidates_unset,
            lookup,
            target_ids: ids_of(value_ref),
            value,
        })
    }

    fn is_unset(&self, value: &Value) -> bool {
        match self.field_type {
            FieldType::Boolean => false,
            FieldType::Integer | FieldType::Float | FieldType::Monetary => false,
            _ => matches!(value, Value::Bool(false) | Value::None),
        }
    }

    fn matches(&self, value: &Value) -> bool {
        let unset = self.is_unset(value);
        let target_unset = matches!(*self.value, Value::Bool(false) | Value::None);
        match self.operator {
            Operator::EqOrUnset if target_unset => true,
            Operator::Eq | Operator::EqOrUnset => {
                if self.field_type == FieldType::Boolean {
                    return value.is_truthy() == self.value.is_truthy();
                }
                if target_unset {
                    return unset;
                }
                !unset && values_equal(value, &self.value)
            }
            Operator::Ne => {
                if self.field_type == FieldType::Boolean {
                    return value.is_truthy() != self.value.is_truthy();
                }
                if target_unset {
                    return !unset;
                }
                unset || !values_equal(value, &self.value)
            }
            Operator::In | Operator::NotIn => {
                let contains_unset = self.candidates_unset;
                let hit = if unset {
                    contains_unset
                } else {
                    let found = self
                        .lookup
                        .as_ref()
                        .and_then(|lookup| lookup.contains(value));
                    found.unwrap_or_else(|| {
                        self.candidates
                            .iter()
                            .any(|candidate| self.in_matches(value, candidate))
                    })
                };
                if self.operator == Operator::In {
                    hit
                } else {
                    !(hit || unset && contains_unset)
                }
            }
            Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => {
                if unset || target_unset {
                    return false;
                }
                let Some(ordering) = compare_values(value, &self.value) else {
                    return false;
                };
                match self.operator {
                    Operator::Lt => ordering.is_lt(),
                    Operator::Le => ordering.is_le(),
                    Operator::Gt => ordering.is_gt(),
                    _ => ordering.is_ge(),
                }
            }
            _ => self.matches_pattern(value, unset),
        }
    }

    fn in_matches(&self, value: &Value, candidate: &Value) -> bool {
        if self.field_type == FieldType::Boolean {
            return matches!(candidate, Value::Bool(_))
                && value.is_truthy() == candidate.is_truthy();
        }
        values_equal(value, candidate)
    }

    fn matches_pattern(&self, value: &Value, unset: bool) -> bool {
        let negative = self.operator.is_negative();
        // A falsy pattern (`ilike False` or `ilike ''`) matches every record.
        if matches!(
            self.operator,
            Operator::Like | Operator::Ilike | Operator::NotLike | Operator::NotIlike
        ) && !self.value.is_truthy()
        {
            return !negative;
        }
        if unset {
            return negative;
        }
        let text = match value {
            Value::Str(s) => std::borrow::Cow::Borrowed(s.as_str()),
            other => std::borrow::Cow::Owned(other.python_repr()),
        };
        let hit = self.pattern.as_ref().is_some_and(|p| p.is_match(&text));
        hit != negative
    }

    /// Matches an x2many value (a set of ids) as Odoo's SQL does.
    fn matches_set(&self, ids: &[i64]) -> bool {
        let targets = &self.target_ids;
        let target_unset = matches!(*self.value, Value::Bool(false) | Value::None);
        match self.operator {
            Operator::Eq | Operator::In | Operator::EqOrUnset if target_unset => ids.is_empty(),
            Operator::Ne | Operator::NotIn if target_unset => !ids.is_empty(),
            Operator::Eq | Operator::In | Operator::EqOrUnset => {
                ids.iter().any(|id| targets.contains(id))
            }
            Operator::Ne | Operator::NotIn => !ids.iter().any(|id| targets.contains(id)),
            _ => false,
        }
    }
}

fn operator_ignores_case(op: Operator) -> bool {
    matches!(op, Operator::Ilike | Operator::NotIlike)
}

fn in_list(value: &Value) -> Vec<Value> {
    match value {
        Value::List(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn like_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.python_repr(),
    }
}

/// Escapes `%` and `_` the way Odoo does for `like` and `ilike`, which wrap
/// the value in `%...%` and match it literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Turns an SQL LIKE pattern into an anchored regex.
fn like_regex(pattern: &str, ignore_case: bool) -> regex::Regex {
    let mut out = String::from(if ignore_case { "(?is)^" } else { "(?s)^" });
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push_str(&regex::escape(&next.to_string()));
                }
            }
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push('$');
    regex::Regex::new(&out).expect("escaped LIKE patterns are valid regexes")
}

/// Compares two values as SQL would after Odoo's conversions: numbers by
/// value (NaN equal to NaN, as in PostgreSQL), everything else by text.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if !matches!(a, Value::Str(_)) && !matches!(b, Value::Str(_)) => {
            compare_numbers(x, y).is_eq()
        }
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Orders two set values: numbers numerically, strings by the collation
/// described in the module docs.
pub fn compare_values(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(collate(x, y)),
        _ => Some(compare_numbers(a.as_f64()?, b.as_f64()?)),
    }
}

/// Compares numbers as PostgreSQL compares `float8` and `numeric` values:
/// NaN equals NaN and is greater than every other number. Unlike IEEE
/// comparison, this is a total order, which sorting requires.
pub fn compare_numbers(a: f64, b: f64) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        // Two numbers that are not NaN always compare.
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Compares text in the `C` collation of Odoo's databases: by code point,
/// so `Bob` sorts before `ada`.
pub fn collate(a: &str, b: &str) -> std::cmp::Ordering {
    a.cmp(b)
}
