//! `search` and `read`: the query side of the ORM.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::convert;
use crate::orm::domain::{self, Domain, Operator};
use crate::orm::env::{ids_of, invalid_field, is_user_password, reads_row_value, Env};
use crate::orm::order::{self, RecordRow};
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::store::{FieldPosition, Table};
use crate::value::{Cell, RecordList, Value};

/// The options of a search.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub domain: Domain,
    /// The records to skip, as the client sent it: 0 skips none, and a
    /// negative value fails as PostgreSQL fails it.
    pub offset: i64,
    /// The maximum number of records, as the client sent it: `None` and 0
    /// mean no limit, and a negative value fails as PostgreSQL fails it.
    pub limit: Option<i64>,
    pub order: Option<String>,
}

/// Searches as the calling user: access rights, record rules and the
/// implicit `active` filter apply.
pub fn search(env: &Env<'_>, model: &Arc<Model>, query: &Query) -> OdooResult<Vec<i64>> {
    let found = search_rows(env, model, query)?;
    Ok(found.into_iter().map(|(id, _)| id).collect())
}

/// Searches as [`search`] does and returns each record with its row, so
/// sorting and reading the records need not look the rows up again.
fn search_rows<'s>(
    env: &'s Env<'_>,
    model: &Arc<Model>,
    query: &Query,
) -> OdooResult<Vec<RecordRow<'s>>> {
    env.check_access_rights(model, Operation::Read)?;
    if query.domain.is_known_false() {
        return Ok(Vec::new());
    }
    let ids = matching(env, model, &query.domain)?;
    let order_text = query
        .order
        .clone()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or_else(|| model.order.clone());
    let terms = order::parse(model, &order_text)?;
    let (offset, limit) = row_bounds(query.offset, query.limit)?;
    let end = match limit {
        Some(limit) => offset.saturating_add(limit).min(ids.len()),
        None => ids.len(),
    };
    let table = env.state.table(&model.name);
    let sorted = match table {
        Some(table) => order::first_in_sorted(env, model, table, &ids, &terms, end)?,
        None => None,
    };
    let mut found = match sorted {
        Some(found) => found,
        None => {
            let mut found = match table {
                Some(table) => rows_in_id_order(table, &ids),
                None => ids.iter().map(|id| (*id, None)).collect(),
            };
            order::sort_first_rows(env, model, &mut found, &terms, end)?;
            found.truncate(end);
            found
        }
    };
    found.drain(..offset.min(end));
    Ok(found)
}

/// Converts a search's `offset` and `limit` to counts of records. Odoo 17
/// adds `OFFSET` and `LIMIT` to the SQL only for values that are not 0,
/// and PostgreSQL rejects negative ones when the query runs, `OFFSET`
/// first. Odoo passes that error on to the client unchanged.
pub(crate) fn row_bounds(offset: i64, limit: Option<i64>) -> OdooResult<(usize, Option<usize>)> {
    let offset = usize::try_from(offset).map_err(|_| OdooError::negative_offset())?;
    let limit = match limit {
        None | Some(0) => None,
        Some(limit) => Some(usize::try_from(limit).map_err(|_| OdooError::negative_limit())?),
    };
    Ok((offset, limit))
}

/// Pairs ascending ids with their rows. When the ids are a large part of
/// the table, one walk through the table in id order costs less than a
/// tree lookup per id.
fn rows_in_id_order<'s>(table: &'s Table, ids: &BTreeSet<i64>) -> Vec<RecordRow<'s>> {
    if ids.len().saturating_mul(4) < table.rows.len() {
        return ids.iter().map(|id| (*id, table.rows.get(id))).collect();
    }
    let mut rows = table.rows.iter().peekable();
    ids.iter()
        .map(|id| {
            while rows.next_if(|(row_id, _)| *row_id < id).is_some() {}
            let row = rows.next_if(|(row_id, _)| *row_id == id);
            (*id, row.map(|(_, row)| row))
        })
        .collect()
}

