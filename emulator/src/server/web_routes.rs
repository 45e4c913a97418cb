//! The web-session routes: `/web/session/authenticate`,
//! `/web/session/get_session_info`, `/web/session/destroy` and
//! `/web/dataset/call_kw` (with or without `/<model>/<method>` after it,
//! which Odoo ignores: the model and method come from `params`).
//!
//! Source: Odoo 17.0's `addons/web/controllers/session.py` and
//! `dataset.py`. Authentication checks the database first (`AccessError:
//! Database not found.`), then the password through the emulator, which
//! rejects API keys here as Odoo does. Each login gets a new session id,
//! sent as `session_id` with Odoo's cookie attributes (`Max-Age` of seven
//! days, `HttpOnly`, `Path=/`).
//!
//! Where it differs from Odoo 17: `destroy` sets no new cookie (Odoo sets
//! one for the anonymous session that follows), and argument type errors
//! have the emulator's wording.

use axum::extract::{Request, State};
use axum::response::Response;

use crate::error::OdooError;
use crate::value::{Dict, Value};
use crate::wire::exception::PyException;
use crate::wire::jsonrpc::required_arguments;

use super::call::run_call;
use super::faults::TrackedCall;
use super::json_routes::{
    describe_by_path, list_argument, serve_json, string_argument, Auth, JsonCall, JsonReply,
    JsonRoute,
};
use super::session::WebSession;
use super::AppState;

/// Odoo's `SESSION_LIFETIME`: the cookie's `Max-Age`, seven days.
pub const SESSION_LIFETIME_SECONDS: i64 = 7 * 24 * 60 * 60;

/// Serves `/web/session/authenticate`.
pub async fn authenticate(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/web/session/authenticate",
        function: "Session.authenticate",
        auth: Auth::None,
        protocol: "web",
        describe: describe_authenticate,
    };
    serve_json(state, request, route, login).await
}

/// Reads the database and login of `/web/session/authenticate`.
fn describe_authenticate(call: &mut TrackedCall, params: &Dict) {
    describe_by_path(call, params);
    let text = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
    let info = call.info_mut();
    info.database = text("db");
    info.login = text("login");
}

/// Reads the model and method of `/web/dataset/call_kw`.
fn describe_call_kw(call: &mut TrackedCall, params: &Dict) {
    let text = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
    let info = call.info_mut();
    info.model = text("model");
    info.method = text("method");
}

async fn login(call: JsonCall) -> JsonReply {
    match start_session(call).await {
        Ok((info, session_id)) => JsonReply {
            result: Ok(info),
            set_cookie: Some(session_cookie(&session_id)),
        },
        Err(exception) => Err(exception).into(),
    }
}

async fn start_session(call: JsonCall) -> Result<(Value, String), PyException> {
    let arguments = required_arguments(
        &call.params,
        call.route.function,
        &["db", "login", "password"],
    )?;
    let [db, login, password] = <[Value; 3]>::try_from(arguments).expect("three names taken");
    let (db, login) = (string_argument("db", db)?, string_argument("login", login)?);
    let password = string_argument("password", password)?;
    if !call.state.emulator.database_names().contains(&db) {
        return Err(OdooError::access("Database not found.").into());
    }
    let span = tracing::Span::current();
    span.record("database", db.as_str());
    span.record("user", login.as_str());

    let emulator = call.state.emulator.clone();
    let (db_for_login, login_for_call) = (db.clone(), login.clone());
    let uid = run_call(move || {
        emulator
            .web_login(&db_for_login, &login_for_call, &password)
            .map_err(Into::into)
    })
    .await?;

    if let Some((old_id, _)) = &call.session {
        call.state.sessions.remove(old_id);
    }
    let session = WebSession {
        database: db,
        uid,
        login,
    };
    let session_id = call.state.sessions.create(session.clone());
    let info = session_info(&call.state, session, session_id.clone()).await?;
    Ok((info, session_id))
}

async fn session_info(
    state: &AppState,
    session: WebSession,
    session_id: String,
) -> Result<Value, PyException> {
    let emulator = state.emulator.clone();
    let info = run_call(move || {
        emulator
            .session_info(&session.database, session.uid, &session_id)
            .map_err(Into::into)
    })
    .await?;
    Ok(Value::Dict(info))
}

/// Formats the `Set-Cookie` value Odoo sends after a login.
fn session_cookie(session_id: &str) -> String {
    let expires = chrono::Utc::now() + chrono::Duration::days(365);
    format!(
        "session_id={session_id}; Expires={}; Max-Age={SESSION_LIFETIME_SECONDS}; HttpOnly; Path=/",
        expires.format("%a, %d %b %Y %H:%M:%S GMT")
    )
}

/// Serves `/web/session/get_session_info`.
pub async fn get_session_info(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/web/session/get_session_info",
        function: "Session.get_session_info",
        auth: Auth::User,
        protocol: "web",
        describe: describe_by_path,
    };
    serve_json(state, request, route, |call| async move {
        let (session_id, session) = call.session.expect("auth=user routes have a session");
        session_info(&call.state, session, session_id).await.into()
    })
    .await
}

/// Serves `/web/session/destroy`, which returns nothing.
pub async fn destroy(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/web/session/destroy",
        function: "Session.destroy",
        auth: Auth::User,
        protocol: "web",
        describe: describe_by_path,
    };
    serve_json(state, request, route, |call| async move {
        let (session_id, _) = call.session.expect("auth=user routes have a session");
        call.state.sessions.remove(&session_id);
        Ok(Value::None).into()
    })
    .await
}

/// Serves `/web/dataset/call_kw` and `/web/dataset/call_kw/<path>`.
pub async fn call_kw(State(state): State<AppState>, request: Request) -> Response {
    let route = JsonRoute {
        path: "/web/dataset/call_kw",
        function: "DataSet.call_kw",
        auth: Auth::User,
        protocol: "web",
        describe: describe_call_kw,
    };
    serve_json(state, request, route, |call| async move {
        orm_call(call).await.into()
    })
    .await
}

async fn orm_call(call: JsonCall) -> Result<Value, PyException> {
    let names = ["model", "method", "args", "kwargs"];
    let arguments = required_arguments(&call.params, call.route.function, &names)?;
    let [model, method, args, kwargs] = <[Value; 4]>::try_from(arguments).expect("four names");
    let (model, method) = (
        string_argument("model", model)?,
        string_argument("method", method)?,
    );
    let args = list_argument("args", args)?;
    let kwargs = keyword_argument(kwargs)?;
    let span = tracing::Span::current();
    span.record("model", model.as_str());
    span.record("method", method.as_str());

    let (_, session) = call.session.expect("auth=user routes have a session");
    let emulator = call.state.emulator.clone();
    run_call(move || {
        emulator
            .call_kw(
                &session.database,
                session.uid,
                &model,
                &method,
                args,
                kwargs,
            )
            .map_err(Into::into)
    })
    .await
}

fn keyword_argument(value: Value) -> Result<Dict, PyException> {
    match value {
        Value::Dict(dict) => Ok(dict),
        other => Err(PyException::new(
            "builtins.TypeError",
            format!(
                "argument after ** must be a mapping, not {}",
                other.python_type()
            ),
        )),
    }
}
