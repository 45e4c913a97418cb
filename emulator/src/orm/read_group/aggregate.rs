//! The `fields` argument of `read_group`: the aggregates it names, the
//! checks Odoo runs on them, and their values over the rows of a group.
//!
//! Each element is a bare field name (`amount_total`), `name:function` or
//! `alias:function(name)`. A bare name is aggregated with the field's
//! [`Field::group_operator`] when the field is stored in a column, and
//! skipped otherwise. The other forms name their function, and a field
//! that PostgreSQL cannot aggregate fails as it does in Odoo.
//!
//! From 17.0, `read_group` turns each element into a `field:function`
//! specification and `_read_group_select` checks them once the domain is
//! searched. Before, `_read_group_raw` checked each element as it read it.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::{OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::env::invalid_field;
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::Env;
use crate::value::{python_str_repr, Value};
use crate::version::Version;

use super::function::{Function, SqlType};
use super::GroupBy;

/// Returns the key under which each group counts its records: the lazy
/// groupby's field with `_count`, or `__count`.
pub(super) fn count_key(env: &Env<'_>, groupbys: &[GroupBy], lazy: bool) -> String {
    // 16.0 also falls back to `__count` when the context sets
    // `group_by_no_leaf`.
    let counted = lazy
        && (env.version.has_read_group_select() || !env.context_flag("group_by_no_leaf", false));
    match groupbys {
        [groupby] if counted => format!("{}_count", groupby.field),
        _ => "__count".to_owned(),
    }
}

/// Tells whether Odoo gives the field a column (`column_type`): x2many
/// fields have none, and neither has a binary field, which Odoo stores as
/// an attachment by default.
fn has_column_type(field: &Field) -> bool {
    !matches!(
        field.field_type,
        FieldType::One2many | FieldType::Many2many | FieldType::Binary
    )
}

/// Returns the table of a model, as Odoo names it.
fn table(model_name: &str) -> String {
    model_name.replace('.', "_")
}

/// One element of `fields`, split as Odoo's `regex_field_agg`,
/// `(\w+)(?::(\w+)(?:\((\w+)\))?)?`, splits it. The pattern only has to
/// match at the start, so text after the parts is ignored.
struct SpecParts<'a> {
    name: &'a str,
    function: Option<&'a str>,
    field: Option<&'a str>,
}

/// Splits a specification, or returns `None` when it does not start with
/// a word character.
fn split_spec(spec: &str) -> Option<SpecParts<'_>> {
    let (name, rest) = split_word(spec)?;
    let mut parts = SpecParts {
        name,
        function: None,
        field: None,
    };
    let Some((function, rest)) = rest.strip_prefix(':').and_then(split_word) else {
        return Some(parts);
    };
    parts.function = Some(function);
    parts.field = rest
        .strip_prefix('(')
        .and_then(split_word)
        .filter(|(_, after)| after.starts_with(')'))
        .map(|(field, _)| field);
    Some(parts)
}

/// Splits off the longest leading run of word characters (Python's `\w`),
/// or returns `None` when there is none.
fn split_word(text: &str) -> Option<(&str, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(text.len(), |(i, _)| i);
    (end > 0).then(|| text.split_at(end))
}

/// The aggregates of a call, as far as Odoo checks them before it
/// searches the domain.
pub(super) enum Plan {
    /// 17.0 on: output keys and the `field:function` specification that
    /// `_read_group_select` checks after the search.
    Specs(IndexMap<String, Spec>),
    /// Before 17.0: aggregates that `_read_group_raw` checked already.
    Checked(Vec<(String, Aggregate)>),
}

/// An aggregate specification of Odoo 17's `_read_group`.
pub(super) enum Spec {
    /// `__count`, the number of rows.
    Count,
    Field {
        field: String,
        function: String,
    },
}

/// Reads `fields` into a plan. The count comes first, under `count_key`.
pub(super) fn plan(
    env: &Env<'_>,
    model: &Model,
    specs: &[String],
    groupbys: &[GroupBy],
    count_key: String,
) -> OdooResult<Plan> {
    if env.version.has_read_group_select() {
        annotate(model, specs, groupbys, count_key).map(Plan::Specs)
    } else {
        check_before_17(env.version, model, specs, groupbys, count_key).map(Plan::Checked)
    }
}

