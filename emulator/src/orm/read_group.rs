//! `read_group`: aggregates over groups of records.
//!
//! Supports grouping by stored fields (many2one and many2many groups read
//! as `[id, display_name]`), date granularities `hour`, `day`, `week`,
//! `month`, `quarter` and `year`, the aggregates of [`aggregate`], the
//! order of [`ordering`], and lazy grouping.
//!
//! Datetimes are grouped in the context's `tz`, as Odoo 17 converts the
//! column to it before truncating, and `__range` gives each period's
//! bounds back in UTC. Weeks start on Sunday and are numbered as Odoo's
//! `date_utils.weeknumber` numbers them for `en_US`: week 1 is the one
//! that contains January 1st.
//!
//! Where it differs from Odoo 17: group labels and week starts are those
//! of `en_US` whatever the context's `lang`, since the emulator has no
//! other language.

mod aggregate;
mod function;
mod ordering;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::orm::domain::{compare_values, Domain};
use crate::orm::methods::{row_count_arg, string_list};
use crate::orm::schema::{FieldType, Model};
use crate::orm::search::{self, Query};
use crate::orm::signature::Bound;
use crate::orm::{convert, Env};
use crate::value::{python_str_repr, Dict, Value};

struct GroupBy {
    spec: String,
    field: String,
    granularity: Option<String>,
    /// The context's time zone, for a datetime field grouped by a
    /// granularity. Odoo 17 ignores a `tz` that pytz does not know.
    tz: Option<chrono_tz::Tz>,
}

/// `read_group(domain, fields, groupby, offset=0, limit=None,
/// orderby=False, lazy=True)`.
pub fn read_group(env: &mut Env<'_>, model: &Arc<Model>, bound: &Bound) -> OdooResult<Value> {
    let domain_value = bound.get("domain").cloned().unwrap_or(Value::List(vec![]));
    let domain = Domain::parse(&domain_value)?;
    let lazy = bound.get("lazy").is_none_or(Value::is_truthy);
    let mut groupbys = parse_groupbys(env, model, string_list(bound.get("groupby"))?)?;
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
    if env.version.has_read_group_select() {
        check_groupbys(env, model, &groupbys)?;
    }
    let annotated = plan.annotated();
    let aggregates = plan.select(env, model, &groupbys)?;

    #[allow(
        clippy::mutable_key_type,
        reason = "a record list's remembered text takes no part in comparing keys"
    )]
    let mut groups: BTreeMap<Vec<GroupKey>, Vec<i64>> = BTreeMap::new();
    for id in ids {
        let mut keys: Vec<Vec<GroupKey>> = vec![Vec::new()];
        for groupby in &groupbys {
            let parts = group_keys(env, model, id, groupby)?;
            keys = keys
                .into_iter()
                .flat_map(|key| {
                    parts.iter().map(move |part| {
                        let mut key = key.clone();
                        key.push(part.clone());
                        key
                    })
                })
                .collect();
        }
        for key in keys {
            groups.entry(key).or_default().push(id);
        }
    }
    // A many2many's group of records without links selects them with
    // `not in` the values of the other groups.
    let linked: Vec<Vec<Value>> = (0..groupbys.len())
        .map(|index| {
            groups
                .keys()
                .map(|key| key[index].raw.clone())
                .filter(Value::is_truthy)
                .collect()
        })
        .collect();
    if groupbys.is_empty() {
        // Without GROUP BY, PostgreSQL returns one row even when no record
        // matches: a count of 0 and the other aggregates unset.
        groups.entry(Vec::new()).or_default();
    }
    let mut rows: Vec<(Vec<GroupKey>, Dict)> = Vec::new();
    for (key, members) in groups {
        let mut row = Dict::default();
        for (groupby, part) in groupbys.iter().zip(&key) {
            row.insert(groupby.spec.clone(), group_label(env, model, groupby, part));
        }
        let group_rows = aggregates.rows(env, model, &members)?;
        row.extend(aggregates.values(env, model, &group_rows));
        let (group_domain, ranges) = group_domain(model, &domain_value, &groupbys, &key, &linked)?;
        row.insert("__domain".to_owned(), group_domain);
        if lazy && !remaining.is_empty() {
            row.insert(
                "__context".to_owned(),
                Value::Dict(Dict::from_iter([(
                    "group_by".to_owned(),
                    Value::List(remaining.clone()),
                )])),
            );
        }
        if !ranges.is_empty() {
            row.insert("__range".to_owned(), Value::Dict(ranges));
        }
        rows.push((key, row));
    }
    // NOTE: before 17.0 an `orderby` is not applied; the groups then keep
    // the order of their groupbys.
    let orderby = match bound.get("orderby") {
        _ if !env.version.has_read_group_select() => None,
        Some(Value::Str(text)) => Some(text.as_str()),
        // Odoo 17 calls `orderby.split(',')` on any true value.
        Some(other) if other.is_truthy() => {
            return Err(OdooError::new(
                ErrorKind::AttributeError,
                format!("'{}' object has no attribute 'split'", other.python_type()),
            ))
        }
        _ => None,
    };
    let keys: Vec<&[GroupKey]> = rows.iter().map(|(key, _)| key.as_slice()).collect();
    let terms = ordering::terms(env, model, orderby, &groupbys, &annotated, &keys)?;
    rows.sort_by(|(a_key, a_row), (b_key, b_row)| {
        ordering::compare(&terms, (a_key, a_row), (b_key, b_row))
    });
    // Odoo 17's `_read_group` sets the limit and offset on the same
    // `Query` as a search, so `limit=0` means no limit and a negative one
    // fails in PostgreSQL.
    let (offset, limit) = search::row_bounds(
        row_count_arg(bound.given("offset"))?.unwrap_or(0),
        row_count_arg(bound.given("limit"))?,
    )?;
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|(_, row)| Value::Dict(row))
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

