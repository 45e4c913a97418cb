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
    error_body, parse_request, required_arguments, result_body, EnvelopeError, INVALID_JSON,
    INVALID_JSON_RPC,
};

use super::body::read_limited;
use super::call::{record_rpc_call, rpc_span, run_blocking};
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
    async move {
        if !is_json(request.headers()) {
            return pages::not_a_json_request(route.path);
        }
        let session = session_id(&request)
            .and_then(|id| state.sessions.get(&id).map(|session| (id, session)));
        if route.auth == Auth::User && session.is_none() {
            let expired = PyException::from(OdooError::session_expired());
            return json_response(error_body(&Value::None, &expired, route.function), None);
        }
        if let Some((_, session)) = &session {
            let span = tracing::Span::current();
            span.record("database", session.database.as_str());
            span.record("user", session.login.as_str());
        }

        let (parts, body) = request.into_parts();
        let bytes = match read_limited(body, &parts.headers, state.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(page) => return page,
        };
        let envelope = match parse_request(&bytes) {
            Ok(envelope) => envelope,
            Err(EnvelopeError::InvalidJson) => return pages::plain_bad_request(INVALID_JSON),
            Err(EnvelopeError::InvalidJsonRpc) => {
                return pages::plain_bad_request(INVALID_JSON_RPC)
            }
            Err(EnvelopeError::TooDeep) => {
                let exception = PyException::new(
                    crate::wire::exception::RECURSION_ERROR,
                    "maximum recursion depth exceeded while decoding a JSON array from a unicode string",
                );
                return json_response(error_body(&Value::None, &exception, route.function), None);
            }
            Err(EnvelopeError::InvalidParams { id, exception }) => {
                return json_response(error_body(&id, &exception, route.function), None)
            }
        };

        let call = JsonCall {
            state,
            params: envelope.params,
            session,
            route,
        };
        let reply = endpoint(call).await;
        let body = match &reply.result {
            Ok(result) => result_body(&envelope.id, result),
            Err(exception) => error_body(&envelope.id, exception, route.function),
        };
        json_response(body, reply.set_cookie)
    }
    .instrument(span)
    .await
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
    };
    serve_json(state, request, route, |call| async move {
        dispatch(call).await.into()
    })
    .await
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
    record_rpc_call(&tracing::Span::current(), &service, &method, &params);

    let emulator = call.state.emulator.clone();
    run_blocking(move || {
        emulator
            .dispatch_rpc(&service, &method, params, Protocol::JsonRpc)
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
    };
    serve_json(state, request, route, |call| async move {
        let emulator = call.state.emulator.clone();
        let result = run_blocking(move || {
            emulator
                .dispatch_rpc("common", "version", Vec::new(), Protocol::Web)
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
