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

use crate::value::{Dict, Value};
use crate::wire::exception::{PyException, RECURSION_ERROR};
use crate::wire::fault::{Fault, FaultCode};
use crate::wire::pyfloat::float_repr;

/// The deepest nesting the encoder accepts, near where CPython's recursive
/// marshaller exceeds its default recursion limit.
pub const MAX_RESPONSE_DEPTH: usize = 300;

const HEADER: &str = "<?xml version='1.0'?>\n<methodResponse>\n";
const FOOTER: &str = "</methodResponse>\n";

/// Encodes a method's return value as a `methodResponse` document.
///
/// # Errors
///
/// Raises the exception that Odoo's marshaller raises for a value XML-RPC
/// cannot carry: `None`, an integer beyond 32 bits, or nesting deeper than
/// [`MAX_RESPONSE_DEPTH`].
pub fn encode_response(value: &Value) -> Result<String, PyException> {
    // A read of a page of records runs to tens of kilobytes; starting
    // larger saves most of the copies that growing from empty makes.
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(HEADER);
    out.push_str("<params>\n<param>\n");
    write_value(&mut out, value, 0)?;
    out.push_str("</param>\n</params>\n");
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

fn write_value(out: &mut String, value: &Value, depth: usize) -> Result<(), PyException> {
    if depth > MAX_RESPONSE_DEPTH {
        return Err(PyException::new(
            RECURSION_ERROR,
            "maximum recursion depth exceeded while calling a Python object",
        ));
    }
    match value {
        Value::None => {
            return Err(PyException::new(
                "builtins.TypeError",
                "cannot marshal None unless allow_none is enabled",
            ))
        }
        Value::Bool(true) => out.push_str("<value><boolean>1</boolean></value>\n"),
        Value::Bool(false) => out.push_str("<value><boolean>0</boolean></value>\n"),
        Value::Int(number) => write_int(out, *number)?,
        Value::Float(number) => {
            let _ = writeln!(
                out,
                "<value><double>{}</double></value>",
                float_repr(*number)
            );
        }
        Value::Str(text) => write_string(out, text),
        Value::DateTime(text) => {
            let _ = writeln!(
                out,
                "<value><dateTime.iso8601>{text}</dateTime.iso8601></value>"
            );
        }
        Value::Binary(bytes) => write_binary(out, bytes),
        Value::List(items) => write_array(out, items, depth)?,
        Value::Dict(dict) => write_struct(out, dict, depth)?,
        Value::IntMap(entries) if !entries.is_empty() => {
            return Err(PyException::new(
                "builtins.TypeError",
                "dictionary key must be string",
            ))
        }
        Value::IntMap(_) => write_struct(out, &crate::Dict::default(), depth)?,
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
    let _ = writeln!(out, "<value><int>{number}</int></value>");
    Ok(())
}

fn write_string(out: &mut String, text: &str) {
    out.push_str("<value><string>");
    push_escaped(out, text, true);
    out.push_str("</string></value>\n");
}

/// Appends `text` with `&`, `<` and `>` escaped and, when
/// `strip_controls` is set, the control characters other than tab, line
/// feed and carriage return removed. Runs of plain text are copied whole.
fn push_escaped(out: &mut String, text: &str, strip_controls: bool) {
    let mut plain_from = 0;
    for (index, byte) in text.bytes().enumerate() {
        let replacement = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\t' | b'\n' | b'\r' => continue,
            byte if strip_controls && byte < 0x20 => "",
            _ => continue,
        };
        // Every byte matched above is ASCII, so `index` is a char boundary.
        out.push_str(&text[plain_from..index]);
        out.push_str(replacement);
        plain_from = index + 1;
    }
    out.push_str(&text[plain_from..]);
}

/// Writes base64 in lines of 76 characters, each ending with a newline, as
/// `base64.encodebytes` does.
fn write_binary(out: &mut String, bytes: &[u8]) {
    out.push_str("<value><base64>\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).expect("base64 output is ASCII"));
        out.push('\n');
    }
    out.push_str("</base64></value>\n");
}

fn write_array(out: &mut String, items: &[Value], depth: usize) -> Result<(), PyException> {
    out.push_str("<value><array><data>\n");
    for item in items {
        write_value(out, item, depth + 1)?;
    }
    out.push_str("</data></array></value>\n");
    Ok(())
}

fn write_struct(out: &mut String, dict: &Dict, depth: usize) -> Result<(), PyException> {
    out.push_str("<value><struct>\n");
    for (name, item) in dict {
        out.push_str("<member>\n<name>");
        push_escaped(out, name, false);
        out.push_str("</name>\n");
        write_value(out, item, depth + 1)?;
        out.push_str("</member>\n");
    }
    out.push_str("</struct></value>\n");
    Ok(())
}
