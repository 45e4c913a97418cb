//! The steps of a generated history. Each one is exactly one scenario
//! step, so a history written as a scenario file replays the same calls.

use std::fmt;

use serde_json::{json, Value};

use super::yaml::flow;
use crate::scenario::SaasChange;

/// The name of the required char field that [`Drift::RequireField`] adds.
/// It starts with `x_studio_` because Odoo Studio names the fields a
/// customer adds that way.
pub const REQUIRED_FIELD: &str = "x_studio_required_note";

/// One step of a generated history.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// A SaaS change. Replays always name their version: an older one
    /// arrives out of order, the latest one twice.
    Saas(SaasChange),
    Fault(FaultChoice),
    Drift(Drift),
    Clock(ClockMove),
    Sync,
}

/// A fault rule on one model, optionally one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultChoice {
    pub model: String,
    pub method: Option<String>,
    pub schedule: FaultSchedule,
    pub effect: FaultEffect,
}

/// The schedule of a fault: the matching calls it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultSchedule {
    /// The first N calls.
    Times(u64),
    /// The Nth call only.
    Nth(u64),
    /// Every Kth call.
    Every(u64),
    /// Every call, until the settle pass clears the faults.
    Always,
}

/// A fault effect from the emulator's rule vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultEffect {
    ResponseLost,
    MarshalNone,
    SerializationFailure,
    /// A proxy's error page with this status.
    Http(u16),
    /// 429 with `Retry-After` in seconds.
    RateLimited(u64),
    Reset,
    Truncated,
    Malformed,
    ResultMissing,
    /// The call runs this many milliseconds late.
    Delay(u64),
    /// No reply for this many milliseconds, then the connection closes.
    Hang(u64),
    /// An Odoo exception such as `UserError`.
    Error(&'static str),
}

/// A change a customer makes to their instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Adds the required field [`REQUIRED_FIELD`], which the spec does not
    /// map.
    RequireField { model: String },
    /// Removes that field again.
    DropRequiredField { model: String },
    /// Takes write and create (and unlink when the entity's deletes
    /// unlink) away from every access row of the model.
    RevokeAccess { model: String, unlink: bool },
    /// Grants the same rights again, to every user.
    RestoreAccess { model: String, unlink: bool },
    /// Removes a key from a selection field that a value map writes.
    RemoveSelection {
        model: String,
        field: String,
        key: String,
    },
    /// Adds the key back, with the key as its label.
    RestoreSelection {
        model: String,
        field: String,
        key: String,
    },
}

/// A change of the emulator's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockMove {
    Advance(i64),
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    Freeze(&'static str),
}

/// The part of the instance a drift changes; a start and its undo share
/// one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftTarget {
    Required(String),
    Access(String),
    Selection(String, String, String),
}

impl Drift {
    /// Returns what the drift changes and whether it starts the change
    /// (true) or undoes it (false).
    pub fn target(&self) -> (DriftTarget, bool) {
        match self {
            Drift::RequireField { model } => (DriftTarget::Required(model.clone()), true),
            Drift::DropRequiredField { model } => (DriftTarget::Required(model.clone()), false),
            Drift::RevokeAccess { model, .. } => (DriftTarget::Access(model.clone()), true),
            Drift::RestoreAccess { model, .. } => (DriftTarget::Access(model.clone()), false),
            Drift::RemoveSelection { model, field, key } => (
                DriftTarget::Selection(model.clone(), field.clone(), key.clone()),
                true,
            ),
            Drift::RestoreSelection { model, field, key } => (
                DriftTarget::Selection(model.clone(), field.clone(), key.clone()),
                false,
            ),
        }
    }

    /// Returns the drift that undoes this one.
    pub fn undo(&self) -> Drift {
        match self.clone() {
            Drift::RequireField { model } => Drift::DropRequiredField { model },
            Drift::DropRequiredField { model } => Drift::RequireField { model },
            Drift::RevokeAccess { model, unlink } => Drift::RestoreAccess { model, unlink },
            Drift::RestoreAccess { model, unlink } => Drift::RevokeAccess { model, unlink },
            Drift::RemoveSelection { model, field, key } => {
                Drift::RestoreSelection { model, field, key }
            }
            Drift::RestoreSelection { model, field, key } => {
                Drift::RemoveSelection { model, field, key }
            }
        }
    }

