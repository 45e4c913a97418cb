//! Well-formedness checks over quick-xml, reported in expat's words.
//!
//! Odoo parses XML-RPC with CPython's `xmlrpc.client`, which uses expat, so
//! a malformed body produces an `ExpatError` such as `mismatched tag: line
//! 1, column 5`. quick-xml is lenient where expat is strict, so this module
//! checks what quick-xml does not: one root element, matching end tags,
//! the characters of each token (see [`super::syntax`]) and text outside
//! the root. It maps each failure to the expat reason and position that
//! CPython 3.11 reports for it.
//!
//! Where it differs from expat: a DOCTYPE is rejected instead of parsed
//! (so internal entities are never expanded), and rare malformed inputs
//! get another reason or position than expat gives. Compared once with
//! CPython 3.11 on 60,000 randomly mutated XML-RPC requests, about 0.1%
//! differed, mostly around DOCTYPEs and bytes that cannot start a
//! document.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::wire::exception::PyException;

use super::chars::{character_reference, normalize_line_ends, predefined_entity};
use super::syntax::{self, Placement, TokenError};

/// The deepest element nesting accepted. Python's parser has no limit;
/// each level of an XML-RPC value takes two to four elements, so this
/// admits more than 10,000 levels of arrays, which the server's threads
/// (see [`crate::server::WORKER_STACK_BYTES`]) can drop and format.
pub const MAX_ELEMENT_DEPTH: usize = 40_000;

/// Receives the elements and text of a well-formed document, by local name.
pub(super) trait Handler {
    /// The handler's own name for an element. The scanners make it when
    /// the element opens and hand it back when the element closes, so that
    /// the handler matches the name's text at most once per element.
    type Element: Copy;

    /// Names the element with the local name `name`. The result must
    /// depend on `name` alone, because the simple scanner reuses it for
    /// every element with the same name.
    fn element(&self, name: &str) -> Self::Element;
    fn start(&mut self, name: &str, element: Self::Element) -> Result<(), PyException>;
    fn end(&mut self, name: &str, element: Self::Element) -> Result<(), PyException>;
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
pub(super) const UNCLOSED_TOKEN: &str = "unclosed token";
const UNCLOSED_CDATA: &str = "unclosed CDATA section";
const MISMATCHED_TAG: &str = "mismatched tag";
pub(super) const JUNK_AFTER_ROOT: &str = "junk after document element";
pub(super) const UNDEFINED_ENTITY: &str = "undefined entity";
pub(super) const INVALID_CHAR_REF: &str = "reference to invalid character number";
const DUPLICATE_ATTRIBUTE: &str = "duplicate attribute";

/// The scanner's position relative to the root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Prolog,
    Root,
    Epilog,
}

/// Scans `text`, whose first byte is the start of the document (after any
/// byte order mark), and feeds its elements and text to `handler`.
pub(super) fn scan(text: &str, handler: &mut impl Handler) -> Result<(), ScanError> {
    // The caller removes the one byte order mark expat allows. quick-xml
    // would skip a second one as its own, but expat rejects it as a token.
    if text.starts_with('\u{FEFF}') {
        return Err(expat(INVALID_TOKEN, 0));
    }
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
        let end = reader.buffer_position() as usize;
        scanner.event(event, offset, end)?;
    }
}

struct Scanner<'t, 'h, H: Handler> {
    text: &'t str,
    handler: &'h mut H,
    /// Qualified names of the open elements, with the handler's names.
    stack: Vec<(&'t str, H::Element)>,
    phase: Phase,
}

impl<'t, H: Handler> Scanner<'t, '_, H> {
    /// Handles the event read from `self.text[offset..end]`.
    fn event(&mut self, event: Event<'_>, offset: usize, end: usize) -> Result<(), ScanError> {
        let token = &self.text[offset..end];
        match event {
            Event::Start(tag) => self.start(&tag, token, offset),
            Event::Empty(tag) => {
                self.start(&tag, token, offset)?;
                self.end(qualified_name(token, 1, tag.name().as_ref().len()), offset)
            }
            // Outside the root, expat rejects `</` before reading the name.
            Event::End(_) if self.stack.is_empty() => Err(expat(INVALID_TOKEN, offset + 1)),
            Event::End(tag) => {
                located(offset, syntax::check_end_tag(token))?;
                self.end(qualified_name(token, 2, tag.name().as_ref().len()), offset)
            }
            Event::Text(_) => self.text(token, offset),
            Event::CData(_) if self.phase != Phase::Root => Err(self.markup_outside_root(offset)),
            Event::CData(data) => {
                let raw = data.decode().map_err(|_| expat(INVALID_TOKEN, offset))?;
                self.character_data(&raw, offset)
            }
            Event::GeneralRef(_) => self.reference(token, offset),
            Event::Decl(_) | Event::PI(_) => {
                let placement = self.placement(offset);
                located(
                    offset,
                    syntax::check_processing_instruction(token, placement),
                )
            }
            Event::Comment(_) => match syntax::double_hyphen_in_comment(token) {
                Some(position) => Err(expat(INVALID_TOKEN, offset + position)),
                None => Ok(()),
            },
            Event::DocType(_) if self.phase == Phase::Root => Err(expat(INVALID_TOKEN, offset + 2)),
            Event::DocType(_) => Err(ScanError::Raised(PyException::new(
                "builtins.ValueError",
                "the emulator does not accept a DOCTYPE in XML-RPC requests",
            ))),
            Event::Eof => Ok(()),
        }
    }