/// Turns `fields` into Odoo 17's `field:function` specifications. A later
/// element with the same output key replaces an earlier one in its place,
/// as assigning a key of a Python dict does.
fn annotate(
    model: &Model,
    specs: &[String],
    groupbys: &[GroupBy],
    count_key: String,
) -> OdooResult<IndexMap<String, Spec>> {
    let mut annotated = IndexMap::new();
    annotated.insert(count_key, Spec::Count);
    for spec in specs {
        if spec == "__count" {
            continue;
        }
        let Some(parts) = split_spec(spec) else {
            return Err(OdooError::value(format!(
                "Invalid field specification {}.",
                python_str_repr(spec)
            )));
        };
        if let Some(function) = parts.function {
            let field = parts.field.unwrap_or(parts.name).to_owned();
            let function = function.to_owned();
            annotated.insert(parts.name.to_owned(), Spec::Field { field, function });
            continue;
        }
        let Some(field) = model.field(parts.name) else {
            return Err(invalid_field(parts.name, &model.name));
        };
        // Odoo compares the whole element with the groupby specifications
        // as given, so `date` is aggregated when grouping by `date:month`.
        let grouped = groupbys.iter().any(|groupby| groupby.spec == *spec);
        let operator = field
            .group_operator()
            .filter(|_| field.store && has_column_type(field));
        if let (Some(operator), false) = (operator, grouped) {
            annotated.insert(
                parts.name.to_owned(),
                Spec::Field {
                    field: parts.name.to_owned(),
                    function: operator.to_owned(),
                },
            );
        }
    }
    Ok(annotated)
}

/// Reads and checks `fields` as 16.0's `_read_group_raw` does, with its
/// `UserError`s. A copy of 14.0's has the same checks, and 15.0 is taken
/// to have them too.
fn check_before_17(
    version: Version,
    model: &Model,
    specs: &[String],
    groupbys: &[GroupBy],
    count_key: String,
) -> OdooResult<Vec<(String, Aggregate)>> {
    let mut aggregates = vec![(count_key, Aggregate::Count)];
    let mut names: Vec<&str> = Vec::new();
    for spec in specs {
        if spec == "sequence" || spec == "__count" {
            continue;
        }
        let Some(parts) = split_spec(spec) else {
            return Err(OdooError::user(format!(
                "Invalid field specification {}.",
                python_str_repr(spec)
            )));
        };
        let (field, function) = match parts.function {
            Some(function) => {
                let name = parts.field.unwrap_or(parts.name);
                let Some(field) = model.field(name) else {
                    return Err(invalid_field(name, &model.name));
                };
                if !(field.store && has_column_type(field)) {
                    return Err(OdooError::user(format!(
                        "Cannot aggregate field {}.",
                        python_str_repr(name)
                    )));
                }
                let Some(function) = Function::parse(function, version) else {
                    return Err(OdooError::user(format!(
                        "Invalid aggregation function {}.",
                        python_str_repr(function)
                    )));
                };
                (field, function)
            }
            None => {
                let Some(field) = model.field(parts.name) else {
                    return Err(invalid_field(parts.name, &model.name));
                };
                let operator = field
                    .group_operator()
                    .filter(|_| field.store && has_column_type(field));
                let Some(function) = operator.and_then(|name| Function::parse(name, version))
                else {
                    continue;
                };
                (field, function)
            }
        };
        if groupbys.iter().any(|groupby| groupby.field == field.name) {
            continue;
        }
        if names.contains(&parts.name) {
            return Err(OdooError::user(format!(
                "Output name {} is used twice.",
                python_str_repr(parts.name)
            )));
        }
        names.push(parts.name);
        let source = Source::Column {
            alias: table(stored_model_name(model, field)),
            field: Arc::clone(field),
        };
        aggregates.push((
            parts.name.to_owned(),
            Aggregate::Field(FieldAggregate {
                field: Arc::clone(field),
                function,
                source,
            }),
        ));
    }
    Ok(aggregates)
}

/// Returns the model whose table stores a field: the `_inherits` parent
/// for a delegated field, the model itself otherwise.
fn stored_model_name<'a>(model: &'a Model, field: &'a Field) -> &'a str {
    match &field.delegated {
        Some((parent, _)) => parent,
        None => &model.name,
    }
}

