//! The JSON-RPC routes and the steps they share, in Odoo 17's order.
//!
//! 1. The content type must be JSON, or the route returns an HTML 400 page.
//! 2. A route with `auth="user"` needs a live session, or it returns `Odoo
//!    Session Expired` with a `null` id, because Odoo checks the session
//!    before it reads the body.
//! 3. The body is parsed and the endpoint called.

use std::future::Future;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::error::OdooError;
use crate::service::Protocol;
use crate::value::{Dict, Value};
use crate::wire::exception::PyException;
use crate::wire::jsonrpc::{
    error_body, parse_request, required_arguments, result_body, EnvelopeError, JsonRpcRequest,
    INVALID_JSON, INVALID_JSON_RPC,
};

use super::body::read_limited;
use super::call::{catch_panics, rpc_span, run_call};
use super::connection::ConnectionHandle;
use super::faults::{outcome_of, Dialect, TrackedCall};
use super::session::WebSession;
use super::{pages, session_id, AppState};

/// The callers a route accepts, as its `auth=` argument sets in Odoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `auth="none"`: anyone.
    None,
    /// `auth="user"`: a logged-in web session.
    User,
}

/// A JSON route's declaration: its first path (which Odoo's messages
/// quote), the Python function name (which its `TypeError`s quote) and
/// who may call it.
#[derive(Debug, Clone, Copy)]
pub struct JsonRoute {
    pub path: &'static str,
    pub function: &'static str,
    pub auth: Auth,
    /// `jsonrpc` for `/jsonrpc`, `web` for the session routes, as fault
    /// rules and the journal name them.
    pub protocol: &'static str,
    /// Fills the service, model and method of a call from its `params`,
    /// for fault rules and the journal.
    pub describe: fn(&mut TrackedCall, &Dict),
}

/// A `describe` for routes whose method is the last segment of their
/// path, such as `/web/session/authenticate`.
pub fn describe_by_path(call: &mut TrackedCall, _params: &Dict) {
    let info = call.info_mut();
    let name = info.route.rsplit('/').next().unwrap_or_default().to_owned();
    info.method = Some(name);
}

/// The input of an endpoint.
#[derive(Debug)]
pub struct JsonCall {
    pub state: AppState,
    pub params: Dict,
    /// The caller's session and its id, when the request named a live one.
    pub session: Option<(String, WebSession)>,
    pub route: JsonRoute,
}

/// The output of an endpoint: the result or exception, and a `session_id`
/// cookie value to set.
#[derive(Debug)]
pub struct JsonReply {
    pub result: Result<Value, PyException>,
    pub set_cookie: Option<String>,
}

impl From<Result<Value, PyException>> for JsonReply {
    fn from(result: Result<Value, PyException>) -> Self {
        JsonReply {
            result,
            set_cookie: None,
        }
    }
}

