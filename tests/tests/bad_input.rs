//! Malformed and hostile requests sent as raw HTTP to a spawned emulator.
//!
//! Each test asserts the reply Odoo 17.0 gives for the same bytes, then that
//! the server still serves a normal call and that the data is unchanged.
//! Odoo parses XML-RPC with Python's `xmlrpc.client.loads` (expat) and JSON
//! with `json.loads`, so several expected messages come from Python's
//! standard library. They were checked by running Python 3.11 on the same
//! input.

use std::time::Duration;

use odoo_e2e::xmlrpc::{self, method_call, parse_response, Response, Value};
use odoo_e2e::Emulator;
use reqwest::blocking::Client;
use serde_json::{json, Value as Json};

const DB: &str = "demo";
const ADMIN_UID: i64 = 2;
const PASSWORD: &str = "admin";

/// The `/xmlrpc/2` fault code of any exception that is not one of Odoo's
/// own (odoo/addons/base/controllers/rpc.py).
const APPLICATION_ERROR: i64 = 1;
/// The `/xmlrpc/2` fault code of `UserError` and its subclasses.
const USER_ERROR: i64 = 2;

/// An HTTP reply: status, content type and body.
struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("invalid JSON reply ({error}): {}", self.text()))
    }
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("an HTTP client without TLS always builds")
}

