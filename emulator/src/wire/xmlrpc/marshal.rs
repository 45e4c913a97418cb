//! The XML-RPC encoder: responses byte for byte as Odoo 17's
//! `OdooMarshaller` (CPython's `xmlrpc.client.Marshaller` with Odoo's
//! overrides) writes them through `xmlrpc.client.dumps(..., allow_none=False)`,
//! and requests, for the client side, with the same value rules.
//!
//! The rules, with their sources:
//!
//! * `None` anywhere raises `TypeError: cannot marshal None unless
//!   allow_none is enabled`, because Odoo passes `allow_none=False`.
//! * Integers outside the signed 32-bit range raise `OverflowError: int
//!   exceeds XML-RPC limits` (CPython's `dump_long`), because Odoo 17 has
//!   no `<i8>` output.
//! * Floats are written as Python's `repr()`.
//! * Strings have `&`, `<` and `>` escaped. Odoo's `dump_unicode` override
//!   removes the control characters U+0000 to U+001F other than tab, line
//!   feed and carriage return. Struct names are escaped but not stripped.
//! * Binaries and datetimes only reach a response when a method returns a
//!   value it received. They are written as CPython writes its `Binary` and
//!   `DateTime` objects.
//!
//! Where it differs from Odoo 17: some 17.0 builds strip control characters
//! only from binary values, not from every string.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::value::{Dict, RecordList, Value, WireFormat};
use crate::wire::byteset::ByteSet;
use crate::wire::exception::{PyException, RECURSION_ERROR};
use crate::wire::fault::{Fault, FaultCode};
use crate::wire::pyfloat::float_repr;

/// The deepest nesting the encoder accepts, near where CPython's recursive
/// marshaller exceeds its default recursion limit.
pub const MAX_RESPONSE_DEPTH: usize = 300;

const HEADER: &str = "<?xml version='1.0'?>\n<methodResponse>\n";
const FOOTER: &str = "</methodResponse>\n";
const PARAMS_OPEN: &str = "<params>\n<param>\n";
const PARAMS_CLOSE: &str = "</param>\n</params>\n";

// The markup around each kind of value, shared by the writers and
// `estimated_len` so that the estimate follows the output.
const TRUE: &str = "<value><boolean>1</boolean></value>\n";
const FALSE: &str = "<value><boolean>0</boolean></value>\n";
const INT_OPEN: &str = "<value><int>";
const INT_CLOSE: &str = "</int></value>\n";
const DOUBLE_OPEN: &str = "<value><double>";
const DOUBLE_CLOSE: &str = "</double></value>\n";
const STRING_OPEN: &str = "<value><string>";
const STRING_CLOSE: &str = "</string></value>\n";
const DATETIME_OPEN: &str = "<value><dateTime.iso8601>";
const DATETIME_CLOSE: &str = "</dateTime.iso8601></value>\n";
const BASE64_OPEN: &str = "<value><base64>\n";
const BASE64_CLOSE: &str = "</base64></value>\n";
const ARRAY_OPEN: &str = "<value><array><data>\n";
const ARRAY_CLOSE: &str = "</data></array></value>\n";
const STRUCT_OPEN: &str = "<value><struct>\n";
const STRUCT_CLOSE: &str = "</struct></value>\n";
const MEMBER_OPEN: &str = "<member>\n<name>";
const NAME_CLOSE: &str = "</name>\n";
const MEMBER_CLOSE: &str = "</member>\n";
// A record's members end with these pairs of closings, written with one
// copy each.
const STRING_MEMBER_CLOSE: &str = "</string></value>\n</member>\n";
const INT_MEMBER_CLOSE: &str = "</int></value>\n</member>\n";
const TRUE_MEMBER_CLOSE: &str = "<value><boolean>1</boolean></value>\n</member>\n";
const FALSE_MEMBER_CLOSE: &str = "<value><boolean>0</boolean></value>\n</member>\n";

/// The maximum number of bytes [`encode_response`] reserves before writing. The
/// estimate of a record list extrapolates from its first record, so one
/// large first record among many small ones would otherwise reserve far
/// more than the document needs, enough to abort the process when the
/// allocation fails. A larger document grows the buffer as it is
/// written.
const MAX_PRESIZED_LEN: usize = 8 * 1024 * 1024;

/// The longest `int` text XML-RPC carries, `-2147483648`.
const MAX_INT_LEN: usize = 11;
/// The maximum length of a float's `repr()`, as in `-2.2250738585072014e-308`.
const MAX_FLOAT_LEN: usize = 24;

