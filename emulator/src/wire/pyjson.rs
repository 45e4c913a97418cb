//! JSON text as Odoo 17 writes it: Python's `json.dumps(data,
//! ensure_ascii=False)`.
//!
//! That means `", "` and `": "` separators, floats in Python's `repr()`
//! (`1e+20`), `NaN` and `Infinity` for non-finite floats (not valid JSON,
//! but what Python sends), and non-ASCII text unescaped. Binaries are sent
//! as base64 text and datetimes as their text, as [`Value`]'s conversion to
//! `serde_json` does.

use base64::Engine as _;

use crate::value::{RecordList, Value, WireFormat};

use super::byteset::ByteSet;
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

/// Raises Python's `RecursionError` for a value nested deeper than
/// [`MAX_JSON_DEPTH`].
fn check_depth(depth: usize) -> Result<(), PyException> {
    if depth > MAX_JSON_DEPTH {
        return Err(PyException::new(
            RECURSION_ERROR,
            "maximum recursion depth exceeded while encoding a JSON object",
        ));
    }
    Ok(())
}

// `write_value` is inlined into the container writers and they are not, so
// that a scalar costs no call of its own.
#[inline(always)]
fn write_value(out: &mut String, value: &Value, depth: usize) -> Result<(), PyException> {
    check_depth(depth)?;
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(number) => out.push_str(itoa::Buffer::new().format(*number)),
        Value::Float(number) => out.push_str(&json_float(*number)),
        Value::Str(text) | Value::DateTime(text) => write_string(out, text),
        Value::Binary(bytes) => write_string(
            out,
            &base64::engine::general_purpose::STANDARD.encode(bytes),
        ),
        Value::List(items) => write_list(out, items, depth)?,
        Value::Dict(dict) => write_dict(out, dict, depth)?,
        Value::Records(records) => write_records(out, records, depth)?,
        Value::IntMap(entries) => write_int_map(out, entries, depth)?,
    }
    Ok(())
}

#[inline(never)]
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

/// The text before one key's value in each record, assembled once for all
/// the records: the separator, the escaped key and `": "`, with the
/// value's start for the kinds that records mostly hold.
struct KeyOpenings {
    /// The separator (or the record's `{`), the key and `": "`.
    plain: String,
    /// `plain` and a string's opening quote.
    string: String,
    /// `plain` and `true`.
    true_value: String,
    /// `plain` and `false`.
    false_value: String,
}

impl KeyOpenings {
    fn new(index: usize, key: &str) -> Self {
        let mut plain = String::from(if index == 0 { "{" } else { ", " });
        write_string(&mut plain, key);
        plain.push_str(": ");
        KeyOpenings {
            string: [plain.as_str(), "\""].concat(),
            true_value: [plain.as_str(), "true"].concat(),
            false_value: [plain.as_str(), "false"].concat(),
            plain,
        }
    }
}

/// Writes a list of records as a list of dicts. Strings, integers and
/// booleans, which records mostly hold, are written with their key's
/// text in fewer copies (see [`KeyOpenings`]). A list that a table keeps
/// is written once and copied after that.
#[inline(never)]
fn write_records(out: &mut String, records: &RecordList, depth: usize) -> Result<(), PyException> {
    if let Some(text) = records.encoded(WireFormat::Json, depth) {
        out.push_str(text);
        return Ok(());
    }
    let start = out.len();
    out.push('[');
    if !records.is_empty() {
        check_depth(depth + 1)?;
    }
    let openings: Vec<KeyOpenings> = records
        .keys()
        .iter()
        .enumerate()
        .map(|(index, key)| KeyOpenings::new(index, key))
        .collect();
    // The first opening carries the record's `{`, so a record without
    // keys writes both braces at its end.
    let close = if openings.is_empty() { "{}" } else { "}" };
    for (index, record) in records.values().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        for (opening, item) in openings.iter().zip(record) {
            match item {
                Value::Str(text) => {
                    out.push_str(&opening.string);
                    push_escaped(out, text);
                    out.push('"');
                }
                Value::Int(number) => {
                    out.push_str(&opening.plain);
                    out.push_str(itoa::Buffer::new().format(*number));
                }
                Value::Bool(true) => out.push_str(&opening.true_value),
                Value::Bool(false) => out.push_str(&opening.false_value),
                _ => {
                    out.push_str(&opening.plain);
                    write_value(out, item, depth + 2)?;
                }
            }
        }
        out.push_str(close);
    }
    out.push(']');
    records.remember_encoded(WireFormat::Json, depth, &out[start..]);
    Ok(())
}

