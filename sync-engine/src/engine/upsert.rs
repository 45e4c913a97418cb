//! Upserts: create or update the Odoo record of a SaaS record, its lines,
//! and its business method. See the module docs of [`super`] for the
//! strategy.

use serde_json::{json, Map, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::mapping::{self, Values};
use crate::rpc::{LoadOutcome, Record};
use crate::schema::{DriftScope, ModelSchema};
use crate::spec::{ActionSpec, DeletePolicy, EntitySpec, KeySpec, LinesSpec};
use crate::state::AppliedRecord;

use super::find::Existing;
use super::{Engine, Target};

/// The lines field of a record and the lines the SaaS record has.
struct DesiredLines<'s> {
    spec: &'s LinesSpec,
    schema: ModelSchema,
    lines: Vec<Values>,
}

impl Engine<'_> {
    pub(super) fn upsert(
        &mut self,
        target: &Target,
        entity: &EntitySpec,
        data: &Map<String, Value>,
    ) -> SyncResult<AppliedRecord> {
        self.check_drift(target, &[DriftScope::AllChanges])?;
        let schema = self.schema.model(&entity.model);
        let key = mapping::key_value(&self.spec.module, entity, &target.id, Some(data))?;
        let mut desired = mapping::map_fields(&entity.fields, &schema, data, self)?;
        set_key_field(entity, &schema, &key, &mut desired)?;
        let lines = self.desired_lines(entity, data)?;
        let fields = read_fields(entity, &schema);
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let record_id = match self.find_current_or_previous(target, entity, &key, &fields)? {
            None => {
                self.check_drift(target, &[DriftScope::Creates])?;
                self.create(entity, &schema, &key, desired, lines)?
            }
            Some(existing) => {
                self.update(entity, &schema, &existing, &desired, lines)?;
                existing.id
            }
        };
        let mut applied = self.applied_record(target, entity, Some(key));
        if let Some(actions) = &entity.actions {
            self.run_action(entity, actions, &schema, record_id, data, &mut applied)?;
        }
        Ok(applied)
    }

    /// Finds the record by its key, or else by the key value applied last,
    /// since a key read from a SaaS field (a SKU, an order number) can
    /// change. The update then writes the new key value.
    fn find_current_or_previous(
        &mut self,
        target: &Target,
        entity: &EntitySpec,
        key: &str,
        fields: &[&str],
    ) -> SyncResult<Option<Existing>> {
        if let Some(existing) = self.find(entity, key, fields)? {
            return Ok(Some(existing));
        }
        let previous = self
            .state
            .applied(&target.entity, &target.id)
            .and_then(|record| record.key.clone())
            .filter(|previous| previous != key);
        match previous {
            Some(previous) => {
                let found = self.find(entity, &previous, fields)?;
                if found.is_some() {
                    tracing::info!(entity = %target.entity, id = %target.id, %previous, new = %key, "the record's key changed");
                }
                Ok(found)
            }
            None => Ok(None),
        }
    }

    /// Maps the SaaS record's lines; `None` when the record has no lines
    /// field, so existing lines are left alone.
    fn desired_lines<'s>(
        &mut self,
        entity: &'s EntitySpec,
        data: &Map<String, Value>,
    ) -> SyncResult<Option<DesiredLines<'s>>> {
        let Some(spec) = &entity.lines else {
            return Ok(None);
        };
        let items = match data.get(&spec.from) {
            None => return Ok(None),
            Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(other) => {
                return Err(SyncError::new(
                    ErrorKind::Mapping,
                    format!("map the lines of {}", entity.model),
                    format!("{} holds {other}, not a list of lines", spec.from),
                ))
            }
        };
        let schema = self.schema.model(&spec.model);
        let mut lines = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(line) = item else {
                return Err(SyncError::new(
                    ErrorKind::Mapping,
                    format!("map line {} of {}", index + 1, entity.model),
                    format!("the line is {item}, not an object"),
                ));
            };
            lines.push(mapping::map_fields(&spec.fields, &schema, line, self)?);
        }
        Ok(Some(DesiredLines {
            spec,
            schema,
            lines,
        }))
    }

    fn create(
        &mut self,
        entity: &EntitySpec,
        schema: &ModelSchema,
        key: &str,
        desired: Values,
        lines: Option<DesiredLines<'_>>,
    ) -> SyncResult<i64> {
        match &entity.key {
            KeySpec::ExternalId { .. } => {
                self.create_with_load(entity, schema, key, desired, lines)
            }
            KeySpec::Field { .. } => {
                let mut values = write_values(schema, &desired);
                if let Some(lines) = lines {
                    let commands: Vec<Value> = lines
                        .lines
                        .iter()
                        .map(|line| json!([0, 0, write_values(&lines.schema, line)]))
                        .collect();
                    values.insert(lines.spec.field.clone(), Value::Array(commands));
                }
                let id = self.odoo.create(&entity.model, values)?;
                tracing::info!(model = %entity.model, id, %key, "created");
                Ok(id)
            }
        }
    }

    /// Creates the record and its external id in one `load`, then writes
    /// what `load` cannot take.
    fn create_with_load(
        &mut self,
        entity: &EntitySpec,
        schema: &ModelSchema,
        external_id: &str,
        desired: Values,
        lines: Option<DesiredLines<'_>>,
    ) -> SyncResult<i64> {
        let mut columns = vec!["id".to_owned()];
        let mut row = vec![Value::String(external_id.to_owned())];
        let mut later = Values::new();
        for (field, value) in &desired {
            let Some(info) = schema.field(field) else {
                continue;
            };
            match mapping::to_load_cell(info, value) {
                Some((column, cell)) => {
                    columns.push(column);
                    row.push(cell);
                }
                None => {
                    later.insert(field.clone(), mapping::to_write(info, value));
                }
            }
        }
        let id = match self.odoo.load(&entity.model, &columns, vec![row])? {
            LoadOutcome::Ids(ids) if ids.len() == 1 => ids[0],
            LoadOutcome::Ids(ids) => {
                return Err(SyncError::new(
                    ErrorKind::InvalidResponse,
                    format!("load on {}", entity.model),
                    format!("load returned {} ids for one row", ids.len()),
                ))
            }
            LoadOutcome::Rejected(messages) => {
                return Err(SyncError::new(
                    ErrorKind::Validation,
                    format!("load on {}", entity.model),
                    messages.join("\n"),
                ))
            }
        };
        tracing::info!(model = %entity.model, id, %external_id, "created");
        if let Some(lines) = lines.filter(|l| !l.lines.is_empty()) {
            let commands: Vec<Value> = lines
                .lines
                .iter()
                .map(|line| json!([0, 0, write_values(&lines.schema, line)]))
                .collect();
            later.insert(lines.spec.field.clone(), Value::Array(commands));
        }
        if !later.is_empty() {
            self.odoo.write(&entity.model, &[id], later)?;
        }
        Ok(id)
    }

    fn update(
        &mut self,
        entity: &EntitySpec,
        schema: &ModelSchema,
        existing: &Existing,
        desired: &Values,
        lines: Option<DesiredLines<'_>>,
    ) -> SyncResult<()> {
        let mut changes = Values::new();
        for (field, want) in desired {
            let Some(info) = schema.field(field) else {
                continue;
            };
            let current = existing.values.get(field).unwrap_or(&Value::Bool(false));
            if !mapping::values_equal(info, current, want) {
                changes.insert(field.clone(), mapping::to_write(info, want));
            }
        }
        let restores_active = entity.delete == DeletePolicy::Archive
            && schema.has_active()
            && !entity.fields.contains_key("active")
            && existing.values.get("active") == Some(&Value::Bool(false));
        if restores_active {
            changes.insert("active".to_owned(), Value::Bool(true));
        }
        if let Some(lines) = lines {
            let commands = self.line_commands(existing, &lines)?;
            if !commands.is_empty() {
                changes.insert(lines.spec.field.clone(), Value::Array(commands));
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        let fields: Vec<&String> = changes.keys().collect();
        tracing::info!(model = %entity.model, id = existing.id, ?fields, "updating");
        self.odoo.write(&entity.model, &[existing.id], changes)
    }

    /// Compares the record's lines with the SaaS lines in order and returns
    /// the one2many commands that make them equal.
    fn line_commands(
        &mut self,
        existing: &Existing,
        lines: &DesiredLines<'_>,
    ) -> SyncResult<Vec<Value>> {
        let ids: Vec<i64> = existing
            .values
            .get(&lines.spec.field)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let fields: Vec<&str> = lines.spec.fields.keys().map(String::as_str).collect();
        let current = if ids.is_empty() {
            Vec::new()
        } else {
            self.odoo.read(&lines.spec.model, &ids, &fields)?
        };
        let mut commands = Vec::new();
        for index in 0..current.len().max(lines.lines.len()) {
            match (current.get(index), lines.lines.get(index)) {
                (Some(line), Some(want)) => {
                    let changes = changed_values(&lines.schema, line, want);
                    if !changes.is_empty() {
                        let id = line.get("id").cloned().unwrap_or(Value::Null);
                        commands.push(json!([1, id, changes]));
                    }
                }
                (None, Some(want)) => {
                    commands.push(json!([0, 0, write_values(&lines.schema, want)]))
                }
                (Some(line), None) => {
                    let id = line.get("id").cloned().unwrap_or(Value::Null);
                    commands.push(json!([2, id, 0]));
                }
                (None, None) => {}
            }
        }
        Ok(commands)
    }

    /// Calls the business method that the SaaS record's value selects,
    /// unless it already ran.
    fn run_action(
        &mut self,
        entity: &EntitySpec,
        actions: &ActionSpec,
        schema: &ModelSchema,
        record_id: i64,
        data: &Map<String, Value>,
        applied: &mut AppliedRecord,
    ) -> SyncResult<()> {
        let value = match data.get(&actions.from) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => return Ok(()),
            Some(other) => other.to_string(),
        };
        let Some(method) = actions.call.get(&value) else {
            return Ok(());
        };
        if actions.done_when.is_empty() {
            if applied.actions.contains(method) {
                return Ok(());
            }
        } else if self.action_done(entity, actions, schema, record_id)? {
            return Ok(());
        }
        tracing::info!(model = %entity.model, id = record_id, %method, "calling the business method");
        match self.odoo.call_method(&entity.model, method, &[record_id]) {
            Ok(_) => {}
            Err(error)
                if actions.done_when.is_empty() && error.kind() == ErrorKind::MarshalNone =>
            {
                tracing::info!(%error, %method, "the method committed before its None result failed to marshal");
            }
            Err(error) if actions.done_when.is_empty() && error.may_have_applied() => {
                // Calling it again could run it twice, so the method counts
                // as called, and a report tells the SaaS that it may not
                // have run.
                tracing::warn!(%error, %method, "the business method may or may not have run");
                self.notices.push(SyncError::new(
                    ErrorKind::Unverifiable,
                    format!("{method} on {} {record_id}", entity.model),
                    format!("{error}; the spec gives no done_when to check whether the method ran, so check the record in Odoo"),
                ));
            }
            Err(error) => return Err(error),
        }
        if actions.done_when.is_empty() {
            applied.actions.push(method.clone());
        }
        Ok(())
    }

    fn action_done(
        &mut self,
        entity: &EntitySpec,
        actions: &ActionSpec,
        schema: &ModelSchema,
        record_id: i64,
    ) -> SyncResult<bool> {
        let fields: Vec<&str> = actions.done_when.keys().map(String::as_str).collect();
        let records = self.odoo.read(&entity.model, &[record_id], &fields)?;
        let Some(record) = records.first() else {
            return Err(SyncError::new(
                ErrorKind::RecordMissing,
                format!("read {} {record_id}", entity.model),
                "the record was deleted meanwhile",
            ));
        };
        Ok(actions.done_when.iter().all(|(field, want)| {
            let current = record.get(field).unwrap_or(&Value::Bool(false));
            match schema.field(field) {
                Some(info) => mapping::values_equal(info, current, want),
                None => current == want,
            }
        }))
    }
}

