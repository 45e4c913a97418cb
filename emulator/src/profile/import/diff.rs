//! Comparing the server's [`Snapshot`] with the built-in base's, into the
//! `models`, `groups`, `access` and `rules` sections of a profile.
//!
//! The profile format only adds to its base: it cannot remove a model, a
//! group, an access row or a rule, nor unset a field's `help` or `size`.
//! Each such difference becomes a note, which the importer writes into the
//! profile's header and logs.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::orm::schema::Schema;
use crate::profile::format::{AccessSpec, FieldSpec, GroupSpec, ModelSpec, RuleSpec};

use super::snapshot::{AccessRow, FieldInfo, ModelInfo, RuleRow, Snapshot, AUTOMATIC_FIELDS};

/// The differences between the server and the base, as profile sections.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub models: IndexMap<String, ModelSpec>,
    pub groups: Vec<GroupSpec>,
    pub access: Vec<AccessSpec>,
    pub rules: Vec<RuleSpec>,
    /// Differences the profile cannot express, one sentence each.
    pub notes: Vec<String>,
}

/// Compares the `selected` models, every group, and the access rows and
/// rules of the selected models. `base_schema` is the base's resolved
/// schema, which records the fields each model delegates through
/// `_inherits`.
pub fn compare(
    live: &Snapshot,
    base: &Snapshot,
    base_schema: &Schema,
    selected: &BTreeSet<String>,
) -> Changes {
    let mut changes = Changes::default();
    for name in selected {
        let spec = match (live.models.get(name), base.models.get(name)) {
            (Some(model), None) => Some(new_model(name, model, &mut changes.notes)),
            (Some(model), Some(base_model)) => {
                let context = ModelContext {
                    name,
                    live,
                    base_schema,
                };
                changed_model(&context, model, base_model, &mut changes.notes)
            }
            (None, Some(_)) => {
                changes.notes.push(format!(
                    "The base's model {name} is not on the server, and a profile cannot \
                     remove a model."
                ));
                None
            }
            (None, None) => None,
        };
        if let Some(spec) = spec {
            changes.models.insert(name.clone(), spec);
        }
    }
    drop_dangling_relations(&mut changes, base_schema);
    compare_groups(live, base, &mut changes);
    compare_access(&live.access, &base.access, &mut changes);
    compare_rules(&live.rules, &base.rules, &mut changes);
    changes
}

/// The model that a field comparison runs in, with the data it consults.
struct ModelContext<'a> {
    name: &'a str,
    live: &'a Snapshot,
    base_schema: &'a Schema,
}

impl ModelContext<'_> {
    /// Tells whether a field of the model is delegated through
    /// `_inherits`: delegated in the base, or new on the server and also a
    /// field of a parent model there. Its parent's entry covers it.
    fn is_delegated(&self, field: &str) -> bool {
        let Some(model) = self.base_schema.model(self.name) else {
            return false;
        };
        if let Some(own) = model.field(field) {
            return own.delegated.is_some();
        }
        model.inherits.keys().any(|parent| {
            self.live
                .models
                .get(parent)
                .is_some_and(|p| p.fields.contains_key(field))
        })
    }
}

fn is_automatic(field: &str) -> bool {
    AUTOMATIC_FIELDS.contains(&field)
}

fn new_model(name: &str, model: &ModelInfo, notes: &mut Vec<String>) -> ModelSpec {
    let mut spec = ModelSpec {
        description: Some(if model.description.is_empty() {
            name.to_owned()
        } else {
            model.description.clone()
        }),
        order: model.order.clone().filter(|order| order != "id"),
        ..ModelSpec::default()
    };
    for (field_name, field) in &model.fields {
        if is_automatic(field_name) {
            continue;
        }
        note_computed(name, field_name, field, notes);
        spec.fields.insert(field_name.clone(), added_field(field));
    }
    spec
}

fn changed_model(
    context: &ModelContext<'_>,
    model: &ModelInfo,
    base: &ModelInfo,
    notes: &mut Vec<String>,
) -> Option<ModelSpec> {
    let mut spec = ModelSpec::default();
    if model.description != base.description && !model.description.is_empty() {
        spec.description = Some(model.description.clone());
    }
    if model.order.is_some() && model.order != base.order {
        spec.order = model.order.clone();
    }
    for (field_name, field) in &model.fields {
        if is_automatic(field_name) || context.is_delegated(field_name) {
            continue;
        }
        let change = match base.fields.get(field_name) {
            Some(base_field) => changed_field(context.name, field_name, field, base_field, notes),
            None => {
                note_computed(context.name, field_name, field, notes);
                Some(added_field(field))
            }
        };
        if let Some(change) = change {
            spec.fields.insert(field_name.clone(), change);
        }
    }
    for field_name in base.fields.keys() {
        let still_present = model.fields.contains_key(field_name);
        if still_present || is_automatic(field_name) || context.is_delegated(field_name) {
            continue;
        }
        let removal = FieldSpec {
            remove: true,
            ..FieldSpec::default()
        };
        spec.fields.insert(field_name.clone(), removal);
    }
    spec.fields.sort_keys();
    let unchanged = spec.description.is_none() && spec.order.is_none() && spec.fields.is_empty();
    (!unchanged).then_some(spec)
}

