//! Fault rules as data: what a rule matches, when it fires and what it
//! does. Rules arrive as JSON on the control API or YAML in a file, and are
//! validated when added.

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

/// A fault rule: a match, a schedule and an effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Set by the engine when the rule is added; ignored on input.
    #[serde(default)]
    pub id: u64,
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// When the rule fires among the calls it matches; every call when
    /// absent.
    #[serde(default)]
    pub schedule: Schedule,
    /// A shorthand for `schedule: {first: N}`, as scenarios write it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    pub effect: Effect,
}

/// The calls a rule applies to. An absent key matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `xmlrpc`, `xmlrpc-legacy`, `jsonrpc` or `web`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The HTTP path, such as `/xmlrpc/2/object`. It also matches the
    /// paths below it: `/web/dataset/call_kw` matches
    /// `/web/dataset/call_kw/res.partner/create`, as Odoo routes both to
    /// one endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `common`, `object` or `db`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A user id or login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserMatch>,
}

/// Tells whether a rule's `route` matches a request path: the same path,
/// or a path below it.
pub fn route_matches(rule_route: &str, path: &str) -> bool {
    path.strip_prefix(rule_route)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rule_route.ends_with('/'))
}

/// A user named by id or by login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UserMatch {
    Id(i64),
    Login(String),
}

/// When a rule fires, counted over the calls it matches (the first
/// matching call is number 1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// Every matching call.
    #[default]
    Always,
    /// Only the Nth matching call.
    Nth(u64),
    /// The first N matching calls.
    First(u64),
    /// Every Kth matching call (K, 2K, ...).
    Every(u64),
    /// Calls at or after this time on the emulator's clock
    /// (`YYYY-MM-DD HH:MM:SS`).
    After(String),
    /// Each matching call with this probability, drawn from the seeded RNG.
    Probability(f64),
}

/// The effect of a firing rule on the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", deny_unknown_fields)]
pub enum Effect {
    /// Serve the call normally after a delay.
    Delay { ms: u64 },
    /// Hold the request without a response until the client gives up, for
    /// at most `ms` (then close the connection).
    Hang {
        #[serde(default = "default_hang_ms")]
        ms: u64,
    },
    /// Close the connection without a response; the call does not run.
    Reset,
    /// Send the real headers, with the full `Content-Length`, and the
    /// first half of the body, then close the connection.
    Truncated,
    /// Send half of the real body followed by a closing tag or brace that
    /// does not match, so it is not valid XML or JSON.
    Malformed,
    /// Respond with an HTTP status and a proxy's HTML page: 502, 503, 504,
    /// or 429 with `Retry-After` seconds.
    Http {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// JSON-RPC error code 100, as for an expired session.
    SessionExpired,
    /// A JSON-RPC response with neither `result` nor `error`.
    ResultMissing,
    /// The right body with `Content-Type: text/html`.
    WrongContentType,
    /// Raise an Odoo exception without running the call.
    Error {
        /// One of `AccessError`, `UserError`, `ValidationError`,
        /// `MissingError`, `AccessDenied`.
        exception: String,
        #[serde(default)]
        message: Option<String>,
    },
    /// PostgreSQL's serialization failure, after Odoo's retries ran out.
    SerializationFailure,
    /// Run and commit the call, then reset the connection.
    ResponseLost,
    /// Run and commit the call, then return XML-RPC's `cannot marshal
    /// None` fault (JSON-RPC responds normally).
    MarshalNone,
}

/// The longest `delay` or `hang`, in milliseconds: one hour. A longer
/// wait only keeps a connection and a server task open past any client's
/// timeout.
pub const MAX_WAIT_MS: u64 = 3_600_000;

/// The largest `retry_after`, in seconds: one day.
pub const MAX_RETRY_AFTER_SECONDS: u64 = 86_400;

fn default_hang_ms() -> u64 {
    30_000
}

impl Effect {
    /// Tells whether the call runs (and commits) before the effect shows.
    pub fn runs_call(&self) -> bool {
        matches!(
            self,
            Effect::Delay { .. }
                | Effect::Truncated
                | Effect::Malformed
                | Effect::ResultMissing
                | Effect::WrongContentType
                | Effect::ResponseLost
                | Effect::MarshalNone
        )
    }

