//! The engine's one error type: a kind that decides what the engine does
//! next (retry, re-read, report, give up), the operation that failed, and
//! the underlying message, such as Odoo's own error text.
//!
//! Two questions decide the handling of every failure:
//!
//! * [`SyncError::is_retryable`]: can the same request succeed if sent
//!   again after a wait? True for transport failures, HTTP 429, 502, 503
//!   and 504, PostgreSQL serialization failures and expired sessions.
//!   False for Odoo's `AccessError` (XML-RPC fault code 4), `AccessDenied`
//!   (3), `UserError` and `ValidationError` (2) and every other fault.
//! * [`SyncError::may_have_applied`]: could the request have committed in
//!   Odoo although the engine saw a failure? True for timeouts, lost
//!   connections, unreadable responses, 502 and 504 from a proxy, and the
//!   XML-RPC fault `cannot marshal None`, which Odoo raises after the
//!   call's transaction committed. After such a failure the engine
//!   re-reads Odoo before it sends anything that writes.

use std::time::Duration;

/// The class of a failure, in the terms that decide its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An invalid option or environment variable.
    Config,
    /// An unreadable or invalid integration spec.
    Spec,
    /// The state directory could not be read or written.
    State,
    /// No connection could be opened, so nothing was sent.
    Connect,
    /// No response arrived within the per-call timeout.
    Timeout,
    /// The connection closed or reset before the whole response arrived.
    ConnectionLost,
    /// HTTP 429: the server requests that the client slow down.
    RateLimited,
    /// HTTP 502, 503 or 504, usually a proxy's error page.
    Unavailable,
    /// Another HTTP status that the protocol does not use, such as 404
    /// for a wrong URL.
    HttpStatus,
    /// A body that is not a valid response of the protocol, such as an
    /// HTML page or a truncated document.
    InvalidResponse,
    /// `common.authenticate` returned `False`: wrong login, password or
    /// database.
    AuthenticationFailed,
    /// Odoo's `AccessDenied` (XML-RPC fault code 3).
    AccessDenied,
    /// Odoo's `AccessError` (XML-RPC fault code 4).
    AccessError,
    /// Odoo's `UserError` or `ValidationError` (XML-RPC fault code 2).
    Validation,
    /// Odoo's `MissingError`: the record was deleted meanwhile.
    RecordMissing,
    /// PostgreSQL's "could not serialize access due to concurrent update",
    /// after Odoo's own retries ran out. The transaction rolled back.
    SerializationFailure,
    /// JSON-RPC error code 100: the session expired. The call did not run.
    SessionExpired,
    /// The XML-RPC fault `cannot marshal None unless allow_none is
    /// enabled`: the call committed, but its result was lost.
    MarshalNone,
    /// Any other Odoo fault (XML-RPC fault code 1), such as a
    /// `ValueError`.
    ServerError,
    /// A SaaS value that the spec cannot map, such as a value missing from
    /// a value map or text where Odoo expects a number.
    Mapping,
    /// A referenced record (a customer of an order, a country by code)
    /// that Odoo does not have.
    MissingReference,
    /// The live Odoo schema does not fit the spec.
    Drift,
    /// The record's key matches several Odoo records.
    DuplicateKey,
    /// The engine cannot tell whether a business method ran, because it
    /// failed ambiguously and the spec gives no `done_when` to check.
    Unverifiable,
}

/// A failure, with what the engine was doing when it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {message}")]
pub struct SyncError {
    kind: ErrorKind,
    context: String,
    message: String,
    status: Option<u16>,
    retry_after: Option<Duration>,
}

/// The engine's result type.
pub type SyncResult<T> = Result<T, SyncError>;