/// The granularities of Odoo 17's `READ_GROUP_TIME_GRANULARITY`.
const GRANULARITIES: [&str; 6] = ["hour", "day", "week", "month", "quarter", "year"];

/// Reads the groupby specifications. From 17.0 each must read as Odoo's
/// `parse_read_group_spec` reads it (a field, an optional `.property`
/// and an optional `:granularity`), and a `.property` needs a properties
/// field, which the emulator has none of.
fn parse_groupbys(env: &Env<'_>, model: &Model, specs: Vec<String>) -> OdooResult<Vec<GroupBy>> {
    specs
        .into_iter()
        .map(|spec| {
            let (field, granularity) = match spec.split_once(':') {
                Some((f, g)) => (f.to_owned(), Some(g.to_owned())),
                None => (spec.clone(), None),
            };
            if env.version.has_read_group_select() {
                let word = |text: &str| {
                    !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_')
                };
                let (name, property) = match field.split_once('.') {
                    Some((name, property)) => (name, Some(property)),
                    None => (field.as_str(), None),
                };
                if !word(name)
                    || !property.is_none_or(word)
                    || !granularity.as_deref().is_none_or(word)
                {
                    return Err(OdooError::value(format!(
                        "Invalid aggregate/groupby specification {}.\n\
                         - Valid aggregate specification looks like \"<field_name>:<agg>\" \
                         example: \"quantity:sum\".\n\
                         - Valid groupby specification looks like \"<no_datish_field_name>\" or \
                         \"<datish_field_name>:<granularity>\" example: \"date:month\" or \
                         \"<properties_field_name>.<property>:<granularity>\".",
                        python_str_repr(&spec)
                    )));
                }
                if let Some(property) = property {
                    if !model.has_field(name) {
                        return Err(crate::orm::env::invalid_field(name, &model.name));
                    }
                    return Err(OdooError::value(format!(
                        "Property name {} has to be used on a property field.",
                        python_str_repr(property)
                    )));
                }
            }
            let Some(definition) = model.field(&field) else {
                return Err(crate::orm::env::invalid_field(&field, &model.name));
            };
            let is_date = matches!(definition.field_type, FieldType::Date | FieldType::Datetime);
            let granularity = match (is_date, granularity) {
                (true, None) => Some("month".to_owned()),
                (_, g) => g,
            };
            let tz = match env.context.get("tz") {
                Some(Value::Str(name)) if definition.field_type == FieldType::Datetime => {
                    name.parse::<chrono_tz::Tz>().ok()
                }
                _ => None,
            };
            Ok(GroupBy {
                spec,
                field,
                granularity,
                tz,
            })
        })
        .collect()
}

