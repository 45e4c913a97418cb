//! Comparing the values Odoo stores with the values the spec derives, field
//! by field.
//!
//! Odoo reads an empty field as `False` whatever its type, a many2one as
//! `[id, name]` and a datetime as `YYYY-MM-DD HH:MM:SS`, so the comparison
//! goes by the field's type from `fields_get`: an expected `null` matches
//! any empty value, a SaaS date matches a datetime on that day, and
//! numbers match within a rounding tolerance.

use serde_json::{Map, Value};

/// Numbers closer than this are equal: Odoo rounds floats to the field's
/// digits, and SaaS prices may carry more.
const FLOAT_TOLERANCE: f64 = 1e-6;

/// An expected value with its Odoo references resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Literal(Value),
    /// A many2one to this record; `None` when the record it must point to
    /// does not exist, so no value can match.
    Record {
        model: String,
        id: Option<i64>,
        what: String,
    },
}

/// Describes a key for messages: `saas.customer_c1` or `default_code =
/// "WIDGET"`.
pub fn describe_key(key: &crate::expected::KeyLookup) -> String {
    match key {
        crate::expected::KeyLookup::ExternalId { module, name } => format!("{module}.{name}"),
        crate::expected::KeyLookup::Field { field, value } => format!("{field} = {value}"),
    }
}

/// Tells whether an Odoo value matches the expected one, for a field of
/// `field_type`.
pub fn matches(expected: &Resolved, actual: &Value, field_type: &str) -> bool {
    match expected {
        Resolved::Record { id, .. } => many2one_id(actual) == *id && id.is_some(),
        Resolved::Literal(expected) => literal_matches(expected, actual, field_type),
    }
}

fn literal_matches(expected: &Value, actual: &Value, field_type: &str) -> bool {
    if expected.is_null() {
        return is_empty(actual);
    }
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            (e - a).abs() < FLOAT_TOLERANCE
        }
        (Value::Bool(false), actual) => is_empty(actual),
        (Value::String(e), Value::String(a)) if field_type == "datetime" && e.len() == 10 => {
            a.starts_with(e.as_str())
        }
        (Value::Number(e), actual) if field_type == "many2one" => {
            e.as_i64().is_some_and(|e| many2one_id(actual) == Some(e))
        }
        (expected, actual) => expected == actual,
    }
}

/// Tells whether Odoo's value is empty: `False`, `0`, `""` or `[]`.
pub fn is_empty(actual: &Value) -> bool {
    match actual {
        Value::Null | Value::Bool(false) => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Returns the id of a many2one value read as `[id, name]` (or a bare id).
pub fn many2one_id(actual: &Value) -> Option<i64> {
    match actual {
        Value::Array(pair) => pair.first().and_then(Value::as_i64),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// Writes an expected value for a message.
pub fn show_expected(expected: &Resolved) -> String {
    match expected {
        Resolved::Literal(Value::Null) => "empty".to_owned(),
        Resolved::Literal(value) => value.to_string(),
        Resolved::Record {
            model,
            id: Some(id),
            what,
        } => format!("{model} {id} ({what})"),
        Resolved::Record {
            model,
            id: None,
            what,
        } => {
            format!("the {model} record with {what}, which does not exist")
        }
    }
}

/// Writes an Odoo value for a message: many2one as `model id "name"`.
pub fn show_actual(actual: &Value) -> String {
    match actual {
        Value::Bool(false) => "False".to_owned(),
        Value::Array(pair) if pair.len() == 2 && pair[0].is_i64() => {
            format!("{} {}", pair[0], pair[1])
        }
        other => other.to_string(),
    }
}

/// Tells whether a field is required, from `fields_get`.
pub fn is_required(fields: &Map<String, Value>, name: &str) -> bool {
    fields
        .get(name)
        .and_then(|f| f.get("required"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Returns the type of a field from `fields_get`.
pub fn field_type<'a>(fields: &'a Map<String, Value>, name: &str) -> &'a str {
    fields
        .get(name)
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("char")
}

/// Returns the comodel of a relational field from `fields_get`.
pub fn relation<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(|f| f.get("relation"))
        .and_then(Value::as_str)
        .filter(|model| !model.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn literal(value: Value) -> Resolved {
        Resolved::Literal(value)
    }

    #[test]
    fn null_matches_any_empty_value() {
        for empty in [json!(false), json!(0), json!(""), json!([]), json!(0.0)] {
            assert!(matches(&literal(Value::Null), &empty, "char"), "{empty}");
        }
        assert!(!matches(&literal(Value::Null), &json!("x"), "char"));
    }

    #[test]
    fn numbers_match_within_tolerance() {
        assert!(matches(&literal(json!(2)), &json!(2.0), "float"));
        assert!(matches(&literal(json!(9.5)), &json!(9.500_000_01), "float"));
        assert!(!matches(&literal(json!(9.5)), &json!(9.51), "float"));
    }

    #[test]
    fn date_matches_datetime_on_that_day() {
        let expected = literal(json!("2024-01-15"));
        assert!(matches(
            &expected,
            &json!("2024-01-15 00:00:00"),
            "datetime"
        ));
        assert!(!matches(
            &expected,
            &json!("2024-01-16 00:00:00"),
            "datetime"
        ));
    }

    #[test]
    fn many2one_matches_by_id() {
        let expected = Resolved::Record {
            model: "res.partner".into(),
            id: Some(7),
            what: "saas.customer_c1".into(),
        };
        assert!(matches(&expected, &json!([7, "Ada"]), "many2one"));
        assert!(!matches(&expected, &json!([8, "Bob"]), "many2one"));
        assert!(!matches(&expected, &json!(false), "many2one"));
        let dangling = Resolved::Record {
            model: "res.partner".into(),
            id: None,
            what: "x".into(),
        };
        assert!(!matches(&dangling, &json!(false), "many2one"));
    }

    #[test]
    fn false_matches_unset_boolean() {
        assert!(matches(&literal(json!(false)), &json!(false), "boolean"));
        assert!(!matches(&literal(json!(true)), &json!(false), "boolean"));
    }
}