fn note_computed(model: &str, name: &str, field: &FieldInfo, notes: &mut Vec<String>) {
    if field.computed {
        notes.push(format!(
            "{model}.{name} is computed or related on the server; it is imported as a plain \
             field, whose value does not follow its dependencies."
        ));
    }
}

/// Describes a field that the base does not have.
fn added_field(field: &FieldInfo) -> FieldSpec {
    let relational = matches!(
        field.field_type.as_str(),
        "many2one" | "one2many" | "many2many"
    );
    FieldSpec {
        field_type: Some(field.field_type.clone()),
        string: Some(field.string.clone()),
        help: field.help.clone(),
        required: field.required.then_some(true),
        readonly: field.readonly.then_some(true),
        store: (!field.store).then_some(false),
        index: field.index.then_some(true),
        translate: field.translate.then_some(true),
        relation: field.relation.clone().filter(|_| relational),
        inverse: field
            .inverse
            .clone()
            .filter(|_| field.field_type == "one2many"),
        ondelete: field.ondelete.clone().filter(|o| o != "set null"),
        selection: (field.field_type == "selection").then(|| field.selection.clone()),
        size: field.size.and_then(|size| u32::try_from(size).ok()),
        ..FieldSpec::default()
    }
}

/// Describes what changed in a field the base has, or `None`.
fn changed_field(
    model: &str,
    name: &str,
    field: &FieldInfo,
    base: &FieldInfo,
    notes: &mut Vec<String>,
) -> Option<FieldSpec> {
    if field.field_type != base.field_type {
        let mut spec = added_field(field);
        spec.required = Some(field.required);
        spec.readonly = Some(field.readonly);
        return Some(spec);
    }
    let differs = |live: bool, base: bool| (live != base).then_some(live);
    let mut spec = FieldSpec {
        string: (field.string != base.string).then(|| field.string.clone()),
        required: differs(field.required, base.required),
        readonly: differs(field.readonly, base.readonly),
        store: differs(field.store, base.store),
        index: differs(field.index, base.index),
        translate: differs(field.translate, base.translate),
        relation: field
            .relation
            .clone()
            .filter(|_| field.relation != base.relation),
        inverse: field
            .inverse
            .clone()
            .filter(|_| field.inverse != base.inverse),
        ondelete: field
            .ondelete
            .clone()
            .filter(|_| field.ondelete != base.ondelete),
        ..FieldSpec::default()
    };
    if field.help != base.help {
        if field.help.is_none() {
            notes.push(format!(
                "{model}.{name} has no help text on the server, and a profile cannot remove \
                 the base's; it is set to an empty text."
            ));
        }
        spec.help = Some(field.help.clone().unwrap_or_default());
    }
    if field.size != base.size {
        match field.size.and_then(|size| u32::try_from(size).ok()) {
            Some(size) => spec.size = Some(size),
            None => notes.push(format!(
                "{model}.{name} has no size limit on the server, and a profile cannot remove \
                 the base's."
            )),
        }
    }
    change_selection(&field.selection, &base.selection, &mut spec);
    (!is_unchanged(&spec)).then_some(spec)
}

/// Tells whether a change sets none of the attributes [`changed_field`]
/// compares.
fn is_unchanged(spec: &FieldSpec) -> bool {
    spec.string.is_none()
        && spec.help.is_none()
        && spec.required.is_none()
        && spec.readonly.is_none()
        && spec.store.is_none()
        && spec.index.is_none()
        && spec.translate.is_none()
        && spec.relation.is_none()
        && spec.inverse.is_none()
        && spec.ondelete.is_none()
        && spec.size.is_none()
        && spec.selection.is_none()
        && spec.selection_add.is_none()
        && spec.selection_remove.is_none()
}