/// Checks the groupbys as Odoo 17's `_read_group_groupby` does after the
/// search. A granularity needs a date or datetime field and must be one
/// of [`GRANULARITIES`]. The field must be stored and have a column: a
/// one2many has none, which PostgreSQL reports.
fn check_groupbys(env: &Env<'_>, model: &Model, groupbys: &[GroupBy]) -> OdooResult<()> {
    for groupby in groupbys {
        let Some(field) = model.field(&groupby.field) else {
            continue;
        };
        let is_date = matches!(field.field_type, FieldType::Date | FieldType::Datetime);
        if groupby.granularity.is_some() && !is_date {
            return Err(OdooError::value(format!(
                "Granularity set on a no-datetime field or property: {}",
                python_str_repr(&groupby.spec)
            )));
        }
        let stored_model = match &field.delegated {
            Some((parent, _)) => parent.as_str(),
            None => model.name.as_str(),
        };
        if !field.store {
            if env.version.joins_related_fields_in_sql() {
                if field.related.is_none() {
                    return Err(OdooError::value(format!(
                        "Cannot convert {stored_model}.{} to SQL because it is not stored",
                        field.name
                    )));
                }
            } else {
                return Err(OdooError::value(format!(
                    "Cannot convert field {stored_model}.{} to SQL",
                    field.name
                )));
            }
        } else if field.field_type == FieldType::One2many {
            return Err(OdooError::undefined_column(
                &stored_model.replace('.', "_"),
                &field.name,
            ));
        }
        if let Some(granularity) = groupby.granularity.as_deref().filter(|_| is_date) {
            if !GRANULARITIES.contains(&granularity) {
                return Err(OdooError::value(format!(
                    "Granularity specification isn't correct: {}",
                    python_str_repr(granularity)
                )));
            }
        }
    }
    Ok(())
}

/// Returns the groups a record falls in for one groupby. That is one
/// group, except for a many2many: Odoo 17 joins its relation table, so a
/// record falls in the group of each linked record the caller may read,
/// or in the `False` group when it has none.
fn group_keys(
    env: &Env<'_>,
    model: &Model,
    id: i64,
    groupby: &GroupBy,
) -> OdooResult<Vec<GroupKey>> {
    let field = model.field(&groupby.field);
    let Some(field) = field.filter(|field| field.field_type == FieldType::Many2many) else {
        return Ok(vec![group_key(env, model, id, groupby)]);
    };
    let linked = crate::orm::env::ids_of(&env.get(model, id, field));
    let comodel = env.model(field.comodel())?;
    let readable = env.filter_readable(&comodel, linked)?;
    if readable.is_empty() {
        return Ok(vec![GroupKey {
            sort: SortableValue(Value::Bool(false)),
            raw: Value::Bool(false),
        }]);
    }
    Ok(readable
        .into_iter()
        .map(|linked| GroupKey {
            sort: SortableValue(Value::Int(linked)),
            raw: Value::Int(linked),
        })
        .collect())
}

fn group_key(env: &Env<'_>, model: &Model, id: i64, groupby: &GroupBy) -> GroupKey {
    let raw = env.get_by_name(model, id, &groupby.field);
    let raw = match (&groupby.granularity, raw.as_str()) {
        (Some(granularity), Some(text)) => {
            let local = match groupby.tz {
                Some(tz) => to_local(text, tz),
                None => text.to_owned(),
            };
            Value::Str(truncate_date(&local, granularity))
        }
        _ => raw,
    };
    GroupKey {
        sort: SortableValue(raw.clone()),
        raw,
    }
}

/// Converts a datetime in the server format, which is UTC, to the same
/// format in `tz`, as PostgreSQL's `timezone(tz, timezone('UTC', ...))`.
fn to_local(text: &str, tz: chrono_tz::Tz) -> String {
    use chrono::TimeZone as _;
    match chrono::NaiveDateTime::parse_from_str(text, SERVER_DATETIME) {
        Ok(at) => tz
            .from_utc_datetime(&at)
            .naive_local()
            .format(SERVER_DATETIME)
            .to_string(),
        Err(_) => text.to_owned(),
    }
}

/// Returns the UTC time of a local time in `tz`, as pytz's `localize`
/// with its default `is_dst=False` and `astimezone(utc)` give it. A time
/// that occurs twice, when the clocks go back, is read in standard time.
/// A time the clocks skip is read with the offset before the skip.
fn to_utc(local: chrono::NaiveDateTime, tz: chrono_tz::Tz) -> chrono::NaiveDateTime {
    use chrono::{LocalResult, Offset as _, TimeZone as _};
    use chrono_tz::OffsetComponents as _;
    let offset = match tz.offset_from_local_datetime(&local) {
        LocalResult::Single(offset) => offset,
        LocalResult::Ambiguous(first, second) => {
            if first.dst_offset().is_zero() {
                first
            } else {
                second
            }
        }
        // The offset a day earlier, before the clocks moved: no zone has
        // skipped more than a day, and changes are months apart.
        LocalResult::None => tz.offset_from_utc_datetime(&(local - chrono::TimeDelta::days(1))),
    };
    local - offset.fix()
}

