//! Per-customer profiles: the YAML format, built-in bases and resolution
//! into a schema and seed data.

pub mod format;

/// An invalid profile, with the file and location of the problem.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ProfileError {
    pub path: String,
    pub message: String,
}
