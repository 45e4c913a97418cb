//! The order in which a page of changes is applied.
//!
//! A page may hold several changes of one record. Each change carries the
//! record's whole state, so only the highest version of each record is
//! applied. Upserts go first, and entities that others refer to go before
//! the entities that refer to them (customers and products before orders),
//! so that `ref` transforms find their records. Deletes follow in the
//! reverse order, so an order goes before the customer it refers to.
//! Within one entity, changes keep the feed's order.

use std::collections::{BTreeMap, BTreeSet};

use crate::saas::{Change, Operation};
use crate::spec::{Spec, Transform};

/// Returns the spec's entities with every entity after the entities its
/// `ref` transforms point to. Entities in a cycle keep the spec's order.
pub fn entity_order(spec: &Spec) -> Vec<String> {
    let mut dependencies: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, entity) in &spec.entities {
        let mappings = entity
            .fields
            .values()
            .chain(entity.lines.iter().flat_map(|lines| lines.fields.values()));
        let targets = mappings
            .filter_map(|m| match &m.transform {
                Some(Transform::Ref(target)) if target != name => Some(target.as_str()),
                _ => None,
            })
            .collect();
        dependencies.insert(name.as_str(), targets);
    }
    let mut ordered: Vec<String> = Vec::new();
    while ordered.len() < spec.entities.len() {
        let ready = spec.entities.keys().find(|name| {
            !ordered.contains(name)
                && dependencies[name.as_str()]
                    .iter()
                    .all(|dep| ordered.iter().any(|done| done == dep))
        });
        match ready {
            Some(name) => ordered.push(name.clone()),
            None => {
                let rest = spec
                    .entities
                    .keys()
                    .filter(|n| !ordered.contains(n))
                    .cloned();
                ordered.extend(rest.collect::<Vec<_>>());
            }
        }
    }
    ordered
}

/// Keeps the highest version of each record and orders the changes for
/// applying. Entities missing from `order` go last.
pub fn plan_page(changes: Vec<Change>, order: &[String]) -> Vec<Change> {
    let mut latest: BTreeMap<(String, String), Change> = BTreeMap::new();
    for change in changes {
        let key = (change.entity.clone(), change.id.clone());
        let newer = latest
            .get(&key)
            .is_none_or(|kept| (change.version, change.seq) > (kept.version, kept.seq));
        if newer {
            latest.insert(key, change);
        }
    }
    let rank = |entity: &str| {
        order
            .iter()
            .position(|e| e == entity)
            .unwrap_or(order.len())
    };
    let (mut upserts, mut deletes): (Vec<Change>, Vec<Change>) = latest
        .into_values()
        .partition(|change| change.op == Operation::Upsert);
    upserts.sort_by_key(|c| (rank(&c.entity), c.seq));
    deletes.sort_by_key(|c| (std::cmp::Reverse(rank(&c.entity)), c.seq));
    upserts.extend(deletes);
    upserts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(seq: u64, entity: &str, id: &str, op: Operation, version: u64) -> Change {
        Change {
            seq,
            entity: entity.to_owned(),
            id: id.to_owned(),
            op,
            version,
            data: None,
        }
    }

    fn spec() -> Spec {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/mappings/odoo-17.yaml"
        );
        Spec::load(std::path::Path::new(path)).expect("the shipped spec loads")
    }

    fn order() -> Vec<String> {
        ["customer", "product", "order"].map(str::to_owned).to_vec()
    }

    #[test]
    fn referenced_entities_come_first() {
        assert_eq!(entity_order(&spec()), order());
    }

    #[test]
    fn keeps_highest_version_per_record() {
        let planned = plan_page(
            vec![
                change(1, "customer", "c1", Operation::Upsert, 1),
                change(2, "customer", "c1", Operation::Upsert, 3),
                change(3, "customer", "c1", Operation::Upsert, 2),
            ],
            &order(),
        );
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].version, 3);
        assert_eq!(planned[0].seq, 2);
    }

    #[test]
    fn delete_after_upsert_wins() {
        let planned = plan_page(
            vec![
                change(1, "customer", "c1", Operation::Upsert, 1),
                change(2, "customer", "c1", Operation::Delete, 2),
            ],
            &order(),
        );
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].op, Operation::Delete);
    }

    #[test]
    fn upserts_by_dependency_then_deletes_reversed() {
        let planned = plan_page(
            vec![
                change(1, "order", "o1", Operation::Upsert, 1),
                change(2, "customer", "c2", Operation::Delete, 4),
                change(3, "order", "o2", Operation::Delete, 2),
                change(4, "customer", "c1", Operation::Upsert, 1),
                change(5, "product", "p1", Operation::Upsert, 1),
                change(6, "unknown", "x1", Operation::Upsert, 1),
            ],
            &order(),
        );
        let ids: Vec<&str> = planned.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c1", "p1", "o1", "x1", "o2", "c2"]);
    }
}
