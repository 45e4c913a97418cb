//! Base64 decoding with the leniency of CPython's `base64.decodebytes`,
//! which `xmlrpc.client` uses for `<base64>` values.
//!
//! CPython's non-strict `binascii.a2b_base64` skips every byte outside the
//! base64 alphabet (whitespace, but also `!` or `*`), stops at the first
//! complete padding, and fails only on an impossible length. The error texts
//! below are CPython 3.11's.

use crate::wire::exception::{PyException, BINASCII_ERROR, UNICODE_ENCODE_ERROR};

/// Decodes base64 text as `base64.decodebytes` does.
///
/// # Errors
///
/// Raises `UnicodeEncodeError` for text that is not ASCII, as
/// `xmlrpc.client` encodes it to ASCII first, and `binascii.Error` when the
/// data ends in the middle of a quantum.
pub(super) fn decode(text: &str) -> Result<Vec<u8>, PyException> {
    if !text.is_ascii() {
        return Err(ascii_encode_error(text));
    }
    let mut output = Vec::with_capacity(text.len() / 4 * 3);
    let mut quad_position = 0;
    let mut pads = 0;
    let mut left = 0u8;

    for byte in text.bytes() {
        if byte == b'=' {
            pads += 1;
            if quad_position >= 2 && quad_position + pads >= 4 {
                return Ok(output);
            }
            continue;
        }
        let Some(sextet) = sextet(byte) else {
            continue;
        };
        match quad_position {
            0 => left = sextet,
            1 => {
                output.push((left << 2) | (sextet >> 4));
                left = sextet & 0x0f;
            }
            2 => {
                output.push((left << 4) | (sextet >> 2));
                left = sextet & 0x03;
            }
            _ => output.push((left << 6) | sextet),
        }
        quad_position = (quad_position + 1) % 4;
    }

    match quad_position {
        0 => Ok(output),
        1 => Err(PyException::new(
            BINASCII_ERROR,
            format!(
                "Invalid base64-encoded string: number of data characters ({}) \
                 cannot be 1 more than a multiple of 4",
                output.len() / 3 * 4 + 1
            ),
        )),
        _ => Err(PyException::new(BINASCII_ERROR, "Incorrect padding")),
    }
}

/// Returns the error of `text.encode("ascii")`: it names the first run of
/// characters above U+007F by character positions, and a run of one by the
/// character's escape.
fn ascii_encode_error(text: &str) -> PyException {
    let mut chars = text.chars().enumerate().skip_while(|(_, c)| c.is_ascii());
    let Some((start, first)) = chars.next() else {
        unreachable!("the caller found a character above U+007F");
    };
    let run = 1 + chars.take_while(|(_, c)| !c.is_ascii()).count();
    let subject = if run == 1 {
        let code = u32::from(first);
        let escape = match code {
            0..=0xff => format!("\\x{code:02x}"),
            0x100..=0xffff => format!("\\u{code:04x}"),
            _ => format!("\\U{code:08x}"),
        };
        format!("character '{escape}' in position {start}")
    } else {
        format!("characters in position {start}-{}", start + run - 1)
    };
    PyException::new(
        UNICODE_ENCODE_ERROR,
        format!("'ascii' codec can't encode {subject}: ordinal not in range(128)"),
    )
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_decodebytes() {
        // Each expected result was printed by CPython 3.11.
        let valid: [(&str, &[u8]); 7] = [
            ("abcd", b"i\xb7\x1d"),
            ("ab==", b"i"),
            ("a b\nc d", b"i\xb7\x1d"),
            ("!!!!", b""),
            ("YQ==YQ==", b"a"),
            ("=", b""),
            ("abc=d", b"i\xb7"),
        ];
        for (text, expected) in valid {
            assert_eq!(decode(text).expect(text), expected, "{text:?}");
        }
    }

    #[test]
    fn errors_match_python() {
        let cases = [
            ("a", "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4"),
            ("a===", "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4"),
            ("abcde", "Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4"),
            ("ab", "Incorrect padding"),
            ("abc", "Incorrect padding"),
            ("ab=", "Incorrect padding"),
        ];
        for (text, message) in cases {
            let error = decode(text).expect_err(text);
            assert_eq!(error.message, message, "{text:?}");
            assert_eq!(error.class.qualified_name(), "binascii.Error");
        }
    }

    #[test]
    fn non_ascii_errors_match_python() {
        // CPython 3.11's base64.decodebytes(text.encode("ascii")).
        let cases = [
            ("aGk\u{e9}", "character '\\xe9' in position 3"),
            ("a\u{e9}\u{e9}b", "characters in position 1-2"),
            ("\u{1f600}", "character '\\U0001f600' in position 0"),
            ("x\u{20ac}", "character '\\u20ac' in position 1"),
        ];
        for (text, subject) in cases {
            let error = decode(text).expect_err(text);
            assert_eq!(
                error.message,
                format!("'ascii' codec can't encode {subject}: ordinal not in range(128)"),
                "{text:?}"
            );
            assert_eq!(error.class.qualified_name(), "builtins.UnicodeEncodeError");
        }
    }
}
