//! A fast scanner for the documents XML-RPC clients usually send: an
//! optional XML declaration, then elements without attributes and text
//! without references. Python's `xmlrpc.client` writes nothing else, except
//! references in strings that contain `&`, `<` or `>`.
//!
//! It makes the checks that [`super::scan`] makes on those tokens, rejects
//! the characters that XML forbids as [`super::chars::find_non_xml_char`]
//! finds them, and feeds the handler the same calls. At any other token, or
//! at anything either scanner would reject, it stops and returns `false`,
//! so that the caller scans the document again with [`super::scan::scan`],
//! which reports the error as expat does. It scans the text in one pass,
//! and reads a tag name of up to 7 bytes byte by byte only where the name
//! first appears: a table finds it again from one word of text.

use super::chars::{is_name_start, is_space, name_len, normalize_line_ends, ASCII_NAME_CHARS};
use super::scan::{local_name, Handler, MAX_ELEMENT_DEPTH};
use super::syntax::{self, Placement};
use crate::wire::byteset::ByteSet;

/// The bytes that text inside the root needs more than copying for. `<`
/// ends the text, `&` starts a reference, `]` may start `]]>` and `\r` is
/// a line end to normalize. The other control characters, and 0xEF, which
/// starts U+FFFE and U+FFFF, may be characters that XML forbids.
const TEXT_SPECIAL: ByteSet = ByteSet::EMPTY
    .with_range(0x00, 0x1F)
    .without(b"\t\n")
    .with(b"<&]")
    .with(&[0xEF]);

/// The ASCII characters that [`is_name_start`] allows.
const ASCII_NAME_START: ByteSet = ByteSet::EMPTY
    .with_range(b'a', b'z')
    .with_range(b'A', b'Z')
    .with(b"_:");

/// Scans `text` into `handler` when it has only the tokens this module
/// reads. Returns `false`, with the handler in an unspecified state, when
/// [`super::scan::scan`] must scan it instead: for any other token, for a
/// document that is not well-formed or contains a character that XML
/// forbids, and when the handler raises.
pub(super) fn scan_simple<H: Handler>(text: &str, handler: &mut H) -> bool {
    let mut scanner = SimpleScanner {
        text,
        bytes: text.as_bytes(),
        stack: Vec::with_capacity(16),
        names: NameTable::new(),
        handler,
    };
    scanner.scan().is_some()
}

/// An open element.
struct OpenElement<'t, E> {
    /// Byte offset of the qualified name in the text.
    name: usize,
    /// Length of the qualified name in bytes.
    len: usize,
    /// The [`TagKey`] of `</name>`, if the name is short enough for one.
    key: Option<TagKey>,
    local: &'t str,
    element: E,
}

struct SimpleScanner<'t, 'h, H: Handler> {
    text: &'t str,
    bytes: &'t [u8],
    stack: Vec<OpenElement<'t, H::Element>>,
    names: NameTable<'t, H::Element>,
    handler: &'h mut H,
}

