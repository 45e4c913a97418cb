//! Fault injection and the journal, call by call.
//!
//! Each RPC route wraps its work in a [`TrackedCall`]: once the request is
//! parsed far enough to name its database, user, model and method, the
//! route consults the fault engine ([`TrackedCall::intercept`]), runs the call
//! unless the effect replaces it, and hands its response to
//! [`TrackedCall::finish`], which applies the effects that act on the
//! response and writes the journal entry. Requests rejected before that
//! point (a wrong content type, a body that is not JSON) are journaled
//! with their outcome but never faulted.
//!
//! | effect | the call runs | what the client gets |
//! |---|---|---|
//! | `delay` | yes, after the delay | the normal response |
//! | `hang` | no | nothing for `ms`, then the connection closes |
//! | `reset` | no | a TCP RST, no response |
//! | `http` | no | an nginx error page with that status |
//! | `session_expired`, `error`, `serialization_failure` | no | the exception in the route's dialect |
//! | `truncated` | yes | the first half of the body, then the connection closes |
//! | `malformed` | yes | half the body and a closing tag or brace that does not match |
//! | `result_missing` | yes | a JSON-RPC reply without `result`, or an XML-RPC reply without `<param>` |
//! | `wrong_content_type` | yes | the normal body as `text/html` |
//! | `response_lost` | yes, and commits | a TCP RST |
//! | `marshal_none` | yes, and commits | XML-RPC fault 1, `TypeError: cannot marshal None unless allow_none is enabled`; JSON-RPC the normal reply |
//!
//! Where this differs from Odoo: the faults are synthetic. Odoo retries a
//! serialization failure up to five times with a random backoff before the
//! client sees it; the emulator shows only the final failure, at once. The
//! messages of injected `error`s are the emulator's unless the rule gives
//! one. No public report shows Odoo or its hosting answering 429, so that
//! status tests a client's robustness rather than Odoo fidelity. A
//! `session_expired` fault on a web route also ends the caller's session,
//! so the client must log in again, as after a real expiry.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use http_body::Frame;

use crate::error::OdooError;
use crate::faults::{CallInfo, Decision, Effect, Entry};
use crate::value::Value;
use crate::wire::exception::PyException;

use super::call::record_rpc_call;
use super::connection::{Abort, ConnectionHandle};
use super::proxy_pages::proxy_error;
use super::AppState;

/// The message of the `TypeError` that Python's XML-RPC marshaller raises
/// for a `None` result when `allow_none` is off, as Odoo's `/xmlrpc` routes
/// call it.
pub const CANNOT_MARSHAL_NONE: &str = "cannot marshal None unless allow_none is enabled";

/// How long a truncated body waits after its first half before the
/// connection closes, so that hyper sends the half first.
const TRUNCATION_PAUSE: Duration = Duration::from_millis(20);

/// The journal outcome of a call that returned normally.
pub const OUTCOME_OK: &str = "ok";
/// The outcome of a `load` that returned `ids: False` and its error
/// messages: Odoo rolled it back, so it wrote nothing.
pub const OUTCOME_REJECTED: &str = "rejected";

/// A protocol's rendering of the responses that faults produce.
pub trait Dialect {
    /// Renders an exception as this protocol's error response.
    fn error_response(&self, exception: &PyException) -> Response;

    /// Renders a reply that carries no result.
    fn missing_result_response(&self) -> Response;

    /// Tells whether a method's `None` result fails to marshal, as on
    /// XML-RPC, where Odoo calls `dumps` with `allow_none=False`.
    fn rejects_none(&self) -> bool;

    /// Returns the text that, appended to a prefix of a valid body, makes
    /// it invalid: a closing tag or a brace that does not match.
    fn malformed_suffix(&self) -> &'static str;
}

/// A call being served: what the fault engine and the journal know of it,
/// and the fault that fired.
#[derive(Debug)]
pub struct TrackedCall {
    state: AppState,
    info: CallInfo,
    started: Instant,
    decision: Option<Decision>,
    connection: Option<ConnectionHandle>,
    /// The web session the call runs in, which `session_expired` ends.
    web_session: Option<String>,
    /// Whether the call was a `load` that reported errors and wrote
    /// nothing.
    rejected_load: bool,
}

impl TrackedCall {
    /// Starts tracking a request on `route` that arrived over `protocol`
    /// (`xmlrpc`, `xmlrpc-legacy`, `jsonrpc` or `web`).
    pub fn start(
        state: &AppState,
        protocol: &'static str,
        route: &str,
        connection: Option<ConnectionHandle>,
    ) -> Self {
        let info = CallInfo {
            protocol: protocol.to_owned(),
            route: route.to_owned(),
            now: state.emulator.clock().now_text(),
            ..CallInfo::default()
        };
        TrackedCall {
            state: state.clone(),
            info,
            started: Instant::now(),
            decision: None,
            connection,
            web_session: None,
            rejected_load: false,
        }
    }

