//! One table from exceptions to every error dialect Odoo 17 speaks.
//!
//! Sources: Odoo 17.0's `odoo/addons/base/controllers/rpc.py`
//! (`xmlrpc_handle_exception_int` and `xmlrpc_handle_exception_string`) and
//! `odoo/http.py` (`JsonRPCDispatcher.handle_error`, `serialize_exception`).
//! Odoo tests the classes in a fixed order because they inherit from each
//! other: `RedirectWarning`, then `MissingError` (legacy route only), then
//! `AccessError`, `AccessDenied` and `UserError`, which also covers
//! `ValidationError`. Everything else is an application error.
//!
//! Where the emulator differs: the traceback in fault code 1 and in
//! JSON-RPC's `data.debug` has one synthetic frame (see [`super::exception`]),
//! and `data.context` is always empty because no emulated exception
//! carries a context.

use crate::error::ErrorKind;
use crate::value::{Dict, Value};

use super::exception::{ExceptionClass, PyException};

/// `/xmlrpc/2` fault code for application errors (tracebacks).
pub const FAULT_APPLICATION_ERROR: i64 = 1;
/// `/xmlrpc/2` fault code for `UserError` and its subclasses.
pub const FAULT_WARNING: i64 = 2;
/// `/xmlrpc/2` fault code for `AccessDenied`.
pub const FAULT_ACCESS_DENIED: i64 = 3;
/// `/xmlrpc/2` fault code for `AccessError`.
pub const FAULT_ACCESS_ERROR: i64 = 4;

/// JSON-RPC `error.code` for every error except the two below. Odoo's own
/// comment calls the value arbitrary: it is not the HTTP status.
pub const JSONRPC_SERVER_ERROR: i64 = 200;
/// JSON-RPC `error.code` for `odoo.http.SessionExpiredException`.
pub const JSONRPC_SESSION_EXPIRED: i64 = 100;
/// JSON-RPC `error.code` for `werkzeug.exceptions.NotFound`.
pub const JSONRPC_NOT_FOUND: i64 = 404;

/// How Odoo's error handlers classify an exception, in the order they test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    RedirectWarning,
    MissingError,
    AccessError,
    AccessDenied,
    UserError,
    Application,
}

fn category(class: ExceptionClass) -> Category {
    match class {
        ExceptionClass::Odoo(ErrorKind::RedirectWarning) => Category::RedirectWarning,
        ExceptionClass::Odoo(ErrorKind::MissingError) => Category::MissingError,
        ExceptionClass::Odoo(ErrorKind::AccessError) => Category::AccessError,
        ExceptionClass::Odoo(ErrorKind::AccessDenied) => Category::AccessDenied,
        ExceptionClass::Odoo(ErrorKind::UserError | ErrorKind::ValidationError) => {
            Category::UserError
        }
        _ => Category::Application,
    }
}

/// An XML-RPC fault's code, an integer on `/xmlrpc/2` and a string on the
/// legacy `/xmlrpc` route.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultCode {
    Int(i64),
    Str(String),
}

/// An XML-RPC `<fault>`: the struct `{faultCode, faultString}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub code: FaultCode,
    pub string: String,
}

/// Renders an exception for `/xmlrpc/2/<service>`. `function` names the
/// synthetic traceback frame.
pub fn xmlrpc_fault(exception: &PyException, function: &str) -> Fault {
    let (code, string) = match category(exception.class) {
        Category::RedirectWarning | Category::MissingError | Category::UserError => {
            (FAULT_WARNING, exception.message.clone())
        }
        Category::AccessError => (FAULT_ACCESS_ERROR, exception.message.clone()),
        Category::AccessDenied => (FAULT_ACCESS_DENIED, exception.message.clone()),
        Category::Application => (FAULT_APPLICATION_ERROR, exception.traceback(function)),
    };
    Fault {
        code: FaultCode::Int(code),
        string,
    }
}

/// Renders an exception for the legacy `/xmlrpc/<service>` route, whose
/// fault code is a string and whose fault string is empty for Odoo's own
/// warnings.
pub fn legacy_xmlrpc_fault(exception: &PyException, function: &str) -> Fault {
    let warning = |label: &str| Fault {
        code: FaultCode::Str(format!("warning -- {label}\n\n{}", exception.message)),
        string: String::new(),
    };
    match category(exception.class) {
        Category::RedirectWarning => warning("Warning"),
        Category::MissingError => warning("MissingError"),
        Category::AccessError => warning("AccessError"),
        Category::UserError => warning("UserError"),
        Category::AccessDenied => Fault {
            code: FaultCode::Str("AccessDenied".to_owned()),
            string: exception.message.clone(),
        },
        Category::Application => Fault {
            code: FaultCode::Str(exception.exception_to_unicode()),
            string: exception.traceback(function),
        },
    }
}

