//! A fast scanner for the documents XML-RPC clients usually send: an
//! optional XML declaration, then elements without attributes and text
//! without references. Python's `xmlrpc.client` writes nothing else, except
//! references in strings that contain `&`, `<` or `>`.
//!
//! It makes the checks that [`super::scan`] makes on those tokens and feeds
//! the handler the same calls. At any other token, or at anything either
//! scanner would reject, it stops and returns `false`, so that the caller
//! scans the document again with [`super::scan::scan`], which reports the
//! error as expat does. For the request in `examples/call_profile.rs` it
//! takes less than half the instructions of quick-xml and those checks.

use super::chars::{is_name_start, is_space, name_len, normalize_line_ends, ASCII_NAME_CHARS};
use super::scan::{find_cdata_end, local_name, Handler, Phase, MAX_ELEMENT_DEPTH};
use super::syntax::{self, Placement};
use crate::wire::byteset::ByteSet;

/// The bytes that text needs more than copying for: `&` starts a
/// reference, `]` may start `]]>`, and `\r` is a line end to normalize.
const TEXT_SPECIAL: ByteSet = ByteSet::EMPTY.with(b"&]\r");

/// The ASCII characters that [`is_name_start`] allows.
const ASCII_NAME_START: ByteSet = ByteSet::EMPTY
    .with_range(b'a', b'z')
    .with_range(b'A', b'Z')
    .with(b"_:");

/// Scans `text` into `handler` when it has only the tokens this module
/// reads. Returns `false`, with the handler in an unspecified state, when
/// [`super::scan::scan`] must scan it instead: for any other token, for a
/// document that is not well-formed, and when the handler raises.
pub(super) fn scan_simple(text: &str, handler: &mut impl Handler) -> bool {
    let mut scanner = SimpleScanner {
        text,
        stack: Vec::with_capacity(16),
        phase: Phase::Prolog,
    };
    scanner.scan(handler).is_some()
}

struct SimpleScanner<'t> {
    text: &'t str,
    /// Qualified and local names of the open elements.
    stack: Vec<(&'t str, &'t str)>,
    phase: Phase,
}

impl<'t> SimpleScanner<'t> {
    /// Scans the whole text. `None` means the caller must use the full
    /// scanner.
    fn scan(&mut self, handler: &mut impl Handler) -> Option<()> {
        let bytes = self.text.as_bytes();
        let mut position = self.declaration_end()?;
        loop {
            let tag_start = bytes[position..]
                .iter()
                .position(|byte| *byte == b'<')
                .map(|offset| position + offset);
            let text_end = tag_start.unwrap_or(bytes.len());
            if text_end > position {
                self.character_data(&self.text[position..text_end], handler)?;
            }
            let Some(tag_start) = tag_start else {
                return (self.phase == Phase::Epilog).then_some(());
            };
            position = match bytes.get(tag_start + 1) {
                Some(b'/') => self.end_tag(tag_start, handler)?,
                Some(b'?' | b'!') => return None,
                _ => self.start_tag(tag_start, handler)?,
            };
        }
    }

    /// Returns the offset after a leading `<?xml ...?>` declaration, or 0
    /// when there is none.
    fn declaration_end(&self) -> Option<usize> {
        let Some(rest) = self.text.strip_prefix("<?xml") else {
            return (!self.text.starts_with("<?")).then_some(0);
        };
        if !rest.starts_with(is_space) {
            return None;
        }
        let end = self
            .text
            .as_bytes()
            .windows(2)
            .position(|pair| pair == b"?>")?
            + 2;
        syntax::check_processing_instruction(&self.text[..end], Placement::DocumentStart).ok()?;
        Some(end)
    }

    fn character_data(&self, raw: &str, handler: &mut impl Handler) -> Option<()> {
        if self.phase != Phase::Root {
            return raw.chars().all(is_space).then_some(());
        }
        if TEXT_SPECIAL.find_in(raw.as_bytes()).is_none() {
            handler.text(raw);
            return Some(());
        }
        if raw.contains('&') || find_cdata_end(raw).is_some() {
            return None;
        }
        handler.text(&normalize_line_ends(raw));
        Some(())
    }