    /// Returns what is known of the call, for a route to fill in.
    pub fn info_mut(&mut self) -> &mut CallInfo {
        &mut self.info
    }

    /// Notes the web session the call runs in.
    pub fn set_web_session(&mut self, session_id: &str, database: &str, uid: i64, login: &str) {
        self.web_session = Some(session_id.to_owned());
        self.info.database = Some(database.to_owned());
        self.info.uid = Some(uid);
        self.info.login = Some(login.to_owned());
    }

    /// Fills the database, user, model and method from the positional
    /// arguments of `service.method`, as `/xmlrpc` and `/jsonrpc` send
    /// them, and records them on the current span. The arguments of `db`
    /// calls are not read, because the first is the master password.
    pub fn describe_rpc(&mut self, service: &str, method: &str, params: &[Value]) {
        record_rpc_call(&tracing::Span::current(), service, method, params);
        let text = |index: usize| params.get(index).and_then(Value::as_str).map(str::to_owned);
        self.info.service = Some(service.to_owned());
        self.info.method = Some(method.to_owned());
        match (service, method) {
            ("common", "login" | "authenticate") => {
                self.info.database = text(0);
                self.info.login = text(1);
            }
            ("object", _) => {
                self.info.database = text(0);
                self.info.uid = params.get(1).and_then(uid_of);
                self.info.model = text(3);
                if matches!(method, "execute" | "execute_kw") {
                    self.info.method = text(4);
                }
            }
            _ => {}
        }
    }

    /// Fills in the login of a call that names only a uid. The lookup runs
    /// on the worker, as the call does, because a hand-off to the blocking
    /// pool cost about a quarter of the server's CPU time per `search_read`.
    fn fill_login(&mut self) {
        let (Some(database), Some(uid), None) = (
            self.info.database.as_deref(),
            self.info.uid,
            &self.info.login,
        ) else {
            return;
        };
        let Ok(database) = self.state.emulator.database(database) else {
            return;
        };
        let state = database
            .state
            .lock()
            .expect("a database lock is never poisoned");
        self.info.login = state
            .stored("res.users", uid, "login")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }

