//! Reading request bodies under a size limit.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use bytes::Bytes;

use super::pages;

/// Odoo 17's `DEFAULT_MAX_CONTENT_LENGTH` in `odoo/http.py`: 128 MiB.
///
/// NOTE: Odoo 17 applies this limit only to form bodies on the werkzeug
/// versions it pins (before 2.3), so a real server reads a larger XML-RPC
/// or JSON body. The emulator rejects every larger body with HTTP 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 128 * 1024 * 1024;

/// Reads the whole body, or returns the error page to send: 413 when it
/// exceeds `limit` bytes, 400 when the connection fails.
pub async fn read_limited(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, Response> {
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        return Err(pages::payload_too_large(limit));
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(error) if is_length_limit(&error) => Err(pages::payload_too_large(limit)),
        Err(error) => {
            tracing::debug!(%error, "reading the request body failed");
            Err(pages::unreadable_body())
        }
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}
