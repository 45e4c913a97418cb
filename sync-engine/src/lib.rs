//! The reference sync engine: one sync pass from a SaaS change feed into
//! Odoo, driven entirely by an integration spec.
//!
//! [`run_pass`] runs a pass in-process; the `odoo-sync pass` command runs
//! the same from the environment. The modules follow the pass:
//! [`spec`] reads the integration spec, [`rpc`] speaks XML-RPC and
//! JSON-RPC to Odoo, [`saas`] reads the change feed, [`schema`] checks the
//! live schema for drift, [`mapping`] computes Odoo values, the engine
//! applies one record, [`plan`] orders a page, and [`state`] keeps the
//! cursor. [`error`] classifies every failure, and [`retry`] retries what
//! is safe to retry.

mod engine;
pub mod error;
pub mod exit;
pub mod http;
pub mod mapping;
pub mod pass;
pub mod plan;
pub mod retry;
pub mod rpc;
mod runner;
pub mod saas;
pub mod schema;
pub mod spec;
pub mod state;

pub use error::{ErrorKind, SyncError, SyncResult};
pub use pass::{run_pass, run_pass_with, PassConfig, PassError, PassOptions, PassSummary};
pub use spec::{Spec, SpecError};
