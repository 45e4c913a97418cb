//! Scenarios: a scripted run of an integration against one customer's
//! Odoo, with the expectations that must hold at the end.
//!
//! [`load`] reads and validates a file before any server starts. It checks
//! that the profile and spec load and that the SaaS data fits the
//! entities. It also checks that every step applies to the data and schema
//! as they are at that point, and that every query names a real model. An invalid
//! scenario is an [`InvalidScenario`] that names the file, line and
//! reason.

pub mod discover;
pub mod format;
mod load;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use odoo_emulator::control::InstanceChange;
use odoo_emulator::faults::{FaultRule, Match};
use odoo_emulator::profile::Profile;
use odoo_sync::Spec;
use serde_json::{Map, Value};

use crate::saas::Entity;

pub use load::{check_protocol, load, load_text, BUILTIN_SPECS};

/// The pass timeout when a scenario sets none.
pub const DEFAULT_PASS_TIMEOUT: Duration = Duration::from_secs(60);

/// A validated scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    pub name: String,
    pub profile: Profile,
    /// The profile as the file names it, for reports.
    pub profile_ref: String,
    pub spec: Spec,
    pub spec_source: SpecSource,
    pub user: Credentials,
    pub seed: Option<u64>,
    /// The protocol the scenario requires of the integration.
    pub protocol: Option<odoo_sync::rpc::Protocol>,
    pub pass_timeout: Duration,
    /// The SaaS records before the first step, in publication order.
    pub saas: Vec<InitialRecord>,
    pub steps: Vec<Located<Step>>,
    pub expectations: Vec<Located<Expectation>>,
}

/// The source of the spec: a file the integration can read as it is, or a
/// built-in spec that the runner writes to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecSource {
    File(PathBuf),
    Builtin { name: String, text: &'static str },
}

/// The login the integration uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub login: String,
    pub password: String,
    pub api_key: Option<String>,
}

/// One SaaS record present from the start.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialRecord {
    pub entity: Entity,
    pub id: String,
    pub data: Map<String, Value>,
}

/// A value with the line it was written on.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub line: usize,
    pub value: T,
}

/// A step of the script.
#[derive(Debug, Clone)]
pub enum Step {
    Sync,
    Saas(SaasChange),
    Fault(FaultRule),
    ClearFaults,
    /// A `schema` or `access` change; both apply through
    /// `Emulator::change_instance`.
    Instance {
        kind: &'static str,
        change: InstanceChange,
    },
    Clock(ClockChange),
    Reset,
}

/// A change to the SaaS data.
#[derive(Debug, Clone, PartialEq)]
pub enum SaasChange {
    Create {
        entity: Entity,
        id: String,
        data: Map<String, Value>,
    },
    Update {
        entity: Entity,
        id: String,
        set: Map<String, Value>,
    },
    Delete {
        entity: Entity,
        id: String,
    },
    Replay {
        entity: Entity,
        id: String,
        version: Option<u64>,
    },
}

/// A change to the emulator's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    Freeze(chrono::NaiveDateTime),
    Advance(chrono::Duration),
}

/// A condition checked at the end of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Converged,
    NoDuplicates,
    NoLostUpdates,
    Idempotent,
    ErrorsReported(Vec<(Entity, String)>),
    Odoo(OdooQuery),
    Calls(CallsQuery),
    Retries(RetriesQuery),
    RespectsRetryAfter(Match),
}

/// A count of Odoo records, read as the superuser.
#[derive(Debug, Clone, PartialEq)]
pub struct OdooQuery {
    pub model: String,
    pub domain: Value,
    pub count: usize,
    pub include_archived: bool,
}

/// Bounds on a number, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

impl Bounds {
    pub fn contains(&self, n: usize) -> bool {
        self.min.is_none_or(|min| n >= min) && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min == max => write!(f, "exactly {min}"),
            (Some(min), Some(max)) => write!(f, "between {min} and {max}"),
            (Some(min), None) => write!(f, "at least {min}"),
            (None, Some(max)) => write!(f, "at most {max}"),
            (None, None) => f.write_str("any number"),
        }
    }
}

/// The journal outcomes that a call count includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeFilter {
    Any,
    Ok,
    Failed,
}

/// A count of journal calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsQuery {
    pub matcher: Match,
    pub outcome: OutcomeFilter,
    pub bounds: Bounds,
}

/// A bound on retries of failed calls.
#[derive(Debug, Clone, PartialEq)]
pub struct RetriesQuery {
    pub matcher: Match,
    pub bounds: Bounds,
}

impl Expectation {
    /// Returns the expectation's name as scenario files write it.
    pub fn keyword(&self) -> &'static str {
        match self {
            Expectation::Converged => "converged",
            Expectation::NoDuplicates => "no_duplicates",
            Expectation::NoLostUpdates => "no_lost_updates",
            Expectation::Idempotent => "idempotent",
            Expectation::ErrorsReported(_) => "errors_reported",
            Expectation::Odoo(_) => "odoo",
            Expectation::Calls(_) => "calls",
            Expectation::Retries(_) => "retries",
            Expectation::RespectsRetryAfter(_) => "respects_retry_after",
        }
    }
}

/// A scenario rejected before it ran, with each problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct InvalidScenario {
    /// Each problem as `FILE:LINE:COLUMN: reason`, or `FILE: reason` when
    /// the location is not known.
    pub problems: Vec<String>,
}

#[cfg(test)]
mod tests;
