//! The XML-RPC request decoder: a stack machine with the semantics of
//! CPython 3.11's `xmlrpc.client.Unmarshaller`, which Odoo 17 calls as
//! `xmlrpc.client.loads(data)`.
//!
//! Like CPython's, it does not check the document's structure: each closed
//! `<value>`'s content is pushed on one stack, `</array>` and `</struct>`
//! collect what was pushed since they opened, and the parameters are
//! whatever is left. A `<value>` without a type element is a string, an
//! unknown element directly inside `<value>` is a `ResponseError`, and
//! struct members pair up names and values by position. Being iterative,
//! it never recurses. Error texts are CPython's.
//!
//! Where it differs from Odoo 17:
//!
//! * integers beyond 64 bits are rejected, where Python has no limit;
//! * only ASCII digits are accepted in `<int>`, where Python also takes
//!   other Unicode digits;
//! * `<bigdecimal>` is read as a float instead of a `Decimal`;
//! * struct member names must be strings.

use crate::value::{Dict, Value};
use crate::wire::exception::{PyException, XMLRPC_FAULT};
use crate::wire::fault::{Fault, FaultCode};

use super::pybase64;
use super::scan::Handler;

/// The kind of document, from the last `<params>`, `<fault>` or
/// `<methodName>` closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocumentKind {
    Params,
    Fault,
    MethodName,
}

/// A decoded response: the value a method returned, or the fault it
/// raised.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodResponse {
    Value(Value),
    Fault(Fault),
}

/// A decoded request: the method name (absent when the document has no
/// `<methodName>`) and the positional parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    pub method: Option<String>,
    pub params: Vec<Value>,
}

#[derive(Debug)]
pub(super) struct Unmarshaller {
    stack: Vec<Value>,
    /// Stack heights where the open arrays and structs began.
    marks: Vec<usize>,
    /// Text since the most recent start tag.
    data: String,
    /// Whether the most recent start tag was `<value>`.
    in_value: bool,
    kind: Option<DocumentKind>,
    method: Option<String>,
}

impl Default for Unmarshaller {
    fn default() -> Self {
        // Room for a typical call's values and texts, which saves growing
        // each buffer a few times.
        Unmarshaller {
            stack: Vec::with_capacity(16),
            marks: Vec::with_capacity(8),
            data: String::with_capacity(64),
            in_value: false,
            kind: None,
            method: None,
        }
    }
}

/// The elements that CPython's `Unmarshaller.dispatch` names, grouped by
/// what closing them does, and every other element as [`Element::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Element {
    Nil,
    Boolean,
    /// `int`, `i1`, `i2`, `i4`, `i8` and `biginteger`.
    Int,
    /// `double`, `float` and `bigdecimal`.
    Double,
    /// `string` and `name`.
    String,
    Base64,
    DateTime,
    Array,
    Struct,
    Value,
    Params,
    Fault,
    MethodName,
    Other,
}

impl Element {
    /// Names the element with the local name `name`.
    pub(super) fn of(name: &str) -> Element {
        match name {
            "value" => Element::Value,
            "string" | "name" => Element::String,
            "int" | "i1" | "i2" | "i4" | "i8" | "biginteger" => Element::Int,
            "array" => Element::Array,
            "struct" => Element::Struct,
            "boolean" => Element::Boolean,
            "double" | "float" | "bigdecimal" => Element::Double,
            "nil" => Element::Nil,
            "base64" => Element::Base64,
            "dateTime.iso8601" => Element::DateTime,
            "params" => Element::Params,
            "fault" => Element::Fault,
            "methodName" => Element::MethodName,
            _ => Element::Other,
        }
    }
}

impl Handler for Unmarshaller {
    type Element = Element;

    fn element(&self, name: &str) -> Element {
        Element::of(name)
    }

    #[inline]
    fn start(&mut self, name: &str, element: Element) -> Result<(), PyException> {
        if matches!(element, Element::Array | Element::Struct) {
            self.marks.push(self.stack.len());
        }
        self.data.clear();
        if self.in_value && element == Element::Other {
            return Err(unknown_tag(name));
        }
        self.in_value = element == Element::Value;
        Ok(())
    }

