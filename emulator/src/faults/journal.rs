//! The journal: one entry per call, for tests that assert what an
//! integration did (calls made, retries, time waited).

use std::collections::VecDeque;

use serde::Serialize;

/// The maximum number of entries kept; older entries are dropped first, and
/// [`Journal::dropped`] counts them.
pub const MAX_ENTRIES: usize = 100_000;

/// One served call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// A sequence number, from 1, that never repeats within a process.
    pub seq: u64,
    /// The emulator's clock when the call arrived.
    pub time: String,
    pub database: Option<String>,
    pub protocol: String,
    pub route: String,
    pub service: Option<String>,
    pub uid: Option<i64>,
    /// The user's login, when the call names it or its uid exists.
    pub login: Option<String>,
    pub model: Option<String>,
    pub method: Option<String>,
    /// What the client got: `ok`; the qualified name of an exception, such
    /// as `odoo.exceptions.AccessError`; `http 502` for an error page; or
    /// `reset`, `hang`, `truncated` or `malformed`; or `rejected` for a
    /// `load` that returned `ids: False` and wrote nothing.
    pub outcome: String,
    pub latency_ms: f64,
    /// The fault rule that fired, if any.
    pub rule_id: Option<u64>,
    /// The fired rule's effect type, such as `response_lost`.
    pub fault: Option<String>,
}

/// The entries in arrival order.
#[derive(Debug, Default)]
pub struct Journal {
    entries: VecDeque<Entry>,
    next_seq: u64,
    dropped: u64,
}

impl Journal {
    /// Appends an entry, assigning its sequence number.
    pub fn record(&mut self, mut entry: Entry) -> u64 {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() == MAX_ENTRIES {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
        self.next_seq
    }

    /// Returns entries after a sequence number, optionally for one
    /// database.
    pub fn since(&self, after: u64, database: Option<&str>) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| e.seq > after)
            .filter(|e| database.is_none_or(|d| e.database.as_deref() == Some(d)))
            .cloned()
            .collect()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
