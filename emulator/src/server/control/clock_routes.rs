//! Control routes for the emulator's clock, which sets `create_date`,
//! `write_date`, `now` defaults and the time of journal entries and of
//! fault schedules with `after`.
//!
//! Times are UTC, written `YYYY-MM-DD HH:MM:SS` as Odoo stores them; the
//! ISO form with a `T` is accepted too.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::json;

use super::{json_response, parse_body, ControlResult, Failure};
use crate::clock::OutOfRange;
use crate::server::AppState;

/// Returns the clock's state as every clock route does.
fn clock_state(state: &AppState) -> ControlResult {
    let clock = state.emulator.clock();
    Ok(json_response(
        StatusCode::OK,
        json!({"now": clock.now_text(), "frozen": clock.is_frozen()}),
    ))
}

/// Serves `GET /_emulator/clock`.
pub async fn current(State(state): State<AppState>) -> ControlResult {
    clock_state(&state)
}

/// The body of `POST clock/freeze` and `POST clock/set`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AtRequest {
    #[serde(default)]
    at: Option<String>,
}

fn parse_time(text: &str) -> Result<NaiveDateTime, Failure> {
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text.trim(), format).ok())
        .ok_or_else(|| {
            Failure::invalid(format!(
                "invalid time {text:?}: expected YYYY-MM-DD HH:MM:SS (UTC)"
            ))
        })
}

fn out_of_range(error: OutOfRange) -> Failure {
    tracing::warn!(%error, "clock change rejected");
    Failure::invalid(error.to_string())
}

/// Serves `POST /_emulator/clock/freeze`: stops the clock at `at`, or at
/// the current time when the body is empty.
pub async fn freeze(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: AtRequest = parse_body(&body, Some(AtRequest::default()))?;
    let at = match request.at {
        Some(text) => parse_time(&text)?,
        None => state.emulator.clock().now(),
    };
    state.emulator.clock().freeze(at).map_err(out_of_range)?;
    tracing::info!(%at, "clock frozen");
    clock_state(&state)
}

/// Serves `POST /_emulator/clock/set`: moves the clock to `at` and leaves
/// it frozen or running as it was.
pub async fn set(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: AtRequest = parse_body(&body, None)?;
    let text = request
        .at
        .ok_or_else(|| Failure::invalid("missing `at`: the time to set"))?;
    let at = parse_time(&text)?;
    state.emulator.clock().set(at).map_err(out_of_range)?;
    tracing::info!(%at, "clock set");
    clock_state(&state)
}

/// The body of `POST clock/advance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    /// Seconds to move forward; negative moves back.
    seconds: i64,
}

/// Serves `POST /_emulator/clock/advance`.
pub async fn advance(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let request: AdvanceRequest = parse_body(&body, None)?;
    let by = chrono::Duration::try_seconds(request.seconds)
        .ok_or_else(|| out_of_range(OutOfRange { requested: None }))?;
    state.emulator.clock().advance(by).map_err(out_of_range)?;
    tracing::info!(seconds = request.seconds, "clock advanced");
    clock_state(&state)
}

/// Serves `POST /_emulator/clock/unfreeze`: back to real time.
pub async fn unfreeze(State(state): State<AppState>) -> ControlResult {
    state.emulator.clock().unfreeze();
    tracing::info!("clock back to real time");
    clock_state(&state)
}
