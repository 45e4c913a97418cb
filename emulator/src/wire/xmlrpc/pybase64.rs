//! Base64 decoding with the leniency of CPython's `base64.decodebytes`,
//! which `xmlrpc.client` uses for `<base64>` values.
//!
//! CPython's non-strict `binascii.a2b_base64` skips every byte outside the
//! base64 alphabet (whitespace, but also `!` or `*`), stops at the first
//! complete padding, and fails only on an impossible length. The error texts
//! below are CPython 3.11's.

use crate::wire::exception::{PyException, BINASCII_ERROR};

/// Decodes base64 text as `base64.decodebytes` does.
///
/// # Errors
///
/// Raises `binascii.Error` when the data ends in the middle of a quantum.
pub(super) fn decode(text: &str) -> Result<Vec<u8>, PyException> {
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
}
