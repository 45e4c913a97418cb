//! Web sessions: what `/web/session/authenticate` creates and the
//! `session_id` cookie names.
//!
//! Session ids come from the operating system's CSPRNG (through `rand`'s
//! thread RNG), not from the emulator's seed. An id is a bearer credential,
//! and a seed is often written in CI files and logs, so ids derived from it
//! could be guessed. Nothing in a run's outcome depends on the id's value,
//! so determinism does not need it. Ids have the shape of Odoo 17's: 40
//! lowercase hexadecimal characters.
//!
//! Where it differs from Odoo 17: sessions live in memory only and never
//! expire on their own (Odoo keeps them on disk and drops them after seven
//! days without use), and requests without a session get none (Odoo
//! creates an anonymous one and sets its cookie).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rand::Rng as _;

/// A logged-in web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub database: String,
    pub uid: i64,
    pub login: String,
}

/// Every live web session, by session id.
#[derive(Debug, Default)]
pub struct SessionStore {
    sessions: Mutex<HashMap<String, WebSession>>,
}

impl SessionStore {
    /// Stores a session under a new random id and returns the id.
    pub fn create(&self, session: WebSession) -> String {
        let id = new_session_id();
        self.lock().insert(id.clone(), session);
        id
    }

    /// Returns the session stored under `id`, if it is still live.
    pub fn get(&self, id: &str) -> Option<WebSession> {
        self.lock().get(id).cloned()
    }

    /// Ends one session. Returns whether it existed.
    pub fn remove(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }

    /// Ends every session, so the next call on each gets `Odoo Session
    /// Expired`. Returns how many there were.
    pub fn expire_all(&self) -> usize {
        let mut sessions = self.lock();
        let count = sessions.len();
        sessions.clear();
        count
    }

    /// Returns the number of live sessions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Tells whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Locks the map. A panic elsewhere while holding the lock cannot leave
    /// a half-written entry, so a poisoned lock is still safe to use.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, WebSession>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Returns 40 hexadecimal characters from 160 random bits.
fn new_session_id() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> WebSession {
        WebSession {
            database: "demo".into(),
            uid: 2,
            login: "admin".into(),
        }
    }

    #[test]
    fn ids_are_forty_hex_characters() {
        let store = SessionStore::default();

        let id = store.create(session());

        assert_eq!(id.len(), 40);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn ids_differ_per_login() {
        let store = SessionStore::default();

        let first = store.create(session());
        let second = store.create(session());

        assert_ne!(first, second);
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn remove_and_expire() {
        let store = SessionStore::default();
        let id = store.create(session());
        store.create(session());

        assert_eq!(store.get(&id), Some(session()));
        assert!(store.remove(&id));
        assert!(!store.remove(&id));
        assert_eq!(store.get(&id), None);
        assert_eq!(store.expire_all(), 1);
        assert!(store.is_empty());
    }
}
