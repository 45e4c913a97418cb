//! The XML-RPC codec: `<methodCall>` out, `<methodResponse>` or
//! `<fault>` in, over the same JSON values as the JSON-RPC codec.
//!
//! Values map as Python's `xmlrpc.client`, which Odoo runs, maps them:
//! integers within 32 bits as `<int>` and larger ones as `<i8>`, floats as
//! `<double>`, and `null` as `<nil/>`. Odoo accepts `<nil/>` in requests
//! but never sends it back, since its server marshals without
//! `allow_none`.
//! `<dateTime.iso8601>` and `<base64>` decode to their text, which is also
//! how Odoo's JSON-RPC sends dates and binaries. A `<value>` without a type
//! element is a string.
//!
//! A carriage return is sent as `&#13;`, since an XML parser turns a raw
//! one into a line feed. Characters that XML 1.0 cannot carry at all, such
//! as NUL, are rejected before sending rather than left for the server's
//! parser to fault on.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Number, Value};

/// The maximum nesting of arrays and structs in a response, which keeps
/// the recursive decoder's stack bounded.
const MAX_DEPTH: usize = 256;

/// An XML-RPC fault code: an integer on `/xmlrpc/2`, a string on Odoo's
/// legacy `/xmlrpc` routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultCode {
    Int(i64),
    Text(String),
}

/// A decoded `<fault>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    pub string: String,
}

/// A decoded `<methodResponse>`.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodResponse {
    Value(Value),
    Fault(Fault),
}

/// A value that XML-RPC cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode the request as XML-RPC: {0}")]
pub struct EncodeError(String);

/// A body that is not a valid XML-RPC response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid XML-RPC response: {0}")]
pub struct DecodeError(String);

/// Encodes a `<methodCall>` document.
pub fn encode_call(method: &str, params: &[Value]) -> Result<String, EncodeError> {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    push_text(&mut out, method)?;
    out.push_str("</methodName><params>");
    for param in params {
        out.push_str("<param>");
        encode_value(&mut out, param)?;
        out.push_str("</param>");
    }
    out.push_str("</params></methodCall>\n");
    Ok(out)
}

fn encode_value(out: &mut String, value: &Value) -> Result<(), EncodeError> {
    out.push_str("<value>");
    match value {
        Value::Null => out.push_str("<nil/>"),
        Value::Bool(flag) => {
            out.push_str(if *flag {
                "<boolean>1</boolean>"
            } else {
                "<boolean>0</boolean>"
            });
        }
        Value::Number(number) => encode_number(out, number)?,
        Value::String(text) => {
            out.push_str("<string>");
            push_text(out, text)?;
            out.push_str("</string>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>");
            for item in items {
                encode_value(out, item)?;
            }
            out.push_str("</data></array>");
        }
        Value::Object(members) => {
            out.push_str("<struct>");
            for (name, member) in members {
                out.push_str("<member><name>");
                push_text(out, name)?;
                out.push_str("</name>");
                encode_value(out, member)?;
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>");
    Ok(())
}

fn encode_number(out: &mut String, number: &Number) -> Result<(), EncodeError> {
    if let Some(integer) = number.as_i64() {
        let tag = if i32::try_from(integer).is_ok() {
            "int"
        } else {
            "i8"
        };
        out.push_str(&format!("<{tag}>{integer}</{tag}>"));
        return Ok(());
    }
    if number.is_u64() {
        return Err(EncodeError(format!(
            "the integer {number} does not fit in 64 bits"
        )));
    }
    let float = number
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| EncodeError(format!("the number {number} is not finite")))?;
    out.push_str(&format!("<double>{float:?}</double>"));
    Ok(())
}

/// Appends escaped character data.
fn push_text(out: &mut String, text: &str) -> Result<(), EncodeError> {
    for (position, c) in text.chars().enumerate() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                // The text itself stays out of the message: it may be a
                // password.
                return Err(EncodeError(format!(
                    "a string contains the character U+{:04X} at position {position}, which XML 1.0 cannot carry",
                    c as u32
                )));
            }
            c => out.push(c),
        }
    }
    Ok(())
}

