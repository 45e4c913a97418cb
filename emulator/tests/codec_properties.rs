//! Properties of the wire layer: the XML-RPC and JSON codecs round-trip
//! generated values, and the same generated call over XML-RPC and
//! JSON-RPC returns equal values from a real server.
//!
//! Generated strings leave out control characters, which Odoo's XML-RPC
//! marshaller strips and XML parsers normalize, and floats are finite, as
//! neither protocol carries NaN in a way Python's clients read back.

use odoo_emulator::server::{EmulatorServer, ServerConfig};
use odoo_emulator::service::Emulator;
use odoo_emulator::wire::pyjson::to_json_text;
use odoo_emulator::wire::xmlrpc::{
    decode_method_call, decode_method_response, encode_method_call, encode_response, MethodResponse,
};
use odoo_emulator::{Dict, Value};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 &<>'\"é€_.-]{0,12}"
}

/// Values both protocols carry: no `None` (XML-RPC cannot marshal it), no
/// binary or datetime (Odoo sends those as text).
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (i32::MIN as i64..=i32::MAX as i64).prop_map(Value::Int),
        prop::num::f64::NORMAL.prop_map(Value::Float),
        text().prop_map(Value::Str),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::List),
            btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Dict(m.into_iter().collect::<Dict>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn xmlrpc_call_round_trips(params in vec(value(), 0..4)) {
        let body = encode_method_call("execute_kw", &params).expect("encodable values");
        let call = decode_method_call(body.as_bytes()).expect("decodable body");
        prop_assert_eq!(call.method.as_deref(), Some("execute_kw"));
        prop_assert_eq!(call.params, params);
    }

    #[test]
    fn xmlrpc_response_round_trips(value in value()) {
        let body = encode_response(&value).expect("encodable value");
        let decoded = decode_method_response(body.as_bytes()).expect("decodable body");
        prop_assert_eq!(decoded, MethodResponse::Value(value));
    }

    #[test]
    fn json_round_trips(value in value()) {
        let text = to_json_text(&value).expect("encodable value");
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        prop_assert_eq!(Value::from(parsed), value);
    }

    #[test]
    fn json_read_directly_as_converted(value in value()) {
        let text = to_json_text(&value).expect("encodable value");
        let direct: Value = serde_json::from_str(&text).expect("valid JSON");
        let converted: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        prop_assert_eq!(direct, Value::from(converted));
    }
}

#[test]
fn json_read_directly_edge_cases() {
    let cases = [
        "null",
        "18446744073709551615",
        "-9223372036854775808",
        "1.5e300",
        r#"{"b": 1, "a": 2, "b": 3}"#,
        r#"[[], {}, "", [null, true]]"#,
    ];
    for text in cases {
        let direct: Value = serde_json::from_str(text).expect(text);
        let converted: serde_json::Value = serde_json::from_str(text).expect(text);
        let converted = Value::from(converted);
        assert_eq!(direct, converted, "{text}");
        if let (Value::Dict(direct), Value::Dict(converted)) = (&direct, &converted) {
            let direct_keys: Vec<&String> = direct.keys().collect();
            let converted_keys: Vec<&String> = converted.keys().collect();
            assert_eq!(direct_keys, converted_keys, "{text}");
        }
    }
}

/// Generates a `search_read` call: a domain from a fixed set, a subset of fields.
fn partner_call() -> impl Strategy<Value = (Value, Vec<&'static str>, Option<i64>)> {
    let domains = vec![
        serde_json::json!([]),
        serde_json::json!([["is_company", "=", true]]),
        serde_json::json!(["|", ["name", "ilike", "a"], ["email", "!=", false]]),
        serde_json::json!([["country_id.code", "=", "US"]]),
        serde_json::json!([["parent_id", "!=", false]]),
    ];
    let fields = vec![
        "name",
        "email",
        "phone",
        "country_id",
        "parent_id",
        "category_id",
        "is_company",
        "color",
        "partner_latitude",
        "child_ids",
        "write_date",
        "display_name",
    ];
    (
        prop::sample::select(domains).prop_map(Value::from),
        prop::sample::subsequence(fields, 0..6),
        prop::option::of(1..10i64),
    )
}

fn call_xmlrpc(
    client: &reqwest::blocking::Client,
    url: &str,
    args: Vec<Value>,
    kwargs: Dict,
) -> Value {
    let mut params: Vec<Value> = vec![
        "demo".into(),
        Value::Int(2),
        "admin".into(),
        "res.partner".into(),
        "search_read".into(),
    ];
    params.push(Value::List(args));
    params.push(Value::Dict(kwargs));
    let body = encode_method_call("execute_kw", &params).expect("encodable call");
    let response = client
        .post(format!("{url}/xmlrpc/2/object"))
        .body(body)
        .send()
        .expect("XML-RPC reply");
    let bytes = response.bytes().expect("a body");
    match decode_method_response(&bytes).expect("a method response") {
        MethodResponse::Value(value) => value,
        MethodResponse::Fault(fault) => panic!("XML-RPC fault: {fault:?}"),
    }
}

fn call_jsonrpc(
    client: &reqwest::blocking::Client,
    url: &str,
    args: Vec<Value>,
    kwargs: Dict,
) -> Value {
    let params = [
        "demo".into(),
        Value::Int(2),
        "admin".into(),
        "res.partner".into(),
        "search_read".into(),
        Value::List(args),
        Value::Dict(kwargs),
    ];
    let params: Vec<serde_json::Value> = params.iter().map(serde_json::Value::from).collect();
    let body = serde_json::json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": {"service": "object", "method": "execute_kw", "args": params},
    });
    let reply: serde_json::Value = client
        .post(format!("{url}/jsonrpc"))
        .json(&body)
        .send()
        .expect("JSON-RPC reply")
        .json()
        .expect("JSON");
    assert!(reply.get("error").is_none(), "JSON-RPC error: {reply}");
    Value::from(reply["result"].clone())
}

#[test]
fn same_call_same_value_over_both_protocols() {
    let emulator = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let server =
        EmulatorServer::start(emulator, ServerConfig::loopback_any_port()).expect("a server");
    let url = server.url();
    let client = reqwest::blocking::Client::new();
    let config = ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&partner_call(), |(domain, fields, limit)| {
        let mut kwargs = Dict::default();
        kwargs.insert(
            "fields".into(),
            Value::List(fields.iter().map(|f| Value::from(*f)).collect()),
        );
        kwargs.insert("order".into(), "id".into());
        if let Some(limit) = limit {
            kwargs.insert("limit".into(), Value::Int(limit));
        }
        let over_xml = call_xmlrpc(&client, &url, vec![domain.clone()], kwargs.clone());
        let over_json = call_jsonrpc(&client, &url, vec![domain], kwargs);
        prop_assert_eq!(over_xml, over_json);
        Ok(())
    });
    if let Err(error) = result {
        panic!("XML-RPC and JSON-RPC disagreed: {error}");
    }
}
