//! The checks on Odoo's state: `converged`, `no_lost_updates`,
//! `errors_reported` and `odoo` queries.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::compare::{field_type, is_required, matches, show_actual, show_expected, Resolved};
use super::journal;
use super::snapshot::ModelState;
use super::{truncate, Evidence, Mismatch, World};
use crate::expected::{map_version, ExpectedRecord, ExpectedValue, Presence};
use crate::saas::Entity;
use crate::scenario::OdooQuery;

/// Field types whose values the content comparison uses: plain values
/// that a record's data determines without any lookup.
const CONTENT_TYPES: &[&str] = &[
    "char",
    "text",
    "html",
    "selection",
    "boolean",
    "integer",
    "float",
    "monetary",
];

pub(super) fn reported(evidence: &Evidence, entity: Entity, id: &str) -> bool {
    last_report(evidence, entity, id).is_some()
}

/// Returns the error text of the last report for a record.
fn last_report<'a>(evidence: &'a Evidence, entity: Entity, id: &str) -> Option<&'a str> {
    evidence
        .saas
        .reports()
        .iter()
        .rev()
        .find(|report| report.entity == entity.as_str() && report.id == id)
        .map(|report| report.error.as_str())
}

/// Checks that Odoo contains what the spec derives from every SaaS record.
pub(super) fn converged(evidence: &Evidence, world: &World) -> Result<(), Mismatch> {
    let mut found = Vec::new();
    let mut models = Vec::new();
    let mut checked = 0;
    for record in &world.expected {
        let key = (record.entity, record.saas_id.clone());
        if evidence.declared_unsyncable.contains(&key) {
            continue;
        }
        checked += 1;
        let problems = record_problems(evidence, world, record);
        if !problems.is_empty() && !models.contains(&record.model) {
            models.push(record.model.clone());
        }
        found.extend(problems);
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        expected: format!("Odoo holds what the spec derives from all {checked} SaaS records"),
        found: truncate(found),
        journal: journal::trouble_on(evidence.journal, &models),
    })
}

fn record_problems(evidence: &Evidence, world: &World, record: &ExpectedRecord) -> Vec<String> {
    let label = format!("{} {}", record.entity, record.saas_id);
    let report = last_report(evidence, record.entity, &record.saas_id);
    let was_reported = report.is_some();
    if let Some(reason) = &record.unsyncable {
        if was_reported {
            return Vec::new();
        }
        return vec![format!(
            "unreported error: {label} cannot sync ({reason}) and the integration did not report it"
        )];
    }
    let state = world.model(&record.model);
    let ids = state.find(&record.key);
    let key = super::compare::describe_key(&record.key);
    match (record.presence, ids.as_slice()) {
        (Presence::Active, []) => {
            let reporting = match report {
                Some(error) => format!("the integration reported {error:?}"),
                None => "and the integration reported no error for it (unreported error)".into(),
            };
            vec![format!(
                "{label} (version {}) is missing: no {} record with {key}, {reporting}",
                record.version, record.model
            )]
        }
        (Presence::Active, [id]) => field_problems(world, record, state, *id, &label),
        (Presence::Active, many) => {
            let records: Vec<String> = many.iter().map(|id| state.describe(*id)).collect();
            vec![format!(
                "{label} has {} records with {key}: {}",
                many.len(),
                records.join("; ")
            )]
        }
        (Presence::Archived, ids) => ids
            .iter()
            .filter(|id| state.is_active(**id))
            .map(|id| {
                format!(
                    "{label} is deleted in the SaaS but {} is still active",
                    state.describe(*id)
                )
            })
            .collect(),
        (Presence::Absent, ids) => ids
            .iter()
            .map(|id| {
                format!(
                    "{label} is deleted in the SaaS but {} still exists",
                    state.describe(*id)
                )
            })
            .collect(),
    }
}