/// Decodes a `<methodResponse>` document.
pub fn decode_response(body: &[u8]) -> Result<MethodResponse, DecodeError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| DecodeError(format!("the body is not UTF-8: {e}")))?;
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, next: 0 };
    let response = parser.method_response()?;
    parser.skip_space();
    if parser.next < parser.tokens.len() {
        return Err(DecodeError("content after </methodResponse>".to_owned()));
    }
    Ok(response)
}

/// A document reduced to elements and merged character data.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open(String),
    Close(String),
    Text(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, DecodeError> {
    let mut reader = Reader::from_str(text);
    let mut tokens = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| DecodeError(format!("{e} at byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(start) => tokens.push(Token::Open(element_name(start.name().as_ref())?)),
            Event::End(end) => tokens.push(Token::Close(element_name(end.name().as_ref())?)),
            Event::Empty(empty) => {
                let name = element_name(empty.name().as_ref())?;
                tokens.push(Token::Open(name.clone()));
                tokens.push(Token::Close(name));
            }
            Event::Text(chunk) => push_chunk(&mut tokens, &chunk.xml10_content().map_err(invalid)?),
            Event::CData(chunk) => {
                push_chunk(&mut tokens, &chunk.xml10_content().map_err(invalid)?)
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(invalid)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.decode().map_err(invalid)?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| DecodeError(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                push_chunk(&mut tokens, &resolved);
            }
            Event::DocType(_) => return Err(DecodeError("a DOCTYPE is not allowed".to_owned())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => return Ok(tokens),
        }
    }
}

fn invalid(error: impl std::fmt::Display) -> DecodeError {
    DecodeError(error.to_string())
}

/// Returns an element's local name: Apache's `ex:nil` and `ex:i8`
/// extensions decode as `nil` and `i8`.
fn element_name(raw: &[u8]) -> Result<String, DecodeError> {
    let name = std::str::from_utf8(raw).map_err(invalid)?;
    Ok(name.rsplit(':').next().unwrap_or(name).to_owned())
}

fn push_chunk(tokens: &mut Vec<Token>, chunk: &str) {
    if let Some(Token::Text(text)) = tokens.last_mut() {
        text.push_str(chunk);
    } else {
        tokens.push(Token::Text(chunk.to_owned()));
    }
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    /// Skips whitespace between elements.
    fn skip_space(&mut self) {
        if let Some(Token::Text(text)) = self.peek() {
            if text.trim().is_empty() {
                self.next += 1;
            }
        }
    }

    fn open(&mut self, name: &str) -> Result<(), DecodeError> {
        self.skip_space();
        match self.tokens.get(self.next) {
            Some(Token::Open(found)) if found == name => {
                self.next += 1;
                Ok(())
            }
            other => Err(DecodeError(format!(
                "expected <{name}>, found {}",
                describe(other)
            ))),
        }
    }

    fn close(&mut self, name: &str) -> Result<(), DecodeError> {
        self.skip_space();
        match self.tokens.get(self.next) {
            Some(Token::Close(found)) if found == name => {
                self.next += 1;
                Ok(())
            }
            other => Err(DecodeError(format!(
                "expected </{name}>, found {}",
                describe(other)
            ))),
        }
    }

    /// Reads the character data of a leaf element up to its end tag.
    fn leaf_text(&mut self, name: &str) -> Result<String, DecodeError> {
        let text = match self.peek() {
            Some(Token::Text(text)) => {
                let text = text.clone();
                self.next += 1;
                text
            }
            _ => String::new(),
        };
        match self.tokens.get(self.next) {
            Some(Token::Close(found)) if found == name => {
                self.next += 1;
                Ok(text)
            }
            other => Err(DecodeError(format!(
                "expected </{name}>, found {}",
                describe(other)
            ))),
        }
    }

    fn method_response(&mut self) -> Result<MethodResponse, DecodeError> {
        self.open("methodResponse")?;
        self.skip_space();
        let response = match self.peek() {
            Some(Token::Open(name)) if name == "fault" => {
                self.next += 1;
                let value = self.value(0)?;
                self.close("fault")?;
                MethodResponse::Fault(fault_of(value)?)
            }
            _ => {
                self.open("params")?;
                self.open("param")?;
                let value = self.value(0)?;
                self.close("param")?;
                self.close("params")?;
                MethodResponse::Value(value)
            }
        };
        self.close("methodResponse")?;
        Ok(response)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError(format!(
                "values nest deeper than {MAX_DEPTH} levels"
            )));
        }
        self.open("value")?;
        let leading = match self.peek() {
            Some(Token::Text(text)) => Some(text.clone()),
            _ => None,
        };
        if leading.is_some() {
            self.next += 1;
        }
        if let Some(Token::Close(name)) = self.peek() {
            if name == "value" {
                self.next += 1;
                return Ok(Value::String(leading.unwrap_or_default()));
            }
        }
        if leading.as_deref().is_some_and(|t| !t.trim().is_empty()) {
            return Err(DecodeError(
                "text beside a typed element in <value>".to_owned(),
            ));
        }
        let tag = match self.peek() {
            Some(Token::Open(tag)) => tag.clone(),
            other => {
                return Err(DecodeError(format!(
                    "expected a type element, found {}",
                    describe(other)
                )))
            }
        };
        self.next += 1;
        let value = self.typed_value(&tag, depth)?;
        self.close("value")?;
        Ok(value)
    }

    fn typed_value(&mut self, tag: &str, depth: usize) -> Result<Value, DecodeError> {
        match tag {
            "int" | "i4" | "i8" | "biginteger" => {
                let text = self.leaf_text(tag)?;
                let integer: i64 = text.trim().parse().map_err(|_| {
                    DecodeError(format!("<{tag}> contains {text:?}, not a 64-bit integer"))
                })?;
                Ok(Value::from(integer))
            }
            "boolean" => match self.leaf_text(tag)?.trim() {
                "1" => Ok(Value::Bool(true)),
                "0" => Ok(Value::Bool(false)),
                other => Err(DecodeError(format!(
                    "<boolean> contains {other:?}, not 0 or 1"
                ))),
            },
            "double" => {
                let text = self.leaf_text(tag)?;
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        DecodeError(format!("<double> contains {text:?}, not a finite number"))
                    })
            }
            "string" | "dateTime.iso8601" | "base64" => Ok(Value::String(self.leaf_text(tag)?)),
            "nil" => {
                self.leaf_text(tag)?;
                Ok(Value::Null)
            }
            "array" => self.array(depth),
            "struct" => self.structure(depth),
            other => Err(DecodeError(format!("unknown type element <{other}>"))),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, DecodeError> {
        self.open("data")?;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if matches!(self.peek(), Some(Token::Close(name)) if name == "data") {
                break;
            }
            items.push(self.value(depth + 1)?);
        }
        self.close("data")?;
        self.close("array")?;
        Ok(Value::Array(items))
    }

    fn structure(&mut self, depth: usize) -> Result<Value, DecodeError> {
        let mut members = Map::new();
        loop {
            self.skip_space();
            if matches!(self.peek(), Some(Token::Close(name)) if name == "struct") {
                break;
            }
            self.open("member")?;
            self.open("name")?;
            let name = self.leaf_text("name")?;
            let value = self.value(depth + 1)?;
            self.close("member")?;
            members.insert(name, value);
        }
        self.close("struct")?;
        Ok(Value::Object(members))
    }
}