/// The value under one key of each group: the count or a field's
/// aggregate.
pub(super) enum Aggregate {
    /// The number of rows.
    Count,
    Field(FieldAggregate),
}

/// An aggregate function over a field.
pub(super) struct FieldAggregate {
    /// The field as the model declares it, which reads the values.
    field: Arc<Field>,
    function: Function,
    source: Source,
}

/// The origin of an aggregated field's values in the query: a column or
/// a joined relation table.
enum Source {
    /// The column of `field` in the table `alias`. Odoo 17 also reads a
    /// one2many or binary field this way, and PostgreSQL finds no column.
    /// `alias` is the table's name, also for a delegated field, which Odoo
    /// reads through a join alias of its own.
    Column { alias: String, field: Arc<Field> },
    /// The relation table of a many2many that Odoo 17 joins to the
    /// records: a row per link the caller may read, or one empty row for a
    /// record without any. The index is the join's in [`Aggregates`].
    Link(usize),
}

impl FieldAggregate {
    fn sql_type(&self) -> SqlType {
        match &self.source {
            Source::Column { field, .. } => SqlType::of(field),
            Source::Link(_) => SqlType::Integer,
        }
    }
}

/// A many2many whose relation table Odoo 17 joins.
struct Join {
    field: Arc<Field>,
    comodel: Arc<Model>,
}

/// The checked aggregates of a call, in the order of the returned keys.
pub(super) struct Aggregates {
    entries: Vec<(String, Aggregate)>,
    joins: Vec<Join>,
}

impl Plan {
    /// Returns each output key with the `field:function` specification
    /// (`__count` for the count) that Odoo 17's `read_group` matches
    /// `orderby` terms against. Empty before 17.0.
    pub(super) fn annotated(&self) -> Vec<(String, String)> {
        match self {
            Plan::Specs(specs) => specs
                .iter()
                .map(|(key, spec)| {
                    let annotated = match spec {
                        Spec::Count => "__count".to_owned(),
                        Spec::Field { field, function } => format!("{field}:{function}"),
                    };
                    (key.clone(), annotated)
                })
                .collect(),
            Plan::Checked(_) => Vec::new(),
        }
    }

    /// Runs the checks that come after the search: Odoo 17's
    /// `_read_group_select` and field access, then PostgreSQL's.
    pub(super) fn select(
        self,
        env: &Env<'_>,
        model: &Model,
        groupbys: &[GroupBy],
    ) -> OdooResult<Aggregates> {
        let aggregates = match self {
            Plan::Checked(entries) => Aggregates {
                entries,
                joins: Vec::new(),
            },
            Plan::Specs(specs) => select_specs(env, model, specs, groupbys)?,
        };
        aggregates.check_types()?;
        Ok(aggregates)
    }
}

/// Checks Odoo 17's specifications in order, as `_read_group_select`
/// does, and the caller's access to the fields used.
fn select_specs(
    env: &Env<'_>,
    model: &Model,
    specs: IndexMap<String, Spec>,
    groupbys: &[GroupBy],
) -> OdooResult<Aggregates> {
    let joins_related = env.version.joins_related_fields_in_sql();
    if joins_related {
        // 18.0 checks each field as `_field_to_sql` reads it, the groupby
        // fields first.
        for groupby in groupbys {
            env.check_field_access(model, std::slice::from_ref(&groupby.field), Operation::Read)?;
        }
    }
    let mut aggregates = Aggregates {
        entries: Vec::new(),
        joins: Vec::new(),
    };
    let mut used: Vec<String> = groupbys
        .iter()
        .map(|groupby| groupby.field.clone())
        .collect();
    for (key, spec) in specs {
        let Spec::Field {
            field: name,
            function,
        } = spec
        else {
            aggregates.entries.push((key, Aggregate::Count));
            continue;
        };
        let spec = python_str_repr(&format!("{name}:{function}"));
        let Some(field) = model.field(&name) else {
            return Err(OdooError::value(format!(
                "Invalid field {} on model {} for {spec}.",
                python_str_repr(&name),
                python_str_repr(&model.name)
            )));
        };
        let Some(parsed) = Function::parse(&function, env.version) else {
            return Err(OdooError::value(format!(
                "Invalid aggregate method {} for {spec}.",
                python_str_repr(&function)
            )));
        };
        if parsed == Function::Recordset && !(field.field_type.is_relational() || name == "id") {
            return Err(OdooError::value(format!(
                "Aggregate method 'recordset' can be only used on relational field (or id) \
                 (for {spec})."
            )));
        }
        let source = if joins_related {
            source_from_18(env, model, field, false)?
        } else {
            aggregates.source_in_17(env, model, field)?
        };
        if !used.contains(&name) {
            used.push(name);
        }
        aggregates.entries.push((
            key,
            Aggregate::Field(FieldAggregate {
                field: Arc::clone(field),
                function: parsed,
                source,
            }),
        ));
    }
    if !joins_related {
        env.check_field_access(model, &used, Operation::Read)?;
    }
    Ok(aggregates)
}

