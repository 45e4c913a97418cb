//! `search` and `read`: the query side of the ORM.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::convert;
use crate::orm::domain::{self, Domain, Operator};
use crate::orm::env::{ids_of, invalid_field, is_user_password, reads_row_value, Env};
use crate::orm::order::{self, OrderTerm, RecordRow};
use crate::orm::schema::{Field, FieldType, Model, Schema};
use crate::orm::store::{FieldPosition, KeptRecord, OtherRows, Table};
use crate::value::{RecordList, Value};

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
    Ok(search_rows(env, model, query)?.ids())
}

/// The records a search found, in order, each with its row.
enum Found<'s> {
    /// Records whose rows are borrowed from the table.
    Rows(Vec<RecordRow<'s>>),
    /// A range of the search's whole result, which the table keeps.
    Kept(Arc<[KeptRecord]>, Range<usize>),
}

impl Found<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Found::Rows(records) => records.is_empty(),
            Found::Kept(_, range) => range.is_empty(),
        }
    }

    fn ids(&self) -> Vec<i64> {
        self.records().iter().map(|(id, _)| *id).collect()
    }

    /// Returns the records with references to their rows. A kept result
    /// lends its rows rather than cloning each `Arc`, because the counts
    /// of rows shared by every worker would then move between cores.
    fn records(&self) -> Cow<'_, [RecordRow<'_>]> {
        match self {
            Found::Rows(records) => Cow::Borrowed(records),
            Found::Kept(kept, range) => kept[range.clone()]
                .iter()
                .map(|(id, row)| (*id, row.as_ref()))
                .collect(),
        }
    }
}

/// Searches as [`search`] does and returns each record with its row, so
/// sorting and reading the records need not look the rows up again.
///
/// The whole result of a search whose domain and order read rows only is
/// kept in the table's memo (see [`kept_search`]), and the same search on
/// the same version of the rows takes its records from there. Both ways
/// check the access rights and build the rule domain first, so those
/// errors are the same. A kept result exists only for a search that
/// evaluated and sorted without error, and the same search on the same
/// rows evaluates and sorts the same way, so no other error is skipped.
fn search_rows<'s>(env: &'s Env<'_>, model: &Arc<Model>, query: &Query) -> OdooResult<Found<'s>> {
    env.check_access_rights(model, Operation::Read)?;
    if query.domain.is_known_false() {
        return Ok(Found::Rows(Vec::new()));
    }
    let implicit = ImplicitFilters::of(env, model, &query.domain)?;
    let order_text = match query.order.as_deref() {
        Some(order) if !order.trim().is_empty() => order,
        _ => model.order.as_str(),
    };
    let table = env.state.table(&model.name);
    if let Some(table) = table {
        if let Some(kept) = kept_search(env, model, table, query, &implicit, order_text)? {
            let (offset, limit) = row_bounds(query.offset, query.limit)?;
            let end = match limit {
                Some(limit) => offset.saturating_add(limit).min(kept.len()),
                None => kept.len(),
            };
            return Ok(Found::Kept(kept, offset.min(end)..end));
        }
    }

    let ids = matching_with(env, model, &query.domain, &implicit)?;
    let terms = order::parse(model, order_text)?;
    let (offset, limit) = row_bounds(query.offset, query.limit)?;
    let end = match limit {
        Some(limit) => offset.saturating_add(limit).min(ids.len()),
        None => ids.len(),
    };
    let mut found = match table {
        Some(table) => sorted_matches(env, model, table, &ids, &terms, end)?,
        None => {
            let mut found: Vec<RecordRow<'_>> = ids.iter().map(|id| (*id, None)).collect();
            order::sort_first_rows(env, model, &mut found, &terms, end)?;
            found.truncate(end);
            found
        }
    };
    found.drain(..offset.min(end));
    Ok(Found::Rows(found))
}