fn describe(token: Option<&Token>) -> String {
    match token {
        Some(Token::Open(name)) => format!("<{name}>"),
        Some(Token::Close(name)) => format!("</{name}>"),
        Some(Token::Text(text)) => format!("text {:?}", text.chars().take(40).collect::<String>()),
        None => "the end of the document".to_owned(),
    }
}

fn fault_of(value: Value) -> Result<Fault, DecodeError> {
    let Value::Object(members) = value else {
        return Err(DecodeError("a <fault> that is not a struct".to_owned()));
    };
    let code = match members.get("faultCode") {
        Some(Value::Number(n)) => FaultCode::Int(n.as_i64().unwrap_or_default()),
        Some(Value::String(text)) => FaultCode::Text(text.clone()),
        other => {
            return Err(DecodeError(format!(
                "a <fault> whose faultCode is {other:?}"
            )))
        }
    };
    let string = match members.get("faultString") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    Ok(Fault { code, string })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(value_xml: &str) -> Value {
        let body = format!(
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n{value_xml}\n</param>\n</params>\n</methodResponse>\n"
        );
        match decode_response(body.as_bytes()).expect("a valid response") {
            MethodResponse::Value(value) => value,
            MethodResponse::Fault(fault) => panic!("unexpected fault {fault:?}"),
        }
    }

    #[test]
    fn encode_call_scalars() {
        let xml = encode_call(
            "execute_kw",
            &[
                json!("demo"),
                json!(2),
                json!(true),
                json!(1.5),
                json!(null),
            ],
        )
        .expect("encodable");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\"?>\n<methodCall><methodName>execute_kw</methodName><params>\
             <param><value><string>demo</string></value></param>\
             <param><value><int>2</int></value></param>\
             <param><value><boolean>1</boolean></value></param>\
             <param><value><double>1.5</double></value></param>\
             <param><value><nil/></value></param>\
             </params></methodCall>\n"
        );
    }

    #[test]
    fn encode_call_containers() {
        let xml = encode_call("m", &[json!([1, {"a": [false]}])]).expect("encodable");
        assert!(xml.contains(
            "<value><array><data><value><int>1</int></value>\
             <value><struct><member><name>a</name><value><array><data>\
             <value><boolean>0</boolean></value></data></array></value>\
             </member></struct></value></data></array></value>"
        ));
    }

    #[test]
    fn encode_escapes_markup_and_carriage_return() {
        let xml = encode_call("m", &[json!("a<b>&c\r\n")]).expect("encodable");
        assert!(xml.contains("<string>a&lt;b&gt;&amp;c&#13;\n</string>"));
    }

    #[test]
    fn encode_large_integer_as_i8() {
        let xml = encode_call("m", &[json!(4_294_967_296_i64)]).expect("encodable");
        assert!(xml.contains("<i8>4294967296</i8>"));
    }

    #[test]
    fn encode_rejects_control_characters() {
        let error = encode_call("m", &[json!("a\u{0}b")]).expect_err("NUL is not XML");
        assert!(error.to_string().contains("U+0000"), "{error}");
    }

    #[test]
    fn encode_rejects_u64_beyond_i64() {
        assert!(encode_call("m", &[json!(u64::MAX)]).is_err());
    }

    #[test]
    fn decode_scalars() {
        assert_eq!(response("<value><int>42</int></value>"), json!(42));
        assert_eq!(response("<value><i4>-7</i4></value>"), json!(-7));
        assert_eq!(
            response("<value><i8>8589934592</i8></value>"),
            json!(8_589_934_592_i64)
        );
        assert_eq!(
            response("<value><boolean>0</boolean></value>"),
            json!(false)
        );
        assert_eq!(response("<value><double>2.5</double></value>"), json!(2.5));
        assert_eq!(response("<value><string>x</string></value>"), json!("x"));
        assert_eq!(response("<value><nil/></value>"), json!(null));
        assert_eq!(
            response("<value><dateTime.iso8601>20240501T10:00:00</dateTime.iso8601></value>"),
            json!("20240501T10:00:00")
        );
    }

    #[test]
    fn decode_untyped_value_is_string() {
        assert_eq!(response("<value>plain text</value>"), json!("plain text"));
        assert_eq!(response("<value></value>"), json!(""));
        assert_eq!(response("<value><string/></value>"), json!(""));
    }

    #[test]
    fn decode_entities_and_cdata() {
        assert_eq!(
            response("<value><string>a&amp;b &lt;&#233;&#x41;<![CDATA[<raw>]]></string></value>"),
            json!("a&b <éA<raw>")
        );
    }

    #[test]
    fn decode_keeps_whitespace_inside_strings() {
        assert_eq!(
            response("<value><string>  two  </string></value>"),
            json!("  two  ")
        );
    }

    #[test]
    fn decode_nested_containers() {
        let value = response(
            "<value><array><data>\n<value><struct>\n<member><name>id</name><value><int>7</int></value></member>\n\
             <member><name>partner_id</name><value><array><data><value><int>3</int></value>\
             <value><string>Ada</string></value></data></array></value></member>\n\
             </struct></value>\n</data></array></value>",
        );
        assert_eq!(value, json!([{"id": 7, "partner_id": [3, "Ada"]}]));
    }

    #[test]
    fn decode_apache_extension_tags() {
        assert_eq!(response("<value><ex:nil/></value>"), json!(null));
        assert_eq!(response("<value><ex:i8>5</ex:i8></value>"), json!(5));
    }

    #[test]
    fn decode_fault_with_integer_code() {
        let body = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n\
            <member>\n<name>faultCode</name>\n<value><int>4</int></value>\n</member>\n\
            <member>\n<name>faultString</name>\n<value><string>No access</string></value>\n</member>\n\
            </struct></value>\n</fault>\n</methodResponse>\n";
        let decoded = decode_response(body.as_bytes()).expect("a valid fault");
        assert_eq!(
            decoded,
            MethodResponse::Fault(Fault {
                code: FaultCode::Int(4),
                string: "No access".to_owned()
            })
        );
    }

    #[test]
    fn decode_fault_with_string_code() {
        let body = "<methodResponse><fault><value><struct>\
            <member><name>faultCode</name><value><string>warning -- AccessError\n\nNo</string></value></member>\
            <member><name>faultString</name><value><string></string></value></member>\
            </struct></value></fault></methodResponse>";
        let MethodResponse::Fault(fault) = decode_response(body.as_bytes()).expect("a fault")
        else {
            panic!("expected a fault");
        };
        assert_eq!(
            fault.code,
            FaultCode::Text("warning -- AccessError\n\nNo".to_owned())
        );
    }

    #[test]
    fn decode_rejects_html_page() {
        let page = b"<html><head><title>502 Bad Gateway</title></head></html>";
        let error = decode_response(page).expect_err("HTML is not XML-RPC");
        assert!(
            error.to_string().contains("expected <methodResponse>"),
            "{error}"
        );
    }

    #[test]
    fn decode_rejects_truncated_body() {
        let body = b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><int>4";
        assert!(decode_response(body).is_err());
    }

    #[test]
    fn decode_rejects_empty_body() {
        assert!(decode_response(b"").is_err());
    }

    #[test]
    fn decode_rejects_doctype() {
        let body = b"<!DOCTYPE x [<!ENTITY a 'b'>]><methodResponse/>";
        assert!(decode_response(body).is_err());
    }

    #[test]
    fn decode_rejects_bad_scalars() {
        for value in [
            "<value><int>x</int></value>",
            "<value><boolean>2</boolean></value>",
            "<value><double>nan</double></value>",
            "<value><unknown>1</unknown></value>",
        ] {
            let body =
                format!("<methodResponse><params><param>{value}</param></params></methodResponse>");
            assert!(decode_response(body.as_bytes()).is_err(), "{value}");
        }
    }

    #[test]
    fn decode_limits_nesting() {
        let depth = MAX_DEPTH + 2;
        let value = format!(
            "{}<value><int>1</int></value>{}",
            "<value><array><data>".repeat(depth),
            "</data></array></value>".repeat(depth)
        );
        let body =
            format!("<methodResponse><params><param>{value}</param></params></methodResponse>");
        let error = decode_response(body.as_bytes()).expect_err("too deep");
        assert!(error.to_string().contains("nest deeper"), "{error}");
    }

    #[test]
    fn round_trip_through_encoder() {
        let original = json!({"name": "Ada & <Co>", "ids": [1, 2], "price": 9.99, "on": true});
        let call = encode_call("m", std::slice::from_ref(&original)).expect("encodable");
        let param = call
            .split("<param>")
            .nth(1)
            .and_then(|rest| rest.split("</param>").next())
            .expect("one param");
        assert_eq!(response(param), original);
    }
}
