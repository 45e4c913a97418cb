//! Database states as JSON files, to carry a snapshot from one emulator
//! process to another.
//!
//! A file contains the data of one or more databases: every table's rows and
//! id sequence, the external ids and the users' credentials. It does not
//! contain the schema: a file imports into a database whose schema has every
//! model and field the file uses, which is the case for the same profile
//! with the same runtime instance changes applied. Anything else is
//! rejected before any database changes.
//!
//! The file contains passwords and API keys in clear text, as the profile
//! that seeded them does.
//!
//! Values keep their exact type through a round trip: JSON's own types
//! for `None`, booleans, integers, floats, strings, lists and dicts, and
//! a one-key object for the rest: `{"$binary": BASE64}`,
//! `{"$datetime": TEXT}`, `{"$float": "nan" | "inf" | "-inf"}`,
//! `{"$intmap": [[KEY, VALUE], ...]}` for a dict keyed by integers, and
//! `{"$dict": {...}}` for a dict whose only key starts with `$`.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::orm::schema::Model;
use crate::orm::store::{Credentials, DbState, Row, Table};
use crate::orm::{stored_names, Env, SUPERUSER_ID};
use crate::value::{Dict, Value};
use crate::version::Version;

/// The version of the file layout; a reader rejects any other.
pub const STATE_FILE_FORMAT: u32 = 1;

/// A whole state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// [`STATE_FILE_FORMAT`] when the file was written.
    pub format: u32,
    /// The emulator version that wrote the file, for people reading it.
    pub written_by: String,
    /// The databases, by name.
    pub databases: BTreeMap<String, DatabaseData>,
}

/// The data of one database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseData {
    /// The Odoo version the database emulates, such as `17.0`.
    pub odoo_version: String,
    pub tables: BTreeMap<String, TableData>,
    /// External ids (`module.name`) to `[model, id]`.
    pub xmlids: BTreeMap<String, (String, i64)>,
    /// Credentials by user id.
    pub credentials: BTreeMap<i64, CredentialData>,
}

/// The rows of one model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableData {
    /// The id the next created record gets.
    pub next_id: i64,
    /// The next number of each field sequence, by field.
    #[serde(default)]
    pub sequences: BTreeMap<String, i64>,
    /// Stored values by record id, then field name.
    pub rows: BTreeMap<i64, Map<String, Json>>,
}

/// A user's password and API keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialData {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub api_keys: Vec<String>,
}

/// Describes a database state for a file.
pub fn database_data(state: &DbState, odoo_version: String) -> DatabaseData {
    let tables = state
        .tables
        .iter()
        .map(|(model, table)| {
            let stored_names = state
                .schema
                .model(model)
                .map(|model| stored_name_fields(model))
                .unwrap_or_default();
            (model.clone(), table_data(table, &stored_names))
        })
        .collect();
    let xmlids = state
        .xmlids
        .iter()
        .map(|(xmlid, target)| (xmlid.clone(), target.clone()))
        .collect();
    let credentials = state
        .credentials
        .iter()
        .map(|(uid, credentials)| {
            let data = CredentialData {
                password: credentials.password.clone(),
                api_keys: credentials.api_keys.clone(),
            };
            (*uid, data)
        })
        .collect();
    DatabaseData {
        odoo_version,
        tables,
        xmlids,
        credentials,
    }
}

/// Describes a table's rows. Stored display names are left out because
/// restoring recomputes them, and files written before the emulator
/// stored them have none.
fn table_data(table: &Table, stored_names: &[String]) -> TableData {
    let rows = table
        .rows
        .iter()
        .map(|(id, row)| {
            // Rows keep fields in the order they were set; files list
            // them by name so that the same data always reads the same.
            let mut fields: Vec<(&String, &Value)> = row
                .iter()
                .filter(|(field, _)| !stored_names.contains(field))
                .collect();
            fields.sort_unstable_by_key(|(field, _)| *field);
            let values = fields
                .into_iter()
                .map(|(field, value)| (field.clone(), encode(value)))
                .collect();
            (*id, values)
        })
        .collect();
    TableData {
        next_id: table.next_id,
        sequences: table
            .sequences
            .iter()
            .map(|(field, next)| (field.clone(), *next))
            .collect(),
        rows,
    }
}

