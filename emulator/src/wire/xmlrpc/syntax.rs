//! Token checks that expat makes and quick-xml does not: the characters of
//! tags, references, processing instructions and the XML declaration.
//!
//! Each check takes the token's text, starting at its `<` or `&`, and
//! returns the expat reason with the byte offset into the token that expat
//! reports. The positions follow expat 2's tokenizer (`xmltok_impl.c` and
//! `doParseXmlDecl` in `xmltok.c`), checked against CPython 3.11.

use super::chars::{
    character_reference, is_name_char, is_name_start, is_space, name_len, predefined_entity,
};
use super::scan::{INVALID_CHAR_REF, INVALID_TOKEN, UNDEFINED_ENTITY};

/// expat's reason for a malformed `<?xml ...?>` declaration.
pub(super) const BAD_DECLARATION: &str = "XML declaration not well-formed";
/// expat's reason for a declaration after the start of the document.
pub(super) const MISPLACED_DECLARATION: &str = "XML or text declaration not at start of entity";

/// A token error: the expat reason and the byte offset into the token.
pub(super) type TokenError = (&'static str, usize);

/// Returns the offset just after the name that starts at `start`.
fn name_end(token: &str, start: usize) -> usize {
    start + name_len(&token[start..])
}

fn skip_spaces(token: &str, start: usize) -> usize {
    // Spaces are ASCII, and any other byte ends them, so the search can
    // run over bytes.
    token.as_bytes()[start..]
        .iter()
        .position(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        .map_or(token.len(), |length| start + length)
}

fn char_at(token: &str, offset: usize) -> Option<char> {
    token[offset..].chars().next()
}

fn invalid(offset: usize) -> TokenError {
    (INVALID_TOKEN, offset)
}

/// Tells whether the character at `offset` is missing (the token was cut
/// short by the end of the input) or passes `test`.
fn is_end_or(token: &str, offset: usize, test: fn(char) -> bool) -> bool {
    char_at(token, offset).is_none_or(test)
}

/// Checks a start tag, `<name attr="value" ...>` or `<name/>`. Here and in
/// the other checks, a token cut short by the end of the input passes when
/// every character so far is valid.
pub(super) fn check_start_tag(token: &str) -> Result<(), TokenError> {
    if !is_end_or(token, 1, is_name_start) {
        return Err(invalid(1));
    }
    // expat checks the references in attribute values only once the whole
    // tag has passed, and reports the first bad one.
    let mut bad_reference = None;
    let complete = |bad_reference: Option<TokenError>| bad_reference.map_or(Ok(()), Err);
    let mut position = name_end(token, 1);
    loop {
        let after_space = skip_spaces(token, position);
        match char_at(token, after_space) {
            None => return Ok(()),
            Some('>') => return complete(bad_reference),
            Some('/') => {
                return match char_at(token, after_space + 1) {
                    None => Ok(()),
                    Some('>') => complete(bad_reference),
                    Some(_) => Err(invalid(after_space + 1)),
                }
            }
            Some(c) if after_space > position && is_name_start(c) => {
                position = check_attribute(token, after_space, &mut bad_reference)?;
            }
            Some(_) => return Err(invalid(after_space)),
        }
    }
}

/// Checks `name = "value"` at `start` and returns the offset after it.
/// Records the value's first bad reference in `bad_reference` unless an
/// earlier one is there. expat reports a reference to a character XML
/// forbids where it is, and an unknown entity at the tag's start.
fn check_attribute(
    token: &str,
    start: usize,
    bad_reference: &mut Option<TokenError>,
) -> Result<usize, TokenError> {
    let equals = skip_spaces(token, name_end(token, start));
    match char_at(token, equals) {
        Some('=') => {}
        None => return Ok(token.len()),
        Some(_) => return Err(invalid(equals)),
    }
    let quote_at = skip_spaces(token, equals + 1);
    let quote = match char_at(token, quote_at) {
        Some(quote @ ('"' | '\'')) => quote,
        None => return Ok(token.len()),
        Some(_) => return Err(invalid(quote_at)),
    };
    let mut position = quote_at + 1;
    while let Some(c) = char_at(token, position) {
        match c {
            c if c == quote => return Ok(position + 1),
            '<' => return Err(invalid(position)),
            '&' => {
                let reference = check_reference(&token[position..]);
                let length = reference.map_err(|(reason, offset)| (reason, position + offset))?;
                let name = &token[position + 1..position + length - 1];
                let error = match name.strip_prefix('#') {
                    Some(number) => character_reference(number)
                        .is_none()
                        .then_some((INVALID_CHAR_REF, position)),
                    None => predefined_entity(name)
                        .is_none()
                        .then_some((UNDEFINED_ENTITY, 0)),
                };
                if bad_reference.is_none() {
                    *bad_reference = error;
                }
                position += length;
            }
            c => position += c.len_utf8(),
        }
    }
    Ok(token.len())
}

/// Checks an end tag, `</name>` with optional spaces before `>`.
pub(super) fn check_end_tag(token: &str) -> Result<(), TokenError> {
    if !is_end_or(token, 2, is_name_start) {
        return Err(invalid(2));
    }
    let after_space = skip_spaces(token, name_end(token, 2));
    match char_at(token, after_space) {
        None | Some('>') => Ok(()),
        Some(_) => Err(invalid(after_space)),
    }
}

/// Checks a reference, `&name;`, `&#123;` or `&#x7B;`, and returns its
/// length in bytes, `;` included.
pub(super) fn check_reference(token: &str) -> Result<usize, TokenError> {
    let end = match token[1..].strip_prefix('#') {
        Some(rest) if rest.starts_with('x') => digits_end(token, 3, |c| c.is_ascii_hexdigit())?,
        Some(_) => digits_end(token, 2, |c| c.is_ascii_digit())?,
        None => {
            if !char_at(token, 1).is_some_and(is_name_start) {
                return Err(invalid(1));
            }
            name_end(token, 1)
        }
    };
    match char_at(token, end) {
        Some(';') => Ok(end + 1),
        _ => Err(invalid(end)),
    }
}

fn digits_end(token: &str, start: usize, is_digit: fn(char) -> bool) -> Result<usize, TokenError> {
    let end = token[start..]
        .find(|c: char| !is_digit(c))
        .map_or(token.len(), |n| start + n);
    if end == start {
        return Err(invalid(start));
    }
    Ok(end)
}

/// Where a processing instruction sits, which decides whether it may be
/// the XML declaration `<?xml ...?>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    /// The first byte of the document, the only place for the declaration.
    DocumentStart,
    /// Elsewhere before the root element, or inside it.
    Elsewhere,
    /// After the root element, where expat reads a declaration as junk.
    AfterRoot,
}

/// Checks a processing instruction, `<?target data?>`.
pub(super) fn check_processing_instruction(
    token: &str,
    placement: Placement,
) -> Result<(), TokenError> {
    if !is_end_or(token, 2, is_name_start) {
        return Err(invalid(2));
    }
    let target_end = name_end(token, 2);
    match char_at(token, target_end) {
        None => return Ok(()),
        Some('?') if !is_end_or(token, target_end + 1, |c| c == '>') => {
            return Err(invalid(target_end + 1));
        }
        Some(c) if c != '?' && !is_space(c) => return Err(invalid(target_end)),
        Some(_) => {}
    }
    let target = &token[2..target_end];
    let Some(content) = token
        .get(target_end..)
        .and_then(|rest| rest.strip_suffix("?>"))
    else {
        return Ok(());
    };
    if target.eq_ignore_ascii_case("xml") && target != "xml" {
        return Err(invalid(target_end));
    }
    if target != "xml" {
        return Ok(());
    }
    match placement {
        Placement::DocumentStart => {
            check_declaration(content).map_err(|offset| (BAD_DECLARATION, target_end + offset))
        }
        Placement::Elsewhere => Err((MISPLACED_DECLARATION, 0)),
        Placement::AfterRoot => Err((super::scan::JUNK_AFTER_ROOT, 0)),
    }
}

/// XML declarations that clients commonly send: Python's `xmlrpc.client`
/// writes the first. Each is well-formed and names UTF-8 or no encoding,
/// so a document that starts with one needs neither check.
pub(super) const COMMON_DECLARATIONS: [&[u8]; 6] = [
    b"<?xml version='1.0'?>",
    b"<?xml version=\"1.0\"?>",
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    b"<?xml version=\"1.0\" encoding=\"utf-8\"?>",
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b"<?xml version='1.0' encoding='utf-8'?>",
];

/// Returns the length of the declaration that starts `document`, if it is
/// one of [`COMMON_DECLARATIONS`].
pub(super) fn common_declaration_len(document: &[u8]) -> Option<usize> {
    COMMON_DECLARATIONS
        .iter()
        .find(|declaration| document.starts_with(declaration))
        .map(|declaration| declaration.len())
}

/// A pseudo-attribute of the XML declaration: its name and value offsets.
struct PseudoAttribute {
    name: usize,
    name_end: usize,
    value: usize,
    value_end: usize,
}

/// Checks the declaration's content, between `<?xml` and `?>`, as expat
/// does: `version` first, then optional `encoding` and `standalone`.
/// Returns the offset expat reports.
fn check_declaration(content: &str) -> Result<(), usize> {
    let mut position = 0;
    let next = |position: &mut usize| pseudo_attribute(content, position);

    let version = next(&mut position)?.ok_or(position)?;
    if &content[version.name..version.name_end] != "version" {
        return Err(version.name);
    }
    let mut attribute = next(&mut position)?;
    if let Some(encoding) = attribute
        .as_ref()
        .filter(|a| &content[a.name..a.name_end] == "encoding")
    {
        if !char_at(content, encoding.value).is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(encoding.value);
        }
        attribute = next(&mut position)?;
    }
    let Some(standalone) = attribute else {
        return Ok(());
    };
    if &content[standalone.name..standalone.name_end] != "standalone" {
        return Err(standalone.name);
    }
    if !matches!(
        &content[standalone.value..standalone.value_end],
        "yes" | "no"
    ) {
        return Err(standalone.value);
    }
    let rest = skip_spaces(content, position);
    if rest != content.len() {
        return Err(rest);
    }
    Ok(())
}

