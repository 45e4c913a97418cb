//! Python exceptions as Odoo's RPC error handlers see them.
//!
//! Odoo renders an error from three facts about the exception: its class,
//! its `str()` and its `args`. [`PyException`] carries those three, either
//! for an [`OdooError`] raised by the services or for an exception that only
//! the wire layer raises, such as `xml.parsers.expat.ExpatError`.
//!
//! Tracebacks differ from Odoo's: the emulator prints one synthetic frame
//! instead of Odoo's real call stack, so only the first line
//! (`Traceback (most recent call last):`) and the last line
//! (`ExcType: message`) match what a real server sends.

use crate::error::{ErrorKind, OdooError};
use crate::value::Value;

/// `xml.parsers.expat.ExpatError`: the body is not well-formed XML.
pub const EXPAT_ERROR: &str = "xml.parsers.expat.ExpatError";
/// `xmlrpc.client.ResponseError`: well-formed XML that is not XML-RPC.
pub const RESPONSE_ERROR: &str = "xmlrpc.client.ResponseError";
/// `xmlrpc.client.Fault`: a request that contains a `<fault>`.
pub const XMLRPC_FAULT: &str = "xmlrpc.client.Fault";
/// `binascii.Error`: invalid `<base64>` content.
pub const BINASCII_ERROR: &str = "binascii.Error";
/// Python's `UnicodeEncodeError`, raised for `<base64>` text that is not
/// ASCII.
pub const UNICODE_ENCODE_ERROR: &str = "builtins.UnicodeEncodeError";
/// Python's `LookupError`, raised for an unknown XML encoding.
pub const LOOKUP_ERROR: &str = "builtins.LookupError";
/// Python's `RecursionError`, raised for values nested too deeply.
pub const RECURSION_ERROR: &str = "builtins.RecursionError";
/// Python's `RuntimeError`, used when the emulator itself failed.
pub const RUNTIME_ERROR: &str = "builtins.RuntimeError";

/// The class of a raised exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionClass {
    /// One of the exceptions that the services raise.
    Odoo(ErrorKind),
    /// Another class, by qualified name such as `binascii.Error`.
    Other(&'static str),
}

impl ExceptionClass {
    /// Returns `module.ClassName`, as JSON-RPC's `error.data.name` carries it.
    pub fn qualified_name(self) -> &'static str {
        match self {
            ExceptionClass::Odoo(kind) => kind.qualified_name(),
            ExceptionClass::Other(name) => name,
        }
    }

    /// Returns the name that a Python traceback prints on its last line:
    /// the bare name for built-in classes, the qualified name otherwise.
    pub fn traceback_name(self) -> &'static str {
        let name = self.qualified_name();
        name.strip_prefix("builtins.").unwrap_or(name)
    }
}

/// A raised exception: its class, `str()` and `args`.
#[derive(Debug, Clone, PartialEq)]
pub struct PyException {
    pub class: ExceptionClass,
    /// The exception's `str()`.
    pub message: String,
    /// The exception's `args`, which JSON-RPC sends as `data.arguments` and
    /// the legacy XML-RPC route joins into its fault code.
    pub args: Vec<Value>,
}

impl PyException {
    /// Creates an exception of a class outside [`ErrorKind`] whose only
    /// argument is its message, as `ValueError("text")` has.
    pub fn new(class: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        let args = vec![Value::Str(message.clone())];
        PyException {
            class: ExceptionClass::Other(class),
            message,
            args,
        }
    }

    /// Creates an exception of one of the [`ErrorKind`] classes.
    pub fn of_kind(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::from(OdooError::new(kind, message))
    }

    /// Creates `xml.parsers.expat.ExpatError` with expat's position suffix.
    pub fn expat(reason: &str, line: usize, column: usize) -> Self {
        Self::new(
            EXPAT_ERROR,
            format!("{reason}: line {line}, column {column}"),
        )
    }

