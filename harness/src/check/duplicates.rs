//! The `no_duplicates` check: no SaaS record has more than one Odoo
//! record.
//!
//! A duplicate often has no key at all: an integration that lost the
//! response of a create and created again leaves a record the spec's key
//! does not find. So each record is attributed to a SaaS record by its key
//! when it has one. A record created during the run without a key is
//! attributed by its content, the plain field values of any version of a
//! SaaS record. When several
//! SaaS records share the same content, their Odoo records are counted
//! together against the number of SaaS records.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use odoo_sync::spec::{EntitySpec, KeySpec};
use serde_json::Value;

use super::snapshot::ModelState;
use super::state::{content, row_content};
use super::{journal, truncate, Evidence, Mismatch, World};
use crate::expected::map_version;
use crate::saas::Entity;

type Content = Vec<(String, String)>;

pub(super) fn no_duplicates(evidence: &Evidence, world: &World) -> Result<(), Mismatch> {
    let mut found = Vec::new();
    let mut models = Vec::new();
    for entity in crate::saas::entity::ALL {
        let Some(entity_spec) = evidence.spec.entities.get(entity.as_str()) else {
            continue;
        };
        let state = world.model(&entity_spec.model);
        let problems = entity_duplicates(evidence, entity, entity_spec, state);
        if !problems.is_empty() {
            models.push(entity_spec.model.clone());
        }
        found.extend(problems);
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        expected: "at most one Odoo record for each SaaS record".into(),
        found: truncate(found),
        journal: journal::creates_on(evidence.journal, &models),
    })
}

fn entity_duplicates(
    evidence: &Evidence,
    entity: Entity,
    entity_spec: &EntitySpec,
    state: &ModelState,
) -> Vec<String> {
    let baseline = evidence.baseline.get(&state.model);
    let by_key = key_index(evidence, entity, entity_spec);
    let by_content = content_index(evidence, entity, entity_spec, state);

    let mut keyed: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut unkeyed: BTreeMap<BTreeSet<String>, Vec<i64>> = BTreeMap::new();
    for id in state.rows.keys().copied() {
        if let Some(saas_id) = key_of(entity_spec, state, id, &by_key) {
            keyed.entry(saas_id).or_default().push(id);
            continue;
        }
        // A record present before the run with no key is not the
        // integration's: a customer's own contact may share a name.
        if baseline.is_some_and(|ids| ids.contains(&id)) {
            continue;
        }
        let Some(like) = by_content.keys().next() else {
            continue;
        };
        let row = row_content(&state.rows[&id], like);
        if let Some(owners) = by_content.get(&row) {
            unkeyed.entry(owners.clone()).or_default().push(id);
        }
    }
    report(entity, state, keyed, unkeyed)
}

fn report(
    entity: Entity,
    state: &ModelState,
    mut keyed: BTreeMap<String, Vec<i64>>,
    unkeyed: BTreeMap<BTreeSet<String>, Vec<i64>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (owners, mut ids) in unkeyed {
        for owner in &owners {
            ids.extend(keyed.remove(owner).unwrap_or_default());
        }
        if ids.len() > owners.len() {
            problems.push(describe(entity, state, &owners, &ids));
        }
    }
    for (owner, ids) in keyed {
        if ids.len() > 1 {
            problems.push(describe(entity, state, &BTreeSet::from([owner]), &ids));
        }
    }
    problems
}

fn describe(entity: Entity, state: &ModelState, owners: &BTreeSet<String>, ids: &[i64]) -> String {
    let owners: Vec<&str> = owners.iter().map(String::as_str).collect();
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    let records: Vec<String> = ids.iter().map(|id| state.describe(*id)).collect();
    format!(
        "duplicate {} records for {entity} {}: {}",
        state.model,
        owners.join(", "),
        records.join("; ")
    )
}

/// Maps each SaaS record's key value to its id.
fn key_index(
    evidence: &Evidence,
    entity: Entity,
    entity_spec: &EntitySpec,
) -> HashMap<String, String> {
    evidence
        .saas
        .records(entity)
        .map(|record| {
            let value = match &entity_spec.key {
                KeySpec::ExternalId { prefix } => {
                    format!("{}.{prefix}{}", evidence.spec.module, record.id)
                }
                KeySpec::Field { from: None, .. } => record.id.clone(),
                KeySpec::Field {
                    from: Some(from), ..
                } => match record.data.get(from) {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
            };
            (value, record.id.clone())
        })
        .collect()
}

fn key_of(
    entity_spec: &EntitySpec,
    state: &ModelState,
    id: i64,
    by_key: &HashMap<String, String>,
) -> Option<String> {
    match &entity_spec.key {
        KeySpec::ExternalId { .. } => state
            .external_ids
            .get(&id)?
            .iter()
            .find_map(|name| by_key.get(name).cloned()),
        KeySpec::Field { field, .. } => match state.rows[&id].get(field)? {
            Value::String(text) => by_key.get(text).cloned(),
            _ => None,
        },
    }
}

/// Maps the content of every version of every SaaS record to the ids of
/// the records that had it.
fn content_index(
    evidence: &Evidence,
    entity: Entity,
    entity_spec: &EntitySpec,
    state: &ModelState,
) -> HashMap<Content, BTreeSet<String>> {
    let mut index: HashMap<Content, BTreeSet<String>> = HashMap::new();
    for record in evidence.saas.records(entity) {
        for data in &record.history {
            let Ok((fields, _)) = map_version(evidence.spec, evidence.saas, entity_spec, data)
            else {
                continue;
            };
            let content = content(state, &fields);
            if !content.is_empty() {
                index.entry(content).or_default().insert(record.id.clone());
            }
        }
    }
    index
}