/// The bytes that [`push_escaped`] replaces: `&`, `<` and `>`.
const MARKUP: ByteSet = ByteSet::EMPTY.with(b"&<>");
/// [`MARKUP`] and the control characters that strings lose: all below
/// U+0020 except tab, line feed and carriage return.
const MARKUP_AND_CONTROLS: ByteSet = MARKUP.with_range(0x00, 0x1F).without(b"\t\n\r");

/// Encodes a method's return value as a `methodResponse` document.
///
/// # Errors
///
/// Raises the exception that Odoo's marshaller raises for a value XML-RPC
/// cannot carry: `None`, an integer beyond 32 bits, or nesting deeper than
/// [`MAX_RESPONSE_DEPTH`].
pub fn encode_response(value: &Value) -> Result<String, PyException> {
    // Sizing the buffer up front saves the copies that growing it makes,
    // which for a page of records cost several times the extra walk.
    let markup_len = HEADER.len() + PARAMS_OPEN.len() + PARAMS_CLOSE.len() + FOOTER.len();
    let estimate = (markup_len + estimated_len(value, 0)).min(MAX_PRESIZED_LEN);
    let mut out = String::with_capacity(estimate);
    out.push_str(HEADER);
    out.push_str(PARAMS_OPEN);
    write_value(&mut out, value, 0)?;
    out.push_str(PARAMS_CLOSE);
    out.push_str(FOOTER);
    Ok(out)
}

/// Encodes a request as a `methodCall` document, laid out as CPython's
/// `xmlrpc.client.dumps(params, methodname)` writes it. The method name is
/// escaped, which CPython leaves to the caller.
///
/// # Errors
///
/// Raises what the marshaller raises for a parameter XML-RPC cannot carry,
/// as [`encode_response`] does.
pub fn encode_method_call(method: &str, params: &[Value]) -> Result<String, PyException> {
    let mut out = String::from("<?xml version='1.0'?>\n<methodCall>\n<methodName>");
    push_escaped(&mut out, method, false);
    out.push_str("</methodName>\n<params>\n");
    for param in params {
        out.push_str("<param>\n");
        write_value(&mut out, param, 0)?;
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    Ok(out)
}

/// Encodes a fault as a `methodResponse` document.
pub fn encode_fault(fault: &Fault) -> String {
    let mut out = String::from(HEADER);
    out.push_str("<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n");
    match &fault.code {
        FaultCode::Int(code) => {
            let _ = writeln!(out, "<value><int>{code}</int></value>");
        }
        FaultCode::Str(code) => write_string(&mut out, code),
    }
    out.push_str("</member>\n<member>\n<name>faultString</name>\n");
    write_string(&mut out, &fault.string);
    out.push_str("</member>\n</struct></value>\n</fault>\n");
    out.push_str(FOOTER);
    out
}

/// Raises Python's `RecursionError` for a value nested deeper than
/// [`MAX_RESPONSE_DEPTH`].
fn check_depth(depth: usize) -> Result<(), PyException> {
    if depth > MAX_RESPONSE_DEPTH {
        return Err(PyException::new(
            RECURSION_ERROR,
            "maximum recursion depth exceeded while calling a Python object",
        ));
    }
    Ok(())
}

// `write_value` and `estimated_len` are inlined into the container writers
// and the containers are not, so that a scalar costs no call of its own.
#[inline(always)]
fn write_value(out: &mut String, value: &Value, depth: usize) -> Result<(), PyException> {
    check_depth(depth)?;
    match value {
        Value::None => {
            return Err(PyException::new(
                "builtins.TypeError",
                "cannot marshal None unless allow_none is enabled",
            ))
        }
        Value::Bool(true) => out.push_str(TRUE),
        Value::Bool(false) => out.push_str(FALSE),
        Value::Int(number) => write_int(out, *number)?,
        Value::Float(number) => {
            out.push_str(DOUBLE_OPEN);
            out.push_str(&float_repr(*number));
            out.push_str(DOUBLE_CLOSE);
        }
        Value::Str(text) => write_string(out, text),
        Value::DateTime(text) => {
            out.push_str(DATETIME_OPEN);
            out.push_str(text);
            out.push_str(DATETIME_CLOSE);
        }
        Value::Binary(bytes) => write_binary(out, bytes),
        Value::List(items) => write_array(out, items, depth)?,
        Value::Dict(dict) => write_struct(out, dict, depth)?,
        Value::Records(records) => write_records(out, records, depth)?,
        Value::IntMap(entries) if !entries.is_empty() => {
            return Err(PyException::new(
                "builtins.TypeError",
                "dictionary key must be string",
            ))
        }
        Value::IntMap(_) => write_struct(out, &Dict::default(), depth)?,
    }
    Ok(())
}

fn write_int(out: &mut String, number: i64) -> Result<(), PyException> {
    if i32::try_from(number).is_err() {
        return Err(PyException::new(
            "builtins.OverflowError",
            "int exceeds XML-RPC limits",
        ));
    }
    out.push_str(INT_OPEN);
    out.push_str(itoa::Buffer::new().format(number));
    out.push_str(INT_CLOSE);
    Ok(())
}

fn write_string(out: &mut String, text: &str) {
    out.push_str(STRING_OPEN);
    push_escaped(out, text, true);
    out.push_str(STRING_CLOSE);
}

/// Appends `text` with `&`, `<` and `>` escaped and, when
/// `strip_controls` is set, the control characters other than tab, line
/// feed and carriage return removed. Runs of plain text are copied whole.
#[inline(always)]
fn push_escaped(out: &mut String, text: &str, strip_controls: bool) {
    let special = if strip_controls {
        &MARKUP_AND_CONTROLS
    } else {
        &MARKUP
    };
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    while let Some(offset) = special.find_in(&bytes[plain_from..]) {
        let index = plain_from + offset;
        // Every byte in the sets is ASCII, so `index` is a char boundary.
        out.push_str(&text[plain_from..index]);
        out.push_str(match bytes[index] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => "",
        });
        plain_from = index + 1;
    }
    out.push_str(&text[plain_from..]);
}