/// Writes a selection change as `selection_add` and `selection_remove`
/// when those reproduce the server's list, in order, and as the whole
/// `selection` otherwise.
fn change_selection(live: &[(String, String)], base: &[(String, String)], spec: &mut FieldSpec) {
    if live == base {
        return;
    }
    let removed: Vec<String> = base
        .iter()
        .filter(|(key, _)| !live.iter().any(|(k, _)| k == key))
        .map(|(key, _)| key.clone())
        .collect();
    let added: Vec<(String, String)> = live
        .iter()
        .filter(|pair| !base.contains(pair))
        .cloned()
        .collect();
    let mut result: Vec<(String, String)> = base
        .iter()
        .filter(|(key, _)| !removed.contains(key))
        .cloned()
        .collect();
    for (key, label) in &added {
        result.retain(|(k, _)| k != key);
        result.push((key.clone(), label.clone()));
    }
    if result != live {
        spec.selection = Some(live.to_vec());
        return;
    }
    spec.selection_add = (!added.is_empty()).then_some(added);
    spec.selection_remove = (!removed.is_empty()).then_some(removed);
}

/// Drops added relational fields whose comodel the profile will not have,
/// and one2many fields whose inverse it will not have, since
/// `profile check` rejects both.
fn drop_dangling_relations(changes: &mut Changes, base_schema: &Schema) {
    let known_models: BTreeSet<String> = base_schema
        .models
        .keys()
        .chain(changes.models.keys())
        .cloned()
        .collect();
    let has_field = |changes: &Changes, model: &str, field: &str| match changes
        .models
        .get(model)
        .and_then(|spec| spec.fields.get(field))
    {
        Some(spec) => !spec.remove,
        None => base_schema.model(model).is_some_and(|m| m.has_field(field)),
    };
    let mut dropped = Vec::new();
    for (model, spec) in &changes.models {
        for (name, field) in &spec.fields {
            let Some(relation) = &field.relation else {
                continue;
            };
            let reason = if !known_models.contains(relation) {
                format!("its comodel {relation} is not part of the profile")
            } else if let Some(inverse) = field
                .inverse
                .as_ref()
                .filter(|_| field.field_type.as_deref() == Some("one2many"))
            {
                if has_field(changes, relation, inverse) {
                    continue;
                }
                format!("its inverse {relation}.{inverse} is not part of the profile")
            } else {
                continue;
            };
            dropped.push((model.clone(), name.clone(), reason));
        }
    }
    for (model, name, reason) in dropped {
        if let Some(spec) = changes.models.get_mut(&model) {
            spec.fields.shift_remove(&name);
        }
        changes.notes.push(format!(
            "{model}.{name} is left out because {reason}; add the model with --models."
        ));
    }
}

fn compare_groups(live: &Snapshot, base: &Snapshot, changes: &mut Changes) {
    for (xmlid, group) in &live.groups {
        if base.groups.get(xmlid) == Some(group) {
            continue;
        }
        changes.groups.push(GroupSpec {
            xmlid: xmlid.clone(),
            name: group.name.clone(),
            implied: group.implied.clone(),
        });
    }
    for xmlid in base.groups.keys() {
        if !live.groups.contains_key(xmlid) {
            changes.notes.push(format!(
                "The base's group {xmlid} is not on the server, and a profile cannot remove a \
                 group."
            ));
        }
    }
}

/// Returns the rows of `rows` that `other` lacks, counting duplicates.
fn missing_from<T: PartialEq + Clone>(rows: &[T], other: &[T]) -> Vec<T> {
    let mut remaining: Vec<&T> = other.iter().collect();
    let mut missing = Vec::new();
    for row in rows {
        match remaining.iter().position(|candidate| *candidate == row) {
            Some(index) => {
                remaining.swap_remove(index);
            }
            None => missing.push(row.clone()),
        }
    }
    missing
}

fn compare_access(live: &[AccessRow], base: &[AccessRow], changes: &mut Changes) {
    for row in missing_from(live, base) {
        changes.access.push(AccessSpec {
            name: Some(row.name),
            model: row.model,
            group: row.group,
            read: row.read,
            write: row.write,
            create: row.create,
            unlink: row.unlink,
        });
    }
    for row in missing_from(base, live) {
        changes.notes.push(format!(
            "The base's access row {:?} on {} is not on the server as it is in the base, and a \
             profile cannot remove an access row, so its rights still apply.",
            row.name, row.model
        ));
    }
}

fn compare_rules(live: &[RuleRow], base: &[RuleRow], changes: &mut Changes) {
    for row in missing_from(live, base) {
        changes.rules.push(RuleSpec {
            name: row.name,
            model: row.model,
            groups: row.groups,
            domain_force: row.domain_force,
            perm_read: row.perm_read,
            perm_write: row.perm_write,
            perm_create: row.perm_create,
            perm_unlink: row.perm_unlink,
        });
    }
    for row in missing_from(base, live) {
        changes.notes.push(format!(
            "The base's record rule {:?} on {} is not on the server as it is in the base, and a \
             profile cannot remove a rule, so it still applies.",
            row.name, row.model
        ));
    }
}