/// Serves one request on a JSON route with `endpoint`.
pub async fn serve_json<F, Fut>(
    state: AppState,
    request: Request,
    route: JsonRoute,
    endpoint: F,
) -> Response
where
    F: FnOnce(JsonCall) -> Fut,
    Fut: Future<Output = JsonReply>,
{
    let span = rpc_span("jsonrpc", request.uri().path());
    let connection = request.extensions().get::<ConnectionHandle>().cloned();
    let mut call = TrackedCall::start(&state, route.protocol, request.uri().path(), connection);
    async move {
        if !is_json(request.headers()) {
            let page = pages::not_a_json_request(route.path);
            return call.finish_unfaulted(page, "http 400");
        }
        let session = session_id(&request)
            .and_then(|id| state.sessions.get(&id).map(|session| (id, session)));
        if let Some((id, session)) = &session {
            let span = tracing::Span::current();
            span.record("database", session.database.as_str());
            span.record("user", session.login.as_str());
            call.set_web_session(id, &session.database, session.uid, &session.login);
        }
        if route.auth == Auth::User && session.is_none() {
            let expired = PyException::from(OdooError::session_expired());
            let body = error_body(&Value::None, &expired, route.function);
            let outcome = expired.class.qualified_name();
            return call.finish_unfaulted(json_response(body, None), outcome);
        }

        let (parts, body) = request.into_parts();
        let envelope = match read_envelope(&state, parts, body, route).await {
            Ok(envelope) => envelope,
            Err((response, outcome)) => return call.finish_unfaulted(response, &outcome),
        };
        (route.describe)(&mut call, &envelope.params);
        let dialect = JsonDialect {
            id: envelope.id.clone(),
            function: route.function,
        };
        if let Some(response) = call.intercept(&dialect).await {
            return response;
        }

        let reply = endpoint(JsonCall {
            state,
            params: envelope.params,
            session,
            route,
        })
        .await;
        let result = call.after_call(reply.result, &dialect);
        let outcome = outcome_of(&result);
        let response = match &result {
            _ if call.result_missing() => return_missing(&dialect, reply.set_cookie),
            Ok(value) => {
                let body = catch_panics(|| Ok(result_body(&envelope.id, value))).unwrap_or_else(
                    |exception| error_body(&envelope.id, &exception, route.function),
                );
                json_response(body, reply.set_cookie)
            }
            Err(exception) => json_response(
                error_body(&envelope.id, exception, route.function),
                reply.set_cookie,
            ),
        };
        call.finish(&dialect, response, outcome).await
    }
    .instrument(span)
    .await
}

/// Reads and parses the JSON-RPC envelope, or returns the response for a
/// body that is too large or not JSON-RPC, with its journal outcome.
async fn read_envelope(
    state: &AppState,
    parts: axum::http::request::Parts,
    body: axum::body::Body,
    route: JsonRoute,
) -> Result<JsonRpcRequest, (Response, String)> {
    let bytes = match read_limited(body, &parts.headers, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(page) => {
            let outcome = format!("http {}", page.status().as_u16());
            return Err((page, outcome));
        }
    };
    let (id, exception) = match parse_request(&bytes) {
        Ok(envelope) => return Ok(envelope),
        Err(EnvelopeError::InvalidJson) => {
            return Err((pages::plain_bad_request(INVALID_JSON), "http 400".into()))
        }
        Err(EnvelopeError::InvalidJsonRpc) => {
            return Err((pages::plain_bad_request(INVALID_JSON_RPC), "http 400".into()))
        }
        Err(EnvelopeError::TooDeep) => (
            Value::None,
            PyException::new(
                crate::wire::exception::RECURSION_ERROR,
                "maximum recursion depth exceeded while decoding a JSON array from a unicode string",
            ),
        ),
        Err(EnvelopeError::InvalidParams { id, exception }) => (*id, *exception),
    };
    let outcome = exception.class.qualified_name().to_owned();
    let body = error_body(&id, &exception, route.function);
    Err((json_response(body, None), outcome))
}

/// Returns a reply with neither `result` nor `error`, keeping a login's
/// cookie.
fn return_missing(dialect: &JsonDialect, set_cookie: Option<String>) -> Response {
    let mut response = dialect.missing_result_response();
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The JSON-RPC dialect of one request: its id and the Python function
/// that Odoo's tracebacks name.
#[derive(Debug)]
struct JsonDialect {
    id: Value,
    function: &'static str,
}

impl Dialect for JsonDialect {
    fn error_response(&self, exception: &PyException) -> Response {
        json_response(error_body(&self.id, exception, self.function), None)
    }

    fn missing_result_response(&self) -> Response {
        let mut reply = Dict::default();
        reply.insert("jsonrpc".into(), Value::from("2.0"));
        reply.insert("id".into(), self.id.clone());
        let body = crate::wire::pyjson::to_json_text(&Value::Dict(reply))
            .unwrap_or_else(|_| "{\"jsonrpc\": \"2.0\", \"id\": null}".to_owned());
        json_response(body, None)
    }

    fn rejects_none(&self) -> bool {
        false
    }

    fn malformed_suffix(&self) -> &'static str {
        "}\n"
    }
}

