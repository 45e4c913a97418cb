//! The error pages a reverse proxy in front of Odoo sends: nginx's built-in
//! pages, which an Odoo.sh or self-hosted deployment shows when the worker
//! is down (502), overloaded (503), too slow (504) or rate limited (429).
//!
//! The bytes are nginx's (`src/http/ngx_http_special_response.c`, 1.x):
//! CRLF line ends, `Content-Type: text/html`, `Server: nginx` and nginx's
//! own reason phrases ("Gateway Time-out", "Service Temporarily
//! Unavailable"). The page tail is the one for `server_tokens off`; nginx's
//! default (`on`) adds its version, as in `nginx/1.24.0`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Returns nginx's reason phrase for one of the statuses the `http` effect
/// takes, or `None` for another status.
pub fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => return None,
    })
}

/// Returns nginx's HTML body for a status, such as `502 Bad Gateway`.
pub fn page_body(status: u16, reason: &str) -> String {
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// Builds the proxy's response for `status`, with `Retry-After` in seconds
/// when given. Statuses without an nginx page get an empty body.
pub fn proxy_error(status: u16, retry_after: Option<u64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let reason = reason_phrase(status);
    let body = reason
        .map(|reason| page_body(status, reason))
        .unwrap_or_default();
    let mut response = (
        code,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html")),
            (header::SERVER, HeaderValue::from_static("nginx")),
        ],
        body,
    )
        .into_response();
    if let Some(reason) = reason {
        let phrase = hyper::ext::ReasonPhrase::from_static(reason.as_bytes());
        response.extensions_mut().insert(phrase);
    }
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_gateway_page_bytes() {
        let body = page_body(502, "Bad Gateway");

        assert_eq!(
            body,
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n"
        );
    }

    #[test]
    fn retry_after_header_set() {
        let response = proxy_error(429, Some(7));

        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert_eq!(response.headers()[header::SERVER], "nginx");
    }
}
