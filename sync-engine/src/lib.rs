//! The reference sync engine: one sync pass from a SaaS change feed into
//! Odoo, driven entirely by an integration spec.

pub mod spec;

pub use spec::{Spec, SpecError};