/// Reads one `name="value"` after at least one space, as expat's
/// `parsePseudoAttribute` does. Returns `None` at the end of the content.
fn pseudo_attribute(content: &str, position: &mut usize) -> Result<Option<PseudoAttribute>, usize> {
    if *position == content.len() {
        return Ok(None);
    }
    if !char_at(content, *position).is_some_and(is_space) {
        return Err(*position);
    }
    let name = skip_spaces(content, *position);
    if name == content.len() {
        return Ok(None);
    }

    // expat reads the name as ASCII: any other character ends it in error.
    let name_end = content[name..]
        .find(|c: char| c == '=' || is_space(c) || !c.is_ascii())
        .map_or(content.len(), |n| name + n);
    if char_at(content, name_end).is_none_or(|c| !c.is_ascii()) {
        return Err(name_end);
    }
    let equals = skip_spaces(content, name_end);
    if char_at(content, equals) != Some('=') || name_end == name {
        return Err(equals);
    }

    let quote_at = skip_spaces(content, equals + 1);
    let quote = char_at(content, quote_at)
        .filter(|c| matches!(c, '"' | '\''))
        .ok_or(quote_at)?;
    let value = quote_at + 1;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let value_end = content[value..]
        .find(|c: char| !allowed(c))
        .map_or(content.len(), |n| value + n);
    if char_at(content, value_end) != Some(quote) {
        return Err(value_end);
    }

    *position = value_end + 1;
    Ok(Some(PseudoAttribute {
        name,
        name_end,
        value,
        value_end,
    }))
}