    #[inline]
    fn end(&mut self, _name: &str, element: Element) -> Result<(), PyException> {
        // Most end tags close an element that makes no value, such as
        // `<param>` or a `<value>` around a typed one, and need no text.
        match element {
            Element::Other => Ok(()),
            Element::Value if !self.in_value => Ok(()),
            _ => self.end_with_text(element),
        }
    }

    #[inline]
    fn text(&mut self, text: &str) {
        self.data.push_str(text);
    }
}

impl Unmarshaller {
    #[inline(never)]
    fn end_with_text(&mut self, element: Element) -> Result<(), PyException> {
        let data = self.data.as_str();
        let value = match element {
            Element::Nil => Value::None,
            Element::Boolean => parse_boolean(data)?,
            Element::Int => Value::Int(parse_int(data)?),
            Element::Double => Value::Float(parse_float(data)?),
            Element::String => Value::Str(data.to_owned()),
            Element::Base64 => Value::Binary(pybase64::decode(data)?),
            // Odoo 17 does not pass `use_datetime`, so the text is kept
            // unchecked, stripped of surrounding whitespace.
            Element::DateTime => Value::DateTime(data.trim().to_owned()),
            Element::Array => self.collect_array(),
            Element::Struct => self.collect_struct()?,
            Element::Value => {
                if self.in_value {
                    self.stack.push(Value::Str(data.to_owned()));
                    self.in_value = false;
                }
                return Ok(());
            }
            Element::Params | Element::Fault | Element::MethodName | Element::Other => {
                self.end_structure(element);
                return Ok(());
            }
        };
        self.stack.push(value);
        self.in_value = false;
        Ok(())
    }

    fn end_structure(&mut self, element: Element) {
        match element {
            Element::Params => self.kind = Some(DocumentKind::Params),
            Element::Fault => self.kind = Some(DocumentKind::Fault),
            Element::MethodName => {
                self.method = Some(self.data.clone());
                self.kind = Some(DocumentKind::MethodName);
            }
            _ => {}
        }
    }

    fn collect_array(&mut self) -> Value {
        let mark = self.marks.pop().unwrap_or(self.stack.len());
        Value::List(self.stack.split_off(mark))
    }

    fn collect_struct(&mut self) -> Result<Value, PyException> {
        let mark = self.marks.pop().unwrap_or(self.stack.len());
        let items = self.stack.split_off(mark);
        if items.len() % 2 != 0 {
            return Err(PyException::new(
                "builtins.IndexError",
                "list index out of range",
            ));
        }
        let mut dict = Dict::default();
        let mut items = items.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            dict.insert(struct_key(key)?, value);
        }
        Ok(Value::Dict(dict))
    }

    /// Finishes decoding, as `Unmarshaller.close` and `getmethodname` do.
    pub(super) fn finish(self) -> Result<MethodCall, PyException> {
        if self.kind.is_none() || !self.marks.is_empty() {
            return Err(PyException::response_error(None));
        }
        if self.kind == Some(DocumentKind::Fault) {
            return Err(fault_in_request(&self.stack));
        }
        Ok(MethodCall {
            method: self.method,
            params: self.stack,
        })
    }

    /// Finishes decoding a response, as `Unmarshaller.close` does for
    /// `xmlrpc.client.ServerProxy`: a fault becomes [`MethodResponse::Fault`]
    /// and a single parameter is the returned value. Other parameter counts
    /// give the list of parameters, as CPython returns its tuple. Unlike
    /// CPython, a document with a `<methodName>` is rejected, because it
    /// is a request.
    pub(super) fn finish_response(self) -> Result<MethodResponse, PyException> {
        if self.method.is_some() {
            return Err(PyException::response_error(Some(
                "a methodCall document where a methodResponse was expected",
            )));
        }
        match self.kind {
            Some(DocumentKind::Params) if self.marks.is_empty() => {
                let mut params = self.stack;
                if params.len() == 1 {
                    return Ok(MethodResponse::Value(params.remove(0)));
                }
                Ok(MethodResponse::Value(Value::List(params)))
            }
            Some(DocumentKind::Fault) if self.marks.is_empty() => {
                fault_in_response(&self.stack).map(MethodResponse::Fault)
            }
            _ => Err(PyException::response_error(None)),
        }
    }
}