/// Writes base64 in lines of 76 characters, each ending with a newline, as
/// `base64.encodebytes` does.
fn write_binary(out: &mut String, bytes: &[u8]) {
    out.push_str(BASE64_OPEN);
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).expect("base64 output is ASCII"));
        out.push('\n');
    }
    out.push_str(BASE64_CLOSE);
}

#[inline(never)]
fn write_array(out: &mut String, items: &[Value], depth: usize) -> Result<(), PyException> {
    out.push_str(ARRAY_OPEN);
    for item in items {
        write_value(out, item, depth + 1)?;
    }
    out.push_str(ARRAY_CLOSE);
    Ok(())
}

/// The markup that opens one key's member in each record, assembled once
/// for all the records, with the value's opening tag for the kinds that
/// records mostly hold.
struct MemberOpenings {
    /// `<member>`, the escaped name and `</name>`.
    plain: String,
    /// `plain` followed by a string value's opening.
    string: String,
    /// `plain` followed by an integer value's opening.
    int: String,
}

impl MemberOpenings {
    fn new(key: &str) -> Self {
        let mut plain = String::from(MEMBER_OPEN);
        push_escaped(&mut plain, key, false);
        plain.push_str(NAME_CLOSE);
        // `concat` rather than `format!`, which cost more than writing all
        // the records' integers.
        MemberOpenings {
            string: [plain.as_str(), STRING_OPEN].concat(),
            int: [plain.as_str(), INT_OPEN].concat(),
            plain,
        }
    }
}

/// Writes a list of records as an array of structs. Records mostly
/// contain strings, integers and booleans, so those are written with
/// their member's markup in fewer copies. Other values are written as
/// [`write_struct`] writes them. A list that a table keeps is written once
/// and copied after that.
#[inline(never)]
fn write_records(out: &mut String, records: &RecordList, depth: usize) -> Result<(), PyException> {
    if let Some(text) = records.encoded(WireFormat::XmlRpc, depth) {
        out.push_str(text);
        return Ok(());
    }
    let start = out.len();
    out.push_str(ARRAY_OPEN);
    if !records.is_empty() {
        check_depth(depth + 1)?;
    }
    let openings: Vec<MemberOpenings> = records
        .keys()
        .iter()
        .map(|key| MemberOpenings::new(key))
        .collect();
    for record in records.values() {
        out.push_str(STRUCT_OPEN);
        for (opening, item) in openings.iter().zip(record) {
            match item {
                Value::Str(text) => {
                    out.push_str(&opening.string);
                    push_escaped(out, text, true);
                    out.push_str(STRING_MEMBER_CLOSE);
                }
                Value::Int(number) if i32::try_from(*number).is_ok() => {
                    out.push_str(&opening.int);
                    out.push_str(itoa::Buffer::new().format(*number));
                    out.push_str(INT_MEMBER_CLOSE);
                }
                Value::Bool(flag) => {
                    out.push_str(&opening.plain);
                    out.push_str(if *flag {
                        TRUE_MEMBER_CLOSE
                    } else {
                        FALSE_MEMBER_CLOSE
                    });
                }
                _ => {
                    out.push_str(&opening.plain);
                    write_value(out, item, depth + 2)?;
                    out.push_str(MEMBER_CLOSE);
                }
            }
        }
        out.push_str(STRUCT_CLOSE);
    }
    out.push_str(ARRAY_CLOSE);
    records.remember_encoded(WireFormat::XmlRpc, depth, &out[start..]);
    Ok(())
}