#[inline(never)]
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

/// Writes a dict with integer keys, which `json.dumps` writes as their
/// decimal text.
#[inline(never)]
fn write_int_map(
    out: &mut String,
    entries: &[(i64, Value)],
    depth: usize,
) -> Result<(), PyException> {
    out.push('{');
    for (index, (key, item)) in entries.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(itoa::Buffer::new().format(*key));
        out.push_str("\": ");
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

/// The bytes that a string literal escapes: `"`, `\` and the control
/// characters below U+0020.
const ESCAPED: ByteSet = ByteSet::EMPTY.with(b"\"\\").with_range(0x00, 0x1F);

/// Writes a string literal. Runs of text that need no escape are copied
/// whole. Every byte escaped is ASCII, so each run ends on a char boundary.
#[inline(always)]
fn write_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    push_escaped(out, text);
    out.push('"');
}

/// Appends `text` with the bytes of [`ESCAPED`] escaped, without quotes.
#[inline(always)]
fn push_escaped(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    while let Some(offset) = ESCAPED.find_in(&bytes[plain_from..]) {
        let index = plain_from + offset;
        out.push_str(&text[plain_from..index]);
        push_escape(out, bytes[index]);
        plain_from = index + 1;
    }
    out.push_str(&text[plain_from..]);
}

/// Appends the escape of one byte of [`ESCAPED`], as Python's
/// `json.dumps` writes it: a short escape where JSON has one, otherwise
/// `\u` and four lowercase hex digits.
fn push_escape(out: &mut String, byte: u8) {
    let short = match byte {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        0x08 => "\\b",
        0x0c => "\\f",
        _ => "",
    };
    if !short.is_empty() {
        out.push_str(short);
        return;
    }
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u00");
    out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
    out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{sample_records, Dict};

    #[test]
    fn records_written_as_dicts() {
        let records = Value::Records(std::sync::Arc::new(sample_records()));
        let expanded = records.clone().expand_records();
        assert_eq!(to_json_text(&records), to_json_text(&expanded));
        assert_eq!(
            to_json_text(&records).expect("records encode"),
            r#"[{"id": 7, "name": "Ada <Lovelace> & co", "parent_id": [1, "Acme"]}, {"id": 8, "name": false, "parent_id": false}]"#
        );
    }

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
    fn string_escapes_as_python() {
        // Each expected text was printed by CPython 3.11's
        // json.dumps(text, ensure_ascii=False).
        let cases = [
            ("", r#""""#),
            (
                "plain text longer than a block",
                r#""plain text longer than a block""#,
            ),
            ("q\"b\\s/", r#""q\"b\\s/""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            ("\u{0}\u{1}\u{1f}", r#""\u0000\u0001\u001f""#),
            ("\u{7f} é€😀", "\"\u{7f} é€😀\""),
            ("0123456789abcdef\"", r#""0123456789abcdef\"""#),
            ("0123456\n89abcdef", r#""0123456\n89abcdef""#),
        ];
        for (text, expected) in cases {
            assert_eq!(
                to_json_text(&Value::from(text)).expect("a string"),
                expected,
                "{text:?}"
            );
        }
    }

    #[test]
    fn int_map_keys_as_text() {
        let map = Value::IntMap(vec![
            (1, Value::from("a")),
            (-2, Value::List(vec![Value::Bool(true)])),
        ]);

        // Printed by CPython 3.11's json.dumps({1: "a", -2: [True]}).
        assert_eq!(
            to_json_text(&map).expect("shallow"),
            r#"{"1": "a", "-2": [true]}"#
        );
    }

    /// Writes a string literal one char at a time, as a reference for the
    /// writer's search for bytes to escape.
    fn string_literal_by_chars(text: &str) -> String {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        #[test]
        fn string_matches_char_reference(
            text in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|[\\x00-\\x1f\"\\\\a\u{e9}\u{1f600}]{0,40}"
        ) {
            let mut out = String::new();
            write_string(&mut out, &text);

            proptest::prop_assert_eq!(out, string_literal_by_chars(&text));
        }
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
