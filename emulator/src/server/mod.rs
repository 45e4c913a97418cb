//! The HTTP server: every route of Odoo 17's external API over one
//! [`Emulator`], and the emulator's own `GET /_emulator/health`.
//!
//! | route | what |
//! |---|---|
//! | `POST /xmlrpc/2/<service>` | XML-RPC, integer fault codes |
//! | `POST /xmlrpc/<service>` | XML-RPC, legacy string fault codes |
//! | `/jsonrpc` | JSON-RPC: `params` are `service`, `method`, `args` |
//! | `/web/session/authenticate`, `get_session_info`, `destroy` | web sessions |
//! | `/web/dataset/call_kw`, `/web/dataset/call_kw/<path>` | ORM calls in a session |
//! | `/web/webclient/version_info` | `common.version` |
//! | `/_emulator/*` | the control API (see [`control`]) |
//!
//! Any other path gets werkzeug's 404 page, as on Odoo. Request bodies are
//! limited to [`DEFAULT_MAX_BODY_BYTES`] unless [`ServerConfig`] sets
//! another limit. Each call runs in a `tracing` span named `rpc` with its
//! protocol, route, database, user, model and method.
//!
//! For Rust tests, [`EmulatorServer::start`] serves on its own thread and
//! stops when dropped:
//!
//! ```no_run
//! use odoo_emulator::server::{EmulatorServer, ServerConfig};
//! use odoo_emulator::service::Emulator;
//!
//! let emulator = Emulator::from_builtin("odoo-17").expect("built-in profile");
//! let server = EmulatorServer::start(emulator, ServerConfig::loopback_any_port())
//!     .expect("a free loopback port");
//! println!("{}/xmlrpc/2/common", server.url());
//! ```
//!
//! Where it differs from Odoo 17: only these routes exist (no `/web/login`,
//! no static files), and JSON routes never depend on a database filter,
//! because a web session always names its database.

mod body;
mod call;
pub mod connection;
pub mod control;
pub mod faults;
mod json_routes;
mod pages;
pub mod proxy_pages;
mod running;
pub mod session;
mod web_routes;
mod xmlrpc_routes;

#[cfg(test)]
mod tests;

/// The stack size of the server's threads. Decoding is iterative, but
/// dropping and formatting a request's values recurses once per level of
/// nesting, and requests may nest more than 10,000 levels deep.
pub const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header;
use axum::routing::any;
use axum::Router;

use crate::service::Emulator;

pub use body::DEFAULT_MAX_BODY_BYTES;
pub use running::{serve, EmulatorServer};
pub use session::{SessionStore, WebSession};
pub use web_routes::SESSION_LIFETIME_SECONDS;

/// The listening address and request limit of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The address to listen on. Port 0 picks a free port.
    pub bind: SocketAddr,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The bearer token the control API requires, if any.
    pub control_token: Option<String>,
}

impl ServerConfig {
    /// Returns a configuration for `127.0.0.1` on a free port.
    pub fn loopback_any_port() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Self::default()
        }
    }
}

impl Default for ServerConfig {
    /// Returns Odoo's default address, `127.0.0.1:8069`, and body limit.
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8069)),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            control_token: None,
        }
    }
}

/// The state shared by every route.
#[derive(Debug, Clone)]
pub struct AppState {
    pub emulator: Emulator,
    pub sessions: Arc<SessionStore>,
    pub max_body_bytes: usize,
    /// The bearer token the control API requires, if any.
    pub control_token: Option<Arc<str>>,
}

impl AppState {
    /// Creates the state for one emulator with no sessions.
    pub fn new(emulator: Emulator, max_body_bytes: usize) -> Self {
        AppState {
            emulator,
            sessions: Arc::default(),
            max_body_bytes,
            control_token: None,
        }
    }

    /// Requires `token` as a bearer token on the control API.
    pub fn with_control_token(mut self, token: Option<String>) -> Self {
        self.control_token = token.map(Arc::from);
        self
    }
}

/// Builds the router with every route.
pub fn router(state: AppState) -> Router {
    let control = control::router(&state);
    Router::new()
        .route("/xmlrpc/2/{service}", any(xmlrpc_routes::xmlrpc_2))
        .route("/xmlrpc/{service}", any(xmlrpc_routes::xmlrpc_1))
        .route("/jsonrpc", any(json_routes::jsonrpc))
        .route("/web/session/authenticate", any(web_routes::authenticate))
        .route(
            "/web/session/get_session_info",
            any(web_routes::get_session_info),
        )
        .route("/web/session/destroy", any(web_routes::destroy))
        .route("/web/dataset/call_kw", any(web_routes::call_kw))
        .route("/web/dataset/call_kw/{*path}", any(web_routes::call_kw))
        .route(
            "/web/webclient/version_info",
            any(json_routes::version_info),
        )
        .route("/web/database/list", any(json_routes::database_list))
        .nest("/_emulator", control)
        .fallback(|| async { pages::not_found() })
        .with_state(state)
}

/// Returns the session id a request names, looked up as Odoo 17 does: the
/// `session_id` query parameter, then the `X-Openerp-Session-Id` header,
/// then the `session_id` cookie.
fn session_id(request: &Request) -> Option<String> {
    let from_query = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("session_id=").map(str::to_owned))
    });
    let from_header = || {
        let value = request.headers().get("x-openerp-session-id")?;
        value.to_str().ok().map(str::to_owned)
    };
    let from_cookie = || {
        request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .find_map(|value| {
                value
                    .to_str()
                    .ok()?
                    .split(';')
                    .find_map(|pair| pair.trim().strip_prefix("session_id=").map(str::to_owned))
            })
    };
    from_query
        .filter(|id| !id.is_empty())
        .or_else(from_header)
        .or_else(from_cookie)
}