/// Reads `{faultCode, faultString}`: an integer code on `/xmlrpc/2`, a
/// string code on Odoo's legacy `/xmlrpc` routes.
fn fault_in_response(stack: &[Value]) -> Result<Fault, PyException> {
    let invalid = || {
        PyException::response_error(Some(
            "a fault without an integer or string faultCode and a string faultString",
        ))
    };
    let Some(Value::Dict(fault)) = stack.first() else {
        return Err(invalid());
    };
    let code = match fault.get("faultCode") {
        Some(Value::Int(code)) => FaultCode::Int(*code),
        Some(Value::Str(code)) => FaultCode::Str(code.clone()),
        _ => return Err(invalid()),
    };
    let string = fault
        .get("faultString")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    Ok(Fault {
        code,
        string: string.to_owned(),
    })
}

#[cold]
fn unknown_tag(name: &str) -> PyException {
    PyException::response_error(Some(&format!(
        "unknown tag {}",
        crate::value::python_str_repr(name)
    )))
}

fn struct_key(key: Value) -> Result<String, PyException> {
    match key {
        Value::Str(text) => Ok(text),
        Value::List(_) | Value::Dict(_) => Err(PyException::new(
            "builtins.TypeError",
            format!("unhashable type: '{}'", key.python_type()),
        )),
        other => Err(PyException::new(
            "builtins.TypeError",
            format!(
                "the emulator accepts only string struct member names, got {}",
                other.python_repr()
            ),
        )),
    }
}

/// Returns the `xmlrpc.client.Fault` that CPython raises for a request
/// holding a `<fault>`.
fn fault_in_request(stack: &[Value]) -> PyException {
    let Some(Value::Dict(fault)) = stack.first() else {
        return PyException::new("builtins.IndexError", "tuple index out of range");
    };
    let code = fault
        .get("faultCode")
        .map(Value::python_repr)
        .unwrap_or_default();
    let string = fault
        .get("faultString")
        .map(Value::python_repr)
        .unwrap_or_default();
    PyException::new(XMLRPC_FAULT, format!("<Fault {code}: {string}>"))
}

fn parse_boolean(data: &str) -> Result<Value, PyException> {
    match data {
        "0" => Ok(Value::Bool(false)),
        "1" => Ok(Value::Bool(true)),
        _ => Err(PyException::new("builtins.TypeError", "bad boolean value")),
    }
}

/// Parses an integer as Python's `int()`: surrounding whitespace, a sign
/// and single underscores between digits are allowed.
fn parse_int(data: &str) -> Result<i64, PyException> {
    let invalid = || {
        PyException::new(
            "builtins.ValueError",
            format!(
                "invalid literal for int() with base 10: {}",
                crate::value::python_str_repr(data)
            ),
        )
    };
    let trimmed = data.trim();
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if !has_python_digit_grouping(digits) {
        return Err(invalid());
    }
    let parsed = if digits.bytes().any(|byte| byte == b'_') {
        trimmed.replace('_', "").parse::<i64>()
    } else {
        trimmed.parse::<i64>()
    };
    parsed.map_err(|_| {
        PyException::new(
            "builtins.OverflowError",
            format!("the emulator supports 64-bit integers only, not {trimmed}"),
        )
    })
}

/// Tells whether the text is ASCII digits with single underscores between
/// them, as Python's numeric literals allow.
fn has_python_digit_grouping(digits: &str) -> bool {
    !digits.is_empty()
        && digits
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'_')
        && underscores_between_digits(digits)
}

/// Parses a float as Python's `float()`: surrounding whitespace, `inf`,
/// `nan` and underscores between digits are allowed.
fn parse_float(data: &str) -> Result<f64, PyException> {
    let invalid = || {
        PyException::new(
            "builtins.ValueError",
            format!(
                "could not convert string to float: {}",
                crate::value::python_str_repr(data)
            ),
        )
    };
    let trimmed = data.trim();
    if trimmed.contains('_') && !underscores_between_digits(trimmed) {
        return Err(invalid());
    }
    let compact: String = trimmed.chars().filter(|c| *c != '_').collect();
    compact.parse::<f64>().map_err(|_| invalid())
}

fn underscores_between_digits(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(index, byte)| {
        *byte != b'_'
            || (index > 0
                && bytes[index - 1].is_ascii_digit()
                && bytes.get(index + 1).is_some_and(u8::is_ascii_digit))
    })
}
