//! Route tests, in process. They cover what the wire layer decides alone:
//! error rendering, sessions, health and limits. What the ORM returns is
//! tested where the services are.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use tower::ServiceExt as _;

use super::*;
use crate::Value;

const JSON: &str = "application/json";

fn state_with_limit(max_body_bytes: usize) -> AppState {
    let emulator = Emulator::from_builtin("odoo-17").expect("built-in profile");
    AppState::new(emulator, max_body_bytes)
}

fn state() -> AppState {
    state_with_limit(DEFAULT_MAX_BODY_BYTES)
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("infallible router");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    (
        status,
        headers,
        String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    )
}

fn post(path: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .expect("a valid request")
}

fn json_call(path: &str, params: serde_json::Value) -> Request<Body> {
    let body = serde_json::json!({"jsonrpc": "2.0", "method": "call", "id": 9, "params": params});
    post(path, JSON, body.to_string())
}

fn with_session(mut request: Request<Body>, session_id: &str) -> Request<Body> {
    let cookie = format!("session_id={session_id}")
        .parse()
        .expect("ASCII cookie");
    request.headers_mut().insert(header::COOKIE, cookie);
    request
}

fn login(state: &AppState) -> String {
    let session = WebSession {
        database: "demo".into(),
        uid: 2,
        login: "admin".into(),
    };
    state.sessions.create(session)
}

fn parse(body: &str) -> serde_json::Value {
    serde_json::from_str(body).expect("a JSON body")
}

#[tokio::test]
async fn xmlrpc2_empty_body_faults() {
    let (status, headers, body) = send(&state(), post("/xmlrpc/2/common", "text/xml", "")).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/xml; charset=utf-8");
    assert!(body.contains("<name>faultCode</name>\n<value><int>1</int></value>"));
    assert!(body
        .contains("xml.parsers.expat.ExpatError: no element found: line 1, column 0\n</string>"));
}

#[tokio::test]
async fn legacy_xmlrpc_empty_body_faults() {
    let (status, _, body) = send(&state(), post("/xmlrpc/object", "text/xml", "")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(
        "<name>faultCode</name>\n<value><string>no element found: line 1, column 0</string>"
    ));
}

#[tokio::test]
async fn xmlrpc_html_body_is_response_error() {
    let html = "<html><head><title>502 Bad Gateway</title></head></html>";

    let (_, _, body) = send(&state(), post("/xmlrpc/2/object", "text/xml", html)).await;

    assert!(body.contains("xmlrpc.client.ResponseError: ResponseError()\n</string>"));
}

#[tokio::test]
async fn xmlrpc_without_method_name() {
    let call = "<methodCall><params/></methodCall>";

    let (_, _, body) = send(&state(), post("/xmlrpc/2/common", "text/xml", call)).await;

    assert!(body.contains("TypeError: can only concatenate str (not \"NoneType\") to str"));
}

#[tokio::test]
async fn xmlrpc_get_is_405() {
    let request = Request::get("/xmlrpc/2/common")
        .body(Body::empty())
        .expect("request");

    let (status, headers, body) = send(&state(), request).await;

    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "POST");
    assert!(body.contains("<title>405 Method Not Allowed</title>"));
}

#[tokio::test]
async fn unknown_route_is_werkzeug_404() {
    let (status, headers, body) = send(&state(), post("/web/nothing", JSON, "{}")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(body.starts_with("<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>"));
}

#[tokio::test]
async fn oversized_body_is_413() {
    let state = state_with_limit(16);

    let (status, _, body) =
        send(&state, post("/xmlrpc/2/common", "text/xml", "x".repeat(17))).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("<title>413 Request Entity Too Large</title>"));
    assert!(body.contains("exceeds 16 bytes"));
}

#[tokio::test]
async fn declared_oversized_body_is_413() {
    let state = state_with_limit(16);
    let mut request = post("/jsonrpc", JSON, "{}");
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, "1000000".parse().expect("digits"));

    let (status, _, _) = send(&state, request).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn json_route_needs_json_content_type() {
    let (status, _, body) = send(&state(), post("/jsonrpc", "text/plain", "{}")).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains(
        "Request inferred type is compatible with [&#39;http&#39;] but &#39;/jsonrpc&#39; is \
         type=&#39;json&#39;."
    ));
}