/// The format of datetimes on the wire and in the store.
const SERVER_DATETIME: &str = "%Y-%m-%d %H:%M:%S";

/// The first day of the week of `en_US`: Odoo 17's `res.lang.week_start`
/// defaults to Sunday.
const WEEK_START: chrono::Weekday = chrono::Weekday::Sun;

/// Truncates a date to the first day of its period, as `date_trunc` does,
/// or a datetime to its hour for the `hour` granularity.
fn truncate_date(text: &str, granularity: &str) -> String {
    if granularity == "hour" {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
            return at.format("%Y-%m-%d %H:00:00").to_string();
        }
    }
    let Ok(date) = chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
    else {
        return text.to_owned();
    };
    use chrono::Datelike;
    let first = match granularity {
        "year" => date.with_ordinal(1),
        "quarter" => chrono::NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1),
        "month" => date.with_day(1),
        "week" => Some(week_start_of(date)),
        _ => Some(date),
    };
    first.unwrap_or(date).format("%Y-%m-%d").to_string()
}

/// Returns the first day of the week that contains `date`, the day itself
/// when it is a [`WEEK_START`]. The first week of year 1 starts before
/// it, so its days stay as they are.
fn week_start_of(date: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let back = date.weekday().days_since(WEEK_START);
    date.checked_sub_days(chrono::Days::new(u64::from(back)))
        .unwrap_or(date)
}

/// Returns the year and the number of the week that `date` starts, as
/// Odoo's `date_utils.weeknumber` gives them for a locale whose weeks
/// start on [`WEEK_START`] and are not ISO weeks. Week 1 is the one
/// that contains January 1st, so the last days of December can be in
/// week 1 of the next year.
fn week_number(date: chrono::NaiveDate) -> (i32, u32) {
    use chrono::Datelike;
    let january_first = |year| chrono::NaiveDate::from_ymd_opt(year, 1, 1);
    if let Some(next_year) = january_first(date.year() + 1) {
        if date >= week_start_of(next_year) {
            return (date.year() + 1, 1);
        }
    }
    let first_week = january_first(date.year()).map_or(date, week_start_of);
    let days = (date - first_week).num_days();
    let week = u32::try_from(days / 7 + 1).unwrap_or(1);
    (date.year(), week)
}

fn group_label(env: &Env<'_>, model: &Model, groupby: &GroupBy, key: &GroupKey) -> Value {
    let Some(field) = model.field(&groupby.field) else {
        return key.raw.clone();
    };
    if let (Some(granularity), Some(text)) = (&groupby.granularity, key.raw.as_str()) {
        return Value::Str(date_label(text, granularity));
    }
    if field.name == "id" {
        // Odoo 17 reads an `id` group as a record and shows it as a
        // many2one.
        let Value::Int(id) = key.raw else {
            return Value::Bool(false);
        };
        return Value::List(vec![Value::Int(id), env.display_name(model, id)]);
    }
    if field.field_type == FieldType::Many2many {
        // Odoo shows the linked record as a many2one, with its display
        // name read as the superuser.
        let Value::Int(linked) = key.raw else {
            return Value::Bool(false);
        };
        let name = match env.model(field.comodel()) {
            Ok(comodel) => env.display_name(&comodel, linked),
            Err(_) => Value::Bool(false),
        };
        return Value::List(vec![Value::Int(linked), name]);
    }
    convert::to_read(env, field, key.raw.clone(), true)
}

fn date_label(text: &str, granularity: &str) -> String {
    if granularity == "hour" {
        // Babel's `hh:00 dd MMM`: the hour on a 12-hour clock.
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
            return at.format("%I:00 %d %b").to_string();
        }
    }
    let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        return text.to_owned();
    };
    use chrono::Datelike;
    match granularity {
        "year" => date.format("%Y").to_string(),
        "quarter" => format!("Q{} {}", date.month0() / 3 + 1, date.year()),
        "month" => date.format("%B %Y").to_string(),
        "week" => {
            let (year, week) = week_number(date);
            format!("W{week} {year:04}")
        }
        _ => date.format("%d %b %Y").to_string(),
    }
}

