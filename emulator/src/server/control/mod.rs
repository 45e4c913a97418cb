//! The control API under `/_emulator/`: JSON routes that tests and
//! scenarios use to reset state, take snapshots, inject faults, read the
//! journal, move the clock and change a database's schema at run time.
//!
//! | route | what |
//! |---|---|
//! | `GET health` | `{"status": "ok", "version", "databases"}` |
//! | `POST reset` | back to the profile's seed: all databases, or `{"database": NAME}` |
//! | `GET, POST snapshots` | list; save `{"name", "database"?}` |
//! | `POST snapshots/{name}/restore`, `DELETE snapshots/{name}` | restore, delete |
//! | `POST snapshots/export`, `POST snapshots/import` | to and from a JSON state file |
//! | `GET, POST, DELETE faults`, `DELETE faults/{id}` | fault rules |
//! | `GET, DELETE journal` | the call journal (`?database=`, `?since=`, `?format=jsonl`) |
//! | `GET clock`, `POST clock/{freeze,advance,set,unfreeze}` | the emulator's clock |
//! | `POST instance` | runtime schema and access changes for one database |
//!
//! Every failure is a 4xx status with a JSON body `{"error": MESSAGE}`.
//! When a control token is configured, every route except `health` needs
//! `Authorization: Bearer TOKEN`; `health` stays open so that readiness
//! checks need no secret.
//!
//! A request with an `Origin` header other than a loopback one gets 403.
//! Browsers add that header to the requests a web page makes. They send a
//! form or `text/plain` POST to another site without a preflight check,
//! so a page open in the developer's browser could otherwise reset the
//! state or write state files through a server on `127.0.0.1`. Test
//! clients (curl, reqwest, Python) send no `Origin`.

mod clock_routes;
mod fault_routes;
mod state_routes;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::control::ControlError;

use super::AppState;

/// Builds the routes under `/_emulator`, to nest there.
pub fn router(state: &AppState) -> Router<AppState> {
    let guarded = Router::new()
        .route("/reset", post(state_routes::reset))
        .route(
            "/snapshots",
            get(state_routes::list_snapshots).post(state_routes::save_snapshot),
        )
        .route("/snapshots/export", post(state_routes::export_state))
        .route("/snapshots/import", post(state_routes::import_state))
        .route("/snapshots/{name}", delete(state_routes::delete_snapshot))
        .route(
            "/snapshots/{name}/restore",
            post(state_routes::restore_snapshot),
        )
        .route("/instance", post(state_routes::change_instance))
        .route(
            "/faults",
            get(fault_routes::list)
                .post(fault_routes::add)
                .delete(fault_routes::clear),
        )
        .route("/faults/{id}", delete(fault_routes::delete_one))
        .route(
            "/journal",
            get(fault_routes::journal).delete(fault_routes::clear_journal),
        )
        .route("/clock", get(clock_routes::current))
        .route("/clock/freeze", post(clock_routes::freeze))
        .route("/clock/advance", post(clock_routes::advance))
        .route("/clock/set", post(clock_routes::set))
        .route("/clock/unfreeze", post(clock_routes::unfreeze))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .route_layer(middleware::from_fn(reject_foreign_origin));
    Router::new()
        .route("/health", any(health))
        .merge(guarded)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(unknown_route)
}

/// A failed control request: a status and a message for `{"error": ...}`.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
}

impl Failure {
    /// Returns a 400 failure for invalid input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> Self {
        Failure {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        tracing::debug!(status = self.status.as_u16(), message = %self.message, "control request failed");
        (self.status, Json(json!({"error": self.message}))).into_response()
    }
}

impl From<ControlError> for Failure {
    fn from(error: ControlError) -> Self {
        let message = error.to_string();
        match error {
            ControlError::UnknownDatabase(_)
            | ControlError::UnknownSnapshot(_)
            | ControlError::UnknownRule(_) => Failure::not_found(message),
            ControlError::Invalid(_) | ControlError::File(_) => Failure::invalid(message),
        }
    }
}

