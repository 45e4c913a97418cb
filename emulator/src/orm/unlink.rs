//! `unlink`: deletion with Odoo's `ondelete` rules and the removal of the
//! records' external ids.

use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::env::Env;
use crate::orm::schema::{FieldType, Model, OnDelete};
use crate::orm::store::Row;
use crate::orm::stored_names;
use crate::value::Value;

/// Deletes records. Ids that no longer exist are skipped silently, unless
/// a record rule on the model reads a field: Odoo 17 then fails with
/// `MissingError` while it checks the rule.
pub fn unlink(env: &mut Env<'_>, model: &Arc<Model>, ids: &[i64]) -> OdooResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    env.check_access_rights(model, Operation::Unlink)?;
    env.check_access_rule(model, ids, Operation::Unlink)?;
    let existing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| env.exists(&model.name, *id))
        .collect();
    for id in existing {
        unlink_one(env, model, id)?;
    }
    Ok(())
}

/// Deletes one record and applies `ondelete` on every many2one pointing
/// to it, without access checks.
pub fn unlink_one(env: &mut Env<'_>, model: &Arc<Model>, id: i64) -> OdooResult<()> {
    if !env.exists(&model.name, id) {
        return Ok(());
    }
    if let Some(row) = env.state.table_mut(&model.name).remove_row(id) {
        if model.name == "ir.model.data" {
            if let (Some(module), Some(name)) = (
                row.get("module").and_then(Value::as_str),
                row.get("name").and_then(Value::as_str),
            ) {
                env.state.remove_xmlid(&format!("{module}.{name}"));
            }
        }
    }
    remove_xmlids(env, &model.name, id);
    let schema = env.state.schema.clone();
    for referrer in schema.models.values() {
        for field in referrer.fields.values() {
            if field.comodel() != model.name || !field.is_column() {
                continue;
            }
            match field.field_type {
                FieldType::Many2one => {
                    apply_ondelete(env, referrer, &field.name, field.ondelete, id)?
                }
                FieldType::Many2many => remove_from_many2many(env, referrer, &field.name, id),
                _ => {}
            }
        }
    }
    Ok(())
}

fn apply_ondelete(
    env: &mut Env<'_>,
    referrer: &Arc<Model>,
    field: &str,
    ondelete: OnDelete,
    id: i64,
) -> OdooResult<()> {
    let pointing = rows_where(env, &referrer.name, field, id, |row| {
        row.get(field).and_then(Value::as_i64) == Some(id)
    });
    for rid in pointing {
        match ondelete {
            OnDelete::Cascade => unlink_one(env, referrer, rid)?,
            OnDelete::Restrict => return Err(restrict_violation(referrer, field)),
            OnDelete::SetNull => {
                let required = referrer.field(field).is_some_and(|f| f.required);
                if required {
                    return Err(restrict_violation(referrer, field));
                }
                let table = env.state.table_mut(&referrer.name);
                if let Some(previous) = table.rows.get(&rid).cloned() {
                    let mut row = (*previous).clone();
                    row.shift_remove(field);
                    table.insert_row(rid, Arc::new(row));
                    stored_names::refresh(env, referrer, rid, Some(&previous));
                }
            }
        }
    }
    Ok(())
}

/// Returns the `ValidationError` Odoo 17 builds from PostgreSQL's foreign key
/// violation when a referenced record is deleted.
fn restrict_violation(referrer: &Model, field: &str) -> OdooError {
    OdooError::validation(format!(
        "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nConstraint: {}_{}_fkey\n",
        referrer.description,
        referrer.name,
        referrer.name.replace('.', "_"),
        field
    ))
}

/// Returns the ids of a model's records for which `test` holds, looking
/// only at the rows the index of `field` gives for `id` when the table
/// indexes that field and `id` is not 0.
fn rows_where(
    env: &Env<'_>,
    model: &str,
    field: &str,
    id: i64,
    test: impl Fn(&Row) -> bool,
) -> Vec<i64> {
    let Some(table) = env.state.table(model) else {
        return Vec::new();
    };
    let indexed = table
        .index(field)
        .and_then(|index| index.candidates(&Value::Int(id)));
    let candidates = indexed.unwrap_or_else(|| table.rows.keys().copied().collect());
    candidates
        .into_iter()
        .filter(|rid| table.rows.get(rid).is_some_and(|row| test(row)))
        .collect()
}

fn remove_from_many2many(env: &mut Env<'_>, referrer: &Model, field: &str, id: i64) {
    let affected = rows_where(env, &referrer.name, field, id, |row| {
        row.get(field)
            .and_then(Value::as_list)
            .is_some_and(|l| l.contains(&Value::Int(id)))
    });
    let table = env.state.table_mut(&referrer.name);
    for rid in affected {
        if let Some(row) = table.rows.get(&rid).cloned() {
            let mut row = (*row).clone();
            if let Some(Value::List(ids)) = row.get_mut(field) {
                ids.retain(|v| *v != Value::Int(id));
            }
            table.insert_row(rid, Arc::new(row));
        }
    }
}

/// Drops the `ir.model.data` rows of a deleted record, as `unlink` does.
fn remove_xmlids(env: &mut Env<'_>, model: &str, id: i64) {
    for name in env.state.xmlids_of(model, id) {
        env.state.remove_xmlid(&name);
    }
    if model == "ir.model.data" {
        return;
    }
    let data_rows = rows_where(env, "ir.model.data", "res_id", id, |row| {
        row.get("model").and_then(Value::as_str) == Some(model)
            && row.get("res_id").and_then(Value::as_i64) == Some(id)
    });
    let table = env.state.table_mut("ir.model.data");
    for rid in data_rows {
        table.remove_row(rid);
    }
}
