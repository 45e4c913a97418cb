//! The fake SaaS's HTTP API, the system an integration syncs from.
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/changes?after=SEQ&limit=N` | `{"changes": [...], "last_seq": N, "has_more": bool}` |
//! | `GET /v1/<entity>/<id>` | `{id, version, deleted, data}`, or 404 |
//! | `POST /v1/sync-report` | records `{entity, id, error, retryable}`; 204 |
//!
//! `last_seq` is the sequence number of the latest change in the whole
//! feed, so a client can tell how far it has to read. The cursor for the
//! next request is the `seq` of the last change in the page. `has_more`
//! tells whether changes remain after the page.
//! `limit` defaults to [`DEFAULT_LIMIT`] and may not exceed [`MAX_LIMIT`].
//! A malformed request gets 400 with `{"error": "..."}`, so an integration
//! that builds its URLs wrongly finds out at once.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::entity::Entity;
use super::store::{Report, SaasStore};

/// The page size when a request gives no `limit`.
pub const DEFAULT_LIMIT: usize = 100;

/// The largest page a request may ask for.
pub const MAX_LIMIT: usize = 1000;

/// The store shared by the routes and the runner.
pub type SharedStore = Arc<Mutex<SaasStore>>;

/// A running fake SaaS, stopped when dropped.
#[derive(Debug)]
pub struct SaasServer {
    address: SocketAddr,
    store: SharedStore,
    stop: Option<oneshot::Sender<()>>,
}

impl SaasServer {
    /// Serves `store` on a free loopback port, on the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the port.
    pub async fn start(store: SharedStore) -> std::io::Result<SaasServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(store.clone());
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, %address, "the fake SaaS stopped serving");
            }
        });
        Ok(SaasServer {
            address,
            store,
            stop: Some(stop),
        })
    }

    /// Returns the base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }
}

impl Drop for SaasServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Builds the router over a store.
pub fn router(store: SharedStore) -> Router {
    Router::new()
        .route("/v1/changes", get(changes))
        .route("/v1/sync-report", post(sync_report))
        .route("/v1/{entity}/{id}", get(record))
        .fallback(|| async { bad_request(StatusCode::NOT_FOUND, "no such route") })
        .with_state(store)
}

fn bad_request(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    after: Option<String>,
    limit: Option<String>,
}

async fn changes(State(store): State<SharedStore>, Query(query): Query<ChangesQuery>) -> Response {
    let after = match query.after.as_deref().map(str::parse::<u64>) {
        None => 0,
        Some(Ok(after)) => after,
        Some(Err(_)) => {
            return bad_request(StatusCode::BAD_REQUEST, "`after` must be an integer >= 0")
        }
    };
    let limit = match query.limit.as_deref().map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if (1..=MAX_LIMIT).contains(&limit) => limit,
        Some(_) => {
            let message = format!("`limit` must be an integer from 1 to {MAX_LIMIT}");
            return bad_request(StatusCode::BAD_REQUEST, &message);
        }
    };
    let store = store.lock().expect("the SaaS store lock is never poisoned");
    let page = store.changes_after(after, limit);
    let last_seq = store.changes().len() as u64;
    let has_more = page.last().is_some_and(|change| change.seq < last_seq);
    Json(json!({ "changes": page, "last_seq": last_seq, "has_more": has_more })).into_response()
}

async fn record(
    State(store): State<SharedStore>,
    Path((entity, id)): Path<(String, String)>,
) -> Response {
    let Some(entity) = Entity::parse(&entity) else {
        return bad_request(StatusCode::NOT_FOUND, "no such entity");
    };
    let store = store.lock().expect("the SaaS store lock is never poisoned");
    match store.record(entity, &id) {
        Some(record) => Json(json!(record)).into_response(),
        None => bad_request(StatusCode::NOT_FOUND, "no such record"),
    }
}

async fn sync_report(State(store): State<SharedStore>, body: axum::body::Bytes) -> Response {
    let report = match parse_report(&body) {
        Ok(report) => report,
        Err(message) => return bad_request(StatusCode::BAD_REQUEST, &message),
    };
    tracing::debug!(
        entity = report.entity,
        id = report.id,
        "sync report received"
    );
    store
        .lock()
        .expect("the SaaS store lock is never poisoned")
        .add_report(report);
    StatusCode::NO_CONTENT.into_response()
}

fn parse_report(body: &[u8]) -> Result<Report, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("`{key}` is missing or not a string"))
    };
    let entity = text("entity")?;
    if Entity::parse(&entity).is_none() {
        return Err(format!(
            "unknown entity {entity:?}: use customer, product or order"
        ));
    }
    let retryable = value
        .get("retryable")
        .and_then(Value::as_bool)
        .ok_or("`retryable` is missing or not true or false")?;
    Ok(Report {
        entity,
        id: text("id")?,
        error: text("error")?,
        retryable,
        pass: 0,
    })
}