    /// Creates `xmlrpc.client.ResponseError`. Its `str()` is its `repr()`
    /// because the class overrides `__str__` with `object.__str__`.
    pub fn response_error(detail: Option<&str>) -> Self {
        match detail {
            None => PyException {
                class: ExceptionClass::Other(RESPONSE_ERROR),
                message: "ResponseError()".to_owned(),
                args: Vec::new(),
            },
            Some(detail) => PyException {
                class: ExceptionClass::Other(RESPONSE_ERROR),
                message: format!("ResponseError({})", crate::value::python_str_repr(detail)),
                args: vec![Value::from(detail)],
            },
        }
    }

    /// Formats the exception as `traceback.format_exception` would, with one
    /// synthetic frame named after `function` (a method such as
    /// `DataSet.call_kw` prints as `call_kw`, as Python does). The text ends
    /// with a newline.
    pub fn traceback(&self, function: &str) -> String {
        let function = function.rsplit('.').next().unwrap_or(function);
        format!(
            "Traceback (most recent call last):\n  File \"odoo-emulator\", line 1, in {function}\n{}",
            self.last_traceback_line()
        )
    }

    /// Returns `ExcType: message\n`, or `ExcType\n` when the message is
    /// empty, as Python prints the last line of a traceback.
    pub fn last_traceback_line(&self) -> String {
        let name = self.class.traceback_name();
        if self.message.is_empty() {
            format!("{name}\n")
        } else {
            format!("{name}: {}\n", self.message)
        }
    }

    /// Returns Odoo's `exception_to_unicode`: the `args` joined by newlines,
    /// or `str()` when there are none.
    pub fn exception_to_unicode(&self) -> String {
        if self.args.is_empty() {
            return self.message.clone();
        }
        let parts: Vec<String> = self.args.iter().map(python_str).collect();
        parts.join("\n")
    }
}

impl From<OdooError> for PyException {
    fn from(error: OdooError) -> Self {
        let args = vec![Value::Str(odoo_error_argument(&error))];
        PyException {
            class: ExceptionClass::Odoo(error.kind),
            message: error.message,
            args,
        }
    }
}

/// Returns the single argument the exception was built with. `KeyError`
/// is the one class whose `str()` (the key's repr) differs from it.
fn odoo_error_argument(error: &OdooError) -> String {
    if error.kind != ErrorKind::KeyError {
        return error.message.clone();
    }
    let text = error.message.as_str();
    let quoted = text.len() >= 2
        && ((text.starts_with('\'') && text.ends_with('\''))
            || (text.starts_with('"') && text.ends_with('"')));
    if quoted && !text.contains('\\') {
        text[1..text.len() - 1].to_owned()
    } else {
        text.to_owned()
    }
}

/// Returns Python's `str()` of an argument: strings bare, others as repr.
fn python_str(value: &Value) -> String {
    match value {
        Value::Str(text) => text.clone(),
        other => other.python_repr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceback_ends_with_class_and_message() {
        let error = PyException::expat("no element found", 1, 0);

        let text = error.traceback("xmlrpc_2");

        assert!(text.starts_with("Traceback (most recent call last):\n"));
        assert!(
            text.ends_with("\nxml.parsers.expat.ExpatError: no element found: line 1, column 0\n")
        );
    }

    #[test]
    fn traceback_strips_builtins_module() {
        let error = PyException::from(OdooError::value("bad"));

        assert_eq!(error.last_traceback_line(), "ValueError: bad\n");
    }

    #[test]
    fn response_error_str_is_repr() {
        let bare = PyException::response_error(None);
        let detailed = PyException::response_error(Some("unknown tag 'foo'"));

        assert_eq!(bare.message, "ResponseError()");
        assert_eq!(bare.exception_to_unicode(), "ResponseError()");
        assert_eq!(detailed.message, "ResponseError(\"unknown tag 'foo'\")");
        assert_eq!(detailed.exception_to_unicode(), "unknown tag 'foo'");
    }

    #[test]
    fn key_error_argument_is_unquoted() {
        let error = PyException::from(OdooError::key("partner_id"));

        assert_eq!(error.message, "'partner_id'");
        assert_eq!(error.args, vec![Value::from("partner_id")]);
    }

    #[test]
    fn empty_message_prints_class_only() {
        let error = PyException::new("builtins.ValueError", "");

        assert_eq!(error.last_traceback_line(), "ValueError\n");
    }
}
