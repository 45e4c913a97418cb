//! Odoo's errors, from either protocol, as [`ErrorKind`]s.
//!
//! Odoo 17's `/xmlrpc/2` routes send fault code 4 for `AccessError`, 3 for
//! `AccessDenied`, 2 for `UserError` and its subclasses (`ValidationError`,
//! `MissingError`) with the message alone, and 1 with a whole Python
//! traceback for everything else. The legacy `/xmlrpc` routes put a string
//! such as `warning -- AccessError\n\n<message>` in the code instead.
//! JSON-RPC names the exception class in `error.data.name` and uses code
//! 100 for an expired session.
//!
//! Two application errors (code 1) matter to a client and are recognised
//! by their text: PostgreSQL's serialization failure, which rolled back,
//! and `cannot marshal None`, which Odoo raises after the transaction
//! committed, when the method's result turns out to be `None`.

use crate::error::{ErrorKind, SyncError};

use super::jsonrpc::RpcError;
use super::xmlrpc::{Fault, FaultCode};

/// The text of PostgreSQL's serialization failure.
pub const SERIALIZATION_FAILURE_TEXT: &str = "could not serialize access due to concurrent update";
/// The text of Python's XML-RPC marshaller for a `None` result.
pub const MARSHAL_NONE_TEXT: &str = "cannot marshal None unless allow_none is enabled";

/// The first lines of Odoo's `MissingError` messages: one for `read` and
/// `check_access`, one for `write` and `unlink` in older releases.
const MISSING_RECORD_TEXTS: [&str; 2] = [
    "Record does not exist or has been deleted",
    "One of the records you are trying to modify has already been deleted",
];

/// Classifies an XML-RPC fault.
pub fn from_xmlrpc(context: &str, fault: &Fault) -> SyncError {
    match &fault.code {
        FaultCode::Int(4) => SyncError::new(ErrorKind::AccessError, context, &fault.string),
        FaultCode::Int(3) => SyncError::new(ErrorKind::AccessDenied, context, &fault.string),
        FaultCode::Int(2) => SyncError::new(warning_kind(&fault.string), context, &fault.string),
        FaultCode::Int(_) => from_traceback(context, &fault.string),
        FaultCode::Text(code) => from_legacy_code(context, code, &fault.string),
    }
}

/// Classifies a JSON-RPC error object.
pub fn from_jsonrpc(context: &str, error: &RpcError) -> SyncError {
    let message = error
        .detail
        .clone()
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| error.message.clone());
    if error.code == 100 {
        return SyncError::new(ErrorKind::SessionExpired, context, message);
    }
    let kind = match error.name.as_deref().unwrap_or_default() {
        "odoo.exceptions.AccessError" => ErrorKind::AccessError,
        "odoo.exceptions.AccessDenied" => ErrorKind::AccessDenied,
        "odoo.exceptions.MissingError" => ErrorKind::RecordMissing,
        "odoo.exceptions.UserError"
        | "odoo.exceptions.ValidationError"
        | "odoo.exceptions.RedirectWarning" => ErrorKind::Validation,
        "odoo.http.SessionExpiredException" => ErrorKind::SessionExpired,
        name if name.contains("SerializationFailure") => ErrorKind::SerializationFailure,
        _ if message.contains(SERIALIZATION_FAILURE_TEXT) => ErrorKind::SerializationFailure,
        _ => ErrorKind::ServerError,
    };
    SyncError::new(kind, context, message)
}

/// Fault code 2 covers `UserError`, `ValidationError` and `MissingError`,
/// so only the message distinguishes a missing record.
fn warning_kind(message: &str) -> ErrorKind {
    if MISSING_RECORD_TEXTS.iter().any(|t| message.starts_with(t)) {
        ErrorKind::RecordMissing
    } else {
        ErrorKind::Validation
    }
}

/// Classifies fault code 1 by the traceback's last line, `Type: message`.
fn from_traceback(context: &str, traceback: &str) -> SyncError {
    let last_line = traceback
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .trim();
    let kind = if traceback.contains(SERIALIZATION_FAILURE_TEXT) {
        ErrorKind::SerializationFailure
    } else if traceback.contains(MARSHAL_NONE_TEXT) {
        ErrorKind::MarshalNone
    } else {
        ErrorKind::ServerError
    };
    let message = if kind == ErrorKind::SerializationFailure {
        SERIALIZATION_FAILURE_TEXT
    } else {
        last_line
    };
    SyncError::new(kind, context, message)
}

