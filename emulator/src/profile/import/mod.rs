//! `odoo-emulator profile import`: reading a live Odoo database over
//! XML-RPC and writing a profile that extends the matching built-in base
//! and lists only the differences.
//!
//! The import reads the server's `common.version`, logs in with
//! `common.authenticate`, then reads `ir.model`, `fields_get` of each
//! compared model, `ir.model.fields`, `res.groups` with their external ids
//! from `ir.model.data`, `ir.model.access` and `ir.rule`. It reads the
//! built-in base the same way, in process, and compares the two.
//!
//! By default it compares the base's models and the server's custom models,
//! whose `state` is `manual` in `ir.model`, such as Studio's `x_` models.
//! The caller can name the models instead. The output contains:
//!
//! * new models and fields, with type, label, help, required, readonly,
//!   relation, inverse, `on_delete`, selection, size and the literal
//!   defaults of `default_get`;
//! * changed field attributes, selection keys added or removed, and
//!   removed fields;
//! * groups that are new or changed, and the access rows and rules that
//!   the base lacks;
//! * for each field that became required, the server's values for the
//!   base's records, so the profile passes `profile check`.
//!
//! Where the profile differs from the server: users and data are not
//! imported, and what the format cannot express (removing a model, group,
//! access row or rule, computed fields, field `groups`, `_inherits` of new
//! models) is listed as notes in the header.

mod diff;
mod fill;
mod rpc;
mod snapshot;
mod yaml;

pub use snapshot::AUTOMATIC_FIELDS;

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::profile::format::ProfileFile;
use crate::profile::{load, Profile, ProfileError};

pub use rpc::{
    BuiltinInstance, Instance, Password, RemoteInstance, ServerVersion, XmlRpcClient, CALL_TIMEOUT,
};
pub use snapshot::{AccessRow, RuleRow, Snapshot};

/// The login and password of the built-in bases' administrator, whom the
/// import reads the base as.
const BASE_LOGIN: &str = "admin";
const BASE_PASSWORD: &str = "admin";

/// An import failure.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("failed to reach {url}: {reason}; check the URL and that the server is running")]
    Unreachable { url: String, reason: String },

    #[error("{url} is not an Odoo server: {reason}")]
    NotOdoo { url: String, reason: String },

    #[error(
        "login {login:?} failed on database {database:?}: common.authenticate returned False, \
         so the login or the password (or API key) is wrong"
    )]
    WrongCredentials { database: String, login: String },

    #[error("database {database:?} was not found on {url}")]
    UnknownDatabase { url: String, database: String },

    #[error("model {model:?} was not found on the server: ir.model has no such model")]
    UnknownModel { model: String },

    #[error("the server runs Odoo {version}, which has no built-in base; built-in bases: {bases}")]
    UnsupportedVersion { version: String, bases: String },

    #[error(
        "{call} failed with an AccessError (XML-RPC fault 4): {message}; import as an \
         administrator, who may read the schema, groups, access rows and rules"
    )]
    AccessError { call: String, message: String },

    #[error("{call} failed with XML-RPC fault {code}: {message}")]
    Fault {
        call: String,
        code: String,
        message: String,
    },

    #[error("{call} returned an unexpected value: {detail}")]
    UnexpectedResult { call: String, detail: String },

    #[error("failed to encode {call}: {reason}")]
    Encode { call: String, reason: String },

    #[error("failed to load the built-in base: {0}")]
    Base(ProfileError),
}

/// The source of an imported profile, written in its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The server's base URL, without credentials.
    pub url: String,
    pub database: String,
    pub login: String,
    pub version: ServerVersion,
}

/// A written profile and what it could not express.
#[derive(Debug, Clone)]
pub struct ImportedProfile {
    /// The profile as YAML, header comment included.
    pub yaml: String,
    /// The built-in base it extends, such as `odoo-17`.
    pub base: String,
    /// Differences from the server that the profile cannot express.
    pub notes: Vec<String>,
    /// How many models, groups, access rows, rules and records it lists.
    pub summary: Summary,
    /// The error `profile check` reports for the YAML, if any.
    pub check_error: Option<ProfileError>,
}

/// The size of each section of an imported profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub models: usize,
    pub fields: usize,
    pub groups: usize,
    pub access: usize,
    pub rules: usize,
    pub records: usize,
}

/// Logs in to `url` and imports database `database`. `models` names the
/// models to compare; empty compares the default set (see the module
/// docs).
///
/// # Errors
///
/// Returns [`ImportError`] for an invalid or unreachable URL, a server that
/// is not Odoo, a wrong login or password, an unknown database or model, a
/// version without a built-in base, and any failed call.
pub fn import_profile(
    url: &str,
    database: &str,
    login: &str,
    password: Password,
    models: &[String],
) -> Result<ImportedProfile, ImportError> {
    let client = XmlRpcClient::new(url)?;
    let (live, version) = RemoteInstance::connect(client, database, login, password)?;
    let origin = Origin {
        url: url_without_credentials(live.url()),
        database: database.to_owned(),
        login: login.to_owned(),
        version,
    };
    import_from(&live, &origin, models)
}