impl Aggregates {
    /// Finds where Odoo 17's `_field_to_sql` reads a field: in the
    /// `_inherits` parent's table for a delegated field, and through a
    /// join for a many2many. It raises for any other unstored field.
    fn source_in_17(
        &mut self,
        env: &Env<'_>,
        model: &Model,
        field: &Arc<Field>,
    ) -> OdooResult<Source> {
        let stored_model = stored_model_name(model, field);
        if !field.store {
            return Err(OdooError::value(format!(
                "Cannot convert field {stored_model}.{} to SQL",
                field.name
            )));
        }
        if field.field_type != FieldType::Many2many {
            return Ok(Source::Column {
                alias: table(stored_model),
                field: Arc::clone(field),
            });
        }
        let index = match self
            .joins
            .iter()
            .position(|join| join.field.name == field.name)
        {
            Some(index) => index,
            None => {
                self.joins.push(Join {
                    field: Arc::clone(field),
                    comodel: env.model(field.comodel())?,
                });
                self.joins.len() - 1
            }
        };
        Ok(Source::Link(index))
    }

    /// Raises PostgreSQL's error for the first aggregate it cannot run: a
    /// column that does not exist, or a function without a version for the
    /// column's type.
    fn check_types(&self) -> OdooResult<()> {
        for (_, aggregate) in &self.entries {
            let Aggregate::Field(aggregate) = aggregate else {
                continue;
            };
            if let Source::Column { alias, field } = &aggregate.source {
                if !has_column_type(field) {
                    return Err(OdooError::undefined_column(alias, &field.name));
                }
            }
            let sql_type = aggregate.sql_type();
            if !aggregate.function.accepts(sql_type) {
                return Err(OdooError::undefined_function(
                    aggregate.function.sql_name(),
                    sql_type.name(),
                ));
            }
        }
        Ok(())
    }
}

/// Finds where 18.0's `_field_to_sql` reads a field. A related field
/// that is not stored, delegated fields included, is followed along its
/// many2one path to the field that stores the value, as the superuser.
/// Otherwise the caller's access to the field is checked.
fn source_from_18(
    env: &Env<'_>,
    model: &Model,
    field: &Arc<Field>,
    through_related: bool,
) -> OdooResult<Source> {
    let path: Option<Vec<String>> = match (&field.delegated, &field.related) {
        (Some((_, link)), _) => Some(vec![link.clone(), field.name.clone()]),
        (None, Some(path)) if !field.store => Some(path.clone()),
        _ => None,
    };
    let Some(path) = path else {
        if !field.store || !has_column_type(field) {
            return Err(OdooError::value(format!(
                "Cannot convert {}.{} to SQL because it is not stored",
                model.name, field.name
            )));
        }
        if !through_related {
            env.check_field_access(model, std::slice::from_ref(&field.name), Operation::Read)?;
        }
        return Ok(Source::Column {
            alias: table(&model.name),
            field: Arc::clone(field),
        });
    };
    let (last, links) = path.split_last().unwrap_or((&field.name, &[]));
    let mut current = env.model(&model.name)?;
    for link in links {
        let link_field = env.field(&current, link)?;
        if link_field.field_type != FieldType::Many2one {
            return Err(OdooError::value(format!(
                "Cannot convert {}.{} (related={}) to SQL because {link} is not a Many2one",
                model.name,
                field.name,
                path.join(".")
            )));
        }
        current = env.model(link_field.comodel())?;
    }
    let target = env.field(&current, last)?;
    source_from_18(env, &current, &target, true)
}

