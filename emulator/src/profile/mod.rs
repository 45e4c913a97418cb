//! Per-customer profiles: the YAML format, built-in bases, and resolution
//! into a schema and a seed state.

pub mod format;
pub mod import;
pub mod load;
pub mod schema;
pub mod seed;

use std::sync::Arc;

use crate::orm::schema::Schema;
use crate::orm::store::DbState;
use crate::version::Version;

/// An invalid profile, with the file and location of the problem.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ProfileError {
    /// The file, with `:line:column` when the location is known.
    pub path: String,
    pub message: String,
}

/// A resolved profile: everything needed to serve one database.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub version: Version,
    pub database: String,
    pub schema: Arc<Schema>,
    /// The state a database starts from, and returns to on reset.
    pub seed: DbState,
}

impl Profile {
    /// Loads a profile from a path or a built-in base name, with every
    /// profile it extends.
    pub fn load(reference: &str) -> Result<Profile, ProfileError> {
        Self::resolve(load::load_chain(reference)?)
    }

    /// Loads a profile from YAML text, with every profile it extends.
    /// `origin` names the text in errors, and a relative `extends` path is
    /// read from the directory of `origin`.
    pub fn from_yaml(origin: &str, text: &str) -> Result<Profile, ProfileError> {
        Self::resolve(load::load_chain_from_text(origin, text)?)
    }

    fn resolve(chain: Vec<load::Source>) -> Result<Profile, ProfileError> {
        let last = chain.last().expect("a chain has at least one profile");
        let version_text = chain.iter().rev().find_map(|s| s.file.odoo_version.clone());
        let version = match version_text {
            Some(text) => text.parse().map_err(|e: crate::version::InvalidVersion| {
                ProfileError::at(
                    &last.origin,
                    load::locate(&last.text, &["odoo_version"]),
                    e.to_string(),
                )
            })?,
            None => {
                return Err(ProfileError::at(
                    &last.origin,
                    None,
                    "no `odoo_version` in the profile or the profiles it extends",
                ))
            }
        };
        let database = chain
            .iter()
            .rev()
            .find_map(|s| s.file.database.clone())
            .unwrap_or_else(|| last.file.name.clone());
        let schema = Arc::new(schema::build(&chain)?);
        let seed = seed::build(&chain, schema.clone(), version)?;
        Ok(Profile {
            name: last.file.name.clone(),
            version,
            database,
            schema,
            seed,
        })
    }
}
