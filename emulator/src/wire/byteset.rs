//! Sets of bytes as lookup tables, for the codecs' fast paths.
//!
//! Most text on the wire needs no escaping and no checking, so the codecs
//! search it for the few bytes that do and copy the runs between them with
//! one `push_str` each. Sets of a few bytes are searched a word at a time.

/// A set of byte values, looked up by indexing a 256-entry table.
///
/// A set of the control characters and at most [`MAX_EXACT`] other bytes
/// is also searched a word of eight bytes at a time (see [`WordTest`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ByteSet {
    table: [bool; 256],
    word_test: Option<WordTest>,
}

/// The maximum number of bytes at or above U+0020 that a [`WordTest`]
/// compares.
const MAX_EXACT: usize = 4;

/// A test of eight bytes at once that flags every word holding a byte of
/// its set, and some words that hold none: any byte below `below`, and
/// each of `exact`. The standard library has no search for several bytes
/// within a word, and one word of these tests costs fewer instructions than
/// eight table lookups.
#[derive(Debug, Clone, Copy)]
struct WordTest {
    /// 0x20 when the set has a control character, else 0.
    below: u8,
    exact: [u8; MAX_EXACT],
    exact_len: usize,
    /// A byte the test never flags, to pad a short tail to a word.
    filler: u8,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = ONES << 7;

/// Returns the 1 to 7 bytes of `bytes` as the low bytes of a word, with
/// zero above them. Overlapping loads from each end replace a copy of
/// unknown length, which costs a call to `memcpy`.
fn short_word(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    debug_assert!((1..8).contains(&len), "{len} bytes");
    let byte = |at: usize| u64::from(bytes[at]) << (8 * at);
    if len < 4 {
        return byte(0) | byte(len / 2) | byte(len - 1);
    }
    let half = |at: usize| {
        let loaded = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"));
        u64::from(loaded) << (8 * at)
    };
    half(0) | half(len - 4)
}

impl WordTest {
    /// Returns the test for `table`, or `None` when the set has more than
    /// [`MAX_EXACT`] bytes at or above U+0020.
    const fn of(table: &[bool; 256]) -> Option<WordTest> {
        let mut test = WordTest {
            below: 0,
            exact: [0; MAX_EXACT],
            exact_len: 0,
            filler: 0,
        };
        let mut byte = 0;
        while byte < 256 {
            if table[byte] {
                if byte < 0x20 {
                    test.below = 0x20;
                } else if test.exact_len == MAX_EXACT {
                    return None;
                } else {
                    test.exact[test.exact_len] = byte as u8;
                    test.exact_len += 1;
                }
            }
            byte += 1;
        }
        // Some byte from U+0020 up is neither below the limit nor one of
        // the few exact bytes.
        let mut filler = 0x20;
        while test.flags(filler) {
            filler += 1;
        }
        test.filler = filler;
        Some(test)
    }

    const fn flags(&self, byte: u8) -> bool {
        if byte < self.below {
            return true;
        }
        let mut index = 0;
        while index < self.exact_len {
            if self.exact[index] == byte {
                return true;
            }
            index += 1;
        }
        false
    }

    /// Tells whether `word` may hold a byte of the set: always when it
    /// does. Subtracting a limit from each byte borrows into the high bit
    /// of a byte below the limit, and a byte that equals an exact byte
    /// turns into zero under XOR. Without such a byte nothing borrows, so
    /// the test is exact for the word as a whole, though not per byte.
    #[inline(always)]
    fn any_in(&self, word: u64) -> bool {
        let below =
            |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH_BITS;
        let mut marks = below(word, self.below);
        for byte in &self.exact[..self.exact_len] {
            marks |= below(word ^ (ONES * u64::from(*byte)), 1);
        }
        marks != 0
    }
}

impl ByteSet {
    /// The set with no bytes.
    pub(crate) const EMPTY: ByteSet = ByteSet::from_table([false; 256]);