/// A row that PostgreSQL aggregates: a record and, for each joined
/// many2many, one linked id (`None` for a record without links).
pub(super) struct Row {
    id: i64,
    links: Vec<Option<i64>>,
}

impl Aggregates {
    /// Returns the rows of a group in id order, as `array_agg` sorts them:
    /// one per record, times its links for each joined many2many.
    pub(super) fn rows(
        &self,
        env: &Env<'_>,
        model: &Model,
        members: &[i64],
    ) -> OdooResult<Vec<Row>> {
        let mut ids = members.to_vec();
        ids.sort_unstable();
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            let mut combinations: Vec<Vec<Option<i64>>> = vec![Vec::new()];
            for join in &self.joins {
                let linked = env
                    .get(model, id, &join.field)
                    .as_list()
                    .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                let readable = env.filter_readable(&join.comodel, linked)?;
                let links: Vec<Option<i64>> = if readable.is_empty() {
                    vec![None]
                } else {
                    readable.into_iter().map(Some).collect()
                };
                combinations = combinations
                    .into_iter()
                    .flat_map(|prefix| {
                        links.iter().map(move |link| {
                            let mut combination = prefix.clone();
                            combination.push(*link);
                            combination
                        })
                    })
                    .collect();
            }
            rows.extend(combinations.into_iter().map(|links| Row { id, links }));
        }
        Ok(rows)
    }

    /// Returns each key with its aggregate's value over `rows`.
    pub(super) fn values<'a>(
        &'a self,
        env: &'a Env<'_>,
        model: &'a Model,
        rows: &'a [Row],
    ) -> impl Iterator<Item = (String, Value)> + 'a {
        self.entries.iter().map(move |(key, aggregate)| {
            let value = match aggregate {
                Aggregate::Count => Value::Int(rows.len() as i64),
                Aggregate::Field(aggregate) => {
                    let cells = rows
                        .iter()
                        .map(|row| cell(env, model, aggregate, row))
                        .collect();
                    aggregate.function.apply(cells, aggregate.sql_type())
                }
            };
            (key.clone(), value)
        })
    }
}

/// Returns the value PostgreSQL reads for a row, or `None` for SQL's
/// `NULL`. Unset numbers and booleans read as `0` and `False`, as the
/// emulator keeps no `NULL` for them.
fn cell(env: &Env<'_>, model: &Model, aggregate: &FieldAggregate, row: &Row) -> Option<Value> {
    if let Source::Link(index) = aggregate.source {
        return row.links.get(index).copied().flatten().map(Value::Int);
    }
    let value = env.get(model, row.id, &aggregate.field);
    let never_null = matches!(
        aggregate.field.field_type,
        FieldType::Integer | FieldType::Float | FieldType::Monetary | FieldType::Boolean
    );
    match value {
        Value::None => None,
        Value::Bool(false) if !never_null => None,
        value => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(spec: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
        split_spec(spec).map(|parts| (parts.name, parts.function, parts.field))
    }

    #[test]
    fn splits_as_regex_field_agg() {
        assert_eq!(parts("amount_total"), Some(("amount_total", None, None)));
        assert_eq!(
            parts("amount_total:max"),
            Some(("amount_total", Some("max"), None))
        );
        assert_eq!(
            parts("top:max(amount_total)"),
            Some(("top", Some("max"), Some("amount_total")))
        );
    }

    #[test]
    fn split_ignores_trailing_text() {
        assert_eq!(parts("name.display"), Some(("name", None, None)));
        assert_eq!(parts("name:"), Some(("name", None, None)));
        assert_eq!(
            parts("top:max(amount_total"),
            Some(("top", Some("max"), None))
        );
        assert_eq!(parts("top:max()"), Some(("top", Some("max"), None)));
    }

    #[test]
    fn split_needs_a_leading_word() {
        assert!(parts("").is_none());
        assert!(parts(":sum").is_none());
        assert!(parts(" name").is_none());
        assert!(parts("-name").is_none());
    }
}
