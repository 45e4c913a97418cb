//! Stored display names: a field declared with `compute: display_name`
//! and `store: true`, such as `complete_name` on `res.partner` and
//! `product.category`, keeps its value in the row, as Odoo keeps it in a
//! column. Searches sort partners by `complete_name`, so computing it for
//! every matching record on every call would cost more than the rest of
//! the search.
//!
//! The value is recomputed when its record is created or written, and
//! when the parent of a record changes its name or its own stored name,
//! as Odoo recomputes `complete_name` through its `parent_id.name`
//! dependency. A record whose parent is deleted is recomputed when its
//! link is cleared. Seeding, restoring a state file and a runtime schema
//! change recompute every record once, because their rows may be written
//! in any order or lack the value.
//!
//! Where it differs from Odoo: Odoo 17's partner name also depends on
//! the partner `type` and the commercial company name. The emulator's
//! name depends only on what [`Env::display_name`] reads.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::orm::env::Env;
use crate::orm::schema::{Field, Model};
use crate::orm::store::Row;
use crate::value::Value;

/// Tells whether a field is a display name kept in the row.
pub fn is_stored_name(field: &Field) -> bool {
    field.store && field.compute.as_deref() == Some("display_name")
}

fn stored_name_fields(model: &Model) -> Vec<Arc<Field>> {
    model
        .fields
        .values()
        .filter(|field| is_stored_name(field))
        .cloned()
        .collect()
}

/// Recomputes the stored names of a record just created (`previous` is
/// `None`) or written, then those of its children when its name changed.
pub fn refresh(env: &mut Env<'_>, model: &Model, id: i64, previous: Option<&Row>) {
    let fields = stored_name_fields(model);
    if fields.is_empty() {
        return;
    }
    let mut pending = vec![(id, previous.cloned())];
    // A parent loop would otherwise recompute its records forever.
    let mut visited = BTreeSet::new();
    while let Some((id, previous)) = pending.pop() {
        if !visited.insert(id) {
            continue;
        }
        let changed = update(env, model, &fields, id);
        let renamed = previous.is_some_and(|row| own_name_changed(env, model, id, &row));
        if changed || renamed {
            // A new record has no children yet, except in a seed, which
            // recomputes everything at the end.
            pending.extend(children(env, model, id).into_iter().map(|child| {
                let row = env.state.row(&model.name, child).map(|row| (**row).clone());
                (child, row)
            }));
        }
    }
}

/// Recomputes the stored names of every record of every model.
pub fn refresh_all(env: &mut Env<'_>) {
    let models: Vec<Arc<Model>> = env.state.schema.models.values().cloned().collect();
    for model in models {
        let fields = stored_name_fields(&model);
        if fields.is_empty() {
            continue;
        }
        for id in env.all_ids(&model.name) {
            update(env, &model, &fields, id);
        }
    }
}

/// Stores the current display name in each stored-name field of a record
/// and returns whether any value changed.
fn update(env: &mut Env<'_>, model: &Model, fields: &[Arc<Field>], id: i64) -> bool {
    let Some(current) = env.state.row(&model.name, id).cloned() else {
        return false;
    };
    let name = env.display_name(model, id);
    let stale: Vec<&Arc<Field>> = fields
        .iter()
        .filter(|field| current.get(&field.name) != stored_form(&name))
        .collect();
    if stale.is_empty() {
        return false;
    }
    let mut row = (*current).clone();
    for field in stale {
        match stored_form(&name) {
            Some(value) => row.insert(field.name.clone(), value.clone()),
            None => row.shift_remove(&field.name),
        };
    }
    env.state
        .table_mut(&model.name)
        .insert_row(id, Arc::new(row));
    true
}

/// Returns the value to keep in the row, or `None` for an empty name,
/// which is left out and reads as `False` like any unset char column.
fn stored_form(name: &Value) -> Option<&Value> {
    match name {
        Value::Bool(false) => None,
        other => Some(other),
    }
}

/// Returns whether the field that children's names are built from changed.
fn own_name_changed(env: &Env<'_>, model: &Model, id: i64, previous: &Row) -> bool {
    let Some(field) = model.rec_name_field() else {
        return false;
    };
    let Some(row) = env.state.row(&model.name, id) else {
        return false;
    };
    ["name", field]
        .iter()
        .any(|name| row.get(*name) != previous.get(*name))
}

/// Returns the records whose parent field points to `id`. The parent
/// field's index gives the candidates, because every create refreshes its
/// record's children and a scan would make creates quadratic. A scan
/// remains for a parent field that is not an indexed column.
fn children(env: &Env<'_>, model: &Model, id: i64) -> Vec<i64> {
    let Some(table) = env.state.table(&model.name) else {
        return Vec::new();
    };
    let parent = model.parent_name.as_str();
    let is_child =
        |child: i64, row: &Row| child != id && row.get(parent).and_then(Value::as_i64) == Some(id);
    let indexed = table
        .index(parent)
        .and_then(|index| index.candidates(&Value::Int(id)));
    let Some(candidates) = indexed else {
        return table
            .rows
            .iter()
            .filter(|(child, row)| is_child(**child, row))
            .map(|(child, _)| *child)
            .collect();
    };
    candidates
        .into_iter()
        .filter(|child| {
            table
                .rows
                .get(child)
                .is_some_and(|row| is_child(*child, row))
        })
        .collect()
}