impl SyncError {
    /// Creates an error of `kind` with the operation that failed and the
    /// underlying message.
    pub fn new(kind: ErrorKind, context: impl Into<String>, message: impl Into<String>) -> Self {
        SyncError {
            kind,
            context: context.into(),
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    /// Creates the error for an HTTP status, classified by its code.
    pub fn http_status(
        context: impl Into<String>,
        status: u16,
        retry_after: Option<Duration>,
    ) -> Self {
        let kind = match status {
            429 => ErrorKind::RateLimited,
            502..=504 => ErrorKind::Unavailable,
            _ => ErrorKind::HttpStatus,
        };
        let reason = match status {
            429 => "HTTP 429 Too Many Requests",
            502 => "HTTP 502 Bad Gateway",
            503 => "HTTP 503 Service Unavailable",
            504 => "HTTP 504 Gateway Timeout",
            _ => "unexpected HTTP status",
        };
        let message = if kind == ErrorKind::HttpStatus {
            format!("{reason} {status}")
        } else {
            reason.to_owned()
        };
        SyncError {
            status: Some(status),
            retry_after,
            ..SyncError::new(kind, context, message)
        }
    }

    /// Returns the kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the operation that failed, such as `create res.partner`.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Returns the underlying message, such as Odoo's error text.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Returns the HTTP status of an HTTP error.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Returns the wait that a 429 or 503 response requested in its
    /// `Retry-After` header.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Replaces the context, for a caller that knows the operation better.
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    /// Tells whether the same request may succeed when sent again after a
    /// wait.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect
                | ErrorKind::Timeout
                | ErrorKind::ConnectionLost
                | ErrorKind::RateLimited
                | ErrorKind::Unavailable
                | ErrorKind::InvalidResponse
                | ErrorKind::SerializationFailure
                | ErrorKind::SessionExpired
        )
    }

    /// Tells whether the request may have committed in Odoo although it
    /// failed, so that the engine must re-read before sending a write
    /// again.
    ///
    /// A 503 counts as not applied, because a proxy returns it when no
    /// worker took the request. A 502 or 504 may come after the worker
    /// received it.
    pub fn may_have_applied(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout
            | ErrorKind::ConnectionLost
            | ErrorKind::InvalidResponse
            | ErrorKind::MarshalNone => true,
            ErrorKind::Unavailable => self.status != Some(503),
            _ => false,
        }
    }

    /// Tells whether the SaaS may succeed later with the same record, for
    /// the `retryable` flag of a sync report. It may after a transient
    /// failure that ran out of retries, or a reference to a record not
    /// synced yet. Data, permission and schema problems need someone to
    /// act first.
    pub fn is_report_retryable(&self) -> bool {
        self.is_retryable()
            || matches!(
                self.kind,
                ErrorKind::MissingReference | ErrorKind::RecordMissing | ErrorKind::MarshalNone
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_classify() {
        let cases = [
            (429, ErrorKind::RateLimited, true, false),
            (502, ErrorKind::Unavailable, true, true),
            (503, ErrorKind::Unavailable, true, false),
            (504, ErrorKind::Unavailable, true, true),
            (404, ErrorKind::HttpStatus, false, false),
            (500, ErrorKind::HttpStatus, false, false),
        ];
        for (status, kind, retryable, applied) in cases {
            let error = SyncError::http_status("POST /jsonrpc", status, None);
            assert_eq!(error.kind(), kind, "{status}");
            assert_eq!(error.is_retryable(), retryable, "{status}");
            assert_eq!(error.may_have_applied(), applied, "{status}");
        }
    }

    #[test]
    fn odoo_faults_are_not_retried() {
        for kind in [
            ErrorKind::AccessError,
            ErrorKind::AccessDenied,
            ErrorKind::Validation,
            ErrorKind::ServerError,
        ] {
            let error = SyncError::new(kind, "write res.partner", "no");
            assert!(!error.is_retryable(), "{kind:?}");
            assert!(!error.may_have_applied(), "{kind:?}");
            assert!(!error.is_report_retryable(), "{kind:?}");
        }
    }

    #[test]
    fn marshal_none_applied_not_retryable() {
        let error = SyncError::new(ErrorKind::MarshalNone, "call", "cannot marshal None");
        assert!(error.may_have_applied());
        assert!(!error.is_retryable());
    }

    #[test]
    fn display_joins_context_and_message() {
        let error = SyncError::new(ErrorKind::Validation, "create res.partner", "Bad email");
        assert_eq!(error.to_string(), "create res.partner: Bad email");
    }
}