#[tokio::test]
async fn invalid_json_is_plain_400() {
    let cases = [
        ("not json", "Invalid JSON data"),
        ("[1]", "Invalid JSON-RPC data"),
    ];
    for (request_body, expected) in cases {
        let (status, _, body) = send(&state(), post("/jsonrpc", JSON, request_body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request_body}");
        assert_eq!(body, expected, "{request_body}");
    }
}

#[tokio::test]
async fn jsonrpc_missing_params_is_type_error() {
    let request = post("/jsonrpc", "application/json-rpc", r#"{"id": "a"}"#);

    let (status, _, body) = send(&state(), request).await;

    let json = parse(&body);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["id"], "a");
    assert_eq!(json["error"]["code"], 200);
    assert_eq!(json["error"]["data"]["name"], "builtins.TypeError");
    assert_eq!(
        json["error"]["data"]["message"],
        "RPC.jsonrpc() missing 3 required positional arguments: 'service', 'method', and 'args'"
    );
}

#[tokio::test]
async fn call_kw_without_session_expires() {
    let request = json_call(
        "/web/dataset/call_kw/res.partner/read",
        serde_json::json!({}),
    );

    let (status, _, body) = send(&state(), request).await;

    let json = parse(&body);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["id"], serde_json::Value::Null);
    assert_eq!(json["error"]["code"], 100);
    assert_eq!(json["error"]["message"], "Odoo Session Expired");
    assert_eq!(
        json["error"]["data"]["name"],
        "odoo.http.SessionExpiredException"
    );
    assert_eq!(json["error"]["data"]["message"], "Session expired");
}

#[tokio::test]
async fn unknown_session_id_expires() {
    let state = state();
    let request = json_call("/web/session/get_session_info", serde_json::json!({}));

    let (_, _, body) = send(&state, with_session(request, "0123abcd")).await;

    assert_eq!(parse(&body)["error"]["code"], 100);
}

#[tokio::test]
async fn call_kw_without_kwargs_is_type_error() {
    let state = state();
    let session_id = login(&state);
    let params = serde_json::json!({"model": "res.partner", "method": "create", "args": [{}]});
    let request = with_session(json_call("/web/dataset/call_kw", params), &session_id);

    let (_, _, body) = send(&state, request).await;

    let json = parse(&body);
    assert_eq!(json["id"], 9);
    assert_eq!(json["error"]["code"], 200);
    assert_eq!(
        json["error"]["data"]["message"],
        "DataSet.call_kw() missing 1 required positional argument: 'kwargs'"
    );
}