/// Returns a group's `__domain` and `__range`, as Odoo 17's
/// `_read_group_format_result` builds them. The domain is the caller's,
/// joined with `&` to one condition per groupby. A date or datetime
/// group selects its period, `>=` its start and `<` the next period's
/// start, and `__range` gives the same bounds by groupby. A group of
/// unset dates has a `__range` of `False` for its groupby. A datetime
/// period in the context's `tz` has its bounds in UTC.
fn group_domain(
    model: &Model,
    domain: &Value,
    groupbys: &[GroupBy],
    key: &[GroupKey],
    linked: &[Vec<Value>],
) -> OdooResult<(Value, Dict)> {
    let mut result = domain.as_list().map(<[Value]>::to_vec).unwrap_or_default();
    let mut ranges = Dict::default();
    for ((groupby, part), others) in groupbys.iter().zip(key).zip(linked) {
        let leaf = |operator: &str, value: Value| {
            Value::List(vec![
                Value::Str(groupby.field.clone()),
                Value::from(operator),
                value,
            ])
        };
        let field_type = model.field(&groupby.field).map(|field| field.field_type);
        let period = match (&groupby.granularity, part.raw.as_str(), field_type) {
            (Some(granularity), Some(start), Some(FieldType::Date | FieldType::Datetime)) => {
                period_bounds(
                    start,
                    granularity,
                    field_type == Some(FieldType::Datetime),
                    groupby.tz,
                )?
            }
            _ => None,
        };
        let condition = match period {
            Some((start, end)) => {
                ranges.insert(
                    groupby.spec.clone(),
                    Value::Dict(Dict::from_iter([
                        ("from".to_owned(), Value::from(start.clone())),
                        ("to".to_owned(), Value::from(end.clone())),
                    ])),
                );
                vec![
                    Value::from("&"),
                    leaf(">=", Value::from(start)),
                    leaf("<", Value::from(end)),
                ]
            }
            None if field_type == Some(FieldType::Many2many) && !part.raw.is_truthy() => {
                vec![leaf("not in", Value::List(others.clone()))]
            }
            None => {
                if groupby.granularity.is_some() && !part.raw.is_truthy() {
                    ranges.insert(groupby.spec.clone(), Value::Bool(false));
                }
                vec![leaf("=", part.raw.clone())]
            }
        };
        result = and_domains(&result, &condition);
    }
    Ok((Value::List(result), ranges))
}

/// Returns the first day of the period after the one starting at
/// `start` (a `YYYY-MM-DD` text, or a datetime for an hour), with `start`
/// itself, in the server format of a date or a datetime field.
///
/// A period ending after 9999 raises what Python's date arithmetic raises
/// in Odoo: `ValueError` for a month, quarter or year (`relativedelta`
/// replaces the year), `OverflowError` for a day, week or hour. With a
/// time zone, `start` and the next period's start are local times, and
/// the bounds are their UTC times.
fn period_bounds(
    start: &str,
    granularity: &str,
    datetime: bool,
    tz: Option<chrono_tz::Tz>,
) -> OdooResult<Option<(String, String)>> {
    use chrono::Datelike;
    let beyond = |months: bool| {
        if months {
            OdooError::value("year 10000 is out of range")
        } else {
            OdooError::new(ErrorKind::OverflowError, "date value out of range")
        }
    };
    if let Ok(hour) = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S") {
        let next = hour
            .checked_add_signed(chrono::TimeDelta::hours(1))
            .filter(|next| next.year() <= 9999)
            .ok_or_else(|| beyond(false))?;
        let write = |at: chrono::NaiveDateTime| {
            let at = tz.map_or(at, |tz| to_utc(at, tz));
            at.format(SERVER_DATETIME).to_string()
        };
        return Ok(Some((write(hour), write(next))));
    }
    let Ok(first) = chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d") else {
        return Ok(None);
    };
    let (next, months) = match granularity {
        "year" => (first.checked_add_months(chrono::Months::new(12)), true),
        "quarter" => (first.checked_add_months(chrono::Months::new(3)), true),
        "month" => (first.checked_add_months(chrono::Months::new(1)), true),
        "week" => (first.checked_add_days(chrono::Days::new(7)), false),
        _ => (first.checked_add_days(chrono::Days::new(1)), false),
    };
    let next = next
        .filter(|next| next.year() <= 9999)
        .ok_or_else(|| beyond(months))?;
    let write = |date: chrono::NaiveDate| {
        if datetime {
            let midnight = date.and_time(chrono::NaiveTime::MIN);
            let at = tz.map_or(midnight, |tz| to_utc(midnight, tz));
            at.format(SERVER_DATETIME).to_string()
        } else {
            date.format("%Y-%m-%d").to_string()
        }
    };
    Ok(Some((write(first), write(next))))
}

