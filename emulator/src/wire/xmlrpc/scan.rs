//! Well-formedness checks over quick-xml, reported in expat's words.
//!
//! Odoo parses XML-RPC with CPython's `xmlrpc.client`, which uses expat, so
//! a malformed body produces an `ExpatError` such as `mismatched tag: line
//! 1, column 5`. quick-xml is lenient where expat is strict, so this module
//! checks what quick-xml does not: one root element, matching end tags,
//! entity references and text outside the root. It maps each failure to
//! the expat reason and position that CPython 3.11 reports for it.
//!
//! Where it differs from expat: a DOCTYPE is rejected instead of parsed
//! (so internal entities are never expanded), and attribute errors other
//! than duplicates may be reported a few columns away from expat's
//! position. XML-RPC requests carry no attributes, so clients rarely
//! notice.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::wire::exception::PyException;

/// The deepest element nesting accepted. Python's parser has no limit, but
/// each level of an XML-RPC value takes two to four elements, so 512
/// elements is more than one hundred levels of arrays and structs.
pub const MAX_ELEMENT_DEPTH: usize = 512;

/// Receives the elements and text of a well-formed document, by local name.
pub(super) trait Handler {
    fn start(&mut self, name: &str) -> Result<(), PyException>;
    fn end(&mut self, name: &str) -> Result<(), PyException>;
    fn text(&mut self, text: &str);
}

/// A failure to scan the document.
#[derive(Debug)]
pub(super) enum ScanError {
    /// Not well-formed: an expat reason and the byte offset it points at.
    Expat { reason: &'static str, offset: usize },
    /// Raised by the handler or by a limit of the emulator.
    Raised(PyException),
}

impl ScanError {
    /// Tells whether the error is caused by the end of the input, so that an
    /// invalid byte found where the input was cut explains it better.
    pub(super) fn is_end_of_input(&self) -> bool {
        matches!(
            self,
            ScanError::Expat {
                reason: NO_ELEMENT | UNCLOSED_TOKEN | UNCLOSED_CDATA,
                ..
            }
        )
    }
}

impl From<PyException> for ScanError {
    fn from(exception: PyException) -> Self {
        ScanError::Raised(exception)
    }
}

pub(super) const NO_ELEMENT: &str = "no element found";
pub(super) const SYNTAX_ERROR: &str = "syntax error";
pub(super) const INVALID_TOKEN: &str = "not well-formed (invalid token)";
pub(super) const PARTIAL_CHARACTER: &str = "partial character";
const UNCLOSED_TOKEN: &str = "unclosed token";
const UNCLOSED_CDATA: &str = "unclosed CDATA section";
const MISMATCHED_TAG: &str = "mismatched tag";
const JUNK_AFTER_ROOT: &str = "junk after document element";
const UNDEFINED_ENTITY: &str = "undefined entity";
const INVALID_CHAR_REF: &str = "reference to invalid character number";
const DUPLICATE_ATTRIBUTE: &str = "duplicate attribute";
const MISPLACED_DECLARATION: &str = "XML or text declaration not at start of entity";

/// The scanner's position relative to the root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Prolog,
    Root,
    Epilog,
}

/// Scans `text`, whose first byte is the start of the document (after any
/// byte order mark), and feeds its elements and text to `handler`.
pub(super) fn scan(text: &str, handler: &mut impl Handler) -> Result<(), ScanError> {
    let mut scanner = Scanner {
        text,
        handler,
        stack: Vec::new(),
        phase: Phase::Prolog,
    };
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.expand_empty_elements = false;

    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|error| scanner.reader_error(&error, offset))?;
        if matches!(event, Event::Eof) {
            return scanner.finish();
        }
        scanner.event(event, offset)?;
    }
}

struct Scanner<'t, 'h, H> {
    text: &'t str,
    handler: &'h mut H,
    /// Qualified names of the open elements.
    stack: Vec<String>,
    phase: Phase,
}

impl<H: Handler> Scanner<'_, '_, H> {
    fn event(&mut self, event: Event<'_>, offset: usize) -> Result<(), ScanError> {
        match event {
            Event::Start(tag) => self.start(&tag, offset),
            Event::Empty(tag) => {
                self.start(&tag, offset)?;
                self.end(&qualified_name(&tag), offset)
            }
            Event::End(tag) => {
                let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
                self.end(&name, offset)
            }
            Event::Text(text) => {
                let raw = text.decode().map_err(|_| expat(INVALID_TOKEN, offset))?;
                self.text(&raw, offset)
            }
            Event::CData(data) => {
                let raw = data.decode().map_err(|_| expat(INVALID_TOKEN, offset))?;
                self.character_data(&raw, offset)
            }
            Event::GeneralRef(reference) => self.reference(&reference, offset),
            Event::Decl(_) if offset != 0 => Err(expat(MISPLACED_DECLARATION, offset)),
            Event::DocType(_) => Err(ScanError::Raised(PyException::new(
                "builtins.ValueError",
                "the emulator does not accept a DOCTYPE in XML-RPC requests",
            ))),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::Eof => Ok(()),
        }
    }

    fn start(&mut self, tag: &BytesStart<'_>, offset: usize) -> Result<(), ScanError> {
        match self.phase {
            Phase::Epilog => return Err(expat(JUNK_AFTER_ROOT, offset)),
            Phase::Prolog => self.phase = Phase::Root,
            Phase::Root => {}
        }
        let name = qualified_name(tag);
        if !starts_like_a_name(&name) {
            return Err(expat(INVALID_TOKEN, offset + 1));
        }
        check_attributes(tag, offset)?;
        if self.stack.len() >= MAX_ELEMENT_DEPTH {
            return Err(ScanError::Raised(PyException::new(
                "builtins.ValueError",
                format!(
                    "the emulator accepts XML-RPC requests nested at most \
                     {MAX_ELEMENT_DEPTH} elements deep"
                ),
            )));
        }
        self.handler.start(local_name(&name))?;
        self.stack.push(name);
        Ok(())
    }

