//! The HTTP transport that the Odoo and SaaS clients share: blocking
//! `reqwest` with a per-call timeout, and failures classified into
//! [`ErrorKind`]s.
//!
//! The engine is blocking by design. A pass applies changes one at a time
//! and in feed order, because concurrent writes to one record only cause
//! more serialization failures in Odoo. An async runtime would add nothing
//! but a second way to block. `reqwest`'s
//! blocking client runs its own small runtime on a thread of its own,
//! which is why [`crate::run_pass`] runs the pass on a dedicated thread:
//! it can then be called from anywhere, even inside an async runtime.
//!
//! Redirects are not followed. A POST redirected to another address turns
//! into a GET there and fails in confusing ways, so a 3xx answer is a
//! configuration error that names the address to use instead.

use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};

use crate::error::{ErrorKind, SyncError, SyncResult};

/// A response whose status the caller decides about.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
    /// The `session_id` cookie the response sets, if any.
    pub session_id: Option<String>,
    pub body: Vec<u8>,
}

/// An HTTP client with one timeout for each whole call, from connecting to
/// reading the last byte of the body.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client,
}

impl HttpClient {
    /// Builds a client whose calls time out after `timeout`.
    pub fn new(timeout: Duration) -> SyncResult<Self> {
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("odoo-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                SyncError::new(ErrorKind::Config, "build the HTTP client", e.to_string())
            })?;
        Ok(HttpClient { client })
    }

    /// Sends a POST with a body of `content_type` and returns the whole
    /// response, whatever its status.
    pub fn post(&self, url: &str, content_type: &str, body: Vec<u8>) -> SyncResult<HttpResponse> {
        self.post_in_session(url, content_type, body, None)
    }

    /// Sends a POST like [`HttpClient::post`], with the `session_id`
    /// cookie when a session is given.
    pub fn post_in_session(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
        session_id: Option<&str>,
    ) -> SyncResult<HttpResponse> {
        let context = format!("POST {url}");
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        if let Some(session_id) = session_id {
            request = request.header(COOKIE, format!("session_id={session_id}"));
        }
        read_response(&context, request.send())
    }

    /// Sends a GET and returns the whole response, whatever its status.
    pub fn get(&self, url: &str) -> SyncResult<HttpResponse> {
        let context = format!("GET {url}");
        read_response(&context, self.client.get(url).send())
    }
}

fn read_response(context: &str, sent: reqwest::Result<Response>) -> SyncResult<HttpResponse> {
    let response = sent.map_err(|e| classify(context, &e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    if response.status().is_redirection() {
        return Err(redirect_error(context, status, &headers));
    }
    let body = response
        .bytes()
        .map_err(|e| classify(context, &e))?
        .to_vec();
    Ok(HttpResponse {
        status,
        content_type: header_text(&headers, CONTENT_TYPE.as_str()),
        retry_after: parse_retry_after(
            header_text(&headers, RETRY_AFTER.as_str()).as_deref(),
            chrono::Utc::now(),
        ),
        session_id: session_cookie(&headers),
        body,
    })
}

impl HttpResponse {
    /// Returns the error for a 429, 502, 503 or 504 response, which mean
    /// the same thing on every route.
    pub fn transient_error(&self, context: &str) -> Option<SyncError> {
        matches!(self.status, 429 | 502..=504)
            .then(|| SyncError::http_status(context, self.status, self.retry_after))
    }

    /// Returns the first bytes of the body as text, for error messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut excerpt: String = text.chars().take(200).collect();
        if excerpt.len() < text.len() {
            excerpt.push_str("...");
        }
        excerpt
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Returns the value of the `session_id` cookie among the response's
/// `Set-Cookie` headers.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next())
        .filter_map(|pair| pair.trim().strip_prefix("session_id="))
        .find(|value| !value.is_empty())
        .map(str::to_owned)
}

fn redirect_error(context: &str, status: u16, headers: &HeaderMap) -> SyncError {
    let target = header_text(headers, LOCATION.as_str()).unwrap_or_else(|| "?".to_owned());
    SyncError::new(
        ErrorKind::Config,
        context,
        format!(
            "the server redirects (HTTP {status}) to {target}: set the URL to the final address"
        ),
    )
}

/// Classifies a transport failure. Only a failure to connect proves that
/// nothing was sent; any other failure may have reached the server.
fn classify(context: &str, error: &reqwest::Error) -> SyncError {
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else if error.is_connect() {
        ErrorKind::Connect
    } else if error.is_builder() {
        ErrorKind::Config
    } else {
        ErrorKind::ConnectionLost
    };
    SyncError::new(kind, context, error_chain(error))
}

/// Joins an error and its sources, since reqwest's own message ("error
/// sending request") leaves out the cause, such as a connection reset.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Parses `Retry-After`, either delay seconds or an HTTP date, relative to
/// `now`. A date in the past means no wait.
pub fn parse_retry_after(
    value: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .expect("a valid date")
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(
            parse_retry_after(Some("3"), now()),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse_retry_after(Some(" 0 "), now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_http_date() {
        let wait = parse_retry_after(Some("Wed, 01 May 2024 10:00:05 GMT"), now());
        assert_eq!(wait, Some(Duration::from_secs(5)));
    }

    #[test]
    fn retry_after_past_date_is_zero() {
        let wait = parse_retry_after(Some("Wed, 01 May 2024 09:00:00 GMT"), now());
        assert_eq!(wait, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_invalid_or_absent() {
        assert_eq!(parse_retry_after(Some("soon"), now()), None);
        assert_eq!(parse_retry_after(Some("-1"), now()), None);
        assert_eq!(parse_retry_after(None, now()), None);
    }

    #[test]
    fn transient_statuses_become_errors() {
        let response = |status| HttpResponse {
            status,
            content_type: None,
            retry_after: Some(Duration::from_secs(2)),
            session_id: None,
            body: Vec::new(),
        };
        let error = response(429).transient_error("POST /jsonrpc");
        assert_eq!(
            error.as_ref().map(SyncError::kind),
            Some(ErrorKind::RateLimited)
        );
        assert_eq!(
            error.and_then(|e| e.retry_after()),
            Some(Duration::from_secs(2))
        );
        assert!(response(200).transient_error("x").is_none());
        assert!(response(404).transient_error("x").is_none());
    }

    #[test]
    fn session_cookie_is_found_among_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            "frontend_lang=en_US; Path=/".parse().expect("a header"),
        );
        headers.append(
            SET_COOKIE,
            "session_id=4f2a9c; Expires=Sat, 05 Dec 2026 10:00:00 GMT; HttpOnly; Path=/"
                .parse()
                .expect("a header"),
        );
        assert_eq!(session_cookie(&headers), Some("4f2a9c".to_owned()));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }
}