    fn start(
        &mut self,
        tag: &BytesStart<'_>,
        token: &'t str,
        offset: usize,
    ) -> Result<(), ScanError> {
        located(offset, syntax::check_start_tag(token))?;
        check_duplicate_attributes(tag, offset)?;
        match self.phase {
            Phase::Epilog => return Err(expat(JUNK_AFTER_ROOT, offset)),
            Phase::Prolog => self.phase = Phase::Root,
            Phase::Root => {}
        }
        if self.stack.len() >= MAX_ELEMENT_DEPTH {
            return Err(ScanError::Raised(PyException::new(
                "builtins.ValueError",
                format!(
                    "the emulator accepts XML-RPC requests nested at most \
                     {MAX_ELEMENT_DEPTH} elements deep"
                ),
            )));
        }
        let name = qualified_name(token, 1, tag.name().as_ref().len());
        let local = local_name(name);
        let element = self.handler.element(local);
        self.handler.start(local, element)?;
        self.stack.push((name, element));
        Ok(())
    }

    fn end(&mut self, name: &str, offset: usize) -> Result<(), ScanError> {
        let Some(&(open, element)) = self.stack.last() else {
            return Err(expat(INVALID_TOKEN, offset + 1));
        };
        if open != name {
            // expat points at the name inside `</name>`.
            return Err(expat(MISMATCHED_TAG, offset + 2));
        }
        self.stack.pop();
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        self.handler.end(local_name(name), element)?;
        Ok(())
    }

    fn text(&mut self, raw: &str, offset: usize) -> Result<(), ScanError> {
        if let Some(index) = find_cdata_end(raw).filter(|_| self.phase == Phase::Root) {
            return Err(expat(INVALID_TOKEN, offset + index + 2));
        }
        self.character_data(raw, offset)
    }

    /// Passes text inside the root on, with line ends normalized as XML
    /// requires. Outside the root only whitespace is allowed.
    fn character_data(&mut self, raw: &str, offset: usize) -> Result<(), ScanError> {
        if self.phase == Phase::Root {
            self.handler.text(&normalize_line_ends(raw));
            return Ok(());
        }
        let Some(index) = raw.find(|c: char| !matches!(c, ' ' | '\t' | '\n' | '\r')) else {
            return Ok(());
        };
        let start = offset + index;
        if self.phase == Phase::Epilog {
            return Err(expat(JUNK_AFTER_ROOT, start));
        }
        located(start, Err(syntax::prolog_text_error(&self.text[start..])))
    }