/// Returns the JSON-RPC `error` object for an exception: `code`, `message`
/// and `data` with `name`, `debug`, `message`, `arguments` and `context`.
pub fn jsonrpc_error(exception: &PyException, function: &str) -> Value {
    let (code, message) = match exception.class {
        ExceptionClass::Odoo(ErrorKind::SessionExpired) => {
            (JSONRPC_SESSION_EXPIRED, "Odoo Session Expired")
        }
        ExceptionClass::Odoo(ErrorKind::NotFound) => (JSONRPC_NOT_FOUND, "404: Not Found"),
        _ => (JSONRPC_SERVER_ERROR, "Odoo Server Error"),
    };
    let mut data = Dict::default();
    data.insert("name".into(), Value::from(exception.class.qualified_name()));
    data.insert("debug".into(), Value::Str(exception.traceback(function)));
    data.insert("message".into(), Value::Str(exception.message.clone()));
    data.insert("arguments".into(), Value::List(exception.args.clone()));
    data.insert("context".into(), Value::Dict(Dict::default()));

    let mut error = Dict::default();
    error.insert("code".into(), Value::Int(code));
    error.insert("message".into(), Value::from(message));
    error.insert("data".into(), Value::Dict(data));
    Value::Dict(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OdooError;

    fn int_code(fault: &Fault) -> i64 {
        match fault.code {
            FaultCode::Int(code) => code,
            FaultCode::Str(_) => panic!("expected an integer fault code, got {fault:?}"),
        }
    }

    #[test]
    fn xmlrpc2_codes_per_kind() {
        let cases = [
            (ErrorKind::UserError, 2),
            (ErrorKind::ValidationError, 2),
            (ErrorKind::MissingError, 2),
            (ErrorKind::RedirectWarning, 2),
            (ErrorKind::AccessDenied, 3),
            (ErrorKind::AccessError, 4),
            (ErrorKind::ValueError, 1),
            (ErrorKind::SessionExpired, 1),
            (ErrorKind::SerializationFailure, 1),
        ];
        for (kind, expected) in cases {
            let fault = xmlrpc_fault(&PyException::of_kind(kind, "text"), "xmlrpc_2");
            assert_eq!(int_code(&fault), expected, "{kind:?}");
        }
    }

    #[test]
    fn xmlrpc2_warning_is_message_only() {
        let fault = xmlrpc_fault(&OdooError::access("No access").into(), "xmlrpc_2");

        assert_eq!(fault.string, "No access");
    }

    #[test]
    fn xmlrpc2_application_error_is_traceback() {
        let fault = xmlrpc_fault(&OdooError::value("bad uid").into(), "xmlrpc_2");

        assert!(fault
            .string
            .starts_with("Traceback (most recent call last):\n"));
        assert!(fault.string.ends_with("\nValueError: bad uid\n"));
    }

    #[test]
    fn legacy_codes_per_kind() {
        let cases = [
            (ErrorKind::UserError, "warning -- UserError\n\nmsg"),
            (ErrorKind::ValidationError, "warning -- UserError\n\nmsg"),
            (ErrorKind::MissingError, "warning -- MissingError\n\nmsg"),
            (ErrorKind::AccessError, "warning -- AccessError\n\nmsg"),
            (ErrorKind::RedirectWarning, "warning -- Warning\n\nmsg"),
        ];
        for (kind, expected) in cases {
            let fault = legacy_xmlrpc_fault(&PyException::of_kind(kind, "msg"), "xmlrpc_1");
            assert_eq!(fault.code, FaultCode::Str(expected.to_owned()), "{kind:?}");
            assert_eq!(fault.string, "", "{kind:?}");
        }
    }

    #[test]
    fn legacy_access_denied() {
        let fault = legacy_xmlrpc_fault(&OdooError::access_denied().into(), "xmlrpc_1");

        assert_eq!(fault.code, FaultCode::Str("AccessDenied".to_owned()));
        assert_eq!(fault.string, "Access Denied");
    }

    #[test]
    fn legacy_application_error() {
        let exception = PyException::expat("syntax error", 1, 0);

        let fault = legacy_xmlrpc_fault(&exception, "xmlrpc_1");

        assert_eq!(
            fault.code,
            FaultCode::Str("syntax error: line 1, column 0".to_owned())
        );
        assert!(fault
            .string
            .ends_with("ExpatError: syntax error: line 1, column 0\n"));
    }

    #[test]
    fn jsonrpc_session_expired_object() {
        let error = jsonrpc_error(&OdooError::session_expired().into(), "call_kw");

        let error = error.as_dict().expect("an object");
        assert_eq!(error["code"], Value::Int(100));
        assert_eq!(error["message"], Value::from("Odoo Session Expired"));
        let data = error["data"].as_dict().expect("data is an object");
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        assert_eq!(keys, ["name", "debug", "message", "arguments", "context"]);
        assert_eq!(
            data["name"],
            Value::from("odoo.http.SessionExpiredException")
        );
        assert_eq!(data["message"], Value::from("Session expired"));
        assert_eq!(
            data["arguments"],
            Value::List(vec![Value::from("Session expired")])
        );
        assert_eq!(data["context"], Value::Dict(Dict::default()));
    }

    #[test]
    fn jsonrpc_codes_per_kind() {
        let cases = [
            (ErrorKind::AccessError, 200, "Odoo Server Error"),
            (ErrorKind::ValueError, 200, "Odoo Server Error"),
            (ErrorKind::NotFound, 404, "404: Not Found"),
        ];
        for (kind, code, message) in cases {
            let error = jsonrpc_error(&PyException::of_kind(kind, "x"), "call_kw");
            let error = error.as_dict().expect("an object");
            assert_eq!(error["code"], Value::Int(code), "{kind:?}");
            assert_eq!(error["message"], Value::from(message), "{kind:?}");
        }
    }

    #[test]
    fn jsonrpc_name_is_qualified() {
        let error = jsonrpc_error(&OdooError::access("denied").into(), "call_kw");

        let data = error
            .as_dict()
            .and_then(|e| e["data"].as_dict())
            .expect("data");
        assert_eq!(data["name"], Value::from("odoo.exceptions.AccessError"));
    }
}