/// Imports from an instance that is already logged in.
///
/// # Errors
///
/// As [`import_profile`], after the login.
pub fn import_from(
    live: &dyn Instance,
    origin: &Origin,
    models: &[String],
) -> Result<ImportedProfile, ImportError> {
    let base_name = base_for(&origin.version)?;
    let base_profile = Profile::load(&base_name).map_err(ImportError::Base)?;
    let base_schema = base_profile.schema.clone();
    let base_seed = base_profile.seed.clone();
    let base = BuiltinInstance::new(base_profile, BASE_LOGIN, BASE_PASSWORD)?;

    let mut live_snapshot = Snapshot::read_models(live)?;
    let mut base_snapshot = Snapshot::read_models(&base)?;
    let selected = select_models(&live_snapshot, &base_schema, models)?;
    let on_live = present(&selected, &live_snapshot);
    let on_base = present(&selected, &base_snapshot);
    live_snapshot.read_fields(live, &on_live)?;
    base_snapshot.read_fields(&base, &on_base)?;
    tracing::info!(models = selected.len(), "compared the models");

    let mut changes = diff::compare(&live_snapshot, &base_snapshot, &base_schema, &selected);
    fill::add_defaults(live, &mut changes)?;
    let records = fill::add_required_values(live, &base_seed, &mut changes)?;
    for note in &changes.notes {
        tracing::warn!(note = note.as_str(), "difference not imported");
    }

    let summary = Summary {
        models: changes.models.len(),
        fields: changes.models.values().map(|m| m.fields.len()).sum(),
        groups: changes.groups.len(),
        access: changes.access.len(),
        rules: changes.rules.len(),
        records: records.values().map(Vec::len).sum(),
    };
    let file = ProfileFile {
        name: origin.database.clone(),
        extends: Some(base_name.clone()),
        database: Some(origin.database.clone()),
        models: changes.models,
        groups: changes.groups,
        access: changes.access,
        rules: changes.rules,
        records: records.into_iter().collect::<IndexMap<_, _>>(),
        ..ProfileFile::default()
    };
    let yaml = yaml::render(&header(origin, &base_name, &changes.notes), &file);
    let check_error = Profile::from_yaml(&format!("imported {}", origin.database), &yaml).err();
    Ok(ImportedProfile {
        yaml,
        base: base_name,
        notes: changes.notes,
        summary,
        check_error,
    })
}

/// Returns the built-in base for the server's major version.
fn base_for(version: &ServerVersion) -> Result<String, ImportError> {
    let name = format!("odoo-{}", version.major);
    let bases = load::builtin_names();
    if bases.contains(&name.as_str()) {
        return Ok(name);
    }
    Err(ImportError::UnsupportedVersion {
        version: version.server_version.clone(),
        bases: bases.join(", "),
    })
}

/// Returns the models to compare: the requested ones, or the base's models
/// and the server's custom models, plus every `_inherits` parent of those,
/// whose fields tell which of a child's fields are delegated.
fn select_models(
    live: &Snapshot,
    base_schema: &crate::orm::schema::Schema,
    requested: &[String],
) -> Result<BTreeSet<String>, ImportError> {
    let mut selected: BTreeSet<String> = BTreeSet::new();
    if requested.is_empty() {
        selected.extend(base_schema.models.keys().cloned());
        let custom = live.models.iter().filter(|(_, model)| model.custom);
        selected.extend(custom.map(|(name, _)| name.clone()));
    }
    for model in requested {
        if !live.models.contains_key(model) {
            return Err(ImportError::UnknownModel {
                model: model.clone(),
            });
        }
        selected.insert(model.clone());
    }
    let parents: Vec<String> = selected
        .iter()
        .filter_map(|name| base_schema.model(name))
        .flat_map(|model| model.inherits.keys().cloned())
        .collect();
    selected.extend(parents);
    Ok(selected)
}

fn present(selected: &BTreeSet<String>, snapshot: &Snapshot) -> BTreeSet<String> {
    selected
        .iter()
        .filter(|name| snapshot.models.contains_key(*name))
        .cloned()
        .collect()
}

/// Writes the header comment: where the profile was imported from, and
/// the notes. It names the server's version rather than a date, so
/// importing an unchanged database again writes the same file.
fn header(origin: &Origin, base: &str, notes: &[String]) -> Vec<String> {
    let mut lines = vec![
        format!(
            "Imported by `odoo-emulator profile import` from database {:?} at {},",
            origin.database, origin.url
        ),
        format!(
            "logged in as {:?}, on a server running Odoo {}.",
            origin.login, origin.version.server_version
        ),
        format!("It lists only what differs from the built-in base {base}."),
        "No date is written, so importing an unchanged database again gives the same file."
            .to_owned(),
        // NOTE: `ir.model.constraint` is not read, so a server's unique
        // constraints are missing from every imported profile.
        "Unique constraints are not read: add the server's under `constraints`.".to_owned(),
    ];
    if !notes.is_empty() {
        lines.push(String::new());
        lines.push("NOTE: differences from the server that a profile cannot express:".to_owned());
        for note in notes {
            lines.extend(wrap(&format!("- {note}"), 76, "  "));
        }
    }
    lines
}

/// Wraps text at word boundaries, indenting continuation lines.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
            line.push_str(indent);
        } else if !line.is_empty() && line != indent {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Returns the URL without a user name or password, for the header.
fn url_without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.as_str().trim_end_matches('/').to_owned()
        }
        Err(_) => url.to_owned(),
    }
}