    /// Reads `<name>` or `<name/>` at `offset`, with optional spaces before
    /// `>` or `/`, and returns the offset after it. These checks are those
    /// of [`syntax::check_start_tag`] for a tag without attributes.
    fn start_tag(&mut self, offset: usize, handler: &mut impl Handler) -> Option<usize> {
        if self.phase == Phase::Epilog || self.stack.len() >= MAX_ELEMENT_DEPTH {
            return None;
        }
        let name = self.name_at(offset + 1)?;
        let after_name = self.skip_spaces(offset + 1 + name.len());
        let bytes = self.text.as_bytes();
        let (self_closing, end) = match bytes.get(after_name..after_name + 2) {
            Some([b'>', _]) => (false, after_name + 1),
            Some(b"/>") => (true, after_name + 2),
            _ if bytes.get(after_name) == Some(&b'>') => (false, after_name + 1),
            _ => return None,
        };
        self.phase = Phase::Root;
        let local = local_name(name);
        handler.start(local).ok()?;
        if self_closing {
            self.close(local, handler)?;
        } else {
            self.stack.push((name, local));
        }
        Some(end)
    }

    /// Reads `</name>` at `offset`, with optional spaces before `>`, and
    /// returns the offset after it. These checks are those of
    /// [`syntax::check_end_tag`].
    fn end_tag(&mut self, offset: usize, handler: &mut impl Handler) -> Option<usize> {
        let name = match self.stack.last() {
            // The name usually closes the open element, which is cheaper to
            // confirm than to read the name afresh.
            Some((open, _))
                if self.name_ends_at(offset + 2 + open.len())
                    && self.text[offset + 2..].starts_with(open) =>
            {
                *open
            }
            _ => self.name_at(offset + 2)?,
        };
        let after_name = self.skip_spaces(offset + 2 + name.len());
        if self.text.as_bytes().get(after_name) != Some(&b'>') {
            return None;
        }
        let (open, local) = self.stack.pop()?;
        if open != name {
            return None;
        }
        self.close(local, handler)?;
        Some(after_name + 1)
    }

