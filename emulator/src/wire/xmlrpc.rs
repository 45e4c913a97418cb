//! XML-RPC: decoding `methodCall` requests and encoding `methodResponse`
//! documents as Odoo 17 does through CPython's `xmlrpc.client`, and the
//! client side of the same codec ([`encode_method_call`] and
//! [`decode_method_response`]) for `odoo-emulator profile import`.
//!
//! [`decode_method_call`] accepts everything Python's `xmlrpc.client`
//! sends: `i4`, `int`, `i8`, `boolean`, `string`, `double`,
//! `dateTime.iso8601`, `base64`, `struct`, `array`, `nil`, and a `<value>`
//! without a type element as a string. It fails as Odoo's parser does:
//! an empty body is `xml.parsers.expat.ExpatError: no element found: line
//! 1, column 0`, other malformed bodies get expat's reason and position,
//! and XML that is not XML-RPC is an `xmlrpc.client.ResponseError`.
//! [`encode_response`] and [`encode_fault`] write Odoo's exact output.
//!
//! Where it differs from Odoo 17:
//!
//! * the request must be UTF-8, US-ASCII or ISO-8859-1, where Python also
//!   reads UTF-16 and any encoding it has a codec for;
//! * elements may nest at most [`MAX_ELEMENT_DEPTH`] deep;
//! * the module docs of `scan`, `unmarshal` and `marshal` list the smaller
//!   differences of each step.

mod chars;
mod marshal;
mod pybase64;
mod scan;
mod simple_scan;
mod syntax;
mod unmarshal;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use marshal::{encode_fault, encode_method_call, encode_response, MAX_RESPONSE_DEPTH};
pub use scan::MAX_ELEMENT_DEPTH;
pub use unmarshal::{MethodCall, MethodResponse};

use super::exception::PyException;
use scan::{ScanError, INVALID_TOKEN, PARTIAL_CHARACTER, UNCLOSED_TOKEN};

/// Decodes a request body into its method name and parameters.
///
/// # Errors
///
/// Raises what Odoo's parser raises for the body:
///
/// * `ExpatError` when it is not well-formed XML;
/// * `ResponseError` when it is XML but not a method call;
/// * `ValueError`, `TypeError` or `binascii.Error` for a value that does
///   not parse;
/// * `ValueError` for the emulator's own limits.
pub fn decode_method_call(body: &[u8]) -> Result<MethodCall, PyException> {
    unmarshal_document(body)?.finish()
}

/// Decodes a response body, for the client side: the returned value or
/// the fault, as `xmlrpc.client.ServerProxy` reads it.
///
/// # Errors
///
/// Raises what [`decode_method_call`] raises for a body that is not
/// well-formed XML or contains a value that does not parse, and a
/// `ResponseError` for XML that is not a `methodResponse`.
pub fn decode_method_response(body: &[u8]) -> Result<MethodResponse, PyException> {
    unmarshal_document(body)?.finish_response()
}

/// Scans a whole document into the unmarshaller, reporting malformed XML
/// as expat does.
fn unmarshal_document(body: &[u8]) -> Result<unmarshal::Unmarshaller, PyException> {
    let without_bom = body.strip_prefix(b"\xEF\xBB\xBF");
    let mut document = Document::decode(without_bom.unwrap_or(body))?;
    document.has_bom = without_bom.is_some();

    // A request with only the tokens that `simple_scan` reads skips
    // quick-xml. Any other is scanned again by the full scanner, which
    // reports errors as expat does. The simple scanner also rejects the
    // characters XML forbids, so only the full scan needs them found.
    if document.bad_character.is_none() {
        let mut unmarshaller = unmarshal::Unmarshaller::default();
        if simple_scan::scan_simple(&document.text, &mut unmarshaller) {
            return Ok(unmarshaller);
        }
    }
    document.find_non_xml_char();
    let end = document
        .bad_character
        .map_or(document.text.len(), |(offset, _)| offset);
    let mut unmarshaller = unmarshal::Unmarshaller::default();
    let scanned = scan::scan(&document.text[..end], &mut unmarshaller);
    match (scanned, document.bad_character) {
        (Ok(()), None) => Ok(unmarshaller),
        (Err(error), Some((offset, reason))) if error.is_end_of_input() => {
            Err(document.bad_character_error(reason, offset, Some(&error)))
        }
        (Ok(()), Some((offset, reason))) => Err(document.bad_character_error(reason, offset, None)),
        (Err(ScanError::Expat { reason, offset }), _) => Err(document.expat_error(reason, offset)),
        (Err(ScanError::Raised(exception)), _) => Err(exception),
    }
}

/// The request as text, with the first character XML forbids, if any.
struct Document<'a> {
    text: Cow<'a, str>,
    /// Byte offset into `text` where an invalid character or byte sits,
    /// with the expat reason for it. The text stops there. Until
    /// [`Document::find_non_xml_char`] runs, it only records a byte that
    /// the encoding does not allow, at the end of `text`.
    bad_character: Option<(usize, &'static str)>,
    /// Whether a UTF-8 byte order mark preceded the text. expat counts it
    /// as a column of the first line.
    has_bom: bool,
}