impl<'t, H: Handler> SimpleScanner<'t, '_, H> {
    /// Scans the whole text. `None` means the caller must use the full
    /// scanner.
    fn scan(&mut self) -> Option<()> {
        let mut tag = self.skip_spaces(self.declaration_end()?);
        if self.bytes.get(tag) != Some(&b'<') {
            return None;
        }
        loop {
            let after_tag = match self.bytes.get(tag + 1) {
                Some(b'/') => self.end_tag(tag)?,
                _ => self.start_tag(tag)?,
            };
            if self.stack.is_empty() {
                // After the root, only spaces may follow.
                return (self.skip_spaces(after_tag) == self.bytes.len()).then_some(());
            }
            tag = self.character_data(after_tag)?;
        }
    }

    /// Returns the offset after a leading `<?xml ...?>` declaration, or 0
    /// when there is none.
    fn declaration_end(&self) -> Option<usize> {
        if let Some(length) = syntax::common_declaration_len(self.bytes) {
            return Some(length);
        }
        let Some(rest) = self.text.strip_prefix("<?xml") else {
            return (!self.text.starts_with("<?")).then_some(0);
        };
        if !rest.starts_with(is_space) {
            return None;
        }
        let end = self.bytes.windows(2).position(|pair| pair == b"?>")? + 2;
        syntax::check_processing_instruction(&self.text[..end], Placement::DocumentStart).ok()?;
        Some(end)
    }

    /// Passes the text inside the root from `from` to the next `<` on, with
    /// line ends normalized, and returns the offset of that `<`.
    fn character_data(&mut self, from: usize) -> Option<usize> {
        // Most tags follow another tag at once, or a line feed, which
        // Python's `xmlrpc.client` writes after most end tags.
        let first = *self.bytes.get(from)?;
        if first == b'<' {
            return Some(from);
        }
        if first == b'\n' && self.bytes.get(from + 1) == Some(&b'<') {
            self.handler.text("\n");
            return Some(from + 1);
        }
        let mut position = from;
        let mut has_carriage_return = false;
        loop {
            position += find_text_special(&self.bytes[position..])?;
            match self.bytes[position..] {
                [b'<', ..] => break,
                [b'\t' | b'\n', ..] => {}
                [b'\r', ..] => has_carriage_return = true,
                [b']', b']', b'>', ..] => return None,
                [b']', ..] => {}
                // U+FFFE and U+FFFF.
                [0xEF, 0xBF, 0xBE | 0xBF, ..] => return None,
                [0xEF, ..] => {}
                // `&` and the control characters that XML forbids.
                _ => return None,
            }
            position += 1;
        }
        let raw = &self.text[from..position];
        if has_carriage_return {
            self.handler.text(&normalize_line_ends(raw));
        } else {
            self.handler.text(raw);
        }
        Some(position)
    }

    /// Reads a start tag at `offset` and returns the offset after it. The
    /// name table finds `<name>` from one word of text when the name was
    /// seen before, and any other tag is read byte by byte.
    #[inline]
    fn start_tag(&mut self, offset: usize) -> Option<usize> {
        if self.stack.len() >= MAX_ELEMENT_DEPTH {
            return None;
        }
        let name = offset + 1;
        let Some(known) = word_at(self.bytes, name).and_then(|word| self.names.find(word)) else {
            return self.read_start_tag(offset);
        };
        let &KnownName {
            key,
            len,
            local,
            element,
        } = known;
        self.handler.start(local, element).ok()?;
        self.stack.push(OpenElement {
            name,
            len,
            key: Some(key),
            local,
            element,
        });
        Some(name + len + 1)
    }

    /// Reads `<name>` or `<name/>` at `offset`, with optional spaces before
    /// `>` or `/`, and returns the offset after it. These checks are those
    /// of [`syntax::check_start_tag`] for a tag without attributes.
    #[inline(never)]
    fn read_start_tag(&mut self, offset: usize) -> Option<usize> {
        let name = offset + 1;
        let (local, end) = self.name_at(name)?;
        let after_name = self.skip_spaces(end);
        let (self_closing, tag_end) = match self.bytes.get(after_name..) {
            Some([b'>', ..]) => (false, after_name + 1),
            Some([b'/', b'>', ..]) => (true, after_name + 2),
            _ => return None,
        };
        let local = &self.text[local..end];
        let element = self.handler.element(local);
        let len = end - name;
        let key = word_at(self.bytes, name).and_then(|word| TagKey::new(word, len));
        if let Some(key) = key {
            self.names.insert(KnownName {
                key,
                len,
                local,
                element,
            });
        }
        self.handler.start(local, element).ok()?;
        if self_closing {
            self.handler.end(local, element).ok()?;
        } else {
            self.stack.push(OpenElement {
                name,
                len,
                key,
                local,
                element,
            });
        }
        Some(tag_end)
    }

    /// Reads `</name>` at `offset`, with optional spaces before `>`, and
    /// returns the offset after it. These checks are those of
    /// [`syntax::check_end_tag`] for the name of the open element, and any
    /// other name is left to the full scanner.
    fn end_tag(&mut self, offset: usize) -> Option<usize> {
        let open = self.stack.pop()?;
        let name = offset + 2;
        let end = name + open.len;
        let closes_at_once = open
            .key
            .zip(word_at(self.bytes, name))
            .is_some_and(|(key, word)| key.matches(word));
        let tag_end = if closes_at_once {
            end + 1
        } else {
            if self.bytes.get(name..end)? != &self.bytes[open.name..open.name + open.len] {
                return None;
            }
            // A name character after the name makes it another name, and
            // fails this test as any byte but a space or `>` does.
            let after_name = self.skip_spaces(end);
            if self.bytes.get(after_name) != Some(&b'>') {
                return None;
            }
            after_name + 1
        };
        self.handler.end(open.local, open.element).ok()?;
        Some(tag_end)
    }

    /// Returns the offsets of the local name and of the end of the name
    /// at `offset`, if a character that may start a name is there.
    fn name_at(&self, offset: usize) -> Option<(usize, usize)> {
        let first = *self.bytes.get(offset)?;
        if !first.is_ascii() {
            return self.non_ascii_name_at(offset);
        }
        if !ASCII_NAME_START.contains(first) {
            return None;
        }
        let mut local = offset;
        let mut end = offset;
        loop {
            match self.bytes.get(end) {
                Some(b':') => local = end + 1,
                Some(byte) if ASCII_NAME_CHARS.contains(*byte) => {}
                Some(byte) if !byte.is_ascii() => return self.non_ascii_name_at(offset),
                _ => return Some((local, end)),
            }
            end += 1;
        }
    }

    /// Reads the name at `offset` as [`Self::name_at`] does, for a name
    /// with a character beyond ASCII.
    #[cold]
    fn non_ascii_name_at(&self, offset: usize) -> Option<(usize, usize)> {
        let rest = &self.text[offset..];
        if !rest.chars().next().is_some_and(is_name_start) {
            return None;
        }
        let name = &rest[..name_len(rest)];
        let local = offset + name.len() - local_name(name).len();
        Some((local, offset + name.len()))
    }

    fn skip_spaces(&self, offset: usize) -> usize {
        let spaces = self.bytes[offset..]
            .iter()
            .take_while(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        offset + spaces
    }
}