    /// Returns the model the drift changes.
    pub fn model(&self) -> &str {
        match self {
            Drift::RequireField { model }
            | Drift::DropRequiredField { model }
            | Drift::RevokeAccess { model, .. }
            | Drift::RestoreAccess { model, .. }
            | Drift::RemoveSelection { model, .. }
            | Drift::RestoreSelection { model, .. } => model,
        }
    }

    fn step_value(&self) -> Value {
        let field_change = |model: &str, field: &str, change: Value| json!({"schema": {"models": {model: {"fields": {field: change}}}}});
        match self {
            Drift::RequireField { model } => field_change(
                model,
                REQUIRED_FIELD,
                json!({"type": "char", "string": "Required note", "required": true}),
            ),
            Drift::DropRequiredField { model } => {
                field_change(model, REQUIRED_FIELD, json!({"remove": true}))
            }
            Drift::RevokeAccess { model, unlink } => {
                json!({"access": {"revoke": [access_row(model, false, *unlink)]}})
            }
            Drift::RestoreAccess { model, unlink } => {
                json!({"access": {"grant": [access_row(model, true, *unlink)]}})
            }
            Drift::RemoveSelection { model, field, key } => {
                field_change(model, field, json!({"selection_remove": [key]}))
            }
            Drift::RestoreSelection { model, field, key } => {
                field_change(model, field, json!({"selection_add": [[key, key]]}))
            }
        }
    }
}

fn access_row(model: &str, read: bool, unlink: bool) -> Value {
    let mut row = json!({"model": model, "write": true, "create": true});
    if read {
        row["read"] = json!(true);
    }
    if unlink {
        row["unlink"] = json!(true);
    }
    row
}

impl FaultEffect {
    fn value(self) -> Value {
        match self {
            FaultEffect::ResponseLost => json!({"type": "response_lost"}),
            FaultEffect::MarshalNone => json!({"type": "marshal_none"}),
            FaultEffect::SerializationFailure => json!({"type": "serialization_failure"}),
            FaultEffect::Http(status) => json!({"type": "http", "status": status}),
            FaultEffect::RateLimited(seconds) => {
                json!({"type": "http", "status": 429, "retry_after": seconds})
            }
            FaultEffect::Reset => json!({"type": "reset"}),
            FaultEffect::Truncated => json!({"type": "truncated"}),
            FaultEffect::Malformed => json!({"type": "malformed"}),
            FaultEffect::ResultMissing => json!({"type": "result_missing"}),
            FaultEffect::Delay(ms) => json!({"type": "delay", "ms": ms}),
            FaultEffect::Hang(ms) => json!({"type": "hang", "ms": ms}),
            FaultEffect::Error(exception) => json!({"type": "error", "exception": exception}),
        }
    }

    /// Returns true for an Odoo exception, which an integration may
    /// report instead of retrying: the record then need not converge.
    pub fn is_domain_error(self) -> bool {
        matches!(self, FaultEffect::Error(_))
    }
}

impl FaultChoice {
    fn step_value(&self) -> Value {
        let mut matcher = json!({"model": self.model});
        if let Some(method) = &self.method {
            matcher["method"] = json!(method);
        }
        let mut rule = json!({"match": matcher});
        match self.schedule {
            FaultSchedule::Times(n) => rule["times"] = json!(n),
            FaultSchedule::Nth(n) => rule["schedule"] = json!({"nth": n}),
            FaultSchedule::Every(k) => rule["schedule"] = json!({"every": k}),
            FaultSchedule::Always => rule["schedule"] = json!("always"),
        }
        rule["effect"] = self.effect.value();
        json!({"fault": rule})
    }
}

