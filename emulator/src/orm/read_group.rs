//! `read_group`: aggregates over groups of records.
//!
//! Supports grouping by stored fields (many2one groups read as
//! `[id, display_name]`), date granularities `day`, `week`, `month`,
//! `quarter` and `year`, the aggregates of [`aggregate`], and lazy
//! grouping. Group labels for dates use English month names whatever the
//! context's `lang`.

mod aggregate;
mod function;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::OdooResult;
use crate::orm::domain::{compare_values, Domain, Operator};
use crate::orm::methods::{row_count_arg, string_list};
use crate::orm::schema::{FieldType, Model};
use crate::orm::search::{self, Query};
use crate::orm::signature::Bound;
use crate::orm::{convert, Env};
use crate::value::{Dict, Value};

struct GroupBy {
    spec: String,
    field: String,
    granularity: Option<String>,
}

/// `read_group(domain, fields, groupby, offset=0, limit=None,
/// orderby=False, lazy=True)`.
pub fn read_group(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let domain = Domain::parse(bound.get("domain").unwrap_or(&Value::List(vec![])))?;
    let lazy = bound.get("lazy").is_none_or(Value::is_truthy);
    let mut groupbys = parse_groupbys(model, string_list(bound.get("groupby"))?)?;
    let remaining: Vec<Value> = groupbys
        .iter()
        .skip(1)
        .map(|g| Value::Str(g.spec.clone()))
        .collect();
    if lazy {
        groupbys.truncate(1);
    }
    let count_key = aggregate::count_key(env, &groupbys, lazy);
    let fields = string_list(bound.get("fields"))?;
    let plan = aggregate::plan(env, model, &fields, &groupbys, count_key)?;
    let ids = search::search(
        env,
        model,
        &Query {
            domain: domain.clone(),
            ..Query::default()
        },
    )?;
    let aggregates = plan.select(env, model, &groupbys)?;

    let mut groups: BTreeMap<Vec<GroupKey>, Vec<i64>> = BTreeMap::new();
    for id in ids {
        let key = groupbys
            .iter()
            .map(|g| group_key(env, model, id, g))
            .collect();
        groups.entry(key).or_default().push(id);
    }
    if groupbys.is_empty() {
        // Without GROUP BY, PostgreSQL returns one row even when no record
        // matches: a count of 0 and the other aggregates unset.
        groups.entry(Vec::new()).or_default();
    }
    let mut rows = Vec::new();
    for (key, members) in groups {
        let mut row = Dict::default();
        let mut group_domain = vec![domain.clone()];
        for (groupby, part) in groupbys.iter().zip(&key) {
            row.insert(groupby.spec.clone(), group_label(env, model, groupby, part));
            group_domain.push(Domain::leaf(&groupby.field, Operator::Eq, part.raw.clone()));
        }
        let group_rows = aggregates.rows(env, model, &members)?;
        row.extend(aggregates.values(env, model, &group_rows));
        row.insert("__domain".to_owned(), domain_value(&groupbys, &key));
        if lazy && !remaining.is_empty() {
            row.insert(
                "__context".to_owned(),
                Value::Dict(Dict::from_iter([(
                    "group_by".to_owned(),
                    Value::List(remaining.clone()),
                )])),
            );
        }
        rows.push(Value::Dict(row));
    }
    // Odoo 17's `_read_group` sets the limit and offset on the same
    // `Query` as a search, so `limit=0` means no limit and a negative one
    // fails in PostgreSQL.
    let (offset, limit) = search::row_bounds(
        row_count_arg(bound.given("offset"))?.unwrap_or(0),
        row_count_arg(bound.given("limit"))?,
    )?;
    let rows: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    Ok(Value::List(rows))
}

#[derive(Debug, Clone, PartialEq)]
struct GroupKey {
    sort: SortableValue,
    raw: Value,
}

impl Eq for GroupKey {}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort.cmp(&other.sort)
    }
}

/// A group value made totally ordered; unset values sort last.
#[derive(Debug, Clone, PartialEq)]
struct SortableValue(Value);

impl Eq for SortableValue {}

impl PartialOrd for SortableValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortableValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let unset = |v: &Value| matches!(v, Value::Bool(false) | Value::None);
        match (unset(&self.0), unset(&other.0)) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => compare_values(&self.0, &other.0).unwrap_or(std::cmp::Ordering::Equal),
        }
    }
}

fn parse_groupbys(model: &Model, specs: Vec<String>) -> OdooResult<Vec<GroupBy>> {
    specs
        .into_iter()
        .map(|spec| {
            let (field, granularity) = match spec.split_once(':') {
                Some((f, g)) => (f.to_owned(), Some(g.to_owned())),
                None => (spec.clone(), None),
            };
            let Some(definition) = model.field(&field) else {
                return Err(crate::orm::env::invalid_field(&field, &model.name));
            };
            let is_date = matches!(definition.field_type, FieldType::Date | FieldType::Datetime);
            let granularity = match (is_date, granularity) {
                (true, None) => Some("month".to_owned()),
                (_, g) => g,
            };
            Ok(GroupBy {
                spec,
                field,
                granularity,
            })
        })
        .collect()
}

fn group_key(env: &Env<'_>, model: &Model, id: i64, groupby: &GroupBy) -> GroupKey {
    let raw = env.get_by_name(model, id, &groupby.field);
    let raw = match (&groupby.granularity, raw.as_str()) {
        (Some(granularity), Some(text)) => Value::Str(truncate_date(text, granularity)),
        _ => raw,
    };
    GroupKey {
        sort: SortableValue(raw.clone()),
        raw,
    }
}

/// Truncates a date to the first day of its period, as `date_trunc` does.
fn truncate_date(text: &str, granularity: &str) -> String {
    let Ok(date) = chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
    else {
        return text.to_owned();
    };
    use chrono::Datelike;
    let first = match granularity {
        "year" => date.with_ordinal(1),
        "quarter" => chrono::NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1),
        "month" => date.with_day(1),
        "week" => date.checked_sub_days(chrono::Days::new(u64::from(
            date.weekday().num_days_from_monday(),
        ))),
        _ => Some(date),
    };
    first.unwrap_or(date).format("%Y-%m-%d").to_string()
}

fn group_label(env: &Env<'_>, model: &Model, groupby: &GroupBy, key: &GroupKey) -> Value {
    let Some(field) = model.field(&groupby.field) else {
        return key.raw.clone();
    };
    if let (Some(granularity), Some(text)) = (&groupby.granularity, key.raw.as_str()) {
        return Value::Str(date_label(text, granularity));
    }
    convert::to_read(env, field, key.raw.clone(), true)
}

fn date_label(text: &str, granularity: &str) -> String {
    let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        return text.to_owned();
    };
    use chrono::Datelike;
    match granularity {
        "year" => date.format("%Y").to_string(),
        "quarter" => format!("Q{} {}", date.month0() / 3 + 1, date.year()),
        "month" => date.format("%B %Y").to_string(),
        "week" => format!("W{} {}", date.iso_week().week(), date.iso_week().year()),
        _ => date.format("%d %b %Y").to_string(),
    }
}

fn domain_value(groupbys: &[GroupBy], key: &[GroupKey]) -> Value {
    let leaves = groupbys
        .iter()
        .zip(key)
        .map(|(g, k)| {
            Value::List(vec![
                Value::Str(g.field.clone()),
                Value::Str("=".into()),
                k.raw.clone(),
            ])
        })
        .collect();
    Value::List(leaves)
}
