//! Codec tests. Every expected text here was printed by CPython 3.11's
//! `xmlrpc.client.loads` or `dumps` for the same input.

use super::*;
use crate::value::{Dict, Value};
use crate::wire::fault::{Fault, FaultCode};

fn call(params: &str) -> String {
    format!("<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n{params}</params>\n</methodCall>\n")
}

fn param(value: &str) -> String {
    format!("<param>\n<value>{value}</value>\n</param>\n")
}

fn decode_one(value: &str) -> Value {
    let decoded = decode_method_call(call(&param(value)).as_bytes()).expect(value);
    assert_eq!(decoded.params.len(), 1, "{value}");
    decoded.params.into_iter().next().expect("one parameter")
}

fn error_text(body: &[u8]) -> String {
    let error = decode_method_call(body).expect_err("invalid body");
    error.last_traceback_line().trim_end().to_owned()
}

/// Checks that each body raises the `ExpatError` with its message.
fn assert_expat_errors(cases: &[(&[u8], &str)]) {
    for (body, message) in cases {
        let expected = format!("xml.parsers.expat.ExpatError: {message}");
        assert_eq!(
            error_text(body),
            expected,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn decodes_every_scalar_type() {
    let cases = [
        ("<i4>7</i4>", Value::Int(7)),
        ("<int>-3</int>", Value::Int(-3)),
        ("<i8>99999999999</i8>", Value::Int(99_999_999_999)),
        ("<biginteger>1</biginteger>", Value::Int(1)),
        ("<int> 7 </int>", Value::Int(7)),
        ("<int>1_000</int>", Value::Int(1000)),
        ("<boolean>1</boolean>", Value::Bool(true)),
        ("<boolean>0</boolean>", Value::Bool(false)),
        (
            "<string>a&amp;b&lt;&#65;&#x42;</string>",
            Value::from("a&b<AB"),
        ),
        ("<double> 1.5 </double>", Value::Float(1.5)),
        ("<float>1</float>", Value::Float(1.0)),
        ("<double>1e5</double>", Value::Float(100_000.0)),
        ("<nil/>", Value::None),
        ("<ex:nil xmlns:ex='e'/>", Value::None),
        ("untyped", Value::from("untyped")),
        ("", Value::from("")),
        ("<string></string>", Value::from("")),
        ("a<string>b</string>", Value::from("b")),
        ("<base64>eHk=</base64>", Value::Binary(b"xy".to_vec())),
        (
            "<dateTime.iso8601> 20240102T03:04:05 </dateTime.iso8601>",
            Value::DateTime("20240102T03:04:05".to_owned()),
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(decode_one(xml), expected, "{xml}");
    }
}

#[test]
fn decodes_containers() {
    let xml = "<struct><member><name>a</name><value><array><data>\
               <value><int>1</int></value><value>x</value></data></array></value></member>\
               <member><name>b</name><value><struct></struct></value></member></struct>";

    let value = decode_one(xml);

    let mut inner = Dict::default();
    inner.insert(
        "a".into(),
        Value::List(vec![Value::Int(1), Value::from("x")]),
    );
    inner.insert("b".into(), Value::Dict(Dict::default()));
    assert_eq!(value, Value::Dict(inner));
}

#[test]
fn decodes_method_name_and_no_params() {
    let decoded = decode_method_call(b"<methodCall><methodName>x</methodName></methodCall>")
        .expect("valid call");

    assert_eq!(decoded.method.as_deref(), Some("x"));
    assert!(decoded.params.is_empty());
}

#[test]
fn missing_method_name_is_none() {
    let decoded = decode_method_call(b"<methodCall><params/></methodCall>").expect("valid");

    assert_eq!(decoded.method, None);
}

#[test]
fn several_values_in_one_param() {
    let body = call("<param><value><i4>1</i4></value><value><i1>2</i1></value></param>");

    let decoded = decode_method_call(body.as_bytes()).expect("valid");

    assert_eq!(decoded.params, vec![Value::Int(1), Value::Int(2)]);
}

#[test]
fn byte_order_mark_and_line_ends() {
    let body = b"\xef\xbb\xbf<methodCall><methodName>a\r\nb\rc</methodName></methodCall>";

    let decoded = decode_method_call(body).expect("valid");

    assert_eq!(decoded.method.as_deref(), Some("a\nb\nc"));
}

#[test]
fn latin1_declaration_is_honoured() {
    let body = b"<?xml version=\"1.0\" encoding=\"latin-1\"?><methodCall><methodName>\xe9</methodName></methodCall>";

    let decoded = decode_method_call(body).expect("valid");

    assert_eq!(decoded.method.as_deref(), Some("é"));
}

#[test]
fn malformed_bodies_give_expat_errors() {
    let cases: [(&[u8], &str); 29] = [
        (b"", "no element found: line 1, column 0"),
        (b"   ", "no element found: line 1, column 3"),
        (b"hello", "syntax error: line 1, column 0"),
        (b"  hello", "syntax error: line 1, column 2"),
        (b"hello <a/>", "syntax error: line 1, column 0"),
        (b"<methodCall>", "no element found: line 1, column 12"),
        (b"<methodCall", "unclosed token: line 1, column 0"),
        (b"<a>x<", "unclosed token: line 1, column 4"),
        (b"<a></a", "unclosed token: line 1, column 3"),
        (b"<a><!-- x", "unclosed token: line 1, column 3"),
        (
            b"<a><![CDATA[x",
            "unclosed CDATA section: line 1, column 13",
        ),
        (b"<a></b>", "mismatched tag: line 1, column 5"),
        (b"<a>\xc3\xa9</b>", "mismatched tag: line 1, column 6"),
        (b"<a>\r\nb</b>", "mismatched tag: line 2, column 3"),
        (
            b"\n\n  <a>\xff</a>",
            "not well-formed (invalid token): line 3, column 5",
        ),
        (
            b"<a>\xc3</a>",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (b"<a>\xc3", "partial character: line 1, column 3"),
        (
            b"<a>\x01</a>",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (
            b"<a>\xef\xbf\xbe</a>",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (b"<a/><b/>", "junk after document element: line 1, column 4"),
        (b"<a/>junk", "junk after document element: line 1, column 4"),
        (b"<a>&foo;</a>", "undefined entity: line 1, column 3"),
        (
            b"<a>&#0;</a>",
            "reference to invalid character number: line 1, column 3",
        ),
        (
            b"<a>&#xD800;</a>",
            "reference to invalid character number: line 1, column 3",
        ),
        (
            b"<a>&</a>",
            "not well-formed (invalid token): line 1, column 4",
        ),
        (
            b"<a>&amp</a>",
            "not well-formed (invalid token): line 1, column 7",
        ),
        (
            b"<a>]]></a>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (b"</a>", "not well-formed (invalid token): line 1, column 1"),
        (b"<1/>", "not well-formed (invalid token): line 1, column 1"),
    ];
    assert_expat_errors(&cases);
}

#[test]
fn forbidden_characters_and_invalid_bytes() {
    // The first of a forbidden character and an invalid byte is reported,
    // after text long enough to be searched a word at a time.
    let cases: [(&[u8], &str); 5] = [
        (
            b"<a>0123456789\x01\xff</a>",
            "not well-formed (invalid token): line 1, column 13",
        ),
        (
            b"<a>0123456789\xff\x01</a>",
            "not well-formed (invalid token): line 1, column 13",
        ),
        (
            b"<?xml version='1.0'?>\n<a>0123456789\xef\xbf\xbf</a>",
            "not well-formed (invalid token): line 2, column 13",
        ),
        (
            b"<?xml version='1.0'?>\n<a>\x1f</a>",
            "not well-formed (invalid token): line 2, column 3",
        ),
        (
            b"<?xml version='1.0'?>\n<a>\xc3",
            "partial character: line 2, column 3",
        ),
    ];
    assert_expat_errors(&cases);
}

#[test]
fn common_declarations_need_no_checks() {
    for declaration in syntax::COMMON_DECLARATIONS {
        let text = std::str::from_utf8(declaration).expect("ASCII");
        let encoding = declared_encoding(declaration);

        assert_eq!(
            syntax::check_processing_instruction(text, syntax::Placement::DocumentStart),
            Ok(()),
            "{text}"
        );
        assert!(
            matches!(encoding.as_deref(), None | Some("utf-8")),
            "{text}: {encoding:?}"
        );
    }
}

#[test]
fn int_grouping_matches_python() {
    let cases = [
        ("1_000", Value::Int(1000)),
        ("+1_0", Value::Int(10)),
        ("-2_5", Value::Int(-25)),
        ("+7", Value::Int(7)),
        (" -7\n", Value::Int(-7)),
    ];
    for (text, expected) in cases {
        assert_eq!(
            decode_one(&format!("<int>{text}</int>")),
            expected,
            "{text:?}"
        );
    }
    for text in ["", "+", "_1", "1_", "1__0", "+_1", "1_a", "1 0"] {
        assert_eq!(
            error_text(call(&param(&format!("<int>{text}</int>"))).as_bytes()),
            format!(
                "ValueError: invalid literal for int() with base 10: {}",
                crate::value::python_str_repr(text)
            ),
            "{text:?}"
        );
    }
}

#[test]
fn byte_order_marks_match_expat() {
    // Python 3.11's xmlrpc.client.loads gives these errors.
    let cases: [(&[u8], &str); 5] = [
        (
            b"\xef\xbb\xbf\xef\xbb\xbf<a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"\xef\xbb\xbf\xef\xbb\xbf\xef\xbb\xbf<a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"\xef\xbb\xbf \xef\xbb\xbf<a/>",
            "not well-formed (invalid token): line 1, column 2",
        ),
        (
            b" \xef\xbb\xbf<a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"\xef\xbb\xbf<?xml version=\"1.0\"?>\xef\xbb\xbf<a/>",
            "not well-formed (invalid token): line 1, column 22",
        ),
    ];
    assert_expat_errors(&cases);
}

#[test]
fn ascii_declarations_reject_other_bytes() {
    // Python 3.11's xmlrpc.client.loads gives these errors.
    let cases: [(&[u8], &str); 3] = [
        (
            b"<?xml version=\"1.0\" encoding=\"us-ascii\"?><methodCall><methodName>x\xc3\xa9</methodName></methodCall>",
            "not well-formed (invalid token): line 1, column 66",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"ascii\"?><methodCall><methodName>x\xc3\xa9</methodName></methodCall>",
            "not well-formed (invalid token): line 1, column 63",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"utf8\"?><methodCall><methodName>x\xc3\xa9</methodName></methodCall>",
            "not well-formed (invalid token): line 1, column 62",
        ),
    ];
    assert_expat_errors(&cases);

    let ascii = b"<?xml version=\"1.0\" encoding=\"US-ASCII\"?><methodCall><methodName>version</methodName></methodCall>";
    let call = decode_method_call(ascii).expect("an ASCII call");
    assert_eq!(call.method.as_deref(), Some("version"));
}

#[test]
fn attribute_references_match_expat() {
    // Python 3.11's xmlrpc.client.loads gives these errors.
    let cases: [(&[u8], &str); 10] = [
        (
            b"<methodCall><methodName x=\"&foo;\">v</methodName></methodCall>",
            "undefined entity: line 1, column 12",
        ),
        (
            b"<methodCall x=\"&foo;\" 1><methodName>v</methodName></methodCall>",
            "not well-formed (invalid token): line 1, column 22",
        ),
        (
            b"<methodCall x=\"&#0;\" 1><methodName>v</methodName></methodCall>",
            "not well-formed (invalid token): line 1, column 21",
        ),
        (
            b"<methodCall x=\"&foo;\" y=\"&#0;\"><methodName>v</methodName></methodCall>",
            "undefined entity: line 1, column 0",
        ),
        (
            b"<methodCall y=\"&#0;\" x=\"&foo;\"><methodName>v</methodName></methodCall>",
            "reference to invalid character number: line 1, column 15",
        ),
        (
            b"<methodCall x=\"&#0;\"><methodName>v</methodName></methodCall>",
            "reference to invalid character number: line 1, column 15",
        ),
        (
            b"<methodCall x=\"&#xD800;\"><methodName>v</methodName></methodCall>",
            "reference to invalid character number: line 1, column 15",
        ),
        (
            b"<methodCall x=\"&#x110000;\"><methodName>v</methodName></methodCall>",
            "reference to invalid character number: line 1, column 15",
        ),
        (
            b"<methodCall x=\"&foo;\"><methodName>v</methodName></methodCall>",
            "undefined entity: line 1, column 0",
        ),
        (
            b"<methodCall  y=\"1\" x=\"&foo;\"><methodName>v</methodName></methodCall>",
            "undefined entity: line 1, column 0",
        ),
    ];
    assert_expat_errors(&cases);

    let valid = b"<methodCall x=\"a&amp;b&#65;\"><methodName>v</methodName></methodCall>";
    let call = decode_method_call(valid).expect("Python reads this call");
    assert_eq!(call.method.as_deref(), Some("v"));
}

#[test]
fn long_declaration_encoding_applies() {
    let mut body = b"<?xml version=\"1.0\"".to_vec();
    body.extend_from_slice(&[b' '; 300]);
    body.extend_from_slice(
        b"encoding=\"latin-1\"?><methodCall><methodName>x\xc3\xa9</methodName></methodCall>",
    );
    let call = decode_method_call(&body).expect("Python reads this call");
    // The two UTF-8 bytes of `é` read as two Latin-1 characters.
    assert_eq!(call.method.as_deref(), Some("x\u{c3}\u{a9}"));
}

#[test]
fn byte_order_mark_inside_element_is_text() {
    let body = b"\xef\xbb\xbf<methodCall>\xef\xbb\xbf<methodName>version</methodName></methodCall>";
    let call = decode_method_call(body).expect("Python reads this call");
    assert_eq!(call.method.as_deref(), Some("version"));
    assert!(call.params.is_empty());
}

#[test]
fn token_errors_match_expat() {
    let cases: [(&[u8], &str); 44] = [
        (
            b"&amp;<a/>",
            "not well-formed (invalid token): line 1, column 0",
        ),
        (
            b"1<a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"#<a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (b"]<a/>", "syntax error: line 1, column 0"),
        (
            b"\"x\"<a/>",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (
            b"=<a/>",
            "not well-formed (invalid token): line 1, column 0",
        ),
        (
            b"%<a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (b"><a/>", "syntax error: line 1, column 0"),
        (
            b"<a/>&amp;",
            "not well-formed (invalid token): line 1, column 4",
        ),
        (b"<a/>1", "junk after document element: line 1, column 4"),
        (b"<a/>]", "junk after document element: line 1, column 4"),
        (
            b"<a>&#;</a>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (
            b"<a>&#x;</a>",
            "not well-formed (invalid token): line 1, column 6",
        ),
        (
            b"<a>&#xZ;</a>",
            "not well-formed (invalid token): line 1, column 6",
        ),
        (
            b"<a>&#12a;</a>",
            "not well-formed (invalid token): line 1, column 7",
        ),
        (
            b"<a>&;</a>",
            "not well-formed (invalid token): line 1, column 4",
        ),
        (
            b"<a>&a b;</a>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (
            b"<a>&1;</a>",
            "not well-formed (invalid token): line 1, column 4",
        ),
        (
            b"<a b=\"1\"c=\"2\"/>",
            "not well-formed (invalid token): line 1, column 8",
        ),
        (
            b"<a b=\"<\"/>",
            "not well-formed (invalid token): line 1, column 6",
        ),
        (
            b"<a b=\"&\"/>",
            "not well-formed (invalid token): line 1, column 7",
        ),
        (
            b"<a b/>",
            "not well-formed (invalid token): line 1, column 4",
        ),
        (
            b"<a b=/>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (
            b"<a =\"1\"/>",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (
            b"</a >",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"<a></a b>",
            "not well-formed (invalid token): line 1, column 7",
        ),
        (
            b"<a></ a>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (
            b"< a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"<a/ >",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (
            b"<-a/>",
            "not well-formed (invalid token): line 1, column 1",
        ),
        (
            b"<methodNam</methodName>",
            "not well-formed (invalid token): line 1, column 10",
        ),
        (
            b"<?x/y?><a/>",
            "not well-formed (invalid token): line 1, column 3",
        ),
        (
            b"<?XML x?><a/>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (
            b"<a><?xml x?></a>",
            "XML or text declaration not at start of entity: line 1, column 3",
        ),
        (b"<?pi", "unclosed token: line 1, column 0"),
        (
            b"<!-- a -- b --><a/>",
            "not well-formed (invalid token): line 1, column 9",
        ),
        (
            b"<a><!x></a>",
            "not well-formed (invalid token): line 1, column 5",
        ),
        (
            b"<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
            "XML declaration not well-formed: line 1, column 32",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"9\"?><a/>",
            "XML declaration not well-formed: line 1, column 30",
        ),
        (
            b"<?xml encoding=\"UTF-8\"?><a/>",
            "XML declaration not well-formed: line 1, column 6",
        ),
        (
            b"<?xml version=\"1.0\" foo=\"1\"?><a/>",
            "XML declaration not well-formed: line 1, column 20",
        ),
        (
            b"<?xml?><a/>",
            "XML declaration not well-formed: line 1, column 5",
        ),
        (
            b"<?xml ver'1.0'?><a/>",
            "XML declaration not well-formed: line 1, column 14",
        ),
        (b"\xef\xbb\xbf", "no element found: line 1, column 1"),
    ];
    assert_expat_errors(&cases);
}

#[test]
fn well_formed_edge_cases_pass() {
    let cases: [&[u8]; 6] = [
        b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><methodCall><methodName>m</methodName></methodCall>",
        b"<?xml  version = \"1.0\" ?><methodCall><methodName>m</methodName></methodCall>",
        b"<?pi x?><methodCall a=\"&amp;\"><methodName>m</methodName></methodCall>",
        b"<methodCall\t\n><methodName>m</methodName></methodCall >",
        b"<methodCall><!-- note --><methodName><![CDATA[m]]></methodName></methodCall>",
        b"<x:methodCall xmlns:x=\"u\"><x:methodName>m</x:methodName></x:methodCall>",
    ];
    for body in cases {
        let text = String::from_utf8_lossy(body);
        let decoded = decode_method_call(body);
        assert_eq!(
            decoded.map(|call| call.method),
            Ok(Some("m".to_owned())),
            "{text:?}"
        );
    }
}

#[test]
fn declaration_and_attribute_errors() {
    let cases: [(&[u8], &str); 4] = [
        (
            b" <?xml version=\"1.0\"?><a/>",
            "XML or text declaration not at start of entity: line 1, column 1",
        ),
        (
            b"<a><?xml version=\"1.0\"?></a>",
            "XML or text declaration not at start of entity: line 1, column 3",
        ),
        (
            b"<?xml version=\"1.0\"?>",
            "no element found: line 1, column 21",
        ),
        (
            b"<a b=\"1\" b=\"2\"/>",
            "duplicate attribute: line 1, column 9",
        ),
    ];
    assert_expat_errors(&cases);
}

#[test]
fn not_xmlrpc_gives_response_error() {
    let unknown = call(&param("<foo>1</foo>"));
    let cases: [(&[u8], &str); 4] = [
        (b"<foo/>", "xmlrpc.client.ResponseError: ResponseError()"),
        (
            b"<html><title>502</title></html>",
            "xmlrpc.client.ResponseError: ResponseError()",
        ),
        (
            b"<methodCall><params><param><value><array><data>",
            "xml.parsers.expat.ExpatError: no element found: line 1, column 47",
        ),
        (
            unknown.as_bytes(),
            "xmlrpc.client.ResponseError: ResponseError(\"unknown tag 'foo'\")",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            error_text(body),
            expected,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn bad_values_give_python_errors() {
    let cases = [
        ("<boolean>2</boolean>", "TypeError: bad boolean value"),
        ("<boolean> 1</boolean>", "TypeError: bad boolean value"),
        ("<int>abc</int>", "ValueError: invalid literal for int() with base 10: 'abc'"),
        ("<int>1__0</int>", "ValueError: invalid literal for int() with base 10: '1__0'"),
        ("<int>0x10</int>", "ValueError: invalid literal for int() with base 10: '0x10'"),
        ("<double>abc</double>", "ValueError: could not convert string to float: 'abc'"),
        ("<double>0x1</double>", "ValueError: could not convert string to float: '0x1'"),
        ("<base64>a</base64>", "binascii.Error: Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4"),
        ("<struct><member><value><int>1</int></value></member></struct>", "IndexError: list index out of range"),
    ];
    for (xml, expected) in cases {
        assert_eq!(error_text(call(&param(xml)).as_bytes()), expected, "{xml}");
    }
}

#[test]
fn unknown_encoding_is_clear() {
    let body = b"<?xml version=\"1.0\" encoding=\"foo\"?><methodCall/>";

    assert_eq!(
        error_text(body),
        "ValueError: the emulator reads XML-RPC requests in UTF-8, US-ASCII or ISO-8859-1, not 'foo'"
    );
}

#[test]
fn doctype_is_rejected() {
    let body =
        b"<!DOCTYPE a [<!ENTITY e \"x\">]><methodCall><methodName>&e;</methodName></methodCall>";

    assert!(error_text(body).contains("does not accept a DOCTYPE"));
}

#[test]
fn deep_nesting_is_rejected() {
    let depth = MAX_ELEMENT_DEPTH;
    let body = format!(
        "{}{}",
        "<array>".repeat(depth + 1),
        "</array>".repeat(depth + 1)
    );

    let text = error_text(body.as_bytes());

    assert_eq!(
        text,
        format!("ValueError: the emulator accepts XML-RPC requests nested at most {MAX_ELEMENT_DEPTH} elements deep")
    );
}

#[test]
fn very_deep_nesting_does_not_overflow() {
    let body = "<value><array><data>".repeat(200_000);

    let error = decode_method_call(body.as_bytes());

    assert!(error.is_err());
}

#[test]
fn encodes_like_python_dumps() {
    let mut dict = Dict::default();
    dict.insert("a".into(), Value::Int(2));
    let value = Value::List(vec![
        Value::Int(1),
        Value::Float(1.5),
        Value::Bool(true),
        Value::from("a<&>\"'\r"),
        Value::List(vec![Value::Int(1), Value::Dict(dict)]),
        Value::Dict(Dict::default()),
        Value::List(vec![]),
        Value::Binary(b"xy".to_vec()),
        Value::Float(1e20),
        Value::Float(1e-7),
        Value::Float(-0.0),
        Value::Int(2_147_483_647),
        Value::Int(-2_147_483_648),
    ]);

    let text = encode_response(&value).expect("encodable");

    let expected = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><int>1</int></value>\n<value><double>1.5</double></value>\n<value><boolean>1</boolean></value>\n<value><string>a&lt;&amp;&gt;\"'\r</string></value>\n<value><array><data>\n<value><int>1</int></value>\n<value><struct>\n<member>\n<name>a</name>\n<value><int>2</int></value>\n</member>\n</struct></value>\n</data></array></value>\n<value><struct>\n</struct></value>\n<value><array><data>\n</data></array></value>\n<value><base64>\neHk=\n</base64></value>\n<value><double>1e+20</double></value>\n<value><double>1e-07</double></value>\n<value><double>-0.0</double></value>\n<value><int>2147483647</int></value>\n<value><int>-2147483648</int></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
    assert_eq!(text, expected);
}

#[test]
fn encodes_datetime_as_sent() {
    let text = encode_response(&Value::DateTime("20240102T03:04:05".into())).expect("ok");

    assert!(
        text.contains("<value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value>\n")
    );
}

#[test]
fn strips_control_characters() {
    let text = encode_response(&Value::from("a\u{1}b\u{b}c\td\ne")).expect("ok");

    assert!(text.contains("<value><string>abc\td\ne</string></value>"));
}

#[test]
fn none_cannot_be_marshalled() {
    for value in [Value::None, Value::List(vec![Value::Int(1), Value::None])] {
        let error = encode_response(&value).expect_err("None");
        assert_eq!(
            error.last_traceback_line(),
            "TypeError: cannot marshal None unless allow_none is enabled\n"
        );
    }
}

#[test]
fn large_ints_overflow() {
    for number in [2_147_483_648, -2_147_483_649, i64::MAX] {
        let error = encode_response(&Value::Int(number)).expect_err("out of range");
        assert_eq!(
            error.last_traceback_line(),
            "OverflowError: int exceeds XML-RPC limits\n"
        );
    }
}

#[test]
fn round_trips_through_decoder() {
    let mut dict = Dict::default();
    dict.insert("name".into(), Value::from("Ünïcode & <tags>"));
    dict.insert(
        "ids".into(),
        Value::List(vec![Value::Int(1), Value::Int(-7)]),
    );
    dict.insert("flag".into(), Value::Bool(false));
    dict.insert("price".into(), Value::Float(0.1));
    dict.insert("blob".into(), Value::Binary((0u8..=255).collect()));
    let original = Value::Dict(dict);

    let text = encode_response(&original).expect("encodable");
    let body = text.replace("methodResponse", "methodCall");
    let decoded = decode_method_call(body.as_bytes()).expect("decodable");

    assert_eq!(decoded.params, vec![original]);
}

#[test]
fn fault_documents_match_python() {
    let int_fault = Fault {
        code: FaultCode::Int(1),
        string: "boom".into(),
    };
    let str_fault = Fault {
        code: FaultCode::Str("warning -- X\n\nmsg".into()),
        string: String::new(),
    };

    assert_eq!(
        encode_fault(&int_fault),
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>boom</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
    );
    assert_eq!(
        encode_fault(&str_fault),
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><string>warning -- X\n\nmsg</string></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string></string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
    );
}

// ------------------------------------------------------------ client side

#[test]
fn method_call_matches_python() {
    let params = [
        Value::Int(1),
        Value::from("a&b"),
        Value::List(vec![Value::Bool(true)]),
        Value::Dict(Dict::from_iter([("k".to_owned(), Value::Float(2.5))])),
    ];

    let encoded = encode_method_call("execute_kw", &params).expect("encodable");

    // Printed by xmlrpc.client.dumps((1, 'a&b', [True], {'k': 2.5}), 'execute_kw').
    assert_eq!(
        encoded,
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n\
         <param>\n<value><int>1</int></value>\n</param>\n\
         <param>\n<value><string>a&amp;b</string></value>\n</param>\n\
         <param>\n<value><array><data>\n<value><boolean>1</boolean></value>\n</data></array>\
         </value>\n</param>\n\
         <param>\n<value><struct>\n<member>\n<name>k</name>\n<value><double>2.5</double>\
         </value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n"
    );
    let decoded = decode_method_call(encoded.as_bytes()).expect("decodable");
    assert_eq!(decoded.method.as_deref(), Some("execute_kw"));
    assert_eq!(decoded.params, params);
}

#[test]
fn method_call_rejects_none() {
    let error = encode_method_call("m", &[Value::None]).expect_err("None is not XML-RPC");
    assert_eq!(
        error.message,
        "cannot marshal None unless allow_none is enabled"
    );
}

#[test]
fn response_decodes_the_value() {
    let value = Value::Dict(Dict::from_iter([
        ("server_version".to_owned(), Value::from("17.0")),
        (
            "ids".to_owned(),
            Value::List(vec![Value::Int(1), Value::Bool(false)]),
        ),
    ]));
    let body = encode_response(&value).expect("encodable");

    let decoded = decode_method_response(body.as_bytes()).expect("decodable");

    assert_eq!(decoded, MethodResponse::Value(value));
}

#[test]
fn response_decodes_faults() {
    let faults = [
        Fault {
            code: FaultCode::Int(4),
            string: "Access <denied> & more".to_owned(),
        },
        Fault {
            code: FaultCode::Str("warning -- UserError\n\nNo".to_owned()),
            string: String::new(),
        },
    ];
    for fault in faults {
        let decoded = decode_method_response(encode_fault(&fault).as_bytes());
        assert_eq!(decoded, Ok(MethodResponse::Fault(fault)));
    }
}

#[test]
fn response_rejects_other_documents() {
    let html = b"<html><body><h1>Not Found</h1></body></html>";
    let request = encode_method_call("version", &[]).expect("encodable");
    let fault_without_code = "<methodResponse><fault><value><struct></struct></value></fault>\
                              </methodResponse>";
    for body in [&html[..], request.as_bytes(), fault_without_code.as_bytes()] {
        let error = decode_method_response(body).expect_err("not a response");
        assert!(
            error.message.starts_with("ResponseError("),
            "{}: {}",
            String::from_utf8_lossy(body),
            error.message
        );
    }
}

#[test]
fn response_rejects_malformed_xml() {
    let error = decode_method_response(b"<!DOCTYPE html><p>oops").expect_err("not XML-RPC");
    assert_eq!(error.class.qualified_name(), "builtins.ValueError");

    let error = decode_method_response(b"").expect_err("empty body");
    assert_eq!(error.message, "no element found: line 1, column 0");
}
