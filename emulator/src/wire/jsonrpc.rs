//! The JSON-RPC 2.0 envelope of Odoo 17's `type='json'` routes.
//!
//! Source: Odoo 17.0's `odoo/http.py` (`JsonRPCDispatcher`). Odoo ignores
//! the request's `method` member and reads only `id` and `params`. A body
//! that is not JSON gets HTTP 400 with the plain text `Invalid JSON data`,
//! and JSON that is not an object gets HTTP 400 `Invalid JSON-RPC data`.
//! A missing `params` is an empty one, so the endpoint then raises
//! Python's `TypeError` for its missing arguments, rendered as a JSON-RPC
//! error. A result of `None` is sent with no `result` member at all.
//!
//! Where it differs from Odoo 17: `NaN` and `Infinity` in a request are
//! invalid JSON here (Python's parser takes them), the nesting at which a
//! request raises `RecursionError` is an estimate of Python's (see
//! [`PYTHON_JSON_DEPTH`]), and integers beyond 64 bits become floats. An
//! escape of half a surrogate pair (`"\ud83d"`, which JavaScript writes
//! for a string cut inside an emoji) becomes U+FFFD. Python keeps the
//! half.

use std::borrow::Cow;

use crate::value::{Dict, Value};

use super::exception::PyException;
use super::fault::jsonrpc_error;
use super::pyjson::{self, to_json_text};

/// The HTTP 400 body for a request body that is not JSON.
pub const INVALID_JSON: &str = "Invalid JSON data";
/// The HTTP 400 body for JSON that is not an object.
pub const INVALID_JSON_RPC: &str = "Invalid JSON-RPC data";

/// A JSON-RPC request: the `id` to echo and the keyword arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRpcRequest {
    pub id: Value,
    pub params: Dict,
}

/// A request body that Odoo rejects before calling the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvelopeError {
    /// Not JSON: HTTP 400 with [`INVALID_JSON`].
    InvalidJson,
    /// JSON but not an object: HTTP 400 with [`INVALID_JSON_RPC`].
    InvalidJsonRpc,
    /// The body nests deeper than Python's `json.loads` can follow: Odoo's
    /// dispatcher answers a `RecursionError` JSON-RPC error without an id.
    TooDeep,
    /// `params` cannot be turned into keyword arguments: a JSON-RPC error.
    InvalidParams {
        id: Box<Value>,
        exception: Box<PyException>,
    },
}

/// The nesting at which Python's `json.loads` raises `RecursionError` in
/// Odoo: the interpreter's limit of 1000 frames less the frames of the
/// request handling below it.
// NOTE: an estimate; the exact depth depends on Odoo's call stack, which
// varies by a few dozen frames between routes and versions.
pub const PYTHON_JSON_DEPTH: usize = 900;

/// Returns the deepest nesting of arrays and objects in JSON text, without
/// parsing it; brackets inside strings do not count.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Tells whether JSON text nests arrays and objects deeper than `limit`.
fn nests_deeper_than(text: &str, limit: usize) -> bool {
    // Each level opens with a bracket, so a text with no more brackets
    // than `limit`, in strings or not, cannot nest deeper, and counting
    // them costs far less than `nesting_depth`. `[` and `{` differ only in
    // bit 5, so setting that bit turns both, and no other byte, into `{`.
    // Byte-sized sums over blocks of 255 bytes cannot overflow, and they
    // let the compiler test 16 bytes at a time.
    let brackets: usize = text
        .as_bytes()
        .chunks(usize::from(u8::MAX))
        .map(|block| {
            let count: u8 = block.iter().map(|byte| u8::from(byte | 0x20 == b'{')).sum();
            usize::from(count)
        })
        .sum();
    brackets > limit && nesting_depth(text) > limit
}

/// Parses a request body. Invalid UTF-8 is replaced with U+FFFD first, as
/// werkzeug's `get_data(as_text=True)` does.
///
/// # Errors
///
/// Returns the [`EnvelopeError`] for the response that Odoo sends.
pub fn parse_request(body: &[u8]) -> Result<JsonRpcRequest, EnvelopeError> {
    // Checking UTF-8 alone is several times cheaper per byte than the
    // lossy conversion, which only a body with invalid bytes needs.
    let text = match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    };
    if nests_deeper_than(&text, PYTHON_JSON_DEPTH) {
        return Err(EnvelopeError::TooDeep);
    }
    let json = match parse_json(&text) {
        Ok(json) => json,
        // Python's parser takes a `\u` escape of half a surrogate pair,
        // which serde_json rejects. Only a body that failed is searched
        // for one.
        Err(()) => match replace_lone_surrogates(&text) {
            Some(replaced) => parse_json(&replaced),
            None => Err(()),
        }
        .map_err(|()| EnvelopeError::InvalidJson)?,
    };
    let Value::Dict(mut object) = json else {
        return Err(EnvelopeError::InvalidJsonRpc);
    };
    // The rest of the envelope is dropped, so its order need not be kept.
    let id = object.swap_remove("id").unwrap_or(Value::None);
    let params = match object.swap_remove("params") {
        None => Dict::default(),
        Some(params) => {
            keyword_arguments(params).map_err(|exception| EnvelopeError::InvalidParams {
                id: Box::new(id.clone()),
                exception: Box::new(exception),
            })?
        }
    };
    Ok(JsonRpcRequest { id, params })
}