    const fn from_table(table: [bool; 256]) -> ByteSet {
        ByteSet {
            table,
            word_test: WordTest::of(&table),
        }
    }

    /// Returns the set with the bytes from `first` to `last` inclusive
    /// added.
    pub(crate) const fn with_range(self, first: u8, last: u8) -> ByteSet {
        let mut table = self.table;
        let mut byte = first as usize;
        while byte <= last as usize {
            table[byte] = true;
            byte += 1;
        }
        ByteSet::from_table(table)
    }

    /// Returns the set with each of `bytes` added.
    pub(crate) const fn with(self, bytes: &[u8]) -> ByteSet {
        let mut table = self.table;
        let mut index = 0;
        while index < bytes.len() {
            table[bytes[index] as usize] = true;
            index += 1;
        }
        ByteSet::from_table(table)
    }

    /// Returns the set with each of `bytes` removed.
    pub(crate) const fn without(self, bytes: &[u8]) -> ByteSet {
        let mut table = self.table;
        let mut index = 0;
        while index < bytes.len() {
            table[bytes[index] as usize] = false;
            index += 1;
        }
        ByteSet::from_table(table)
    }

    pub(crate) const fn contains(&self, byte: u8) -> bool {
        self.table[byte as usize]
    }

    /// Returns the offset of the first byte of `bytes` in the set.
    #[inline]
    pub(crate) fn find_in(&self, bytes: &[u8]) -> Option<usize> {
        match &self.word_test {
            Some(test) => self.find_by_words(test, bytes),
            None => self.find_by_blocks(bytes),
        }
    }

    /// Finds the first byte of the set by testing a word at a time and
    /// searching byte by byte only the words the test flags.
    #[inline(always)]
    fn find_by_words(&self, test: &WordTest, bytes: &[u8]) -> Option<usize> {
        let mut words = bytes.chunks_exact(8);
        let mut offset = 0;
        for chunk in words.by_ref() {
            let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
            if test.any_in(word) {
                if let Some(index) = self.find_bytewise(chunk) {
                    return Some(offset + index);
                }
            }
            offset += 8;
        }
        let tail = words.remainder();
        if tail.is_empty() {
            return None;
        }
        // The last word of a longer text overlaps bytes already searched;
        // a short text is padded to a word with a byte the test passes.
        let last = match bytes.last_chunk::<8>() {
            Some(last) => u64::from_le_bytes(*last),
            None => short_word(tail) | (ONES * u64::from(test.filler)) << (8 * tail.len()),
        };
        if !test.any_in(last) {
            return None;
        }
        self.find_bytewise(tail).map(|index| offset + index)
    }

    #[inline(always)]
    fn find_by_blocks(&self, bytes: &[u8]) -> Option<usize> {
        // Eight lookups ORed together and tested with one branch take fewer
        // instructions than a branch on every byte, and most blocks of text
        // hold no byte of the set. A block with one is searched again.
        let mut chunks = bytes.chunks_exact(BLOCK);
        let mut offset = 0;
        for chunk in chunks.by_ref() {
            if self.any_in_block(chunk) {
                return self.find_bytewise(chunk).map(|index| offset + index);
            }
            offset += BLOCK;
        }
        // The last block may overlap blocks already searched, which is
        // cheaper than searching the remainder byte by byte.
        if offset == bytes.len() {
            return None;
        }
        if bytes.len() >= BLOCK && !self.any_in_block(&bytes[bytes.len() - BLOCK..]) {
            return None;
        }
        self.find_bytewise(chunks.remainder())
            .map(|index| offset + index)
    }

    fn any_in_block(&self, block: &[u8]) -> bool {
        block
            .iter()
            .fold(false, |found, byte| found | self.contains(*byte))
    }

    fn find_bytewise(&self, bytes: &[u8]) -> Option<usize> {
        bytes.iter().position(|byte| self.contains(*byte))
    }
}

/// The bytes that [`ByteSet::find_in`] tests with one branch.
const BLOCK: usize = 8;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MARKUP: ByteSet = ByteSet::EMPTY.with(b"<&").with_range(0x80, 0xFF);

