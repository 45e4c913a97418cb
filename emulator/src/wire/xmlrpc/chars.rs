//! The character rules of XML 1.0 that the scanner needs: which characters
//! a document, a name or a space may contain, line-end normalization, and
//! the predefined and numeric character references.

use std::borrow::Cow;

use crate::wire::byteset::ByteSet;

/// Tells whether XML 1.0 allows the character in a document.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// The bytes that may start a character XML 1.0 forbids in UTF-8 text: the
/// control characters other than tab, line feed and carriage return, and
/// 0xEF, which starts U+FFFE and U+FFFF. Text in a `str` has no
/// surrogates, the only other characters XML forbids.
const MAYBE_NON_XML: ByteSet = ByteSet::EMPTY
    .with_range(0x00, 0x1F)
    .without(b"\t\n\r")
    .with(&[0xEF]);

/// Returns the byte offset of the first character in `text` that XML 1.0
/// forbids.
pub(super) fn find_non_xml_char(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = MAYBE_NON_XML.find_in(&bytes[from..]) {
        let index = from + offset;
        // A marked byte always starts a character, because UTF-8
        // continuation bytes are 0x80 to 0xBF.
        let c = text[index..].chars().next()?;
        if !is_xml_char(c) {
            return Some(index);
        }
        from = index + c.len_utf8();
    }
    None
}

/// The ASCII characters that [`is_name_char`] allows.
pub(super) const ASCII_NAME_CHARS: ByteSet = ByteSet::EMPTY
    .with_range(b'a', b'z')
    .with_range(b'A', b'Z')
    .with_range(b'0', b'9')
    .with(b"_:-.");

/// Returns the byte offset just after the name characters that start
/// `text`.
#[inline]
pub(super) fn name_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let ascii_len = bytes
        .iter()
        .position(|byte| !ASCII_NAME_CHARS.contains(*byte))
        .unwrap_or(bytes.len());
    if bytes.get(ascii_len).is_none_or(u8::is_ascii) {
        return ascii_len;
    }
    non_ascii_name_len(text, ascii_len)
}

/// Continues [`name_len`] at the first non-ASCII character, `from`.
#[cold]
fn non_ascii_name_len(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| !is_name_char(c))
        .map_or(text.len(), |length| from + length)
}

/// Tells whether XML allows the character to start a name.
// NOTE: this uses Unicode's alphabetic class in place of expat's name
// tables, which differ for some non-ASCII characters. U+00AA, U+2160,
// U+0D7A and U+10000 start a name here, and Python 3.11's expat rejects them.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_name_chars_match_is_name_char() {
        for byte in 0..0x80u8 {
            assert_eq!(
                ASCII_NAME_CHARS.contains(byte),
                is_name_char(char::from(byte)),
                "byte {byte:#04x}"
            );
        }
    }

    #[test]
    fn name_len_ascii_and_beyond() {
        let cases = [
            ("", 0),
            ("value>", 5),
            ("dateTime.iso8601 a='1'", 16),
            ("a:b-c_d.e/", 9),
            ("café>", 5),
            ("caf\u{e9}\u{b7}x y", 8),
            ("ab\u{2014}c", 2),
            ("ab\u{e9}", 4),
        ];
        for (text, expected) in cases {
            assert_eq!(name_len(text), expected, "{text:?}");
        }
    }

    #[test]
    fn find_non_xml_char_cases() {
        let cases = [
            ("", None),
            ("plain <text> of some length", None),
            ("tab\tline\ncr\r", None),
            ("a\u{0}", Some(1)),
            ("0123456789\u{1f}", Some(10)),
            ("\u{7f}\u{80}\u{9f}", None),
            ("\u{fffd}\u{ffef}\u{e000}\u{10ffff}", None),
            ("ok \u{fffe}", Some(3)),
            ("é\u{ffff}", Some(2)),
            ("\u{ef}\u{fffe}", Some(2)),
        ];
        for (text, expected) in cases {
            assert_eq!(find_non_xml_char(text), expected, "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn find_non_xml_char_matches_char_check(text in "\\PC*|[\\x00-\\x20\\u{fffd}-\\u{ffff}a]*") {
            let expected = text
                .char_indices()
                .find(|(_, c)| !is_xml_char(*c))
                .map(|(offset, _)| offset);

            proptest::prop_assert_eq!(find_non_xml_char(&text), expected);
        }
    }
}
