//! Odoo's exceptions as one error type, independent of any wire dialect.
//!
//! Each [`ErrorKind`] names the Python exception class that Odoo would raise.
//! The wire layer renders it per dialect: XML-RPC fault codes 1 to 4, legacy
//! string fault codes, JSON-RPC error objects and JSON-2 HTTP statuses.

use std::fmt;

/// The exception class behind an error, as Odoo 17 raises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `odoo.exceptions.UserError`: XML-RPC fault code 2.
    UserError,
    /// `odoo.exceptions.ValidationError`, a `UserError`: fault code 2.
    ValidationError,
    /// `odoo.exceptions.MissingError`, a `UserError`: fault code 2.
    MissingError,
    /// `odoo.exceptions.AccessError`, a `UserError` checked first: fault code 4.
    AccessError,
    /// `odoo.exceptions.AccessDenied`: fault code 3.
    AccessDenied,
    /// `odoo.http.SessionExpiredException`: JSON-RPC error code 100.
    SessionExpired,
    /// Python's `ValueError`: an application error, fault code 1.
    ValueError,
    /// Python's `TypeError`: an application error, fault code 1.
    TypeError,
    /// Python's `KeyError`: an application error, fault code 1.
    KeyError,
    /// Python's `AttributeError`: an application error, fault code 1.
    AttributeError,
    /// Python's `IndexError`: an application error, fault code 1.
    IndexError,
    /// Python's `AssertionError`, from an `assert` in Odoo's code: an
    /// application error, fault code 1.
    AssertionError,
    /// Python's `OverflowError`, raised by the XML-RPC marshaller.
    OverflowError,
    /// Python's `RecursionError`, for values nested deeper than Python's
    /// stack allows.
    RecursionError,
    /// `xml.parsers.expat.ExpatError`: the request body is not XML.
    ExpatError,
    /// `psycopg2.errors.SerializationFailure`: a concurrent update.
    SerializationFailure,
    /// `psycopg2.errors.UniqueViolation`, raised by a SQL unique constraint
    /// that Odoo did not translate into a `ValidationError`.
    UniqueViolation,
    /// `psycopg2.errors.NotNullViolation`.
    NotNullViolation,
    /// `psycopg2.ProgrammingError`, as for a dict sent where SQL wanted a value.
    ProgrammingError,
    /// `psycopg2.errors.InvalidRowCountInLimitClause` (SQLSTATE 2201W), for
    /// a negative `LIMIT`.
    InvalidRowCountInLimitClause,
    /// `psycopg2.errors.InvalidRowCountInResultOffsetClause` (SQLSTATE
    /// 2201X), for a negative `OFFSET`.
    InvalidRowCountInResultOffsetClause,
    /// `psycopg2.errors.NumericValueOutOfRange` (SQLSTATE 22003), for an
    /// integer beyond the 32 bits of an `int4` column.
    NumericValueOutOfRange,
    /// `psycopg2.errors.UndefinedFunction` (SQLSTATE 42883), for a function
    /// that has no version for its argument's type, such as `sum` of a
    /// text column.
    UndefinedFunction,
    /// `psycopg2.errors.UndefinedColumn` (SQLSTATE 42703), for a field that
    /// Odoo treats as a column but that has none, such as a one2many.
    UndefinedColumn,
    /// `odoo.exceptions.RedirectWarning`.
    RedirectWarning,
    /// Python's `NameError`, for an unknown `object` service method.
    NameError,
    /// Python's base `Exception`, which the `common` service raises for an
    /// unknown method.
    Exception,
    /// `psycopg2.OperationalError`, for a database that does not exist.
    OperationalError,
    /// `werkzeug.exceptions.NotFound`, for routes and databases.
    NotFound,
    /// `werkzeug.exceptions.BadRequest`, for bodies that are not JSON-RPC.
    BadRequest,
}

