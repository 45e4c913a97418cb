//! The YAML format of a scenario file, as serde reads it.
//!
//! These types mirror the file one to one and keep the source location of
//! every step and expectation, so that the checks in
//! [`load`](super::load) can point at the line they reject. Each
//! mapping rejects unknown keys: a misspelt key is an error, not a setting
//! silently ignored.

use indexmap::IndexMap;
use odoo_emulator::control::InstanceChange;
use odoo_emulator::faults::{FaultRule, Match};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The scenario's name: one sentence stating what it shows, which the
    /// reports use.
    pub name: String,
    /// A profile path relative to the file, or a built-in base name such
    /// as `odoo-17`. Defaults to `odoo-17`.
    #[serde(default)]
    pub profile: Option<Spanned<String>>,
    /// The integration spec: a path relative to the file, or the name of a
    /// built-in spec such as `odoo-17`. Defaults to `odoo-17`.
    #[serde(default)]
    pub spec: Option<Spanned<String>>,
    /// The user the integration logs in as. The profile's administrator
    /// (`admin`/`admin`) when absent.
    #[serde(default)]
    pub integration_user: Option<Spanned<UserFile>>,
    /// Seeds the emulator's random choices; `--seed` overrides it.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The protocol the integration must speak in this scenario, over
    /// `--protocol` and the spec's.
    #[serde(default)]
    pub protocol: Option<Spanned<String>>,
    /// The time one sync pass may take before its process group is
    /// killed, in seconds.
    #[serde(default)]
    pub pass_timeout_seconds: Option<Spanned<f64>>,
    /// The SaaS records present before the first step.
    #[serde(default)]
    pub saas: SaasFile,
    pub steps: Vec<Spanned<StepFile>>,
    pub expect: Vec<Spanned<ExpectFile>>,
}

/// The credentials given to the integration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    pub login: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
}

/// The initial SaaS data: records by entity, and generated records.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaasFile {
    #[serde(default)]
    pub customer: Vec<Spanned<serde_json::Map<String, serde_json::Value>>>,
    #[serde(default)]
    pub product: Vec<Spanned<serde_json::Map<String, serde_json::Value>>>,
    #[serde(default)]
    pub order: Vec<Spanned<serde_json::Map<String, serde_json::Value>>>,
    /// Numbers of records to generate per entity, such as
    /// `{customer: 10000}`, after the listed ones.
    #[serde(default)]
    pub generate: Option<Spanned<IndexMap<String, usize>>>,
}

/// One step, as written: `sync`, or a mapping with one key.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepFile {
    /// Run one sync pass.
    Sync,
    /// Change SaaS data.
    Saas(SaasStepFile),
    /// Install a fault rule, in the emulator's rule format.
    Fault(FaultRule),
    /// Remove every fault rule.
    ClearFaults,
    /// Change the schema: a profile's `models` section.
    Schema(InstanceChange),
    /// Change permissions: `grant`, `revoke` and `rules`.
    Access(InstanceChange),
    /// Freeze or move the emulator's clock.
    Clock(ClockFile),
    /// Return the Odoo database to its profile's seed.
    Reset,
}

/// A SaaS change: exactly one of `create`, `update`, `delete` and `replay`
/// names the entity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaasStepFile {
    #[serde(default)]
    pub create: Option<String>,
    #[serde(default)]
    pub update: Option<String>,
    #[serde(default)]
    pub delete: Option<String>,
    /// Publish an existing version of a record again, after newer ones:
    /// a duplicate or out-of-order delivery.
    #[serde(default)]
    pub replay: Option<String>,
    pub id: String,
    /// Field values for `create` and `update`; `null` clears a field.
    #[serde(default)]
    pub set: Option<serde_json::Map<String, serde_json::Value>>,
    /// For `replay`: the version to publish again; the latest when absent.
    #[serde(default)]
    pub version: Option<u64>,
}

/// A clock change: `freeze` at a time, or `advance_seconds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockFile {
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    #[serde(default)]
    pub freeze: Option<String>,
    #[serde(default)]
    pub advance_seconds: Option<i64>,
}

/// One expectation, as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExpectFile {
    /// Odoo contains what the spec derives from the SaaS data, after a
    /// final pass with faults cleared.
    Converged,
    /// No SaaS record has more than one Odoo record.
    NoDuplicates,
    /// No Odoo record shows an older version than the SaaS holds.
    NoLostUpdates,
    /// One more pass writes nothing.
    Idempotent,
    /// These records could not sync, by entity, and the integration
    /// reported each of them to the SaaS.
    ErrorsReported(IndexMap<String, Vec<String>>),
    /// The number of records matching a domain.
    Odoo(OdooQueryFile),
    /// The number of calls the journal recorded.
    Calls(CallsFile),
    /// The number of retries of failed calls.
    Retries(RetriesFile),
    /// Every retry after a 429 or 503 waited the `Retry-After` seconds.
    RespectsRetryAfter(RetryAfterFile),
}

/// An Odoo state query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OdooQueryFile {
    pub model: String,
    #[serde(default)]
    pub domain: Vec<serde_json::Value>,
    pub count: usize,
    /// Also count archived records.
    #[serde(default)]
    pub include_archived: bool,
}

/// A count of journal calls.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallsFile {
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// `ok` or `failed`; any outcome when absent.
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub min: Option<usize>,
    #[serde(default)]
    pub max: Option<usize>,
}

/// A bound on retries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetriesFile {
    #[serde(default, rename = "match")]
    pub matcher: Match,
    #[serde(default)]
    pub min: Option<usize>,
    #[serde(default)]
    pub max: Option<usize>,
}

/// The calls whose waits after `Retry-After` are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryAfterFile {
    #[serde(default, rename = "match")]
    pub matcher: Match,
}