/// Returns the first `end` records of `ids` in the order of `terms`.
fn sorted_matches<'s>(
    env: &'s Env<'_>,
    model: &Arc<Model>,
    table: &'s Table,
    ids: &BTreeSet<i64>,
    terms: &[OrderTerm],
    end: usize,
) -> OdooResult<Vec<RecordRow<'s>>> {
    if let Some(found) = order::first_in_sorted(env, model, table, ids, terms, end)? {
        return Ok(found);
    }
    let mut found = rows_in_id_order(table, ids);
    order::sort_first_rows(env, model, &mut found, terms, end)?;
    found.truncate(end);
    Ok(found)
}

/// Returns the whole result of a search from the table's memo, or `None`
/// when the caller must search itself: on the first search of this
/// version of the rows, and for searches the memo cannot keep.
///
/// A result is kept when the order reads the row's own columns. Every
/// leaf of the domain and of the implicit filters must also test the
/// record's own row or resolve a `child_of` or `parent_of` leaf from the
/// rows of one table. The result then depends only on the key (the
/// domain, the implicit filters, the order text and the schema), on the
/// table's rows and on the hierarchy leaves' tables, whose versions the
/// memo checks. Whether a search can be kept depends on the key alone, so
/// that outcome is kept as well.
fn kept_search(
    env: &Env<'_>,
    model: &Arc<Model>,
    table: &Table,
    query: &Query,
    implicit: &ImplicitFilters,
    order_text: &str,
) -> OdooResult<Option<Arc<[KeptRecord]>>> {
    let probe = FoundProbe {
        domain: &query.domain,
        active: implicit.active,
        rules: implicit.rules.as_ref(),
        order: order_text,
        schema: &env.state.schema,
    };
    let compute = || {
        let not_kept = Ok((None, Some(OtherRows::default())));
        let whole = Domain::and(vec![query.domain.clone(), implicit.domain()]);
        let Some(other_models) = domain::row_only_reads(env, model, &whole) else {
            return not_kept;
        };
        let rows_only = order::parse(model, order_text)
            .is_ok_and(|terms| order::reads_rows_only(model, &terms));
        if !rows_only {
            return not_kept;
        }
        let ids = matching_with(env, model, &query.domain, implicit)?;
        let terms = order::parse(model, order_text)?;
        let all = sorted_matches(env, model, table, &ids, &terms, ids.len())?;
        let kept: Arc<[KeptRecord]> = all
            .into_iter()
            .map(|(id, row)| (id, row.cloned()))
            .collect();
        let others = OtherRows::of(env.state, other_models.iter().map(String::as_str));
        Ok::<_, OdooError>((Some(kept), Some(others)))
    };
    let kept = table.memos.found.get_or_compute(
        env.state,
        &probe,
        &table.rows,
        || probe.to_key(),
        compute,
    )?;
    Ok(kept.flatten())
}

/// The filters a search adds to its domain: Odoo's implicit `active`
/// leaf and the read rules.
#[derive(Debug)]
struct ImplicitFilters {
    /// Whether `active = True` applies: the model has the field, the
    /// context's `active_test` is not false and the domain does not name
    /// `active` itself.
    active: bool,
    rules: Option<Arc<Domain>>,
}

impl ImplicitFilters {
    fn of(env: &Env<'_>, model: &Model, domain: &Domain) -> OdooResult<Self> {
        let active = model.has_active()
            && env.context_flag("active_test", true)
            && !domain.mentions("active");
        let rules = env.rule_domain(model, Operation::Read)?;
        Ok(ImplicitFilters { active, rules })
    }

    /// Joins the filters into one domain, `Domain::True` when none applies.
    fn domain(&self) -> Domain {
        let mut implicit = Vec::new();
        if self.active {
            implicit.push(Domain::leaf("active", Operator::Eq, Value::Bool(true)));
        }
        if let Some(rules) = &self.rules {
            implicit.push(Domain::clone(rules));
        }
        Domain::and(implicit)
    }
}