impl ErrorKind {
    /// Returns the exception's qualified class name, as JSON-RPC's
    /// `error.data.name` carries it.
    pub fn qualified_name(self) -> &'static str {
        match self {
            ErrorKind::UserError => "odoo.exceptions.UserError",
            ErrorKind::ValidationError => "odoo.exceptions.ValidationError",
            ErrorKind::MissingError => "odoo.exceptions.MissingError",
            ErrorKind::AccessError => "odoo.exceptions.AccessError",
            ErrorKind::AccessDenied => "odoo.exceptions.AccessDenied",
            ErrorKind::RedirectWarning => "odoo.exceptions.RedirectWarning",
            ErrorKind::SessionExpired => "odoo.http.SessionExpiredException",
            ErrorKind::ValueError => "builtins.ValueError",
            ErrorKind::TypeError => "builtins.TypeError",
            ErrorKind::KeyError => "builtins.KeyError",
            ErrorKind::AttributeError => "builtins.AttributeError",
            ErrorKind::IndexError => "builtins.IndexError",
            ErrorKind::AssertionError => "builtins.AssertionError",
            ErrorKind::OverflowError => "builtins.OverflowError",
            ErrorKind::RecursionError => "builtins.RecursionError",
            ErrorKind::ExpatError => "xml.parsers.expat.ExpatError",
            ErrorKind::SerializationFailure => "psycopg2.errors.SerializationFailure",
            ErrorKind::UniqueViolation => "psycopg2.errors.UniqueViolation",
            ErrorKind::NotNullViolation => "psycopg2.errors.NotNullViolation",
            ErrorKind::ProgrammingError => "psycopg2.ProgrammingError",
            ErrorKind::InvalidRowCountInLimitClause => {
                "psycopg2.errors.InvalidRowCountInLimitClause"
            }
            ErrorKind::InvalidRowCountInResultOffsetClause => {
                "psycopg2.errors.InvalidRowCountInResultOffsetClause"
            }
            ErrorKind::NumericValueOutOfRange => "psycopg2.errors.NumericValueOutOfRange",
            ErrorKind::UndefinedFunction => "psycopg2.errors.UndefinedFunction",
            ErrorKind::UndefinedColumn => "psycopg2.errors.UndefinedColumn",
            ErrorKind::NotFound => "werkzeug.exceptions.NotFound",
            ErrorKind::NameError => "builtins.NameError",
            ErrorKind::Exception => "builtins.Exception",
            ErrorKind::OperationalError => "psycopg2.OperationalError",
            ErrorKind::BadRequest => "werkzeug.exceptions.BadRequest",
        }
    }

    /// Returns the class name alone, as the last line of a Python traceback
    /// prints it (`ValueError: ...`).
    pub fn short_name(self) -> &'static str {
        let name = self.qualified_name();
        match self {
            // Tracebacks print the module for non-builtin exceptions.
            ErrorKind::ExpatError
            | ErrorKind::SerializationFailure
            | ErrorKind::UniqueViolation
            | ErrorKind::NotNullViolation
            | ErrorKind::ProgrammingError
            | ErrorKind::InvalidRowCountInLimitClause
            | ErrorKind::InvalidRowCountInResultOffsetClause
            | ErrorKind::NumericValueOutOfRange
            | ErrorKind::UndefinedFunction
            | ErrorKind::UndefinedColumn
            | ErrorKind::OperationalError => name,
            _ => name.rsplit('.').next().unwrap_or(name),
        }
    }

    /// Tells whether Odoo's RPC layer treats this as one of its own
    /// exceptions (message only) rather than an application error (traceback).
    pub fn is_odoo_exception(self) -> bool {
        matches!(
            self,
            ErrorKind::UserError
                | ErrorKind::ValidationError
                | ErrorKind::MissingError
                | ErrorKind::AccessError
                | ErrorKind::AccessDenied
                | ErrorKind::RedirectWarning
        )
    }
}

/// An exception raised while serving a call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct OdooError {
    pub kind: ErrorKind,
    /// The exception's `str()`, which is what clients display and match on.
    pub message: String,
}

impl fmt::Display for OdooError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.short_name(), self.message)
    }
}

/// The result of anything that can raise an Odoo exception.
pub type OdooResult<T> = Result<T, OdooError>;

impl OdooError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        OdooError {
            kind,
            message: message.into(),
        }
    }

    pub fn user(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UserError, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ValidationError, message)
    }

    pub fn missing(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::MissingError, message)
    }

    pub fn access(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AccessError, message)
    }

    /// Returns `AccessDenied`, whose text is fixed in Odoo.
    pub fn access_denied() -> Self {
        Self::new(ErrorKind::AccessDenied, "Access Denied")
    }

    pub fn value(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ValueError, message)
    }

    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TypeError, message)
    }

    /// Returns Python's `KeyError`, whose `str()` is the key's repr.
    pub fn key(key: &str) -> Self {
        Self::new(ErrorKind::KeyError, crate::value::python_str_repr(key))
    }

    pub fn attribute(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AttributeError, message)
    }

    /// Returns the error Odoo gives for a session that expired or never
    /// existed.
    pub fn session_expired() -> Self {
        Self::new(ErrorKind::SessionExpired, "Session expired")
    }

    /// Returns PostgreSQL's error for a negative `LIMIT`. Its `str()` ends
    /// with the newline of libpq's message, which psycopg2 keeps.
    pub fn negative_limit() -> Self {
        Self::new(
            ErrorKind::InvalidRowCountInLimitClause,
            "LIMIT must not be negative\n",
        )
    }

    /// Returns PostgreSQL's error for a negative `OFFSET`.
    pub fn negative_offset() -> Self {
        Self::new(
            ErrorKind::InvalidRowCountInResultOffsetClause,
            "OFFSET must not be negative\n",
        )
    }

    /// Returns PostgreSQL's error for an integer that does not fit an
    /// `int4` column, the type of Odoo's integer fields.
    pub fn integer_out_of_range() -> Self {
        Self::new(ErrorKind::NumericValueOutOfRange, "integer out of range\n")
    }

    /// Returns PostgreSQL's error for a function with no version for its
    /// argument's type, such as `sum(character varying)`.
    // NOTE: PostgreSQL's message goes on with the line of the query and a
    // hint, here and in `undefined_column`. Both return the first line only.
    pub fn undefined_function(function: &str, argument_type: &str) -> Self {
        Self::new(
            ErrorKind::UndefinedFunction,
            format!("function {function}({argument_type}) does not exist\n"),
        )
    }

    /// Returns PostgreSQL's error for a column that the table `alias` lacks.
    pub fn undefined_column(alias: &str, column: &str) -> Self {
        Self::new(
            ErrorKind::UndefinedColumn,
            format!("column {alias}.{column} does not exist\n"),
        )
    }

    /// Returns PostgreSQL's serialization failure under concurrent writes.
    pub fn serialization_failure() -> Self {
        Self::new(
            ErrorKind::SerializationFailure,
            "could not serialize access due to concurrent update\n",
        )
    }
}