/// Parses JSON text into a [`Value`], with no nesting limit of its own:
/// the caller bounds the depth first.
fn parse_json(text: &str) -> Result<Value, ()> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // serde_json's own limit of 128 levels, which Python does not have,
    // is lifted.
    deserializer.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut deserializer)
        .and_then(|json: Value| deserializer.end().map(|()| json))
        .map_err(|_| ())
}

/// Returns `text` with each `\u` escape of a lone surrogate (a high half
/// not followed by a low one, or a low half alone) replaced by `\ufffd`,
/// or `None` when it has none. Escapes are found only inside strings, and
/// an escaped backslash is not the start of one.
fn replace_lone_surrogates(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let unit_at = |at: usize| -> Option<u16> {
        let digits = bytes.get(at..at + 6)?;
        if digits[0] != b'\\' || digits[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&digits[2..]).ok()?, 16).ok()
    };
    let is_high = |unit: u16| (0xD800..0xDC00).contains(&unit);
    let is_low = |unit: u16| (0xDC00..0xE000).contains(&unit);

    let mut replaced = String::with_capacity(text.len());
    let mut copied_to = 0;
    let mut in_string = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                let Some(unit) = unit_at(at) else {
                    // A two-character escape such as `\\` or `\"`.
                    at += 2;
                    continue;
                };
                let paired = is_high(unit) && unit_at(at + 6).is_some_and(is_low);
                if paired {
                    at += 12;
                    continue;
                }
                if is_high(unit) || is_low(unit) {
                    replaced.push_str(&text[copied_to..at]);
                    replaced.push_str("\\ufffd");
                    copied_to = at + 6;
                }
                at += 6;
                continue;
            }
            _ => {}
        }
        at += 1;
    }

    if copied_to == 0 {
        return None;
    }
    replaced.push_str(&text[copied_to..]);
    Some(replaced)
}

/// Converts `params` as Python's `dict(params)` does: an object as is, and
/// an empty array or string as no arguments.
fn keyword_arguments(params: Value) -> Result<Dict, PyException> {
    let type_error = |message: String| PyException::new("builtins.TypeError", message);
    match params {
        Value::Dict(dict) => Ok(dict),
        Value::List(items) => pairs_to_dict(items),
        Value::Str(text) if text.is_empty() => Ok(Dict::default()),
        Value::Str(_) => Err(PyException::new(
            "builtins.ValueError",
            "dictionary update sequence element #0 has length 1; 2 is required",
        )),
        Value::None => Err(type_error("'NoneType' object is not iterable".to_owned())),
        other => Err(type_error(format!(
            "'{}' object is not iterable",
            other.python_type()
        ))),
    }
}

fn pairs_to_dict(items: Vec<Value>) -> Result<Dict, PyException> {
    let mut dict = Dict::default();
    for (index, item) in items.into_iter().enumerate() {
        let Value::List(pair) = item else {
            return Err(PyException::new(
                "builtins.TypeError",
                format!("cannot convert dictionary update sequence element #{index} to a sequence"),
            ));
        };
        let Ok([key, value]) = <[Value; 2]>::try_from(pair.clone()) else {
            return Err(PyException::new(
                "builtins.ValueError",
                format!(
                    "dictionary update sequence element #{index} has length {}; 2 is required",
                    pair.len()
                ),
            ));
        };
        let Value::Str(key) = key else {
            return Err(PyException::new(
                "builtins.TypeError",
                "keywords must be strings",
            ));
        };
        dict.insert(key, value);
    }
    Ok(dict)
}

/// Takes the required keyword arguments of an endpoint, in order.
///
/// # Errors
///
/// Raises the `TypeError` that Python raises when calling `function` (such
/// as `DataSet.call_kw`) without some of them.
pub fn required_arguments(
    params: &Dict,
    function: &str,
    names: &[&str],
) -> Result<Vec<Value>, PyException> {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !params.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        return Err(missing_arguments_error(function, &missing));
    }
    Ok(names.iter().map(|name| params[*name].clone()).collect())
}

