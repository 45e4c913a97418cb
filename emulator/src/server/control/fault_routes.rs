//! Control routes for fault rules and the call journal.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultRule;

use super::{json_response, ControlResult, Failure};
use crate::server::AppState;

/// Serves `GET /_emulator/faults`: the rules in the order they are tried.
pub async fn list(State(state): State<AppState>) -> ControlResult {
    Ok(json_response(
        StatusCode::OK,
        json!({"faults": state.emulator.faults()}),
    ))
}

/// Serves `POST /_emulator/faults`: validates and installs one rule and
/// returns it with its id.
pub async fn add(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let rule: FaultRule = serde_json::from_slice(&body).map_err(|error| {
        // Text that is not JSON gets the message of the other control
        // routes. JSON that is not a rule gets one naming what is wrong.
        if error.is_data() {
            Failure::invalid(format!("invalid fault rule: {error}"))
        } else {
            Failure::invalid(format!("invalid JSON request body: {error}"))
        }
    })?;
    let rule = state.emulator.add_fault(rule)?;
    tracing::info!(
        rule_id = rule.id,
        effect = rule.effect.name(),
        "fault rule added"
    );
    let body = serde_json::to_value(&rule).expect("a fault rule always serializes");
    Ok(json_response(StatusCode::CREATED, body))
}

/// Serves `DELETE /_emulator/faults/{id}`.
pub async fn delete_one(State(state): State<AppState>, Path(id): Path<String>) -> ControlResult {
    let id: u64 = id.parse().map_err(|_| {
        Failure::invalid(format!("invalid fault rule id {id:?}: expected a number"))
    })?;
    state.emulator.delete_fault(id)?;
    tracing::info!(rule_id = id, "fault rule deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Serves `DELETE /_emulator/faults`: removes every rule.
pub async fn clear(State(state): State<AppState>) -> ControlResult {
    state.emulator.clear_faults();
    tracing::info!("every fault rule deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The query of `GET journal`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    /// Only calls on this database.
    database: Option<String>,
    /// Only entries with a larger sequence number.
    #[serde(default)]
    since: u64,
    /// `json` (the default) or `jsonl`.
    format: Option<String>,
}

/// Serves `GET /_emulator/journal`: as one JSON document with the entries,
/// the count dropped because the journal was full and the last sequence
/// number (to pass as `since` next time), or as JSON lines, one entry a
/// line.
pub async fn journal(
    State(state): State<AppState>,
    query: Result<Query<JournalQuery>, QueryRejection>,
) -> ControlResult {
    let Query(query) = query.map_err(|rejection| {
        Failure::invalid(format!(
            "invalid journal query: {}; use database=NAME, since=N and format=json or jsonl",
            rejection.body_text()
        ))
    })?;
    let entries = state
        .emulator
        .journal(query.since, query.database.as_deref());
    match query.format.as_deref() {
        None | Some("json") => {
            let last = entries.last().map_or(query.since, |entry| entry.seq);
            let body = json!({
                "entries": entries,
                "dropped": state.emulator.journal_dropped(),
                "last": last,
            });
            Ok(json_response(StatusCode::OK, body))
        }
        Some("jsonl") => {
            let mut text = String::new();
            for entry in &entries {
                text.push_str(&serde_json::to_string(entry).expect("an entry always serializes"));
                text.push('\n');
            }
            let content_type = [(header::CONTENT_TYPE, "application/x-ndjson")];
            Ok((StatusCode::OK, content_type, text).into_response())
        }
        Some(other) => Err(Failure::invalid(format!(
            "invalid journal format {other:?}: use json or jsonl"
        ))),
    }
}

/// Serves `DELETE /_emulator/journal`: removes every entry. Sequence
/// numbers keep counting, so a reader's `since` stays valid.
pub async fn clear_journal(State(state): State<AppState>) -> ControlResult {
    state.emulator.clear_journal();
    Ok(StatusCode::NO_CONTENT.into_response())
}