impl<'a> Document<'a> {
    fn decode(body: &'a [u8]) -> Result<Self, PyException> {
        if syntax::common_declaration_len(body).is_some() {
            return Ok(Self::from_utf8(body));
        }
        match declared_encoding(body).as_deref() {
            None | Some("utf-8") => Ok(Self::from_utf8(body)),
            // expat reads US-ASCII itself. For `ascii` and `utf8`, names
            // expat does not know, pyexpat decodes each byte alone with
            // Python's codec, so a byte above 0x7F is no character either.
            Some("us-ascii" | "ascii" | "utf8") => Ok(Self::from_ascii(body)),
            Some("iso-8859-1" | "iso8859-1" | "latin-1" | "latin1" | "l1") => {
                let text: String = body.iter().map(|byte| char::from(*byte)).collect();
                Ok(Self::from_text(Cow::Owned(text)))
            }
            Some(other) => Err(PyException::new(
                "builtins.ValueError",
                format!(
                    "the emulator reads XML-RPC requests in UTF-8, US-ASCII or ISO-8859-1, \
                     not {}",
                    crate::value::python_str_repr(other)
                ),
            )),
        }
    }

    fn from_utf8(body: &'a [u8]) -> Self {
        match std::str::from_utf8(body) {
            Ok(text) => Self::from_text(Cow::Borrowed(text)),
            Err(error) => {
                let valid = &body[..error.valid_up_to()];
                let valid = std::str::from_utf8(valid).expect("prefix reported valid");
                let reason = match error.error_len() {
                    None => PARTIAL_CHARACTER,
                    Some(_) => INVALID_TOKEN,
                };
                Document {
                    text: Cow::Borrowed(valid),
                    bad_character: Some((valid.len(), reason)),
                    has_bom: false,
                }
            }
        }
    }

    /// Reads an ASCII body: the text stops at the first byte above 0x7F,
    /// which is an invalid token.
    fn from_ascii(body: &'a [u8]) -> Self {
        let Some(end) = body.iter().position(|byte| !byte.is_ascii()) else {
            return Self::from_utf8(body);
        };
        let ascii = std::str::from_utf8(&body[..end]).expect("ASCII is UTF-8");
        Document {
            text: Cow::Borrowed(ascii),
            bad_character: Some((end, INVALID_TOKEN)),
            has_bom: false,
        }
    }

    fn from_text(text: Cow<'a, str>) -> Self {
        Document {
            text,
            bad_character: None,
            has_bom: false,
        }
    }

    /// Records the first character of the text that XML forbids, which
    /// comes before any invalid byte that ends the text.
    fn find_non_xml_char(&mut self) {
        if let Some(offset) = chars::find_non_xml_char(&self.text) {
            self.bad_character = Some((offset, INVALID_TOKEN));
        }
    }

    /// Returns the `ExpatError` for `reason` at a byte offset, with expat's
    /// line (from 1) and column (from 0, counted in characters).
    fn expat_error(&self, reason: &str, offset: usize) -> PyException {
        let (line, mut column) = line_and_column(&self.text[..offset]);
        if line == 1 && self.has_bom {
            column += 1;
        }
        PyException::expat(reason, line, column)
    }

    /// Returns the error for the invalid byte or character at `offset`.
    /// expat reports a character cut short by the end of the input at the
    /// start of the token that contains it.
    fn bad_character_error(
        &self,
        reason: &str,
        offset: usize,
        scan_error: Option<&ScanError>,
    ) -> PyException {
        if reason != PARTIAL_CHARACTER {
            return self.expat_error(reason, offset);
        }
        let token_start = match scan_error {
            Some(ScanError::Expat {
                reason: UNCLOSED_TOKEN,
                offset: start,
            }) => *start,
            _ => self.text[..offset].rfind('>').map_or(0, |index| index + 1),
        };
        self.expat_error(reason, token_start)
    }
}

/// Returns the 1-based line and 0-based column at the end of `prefix`,
/// counting `\r\n`, `\r` and `\n` as one line end each.
fn line_and_column(prefix: &str) -> (usize, usize) {
    let mut line = 1;
    let mut column = 0;
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                line += 1;
                column = 0;
            }
            '\n' => {
                line += 1;
                column = 0;
            }
            _ => column += 1,
        }
    }
    (line, column)
}

/// Returns the lowercased `encoding` of a leading XML declaration.
fn declared_encoding(body: &[u8]) -> Option<String> {
    let declaration = body.strip_prefix(b"<?xml")?;
    // The declaration's values cannot contain `>`, so its first `>` is the
    // one of `?>`, however much space comes before it.
    let close = declaration.iter().position(|byte| *byte == b'>')?;
    let end = close
        .checked_sub(1)
        .filter(|end| declaration[*end] == b'?')?;
    // Invalid UTF-8 cannot hide or fake the ASCII `?>`, so converting only
    // the declaration gives the text that converting the whole body would.
    let declaration = String::from_utf8_lossy(&declaration[..end]);
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let value = &after[1..];
    let name = &value[..value.find(quote)?];
    // A name expat rejects is left for the declaration check to report.
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        .then(|| name.to_ascii_lowercase())
}