#[inline(never)]
fn write_struct(out: &mut String, dict: &Dict, depth: usize) -> Result<(), PyException> {
    out.push_str(STRUCT_OPEN);
    for (name, item) in dict {
        out.push_str(MEMBER_OPEN);
        push_escaped(out, name, false);
        out.push_str(NAME_CLOSE);
        write_value(out, item, depth + 1)?;
        out.push_str(MEMBER_CLOSE);
    }
    out.push_str(STRUCT_CLOSE);
    Ok(())
}

/// Returns about how many bytes [`write_value`] appends for `value`:
/// exactly as many for text without `&`, `<`, `>` or control characters,
/// and at most one number's maximum width more for each number. Nesting
/// beyond [`MAX_RESPONSE_DEPTH`] is not counted, because it is an error.
#[inline(always)]
fn estimated_len(value: &Value, depth: usize) -> usize {
    if depth > MAX_RESPONSE_DEPTH {
        return 0;
    }
    match value {
        Value::None => 0,
        Value::Bool(_) => TRUE.len(),
        Value::Int(_) => INT_OPEN.len() + MAX_INT_LEN + INT_CLOSE.len(),
        Value::Float(_) => DOUBLE_OPEN.len() + MAX_FLOAT_LEN + DOUBLE_CLOSE.len(),
        Value::Str(text) => STRING_OPEN.len() + text.len() + STRING_CLOSE.len(),
        Value::DateTime(text) => DATETIME_OPEN.len() + text.len() + DATETIME_CLOSE.len(),
        Value::Binary(bytes) => {
            let encoded = bytes.len().div_ceil(3) * 4;
            BASE64_OPEN.len() + encoded + encoded.div_ceil(76) + BASE64_CLOSE.len()
        }
        Value::List(items) => estimated_array_len(items, depth),
        Value::Dict(dict) => estimated_struct_len(dict.iter().map(|(k, v)| (k.as_str(), v)), depth),
        Value::Records(records) => {
            if let Some(text) = records.encoded(WireFormat::XmlRpc, depth) {
                return text.len();
            }
            // Records of one read have the same keys and similar values, so
            // the first one's size times the count, with a quarter more, is
            // close enough that the buffer grows once at most. Measuring
            // each record would cost a walk as long as writing them.
            let first_len = records
                .records()
                .next()
                .map_or(0, |record| estimated_struct_len(record, depth + 1));
            let structs_len = first_len.saturating_mul(records.len()).saturating_mul(5) / 4;
            ARRAY_OPEN.len() + structs_len + ARRAY_CLOSE.len()
        }
        Value::IntMap(_) => STRUCT_OPEN.len() + STRUCT_CLOSE.len(),
    }
}

#[inline(never)]
fn estimated_array_len(items: &[Value], depth: usize) -> usize {
    let items_len: usize = items
        .iter()
        .map(|item| estimated_len(item, depth + 1))
        .sum();
    ARRAY_OPEN.len() + items_len + ARRAY_CLOSE.len()
}