/// The key of a search's kept result in a table's memo: the search's
/// domain, its implicit filters, the text of its order and the schema.
#[derive(Debug)]
pub struct FoundKey {
    domain: Domain,
    active: bool,
    rules: Option<Arc<Domain>>,
    order: String,
    schema: Arc<Schema>,
}

/// A [`FoundKey`] borrowed from a search, for looking an entry up.
#[derive(Debug)]
pub(crate) struct FoundProbe<'a> {
    domain: &'a Domain,
    active: bool,
    rules: Option<&'a Arc<Domain>>,
    order: &'a str,
    schema: &'a Arc<Schema>,
}

impl FoundProbe<'_> {
    fn to_key(&self) -> FoundKey {
        FoundKey {
            domain: self.domain.clone(),
            active: self.active,
            rules: self.rules.cloned(),
            order: self.order.to_owned(),
            schema: Arc::clone(self.schema),
        }
    }
}

impl PartialEq<FoundProbe<'_>> for FoundKey {
    fn eq(&self, probe: &FoundProbe<'_>) -> bool {
        // The access memo returns the same rule domain until one of its
        // source tables changes, so comparing pointers settles most
        // lookups.
        let same_rules = match (&self.rules, probe.rules) {
            (Some(kept), Some(rules)) => Arc::ptr_eq(kept, rules) || kept == rules,
            (None, None) => true,
            _ => false,
        };
        Arc::ptr_eq(&self.schema, probe.schema)
            && self.active == probe.active
            && same_rules
            && self.order == probe.order
            && self.domain == *probe.domain
    }
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
pub fn matching(
    env: &Env<'_>,
    model: &Arc<Model>,
    domain: &Domain,
) -> OdooResult<Arc<BTreeSet<i64>>> {
    let implicit = ImplicitFilters::of(env, model, domain)?;
    matching_with(env, model, domain, &implicit)
}