fn field_problems(
    world: &World,
    record: &ExpectedRecord,
    state: &ModelState,
    id: i64,
    label: &str,
) -> Vec<String> {
    let row = &state.rows[&id];
    let mut problems = Vec::new();
    for (field, expected) in &record.fields {
        if !state.has_field(field) {
            problems.push(format!("{label}: {} has no field {field}", state.model));
            continue;
        }
        let expected = world.resolve(state, field, expected);
        // A value the SaaS leaves empty cannot clear a required field, so
        // the field keeps Odoo's own default.
        if expected == Resolved::Literal(Value::Null) && is_required(&state.fields, field) {
            continue;
        }
        let actual = row.get(field).unwrap_or(&Value::Bool(false));
        if !matches(&expected, actual, field_type(&state.fields, field)) {
            problems.push(format!(
                "{label}: {field} of {} is {}, expected {}",
                state.describe(id),
                show_actual(actual),
                show_expected(&expected)
            ));
        }
    }
    if !record.fields.contains_key("active") && !state.is_active(id) {
        problems.push(format!("{label}: {} is archived", state.describe(id)));
    }
    if let Some(lines) = &record.lines {
        problems.extend(line_problems(world, lines, row, label));
    }
    problems
}

fn line_problems(
    world: &World,
    lines: &crate::expected::ExpectedLines,
    row: &Map<String, Value>,
    label: &str,
) -> Vec<String> {
    let state = world.model(&lines.model);
    let mut remaining: Vec<i64> = row
        .get(&lines.field)
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    for expected in &lines.lines {
        let position = remaining.iter().position(|id| {
            state
                .rows
                .get(id)
                .is_some_and(|line| line_matches(world, state, expected, line))
        });
        match position {
            Some(position) => {
                remaining.remove(position);
            }
            None => problems.push(format!(
                "{label}: no {} matches the expected line {}",
                lines.model,
                show_line(world, state, expected)
            )),
        }
    }
    for id in remaining {
        problems.push(format!("{label}: unexpected line {}", state.describe(id)));
    }
    problems
}

fn line_matches(
    world: &World,
    state: &ModelState,
    expected: &IndexMap<String, ExpectedValue>,
    line: &Map<String, Value>,
) -> bool {
    expected.iter().all(|(field, value)| {
        let actual = line.get(field).unwrap_or(&Value::Bool(false));
        matches(
            &world.resolve(state, field, value),
            actual,
            field_type(&state.fields, field),
        )
    })
}