/// Tells whether the request's media type is one Odoo's JSON dispatcher
/// accepts: `application/json` or `application/json-rpc`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media_type = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        media_type.as_str(),
        "application/json" | "application/json-rpc"
    )
}

fn json_response(body: String, set_cookie: Option<String>) -> Response {
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response();
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Serves `/jsonrpc`: `params` are `service`, `method` and `args`, as
/// Odoo's `RPC.jsonrpc` takes them.
pub async fn jsonrpc(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/jsonrpc",
        function: "RPC.jsonrpc",
        auth: Auth::None,
        protocol: "jsonrpc",
        describe: describe_jsonrpc,
    };
    serve_json(state, request, route, |call| async move {
        dispatch(call).await.into()
    })
    .await
}

/// Reads `service`, `method` and `args` as `/jsonrpc` takes them, leaving
/// the call undescribed when they have the wrong types.
fn describe_jsonrpc(call: &mut TrackedCall, params: &Dict) {
    let text = |name: &str| params.get(name).and_then(Value::as_str);
    let (Some(service), Some(method)) = (text("service"), text("method")) else {
        return;
    };
    let args = params
        .get("args")
        .and_then(Value::as_list)
        .unwrap_or_default();
    call.describe_rpc(service, method, args);
}

async fn dispatch(call: JsonCall) -> Result<Value, PyException> {
    let arguments = required_arguments(
        &call.params,
        call.route.function,
        &["service", "method", "args"],
    )?;
    let [service, method, args] = <[Value; 3]>::try_from(arguments).expect("three names taken");
    let Value::Str(service) = service else {
        return Err(OdooError::new(crate::ErrorKind::KeyError, service.python_repr()).into());
    };
    let method = string_argument("method", method)?;
    let params = list_argument("args", args)?;

    let emulator = call.state.emulator.clone();
    run_call(move || {
        emulator
            .serve_rpc(&service, &method, params, Protocol::JsonRpc)
            .map_err(PyException::from)
    })
    .await
}

/// Serves `/web/webclient/version_info`, which returns `common.version`.
pub async fn version_info(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/web/webclient/version_info",
        function: "WebClient.version_info",
        auth: Auth::None,
        protocol: "web",
        describe: |call, _| {
            let info = call.info_mut();
            info.service = Some("common".into());
            info.method = Some("version".into());
        },
    };
    serve_service_method(state, request, route, "common", "version").await
}

/// Serves `/web/database/list`, the JSON route with which Odoo's mobile
/// app lists the databases: the same list as the `db` service's `list`.
pub async fn database_list(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/web/database/list",
        function: "Database.list",
        auth: Auth::None,
        protocol: "web",
        describe: |call, _| {
            let info = call.info_mut();
            info.service = Some("db".into());
            info.method = Some("list".into());
        },
    };
    serve_service_method(state, request, route, "db", "list").await
}

/// Serves a route that calls `method` of `service` without arguments or
/// a session, as `version_info` and `database/list` do.
async fn serve_service_method(
    state: AppState,
    request: Request,
    route: JsonRoute,
    service: &'static str,
    method: &'static str,
) -> Response {
    serve_json(state, request, route, move |call| async move {
        let emulator = call.state.emulator.clone();
        let result = run_call(move || {
            emulator
                .serve_rpc(service, method, Vec::new(), Protocol::Web)
                .map_err(Into::into)
        })
        .await;
        result.into()
    })
    .await
}

/// Returns a string argument, or a `TypeError` naming it.
pub fn string_argument(name: &str, value: Value) -> Result<String, PyException> {
    match value {
        Value::Str(text) => Ok(text),
        other => Err(PyException::new(
            "builtins.TypeError",
            format!("{name} must be a string, not {}", other.python_type()),
        )),
    }
}

/// Returns a list argument, or a `TypeError` naming it.
pub fn list_argument(name: &str, value: Value) -> Result<Vec<Value>, PyException> {
    match value {
        Value::List(items) => Ok(items),
        other => Err(PyException::new(
            "builtins.TypeError",
            format!(
                "{name} must be a list of positional arguments, not {}",
                other.python_type()
            ),
        )),
    }
}