    fn end(&mut self, name: &str, offset: usize) -> Result<(), ScanError> {
        let Some(open) = self.stack.last() else {
            let reason = if self.phase == Phase::Epilog {
                JUNK_AFTER_ROOT
            } else {
                INVALID_TOKEN
            };
            let position = if self.phase == Phase::Epilog {
                offset
            } else {
                offset + 1
            };
            return Err(expat(reason, position));
        };
        if open != name {
            // expat points at the name inside `</name>`.
            return Err(expat(MISMATCHED_TAG, offset + 2));
        }
        self.stack.pop();
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        self.handler.end(local_name(name))?;
        Ok(())
    }

    fn text(&mut self, raw: &str, offset: usize) -> Result<(), ScanError> {
        if let Some(index) = raw.find("]]>") {
            return Err(expat(INVALID_TOKEN, offset + index + 2));
        }
        self.character_data(raw, offset)
    }

    /// Passes text inside the root on, with line ends normalized as XML
    /// requires. Outside the root only whitespace is allowed.
    fn character_data(&mut self, raw: &str, offset: usize) -> Result<(), ScanError> {
        if self.phase != Phase::Root {
            let Some(index) = raw.find(|c: char| !is_xml_space(c)) else {
                return Ok(());
            };
            return Err(self.outside_root(offset + index));
        }
        self.handler.text(&normalize_line_ends(raw));
        Ok(())
    }

    fn reference(&mut self, reference: &BytesRef<'_>, offset: usize) -> Result<(), ScanError> {
        if self.phase != Phase::Root {
            return Err(self.outside_root(offset));
        }
        let name = String::from_utf8_lossy(reference);
        let resolved = match name.strip_prefix('#') {
            Some(number) => character_reference(number).ok_or(expat(INVALID_CHAR_REF, offset))?,
            None => predefined_entity(&name).ok_or(expat(UNDEFINED_ENTITY, offset))?,
        };
        self.handler.text(resolved.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn outside_root(&self, offset: usize) -> ScanError {
        let reason = if self.phase == Phase::Epilog {
            JUNK_AFTER_ROOT
        } else {
            SYNTAX_ERROR
        };
        expat(reason, offset)
    }

    fn finish(&mut self) -> Result<(), ScanError> {
        if self.phase == Phase::Epilog {
            Ok(())
        } else {
            Err(expat(NO_ELEMENT, self.text.len()))
        }
    }

    /// Maps a quick-xml error to expat's reason at the start of the token
    /// that quick-xml could not read.
    fn reader_error(&self, error: &quick_xml::Error, offset: usize) -> ScanError {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        match error {
            quick_xml::Error::Syntax(SyntaxError::UnclosedCData) => {
                expat(UNCLOSED_CDATA, self.text.len())
            }
            quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup) => {
                expat(INVALID_TOKEN, offset + 1)
            }
            quick_xml::Error::Syntax(_) => expat(UNCLOSED_TOKEN, offset),
            quick_xml::Error::IllFormed(IllFormedError::UnclosedReference) => {
                expat(INVALID_TOKEN, self.end_of_reference_name(offset))
            }
            _ => expat(INVALID_TOKEN, offset),
        }
    }

    /// Returns the offset of the first character after `&name`, where expat
    /// reports a reference without its `;`.
    fn end_of_reference_name(&self, ampersand: usize) -> usize {
        let rest = &self.text[ampersand + 1..];
        let length = rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '#' | '_' | '-' | '.' | ':')))
            .unwrap_or(rest.len());
        ampersand + 1 + length
    }
}

fn expat(reason: &'static str, offset: usize) -> ScanError {
    ScanError::Expat { reason, offset }
}

fn qualified_name(tag: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(tag.name().as_ref()).into_owned()
}

/// Returns the name without its namespace prefix, as `xmlrpc.client` does.
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn starts_like_a_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || matches!(c, '_' | ':'))
}

fn check_attributes(tag: &BytesStart<'_>, offset: usize) -> Result<(), ScanError> {
    use quick_xml::events::attributes::AttrError;
    for attribute in tag.attributes() {
        // Attribute positions count from the first byte after `<`.
        match attribute {
            Ok(_) => {}
            Err(AttrError::Duplicated(position, _)) => {
                return Err(expat(DUPLICATE_ATTRIBUTE, offset + 1 + position));
            }
            Err(other) => {
                return Err(expat(
                    INVALID_TOKEN,
                    offset + 1 + attribute_error_position(&other),
                ))
            }
        }
    }
    Ok(())
}

fn attribute_error_position(error: &quick_xml::events::attributes::AttrError) -> usize {
    use quick_xml::events::attributes::AttrError;
    match *error {
        AttrError::ExpectedEq(position)
        | AttrError::ExpectedValue(position)
        | AttrError::UnquotedValue(position)
        | AttrError::ExpectedQuote(position, _)
        | AttrError::Duplicated(position, _) => position,
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn normalize_line_ends(raw: &str) -> Cow<'_, str> {
    if raw.contains('\r') {
        Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(raw)
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Resolves `#65` or `#x41`, rejecting characters that XML 1.0 forbids.
fn character_reference(number: &str) -> Option<char> {
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code).filter(|c| is_xml_char(*c))
}

/// Tells whether XML 1.0 allows the character in a document.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}
