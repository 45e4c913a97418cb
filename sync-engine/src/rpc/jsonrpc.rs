//! The JSON-RPC codec for Odoo's stateless `/jsonrpc` route: a `call`
//! request with `params: {service, method, args}`, and a response with
//! either `result` or `error`.
//!
//! Odoo 8 and 9 leave `result` out when the method returned `None`, so a
//! response with neither member decodes as `null`. Errors keep their code
//! (200 for server errors, 100 for an expired session) and the `data`
//! object, whose `name` is the exception's qualified class name.

use serde_json::{json, Value};

/// A decoded JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// `error.code`: 200 for a server error, 100 for an expired session.
    pub code: i64,
    /// `error.message`, such as `Odoo Server Error`.
    pub message: String,
    /// `error.data.name`, such as `odoo.exceptions.AccessError`.
    pub name: Option<String>,
    /// `error.data.message`: the exception's own text.
    pub detail: Option<String>,
}

/// A decoded JSON-RPC response.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcResponse {
    Result(Value),
    Error(RpcError),
}

/// A body that is not a JSON-RPC response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON-RPC response: {0}")]
pub struct DecodeError(String);

/// Encodes a `call` request to one of Odoo's services, for `/jsonrpc`.
pub fn encode_call(id: u64, service: &str, method: &str, args: Vec<Value>) -> Vec<u8> {
    encode_request(
        id,
        json!({"service": service, "method": method, "args": args}),
    )
}

/// Encodes a `call` request with these `params`, for any JSON route such
/// as `/web/dataset/call_kw`.
pub fn encode_request(id: u64, params: Value) -> Vec<u8> {
    let request = json!({
        "jsonrpc": "2.0",
        "method": "call",
        "params": params,
        "id": id,
    });
    request.to_string().into_bytes()
}

/// Decodes a response body.
pub fn decode_response(body: &[u8]) -> Result<RpcResponse, DecodeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError(format!("the body is not JSON ({e})")))?;
    let Value::Object(mut envelope) = value else {
        return Err(DecodeError("the body is not a JSON object".to_owned()));
    };
    if let Some(error) = envelope.remove("error") {
        return decode_error(error).map(RpcResponse::Error);
    }
    Ok(RpcResponse::Result(
        envelope.remove("result").unwrap_or(Value::Null),
    ))
}

fn decode_error(error: Value) -> Result<RpcError, DecodeError> {
    let Value::Object(error) = error else {
        return Err(DecodeError(format!(
            "an error that is not an object: {error}"
        )));
    };
    let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let data = error.get("data");
    let text_of = |key: &str| {
        data.and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(RpcError {
        code,
        message,
        name: text_of("name"),
        detail: text_of("message"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_call_envelope() {
        let body = encode_call(7, "object", "execute_kw", vec![json!("demo"), json!(2)]);
        let value: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(
            value,
            json!({"jsonrpc": "2.0", "method": "call", "id": 7,
                   "params": {"service": "object", "method": "execute_kw", "args": ["demo", 2]}})
        );
    }

    #[test]
    fn decode_result() {
        let response = decode_response(br#"{"jsonrpc":"2.0","id":1,"result":[1,2]}"#);
        assert_eq!(response, Ok(RpcResponse::Result(json!([1, 2]))));
    }

    #[test]
    fn decode_missing_result_is_null() {
        let response = decode_response(br#"{"jsonrpc":"2.0","id":1}"#);
        assert_eq!(response, Ok(RpcResponse::Result(Value::Null)));
    }

    #[test]
    fn decode_server_error() {
        let body = br#"{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error",
            "data":{"name":"odoo.exceptions.AccessError","message":"No access","arguments":["No access"],
            "context":{},"debug":"Traceback"}}}"#;
        let response = decode_response(body).expect("valid");
        assert_eq!(
            response,
            RpcResponse::Error(RpcError {
                code: 200,
                message: "Odoo Server Error".to_owned(),
                name: Some("odoo.exceptions.AccessError".to_owned()),
                detail: Some("No access".to_owned()),
            })
        );
    }

    #[test]
    fn decode_session_expired() {
        let body =
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":100,"message":"Odoo Session Expired",
            "data":{"name":"odoo.http.SessionExpiredException","message":"Session expired"}}}"#;
        let RpcResponse::Error(error) = decode_response(body).expect("valid") else {
            panic!("expected an error");
        };
        assert_eq!(error.code, 100);
    }

    #[test]
    fn decode_rejects_html_and_scalars() {
        assert!(decode_response(b"<html>502 Bad Gateway</html>").is_err());
        assert!(decode_response(b"42").is_err());
        assert!(decode_response(b"").is_err());
        assert!(decode_response(br#"{"error": "text"}"#).is_err());
    }
}
