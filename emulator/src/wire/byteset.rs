//! Sets of bytes as lookup tables, for the codecs' fast paths.
//!
//! Most text on the wire needs no escaping and no checking, so the codecs
//! search it for the few bytes that do and copy the runs between them with
//! one `push_str` each.

/// A set of byte values, looked up by indexing a 256-entry table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ByteSet([bool; 256]);

impl ByteSet {
    /// The set with no bytes.
    pub(crate) const EMPTY: ByteSet = ByteSet([false; 256]);

    /// Returns the set with the bytes from `first` to `last` inclusive
    /// added.
    pub(crate) const fn with_range(mut self, first: u8, last: u8) -> ByteSet {
        let mut byte = first as usize;
        while byte <= last as usize {
            self.0[byte] = true;
            byte += 1;
        }
        self
    }

    /// Returns the set with each of `bytes` added.
    pub(crate) const fn with(mut self, bytes: &[u8]) -> ByteSet {
        let mut index = 0;
        while index < bytes.len() {
            self.0[bytes[index] as usize] = true;
            index += 1;
        }
        self
    }

    /// Returns the set with each of `bytes` removed.
    pub(crate) const fn without(mut self, bytes: &[u8]) -> ByteSet {
        let mut index = 0;
        while index < bytes.len() {
            self.0[bytes[index] as usize] = false;
            index += 1;
        }
        self
    }

    pub(crate) const fn contains(&self, byte: u8) -> bool {
        self.0[byte as usize]
    }

    /// Returns the offset of the first byte of `bytes` in the set.
    #[inline]
    pub(crate) fn find_in(&self, bytes: &[u8]) -> Option<usize> {
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

    proptest! {
        #[test]
        fn find_in_matches_linear_search(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let expected = bytes.iter().position(|byte| MARKUP.contains(*byte));

            prop_assert_eq!(MARKUP.find_in(&bytes), expected);
        }
    }
}