/// Joins two domains with `&` as Odoo's `expression.AND` does: an empty
/// domain is left out, and each is normalized, with the `&` that a list
/// of several conditions implies written out.
fn and_domains(first: &[Value], second: &[Value]) -> Vec<Value> {
    let parts: Vec<Vec<Value>> = [first, second]
        .into_iter()
        .filter(|domain| !domain.is_empty())
        .map(normalize_domain)
        .collect();
    let mut result = vec![Value::from("&"); parts.len().saturating_sub(1)];
    result.extend(parts.into_iter().flatten());
    result
}

/// Writes out the implicit `&` operators of a domain in prefix notation,
/// as Odoo's `expression.normalize_domain` does.
fn normalize_domain(domain: &[Value]) -> Vec<Value> {
    let mut result = Vec::with_capacity(domain.len() + 1);
    let mut expected = 1i64;
    for token in domain {
        if expected == 0 {
            result.insert(0, Value::from("&"));
            expected = 1;
        }
        expected += match token.as_str() {
            Some("!") => 0,
            Some("&" | "|") => 1,
            _ => -1,
        };
        result.push(token.clone());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(field: &str) -> Value {
        Value::List(vec![field.into(), "=".into(), Value::Int(1)])
    }

    #[test]
    fn domains_join_as_expression_and() {
        let (a, b, c) = (leaf("a"), leaf("b"), leaf("c"));
        assert_eq!(and_domains(&[], std::slice::from_ref(&c)), vec![c.clone()]);
        assert_eq!(
            and_domains(&[a.clone(), b.clone()], std::slice::from_ref(&c)),
            vec!["&".into(), "&".into(), a.clone(), b.clone(), c.clone()]
        );
        assert_eq!(
            and_domains(&["|".into(), a.clone(), b.clone(), c.clone()], &[]),
            vec!["&".into(), "|".into(), a, b, c]
        );
    }

    /// pytz's `localize` with `is_dst=False` reads an hour that occurs
    /// twice in standard time, and an hour the clocks skip with the
    /// offset before the skip: in New York, EST (UTC-5) in both cases.
    #[test]
    fn local_times_around_clock_changes() {
        let tz: chrono_tz::Tz = "America/New_York".parse().expect("a known zone");
        let utc = |local: &str| {
            let local =
                chrono::NaiveDateTime::parse_from_str(local, SERVER_DATETIME).expect("a datetime");
            to_utc(local, tz).format(SERVER_DATETIME).to_string()
        };
        assert_eq!(utc("2024-11-03 01:30:00"), "2024-11-03 06:30:00");
        assert_eq!(utc("2024-03-10 02:30:00"), "2024-03-10 07:30:00");
        assert_eq!(utc("2024-07-01 00:00:00"), "2024-07-01 04:00:00");
        assert_eq!(to_local("2024-07-01 04:00:00", tz), "2024-07-01 00:00:00");
    }

    #[test]
    fn periods_past_9999_raise_as_python_date_arithmetic() {
        let error = period_bounds("9999-01-01", "year", false, None).expect_err("year 10000");
        assert_eq!(error.kind, ErrorKind::ValueError);
        assert_eq!(error.message, "year 10000 is out of range");
        let error = period_bounds("9999-12-31", "day", false, None).expect_err("day 10000");
        assert_eq!(error.kind, ErrorKind::OverflowError);
        assert_eq!(error.message, "date value out of range");
    }

    #[test]
    fn periods_end_where_the_next_begins() {
        let bounds = |start, granularity, datetime| {
            period_bounds(start, granularity, datetime, None).expect("within 9999")
        };
        assert_eq!(
            bounds("2024-01-31", "day", false),
            Some(("2024-01-31".into(), "2024-02-01".into()))
        );
        assert_eq!(
            bounds("2024-10-01", "quarter", true),
            Some(("2024-10-01 00:00:00".into(), "2025-01-01 00:00:00".into()))
        );
        assert_eq!(
            bounds("2024-02-26", "week", false),
            Some(("2024-02-26".into(), "2024-03-04".into()))
        );
    }
}