/// Returns the ids matching a domain, with rules and `active_test`, in id
/// order.
///
/// The implicit filters, the `active` leaf and the record rules, select
/// the same records on every search until the table changes. Their result
/// is therefore taken from the table's memo when it has one, and the
/// domain is evaluated within it. Both ways select the same records and
/// raise the same errors, because the memo only contains filters that
/// evaluated without error on these same rows.
pub fn matching(
    env: &Env<'_>,
    model: &Arc<Model>,
    domain: &Domain,
) -> OdooResult<Arc<BTreeSet<i64>>> {
    let mut implicit = Vec::new();
    if model.has_active() && env.context_flag("active_test", true) && !domain.mentions("active") {
        implicit.push(Domain::leaf("active", Operator::Eq, Value::Bool(true)));
    }
    if let Some(rules) = env.rule_domain(model, Operation::Read)? {
        implicit.push(Arc::unwrap_or_clone(rules));
    }
    let implicit = Domain::and(implicit);
    if let Some(candidates) = domain::indexed_candidates(env, model, domain) {
        let whole = Domain::and(vec![domain.clone(), implicit]);
        return domain::evaluate_within(env, model, &whole, &candidates).map(Arc::new);
    }
    if implicit == Domain::True {
        return domain::evaluate(env, model, domain).map(Arc::new);
    }
    if let Some(visible) = domain::memoized(env, model, &implicit) {
        return match domain {
            Domain::True => Ok(visible),
            _ => domain::evaluate_within(env, model, domain, &visible).map(Arc::new),
        };
    }
    domain::evaluate(env, model, &Domain::and(vec![domain.clone(), implicit])).map(Arc::new)
}

/// Searches as [`search`] does, then checks the fields to fetch as Odoo
/// 17's `search_fetch` does: only when records were found, their `groups`
/// first, then the first unknown name.
pub fn search_fetch(
    env: &Env<'_>,
    model: &Arc<Model>,
    query: &Query,
    fields: &[String],
) -> OdooResult<Vec<i64>> {
    let ids = search(env, model, query)?;
    if ids.is_empty() {
        return Ok(ids);
    }
    env.check_field_access(model, fields, Operation::Read)?;
    if let Some(unknown) = fields.iter().find(|name| !model.has_field(name)) {
        return Err(invalid_field(unknown, &model.name));
    }
    Ok(ids)
}

/// Counts matching records, as `search_count` does.
pub fn count(
    env: &Env<'_>,
    model: &Arc<Model>,
    domain: &Domain,
    limit: Option<i64>,
) -> OdooResult<usize> {
    env.check_access_rights(model, Operation::Read)?;
    if domain.is_known_false() {
        return Ok(0);
    }
    let total = matching(env, model, domain)?.len();
    let (_, limit) = row_bounds(0, limit)?;
    Ok(limit.map_or(total, |l| total.min(l)))
}

/// Reads fields of existing records as Odoo 17 does: fields restricted by
/// `groups` raise `AccessError` first, an empty id list returns nothing
/// without further checks, missing ids are dropped silently and records
/// hidden by rules raise `AccessError`.
pub fn read(
    env: &Env<'_>,
    model: &Arc<Model>,
    ids: &[i64],
    fields: &[String],
    classic: bool,
) -> OdooResult<RecordList> {
    env.check_field_access(model, fields, Operation::Read)?;
    if ids.is_empty() {
        return Ok(RecordList::new(Vec::new()));
    }
    let names = field_names(env, model, fields)?;
    env.check_access_rights(model, Operation::Read)?;
    let mut existing: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if env.exists(&model.name, *id) && !existing.contains(id) {
            existing.push(*id);
        }
    }
    env.check_access_rule(model, &existing, Operation::Read)?;
    let table = env.state.table(&model.name);
    let found: Vec<RecordRow<'_>> = ids
        .iter()
        .map(|id| (*id, table.and_then(|table| table.rows.get(id))))
        .collect();
    read_records(env, model, &found, &names, classic)
}