#[tokio::test]
async fn session_found_by_header_and_query() {
    let state = state();
    let session_id = login(&state);
    let params = serde_json::json!({"model": "res.partner", "method": "read", "args": []});
    let mut by_header = json_call("/web/dataset/call_kw", params.clone());
    by_header
        .headers_mut()
        .insert("X-Openerp-Session-Id", session_id.parse().expect("ASCII"));
    let by_query = json_call(
        &format!("/web/dataset/call_kw?session_id={session_id}"),
        params,
    );

    for request in [by_header, by_query] {
        let (_, _, body) = send(&state, request).await;
        let message = parse(&body)["error"]["data"]["message"].clone();
        assert!(
            message.as_str().is_some_and(|m| m.contains("'kwargs'")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn destroy_ends_the_session() {
    let state = state();
    let session_id = login(&state);

    let destroy = json_call("/web/session/destroy", serde_json::json!({}));
    let (_, _, body) = send(&state, with_session(destroy, &session_id)).await;
    let again = json_call("/web/session/destroy", serde_json::json!({}));
    let (_, _, second) = send(&state, with_session(again, &session_id)).await;

    assert_eq!(body, r#"{"jsonrpc": "2.0", "id": 9}"#);
    assert!(state.sessions.is_empty());
    assert_eq!(parse(&second)["error"]["code"], 100);
}

#[tokio::test]
async fn authenticate_unknown_database() {
    let params = serde_json::json!({"db": "nope", "login": "admin", "password": "admin"});

    let (_, headers, body) = send(&state(), json_call("/web/session/authenticate", params)).await;

    let json = parse(&body);
    assert_eq!(json["error"]["data"]["name"], "odoo.exceptions.AccessError");
    assert_eq!(json["error"]["data"]["message"], "Database not found.");
    assert!(headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn authenticate_missing_password() {
    let params = serde_json::json!({"db": "demo", "login": "admin"});

    let (_, _, body) = send(&state(), json_call("/web/session/authenticate", params)).await;

    assert_eq!(
        parse(&body)["error"]["data"]["message"],
        "Session.authenticate() missing 1 required positional argument: 'password'"
    );
}

#[tokio::test]
async fn health_reports_databases() {
    let request = Request::get("/_emulator/health")
        .body(Body::empty())
        .expect("request");

    let (status, _, body) = send(&state(), request).await;

    let json = parse(&body);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], "17.0");
    assert_eq!(json["databases"], serde_json::json!(["demo"]));
}

#[test]
fn server_serves_on_a_real_socket() {
    use std::io::{Read as _, Write as _};
    let emulator = Emulator::from_builtin("odoo-17").expect("built-in profile");
    let server = EmulatorServer::start(emulator, ServerConfig::loopback_any_port()).expect("bind");
    let address = server.local_addr();

    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    let request =
        format!("GET /_emulator/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    drop(server);

    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with(r#"{"status":"ok","version":"17.0","databases":["demo"]}"#));
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "the port is closed after drop"
    );
}

fn control_post(path: &str, body: serde_json::Value) -> Request<Body> {
    post(&format!("/_emulator{path}"), JSON, body.to_string())
}

#[tokio::test]
async fn clock_advance_past_year_9999_rejected() {
    let state = state();
    let freeze = serde_json::json!({"at": "2026-01-01 00:00:00"});
    let (status, _, _) = send(&state, control_post("/clock/freeze", freeze)).await;
    assert_eq!(status, StatusCode::OK);

    for seconds in [315_360_000_000_i64, i64::MAX, -64_000_000_000] {
        let body = serde_json::json!({ "seconds": seconds });
        let (status, _, body) = send(&state, control_post("/clock/advance", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{seconds}: {body}");
        assert!(body.contains("9999-12-31 23:59:59"), "{seconds}: {body}");
    }

    let (_, _, body) = send(
        &state,
        Request::get("/_emulator/clock")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(parse(&body)["now"], "2026-01-01 00:00:00");
}

#[tokio::test]
async fn clock_advance_to_year_9999_accepted() {
    let state = state();
    let freeze = serde_json::json!({"at": "9999-12-31 23:59:58"});
    send(&state, control_post("/clock/freeze", freeze)).await;

    let advance = serde_json::json!({"seconds": 1});
    let (status, _, body) = send(&state, control_post("/clock/advance", advance)).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(parse(&body)["now"], "9999-12-31 23:59:59");
}

#[tokio::test]
async fn clock_set_outside_years_1_to_9999_rejected() {
    let state = state();
    for route in ["/clock/freeze", "/clock/set"] {
        for at in [
            "+12020-04-14 18:55:10",
            "0000-12-31 23:59:59",
            "-0001-01-01 00:00:00",
        ] {
            let body = serde_json::json!({ "at": at });
            let (status, _, body) = send(&state, control_post(route, body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{route} {at}: {body}");
            assert!(body.contains("0001-01-01 00:00:00"), "{route} {at}: {body}");
        }
    }
}

#[tokio::test]
async fn fault_durations_over_maximum_rejected() {
    let state = state();
    let cases = [
        (
            serde_json::json!({"type": "hang", "ms": u64::MAX}),
            "hang ms 18446744073709551615 is more than the maximum of 3600000 ms (one hour)",
        ),
        (
            serde_json::json!({"type": "delay", "ms": 3_600_001}),
            "delay ms 3600001 is more than the maximum of 3600000 ms (one hour)",
        ),
        (
            serde_json::json!({"type": "http", "status": 429, "retry_after": u64::MAX}),
            "retry_after 18446744073709551615 is more than the maximum of 86400 seconds (one day)",
        ),
    ];
    for (effect, message) in cases {
        let rule = serde_json::json!({ "effect": effect });
        let (status, _, body) = send(&state, control_post("/faults", rule)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{effect}: {body}");
        assert_eq!(
            parse(&body)["error"],
            format!("invalid fault rule: {message}"),
            "{effect}"
        );
    }
}

#[tokio::test]
async fn fault_rule_not_json_names_the_body() {
    let state = state();
    let request = post("/_emulator/faults", JSON, "not json".to_owned());
    let (status, _, body) = send(&state, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        parse(&body)["error"],
        "invalid JSON request body: expected ident at line 1 column 2"
    );
}

#[tokio::test]
async fn fault_durations_at_maximum_accepted() {
    let state = state();
    let effects = [
        serde_json::json!({"type": "hang", "ms": 3_600_000}),
        serde_json::json!({"type": "http", "status": 503, "retry_after": 86_400}),
    ];
    for effect in effects {
        let rule = serde_json::json!({ "effect": effect });
        let (status, _, body) = send(&state, control_post("/faults", rule)).await;
        assert_eq!(status, StatusCode::CREATED, "{effect}: {body}");
    }
}

#[tokio::test]
async fn instance_change_of_built_in_field_rejected() {
    let state = state();
    for field in crate::profile::import::AUTOMATIC_FIELDS {
        for spec in [
            serde_json::json!({"remove": true}),
            serde_json::json!({"type": "char"}),
        ] {
            let change = serde_json::json!({"models": {"res.partner": {"fields": {field: spec}}}});
            let (status, _, body) = send(&state, control_post("/instance", change)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field} {spec}: {body}");
            let message = parse(&body)["error"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                message.contains(&format!("field res.partner.{field} is built in")),
                "{field} {spec}: {message}"
            );
        }
    }
}

/// A table keeps a repeated read and the text each protocol wrote for
/// it. A write makes a new version of the rows, so the next read writes
/// the new value. The read is ordered by id, so the renamed record stays
/// first.
#[tokio::test]
async fn kept_reads_rewritten_after_write() {
    let state = state();
    let read_kwargs = || {
        let mut kwargs = crate::Dict::default();
        kwargs.insert(
            "fields".into(),
            Value::List(vec!["name".into(), "email".into()]),
        );
        kwargs.insert("limit".into(), Value::Int(5));
        kwargs.insert("order".into(), Value::from("id"));
        Value::Dict(kwargs)
    };
    let execute_kw = |method: &str, args: Value, kwargs: Value| {
        vec![
            Value::from("demo"),
            Value::Int(2),
            Value::from("admin"),
            Value::from("res.partner"),
            Value::from(method),
            args,
            kwargs,
        ]
    };
    let read_xml = crate::wire::xmlrpc::encode_method_call(
        "execute_kw",
        &execute_kw(
            "search_read",
            Value::List(vec![Value::List(vec![])]),
            read_kwargs(),
        ),
    )
    .expect("encodable call");
    let read_json = serde_json::json!({
        "service": "object",
        "method": "execute_kw",
        "args": ["demo", 2, "admin", "res.partner", "search_read", [[]],
                 {"fields": ["name", "email"], "limit": 5, "order": "id"}],
    });
    let read_both = || async {
        let (_, _, xml) = send(
            &state,
            post("/xmlrpc/2/object", "text/xml", read_xml.clone()),
        )
        .await;
        let (_, _, json) = send(&state, json_call("/jsonrpc", read_json.clone())).await;
        (xml, json)
    };

    let (first_xml, first_json) = read_both().await;
    let (second_xml, second_json) = read_both().await;
    assert_eq!(first_xml, second_xml);
    assert_eq!(first_json, second_json);
    let first_id = parse(&first_json)["result"][0]["id"].clone();
    assert!(first_id.is_i64(), "{first_json}");

    let write = serde_json::json!({
        "service": "object",
        "method": "execute_kw",
        "args": ["demo", 2, "admin", "res.partner", "write",
                 [[first_id], {"name": "Renamed & Kept"}]],
    });
    let (_, _, written) = send(&state, json_call("/jsonrpc", write)).await;
    assert_eq!(
        parse(&written)["result"],
        serde_json::json!(true),
        "{written}"
    );

    for _ in 0..2 {
        let (xml, json) = read_both().await;
        assert!(xml.contains("<string>Renamed &amp; Kept</string>"), "{xml}");
        assert_eq!(
            parse(&json)["result"][0]["name"],
            "Renamed & Kept",
            "{json}"
        );
    }
}
