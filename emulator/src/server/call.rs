//! What every route does around an emulator call: a `tracing` span with
//! the call's database, model, method and user, the call itself, and a log
//! line with its outcome.
//!
//! Calls run on the runtime's worker thread rather than on the blocking
//! pool. They do no I/O and most take well under a millisecond, whereas
//! handing each one to a pool thread and back cost about a third of a
//! `search_read`'s CPU time in the throughput benchmark. A long call (a
//! search over 100,000 records takes about half a second) keeps its
//! worker for that time, and so does a call waiting for the database lock
//! that the long call holds. While every worker is held that way, other
//! connections and timers (a `delay` fault's included) wait too.
//!
//! Spans never carry passwords or API keys. For `common.login`,
//! `common.authenticate` and `object.*`, only the database, login or uid,
//! model and method are read from the positional arguments. The arguments
//! of `db.*` (whose first is the master password) are not read at all.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use tracing::field::{display, Empty};
use tracing::Span;

use crate::value::Value;
use crate::wire::exception::{PyException, RUNTIME_ERROR};

/// Creates the span for one call on `route`, with fields to fill later.
pub fn rpc_span(protocol: &'static str, route: &str) -> Span {
    tracing::info_span!(
        "rpc",
        protocol,
        route,
        service = Empty,
        database = Empty,
        user = Empty,
        model = Empty,
        method = Empty,
    )
}

/// Records the database, user, model and method found in the positional
/// arguments of a `service.method` call, leaving out every secret.
pub fn record_rpc_call(span: &Span, service: &str, method: &str, params: &[Value]) {
    span.record("service", service);
    span.record("method", method);
    let text = |index: usize| params.get(index).map(short_text);
    match (service, method) {
        ("common", "login" | "authenticate") => {
            record_opt(span, "database", text(0));
            record_opt(span, "user", text(1));
        }
        ("object", _) => {
            record_opt(span, "database", text(0));
            record_opt(span, "user", text(1));
            record_opt(span, "model", text(3));
            if matches!(method, "execute" | "execute_kw") {
                record_opt(span, "method", text(4));
            }
        }
        _ => {}
    }
}

fn record_opt(span: &Span, field: &'static str, value: Option<String>) {
    if let Some(value) = value {
        span.record(field, display(value));
    }
}

/// Returns a value as log text: strings bare, other scalars as Python
/// writes them, containers as their type only.
pub fn short_text(value: &Value) -> String {
    match value {
        Value::Str(text) => text.clone(),
        Value::List(_) | Value::Dict(_) | Value::Binary(_) => value.python_type().to_owned(),
        other => other.python_repr(),
    }
}

/// Runs an emulator call inside the current span and logs its outcome. A
/// panic in the call becomes a `RuntimeError`.
pub async fn run_call<T, F>(call: F) -> Result<T, PyException>
where
    F: FnOnce() -> Result<T, PyException>,
{
    let started = Instant::now();
    let result = catch_panics(call);
    log_outcome(&result, started);
    result
}

/// Runs `work` and turns a panic in it into a `RuntimeError`, so that the
/// client gets an error response rather than a closed connection. Routes
/// run their decoding and encoding through it as well as the call.
pub fn catch_panics<T>(work: impl FnOnce() -> Result<T, PyException>) -> Result<T, PyException> {
    panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let error = panic_message(payload.as_ref());
        tracing::error!(%error, "the emulator panicked while serving a call");
        Err(PyException::new(
            RUNTIME_ERROR,
            format!("the emulator failed while serving this call: {error}"),
        ))
    })
}

/// Returns the text a panic was raised with, as the default panic hook
/// prints it.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "Box<dyn Any>"
    }
}

fn log_outcome<T>(result: &Result<T, PyException>, started: Instant) {
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(_) => tracing::trace!(elapsed_ms, "call returned"),
        Err(error) => tracing::debug!(
            elapsed_ms,
            exception = error.class.qualified_name(),
            message = %error.message,
            "call raised"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn run_call_returns_the_result() {
        let result = run_call(|| Ok::<_, PyException>(7)).await;
        assert_eq!(result.ok(), Some(7));
    }

    #[tokio::test]
    async fn run_call_panic_raises_runtime_error() {
        let error = run_call(|| -> Result<(), PyException> { panic!("index out of range") })
            .await
            .expect_err("a panic is an error");
        assert_eq!(error.class.qualified_name(), RUNTIME_ERROR);
        assert_eq!(
            error.message,
            "the emulator failed while serving this call: index out of range"
        );
    }
}