/// Builds the state that `data` describes on top of `live`, keeping the
/// live schema and business methods. Fails on a model or field that the
/// live schema lacks, naming it.
pub fn restore_data(
    live: &DbState,
    data: &DatabaseData,
    version: Version,
) -> Result<DbState, String> {
    let mut state = live.clone();
    state.tables = imbl::OrdMap::new();
    for (model_name, table) in &data.tables {
        let model = live.schema.model(model_name).ok_or_else(|| {
            format!("model {model_name} is not in the database's schema; serve the same profile and apply the same instance changes first")
        })?;
        let mut restored = Table::new();
        restored.next_id = table.next_id;
        for (field, next) in &table.sequences {
            restored.sequences.insert(field.clone(), *next);
        }
        for (id, values) in &table.rows {
            let mut row = Row::default();
            for (field, value) in values {
                if !model.has_field(field) {
                    return Err(format!(
                        "field {field} of {model_name} is not in the database's schema; serve the same profile and apply the same instance changes first"
                    ));
                }
                let value = decode(value)
                    .map_err(|error| format!("{model_name} record {id}, field {field}: {error}"))?;
                row.insert(field.clone(), value);
            }
            restored.insert_row(*id, std::sync::Arc::new(row));
        }
        state.tables.insert(model_name.clone(), restored);
    }
    for model_name in live.schema.models.keys() {
        if !state.tables.contains_key(model_name) {
            state.tables.insert(model_name.clone(), Table::new());
        }
    }
    state.xmlids = data
        .xmlids
        .iter()
        .map(|(xmlid, target)| (xmlid.clone(), target.clone()))
        .collect();
    state.credentials = data
        .credentials
        .iter()
        .map(|(uid, data)| {
            let credentials = Credentials {
                password: data.password.clone(),
                api_keys: data.api_keys.clone(),
            };
            (*uid, credentials)
        })
        .collect();
    state.reindex();
    let mut env = Env::new(
        &mut state,
        SUPERUSER_ID,
        Dict::default(),
        String::new(),
        version,
    );
    stored_names::refresh_all(&mut env);
    Ok(state)
}

fn stored_name_fields(model: &Model) -> Vec<String> {
    model
        .fields
        .values()
        .filter(|field| stored_names::is_stored_name(field))
        .map(|field| field.name.clone())
        .collect()
}

/// Writes a state file as indented JSON, through a temporary file and a
/// rename so that a reader never sees half a file.
pub fn write(path: &Path, file: &StateFile) -> Result<(), String> {
    let text = serde_json::to_string_pretty(file)
        .map_err(|error| format!("failed to encode the state file: {error}"))?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, text + "\n")
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| format!("failed to write {}: {error}", path.display()))
}

/// Reads a state file and checks its format version.
pub fn read(path: &Path) -> Result<StateFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("failed to read {}: {error}", path.display()))?;
    let file: StateFile = serde_json::from_str(&text)
        .map_err(|error| format!("{} is not a state file: {error}", path.display()))?;
    if file.format != STATE_FILE_FORMAT {
        return Err(format!(
            "{} has state file format {}, but this emulator reads format {STATE_FILE_FORMAT}",
            path.display(),
            file.format
        ));
    }
    Ok(file)
}

/// Encodes a value as JSON, tagging what JSON cannot carry.
pub fn encode(value: &Value) -> Json {
    match value {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(number) => Json::Number(number),
            None => json!({"$float": crate::value::python_float_repr(*f)}),
        },
        Value::Str(text) => Json::String(text.clone()),
        Value::Binary(bytes) => {
            json!({"$binary": base64::engine::general_purpose::STANDARD.encode(bytes)})
        }
        Value::DateTime(text) => json!({"$datetime": text}),
        Value::List(items) => Json::Array(items.iter().map(encode).collect()),
        Value::Records(records) => Json::Array(records.to_dicts().iter().map(encode).collect()),
        Value::IntMap(entries) => {
            let pairs: Vec<Json> = entries
                .iter()
                .map(|(key, value)| json!([key, encode(value)]))
                .collect();
            json!({"$intmap": pairs})
        }
        Value::Dict(dict) => {
            let object: Map<String, Json> = dict
                .iter()
                .map(|(key, value)| (key.clone(), encode(value)))
                .collect();
            if is_tag(&object) {
                json!({"$dict": object})
            } else {
                Json::Object(object)
            }
        }
    }
}