fn show_line(
    world: &World,
    state: &ModelState,
    expected: &IndexMap<String, ExpectedValue>,
) -> String {
    let parts: Vec<String> = expected
        .iter()
        .map(|(field, value)| {
            let resolved = world.resolve(state, field, value);
            format!("{field}: {}", show_expected(&resolved))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// The plain field values a version determines, normalised so that Odoo's
/// empty values and the SaaS's missing ones compare equal.
pub(super) fn content(
    state: &ModelState,
    fields: &IndexMap<String, ExpectedValue>,
) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(name, _)| CONTENT_TYPES.contains(&field_type(&state.fields, name)))
        .filter(|(name, _)| state.has_field(name))
        .filter_map(|(name, value)| match value {
            // Content fields are not relational, so a constant is its value.
            ExpectedValue::Literal(value) | ExpectedValue::Constant(value) => {
                Some((name.clone(), normalise(value)))
            }
            _ => None,
        })
        .collect()
}

/// Reads the same fields as [`content`] from an Odoo record.
pub(super) fn row_content(
    row: &Map<String, Value>,
    like: &[(String, String)],
) -> Vec<(String, String)> {
    like.iter()
        .map(|(name, _)| {
            (
                name.clone(),
                normalise(row.get(name).unwrap_or(&Value::Null)),
            )
        })
        .collect()
}

fn normalise(value: &Value) -> String {
    if super::compare::is_empty(value) {
        return String::new();
    }
    match value {
        Value::Number(n) => format!("{:.6}", n.as_f64().unwrap_or_default()),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks that no Odoo record contains an older version of its SaaS record.
pub(super) fn no_lost_updates(evidence: &Evidence, world: &World) -> Result<(), Mismatch> {
    let mut found = Vec::new();
    let mut models = Vec::new();
    for record in &world.expected {
        let declared = evidence
            .declared_unsyncable
            .contains(&(record.entity, record.saas_id.clone()));
        if record.presence != Presence::Active || record.unsyncable.is_some() || declared {
            continue;
        }
        let state = world.model(&record.model);
        let [id] = state.find(&record.key)[..] else {
            continue;
        };
        if let Some(problem) = lost_update(evidence, state, record, id) {
            found.push(problem);
            models.push(record.model.clone());
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        expected: "every Odoo record holds the latest version of its SaaS record".into(),
        found: truncate(found),
        journal: journal::writes_on(evidence.journal, &models),
    })
}

fn lost_update(
    evidence: &Evidence,
    state: &ModelState,
    record: &ExpectedRecord,
    id: i64,
) -> Option<String> {
    let entity_spec = evidence.spec.entities.get(record.entity.as_str())?;
    let saas_record = evidence.saas.record(record.entity, &record.saas_id)?;
    let latest = content(state, &record.fields);
    let actual = row_content(&state.rows[&id], &latest);
    if actual == latest {
        return None;
    }
    let older = saas_record
        .history
        .iter()
        .enumerate()
        .rev()
        .skip(1)
        .find_map(|(index, data)| {
            let (fields, _) = map_version(evidence.spec, evidence.saas, entity_spec, data).ok()?;
            (content(state, &fields) == actual).then_some(index + 1)
        })?;
    let differences: Vec<String> = latest
        .iter()
        .zip(&actual)
        .filter(|(l, a)| l != a)
        .map(|((name, l), (_, a))| format!("{name} {a:?} instead of {l:?}"))
        .collect();
    Some(format!(
        "lost update: {} {} shows version {older} in {} ({}), but the SaaS is at version {}",
        record.entity,
        record.saas_id,
        state.describe(id),
        differences.join(", "),
        record.version
    ))
}

/// Checks that every listed record was reported to the SaaS.
pub(super) fn errors_reported(
    evidence: &Evidence,
    records: &[(Entity, String)],
) -> Result<(), Mismatch> {
    let missing: Vec<String> = records
        .iter()
        .filter(|(entity, id)| !reported(evidence, *entity, id))
        .map(|(entity, id)| {
            format!("unreported error: {entity} {id} could not sync and the integration did not report it")
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = records.iter().map(|(e, id)| format!("{e} {id}")).collect();
    let mut found = missing;
    found.push(format!("reports received: {}", describe_reports(evidence)));
    Err(Mismatch {
        expected: format!(
            "a POST /v1/sync-report for each record that cannot sync: {}",
            listed.join(", ")
        ),
        found: truncate(found),
        journal: journal::failed_calls(evidence.journal),
    })
}

fn describe_reports(evidence: &Evidence) -> String {
    let reports = evidence.saas.reports();
    if reports.is_empty() {
        return "none".into();
    }
    let listed: Vec<String> = reports
        .iter()
        .take(10)
        .map(|r| format!("{} {} in pass {} ({:?})", r.entity, r.id, r.pass, r.error))
        .collect();
    listed.join("; ")
}

/// Checks the number of records matching a domain.
pub(super) fn odoo_query(evidence: &Evidence, query: &OdooQuery) -> Result<(), Mismatch> {
    let expected = format!(
        "{} {} records matching {}{}",
        query.count,
        query.model,
        query.domain,
        if query.include_archived {
            ", archived included"
        } else {
            ""
        }
    );
    let ids = evidence
        .odoo
        .search(&query.model, query.domain.clone(), query.include_archived)
        .map_err(|error| Mismatch {
            expected: expected.clone(),
            found: vec![error.to_string()],
            journal: Vec::new(),
        })?;
    if ids.len() == query.count {
        return Ok(());
    }
    let rows = evidence
        .odoo
        .read(&query.model, &ids[..ids.len().min(10)], &["display_name"])
        .unwrap_or_default();
    let mut found = vec![format!("{} records", ids.len())];
    found.extend(rows.iter().map(|row| {
        format!(
            "{} {} {}",
            query.model,
            row.get("id").cloned().unwrap_or_default(),
            row.get("display_name").cloned().unwrap_or_default()
        )
    }));
    Err(Mismatch {
        expected,
        found: truncate(found),
        journal: journal::writes_on(evidence.journal, std::slice::from_ref(&query.model)),
    })
}
