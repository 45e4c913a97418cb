//! The shortcuts that searches take must give the results of the plain
//! algorithms: a domain evaluated within some records equals the full
//! evaluation intersected with them, and a partial sort puts the same
//! records first as a full sort.

use std::collections::BTreeSet;

use odoo_emulator::orm::domain::{self, Domain};
use odoo_emulator::orm::{order, Env, SUPERUSER_ID};
use odoo_emulator::profile::Profile;
use odoo_emulator::Value;

const DOMAINS: &[&str] = &[
    r#"[]"#,
    r#"[["name", "ilike", "a"]]"#,
    r#"["!", ["name", "ilike", "a"]]"#,
    r#"["|", ["email", "=", false], ["is_company", "=", true]]"#,
    r#"[["active", "in", [true, false]], ["name", "!=", "Ada"]]"#,
    r#"[["parent_id", "child_of", "Acme"]]"#,
    r#"[["id", "parent_of", [3]]]"#,
    r#"[["parent_id.name", "=", "Acme"]]"#,
    r#"[["country_id", "not ilike", "bel"]]"#,
    r#"[["category_id", "in", [1]]]"#,
    r#"[["child_ids", "any", [["email", "!=", false]]]]"#,
    r#"[["child_ids", "not any", []]]"#,
];

fn contacts() -> Profile {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/contacts.yaml");
    Profile::load(path).expect("the test profile loads")
}

fn parse(domain: &str) -> Domain {
    let json: serde_json::Value = serde_json::from_str(domain).expect("test domains are JSON");
    Domain::parse(&Value::from(json)).expect("test domains are valid")
}

/// Returns every third subset of the partner ids, and a set of ids that
/// are not records.
fn scopes(all: &[i64]) -> Vec<BTreeSet<i64>> {
    let mut scopes: Vec<BTreeSet<i64>> = (0..1u32 << all.len())
        .step_by(3)
        .map(|mask| {
            all.iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, id)| *id)
                .collect()
        })
        .collect();
    scopes.push(BTreeSet::from([999, 1000]));
    scopes
}

#[test]
fn evaluate_within_equals_intersection() {
    let mut profile = contacts();
    let env = Env::new(
        &mut profile.seed,
        SUPERUSER_ID,
        Default::default(),
        String::new(),
        profile.version,
    );
    let model = env.model("res.partner").expect("the profile has partners");
    let all = env.all_ids("res.partner");

    for text in DOMAINS {
        let domain = parse(text);
        let full = domain::evaluate(&env, &model, &domain).expect("the domain evaluates");
        for scope in scopes(&all) {
            let within = domain::evaluate_within(&env, &model, &domain, &scope)
                .expect("the domain evaluates within a scope");
            let expected: BTreeSet<i64> = full.intersection(&scope).copied().collect();
            assert_eq!(within, expected, "domain {text} within {scope:?}");
        }
    }
}

#[test]
fn evaluate_within_raises_on_empty_scope() {
    let mut profile = contacts();
    let env = Env::new(
        &mut profile.seed,
        SUPERUSER_ID,
        Default::default(),
        String::new(),
        profile.version,
    );
    let model = env.model("res.partner").expect("the profile has partners");
    let domain = parse(r#"[["name", "=", "Ada"], ["no_such_field", "=", 1]]"#);

    let full = domain::evaluate(&env, &model, &domain);
    let within = domain::evaluate_within(&env, &model, &domain, &BTreeSet::new());

    assert!(full.is_err());
    assert_eq!(within, full);
}

#[test]
fn sort_first_matches_full_sort() {
    let mut profile = contacts();
    let env = Env::new(
        &mut profile.seed,
        SUPERUSER_ID,
        Default::default(),
        String::new(),
        profile.version,
    );
    let model = env.model("res.partner").expect("the profile has partners");
    let all = env.all_ids("res.partner");

    for text in [
        "name",
        "name desc",
        "parent_id, email desc nulls first",
        "country_id desc, id",
    ] {
        let terms = order::parse(&model, text).expect("the order is valid");
        let mut sorted = all.clone();
        order::sort(&env, &model, &mut sorted, &terms).expect("sorting succeeds");
        for count in 0..=all.len() {
            let mut partial = all.clone();
            order::sort_first(&env, &model, &mut partial, &terms, count).expect("sorting succeeds");
            assert_eq!(
                partial[..count],
                sorted[..count],
                "order {text}, first {count}"
            );
        }
    }
}
