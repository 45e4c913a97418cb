//! The reference sync engine: one sync pass from a SaaS change feed into
//! Odoo, driven entirely by an integration spec.
//!
//! [`run_pass`] runs a pass in-process, and the `odoo-sync pass` command
//! runs the same from the environment. The modules follow the pass:
//!
//! * [`spec`] reads the integration spec;
//! * [`rpc`] speaks XML-RPC and JSON-RPC to Odoo, and [`saas`] reads the
//!   change feed;
//! * [`schema`] checks the live schema for drift;
//! * [`plan`] orders a page of changes, [`mapping`] computes the Odoo
//!   values, and the private `engine` module applies one record;
//! * [`state`] keeps the cursor and the applied versions;
//! * [`error`] classifies every failure, [`retry`] retries what is safe
//!   to retry, and [`exit`] maps failures to exit codes.

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