fn missing_arguments_error(function: &str, missing: &[&str]) -> PyException {
    let quoted: Vec<String> = missing.iter().map(|name| format!("'{name}'")).collect();
    let list = match quoted.as_slice() {
        [only] => only.clone(),
        [first, second] => format!("{first} and {second}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
        [] => String::new(),
    };
    let plural = if missing.len() == 1 {
        "argument"
    } else {
        "arguments"
    };
    PyException::new(
        "builtins.TypeError",
        format!(
            "{function}() missing {} required positional {plural}: {list}",
            missing.len()
        ),
    )
}

/// Writes a success response. A `None` result leaves out `result`.
pub fn result_body(id: &Value, result: &Value) -> String {
    // Written in place rather than as an envelope dict, which would copy
    // the whole result first. The keys are in the envelope's order.
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("{\"jsonrpc\": \"2.0\", \"id\": ");
    let mut written = pyjson::write_nested(&mut out, id, 1);
    if written.is_ok() && !matches!(result, Value::None) {
        out.push_str(", \"result\": ");
        written = pyjson::write_nested(&mut out, result, 1);
    }
    match written {
        Ok(()) => {
            out.push('}');
            out
        }
        Err(exception) => error_body(id, &exception, "json_response"),
    }
}

/// Writes an error response. `function` names the traceback's frame.
pub fn error_body(id: &Value, exception: &PyException, function: &str) -> String {
    let mut envelope = envelope(id);
    envelope.insert("error".into(), jsonrpc_error(exception, function));
    to_json_text(&Value::Dict(envelope)).expect("an error envelope is shallow")
}

fn envelope(id: &Value) -> Dict {
    let mut envelope = Dict::default();
    envelope.insert("jsonrpc".into(), Value::from("2.0"));
    envelope.insert("id".into(), id.clone());
    envelope
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OdooError;

    /// Each escape of half a surrogate pair becomes U+FFFD. Pairs, other
    /// escapes and text outside strings stay as they are.
    #[test]
    fn lone_surrogates_replaced() {
        let cases = [
            (r#"["\ud83d"]"#, Some(r#"["\ufffd"]"#)),
            (r#"["a\ude00b"]"#, Some(r#"["a\ufffdb"]"#)),
            (r#"["\ud83d\u0041"]"#, Some(r#"["\ufffd\u0041"]"#)),
            (
                r#"["\ud83d\ud83d\ude00"]"#,
                Some(r#"["\ufffd\ud83d\ude00"]"#),
            ),
            (r#"["\ud83d\ude00"]"#, None),
            (r#"["\\ud83d"]"#, None),
            (r#"["\"", "\ud800"]"#, Some(r#"["\"", "\ufffd"]"#)),
            (r#"["plain"]"#, None),
        ];
        for (text, expected) in cases {
            assert_eq!(replace_lone_surrogates(text).as_deref(), expected, "{text}");
        }
    }

    /// Python's `json.loads` takes a lone surrogate, so the request is
    /// served, with U+FFFD in its place.
    #[test]
    fn request_with_lone_surrogate_parses() {
        let body = br#"{"id": 1, "params": {"note": "cut \ud83d", "ok": "\ud83d\ude00"}}"#;
        let request = parse_request(body).expect("a valid request");
        assert_eq!(request.params["note"], Value::from("cut \u{fffd}"));
        assert_eq!(request.params["ok"], Value::from("\u{1f600}"));
        assert_eq!(
            parse_request(br#"{"id": 1, "params": {"note": "\ud83d"#),
            Err(EnvelopeError::InvalidJson)
        );
    }

    #[test]
    fn parses_id_and_params() {
        let body = br#"{"jsonrpc": "2.0", "method": "call", "id": 7, "params": {"a": [1]}}"#;

        let request = parse_request(body).expect("valid");

        assert_eq!(request.id, Value::Int(7));
        assert_eq!(request.params["a"], Value::List(vec![Value::Int(1)]));
    }

    #[test]
    fn missing_params_and_id() {
        let request = parse_request(b"{}").expect("an object");

        assert_eq!(request.id, Value::None);
        assert!(request.params.is_empty());
    }

    #[test]
    fn rejects_non_json_and_non_objects() {
        let cases: [(&[u8], EnvelopeError); 7] = [
            (b"", EnvelopeError::InvalidJson),
            (b"<xml/>", EnvelopeError::InvalidJson),
            (b"{\"a\": ", EnvelopeError::InvalidJson),
            (b"[1, 2]", EnvelopeError::InvalidJsonRpc),
            (b"null", EnvelopeError::InvalidJsonRpc),
            (b"\"text\"", EnvelopeError::InvalidJsonRpc),
            (b"42", EnvelopeError::InvalidJsonRpc),
        ];
        for (body, expected) in cases {
            assert_eq!(
                parse_request(body),
                Err(expected),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn depth_limit_counts_nesting_only() {
        let nested = |depth: usize| {
            // The envelope and `params` are two levels.
            let inner = depth - 2;
            format!(
                r#"{{"params": {{"a": {}{}}}}}"#,
                "[".repeat(inner),
                "]".repeat(inner)
            )
        };
        let brackets = "[{".repeat(PYTHON_JSON_DEPTH);
        // An escaped quote must not end the string for the depth count.
        let in_string = format!(r#"{{"params": {{"a": "{brackets}\"{brackets}"}}}}"#);

        // Parsing 900 levels needs the stack of the server's workers.
        let deepest = std::thread::Builder::new()
            .stack_size(crate::server::WORKER_STACK_BYTES)
            .spawn(move || parse_request(nested(PYTHON_JSON_DEPTH).as_bytes()).is_ok())
            .expect("a thread starts")
            .join()
            .expect("parsing does not panic");
        assert!(deepest);
        assert_eq!(
            parse_request(nested(PYTHON_JSON_DEPTH + 1).as_bytes()),
            Err(EnvelopeError::TooDeep)
        );
        let request =
            parse_request(in_string.as_bytes()).expect("brackets in a string do not nest");
        assert_eq!(
            request.params["a"],
            Value::from(format!("{brackets}\"{brackets}"))
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_character() {
        let body = b"{\"id\": 1, \"params\": {\"a\xff\": \"x\xc3\"}}";

        let request = parse_request(body).expect("valid after replacement");

        assert_eq!(request.params["a\u{fffd}"], Value::from("x\u{fffd}"));
    }

    #[test]
    fn params_follow_python_dict() {
        let cases = [
            (r#"null"#, "TypeError: 'NoneType' object is not iterable"),
            (r#"3"#, "TypeError: 'int' object is not iterable"),
            (r#"true"#, "TypeError: 'bool' object is not iterable"),
            (
                r#""ab""#,
                "ValueError: dictionary update sequence element #0 has length 1; 2 is required",
            ),
            (
                r#"[1]"#,
                "TypeError: cannot convert dictionary update sequence element #0 to a sequence",
            ),
            (
                r#"[[1, 2, 3]]"#,
                "ValueError: dictionary update sequence element #0 has length 3; 2 is required",
            ),
        ];
        for (params, expected) in cases {
            let body = format!(r#"{{"id": 1, "params": {params}}}"#);
            let Err(EnvelopeError::InvalidParams { id, exception }) =
                parse_request(body.as_bytes())
            else {
                panic!("expected invalid params for {params}");
            };
            assert_eq!(*id, Value::Int(1));
            assert_eq!(
                exception.last_traceback_line().trim_end(),
                expected,
                "{params}"
            );
        }
    }

    #[test]
    fn params_as_pairs_or_empty() {
        let pairs = parse_request(br#"{"params": [["a", 1]]}"#).expect("pairs");
        let empty = parse_request(br#"{"params": []}"#).expect("empty");

        assert_eq!(pairs.params["a"], Value::Int(1));
        assert!(empty.params.is_empty());
    }

    #[test]
    fn missing_arguments_texts() {
        let params = Dict::default();
        let cases = [
            (vec!["args"], "RPC.jsonrpc() missing 1 required positional argument: 'args'"),
            (vec!["method", "args"], "RPC.jsonrpc() missing 2 required positional arguments: 'method' and 'args'"),
            (vec!["service", "method", "args"], "RPC.jsonrpc() missing 3 required positional arguments: 'service', 'method', and 'args'"),
        ];
        for (names, expected) in cases {
            let error = required_arguments(&params, "RPC.jsonrpc", &names).expect_err("missing");
            assert_eq!(error.message, expected);
        }
    }

    #[test]
    fn result_none_has_no_result_member() {
        assert_eq!(
            result_body(&Value::Int(3), &Value::None),
            r#"{"jsonrpc": "2.0", "id": 3}"#
        );
        assert_eq!(
            result_body(&Value::from("x"), &Value::Bool(false)),
            r#"{"jsonrpc": "2.0", "id": "x", "result": false}"#
        );
    }

    #[test]
    fn error_envelope_shape() {
        let body = error_body(
            &Value::None,
            &OdooError::access_denied().into(),
            "authenticate",
        );

        let json: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        assert_eq!(json["jsonrpc"], "2.0");
        assert_eq!(json["id"], serde_json::Value::Null);
        assert_eq!(json["error"]["code"], 200);
        assert_eq!(json["error"]["message"], "Odoo Server Error");
        assert_eq!(
            json["error"]["data"]["name"],
            "odoo.exceptions.AccessDenied"
        );
        assert_eq!(json["error"]["data"]["message"], "Access Denied");
        assert_eq!(json["error"]["data"]["arguments"][0], "Access Denied");
    }
}