    /// Returns the name at `offset`, if a character that may start a name
    /// is there.
    fn name_at(&self, offset: usize) -> Option<&'t str> {
        let rest = &self.text[offset..];
        let starts_name = match rest.as_bytes().first() {
            Some(byte) if byte.is_ascii() => ASCII_NAME_START.contains(*byte),
            _ => rest.chars().next().is_some_and(is_name_start),
        };
        starts_name.then(|| &rest[..name_len(rest)])
    }

    /// Tells whether no name character is at `offset`, so that a name
    /// before it ends there.
    fn name_ends_at(&self, offset: usize) -> bool {
        match self.text.as_bytes().get(offset) {
            None => true,
            Some(byte) if byte.is_ascii() => !ASCII_NAME_CHARS.contains(*byte),
            Some(_) => false,
        }
    }

    fn skip_spaces(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let spaces = bytes[offset..]
            .iter()
            .take_while(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        offset + spaces
    }

    /// Ends the element with the local name `local`, already taken off
    /// the stack.
    fn close(&mut self, local: &str, handler: &mut impl Handler) -> Option<()> {
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        handler.end(local).ok()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::scan::scan;
    use super::*;
    use crate::wire::exception::PyException;

    /// Records a scanner's calls, joining adjacent texts, because the two
    /// scanners may split text differently.
    #[derive(Debug, Default, PartialEq)]
    struct Recorder {
        calls: Vec<String>,
    }

    impl Handler for Recorder {
        fn start(&mut self, name: &str) -> Result<(), PyException> {
            self.calls.push(format!("start {name}"));
            Ok(())
        }

        fn end(&mut self, name: &str) -> Result<(), PyException> {
            self.calls.push(format!("end {name}"));
            Ok(())
        }

        fn text(&mut self, text: &str) {
            match self.calls.last_mut() {
                Some(last) if last.starts_with("text ") => last.push_str(text),
                _ => self.calls.push(format!("text {text}")),
            }
        }
    }

    /// Returns the calls of the simple scanner, or `None` where it leaves
    /// the document to the full one.
    fn simple_calls(text: &str) -> Option<Vec<String>> {
        let mut recorder = Recorder::default();
        scan_simple(text, &mut recorder).then_some(recorder.calls)
    }

    fn full_calls(text: &str) -> Option<Vec<String>> {
        let mut recorder = Recorder::default();
        scan(text, &mut recorder).ok().map(|()| recorder.calls)
    }

    const REQUEST: &str = "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n<param>\n<value><string>a]b\r\nc</string></value>\n</param>\n<param>\n<value><array><data>\n<value><int>2</int></value>\n<value/>\n<value><boolean>1</boolean></value>\n</data></array></value>\n</param>\n</params>\n</methodCall>\n";

    #[test]
    fn ascii_name_start_matches_is_name_start() {
        for byte in 0..0x80u8 {
            assert_eq!(
                ASCII_NAME_START.contains(byte),
                is_name_start(char::from(byte)),
                "byte {byte:#04x}"
            );
        }
    }

    #[test]
    fn reads_what_clients_send_as_full_scan() {
        let documents = [
            REQUEST,
            "<methodCall><methodName>m</methodName><params/></methodCall>",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><methodCall ><params >\n</params\n></methodCall >",
            " \n<ex:methodCall><ex:params/></ex:methodCall>\r\n",
            "<methodCall><methodName>é€😀 > x</methodName></methodCall>",
        ];
        for document in documents {
            let simple = simple_calls(document);
            assert!(simple.is_some(), "{document:?}");
            assert_eq!(simple, full_calls(document), "{document:?}");
        }
    }

    #[test]
    fn leaves_other_tokens_to_full_scan() {
        let documents = [
            "",
            "<?xml version='1.0'?>",
            "<a x='1'></a>",
            "<a>&amp;</a>",
            "<a>&#65;</a>",
            "<a><!-- note --></a>",
            "<a><![CDATA[x]]></a>",
            "<!DOCTYPE a><a/>",
            "<a><?pi x?></a>",
            "<?xml-stylesheet href='x'?><a/>",
            "<?xml version='1.0'?><?xml version='1.0'?><a/>",
            "<?xml version='2.0' foo='1'?><a/>",
            "<a/><b/>",
            "<a/>text",
            "text<a/>",
            "<a></b>",
            "<a>",
            "<a",
            "</a>",
            "<a>]]></a>",
            "< a/>",
            "<1a/>",
            "<a/ >",
            "<a></a x>",
        ];
        for document in documents {
            assert_eq!(simple_calls(document), None, "{document:?}");
        }
    }

    /// Inserts, removes or replaces one char of [`REQUEST`] per edit.
    fn mutated_request() -> impl Strategy<Value = String> {
        let edit = (
            any::<prop::sample::Index>(),
            0..3u8,
            prop::sample::select(vec![
                '<', '>', '/', '?', '!', '&', ';', '=', '"', '\'', ' ', '\n', ']', 'a', ':', '-',
                '1', 'é',
            ]),
        );
        prop::collection::vec(edit, 1..4).prop_map(|edits| {
            let mut chars: Vec<char> = REQUEST.chars().collect();
            for (index, kind, c) in edits {
                let at = index.index(chars.len());
                match kind {
                    0 => chars.insert(at, c),
                    1 => {
                        chars.remove(at);
                    }
                    _ => chars[at] = c,
                }
            }
            chars.into_iter().collect()
        })
    }

    proptest! {
        #[test]
        fn simple_scan_agrees_with_full_scan(document in mutated_request()) {
            if let Some(calls) = simple_calls(&document) {
                prop_assert_eq!(Some(calls), full_calls(&document));
            }
        }
    }
}
