//! The character rules of XML 1.0 that the scanner needs: which characters
//! a document, a name or a space may contain, line-end normalization, and
//! the predefined and numeric character references.

use std::borrow::Cow;

/// Tells whether XML 1.0 allows the character in a document.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Tells whether XML allows the character to start a name.
pub(super) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '_' | ':') || (!c.is_ascii() && c.is_alphabetic())
}

/// Tells whether XML allows the character inside a name.
pub(super) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || matches!(c, '-' | '.' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Tells whether the character is XML whitespace.
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Normalizes `\r\n` and `\r` to `\n`, as XML requires of parsers.
pub(super) fn normalize_line_ends(raw: &str) -> Cow<'_, str> {
    if raw.contains('\r') {
        Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(raw)
    }
}

/// Resolves one of the five entities that XML predefines.
pub(super) fn predefined_entity(name: &str) -> Option<char> {
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
pub(super) fn character_reference(number: &str) -> Option<char> {
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code).filter(|c| is_xml_char(*c))
}