    /// Consults the fault engine about the call and applies the effects that
    /// replace it. Returns the response to send instead of running the
    /// call, or `None` to run it (after the delay of a `delay` effect).
    pub async fn intercept(&mut self, dialect: &impl Dialect) -> Option<Response> {
        self.fill_login();
        self.decide();
        let effect = self.decision.as_ref()?.effect.clone();
        match effect {
            Effect::Delay { ms } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                None
            }
            Effect::Hang { ms } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Some(self.abort(Abort::Close, "hang").await)
            }
            Effect::Reset => Some(self.abort(Abort::Reset, "reset").await),
            Effect::Http {
                status,
                retry_after,
            } => {
                let outcome = format!("http {status}");
                Some(self.record(proxy_error(status, retry_after), &outcome))
            }
            Effect::SessionExpired => {
                if let Some(id) = &self.web_session {
                    self.state.sessions.remove(id);
                }
                let exception = PyException::from(OdooError::session_expired());
                Some(self.raise(dialect, &exception))
            }
            Effect::Error { .. } | Effect::SerializationFailure => {
                let exception = self.injected_exception(&effect);
                Some(self.raise(dialect, &exception))
            }
            _ => None,
        }
    }

    fn decide(&mut self) {
        let mut engine = self
            .state
            .emulator
            .faults
            .lock()
            .expect("the fault lock is never poisoned");
        self.decision = engine.decide(&self.info);
        if let Some(decision) = &self.decision {
            tracing::debug!(
                rule_id = decision.rule_id,
                effect = decision.effect.name(),
                "fault rule fired"
            );
        }
    }

    fn injected_exception(&self, effect: &Effect) -> PyException {
        let kind = effect
            .error_kind()
            .expect("error effects are validated to name a known exception");
        let message = match effect {
            Effect::Error {
                message: Some(message),
                ..
            } => message.clone(),
            Effect::SerializationFailure => OdooError::serialization_failure().message,
            _ if kind == crate::ErrorKind::AccessDenied => OdooError::access_denied().message,
            _ => format!(
                "The emulator raised this {} for fault rule {}.",
                kind.short_name(),
                self.rule_id().unwrap_or_default()
            ),
        };
        PyException::from(OdooError::new(kind, message))
    }

    fn raise(&self, dialect: &impl Dialect, exception: &PyException) -> Response {
        let response = dialect.error_response(exception);
        self.record(response, exception.class.qualified_name())
    }

    /// Turns a call's result into what the client sees under a
    /// `marshal_none` fault: on XML-RPC, a committed call's result becomes
    /// the marshaller's `TypeError`.
    pub fn after_call(
        &mut self,
        result: Result<Value, PyException>,
        dialect: &impl Dialect,
    ) -> Result<Value, PyException> {
        self.rejected_load = self.info.method.as_deref() == Some("load")
            && matches!(&result, Ok(Value::Dict(reply)) if reply.get("ids") == Some(&Value::Bool(false)));
        match (self.effect(), result) {
            (Some(Effect::MarshalNone), Ok(_)) if dialect.rejects_none() => Err(
                PyException::of_kind(crate::ErrorKind::TypeError, CANNOT_MARSHAL_NONE),
            ),
            (_, result) => result,
        }
    }

    /// Tells whether the reply must leave out its result.
    pub fn result_missing(&self) -> bool {
        matches!(self.effect(), Some(Effect::ResultMissing))
    }

    /// Applies the effects that act on the response, writes the journal
    /// entry and returns the response to send. `outcome` is `ok` or the
    /// qualified name of the exception the call raised.
    pub async fn finish(
        self,
        dialect: &impl Dialect,
        response: Response,
        outcome: &str,
    ) -> Response {
        match self.effect().cloned() {
            Some(Effect::ResponseLost) => self.abort(Abort::Reset, "reset").await,
            Some(Effect::Truncated) => {
                let response = truncate(response).await;
                self.record(response, "truncated")
            }
            Some(Effect::Malformed) => {
                let response = malform(response, dialect.malformed_suffix()).await;
                self.record(response, "malformed")
            }
            Some(Effect::WrongContentType) => {
                let mut response = response;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                self.record(response, outcome)
            }
            _ => self.record(response, outcome),
        }
    }

    /// Writes the journal entry of a request that failed before it could
    /// be faulted, and returns its response.
    pub fn finish_unfaulted(self, response: Response, outcome: &str) -> Response {
        self.record(response, outcome)
    }

    fn effect(&self) -> Option<&Effect> {
        self.decision.as_ref().map(|decision| &decision.effect)
    }

    fn rule_id(&self) -> Option<u64> {
        self.decision.as_ref().map(|decision| decision.rule_id)
    }

    /// Journals the call and drops the connection without a response.
    async fn abort(&self, how: Abort, outcome: &str) -> Response {
        self.journal(outcome);
        match &self.connection {
            Some(connection) => match connection.abort(how).await {},
            // Only in-process router tests have no connection to drop.
            None => (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("odoo-emulator: fault {outcome}: no connection to drop in process"),
            )
                .into_response(),
        }
    }

    fn record(&self, response: Response, outcome: &str) -> Response {
        self.journal(outcome);
        response
    }

    fn journal(&self, outcome: &str) {
        let outcome = if outcome == OUTCOME_OK && self.rejected_load {
            OUTCOME_REJECTED
        } else {
            outcome
        };
        let info = &self.info;
        let entry = Entry {
            seq: 0,
            time: info.now.clone(),
            database: info.database.clone(),
            protocol: info.protocol.clone(),
            route: info.route.clone(),
            service: info.service.clone(),
            uid: info.uid,
            login: info.login.clone(),
            model: info.model.clone(),
            method: info.method.clone(),
            outcome: outcome.to_owned(),
            latency_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            rule_id: self.rule_id(),
            fault: self.effect().map(|effect| effect.name().to_owned()),
        };
        self.state.emulator.record_call(entry);
    }
}

/// Returns a uid as Odoo's `int()` reads it, for the journal.
fn uid_of(value: &Value) -> Option<i64> {
    match value {
        Value::Int(uid) => Some(*uid),
        Value::Str(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Returns the qualified exception name of a failed call, or `ok`.
pub fn outcome_of<T>(result: &Result<T, PyException>) -> &'static str {
    match result {
        Ok(_) => OUTCOME_OK,
        Err(exception) => exception.class.qualified_name(),
    }
}

async fn body_bytes(body: Body) -> Bytes {
    axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
}

/// Returns the index of the body's midpoint, moved back to a character
/// boundary when the body is UTF-8.
fn midpoint(bytes: &[u8]) -> usize {
    let mut middle = bytes.len() / 2;
    while middle > 0 && (bytes[middle] & 0b1100_0000) == 0b1000_0000 {
        middle -= 1;
    }
    middle
}

/// Keeps the status and headers, declares the full `Content-Length`, and
/// sends only the first half of the body before closing the connection.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = body_bytes(body).await;
    let half = bytes.slice(..midpoint(&bytes));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let body = TruncatedBody {
        part: Some(half),
        pause: Box::pin(tokio::time::sleep(TRUNCATION_PAUSE)),
    };
    Response::from_parts(parts, Body::new(body))
}

/// Replaces the body with its first half and a suffix that breaks it.
async fn malform(response: Response, suffix: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = body_bytes(body).await;
    let mut broken = bytes[..midpoint(&bytes)].to_vec();
    broken.extend_from_slice(suffix.as_bytes());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(broken))
}

/// A body that yields its part, waits briefly and then fails, which makes
/// hyper close the connection short of the declared length.
struct TruncatedBody {
    part: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(part) = self.part.take() {
            return Poll::Ready(Some(Ok(Frame::data(part))));
        }
        ready!(self.pause.as_mut().poll(cx));
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the truncated-body fault closes the connection",
        ))))
    }
}
