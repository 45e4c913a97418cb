//! A small XML-RPC codec for tests that send raw requests: it builds
//! `methodCall` documents and reads `methodResponse` documents, including
//! faults. It follows the XML-RPC specification, where a `<value>` without a
//! type element is a string.

use std::fmt::Write as _;

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use quick_xml::Reader;

/// An XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Bool(bool),
    Double(f64),
    String(String),
    DateTime(String),
    Base64(String),
    Array(Vec<Value>),
    Struct(Vec<(String, Value)>),
    Nil,
}

impl Value {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(value) => Some(value),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Returns a member of a struct by name.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(value.to_owned())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

/// A decoded `methodResponse`.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// A successful response with its parameters (one, in practice).
    Params(Vec<Value>),
    /// A fault. `/xmlrpc/2` sends an integer code, and the legacy `/xmlrpc`
    /// routes send a string code.
    Fault { code: Value, string: String },
}

impl Response {
    /// Returns the single result of a successful response.
    pub fn result(&self) -> Option<&Value> {
        match self {
            Response::Params(params) => params.first(),
            Response::Fault { .. } => None,
        }
    }

    /// Returns the fault code and string of a fault.
    pub fn fault(&self) -> Option<(&Value, &str)> {
        match self {
            Response::Fault { code, string } => Some((code, string)),
            Response::Params(_) => None,
        }
    }
}

/// Serializes a `methodCall` document.
pub fn method_call(method: &str, params: &[Value]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    xml.push_str(&escape(method));
    xml.push_str("</methodName><params>");
    for param in params {
        xml.push_str("<param>");
        write_value(&mut xml, param);
        xml.push_str("</param>");
    }
    xml.push_str("</params></methodCall>\n");
    xml
}

fn write_value(xml: &mut String, value: &Value) {
    xml.push_str("<value>");
    match value {
        Value::Int(number) => {
            let _ = write!(xml, "<int>{number}</int>");
        }
        Value::Bool(flag) => {
            let _ = write!(xml, "<boolean>{}</boolean>", u8::from(*flag));
        }
        Value::Double(number) => {
            let _ = write!(xml, "<double>{number:?}</double>");
        }
        Value::String(text) => {
            let _ = write!(xml, "<string>{}</string>", escape(text.as_str()));
        }
        Value::DateTime(text) => {
            let _ = write!(
                xml,
                "<dateTime.iso8601>{}</dateTime.iso8601>",
                escape(text.as_str())
            );
        }
        Value::Base64(text) => {
            let _ = write!(xml, "<base64>{}</base64>", escape(text.as_str()));
        }
        Value::Array(items) => {
            xml.push_str("<array><data>");
            for item in items {
                write_value(xml, item);
            }
            xml.push_str("</data></array>");
        }
        Value::Struct(members) => {
            xml.push_str("<struct>");
            for (name, member) in members {
                let _ = write!(xml, "<member><name>{}</name>", escape(name.as_str()));
                write_value(xml, member);
                xml.push_str("</member>");
            }
            xml.push_str("</struct>");
        }
        Value::Nil => xml.push_str("<nil/>"),
    }
    xml.push_str("</value>");
}

/// An element of the parsed document: its name, its child elements and the
/// text directly inside it.
#[derive(Debug, Default)]
struct Element {
    name: String,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }
}

/// Parses a `methodResponse` document.
pub fn parse_response(xml: &str) -> Result<Response, String> {
    let root = parse_document(xml)?;
    if root.name != "methodResponse" {
        return Err(format!("expected <methodResponse>, found <{}>", root.name));
    }
    if let Some(fault) = root.child("fault") {
        let value = fault
            .child("value")
            .ok_or("a <fault> without a <value>")
            .and_then(|value| decode_value(value).map_err(|_| "an invalid fault value"))?;
        let code = value
            .get("faultCode")
            .cloned()
            .ok_or("a fault without faultCode")?;
        let string = match value.get("faultString") {
            Some(Value::String(text)) => text.clone(),
            other => return Err(format!("a fault whose faultString is {other:?}")),
        };
        return Ok(Response::Fault { code, string });
    }
    let params = root
        .child("params")
        .ok_or("a <methodResponse> without <params> or <fault>")?;
    let mut values = Vec::new();
    for param in params.children_named("param") {
        let value = param.child("value").ok_or("a <param> without a <value>")?;
        values.push(decode_value(value)?);
    }
    Ok(Response::Params(values))
}