/// Returns the ids matching a domain and its implicit filters, in id
/// order.
///
/// The implicit filters select the same records on every search until
/// the table changes. Their result is therefore taken from the table's
/// memo when it has one, and the domain is evaluated within it. Both
/// ways select the same records and raise the same errors, because the
/// memo only contains filters that evaluated without error on these same
/// rows.
fn matching_with(
    env: &Env<'_>,
    model: &Arc<Model>,
    domain: &Domain,
    implicit: &ImplicitFilters,
) -> OdooResult<Arc<BTreeSet<i64>>> {
    let implicit = implicit.domain();
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
) -> OdooResult<Arc<RecordList>> {
    env.check_field_access(model, fields, Operation::Read)?;
    if ids.is_empty() {
        return Ok(Arc::new(RecordList::new(Vec::new())));
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
    read_records(env, model, &found, None, &names, classic)
}

/// Reads the fields `names` of records given with their rows, skipping
/// records without a row. A value returned as stored is shared with the
/// row rather than copied. An x2many lists only the records the read
/// rules let the caller see, as Odoo reads x2many fields through a
/// search of the comodel.
///
/// When the records are positions `start..` of a search result that the
/// table keeps, `kept` gives that result and `start`, and the list finds
/// the rows there instead of looking each one up by id.
fn read_records(
    env: &Env<'_>,
    model: &Model,
    found: &[RecordRow<'_>],
    kept: Option<(&Arc<[KeptRecord]>, usize)>,
    names: &[String],
    classic: bool,
) -> OdooResult<Arc<RecordList>> {
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
        } else if field.name == "id" {
            Column::Id(field)
        } else if !reads_row_value(field) || is_user_password(model, field) {
            Column::Computed(field)
        } else if classic && field.field_type == FieldType::Many2one {
            Column::Many2one(field, FieldPosition::new(name))
        } else {
            Column::Stored(field, FieldPosition::new(name))
        };
        columns.push(column);
    }
    // A read of only ids and stored values returns the same list for the
    // same kept result, so the table keeps it.
    let row_values_only = columns
        .iter()
        .all(|column| matches!(column, Column::Stored(..) | Column::Id(_)));
    let kept_read = match (kept, env.state.table(&model.name)) {
        (Some((kept, start)), Some(table)) if row_values_only => {
            Some((kept, start..start + found.len(), &table.memos.reads))
        }
        _ => None,
    };
    if let Some((kept, range, reads)) = &kept_read {
        if let Some(records) = reads.get(kept, range, names) {
            return Ok(records);
        }
    }
    let mut failure = None;
    let keys = columns
        .iter()
        .map(|column| column.field().name.clone())
        .collect();
    let mut records = match kept {
        Some((kept, _)) => RecordList::reading_kept(keys, Arc::clone(kept)),
        None => {
            let rows = env
                .state
                .table(&model.name)
                .map(|table| table.rows.clone())
                .unwrap_or_default();
            RecordList::reading(keys, rows)
        }
    };
    let owned_per_record = columns
        .iter()
        .filter(|column| !matches!(column, Column::Stored(..)))
        .count();
    records.reserve(found.len(), owned_per_record);
    for (found_index, (id, row)) in found.iter().enumerate() {
        let key = match kept {
            Some((_, start)) => i64::try_from(start + found_index)
                .expect("a kept result has fewer than i64::MAX records"),
            None => *id,
        };
        let Some(row) = row else {
            continue;
        };
        for (index, column) in columns.iter().enumerate() {
            match column {
                Column::Stored(field, position) => match position.find(row, &field.name) {
                    Some((position, _)) => records.push_stored(position),
                    None => records.push_empty(index, || field.field_type.empty_value()),
                },
                Column::Many2one(field, position) => match position.find(row, &field.name) {
                    Some((index, value)) if convert::read_as_stored(field, value, classic) => {
                        records.push_stored(index);
                    }
                    Some((_, value)) => {
                        records.push_owned(convert::to_read(env, field, value.clone(), classic));
                    }
                    None => records.push_empty(index, || field.field_type.empty_value()),
                },
                Column::Id(_) => records.push_owned(Value::Int(*id)),
                Column::Computed(field) => records.push_owned(convert::to_read(
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
                    records.push_owned(convert::to_read(env, field, value, classic));
                }
            }
        }
        debug_assert!(
            records.has_row(key, row),
            "the records found are rows of the table read"
        );
        records.end_record(key);
    }
    if let Some(error) = failure {
        return Err(error);
    }
    if kept_read.is_some() {
        records.keep_encodings();
    }
    let records = Arc::new(records);
    if let Some((kept, range, reads)) = kept_read {
        reads.insert(kept, range, names, Arc::clone(&records));
    }
    Ok(records)
}

/// The way [`read_records`] reads one requested field of each record.
enum Column<'m> {
    /// The row's value as stored, shared with the row.
    Stored(&'m Arc<Field>, FieldPosition),
    /// A many2one read as `[id, display_name]`: shared with the row only
    /// when it is unset.
    Many2one(&'m Arc<Field>, FieldPosition),
    /// The record's id, which rows do not store.
    Id(&'m Arc<Field>),
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
            | Column::Id(field)
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
) -> OdooResult<Arc<RecordList>> {
    env.check_field_access(model, fields, Operation::Read)?;
    let found = search_rows(env, model, query)?;
    if found.is_empty() {
        return Ok(Arc::new(RecordList::new(Vec::new())));
    }
    // The search applied the read rules to this same state, so every id
    // passes them and `read`'s rule check would only repeat that work.
    let names = field_names(env, model, fields)?;
    let kept = match &found {
        Found::Kept(kept, range) => Some((kept, range.start)),
        Found::Rows(_) => None,
    };
    read_records(env, model, &found.records(), kept, &names, classic)
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