/// Writes the key value into the key field, so that the record is found
/// by its key on the next pass even when the spec does not map the field
/// itself, as with `ref` holding the SaaS id.
fn set_key_field(
    entity: &EntitySpec,
    schema: &ModelSchema,
    key: &str,
    desired: &mut Values,
) -> SyncResult<()> {
    let KeySpec::Field { field, .. } = &entity.key else {
        return Ok(());
    };
    let Some(info) = schema.field(field) else {
        return Ok(());
    };
    let value = mapping::convert(info, Value::String(key.to_owned()))?;
    desired.insert(field.clone(), value);
    Ok(())
}

/// Lists the fields an upsert reads from the existing record.
pub(super) fn read_fields(entity: &EntitySpec, schema: &ModelSchema) -> Vec<String> {
    let mut fields: Vec<String> = entity.fields.keys().cloned().collect();
    if let KeySpec::Field { field, .. } = &entity.key {
        if !fields.contains(field) {
            fields.push(field.clone());
        }
    }
    if let Some(lines) = &entity.lines {
        fields.push(lines.field.clone());
    }
    if schema.has_active() && !fields.iter().any(|f| f == "active") {
        fields.push("active".to_owned());
    }
    fields
}

/// Returns the values to send for a new record.
fn write_values(schema: &ModelSchema, values: &Values) -> Record {
    values
        .iter()
        .map(|(field, value)| {
            let written = match schema.field(field) {
                Some(info) => mapping::to_write(info, value),
                None => value.clone(),
            };
            (field.clone(), written)
        })
        .collect()
}

/// Returns the values of `want` that differ from `current`.
fn changed_values(schema: &ModelSchema, current: &Record, want: &Values) -> Record {
    let mut changes = Record::new();
    for (field, value) in want {
        let Some(info) = schema.field(field) else {
            continue;
        };
        let now = current.get(field).unwrap_or(&Value::Bool(false));
        if !mapping::values_equal(info, now, value) {
            changes.insert(field.clone(), mapping::to_write(info, value));
        }
    }
    changes
}