/// Classifies a legacy string fault code: `warning -- <Class>\n\n<message>`
/// for Odoo's own exceptions, `AccessDenied`, or the error's text.
fn from_legacy_code(context: &str, code: &str, string: &str) -> SyncError {
    if code == "AccessDenied" {
        return SyncError::new(ErrorKind::AccessDenied, context, "Access Denied");
    }
    if let Some(rest) = code.strip_prefix("warning -- ") {
        let (label, message) = rest.split_once("\n\n").unwrap_or((rest, ""));
        let kind = match label {
            "AccessError" => ErrorKind::AccessError,
            "MissingError" => ErrorKind::RecordMissing,
            _ => ErrorKind::Validation,
        };
        return SyncError::new(kind, context, message);
    }
    let text = if string.is_empty() { code } else { string };
    from_traceback(context, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(code: FaultCode, string: &str) -> Fault {
        Fault {
            code,
            string: string.to_owned(),
        }
    }

    #[test]
    fn xmlrpc_integer_codes() {
        let cases = [
            (4, "You are not allowed", ErrorKind::AccessError),
            (3, "Access Denied", ErrorKind::AccessDenied),
            (2, "Invalid email", ErrorKind::Validation),
            (
                2,
                "Record does not exist or has been deleted.\n(Record: res.partner(9,), User: 2)",
                ErrorKind::RecordMissing,
            ),
        ];
        for (code, text, kind) in cases {
            let error = from_xmlrpc("write res.partner", &fault(FaultCode::Int(code), text));
            assert_eq!(error.kind(), kind, "{code} {text}");
            assert_eq!(error.message(), text);
        }
    }

    #[test]
    fn xmlrpc_traceback_serialization_failure() {
        let traceback = "Traceback (most recent call last):\n  File \"x\", line 1, in f\n\
            psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update\n\n";
        let error = from_xmlrpc("write res.partner", &fault(FaultCode::Int(1), traceback));
        assert_eq!(error.kind(), ErrorKind::SerializationFailure);
        assert!(error.is_retryable());
    }

    #[test]
    fn xmlrpc_traceback_marshal_none() {
        let traceback = "Traceback (most recent call last):\n  File \"x\", line 1, in f\n\
            TypeError: cannot marshal None unless allow_none is enabled\n";
        let error = from_xmlrpc(
            "call sale.order.action_confirm",
            &fault(FaultCode::Int(1), traceback),
        );
        assert_eq!(error.kind(), ErrorKind::MarshalNone);
        assert!(error.may_have_applied());
        assert_eq!(
            error.message(),
            "TypeError: cannot marshal None unless allow_none is enabled"
        );
    }

    #[test]
    fn xmlrpc_traceback_other_error_keeps_last_line() {
        let traceback = "Traceback (most recent call last):\n  File \"x\", line 1, in f\n\
            ValueError: Wrong value for res.partner.type: 'zzz'\n";
        let error = from_xmlrpc("create res.partner", &fault(FaultCode::Int(1), traceback));
        assert_eq!(error.kind(), ErrorKind::ServerError);
        assert_eq!(
            error.message(),
            "ValueError: Wrong value for res.partner.type: 'zzz'"
        );
    }

    #[test]
    fn legacy_string_codes() {
        let error = from_xmlrpc(
            "read res.partner",
            &fault(
                FaultCode::Text("warning -- AccessError\n\nNo access".into()),
                "",
            ),
        );
        assert_eq!(error.kind(), ErrorKind::AccessError);
        assert_eq!(error.message(), "No access");
        let denied = from_xmlrpc("login", &fault(FaultCode::Text("AccessDenied".into()), ""));
        assert_eq!(denied.kind(), ErrorKind::AccessDenied);
    }

    #[test]
    fn jsonrpc_names() {
        let error = |code, name: &str| RpcError {
            code,
            message: "Odoo Server Error".to_owned(),
            name: Some(name.to_owned()),
            detail: Some("text".to_owned()),
        };
        let cases = [
            (200, "odoo.exceptions.AccessError", ErrorKind::AccessError),
            (200, "odoo.exceptions.AccessDenied", ErrorKind::AccessDenied),
            (
                200,
                "odoo.exceptions.ValidationError",
                ErrorKind::Validation,
            ),
            (200, "odoo.exceptions.UserError", ErrorKind::Validation),
            (
                200,
                "odoo.exceptions.MissingError",
                ErrorKind::RecordMissing,
            ),
            (
                200,
                "psycopg2.errors.SerializationFailure",
                ErrorKind::SerializationFailure,
            ),
            (200, "builtins.ValueError", ErrorKind::ServerError),
            (
                100,
                "odoo.http.SessionExpiredException",
                ErrorKind::SessionExpired,
            ),
        ];
        for (code, name, kind) in cases {
            let classified = from_jsonrpc("call", &error(code, name));
            assert_eq!(classified.kind(), kind, "{name}");
            assert_eq!(classified.message(), "text");
        }
    }

    #[test]
    fn jsonrpc_message_falls_back_to_envelope() {
        let error = RpcError {
            code: 200,
            message: "Odoo Server Error".to_owned(),
            name: None,
            detail: None,
        };
        assert_eq!(from_jsonrpc("call", &error).message(), "Odoo Server Error");
    }
}