#[inline(never)]
fn estimated_struct_len<'v>(
    members: impl Iterator<Item = (&'v str, &'v Value)>,
    depth: usize,
) -> usize {
    if depth > MAX_RESPONSE_DEPTH {
        return 0;
    }
    let members_len: usize = members
        .map(|(name, item)| {
            MEMBER_OPEN.len()
                + name.len()
                + NAME_CLOSE.len()
                + estimated_len(item, depth + 1)
                + MEMBER_CLOSE.len()
        })
        .sum();
    STRUCT_OPEN.len() + members_len + STRUCT_CLOSE.len()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::value::{sample_records, Cell};
    use std::sync::Arc;

    /// One record with a large text before thousands of small ones: the
    /// estimate from the first record is about a thousand times the
    /// document, so the buffer reserved up front is capped.
    #[test]
    fn large_first_record_reserves_a_capped_buffer() {
        let mut records = RecordList::new(vec!["comment".into()]);
        records.push_row(
            Arc::default(),
            [Cell::Owned(Value::Str("x".repeat(1 << 20)))],
        );
        for _ in 0..4000 {
            records.push_row(Arc::default(), [Cell::Owned(Value::Str("y".into()))]);
        }
        let records = Value::Records(Arc::new(records));
        assert!(estimated_len(&records, 0) > 1 << 32);
        let written = encode_response(&records).expect("records encode");
        assert!(written.capacity() <= MAX_PRESIZED_LEN.max(2 * written.len()));
        assert_eq!(Ok(written), encode_response(&records.expand_records()));
    }

    #[test]
    fn member_closings_are_their_parts() {
        assert_eq!(STRING_MEMBER_CLOSE, format!("{STRING_CLOSE}{MEMBER_CLOSE}"));
        assert_eq!(INT_MEMBER_CLOSE, format!("{INT_CLOSE}{MEMBER_CLOSE}"));
        assert_eq!(TRUE_MEMBER_CLOSE, format!("{TRUE}{MEMBER_CLOSE}"));
        assert_eq!(FALSE_MEMBER_CLOSE, format!("{FALSE}{MEMBER_CLOSE}"));
    }

    #[test]
    fn records_written_as_structs() {
        let records = Value::Records(Arc::new(sample_records()));
        let expanded = records.clone().expand_records();
        let written = encode_response(&records).expect("records encode");
        assert_eq!(Ok(written.clone()), encode_response(&expanded));
        assert!(written.contains(
            "<name>name</name>\n<value><string>Ada &lt;Lovelace&gt; &amp; co</string></value>"
        ));
        let estimate = estimated_len(&records, 0);
        assert!(
            (written.len() / 2..written.len() * 2).contains(&estimate),
            "{estimate} bytes estimated for {} written",
            written.len()
        );
    }

    fn escaped(text: &str, strip_controls: bool) -> String {
        let mut out = String::new();
        push_escaped(&mut out, text, strip_controls);
        out
    }

    /// Escapes one char at a time, as a reference for [`push_escaped`]'s
    /// search for special bytes.
    fn escaped_by_chars(text: &str, strip_controls: bool) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\t' | '\n' | '\r' => out.push(c),
                c if strip_controls && c < ' ' => {}
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn push_escaped_cases() {
        let cases = [
            ("", true, ""),
            (
                "plain text longer than a block",
                true,
                "plain text longer than a block",
            ),
            ("a<b&c>d", true, "a&lt;b&amp;c&gt;d"),
            ("]]>", true, "]]&gt;"),
            ("0123456789abcdef&", true, "0123456789abcdef&amp;"),
            ("tab\tlf\ncr\r", true, "tab\tlf\ncr\r"),
            ("x\u{0}y\u{b}z\u{1f}\u{7f}", true, "xyz\u{7f}"),
            (
                "x\u{0}y\u{b}z\u{1f}\u{7f}",
                false,
                "x\u{0}y\u{b}z\u{1f}\u{7f}",
            ),
            ("é<€>😀", true, "é&lt;€&gt;😀"),
        ];
        for (text, strip_controls, expected) in cases {
            assert_eq!(
                escaped(text, strip_controls),
                expected,
                "{text:?}, strip_controls {strip_controls}"
            );
        }
    }

    #[test]
    fn estimate_exact_without_numbers_or_escapes() {
        let mut record = Dict::default();
        record.insert("name".into(), Value::from("Bench Partner 001"));
        record.insert("is_company".into(), Value::Bool(false));
        record.insert("tags".into(), Value::List(vec![Value::from("é")]));
        record.insert("when".into(), Value::DateTime("20240102T03:04:05".into()));
        let value = Value::List(vec![Value::Dict(record); 3]);
        let mut out = String::new();

        write_value(&mut out, &value, 0).expect("encodable");

        assert_eq!(estimated_len(&value, 0), out.len());
    }

    #[test]
    fn estimate_covers_numbers_and_binary() {
        let value = Value::List(vec![
            Value::Int(-2_147_483_648),
            Value::Int(7),
            Value::Float(-2.2250738585072014e-308),
            Value::Float(0.5),
            Value::Binary(vec![0xFF; 200]),
            Value::Binary(Vec::new()),
        ]);
        let mut out = String::new();

        write_value(&mut out, &value, 0).expect("encodable");

        assert!(estimated_len(&value, 0) >= out.len());
    }

    proptest! {
        #[test]
        fn push_escaped_matches_char_reference(
            text in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|[\\x00-\\x1f<>&\\]a\u{e9}\u{1f600}]{0,40}",
            strip_controls in any::<bool>(),
        ) {
            prop_assert_eq!(
                escaped(&text, strip_controls),
                escaped_by_chars(&text, strip_controls)
            );
        }
    }
}