impl Transition {
    /// Returns the step as a scenario file writes it, as a YAML-ready
    /// value.
    pub fn step_value(&self) -> Value {
        match self {
            Transition::Saas(change) => json!({"saas": saas_value(change)}),
            Transition::Fault(fault) => fault.step_value(),
            Transition::Drift(drift) => drift.step_value(),
            Transition::Clock(ClockMove::Advance(seconds)) => {
                json!({"clock": {"advance_seconds": seconds}})
            }
            Transition::Clock(ClockMove::Freeze(at)) => json!({"clock": {"freeze": at}}),
            Transition::Sync => json!("sync"),
        }
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transition::Saas(change) => describe_saas(change, f),
            Transition::Fault(fault) => fault.fmt(f),
            Transition::Drift(drift) => drift.fmt(f),
            Transition::Clock(ClockMove::Advance(seconds)) => {
                write!(f, "clock moves {seconds} s forward")
            }
            Transition::Clock(ClockMove::Freeze(at)) => write!(f, "clock freezes at {at}"),
            Transition::Sync => f.write_str("sync pass"),
        }
    }
}

fn saas_value(change: &SaasChange) -> Value {
    match change {
        SaasChange::Create { entity, id, data } => {
            json!({"create": entity.as_str(), "id": id, "set": data})
        }
        SaasChange::Update { entity, id, set } => {
            json!({"update": entity.as_str(), "id": id, "set": set})
        }
        SaasChange::Delete { entity, id } => json!({"delete": entity.as_str(), "id": id}),
        SaasChange::Replay {
            entity,
            id,
            version,
        } => {
            let mut value = json!({"replay": entity.as_str(), "id": id});
            if let Some(version) = version {
                value["version"] = json!(version);
            }
            value
        }
    }
}

fn describe_saas(change: &SaasChange, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match change {
        SaasChange::Create { entity, id, data } => {
            write!(f, "SaaS creates {entity} {id} {}", flow(&json!(data)))
        }
        SaasChange::Update { entity, id, set } => {
            write!(f, "SaaS updates {entity} {id}: {}", flow(&json!(set)))
        }
        SaasChange::Delete { entity, id } => write!(f, "SaaS deletes {entity} {id}"),
        SaasChange::Replay {
            entity,
            id,
            version: Some(version),
        } => write!(f, "SaaS delivers version {version} of {entity} {id} again"),
        SaasChange::Replay {
            entity,
            id,
            version: None,
        } => write!(f, "SaaS delivers the latest version of {entity} {id} again"),
    }
}

impl fmt::Display for FaultChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let effect = flow(&self.effect.value());
        let target = match &self.method {
            Some(method) => format!("{}.{method}", self.model),
            None => format!("every {} call", self.model),
        };
        let calls = match self.schedule {
            FaultSchedule::Times(1) => "the first call".to_owned(),
            FaultSchedule::Times(n) => format!("the first {n} calls"),
            FaultSchedule::Nth(n) => format!("call {n}"),
            FaultSchedule::Every(k) => format!("calls {k}, {}, {} and so on", 2 * k, 3 * k),
            FaultSchedule::Always => "every call".to_owned(),
        };
        write!(f, "fault {effect} on {target}, {calls}")
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::RequireField { model } => {
                write!(
                    f,
                    "customer adds the required field {REQUIRED_FIELD} to {model}"
                )
            }
            Drift::DropRequiredField { model } => {
                write!(f, "customer removes {REQUIRED_FIELD} from {model}")
            }
            Drift::RevokeAccess { model, .. } => {
                write!(f, "customer revokes write and create on {model}")
            }
            Drift::RestoreAccess { model, .. } => {
                write!(f, "customer grants write and create on {model} again")
            }
            Drift::RemoveSelection { model, field, key } => {
                write!(
                    f,
                    "customer removes {key:?} from the selection {model}.{field}"
                )
            }
            Drift::RestoreSelection { model, field, key } => {
                write!(
                    f,
                    "customer adds {key:?} back to the selection {model}.{field}"
                )
            }
        }
    }
}
