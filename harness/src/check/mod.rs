//! Checking a scenario's expectations against the state it ended in.
//!
//! Each check returns [`Failure`]s that state what was expected, what was
//! found and which journal entries explain the difference. The sync
//! properties compare Odoo with the state [`crate::expected`] derives from
//! the spec and the final SaaS data; the journal checks read the calls the
//! emulator recorded while the steps ran.

pub mod compare;
mod duplicates;
pub mod journal;
pub mod snapshot;
mod state;
mod world;

use std::collections::{BTreeMap, BTreeSet};

use odoo_emulator::faults::{Entry, FaultRule};
use odoo_sync::Spec;
use serde::Serialize;

use crate::odoo::OdooReader;
use crate::saas::{Entity, SaasStore};
use crate::scenario::{Expectation, Located};

pub use world::World;

/// The maximum number of mismatches listed in one failure. The rest are
/// counted.
pub const MAX_LISTED: usize = 20;

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The expectation's keyword, such as `converged`.
    pub expectation: String,
    /// The line of the expectation in the scenario file.
    pub line: usize,
    pub expected: String,
    /// The findings that differ from the expectation, one item a line.
    pub found: Vec<String>,
    /// The journal entries that explain it, one a line.
    pub journal: Vec<String>,
}

/// Everything the checks read.
#[derive(Debug)]
pub struct Evidence<'a> {
    pub odoo: &'a OdooReader,
    pub spec: &'a Spec,
    pub saas: &'a SaasStore,
    /// The calls recorded while the steps ran.
    pub journal: &'a [Entry],
    /// The fault rules the steps installed, by the id the emulator gave.
    pub faults: &'a BTreeMap<u64, FaultRule>,
    /// Records that the scenario declares unsyncable (its `errors_reported`).
    pub declared_unsyncable: &'a BTreeSet<(Entity, String)>,
    /// Record ids of each model before the first step.
    pub baseline: &'a BTreeMap<String, BTreeSet<i64>>,
}

/// Checks one expectation; `idempotent` is checked by the runner, which
/// has to run a pass for it.
pub fn check(
    expectation: &Located<Expectation>,
    evidence: &Evidence,
    world: &World,
) -> Vec<Failure> {
    let line = expectation.line;
    let failure = |expected: String, found: Vec<String>, journal: Vec<String>| Failure {
        expectation: expectation.value.keyword().to_owned(),
        line,
        expected,
        found,
        journal,
    };
    let outcome = match &expectation.value {
        Expectation::Converged => state::converged(evidence, world),
        Expectation::NoLostUpdates => state::no_lost_updates(evidence, world),
        Expectation::NoDuplicates => duplicates::no_duplicates(evidence, world),
        Expectation::ErrorsReported(records) => state::errors_reported(evidence, records),
        Expectation::Odoo(query) => state::odoo_query(evidence, query),
        Expectation::Calls(query) => journal::calls(evidence, query),
        Expectation::Retries(query) => journal::retries(evidence, query),
        Expectation::RespectsRetryAfter(matcher) => {
            journal::respects_retry_after(evidence, matcher)
        }
        Expectation::Idempotent => Ok(()),
    };
    match outcome {
        Ok(()) => Vec::new(),
        Err(mismatch) => vec![failure(mismatch.expected, mismatch.found, mismatch.journal)],
    }
}

/// A failed check before the expectation's name and line are added.
#[derive(Debug, Clone, Default)]
pub struct Mismatch {
    pub expected: String,
    pub found: Vec<String>,
    pub journal: Vec<String>,
}

/// Keeps the first [`MAX_LISTED`] items and counts the rest.
pub fn truncate(mut items: Vec<String>) -> Vec<String> {
    if items.len() > MAX_LISTED {
        let more = items.len() - MAX_LISTED;
        items.truncate(MAX_LISTED);
        items.push(format!("... and {more} more"));
    }
    items
}

#[cfg(test)]
mod tests;