/// Returns the offset of the first byte of [`TEXT_SPECIAL`], tab or line
/// feed in `bytes`.
fn find_text_special(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    while let Some(word) = word_at(bytes, offset) {
        let marks = text_special_marks(word);
        if marks != 0 {
            return Some(offset + marks.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let tail = &bytes[offset..];
    let index = tail
        .iter()
        .position(|byte| TEXT_SPECIAL.contains(*byte) || matches!(byte, b'\t' | b'\n'))?;
    Some(offset + index)
}

/// Sets the high bit of the first byte of `word` that is below U+0020, `<`,
/// `&`, `]` or 0xEF, if any. Bits of later bytes may be set wrongly.
fn text_special_marks(word: u64) -> u64 {
    // Texts in requests are short, and one word of these tests costs less
    // than the eight table lookups of `ByteSet::find_in`.
    bytes_below(word, b' ')
        | bytes_equal(word, b'<')
        | bytes_equal(word, b'&')
        | bytes_equal(word, b']')
        | bytes_equal(word, 0xEF)
}

// The standard library has no search for a byte within a word, so these
// are written by hand. Subtracting `limit` from each byte borrows into the
// high bit of a byte below it, and XOR with a repeated byte turns the
// bytes equal to it into zero bytes. A borrow also carries into the next
// byte, so only the lowest mark is always right.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = ONES << 7;

/// Sets the high bit of the first byte of `word` below `limit`, which is at
/// most 0x80. Bits of later bytes may be set wrongly.
fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH_BITS
}

/// Sets the high bit of the first byte of `word` equal to `byte`. Bits of
/// later bytes may be set wrongly.
fn bytes_equal(word: u64, byte: u8) -> u64 {
    bytes_below(word ^ (ONES * u64::from(byte)), 1)
}

/// Returns the 8 bytes at `offset` as a little-endian word, so that the
/// first byte is the lowest, if the text has that many.
fn word_at(bytes: &[u8], offset: usize) -> Option<u64> {
    let chunk = bytes.get(offset..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*chunk))
}

/// A name of at most 7 bytes followed by `>`, as a little-endian word with
/// zeros after the `>`. Since neither a name nor its `>` can contain a
/// zero byte or another `>`, equal keys are equal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TagKey(u64);

impl TagKey {
    /// Returns the key of the `len`-byte name that starts `word`.
    fn new(word: u64, len: usize) -> Option<TagKey> {
        if !(1..8).contains(&len) {
            return None;
        }
        let name = word & low_bytes(len);
        Some(TagKey(name | u64::from(b'>') << (8 * len)))
    }

    /// Returns the key of the bytes up to the first `>` in `word`.
    fn up_to_angle_bracket(word: u64) -> Option<TagKey> {
        let angle_bracket = bytes_equal(word, b'>').trailing_zeros() as usize / 8;
        if !(1..8).contains(&angle_bracket) {
            return None;
        }
        Some(TagKey(word & low_bytes(angle_bracket + 1)))
    }

    /// Tells whether `word` starts with this key's name and `>`.
    fn matches(self, word: u64) -> bool {
        // The highest nonzero byte of a key is its `>`.
        let len = 8 - self.0.leading_zeros() as usize / 8;
        word & low_bytes(len) == self.0
    }
}

/// Returns the mask of the lowest `count` bytes of a word, for `count`
/// from 1 to 8.
fn low_bytes(count: usize) -> u64 {
    u64::MAX >> (64 - 8 * count)
}

/// A name seen in a start tag, with what the scanner and the handler made
/// of it.
#[derive(Clone, Copy)]
struct KnownName<'t, E> {
    key: TagKey,
    len: usize,
    local: &'t str,
    element: E,
}