    fn reference(&mut self, token: &str, offset: usize) -> Result<(), ScanError> {
        if self.phase != Phase::Root {
            return Err(expat(INVALID_TOKEN, offset));
        }
        let length = located(offset, syntax::check_reference(token))?;
        let name = &token[1..length - 1];
        let resolved = match name.strip_prefix('#') {
            Some(number) => character_reference(number).ok_or(expat(INVALID_CHAR_REF, offset))?,
            None => predefined_entity(name).ok_or(expat(UNDEFINED_ENTITY, offset))?,
        };
        self.handler.text(resolved.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn placement(&self, offset: usize) -> Placement {
        match self.phase {
            Phase::Prolog if offset == 0 => Placement::DocumentStart,
            Phase::Epilog => Placement::AfterRoot,
            _ => Placement::Elsewhere,
        }
    }

    /// Returns the error for markup that may appear only inside the root.
    fn markup_outside_root(&self, offset: usize) -> ScanError {
        match self.phase {
            Phase::Epilog => expat(JUNK_AFTER_ROOT, offset),
            _ => expat(SYNTAX_ERROR, offset),
        }
    }

    fn finish(&mut self) -> Result<(), ScanError> {
        if self.phase == Phase::Epilog {
            Ok(())
        } else {
            Err(expat(NO_ELEMENT, self.text.len()))
        }
    }

    /// Maps a quick-xml error at the token starting at `offset` to expat's
    /// reason and position.
    fn reader_error(&self, error: &quick_xml::Error, offset: usize) -> ScanError {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        let partial = &self.text[offset..];
        match error {
            quick_xml::Error::Syntax(SyntaxError::UnclosedCData) if self.phase != Phase::Root => {
                self.markup_outside_root(offset)
            }
            quick_xml::Error::Syntax(SyntaxError::UnclosedCData) => {
                expat(UNCLOSED_CDATA, self.text.len())
            }
            quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup) => {
                expat(INVALID_TOKEN, offset + 2)
            }
            quick_xml::Error::Syntax(SyntaxError::UnclosedTag)
                if partial.starts_with("</") && self.stack.is_empty() =>
            {
                expat(INVALID_TOKEN, offset + 1)
            }
            quick_xml::Error::Syntax(SyntaxError::UnclosedTag) if partial.starts_with("</") => {
                unclosed(offset, syntax::check_end_tag(partial))
            }
            quick_xml::Error::Syntax(SyntaxError::UnclosedTag) => {
                unclosed(offset, syntax::check_start_tag(partial))
            }
            quick_xml::Error::Syntax(SyntaxError::UnclosedPIOrXmlDecl) => unclosed(
                offset,
                syntax::check_processing_instruction(partial, self.placement(offset)),
            ),
            quick_xml::Error::Syntax(SyntaxError::UnclosedDoctype) if self.phase == Phase::Root => {
                expat(INVALID_TOKEN, offset + 2)
            }
            quick_xml::Error::Syntax(_) => expat(UNCLOSED_TOKEN, offset),
            quick_xml::Error::IllFormed(IllFormedError::UnclosedReference)
                if self.phase != Phase::Root =>
            {
                expat(INVALID_TOKEN, offset)
            }
            quick_xml::Error::IllFormed(IllFormedError::UnclosedReference) => {
                match syntax::check_reference(partial) {
                    Err((_, position)) if position == partial.len() => {
                        expat(UNCLOSED_TOKEN, offset)
                    }
                    Err((reason, position)) => expat(reason, offset + position),
                    Ok(_) => expat(INVALID_TOKEN, offset),
                }
            }
            _ => expat(INVALID_TOKEN, offset),
        }
    }
}

fn expat(reason: &'static str, offset: usize) -> ScanError {
    ScanError::Expat { reason, offset }
}

/// Moves a token error from an offset in the token to one in the document.
fn located<T>(offset: usize, checked: Result<T, TokenError>) -> Result<T, ScanError> {
    checked.map_err(|(reason, position)| expat(reason, offset + position))
}

/// Returns the error for a token cut short by the end of the input: the
/// first invalid character in it, or `unclosed token`.
fn unclosed(offset: usize, checked: Result<(), TokenError>) -> ScanError {
    match checked {
        Err((reason, position)) => expat(reason, offset + position),
        Ok(()) => expat(UNCLOSED_TOKEN, offset),
    }
}

/// Returns the tag's name, `name_len` bytes from `name_start` (after `<`
/// or `</`), as a slice of its token. Slicing the UTF-8 token saves
/// converting the name that quick-xml returns as bytes.
fn qualified_name(token: &str, name_start: usize, name_len: usize) -> &str {
    &token[name_start..name_start + name_len]
}

/// Returns the name without its namespace prefix, as `xmlrpc.client` does.
pub(super) fn local_name(name: &str) -> &str {
    // Names are short, so a plain loop beats `rsplit`'s searcher.
    match name.bytes().rposition(|byte| byte == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// Returns the offset of the first `]]>` in text, which expat rejects
/// outside a CDATA section.
pub(super) fn find_cdata_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = bytes[from..].iter().position(|byte| *byte == b']') {
        let index = from + offset;
        if bytes[index..].starts_with(b"]]>") {
            return Some(index);
        }
        from = index + 1;
    }
    None
}

/// Rejects a repeated attribute name. Attribute positions count from the
/// first byte after `<`.
fn check_duplicate_attributes(tag: &BytesStart<'_>, offset: usize) -> Result<(), ScanError> {
    use quick_xml::events::attributes::AttrError;
    // XML-RPC tags have no attributes, and reading none still costs more
    // than this test.
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
    if tag.attributes_raw().iter().all(is_space) {
        return Ok(());
    }
    for attribute in tag.attributes() {
        if let Err(AttrError::Duplicated(position, _)) = attribute {
            return Err(expat(DUPLICATE_ATTRIBUTE, offset + 1 + position));
        }
    }
    Ok(())
}