    #[test]
    fn builds_ranges_and_removals() {
        let set = ByteSet::EMPTY.with_range(0, 0x1F).without(b"\t\n");

        assert!(set.contains(0));
        assert!(set.contains(0x1F));
        assert!(!set.contains(b'\t'));
        assert!(!set.contains(b'\n'));
        assert!(!set.contains(b' '));
    }

    #[test]
    fn find_in_every_position_and_length() {
        // Lengths around the block size put the byte in full blocks, in
        // the overlapping last block and in texts shorter than a block.
        for length in 0..=3 * BLOCK + 1 {
            let plain = vec![b'a'; length];
            assert_eq!(MARKUP.find_in(&plain), None, "length {length}");
            for position in 0..length {
                let mut text = plain.clone();
                text[position] = b'<';
                assert_eq!(
                    MARKUP.find_in(&text),
                    Some(position),
                    "length {length}, position {position}"
                );
            }
        }
    }

    #[test]
    fn find_in_returns_first_of_several() {
        assert_eq!(MARKUP.find_in(b"abcdefghij&kl<mn"), Some(10));
        assert_eq!(MARKUP.find_in(b"&bcdefghij&kl<mn"), Some(0));
    }

    /// Sets searched a word at a time: controls with exceptions, controls
    /// with exact bytes, exact bytes only, and one with a high byte.
    const WORD_SETS: [ByteSet; 4] = [
        ByteSet::EMPTY
            .with_range(0x00, 0x1F)
            .without(b"\t\n\r")
            .with(b"&<>"),
        ByteSet::EMPTY.with(b"\"\\").with_range(0x00, 0x1F),
        ByteSet::EMPTY.with(b"&<>"),
        ByteSet::EMPTY
            .with_range(0x00, 0x1F)
            .with(b"<&]")
            .with(&[0xEF]),
    ];

    #[test]
    fn word_test_only_for_few_bytes() {
        assert!(WORD_SETS.iter().all(|set| set.word_test.is_some()));
        assert!(MARKUP.word_test.is_none());
        assert!(ByteSet::EMPTY.with(b"abcde").word_test.is_none());
    }

    #[test]
    fn short_word_keeps_every_byte() {
        let bytes = [1, 2, 3, 4, 5, 6, 7];
        for len in 1..8 {
            let expected = bytes[..len]
                .iter()
                .rev()
                .fold(0u64, |word, byte| word << 8 | u64::from(*byte));
            assert_eq!(short_word(&bytes[..len]), expected, "{len} bytes");
        }
    }

    #[test]
    fn word_test_filler_not_flagged() {
        for set in WORD_SETS {
            let test = set.word_test.expect("a word test");
            assert!(!set.contains(test.filler));
            assert!(!test.any_in(u64::from_le_bytes([test.filler; 8])));
        }
    }

    #[test]
    fn find_by_words_every_position_and_length() {
        for set in WORD_SETS {
            let member = (0..=255u8)
                .find(|byte| set.contains(*byte))
                .expect("a member");
            for length in 0..=3 * 8 + 1 {
                let plain = vec![b'a'; length];
                assert_eq!(set.find_in(&plain), None, "length {length}");
                for position in 0..length {
                    let mut text = plain.clone();
                    text[position] = member;
                    assert_eq!(
                        set.find_in(&text),
                        Some(position),
                        "length {length}, position {position}"
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn find_in_matches_linear_search(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let expected = bytes.iter().position(|byte| MARKUP.contains(*byte));

            prop_assert_eq!(MARKUP.find_in(&bytes), expected);
        }

        #[test]
        fn find_by_words_matches_linear_search(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'\t'), Just(b'<'), Just(b'"'), Just(0xEF), Just(b'a')],
                0..64,
            ),
        ) {
            for set in WORD_SETS {
                let expected = bytes.iter().position(|byte| set.contains(*byte));

                prop_assert_eq!(set.find_in(&bytes), expected);
            }
        }
    }
}