/// Decodes a value written by [`encode`].
pub fn decode(json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(number) => match number.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(number.as_f64().ok_or("a number out of range")?),
        },
        Json::String(text) => Value::Str(text.clone()),
        Json::Array(items) => Value::List(items.iter().map(decode).collect::<Result<_, _>>()?),
        Json::Object(object) if is_tag(object) => decode_tagged(object)?,
        Json::Object(object) => Value::Dict(decode_dict(object)?),
    })
}

fn is_tag(object: &Map<String, Json>) -> bool {
    object.len() == 1 && object.keys().all(|key| key.starts_with('$'))
}

fn decode_tagged(object: &Map<String, Json>) -> Result<Value, String> {
    let (tag, content) = object.iter().next().expect("a tag has one key");
    match (tag.as_str(), content) {
        ("$binary", Json::String(text)) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Value::Binary)
            .map_err(|error| format!("invalid base64 in $binary: {error}")),
        ("$datetime", Json::String(text)) => Ok(Value::DateTime(text.clone())),
        ("$float", Json::String(text)) => match text.as_str() {
            "nan" => Ok(Value::Float(f64::NAN)),
            "inf" => Ok(Value::Float(f64::INFINITY)),
            "-inf" => Ok(Value::Float(f64::NEG_INFINITY)),
            other => Err(format!(
                "invalid $float {other:?}: expected nan, inf or -inf"
            )),
        },
        ("$dict", Json::Object(inner)) => Ok(Value::Dict(decode_dict(inner)?)),
        ("$intmap", Json::Array(pairs)) => pairs
            .iter()
            .map(decode_int_pair)
            .collect::<Result<_, _>>()
            .map(Value::IntMap),
        _ => Err(format!(
            "unknown tagged value {tag:?}: expected $binary, $datetime, $float, $intmap or $dict"
        )),
    }
}

fn decode_int_pair(pair: &Json) -> Result<(i64, Value), String> {
    match pair.as_array().map(Vec::as_slice) {
        Some([Json::Number(key), value]) => {
            let key = key
                .as_i64()
                .ok_or_else(|| format!("invalid $intmap key {key}: expected an integer"))?;
            Ok((key, decode(value)?))
        }
        _ => Err(format!(
            "invalid $intmap entry {pair}: expected [KEY, VALUE]"
        )),
    }
}

fn decode_dict(object: &Map<String, Json>) -> Result<Dict, String> {
    object
        .iter()
        .map(|(key, value)| Ok((key.clone(), decode(value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let tagged_dict = Dict::from_iter([("$binary".to_owned(), Value::Int(1))]);
        let values = [
            Value::None,
            Value::Bool(false),
            Value::Int(-7),
            Value::Float(1.0),
            Value::Float(f64::INFINITY),
            Value::Str("text".into()),
            Value::Binary(vec![0, 255]),
            Value::DateTime("20240101T10:00:00".into()),
            Value::List(vec![Value::Int(1), Value::Str("a".into())]),
            Value::Dict(tagged_dict),
            Value::IntMap(vec![(7, Value::Str("x".into()))]),
        ];
        for value in values {
            let decoded = decode(&encode(&value)).expect("an encoded value decodes");
            assert_eq!(decoded, value);
        }
    }

    #[test]
    fn nan_round_trips() {
        let decoded = decode(&encode(&Value::Float(f64::NAN))).expect("decodes");

        assert!(matches!(decoded, Value::Float(f) if f.is_nan()));
    }

    #[test]
    fn unknown_tag_rejected() {
        let error = decode(&json!({"$set": [1]})).expect_err("an unknown tag");

        assert!(error.contains("$set"), "{error}");
    }
}