/// Reads the fields `names` of records given with their rows, skipping
/// records without a row. A value returned as stored is shared with the
/// row rather than copied. An x2many lists only the records the read
/// rules let the caller see, as Odoo reads x2many fields through a
/// search of the comodel.
fn read_records(
    env: &Env<'_>,
    model: &Model,
    found: &[RecordRow<'_>],
    names: &[String],
    classic: bool,
) -> OdooResult<RecordList> {
    // Field lookups and the choice between a row value and `Env::get` are
    // made once per call, not once per record.
    let mut columns: Vec<Column<'_>> = Vec::new();
    for name in names {
        let Some(field) = model.field(name) else {
            continue;
        };
        let ruled = if field.field_type.is_x2many() {
            let comodel = env.model(field.comodel())?;
            env.rule_domain(&comodel, Operation::Read)?.map(|_| comodel)
        } else {
            None
        };
        let column = if let Some(comodel) = ruled {
            Column::Ruled(field, comodel)
        } else if !reads_row_value(field) || is_user_password(model, field) {
            Column::Computed(field)
        } else if classic && field.field_type == FieldType::Many2one {
            Column::Many2one(field, FieldPosition::new(name))
        } else {
            Column::Stored(field, FieldPosition::new(name))
        };
        columns.push(column);
    }
    let mut failure = None;
    let keys = columns
        .iter()
        .map(|column| column.field().name.clone())
        .collect();
    let rows = env
        .state
        .table(&model.name)
        .map(|table| table.rows.clone())
        .unwrap_or_default();
    let mut records = RecordList::reading(keys, rows);
    records.reserve(found.len());
    for (id, row) in found {
        let Some(row) = row else {
            continue;
        };
        let cells = columns.iter().map(|column| match column {
            Column::Stored(field, position) => match position.find(row, &field.name) {
                Some((index, _)) => Cell::Stored(index),
                None => Cell::Owned(field.field_type.empty_value()),
            },
            Column::Many2one(field, position) => match position.find(row, &field.name) {
                Some((index, value)) if convert::read_as_stored(field, value, classic) => {
                    Cell::Stored(index)
                }
                Some((_, value)) => {
                    Cell::Owned(convert::to_read(env, field, value.clone(), classic))
                }
                None => Cell::Owned(field.field_type.empty_value()),
            },
            Column::Computed(field) => Cell::Owned(convert::to_read(
                env,
                field,
                env.get(model, *id, field),
                classic,
            )),
            Column::Ruled(field, comodel) => {
                let value = env.get(model, *id, field);
                let value = match env.filter_readable(comodel, ids_of(&value)) {
                    Ok(visible) => Value::List(visible.into_iter().map(Value::Int).collect()),
                    Err(error) => {
                        failure.get_or_insert(error);
                        value
                    }
                };
                Cell::Owned(convert::to_read(env, field, value, classic))
            }
        });
        debug_assert!(
            records.has_row(*id, row),
            "the records found are rows of the table read"
        );
        records.push(*id, cells);
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(records),
    }
}

/// The way [`read_records`] reads one requested field of each record.
enum Column<'m> {
    /// The row's value as stored, shared with the row.
    Stored(&'m Arc<Field>, FieldPosition),
    /// A many2one read as `[id, display_name]`: shared with the row only
    /// when it is unset.
    Many2one(&'m Arc<Field>, FieldPosition),
    /// A value that `Env::get` computes or finds elsewhere.
    Computed(&'m Arc<Field>),
    /// An x2many whose comodel has read rules: only the records they let
    /// the caller see are listed.
    Ruled(&'m Arc<Field>, Arc<Model>),
}

impl Column<'_> {
    fn field(&self) -> &Field {
        match self {
            Column::Stored(field, _)
            | Column::Many2one(field, _)
            | Column::Computed(field)
            | Column::Ruled(field, _) => field,
        }
    }
}

/// `search_read`: the fields' `groups` are checked before the search, as
/// Odoo's `search_fetch` does, then the records found are read.
pub fn search_read(
    env: &Env<'_>,
    model: &Arc<Model>,
    query: &Query,
    fields: &[String],
    classic: bool,
) -> OdooResult<RecordList> {
    env.check_field_access(model, fields, Operation::Read)?;
    let found = search_rows(env, model, query)?;
    if found.is_empty() {
        return Ok(RecordList::new(Vec::new()));
    }
    // The search applied the read rules to this same state, so every id
    // passes them and `read`'s rule check would only repeat that work.
    let names = field_names(env, model, fields)?;
    read_records(env, model, &found, &names, classic)
}

/// Resolves the requested fields: all readable fields when empty, and
/// `id` always first.
fn field_names(env: &Env<'_>, model: &Model, fields: &[String]) -> OdooResult<Vec<String>> {
    let mut names = vec!["id".to_owned()];
    if fields.is_empty() {
        names.extend(
            model
                .fields
                .values()
                .filter(|f| f.name != "id" && env.can_read_field(f))
                .map(|f| f.name.clone()),
        );
        return Ok(names);
    }
    for name in fields {
        if !model.has_field(name) {
            return Err(invalid_field(name, &model.name));
        }
        if name != "id" && !names.contains(name) {
            names.push(name.clone());
        }
    }
    Ok(names)
}