/// The short names seen so far, so that a start tag with one of them is
/// read from one word of text. XML-RPC, with the extensions CPython reads,
/// has 20 element names of at most 7 bytes, so an open-addressed table of
/// 64 slots finds most of them in one probe.
struct NameTable<'t, E> {
    /// For each slot, 0 when empty, or 1 plus the index of a name.
    slots: [u8; NAME_SLOTS],
    names: Vec<KnownName<'t, E>>,
}

const NAME_SLOTS: usize = 64;
/// The names kept at most, half the slots, so that a probe always reaches
/// an empty slot soon.
const MAX_NAMES: usize = NAME_SLOTS / 2;

impl<'t, E: Copy> NameTable<'t, E> {
    fn new() -> Self {
        NameTable {
            slots: [0; NAME_SLOTS],
            names: Vec::with_capacity(MAX_NAMES),
        }
    }

    /// Returns the known name that `word` starts with, right before `>`.
    fn find(&self, word: u64) -> Option<&KnownName<'t, E>> {
        self.get(TagKey::up_to_angle_bracket(word)?)
    }

    fn get(&self, key: TagKey) -> Option<&KnownName<'t, E>> {
        let mut slot = slot_of(key);
        loop {
            let index = usize::from(self.slots[slot]).checked_sub(1)?;
            let known = &self.names[index];
            if known.key == key {
                return Some(known);
            }
            slot = (slot + 1) % NAME_SLOTS;
        }
    }

    fn insert(&mut self, name: KnownName<'t, E>) {
        if self.names.len() >= MAX_NAMES || self.get(name.key).is_some() {
            return;
        }
        let mut slot = slot_of(name.key);
        while self.slots[slot] != 0 {
            slot = (slot + 1) % NAME_SLOTS;
        }
        self.names.push(name);
        // At most `MAX_NAMES` names, so the index fits in a byte.
        self.slots[slot] = self.names.len() as u8;
    }
}

