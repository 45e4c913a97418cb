//! Control routes over database state: reset, snapshots, state files and
//! runtime instance changes.

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::control::InstanceChange;

use super::{json_response, parse_body, ControlResult, Failure};
use crate::server::AppState;

/// The body of `POST reset`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    /// One database to reset; every database when absent.
    #[serde(default)]
    database: Option<String>,
}

/// Serves `POST /_emulator/reset`.
pub async fn reset(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: ResetRequest = parse_body(&body, Some(ResetRequest::default()))?;
    let names = state.emulator.reset(request.database.as_deref())?;
    tracing::info!(databases = ?names, "databases reset to their seed");
    Ok(json_response(StatusCode::OK, json!({"reset": names})))
}

/// Serves `GET /_emulator/snapshots`.
pub async fn list_snapshots(State(state): State<AppState>) -> ControlResult {
    let snapshots: Vec<_> = state
        .emulator
        .snapshots()
        .into_iter()
        .map(|(name, databases)| json!({"name": name, "databases": databases}))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        json!({"snapshots": snapshots}),
    ))
}

/// The body of `POST snapshots`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveRequest {
    name: String,
    #[serde(default)]
    database: Option<String>,
}

/// Serves `POST /_emulator/snapshots`: saves the current state.
pub async fn save_snapshot(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: SaveRequest = parse_body(&body, None)?;
    let databases = state
        .emulator
        .save_snapshot(&request.name, request.database.as_deref())?;
    Ok(json_response(
        StatusCode::CREATED,
        json!({"name": request.name, "databases": databases}),
    ))
}

/// Serves `POST /_emulator/snapshots/{name}/restore`.
pub async fn restore_snapshot(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ControlResult {
    let databases = state.emulator.restore_snapshot(&name)?;
    tracing::info!(snapshot = name, ?databases, "snapshot restored");
    Ok(json_response(
        StatusCode::OK,
        json!({"restored": databases, "snapshot": name}),
    ))
}

/// Serves `DELETE /_emulator/snapshots/{name}`.
pub async fn delete_snapshot(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ControlResult {
    state.emulator.delete_snapshot(&name)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The body of `POST snapshots/export`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportRequest {
    /// The file to write; a relative path is relative to the emulator's
    /// working directory.
    path: PathBuf,
    #[serde(default)]
    database: Option<String>,
    /// A saved snapshot to export instead of the current state.
    #[serde(default)]
    snapshot: Option<String>,
}

/// Serves `POST /_emulator/snapshots/export`.
pub async fn export_state(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: ExportRequest = parse_body(&body, None)?;
    let emulator = state.emulator.clone();
    let path = request.path.clone();
    let databases = tokio::task::spawn_blocking(move || {
        emulator.export_state(
            &path,
            request.database.as_deref(),
            request.snapshot.as_deref(),
        )
    })
    .await
    .map_err(|error| Failure::invalid(format!("the export failed: {error}")))??;
    // The reply names the file by its absolute path, so that a client
    // that sent a relative one learns where the server wrote it.
    let written = std::path::absolute(&request.path).unwrap_or(request.path);
    tracing::info!(path = %written.display(), ?databases, "state exported");
    Ok(json_response(
        StatusCode::OK,
        json!({"path": written, "databases": databases}),
    ))
}

/// The body of `POST snapshots/import`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportRequest {
    path: PathBuf,
    /// Save the file's state as this snapshot instead of restoring it.
    #[serde(default)]
    name: Option<String>,
}

/// Serves `POST /_emulator/snapshots/import`.
pub async fn import_state(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: ImportRequest = parse_body(&body, None)?;
    let emulator = state.emulator.clone();
    let (path, name) = (request.path.clone(), request.name.clone());
    let databases =
        tokio::task::spawn_blocking(move || emulator.import_state(&path, name.as_deref()))
            .await
            .map_err(|error| Failure::invalid(format!("the import failed: {error}")))??;
    tracing::info!(path = %request.path.display(), ?databases, "state imported");
    let response = match request.name {
        Some(name) => json_response(
            StatusCode::CREATED,
            json!({"name": name, "databases": databases}),
        ),
        None => json_response(StatusCode::OK, json!({"restored": databases})),
    };
    Ok(response)
}

/// Serves `POST /_emulator/instance`: the body is an instance change in
/// the profile format (`models`, `grant`, `revoke`, `rules`) with the
/// `database` it applies to, which may be left out when one is served.
pub async fn change_instance(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let mut object: serde_json::Map<String, serde_json::Value> = parse_body(&body, None)?;
    let database = match object.remove("database") {
        Some(serde_json::Value::String(name)) => name,
        Some(other) => {
            return Err(Failure::invalid(format!(
                "`database` must be a string, not {other}"
            )))
        }
        None => only_database(&state)?,
    };
    let change: InstanceChange = serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|error| Failure::invalid(format!("invalid instance change: {error}")))?;
    if crate::control::is_empty_change(&change) {
        return Err(Failure::invalid(
            "empty instance change: give `models`, `grant`, `revoke` or `rules`",
        ));
    }
    let emulator = state.emulator.clone();
    let target = database.clone();
    tokio::task::spawn_blocking(move || emulator.change_instance(&target, &change))
        .await
        .map_err(|error| Failure::invalid(format!("the instance change failed: {error}")))??;
    tracing::info!(database, "instance changed");
    Ok(json_response(
        StatusCode::OK,
        json!({"database": database, "changed": true}),
    ))
}

fn only_database(state: &AppState) -> Result<String, Failure> {
    let mut names = state.emulator.database_names();
    if names.len() == 1 {
        return Ok(names.remove(0));
    }
    Err(Failure::invalid(format!(
        "missing `database`: this emulator serves {}",
        names.join(", ")
    )))
}
