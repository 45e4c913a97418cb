//! HTTP error responses that Odoo 17 sends outside any RPC dialect: the
//! HTML pages of werkzeug's exceptions and the plain-text 400 responses of
//! its JSON dispatcher.
//!
//! The page layout is werkzeug 2.1 and later's (`<!doctype html>`), which
//! Odoo 17 uses on Python 3.11. Odoo 17 on Python 3.10 pins werkzeug 2.0,
//! whose pages start with an HTML 3.2 doctype instead.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

const HTML: &str = "text/html; charset=utf-8";

/// werkzeug's `NotFound` page, for routes that do not exist.
pub fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not Found",
        "The requested URL was not found on the server. If you entered the URL manually please \
         check your spelling and try again.",
    )
}

/// werkzeug's `MethodNotAllowed` page, with the methods the route takes.
pub fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = page(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "The method is not allowed for the requested URL.",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// Odoo's 400 page for a JSON route called without a JSON content type.
/// `route` is the route's first declared path, such as `/jsonrpc`.
pub fn not_a_json_request(route: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Bad Request",
        &format!("Request inferred type is compatible with ['http'] but '{route}' is type='json'."),
    )
}

/// werkzeug's `RequestEntityTooLarge` page, with the emulator's limit.
pub fn payload_too_large(limit_bytes: usize) -> Response {
    page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request Entity Too Large",
        &format!(
            "The data value transmitted exceeds the capacity limit. The request body exceeds \
             {limit_bytes} bytes, the largest the emulator accepts."
        ),
    )
}

/// Returns a 400 page for a body that could not be read from the connection.
pub fn unreadable_body() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Bad Request",
        "The request body could not be read: the connection failed before it ended.",
    )
}

/// Returns the plain-text 400 response of Odoo's JSON dispatcher, such as
/// `Invalid JSON data`. Odoo sends it with its default HTML content type.
pub fn plain_bad_request(text: &'static str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, HTML)],
        text,
    )
        .into_response()
}

/// Renders werkzeug's error page. `name` is werkzeug's, which differs from
/// the IANA reason phrase for 413.
fn page(status: StatusCode, name: &str, description: &str) -> Response {
    let code = status.as_u16();
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{}</p>\n",
        escape_html(description)
    );
    (status, [(header::CONTENT_TYPE, HTML)], body).into_response()
}

/// Escapes text as markupsafe does for werkzeug's descriptions.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
