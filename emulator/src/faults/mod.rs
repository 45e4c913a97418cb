//! Deterministic fault injection and the call journal.
//!
//! The server asks the [`FaultEngine`] about every call before serving it
//! and renders the chosen effect in the call's own protocol; every call,
//! faulted or not, is written to the [`Journal`].

pub mod engine;
pub mod journal;
pub mod rule;

pub use engine::{CallInfo, Decision, FaultEngine};
pub use journal::{Entry, Journal};
pub use rule::{route_matches, Effect, FaultRule, InvalidRule, Match, Schedule};