fn parse_document(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|error| {
            format!("invalid XML at byte {}: {error}", reader.buffer_position())
        })?;
        match event {
            Event::Start(start) => stack.push(Element {
                name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(empty) => {
                let element = Element {
                    name: String::from_utf8_lossy(empty.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("an end tag without a start tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|error| error.to_string())?;
                if let Some(element) = stack.last_mut() {
                    element.text.push_str(&text);
                }
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|error| error.to_string())?;
                if let Some(element) = stack.last_mut() {
                    element.text.push_str(&text);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|error| error.to_string())?
                {
                    Some(character) => character.to_string(),
                    None => {
                        let name = reference.decode().map_err(|error| error.to_string())?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_owned()
                    }
                };
                if let Some(element) = stack.last_mut() {
                    element.text.push_str(&resolved);
                }
            }
            Event::Eof => {
                return Err("the document ended before its root element closed".to_owned())
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn decode_value(value: &Element) -> Result<Value, String> {
    let Some(typed) = value.children.first() else {
        // A value without a type element is a string.
        return Ok(Value::String(value.text.clone()));
    };
    let text = typed.text.as_str();
    match typed.name.as_str() {
        "int" | "i4" | "i8" => text
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("invalid integer {text:?}")),
        "boolean" => match text.trim() {
            "0" => Ok(Value::Bool(false)),
            "1" => Ok(Value::Bool(true)),
            other => Err(format!("invalid boolean {other:?}")),
        },
        "double" => text
            .trim()
            .parse()
            .map(Value::Double)
            .map_err(|_| format!("invalid double {text:?}")),
        "string" => Ok(Value::String(text.to_owned())),
        "dateTime.iso8601" => Ok(Value::DateTime(text.trim().to_owned())),
        "base64" => Ok(Value::Base64(text.trim().to_owned())),
        "nil" => Ok(Value::Nil),
        "array" => {
            let data = typed.child("data").ok_or("an <array> without <data>")?;
            data.children_named("value")
                .map(decode_value)
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        "struct" => {
            let mut members = Vec::new();
            for member in typed.children_named("member") {
                let name = member.child("name").ok_or("a <member> without <name>")?;
                let value = member.child("value").ok_or("a <member> without <value>")?;
                members.push((name.text.clone(), decode_value(value)?));
            }
            Ok(Value::Struct(members))
        }
        other => Err(format!("unknown XML-RPC type <{other}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_with_params() {
        let xml = "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><struct>\
                   <member><name>server_version</name><value><string>17.0</string></value></member>\
                   <member><name>protocol_version</name><value><int>1</int></value></member>\
                   <member><name>plain</name><value>a &amp; b&#33;</value></member>\
                   </struct></value></param></params></methodResponse>\n";
        let response = parse_response(xml).expect("valid response");
        let result = response.result().expect("a result");
        assert_eq!(result.get("server_version"), Some(&Value::from("17.0")));
        assert_eq!(result.get("protocol_version"), Some(&Value::Int(1)));
        assert_eq!(result.get("plain"), Some(&Value::from("a & b!")));
    }

    #[test]
    fn response_with_fault() {
        let xml = "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct>\
                   <member><name>faultCode</name><value><int>3</int></value></member>\
                   <member><name>faultString</name><value><string>Access Denied</string></value></member>\
                   </struct></value></fault></methodResponse>\n";
        let response = parse_response(xml).expect("valid response");
        assert_eq!(response.fault(), Some((&Value::Int(3), "Access Denied")));
    }

    #[test]
    fn call_round_trip() {
        let params = [
            Value::from("demo"),
            Value::Int(2),
            Value::Array(vec![Value::Bool(true), Value::Double(0.5), Value::Nil]),
            Value::Struct(vec![("name".to_owned(), Value::from("<Ada & Co>"))]),
        ];
        let xml = method_call("execute_kw", &params);
        // Reuse the response parser on the same value encoding.
        let body = xml
            .replace(
                "<methodCall><methodName>execute_kw</methodName>",
                "<methodResponse>",
            )
            .replace("</methodCall>", "</methodResponse>");
        let response = parse_response(&body).expect("valid document");
        assert_eq!(response, Response::Params(params.to_vec()));
    }
}