/// Returns the error for text before the root element, which expat reads
/// as prolog tokens. `rest` starts at the first character that is not a
/// space. Names, literals and the punctuation of DTD syntax are tokens
/// that do not belong here, so they give `syntax error` at their start.
/// Other characters cannot start a token and give `invalid token` where
/// they are.
pub(super) fn prolog_text_error(rest: &str) -> TokenError {
    const SYNTAX_ERROR: &str = super::scan::SYNTAX_ERROR;
    let Some(first) = rest.chars().next() else {
        return (SYNTAX_ERROR, 0);
    };
    let token_end = match first {
        ')' => {
            let closes =
                |c: char| is_space(c) || matches!(c, '*' | '?' | '+' | '>' | ',' | '|' | ')');
            return if is_end_or(rest, 1, closes) {
                (SYNTAX_ERROR, 0)
            } else {
                invalid(1)
            };
        }
        '(' | '|' | '>' | '[' | ']' | ',' => return (SYNTAX_ERROR, 0),
        '"' | '\'' => match rest[1..].find(first) {
            Some(length) => length + 2,
            None => return (super::scan::UNCLOSED_TOKEN, 0),
        },
        '#' | '%' if rest.len() == 1 => return (super::scan::UNCLOSED_TOKEN, 0),
        '#' | '%' => {
            if !is_end_or(rest, 1, is_name_start) {
                return invalid(1);
            }
            name_end(rest, 1)
        }
        c if is_name_char(c) => name_end(rest, c.len_utf8()),
        _ => return invalid(0),
    };
    let ends_token = |c: char| is_space(c) || matches!(c, '>' | ')' | ',' | '|' | '[' | '%');
    let ends_name = |c: char| matches!(c, '?' | '*' | '+');
    match char_at(rest, token_end) {
        None => (SYNTAX_ERROR, 0),
        Some(c) if ends_token(c) || (first != '"' && first != '\'' && ends_name(c)) => {
            (SYNTAX_ERROR, 0)
        }
        Some(_) => invalid(token_end),
    }
}

/// Returns the offset just after the first `--` inside a comment's text,
/// where expat reports it, if any.
pub(super) fn double_hyphen_in_comment(token: &str) -> Option<usize> {
    let body = token.strip_prefix("<!--")?;
    let body = body.strip_suffix("-->").unwrap_or(body);
    body.find("--").map(|index| 4 + index + 2)
}