/// Returns the first slot to probe for `key`: the top bits of a
/// multiplicative hash, which depend on every byte of the key.
fn slot_of(key: TagKey) -> usize {
    (key.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - NAME_SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::chars::find_non_xml_char;
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
        type Element = ();

        fn element(&self, _name: &str) {}

        fn start(&mut self, name: &str, _element: ()) -> Result<(), PyException> {
            self.calls.push(format!("start {name}"));
            Ok(())
        }

        fn end(&mut self, name: &str, _element: ()) -> Result<(), PyException> {
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
            "<a>\u{feff}\u{f000}\u{fffd}\t0123456789\n</a>",
            "<value>\n</value>",
            "<a>\n<b>\n\n</b>\n \n</a>\n",
        ];
        for document in documents {
            let simple = simple_calls(document);
            assert!(simple.is_some(), "{document:?}");
            assert_eq!(simple, full_calls(document), "{document:?}");
        }
    }

    #[test]
    fn name_table_reads_tags_as_full_scan() {
        // Names used again in each way a tag can differ from the first one
        // seen, and names around the 7 bytes that the table takes.
        let many_names: String = (0..2 * MAX_NAMES)
            .map(|index| format!("<n{index}><n{index}/></n{index}>"))
            .collect();
        let documents = [
            "<value><value>x</value><value/><value >y</value ></value>".to_owned(),
            "<value><valuex></valuex><valu></valu></value>".to_owned(),
            "<abcdefg><abcdefg></abcdefg></abcdefg>".to_owned(),
            "<abcdefgh><abcdefgh></abcdefgh></abcdefgh>".to_owned(),
            "<ex:a><ex:a><a></a></ex:a><ex:a/></ex:a>".to_owned(),
            "<é><é>1</é><é/></é>".to_owned(),
            format!("<root>{many_names}{many_names}</root>"),
        ];
        for document in &documents {
            let simple = simple_calls(document);
            assert!(simple.is_some(), "{document:?}");
            assert_eq!(simple, full_calls(document), "{document:?}");
        }
    }

    #[test]
    fn end_tag_must_match_known_name() {
        let documents = [
            "<value><value></valuex></value>",
            "<value><value></valu></value>",
            "<value><value></value/></value>",
            "<value><value></values></value>",
            "<value><value></value\u{0}></value>",
        ];
        for document in documents {
            assert_eq!(simple_calls(document), None, "{document:?}");
        }
    }

    #[test]
    fn rejects_characters_xml_forbids() {
        let documents = [
            "<a>\u{1}</a>",
            "<a>0123456789\u{1f}</a>",
            "<a>x\u{0}y</a>",
            "<a>\u{fffe}</a>",
            "<a>0123456789\u{ffff}</a>",
            "<a>\u{1}",
            "\u{1}<a/>",
            "<a/>\u{1}",
            "<a\u{1}/>",
            "<a></a\u{1}>",
        ];
        for document in documents {
            assert_eq!(simple_calls(document), None, "{document:?}");
        }
    }

    #[test]
    fn tag_key_finds_first_angle_bracket() {
        let word = |bytes: &[u8; 8]| u64::from_le_bytes(*bytes);
        let value = TagKey::new(word(b"value>xx"), 5).expect("a short name");

        assert_eq!(TagKey::up_to_angle_bracket(word(b"value>>x")), Some(value));
        assert!(value.matches(word(b"value></")));
        assert!(!value.matches(word(b"values><")));
        assert!(!value.matches(word(b"valu></v")));
        assert_eq!(TagKey::up_to_angle_bracket(word(b">value>x")), None);
        assert_eq!(TagKey::up_to_angle_bracket(word(b"abcdefgh")), None);
        assert_eq!(
            TagKey::up_to_angle_bracket(word(b"abcdefg>")),
            TagKey::new(word(b"abcdefg>"), 7)
        );
        assert_eq!(TagKey::new(word(b"abcdefgh"), 8), None);
        assert_eq!(TagKey::new(word(b"abcdefgh"), 0), None);
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
                '1', 'é', '\t', '\r', '\u{1}', '\u{fffe}',
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
                prop_assert_eq!(find_non_xml_char(&document), None);
            }
        }

        #[test]
        fn find_text_special_matches_byte_search(
            text in "[a-z<&\\]\t\n\r\u{1}\u{ef}\u{f000}\u{fffe}]{0,40}"
        ) {
            let bytes = text.as_bytes();
            let expected = bytes
                .iter()
                .position(|byte| TEXT_SPECIAL.contains(*byte) || matches!(byte, b'\t' | b'\n'));

            prop_assert_eq!(find_text_special(bytes), expected);
        }
    }
}