/// The result of a control handler.
pub type ControlResult = Result<Response, Failure>;

/// Parses a JSON request body. An empty body parses as `default` when one
/// is given, so `POST /_emulator/reset` needs no body.
pub fn parse_body<T: DeserializeOwned>(body: &Bytes, default: Option<T>) -> Result<T, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if let Some(default) = default {
            return Ok(default);
        }
        return Err(Failure::invalid(
            "missing JSON request body; see the control API in the README",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|error| Failure::invalid(format!("invalid JSON request body: {error}")))
}

/// Rejects requests that a web page on another host sent from a browser.
async fn reject_foreign_origin(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN);
    match origin.map(|value| value.to_str().map(is_loopback_origin)) {
        None | Some(Ok(true)) => next.run(request).await,
        Some(_) => {
            let origin_text = origin.map_or_else(String::new, |value| {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            });
            tracing::warn!(origin = %origin_text, path = %request.uri().path(), "rejected a control request from a web page");
            Failure {
                status: StatusCode::FORBIDDEN,
                message: format!(
                    "control requests from web pages are rejected unless the page is on a \
                     loopback address (Origin: {origin_text}); send the request without an Origin \
                     header"
                ),
            }
            .into_response()
        }
    }
}

/// Tells whether an `Origin` value (`scheme://host[:port]`) names a
/// loopback host: `localhost`, `127.0.0.0/8` or `[::1]`.
fn is_loopback_origin(origin: &str) -> bool {
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(host, _)| host),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|address| address.is_loopback())
}

/// Checks the bearer token when one is configured.
async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.control_token.as_deref() else {
        return next.run(request).await;
    };
    match bearer_token(request.headers()) {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => {
            next.run(request).await
        }
        given => {
            let message = if given.is_some() {
                "invalid control token"
            } else {
                "missing control token: send Authorization: Bearer TOKEN"
            };
            let mut response = Failure {
                status: StatusCode::UNAUTHORIZED,
                message: message.into(),
            }
            .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            response
        }
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

/// Serves `GET /_emulator/health`: the version and databases served, in
/// compact JSON as every control route returns.
async fn health(State(state): State<AppState>, method: Method) -> ControlResult {
    if method != Method::GET && method != Method::HEAD {
        return Err(method_not_allowed_failure());
    }
    let body = json!({
        "status": "ok",
        "version": state.emulator.version().server_version(),
        "databases": state.emulator.database_names(),
    });
    Ok(json_response(StatusCode::OK, body))
}

fn method_not_allowed_failure() -> Failure {
    Failure {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "this control route does not take that HTTP method; see the README".into(),
    }
}

async fn method_not_allowed() -> Failure {
    method_not_allowed_failure()
}

/// Returns the 404 for a path under `/_emulator` that no route takes. Nesting strips
/// the prefix from the request's path, so it is added back.
async fn unknown_route(method: Method, request: Request) -> Failure {
    Failure::not_found(format!(
        "no control route {method} /_emulator{}; see the control API in the README",
        request.uri().path()
    ))
}

/// Returns a JSON response with a status.
pub fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod origin_tests {
    use super::is_loopback_origin;

    #[test]
    fn loopback_origins_accepted() {
        for origin in [
            "http://127.0.0.1:8069",
            "http://127.1.2.3",
            "http://localhost:3000",
            "https://LOCALHOST",
            "http://[::1]:8069",
        ] {
            assert!(is_loopback_origin(origin), "{origin}");
        }
    }

    #[test]
    fn other_origins_rejected() {
        for origin in [
            "https://evil.example",
            "null",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:8069",
            "http://[::1",
            "http://[::2]:8069",
            "http://10.0.0.1",
            "file://",
        ] {
            assert!(!is_loopback_origin(origin), "{origin}");
        }
    }
}
