//! Odoo values by field type: converting mapped SaaS values to what Odoo
//! reads back, comparing them with Odoo's current values, and writing them
//! for `create`, `write` and `load`.

use serde_json::{json, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::schema::FieldInfo;

use super::mapping_error;

/// Converts a mapped value to the field's type, as Odoo reads it back.
pub fn convert(info: &FieldInfo, value: Value) -> SyncResult<Value> {
    let type_error = |expected: &str, value: &Value| {
        mapping_error(format!(
            "{} is a {} field and needs {expected}, not {value}",
            info.name, info.field_type
        ))
    };
    match info.field_type.as_str() {
        "boolean" => match &value {
            Value::Null => Ok(Value::Bool(false)),
            Value::Bool(_) => Ok(value),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Value::Bool(false)),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Value::Bool(true)),
            Value::String(text) => match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Value::Bool(true)),
                "false" | "0" | "no" | "" => Ok(Value::Bool(false)),
                _ => Err(type_error("true or false", &value)),
            },
            _ => Err(type_error("true or false", &value)),
        },
        "integer" => match number_of(&value) {
            Some(None) => Ok(json!(0)),
            Some(Some(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(json!(n as i64)),
            _ => Err(type_error("an integer", &value)),
        },
        "float" | "monetary" => match number_of(&value) {
            Some(None) => Ok(json!(0.0)),
            Some(Some(n)) => Ok(json!(n)),
            None => Err(type_error("a number", &value)),
        },
        "char" | "text" | "html" => match value {
            Value::Null | Value::Bool(false) => Ok(Value::Bool(false)),
            Value::String(text) if text.is_empty() => Ok(Value::Bool(false)),
            Value::String(_) => Ok(value),
            Value::Number(number) => Ok(Value::String(number.to_string())),
            other => Err(type_error("text", &other)),
        },
        "selection" => convert_selection(info, value),
        "many2one" => match value {
            Value::Null | Value::Bool(false) => Ok(Value::Bool(false)),
            Value::Number(ref n) if n.as_i64().is_some_and(|id| id > 0) => Ok(value),
            other => Err(type_error(
                "a record, through a ref or lookup transform",
                &other,
            )),
        },
        "many2many" => match value {
            Value::Null | Value::Bool(false) => Ok(json!([])),
            Value::Array(ref ids) if ids.iter().all(Value::is_i64) => Ok(value),
            Value::Number(ref n) if n.is_i64() => Ok(json!([value])),
            other => Err(type_error(
                "records, through a ref or lookup transform",
                &other,
            )),
        },
        "date" => convert_moment(info, value, Moment::Date),
        "datetime" => convert_moment(info, value, Moment::Datetime),
        "one2many" => Err(type_error("lines (map it under `lines`)", &value)),
        _ => Ok(value),
    }
}

/// Returns `Some(None)` for an empty value, `Some(Some(n))` for a number
/// or numeric text, `None` otherwise.
fn number_of(value: &Value) -> Option<Option<f64>> {
    match value {
        Value::Null | Value::Bool(false) => Some(None),
        Value::Number(n) => n.as_f64().map(Some),
        Value::String(text) if text.trim().is_empty() => Some(None),
        Value::String(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some),
        _ => None,
    }
}

fn convert_selection(info: &FieldInfo, value: Value) -> SyncResult<Value> {
    let key = match value {
        Value::Null | Value::Bool(false) => return Ok(Value::Bool(false)),
        Value::String(ref text) if text.is_empty() => return Ok(Value::Bool(false)),
        Value::String(text) => text,
        Value::Number(number) => number.to_string(),
        other => {
            return Err(mapping_error(format!(
                "{} is a selection and needs a key, not {other}",
                info.name
            )))
        }
    };
    let allowed = info.selection.as_deref().unwrap_or_default();
    if !allowed.is_empty() && !allowed.contains(&key) {
        return Err(SyncError::new(
            ErrorKind::Drift,
            "",
            format!(
                "{} no longer allows {key:?} (allowed: {})",
                info.name,
                allowed.join(", ")
            ),
        ));
    }
    Ok(Value::String(key))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    Date,
    Datetime,
}

fn convert_moment(info: &FieldInfo, value: Value, moment: Moment) -> SyncResult<Value> {
    let text = match value {
        Value::Null | Value::Bool(false) => return Ok(Value::Bool(false)),
        Value::String(ref text) if text.is_empty() => return Ok(Value::Bool(false)),
        Value::String(text) => text,
        other => {
            return Err(mapping_error(format!(
                "{} needs a date, not {other}",
                info.name
            )))
        }
    };
    let parsed = parse_moment(&text).ok_or_else(|| {
        mapping_error(format!(
            "{} needs an ISO 8601 date or datetime, not {text:?}",
            info.name
        ))
    })?;
    Ok(Value::String(match moment {
        Moment::Date => parsed.format("%Y-%m-%d").to_string(),
        Moment::Datetime => parsed.format("%Y-%m-%d %H:%M:%S").to_string(),
    }))
}

/// Parses an ISO 8601 date or datetime into naive UTC. Datetimes without
/// an offset are taken as UTC already.
pub fn parse_moment(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    if let Ok(moment) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(moment.naive_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(moment) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(moment);
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
}

/// Tells whether Odoo's current value of a field equals the desired one,
/// reading many2one values (`[id, name]`) as their id and x2many values as
/// sets of ids.
pub fn values_equal(info: &FieldInfo, current: &Value, desired: &Value) -> bool {
    match info.field_type.as_str() {
        "many2one" => many2one_id(current) == many2one_id(desired),
        "many2many" | "one2many" => id_set(current) == id_set(desired),
        "float" | "monetary" | "integer" => match (current.as_f64(), desired.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            _ => is_falsy(current) && is_falsy(desired),
        },
        _ if is_falsy(current) && is_falsy(desired) => true,
        _ => current == desired,
    }
}

fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// Returns the id of a many2one value: `[id, name]`, an id or `False`.
pub fn many2one_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::Array(pair) => pair.first().and_then(Value::as_i64),
        _ => None,
    }
}

