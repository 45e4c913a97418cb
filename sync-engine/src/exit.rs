//! The exit codes of `odoo-sync`, one per class of failure, so that CI
//! scripts and the harness can tell them apart.

use crate::error::{ErrorKind, SyncError};

/// The pass finished. Records that could not sync were reported.
pub const SUCCESS: i32 = 0;
/// An unexpected internal failure.
pub const INTERNAL: i32 = 1;
/// Invalid arguments, environment, or spec.
pub const USAGE: i32 = 2;
/// Odoo rejected the credentials.
pub const AUTHENTICATION: i32 = 3;
/// Odoo or the SaaS stayed unreachable or overloaded after retries.
pub const UNAVAILABLE: i32 = 4;
/// The live Odoo schema no longer fits the spec, and nothing could be
/// synced.
pub const DRIFT: i32 = 5;
/// The state directory could not be read or written.
pub const STATE: i32 = 6;
/// A server returned something that is not its API: a wrong URL, an HTML
/// page, or an Odoo fault outside any record.
pub const PROTOCOL: i32 = 7;

/// Returns the exit code of a pass that gave up with `error`.
pub fn code_for(error: &SyncError) -> i32 {
    match error.kind() {
        ErrorKind::Config | ErrorKind::Spec => USAGE,
        ErrorKind::AuthenticationFailed | ErrorKind::AccessDenied => AUTHENTICATION,
        ErrorKind::Connect
        | ErrorKind::Timeout
        | ErrorKind::ConnectionLost
        | ErrorKind::RateLimited
        | ErrorKind::Unavailable
        | ErrorKind::SerializationFailure
        | ErrorKind::SessionExpired => UNAVAILABLE,
        ErrorKind::Drift => DRIFT,
        ErrorKind::State => STATE,
        ErrorKind::HttpStatus
        | ErrorKind::InvalidResponse
        | ErrorKind::ServerError
        | ErrorKind::AccessError
        | ErrorKind::Validation
        | ErrorKind::RecordMissing
        | ErrorKind::MarshalNone => PROTOCOL,
        _ => INTERNAL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let codes = [
            SUCCESS,
            INTERNAL,
            USAGE,
            AUTHENTICATION,
            UNAVAILABLE,
            DRIFT,
            STATE,
            PROTOCOL,
        ];
        let unique: std::collections::BTreeSet<i32> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len());
    }

    #[test]
    fn kinds_map_to_codes() {
        let cases = [
            (ErrorKind::Spec, USAGE),
            (ErrorKind::AuthenticationFailed, AUTHENTICATION),
            (ErrorKind::Timeout, UNAVAILABLE),
            (ErrorKind::Drift, DRIFT),
            (ErrorKind::State, STATE),
            (ErrorKind::InvalidResponse, PROTOCOL),
        ];
        for (kind, code) in cases {
            assert_eq!(code_for(&SyncError::new(kind, "x", "y")), code, "{kind:?}");
        }
    }
}