fn post(emulator: &Emulator, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    let response = client()
        .post(emulator.route(path))
        .header("Content-Type", content_type)
        .body(body.into())
        .send()
        .unwrap_or_else(|error| panic!("POST {path} failed: {error}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.bytes().expect("read the reply body").to_vec();
    Reply {
        status,
        content_type,
        body,
    }
}

fn post_xml(emulator: &Emulator, path: &str, body: impl Into<Vec<u8>>) -> Response {
    let reply = post(emulator, path, "text/xml", body);
    // XML-RPC faults travel with HTTP 200, like results.
    assert_eq!(reply.status, 200, "HTTP status of {path}: {}", reply.text());
    assert!(
        reply.content_type.starts_with("text/xml"),
        "content type of {path}: {}",
        reply.content_type
    );
    parse_response(&reply.text()).unwrap_or_else(|error| panic!("{error}: {}", reply.text()))
}

fn post_json(emulator: &Emulator, body: impl Into<Vec<u8>>) -> Reply {
    post(emulator, "/jsonrpc", "application/json", body)
}

fn execute_kw(model: &str, method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> String {
    let kwargs = kwargs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    method_call(
        "execute_kw",
        &[
            DB.into(),
            ADMIN_UID.into(),
            PASSWORD.into(),
            model.into(),
            method.into(),
            Value::Array(args),
            Value::Struct(kwargs),
        ],
    )
}

/// Returns the fault code and the last line of the faultString, which is
/// the exception line of a Python traceback.
fn fault(response: &Response) -> (i64, String) {
    let Some((code, string)) = response.fault() else {
        panic!("expected a fault, got {response:?}");
    };
    let code = code
        .as_int()
        .unwrap_or_else(|| panic!("fault code {code:?} is not an integer"));
    let last = string
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    (code, last.to_owned())
}

fn partner_count(emulator: &Emulator) -> i64 {
    let body = execute_kw(
        "res.partner",
        "search_count",
        vec![Value::Array(vec![])],
        vec![],
    );
    let response = post_xml(emulator, "/xmlrpc/2/object", body);
    response
        .result()
        .and_then(Value::as_int)
        .unwrap_or_else(|| panic!("search_count returned {response:?}"))
}

/// Asserts that the server still serves a normal call and that the number of
/// partners is `expected_count`.
fn assert_still_serving(emulator: &mut Emulator, expected_count: i64) {
    assert!(
        emulator.is_running(),
        "the emulator process died:\n{}",
        emulator.logs()
    );
    let response = post_xml(emulator, "/xmlrpc/2/common", method_call("version", &[]));
    let version = response
        .result()
        .and_then(|info| info.get("server_version"));
    assert_eq!(version, Some(&Value::from("17.0")), "{response:?}");
    assert_eq!(
        partner_count(emulator),
        expected_count,
        "partner count changed"
    );
}

#[test]
fn xmlrpc_empty_body() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    for path in ["/xmlrpc/2/common", "/xmlrpc/2/object"] {
        let (code, last) = fault(&post_xml(&emulator, path, ""));
        assert_eq!(code, APPLICATION_ERROR, "{path}");
        assert_eq!(
            last, "xml.parsers.expat.ExpatError: no element found: line 1, column 0",
            "{path}"
        );
    }
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_non_xml_body() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/object", "hello, not XML"));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "xml.parsers.expat.ExpatError: syntax error: line 1, column 0"
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_malformed_xml() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // 73 bytes, cut off inside <params>: expat reports the end of input.
    let truncated = "<?xml version=\"1.0\"?><methodCall><methodName>version</methodName><params>";
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/common", truncated));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "xml.parsers.expat.ExpatError: no element found: line 1, column 73"
    );

    let mismatched = "<?xml version=\"1.0\"?><methodCall><methodName>version</params></methodCall>";
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/common", mismatched));
    assert_eq!(code, APPLICATION_ERROR);
    assert!(
        last.starts_with("xml.parsers.expat.ExpatError: mismatched tag: line 1, column "),
        "{last}"
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_invalid_utf8() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    let mut body = b"<?xml version=\"1.0\"?><methodCall><methodName>version</methodName>\
<params><param><value><string>caf"
        .to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(b"</string></value></param></params></methodCall>");
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/common", body));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "xml.parsers.expat.ExpatError: not well-formed (invalid token): line 1, column 98"
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_deep_nesting() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // 10,000 nested arrays parse fine with xmlrpc.client, which keeps its
    // own stack, so Odoo gets to call exp_version() with one argument.
    let depth = 10_000;
    let mut body = String::from(
        "<?xml version=\"1.0\"?><methodCall><methodName>version</methodName><params><param>",
    );
    body.push_str(&"<value><array><data>".repeat(depth));
    body.push_str("<value><int>1</int></value>");
    body.push_str(&"</data></array></value>".repeat(depth));
    body.push_str("</param></params></methodCall>");
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/common", body));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "TypeError: exp_version() takes 0 positional arguments but 1 was given"
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_body_50_mb() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // Odoo 17 accepts request bodies up to 128 MiB
    // (DEFAULT_MAX_CONTENT_LENGTH in odoo/http.py), so a 50 MB argument is
    // served like any other.
    let name = "a".repeat(50 * 1024 * 1024);
    let domain = Value::Array(vec![Value::Array(vec![
        "name".into(),
        "=".into(),
        Value::String(name),
    ])]);
    let body = execute_kw("res.partner", "search_count", vec![domain], vec![]);
    assert!(body.len() > 50 * 1024 * 1024);
    let response = post_xml(&emulator, "/xmlrpc/2/object", body);
    assert_eq!(
        response.result(),
        Some(&Value::Int(0)),
        "{:?}",
        response.fault()
    );
    assert_still_serving(&mut emulator, count);
}

/// Returns the result of `search_count` on partners over XML-RPC.
fn search_count_xml(emulator: &Emulator, domain: Vec<Value>) -> Response {
    let body = execute_kw(
        "res.partner",
        "search_count",
        vec![Value::Array(domain)],
        vec![],
    );
    post_xml(emulator, "/xmlrpc/2/object", body)
}

fn id_leaf(operator: &str, id: i64) -> Value {
    Value::Array(vec!["id".into(), operator.into(), id.into()])
}

#[test]
fn xmlrpc_deeply_nested_domain() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);

    // Pairs of '!' cancel, so this is the domain [('id', '>', 0)].
    let mut negations = vec![Value::from("!"); 100_000];
    negations.push(id_leaf(">", 0));
    let response = search_count_xml(&emulator, negations);
    assert_eq!(response.result(), Some(&Value::Int(count)), "{response:?}");

    let mut alternatives = vec![Value::from("|"); 100_000];
    alternatives.extend(vec![id_leaf("<", 0); 100_000]);
    alternatives.push(id_leaf(">", 0));
    let response = search_count_xml(&emulator, alternatives);
    assert_eq!(response.result(), Some(&Value::Int(count)), "{response:?}");

    // Alternating '&' and '|' cannot be merged, and the emulator rejects
    // such a tree once it is deeper than its limit.
    let mut alternating = Vec::new();
    for level in 0..100_000 {
        alternating.push(Value::from(if level % 2 == 0 { "&" } else { "|" }));
        alternating.push(id_leaf(">", 0));
    }
    alternating.push(id_leaf(">", 0));
    let (code, last) = fault(&search_count_xml(&emulator, alternating));
    assert_eq!(code, APPLICATION_ERROR);
    assert!(
        last.starts_with("ValueError: Domain nesting is deeper than"),
        "{last}"
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_deeply_nested_domain() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    let mut domain = vec![json!("!"); 100_001];
    domain.push(json!(["id", ">", 0]));
    let body = json!({
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [DB, ADMIN_UID, PASSWORD, "res.partner", "search_count", [domain]],
        },
    });
    let reply = post_json(&emulator, body.to_string());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["result"], json!(0), "{}", reply.text());
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_unknown_service() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // dispatch_rpc in odoo/http.py looks the service up in a dict.
    let (code, last) = fault(&post_xml(
        &emulator,
        "/xmlrpc/2/nosuchservice",
        method_call("version", &[]),
    ));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(last, "KeyError: 'nosuchservice'");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_unknown_method() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // odoo/service/common.py dispatch() and odoo/service/model.py dispatch().
    let (code, last) = fault(&post_xml(
        &emulator,
        "/xmlrpc/2/common",
        method_call("nosuchmethod", &[]),
    ));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(last, "Exception: Method not found: nosuchmethod");

    let call = method_call(
        "nosuchmethod",
        &[DB.into(), ADMIN_UID.into(), PASSWORD.into()],
    );
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/object", call));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(last, "NameError: Method not available nosuchmethod");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_wrong_argument_types() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);

    // common.version takes no argument and common.authenticate four.
    let (code, last) = fault(&post_xml(
        &emulator,
        "/xmlrpc/2/common",
        method_call("version", &["extra".into()]),
    ));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "TypeError: exp_version() takes 0 positional arguments but 1 was given"
    );
    let (code, last) = fault(&post_xml(
        &emulator,
        "/xmlrpc/2/common",
        method_call("authenticate", &[DB.into(), "admin".into()]),
    ));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "TypeError: exp_authenticate() missing 2 required positional arguments: \
         'password' and 'user_agent_env'"
    );

    // The uid goes through int() (odoo/service/model.py).
    let call = method_call(
        "execute_kw",
        &[
            DB.into(),
            "admin".into(),
            PASSWORD.into(),
            "res.partner".into(),
            "search".into(),
            Value::Array(vec![Value::Array(vec![])]),
        ],
    );
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/object", call));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(
        last,
        "ValueError: invalid literal for int() with base 10: 'admin'"
    );

    // execute_kw unpacks args with * and kwargs with **.
    let call = method_call(
        "execute_kw",
        &[
            DB.into(),
            ADMIN_UID.into(),
            PASSWORD.into(),
            "res.partner".into(),
            "search".into(),
            Value::Int(5),
        ],
    );
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/object", call));
    assert_eq!(code, APPLICATION_ERROR);
    assert!(last.starts_with("TypeError: "), "{last}");
    assert!(last.ends_with("must be an iterable, not int"), "{last}");

    let call = method_call(
        "execute_kw",
        &[
            DB.into(),
            ADMIN_UID.into(),
            PASSWORD.into(),
            "res.partner".into(),
            "search".into(),
            Value::Array(vec![Value::Array(vec![])]),
            Value::Array(vec![Value::Int(1)]),
        ],
    );
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/object", call));
    assert_eq!(code, APPLICATION_ERROR);
    assert!(last.starts_with("TypeError: "), "{last}");
    assert!(last.ends_with("must be a mapping, not list"), "{last}");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_unknown_model_field() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    let call = execute_kw("res.parter", "search", vec![Value::Array(vec![])], vec![]);
    let response = post_xml(&emulator, "/xmlrpc/2/object", call);
    // execute_cr in odoo/service/model.py raises a UserError, sent as the
    // message alone.
    assert_eq!(
        response.fault(),
        Some((&Value::Int(USER_ERROR), "Object res.parter doesn't exist"))
    );

    let call = execute_kw(
        "res.partner",
        "search_read",
        vec![Value::Array(vec![])],
        vec![("fields", Value::Array(vec!["x".into()]))],
    );
    let (code, last) = fault(&post_xml(&emulator, "/xmlrpc/2/object", call));
    assert_eq!(code, APPLICATION_ERROR);
    assert_eq!(last, "ValueError: Invalid field 'x' on model 'res.partner'");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_untyped_and_nil() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // A <value> without a type element is a string (XML-RPC specification),
    // and xmlrpc.client.loads accepts <nil/> as None.
    let call = "<?xml version=\"1.0\"?><methodCall><methodName>execute_kw</methodName><params>\
        <param><value>demo</value></param>\
        <param><value><int>2</int></value></param>\
        <param><value>admin</value></param>\
        <param><value>res.partner</value></param>\
        <param><value>search_count</value></param>\
        <param><value><array><data><value><array><data></data></array></value></data></array></value></param>\
        <param><value><struct><member><name>limit</name><value><nil/></value></member></struct></value></param>\
        </params></methodCall>";
    let response = post_xml(&emulator, "/xmlrpc/2/object", call);
    assert_eq!(response.result(), Some(&Value::Int(count)), "{response:?}");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_not_json() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // JsonRPCDispatcher.dispatch in odoo/http.py replies to a body that
    // json.loads rejects with a plain 400 "Invalid JSON data".
    for body in ["", "{\"jsonrpc\": ", "not json at all"] {
        let reply = post_json(&emulator, body);
        assert_eq!(reply.status, 400, "body {body:?}: {}", reply.text());
        assert_eq!(reply.text(), "Invalid JSON data", "body {body:?}");
    }
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_not_object() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // A JSON document that is not an object fails on .get('id'), which
    // odoo/http.py turns into a plain 400 "Invalid JSON-RPC data".
    for body in ["[1, 2, 3]", "\"text\"", "42", "null", "true"] {
        let reply = post_json(&emulator, body);
        assert_eq!(reply.status, 400, "body {body}: {}", reply.text());
        assert_eq!(reply.text(), "Invalid JSON-RPC data", "body {body}");
    }
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_params_not_object() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // dict(params, **args) in odoo/http.py raises a TypeError for a list,
    // sent as a JSON-RPC error with the request id.
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": [1, 2], "id": 7});
    let reply = post_json(&emulator, body.to_string());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = reply.json();
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["error"]["code"], 200);
    assert_eq!(reply["error"]["message"], "Odoo Server Error");
    assert_eq!(reply["error"]["data"]["name"], "builtins.TypeError");
    assert_eq!(
        reply["error"]["data"]["message"],
        "cannot convert dictionary update sequence element #0 to a sequence"
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_wrong_content_type() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // A json route with a non-JSON content type is a werkzeug BadRequest
    // (Request._set_request_dispatcher in odoo/http.py), an HTML page.
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1});
    let reply = post(&emulator, "/jsonrpc", "text/plain", body.to_string());
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply
            .text()
            .contains("Request inferred type is compatible with"),
        "{}",
        reply.text()
    );
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_unknown_service_method() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    let cases = [
        (
            "nosuchservice",
            "version",
            "builtins.KeyError",
            "'nosuchservice'",
        ),
        (
            "common",
            "nosuchmethod",
            "builtins.Exception",
            "Method not found: nosuchmethod",
        ),
    ];
    for (service, method, name, message) in cases {
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": []},
            "id": 3,
        });
        let reply = post_json(&emulator, body.to_string());
        assert_eq!(reply.status, 200, "{}", reply.text());
        let reply = reply.json();
        assert_eq!(reply["id"], 3, "{service}.{method}");
        assert_eq!(reply["error"]["code"], 200, "{service}.{method}");
        assert_eq!(reply["error"]["data"]["name"], name, "{service}.{method}");
        assert_eq!(
            reply["error"]["data"]["message"], message,
            "{service}.{method}"
        );
    }
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_deep_nesting() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // json.loads raises RecursionError on 10,000 nested arrays. That is
    // neither ValueError nor AttributeError, so JsonRPCDispatcher's generic
    // handler sends it as a JSON-RPC error without an id.
    let depth = 10_000;
    let body = format!(
        "{{\"jsonrpc\": \"2.0\", \"method\": \"call\", \"id\": 1, \"params\": \
         {{\"service\": \"common\", \"method\": \"version\", \"args\": {}{}}}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let reply = post_json(&emulator, body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = reply.json();
    assert_eq!(reply["id"], Json::Null);
    assert_eq!(reply["error"]["code"], 200);
    assert_eq!(reply["error"]["data"]["name"], "builtins.RecursionError");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn jsonrpc_invalid_utf8() {
    let mut emulator = Emulator::start();
    let count = partner_count(&emulator);
    // Odoo decodes the body with werkzeug's get_data(as_text=True), and
    // werkzeug 2.2 decodes with errors="replace" (Request.encoding_errors),
    // so invalid UTF-8 becomes U+FFFD before json.loads parses it.
    let mut body = br#"{"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []}, "id": "caf"#.to_vec();
    body.extend_from_slice(&[0xff]);
    body.extend_from_slice(b"\"}");
    let reply = post_json(&emulator, body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = reply.json();
    assert_eq!(reply["id"], "caf\u{FFFD}");
    assert_eq!(reply["result"]["server_version"], "17.0");
    assert_still_serving(&mut emulator, count);
}

#[test]
fn xmlrpc_parser_rejects_html() {
    // The harness's own XML-RPC reader must reject an HTML error page, the
    // body a proxy sends, instead of reading it as a result.
    let html = "<html><head><title>502 Bad Gateway</title></head><body></body></html>";
    let error = xmlrpc::parse_response(html).expect_err("HTML is not a methodResponse");
    assert!(error.contains("methodResponse"), "{error}");
}