fn id_set(value: &Value) -> std::collections::BTreeSet<i64> {
    value
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// Returns the value to send in `create` or `write`: x2many ids become a
/// replace command, `(6, 0, ids)`.
pub fn to_write(info: &FieldInfo, desired: &Value) -> Value {
    if info.field_type == "many2many" {
        json!([[6, 0, id_set(desired).into_iter().collect::<Vec<_>>()]])
    } else {
        desired.clone()
    }
}

/// Returns the `load` column and cell of a value, in Odoo's import syntax,
/// or `None` for an x2many, which `load` cannot take by database id and
/// the engine writes afterwards.
pub fn to_load_cell(info: &FieldInfo, desired: &Value) -> Option<(String, Value)> {
    if info.is_x2many() {
        return None;
    }
    let text = match desired {
        Value::Null | Value::Bool(false) if info.field_type != "boolean" => String::new(),
        Value::Bool(flag) => if *flag { "1" } else { "0" }.to_owned(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => other.to_string(),
    };
    let column = if info.field_type == "many2one" {
        format!("{}/.id", info.name)
    } else {
        info.name.clone()
    };
    Some((column, Value::String(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, field_type: &str) -> FieldInfo {
        FieldInfo {
            name: name.to_owned(),
            field_type: field_type.to_owned(),
            label: name.to_owned(),
            required: false,
            readonly: false,
            relation: None,
            selection: None,
            depends: Vec::new(),
        }
    }

    #[test]
    fn dates_and_datetimes_normalise() {
        let date = field("validity_date", "date");
        let datetime = field("date_order", "datetime");
        let cases = [
            (&datetime, "2024-05-01", "2024-05-01 00:00:00"),
            (&datetime, "2024-05-01T10:30:00Z", "2024-05-01 10:30:00"),
            (
                &datetime,
                "2024-05-01T12:30:00+02:00",
                "2024-05-01 10:30:00",
            ),
            (&datetime, "2024-05-01 10:30:00", "2024-05-01 10:30:00"),
            (&datetime, "2024-05-01T10:30:00.250", "2024-05-01 10:30:00"),
            (&date, "2024-05-01T10:30:00Z", "2024-05-01"),
            (&date, "2024-05-01", "2024-05-01"),
        ];
        for (info, input, expected) in cases {
            assert_eq!(convert(info, json!(input)), Ok(json!(expected)), "{input}");
        }
        assert_eq!(convert(&datetime, json!(null)), Ok(json!(false)));
        assert!(convert(&datetime, json!("May 1st")).is_err());
    }

    #[test]
    fn conversion_rejects_wrong_types() {
        assert!(convert(&field("is_company", "boolean"), json!("maybe")).is_err());
        assert!(convert(&field("color", "integer"), json!(1.5)).is_err());
        assert!(convert(&field("list_price", "float"), json!("abc")).is_err());
        assert!(convert(&field("partner_id", "many2one"), json!("Ada")).is_err());
        assert!(convert(&field("name", "char"), json!({"a": 1})).is_err());
    }

    #[test]
    fn equality_reads_odoo_shapes() {
        let m2o = field("partner_id", "many2one");
        assert!(values_equal(&m2o, &json!([42, "Ada"]), &json!(42)));
        assert!(!values_equal(&m2o, &json!([41, "Bob"]), &json!(42)));
        assert!(values_equal(&m2o, &json!(false), &json!(false)));
        let m2m = field("category_id", "many2many");
        assert!(values_equal(&m2m, &json!([6, 5]), &json!([5, 6])));
        assert!(!values_equal(&m2m, &json!([5]), &json!([5, 6])));
        let text = field("phone", "char");
        assert!(values_equal(&text, &json!(false), &json!(false)));
        assert!(values_equal(&text, &json!(""), &json!(false)));
        assert!(!values_equal(&text, &json!("1"), &json!(false)));
        let price = field("list_price", "float");
        assert!(values_equal(&price, &json!(12.5), &json!(12.5)));
        assert!(values_equal(&price, &json!(0.1 + 0.2), &json!(0.3)));
        assert!(!values_equal(&price, &json!(12.5), &json!(12.51)));
    }

    #[test]
    fn write_and_load_shapes() {
        let m2m = field("category_id", "many2many");
        assert_eq!(to_write(&m2m, &json!([6, 5])), json!([[6, 0, [5, 6]]]));
        assert_eq!(to_load_cell(&m2m, &json!([5])), None);
        let m2o = field("country_id", "many2one");
        assert_eq!(
            to_load_cell(&m2o, &json!(20)),
            Some(("country_id/.id".to_owned(), json!("20")))
        );
        assert_eq!(
            to_load_cell(&m2o, &json!(false)),
            Some(("country_id/.id".to_owned(), json!("")))
        );
        let flag = field("is_company", "boolean");
        assert_eq!(
            to_load_cell(&flag, &json!(false)),
            Some(("is_company".to_owned(), json!("0")))
        );
        assert_eq!(
            to_load_cell(&flag, &json!(true)),
            Some(("is_company".to_owned(), json!("1")))
        );
        let price = field("list_price", "float");
        assert_eq!(
            to_load_cell(&price, &json!(19.99)),
            Some(("list_price".to_owned(), json!("19.99")))
        );
    }
}
