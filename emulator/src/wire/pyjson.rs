//! JSON text as Odoo 17 writes it: Python's `json.dumps(data,
//! ensure_ascii=False)`.
//!
//! That means `", "` and `": "` separators, floats in Python's `repr()`
//! (`1e+20`), `NaN` and `Infinity` for non-finite floats (not valid JSON,
//! but what Python sends), and non-ASCII text unescaped. Binaries are sent
//! as base64 text and datetimes as their text, as [`Value`]'s conversion to
//! `serde_json` does.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::value::Value;

use super::exception::{PyException, RECURSION_ERROR};
use super::pyfloat::float_repr;

/// The deepest nesting the writer accepts. Python's default recursion limit
/// of 1000 frames stops `json.dumps` at a similar depth.
pub const MAX_JSON_DEPTH: usize = 512;

/// Writes a value as Python's `json.dumps` would.
///
/// # Errors
///
/// Raises `RecursionError` for a value nested deeper than
/// [`MAX_JSON_DEPTH`].
pub fn to_json_text(value: &Value) -> Result<String, PyException> {
    let mut out = String::new();
    write_value(&mut out, value, 0)?;
    Ok(out)
}

/// Appends a value as [`to_json_text`] writes it, for a value nested
/// `depth` levels inside a container that the caller writes itself.
///
/// # Errors
///
/// Raises `RecursionError` when the value reaches deeper than
/// [`MAX_JSON_DEPTH`] counted from the outer container.
pub fn write_nested(out: &mut String, value: &Value, depth: usize) -> Result<(), PyException> {
    write_value(out, value, depth)
}

fn write_value(out: &mut String, value: &Value, depth: usize) -> Result<(), PyException> {
    if depth > MAX_JSON_DEPTH {
        return Err(PyException::new(
            RECURSION_ERROR,
            "maximum recursion depth exceeded while encoding a JSON object",
        ));
    }
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(number) => {
            let _ = write!(out, "{number}");
        }
        Value::Float(number) => out.push_str(&json_float(*number)),
        Value::Str(text) | Value::DateTime(text) => write_string(out, text),
        Value::Binary(bytes) => write_string(
            out,
            &base64::engine::general_purpose::STANDARD.encode(bytes),
        ),
        Value::List(items) => write_list(out, items, depth)?,
        Value::Dict(dict) => write_dict(out, dict, depth)?,
        Value::IntMap(entries) => {
            // `json.dumps` writes integer keys as their decimal text.
            let dict = entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            write_dict(out, &dict, depth)?;
        }
    }
    Ok(())
}

fn write_list(out: &mut String, items: &[Value], depth: usize) -> Result<(), PyException> {
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_value(out, item, depth + 1)?;
    }
    out.push(']');
    Ok(())
}

fn write_dict(out: &mut String, dict: &crate::Dict, depth: usize) -> Result<(), PyException> {
    out.push('{');
    for (index, (key, item)) in dict.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_string(out, key);
        out.push_str(": ");
        write_value(out, item, depth + 1)?;
    }
    out.push('}');
    Ok(())
}

fn json_float(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned()
    } else {
        float_repr(number)
    }
}

/// Writes a string literal. Runs of text that need no escape are copied
/// whole. Every byte escaped is ASCII, so each run ends on a char boundary.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let mut plain_from = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            byte if byte < 0x20 => "",
            _ => continue,
        };
        out.push_str(&text[plain_from..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        plain_from = index + 1;
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Dict;

    #[test]
    fn matches_python_dumps() {
        let mut dict = Dict::default();
        dict.insert(
            "a".into(),
            Value::List(vec![Value::Int(1), Value::Float(1e20)]),
        );
        dict.insert("é".into(), Value::from("x\"\n\u{1}ü"));
        dict.insert("n".into(), Value::None);
        dict.insert("b".into(), Value::Bool(false));

        let text = to_json_text(&Value::Dict(dict)).expect("shallow value");

        // Printed by CPython 3.11's json.dumps(..., ensure_ascii=False).
        assert_eq!(
            text,
            r#"{"a": [1, 1e+20], "é": "x\"\n\u0001ü", "n": null, "b": false}"#
        );
    }

    #[test]
    fn non_finite_floats_as_python() {
        let list = Value::List(vec![
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
        ]);

        assert_eq!(
            to_json_text(&list).expect("shallow"),
            "[NaN, Infinity, -Infinity]"
        );
    }

    #[test]
    fn too_deep_is_recursion_error() {
        let mut value = Value::Int(1);
        for _ in 0..=MAX_JSON_DEPTH {
            value = Value::List(vec![value]);
        }

        let error = to_json_text(&value).expect_err("deeper than the limit");

        assert_eq!(error.class.qualified_name(), RECURSION_ERROR);
    }
}
