//! The reference sync engine: one sync pass from a SaaS change feed into
//! Odoo, driven entirely by an integration spec.

pub mod pass;
pub mod spec;

pub use pass::{run_pass, PassConfig, PassError, PassSummary};
pub use spec::{Spec, SpecError};
