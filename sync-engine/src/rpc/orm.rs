//! Typed wrappers for the ORM methods the engine calls.
//!
//! Every search passes `active_test: False` in the context, so archived
//! records are found too: an archived record is still the record that a
//! SaaS key points to, and creating a second one would duplicate it.

use serde_json::{json, Map, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};

use super::{Effect, OdooClient};

/// A record as `read` and `search_read` return it.
pub type Record = Map<String, Value>;

/// The result of `load`: the ids, or Odoo's messages when it rolled the
/// whole import back.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadOutcome {
    Ids(Vec<i64>),
    Rejected(Vec<String>),
}

fn kwargs(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect()
}

fn all_records_context() -> Value {
    json!({"active_test": false})
}

impl OdooClient {
    /// Runs `search_read` on `domain`, archived records included, ordered
    /// by id.
    pub fn search_read(
        &mut self,
        model: &str,
        domain: Value,
        fields: &[&str],
    ) -> SyncResult<Vec<Record>> {
        let options = kwargs(&[
            ("fields", json!(fields)),
            ("order", json!("id")),
            ("context", all_records_context()),
        ]);
        let result = self.execute_kw(model, "search_read", vec![domain], options, Effect::Read)?;
        records_of(result, &format!("search_read on {model}"))
    }

    /// Reads `fields` of records by id. Missing ids are left out, as Odoo
    /// 17 does.
    pub fn read(&mut self, model: &str, ids: &[i64], fields: &[&str]) -> SyncResult<Vec<Record>> {
        let options = kwargs(&[
            ("fields", json!(fields)),
            ("context", all_records_context()),
        ]);
        let result = self.execute_kw(model, "read", vec![json!(ids)], options, Effect::Read)?;
        records_of(result, &format!("read on {model}"))
    }

    /// Returns `fields_get` with the given attributes. Asking for explicit
    /// attributes avoids attributes whose value is `None`, which XML-RPC
    /// cannot send.
    pub fn fields_get(&mut self, model: &str, attributes: &[&str]) -> SyncResult<Record> {
        let options = kwargs(&[("attributes", json!(attributes))]);
        match self.execute_kw(model, "fields_get", vec![], options, Effect::Read)? {
            Value::Object(fields) => Ok(fields),
            other => Err(unexpected(
                &format!("fields_get on {model}"),
                "an object",
                &other,
            )),
        }
    }

    /// Returns the default values Odoo would give the listed fields.
    pub fn default_get(&mut self, model: &str, fields: &[&str]) -> SyncResult<Record> {
        match self.execute_kw(
            model,
            "default_get",
            vec![json!(fields)],
            Map::new(),
            Effect::Read,
        )? {
            Value::Object(values) => Ok(values),
            other => Err(unexpected(
                &format!("default_get on {model}"),
                "an object",
                &other,
            )),
        }
    }

    /// Creates one record and returns its id.
    pub fn create(&mut self, model: &str, values: Record) -> SyncResult<i64> {
        let context = format!("create on {model}");
        let result = self.execute_kw(
            model,
            "create",
            vec![Value::Object(values)],
            Map::new(),
            Effect::Write,
        )?;
        match result {
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
            Value::Array(ids) if ids.len() == 1 && ids[0].is_i64() => {
                Ok(ids[0].as_i64().unwrap_or_default())
            }
            other => Err(unexpected(&context, "a record id", &other)),
        }
    }

    /// Writes the same values on records.
    pub fn write(&mut self, model: &str, ids: &[i64], values: Record) -> SyncResult<()> {
        self.execute_kw(
            model,
            "write",
            vec![json!(ids), Value::Object(values)],
            Map::new(),
            Effect::Write,
        )?;
        Ok(())
    }

    /// Deletes records.
    pub fn unlink(&mut self, model: &str, ids: &[i64]) -> SyncResult<()> {
        self.execute_kw(model, "unlink", vec![json!(ids)], Map::new(), Effect::Write)?;
        Ok(())
    }

    /// Imports rows with `load`, Odoo's atomic import keyed by the `id`
    /// column's external id. The context sets the time zone to UTC because
    /// `load` reads datetimes in the context's or the user's time zone
    /// (`ir.fields.converter._input_tz`), while the engine sends them in
    /// UTC.
    pub fn load(
        &mut self,
        model: &str,
        columns: &[String],
        rows: Vec<Vec<Value>>,
    ) -> SyncResult<LoadOutcome> {
        let context = format!("load on {model}");
        let args = vec![json!(columns), json!(rows)];
        let options = kwargs(&[("context", json!({"tz": "UTC"}))]);
        let result = self.execute_kw(model, "load", args, options, Effect::Write)?;
        let Value::Object(result) = result else {
            return Err(unexpected(&context, "an object", &result));
        };
        match result.get("ids") {
            Some(Value::Array(ids)) => Ok(LoadOutcome::Ids(
                ids.iter().filter_map(Value::as_i64).collect(),
            )),
            _ => Ok(LoadOutcome::Rejected(load_messages(&result))),
        }
    }

    /// Calls a business method, such as `action_confirm`, on records.
    pub fn call_method(&mut self, model: &str, method: &str, ids: &[i64]) -> SyncResult<Value> {
        self.execute_kw(model, method, vec![json!(ids)], Map::new(), Effect::Write)
    }
}

fn load_messages(result: &Record) -> Vec<String> {
    let messages: Vec<String> = result
        .get("messages")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|m| m.get("message").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if messages.is_empty() {
        vec!["load returned no ids and no message".to_owned()]
    } else {
        messages
    }
}

fn records_of(result: Value, context: &str) -> SyncResult<Vec<Record>> {
    let Value::Array(items) = result else {
        return Err(unexpected(context, "a list of records", &result));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(record) => Ok(record),
            other => Err(unexpected(context, "a record", &other)),
        })
        .collect()
}

/// A well-formed response that is not what the method returns, as from a
/// JSON-RPC response without `result`. The call may have applied.
fn unexpected(context: &str, expected: &str, found: &Value) -> SyncError {
    let mut shown = found.to_string();
    shown.truncate(200);
    SyncError::new(
        ErrorKind::InvalidResponse,
        context,
        format!("expected {expected}, got {shown}"),
    )
}