    /// Returns the effect's `type` as rules write it, such as `reset`.
    pub fn name(&self) -> &'static str {
        match self {
            Effect::Delay { .. } => "delay",
            Effect::Hang { .. } => "hang",
            Effect::Reset => "reset",
            Effect::Truncated => "truncated",
            Effect::Malformed => "malformed",
            Effect::Http { .. } => "http",
            Effect::SessionExpired => "session_expired",
            Effect::ResultMissing => "result_missing",
            Effect::WrongContentType => "wrong_content_type",
            Effect::Error { .. } => "error",
            Effect::SerializationFailure => "serialization_failure",
            Effect::ResponseLost => "response_lost",
            Effect::MarshalNone => "marshal_none",
        }
    }

    /// Returns the exception kind of a domain error effect.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Effect::Error { exception, .. } => exception_kind(exception),
            Effect::SerializationFailure => Some(ErrorKind::SerializationFailure),
            Effect::SessionExpired => Some(ErrorKind::SessionExpired),
            _ => None,
        }
    }
}

/// Maps an exception name as rules write it to its kind.
pub fn exception_kind(name: &str) -> Option<ErrorKind> {
    Some(match name {
        "AccessError" => ErrorKind::AccessError,
        "UserError" => ErrorKind::UserError,
        "ValidationError" => ErrorKind::ValidationError,
        "MissingError" => ErrorKind::MissingError,
        "AccessDenied" => ErrorKind::AccessDenied,
        _ => return None,
    })
}

/// An invalid rule, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault rule: {0}")]
pub struct InvalidRule(pub String);

impl FaultRule {
    /// Checks the rule's values and folds `times` into the schedule.
    pub fn validate(mut self) -> Result<FaultRule, InvalidRule> {
        if let Some(times) = self.times.take() {
            if self.schedule != Schedule::Always {
                return Err(InvalidRule(
                    "give either `times` or `schedule`, not both".into(),
                ));
            }
            self.schedule = Schedule::First(times);
        }
        match &self.schedule {
            Schedule::Nth(0) | Schedule::First(0) | Schedule::Every(0) => {
                return Err(InvalidRule("schedule counts start at 1".into()))
            }
            Schedule::Probability(p) if !(0.0..=1.0).contains(p) => {
                return Err(InvalidRule(format!(
                    "probability {p} is not between 0 and 1"
                )))
            }
            Schedule::After(time)
                if chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S").is_err() =>
            {
                return Err(InvalidRule(format!(
                    "`after` {time:?} is not YYYY-MM-DD HH:MM:SS"
                )))
            }
            _ => {}
        }
        self.validate_effect()?;
        if let Some(protocol) = &self.matcher.protocol {
            if !["xmlrpc", "xmlrpc-legacy", "jsonrpc", "web"].contains(&protocol.as_str()) {
                return Err(InvalidRule(format!(
                    "unknown protocol {protocol:?}: use xmlrpc, xmlrpc-legacy, jsonrpc or web"
                )));
            }
        }
        Ok(self)
    }

    fn validate_effect(&self) -> Result<(), InvalidRule> {
        match &self.effect {
            Effect::Http {
                status,
                retry_after,
            } => {
                if ![429, 500, 502, 503, 504].contains(status) {
                    return Err(InvalidRule(format!(
                        "HTTP status {status} is not one of 429, 500, 502, 503, 504"
                    )));
                }
                if retry_after.is_some() && *status != 429 && *status != 503 {
                    return Err(InvalidRule(
                        "retry_after goes with status 429 or 503".into(),
                    ));
                }
                if let Some(seconds) = retry_after.filter(|s| *s > MAX_RETRY_AFTER_SECONDS) {
                    return Err(InvalidRule(format!(
                        "retry_after {seconds} is more than the maximum of \
                         {MAX_RETRY_AFTER_SECONDS} seconds (one day)"
                    )));
                }
            }
            Effect::Delay { ms } | Effect::Hang { ms } if *ms > MAX_WAIT_MS => {
                return Err(InvalidRule(format!(
                    "{} ms {ms} is more than the maximum of {MAX_WAIT_MS} ms (one hour)",
                    self.effect.name()
                )));
            }
            Effect::Error { exception, .. } if exception_kind(exception).is_none() => {
                return Err(InvalidRule(format!(
                    "unknown exception {exception:?}: use AccessError, UserError, ValidationError, MissingError or AccessDenied"
                )));
            }
            _ => {}
        }
        Ok(())
    }
}
