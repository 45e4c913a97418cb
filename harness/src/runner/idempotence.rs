//! The `idempotent` check: one more pass after the final one writes
//! nothing.
//!
//! Two things count as a write. The first is a successful write call in the
//! journal: `create`, `write`, `unlink`, `load`, or a business method such
//! as `action_confirm`. The second is any difference in the records of the
//! spec's models between before and after the pass, which also catches
//! writes the journal did not record.

use std::collections::BTreeMap;

use odoo_emulator::faults::Entry;
use odoo_sync::Spec;

use crate::check::journal::{is_write, show};
use crate::check::snapshot::ModelState;
use crate::check::{truncate, Failure};
use crate::odoo::OdooReader;

/// The records of the spec's models at one moment.
#[derive(Debug)]
pub struct Snapshot {
    models: BTreeMap<String, ModelState>,
}

impl Snapshot {
    /// Reads every record of every model the spec writes.
    ///
    /// # Errors
    ///
    /// Returns the read error as text.
    pub fn take(odoo: &OdooReader, spec: &Spec) -> Result<Snapshot, String> {
        let mut models = BTreeMap::new();
        for entity in spec.entities.values() {
            let mut wanted: Vec<String> = entity.fields.keys().cloned().collect();
            let mut line_model = None;
            if let Some(lines) = &entity.lines {
                wanted.push(lines.field.clone());
                line_model = Some((
                    lines.model.clone(),
                    lines.fields.keys().cloned().collect::<Vec<_>>(),
                ));
            }
            let state =
                tokio::task::block_in_place(|| ModelState::load(odoo, &entity.model, &wanted))
                    .map_err(|e| e.to_string())?;
            models.insert(entity.model.clone(), state);
            if let Some((model, fields)) = line_model {
                let state = tokio::task::block_in_place(|| ModelState::load(odoo, &model, &fields))
                    .map_err(|e| e.to_string())?;
                models.insert(model, state);
            }
        }
        Ok(Snapshot { models })
    }
}

/// Compares the state before and after the idempotence pass, and lists
/// the write calls it made.
pub fn check(
    line: usize,
    before: &Snapshot,
    after: &Snapshot,
    journal: &[Entry],
) -> Option<Failure> {
    let writes: Vec<&Entry> = journal
        .iter()
        .filter(|e| e.outcome == "ok" && e.method.as_deref().is_some_and(is_write))
        .collect();
    let mut found: Vec<String> = Vec::new();
    if !writes.is_empty() {
        found.push(format!("{} write calls", writes.len()));
    }
    for (model, old) in &before.models {
        let Some(new) = after.models.get(model) else {
            continue;
        };
        found.extend(differences(old, new));
    }
    if found.is_empty() {
        return None;
    }
    Some(Failure {
        expectation: "idempotent".into(),
        line,
        expected: "one more pass after the final one writes nothing".into(),
        found: truncate(found),
        journal: writes.into_iter().take(15).map(show).collect(),
    })
}

fn differences(old: &ModelState, new: &ModelState) -> Vec<String> {
    let mut found = Vec::new();
    for id in new.rows.keys().filter(|id| !old.rows.contains_key(id)) {
        found.push(format!("created {}", new.describe(*id)));
    }
    for id in old.rows.keys().filter(|id| !new.rows.contains_key(id)) {
        found.push(format!("deleted {}", old.describe(*id)));
    }
    for (id, row) in &old.rows {
        let Some(now) = new.rows.get(id) else {
            continue;
        };
        let changed: Vec<&str> = row
            .iter()
            .filter(|(field, value)| now.get(*field) != Some(*value))
            .map(|(field, _)| field.as_str())
            .collect();
        if !changed.is_empty() {
            found.push(format!(
                "changed {} of {}",
                changed.join(", "),
                new.describe(*id)
            ));
        }
    }
    found
}
