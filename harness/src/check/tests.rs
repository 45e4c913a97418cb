//! The state checks against an emulator written to directly, without an
//! integration: each sync property's message for the bug it exists for.

use std::collections::{BTreeMap, BTreeSet};

use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, Value as OdooValue};
use serde_json::{json, Map, Value};

use super::*;
use crate::saas::SaasStore;
use crate::scenario::Located;

/// An emulator on the built-in profile, the built-in spec and a SaaS
/// store, as a scenario would have them after its steps.
struct Fixture {
    emulator: Emulator,
    odoo: OdooReader,
    spec: Spec,
    saas: SaasStore,
    baseline: BTreeMap<String, BTreeSet<i64>>,
}

impl Fixture {
    fn new() -> Fixture {
        let emulator = Emulator::from_builtin("odoo-17").expect("the built-in profile");
        let odoo = OdooReader::new(emulator.clone(), "demo".into());
        let spec = serde_saphyr::from_str(crate::scenario::BUILTIN_SPECS[0].1).expect("the spec");
        let mut baseline = BTreeMap::new();
        for model in ["res.partner", "product.product", "sale.order"] {
            let ids = odoo.search(model, json!([]), true).expect("a search");
            baseline.insert(model.to_owned(), ids.into_iter().collect());
        }
        Fixture {
            emulator,
            odoo,
            spec,
            saas: SaasStore::default(),
            baseline,
        }
    }

    fn customer(&mut self, id: &str, data: Value) {
        let data = data.as_object().expect("an object").clone();
        self.saas
            .create(Entity::Customer, id, data)
            .expect("a new customer");
    }

    /// Creates a partner as the superuser, with an external id when given.
    fn partner(&self, values: Value, external_id: Option<&str>) -> i64 {
        let created = self.call("res.partner", "create", vec![values]);
        let id = created.as_i64().expect("an id");
        if let Some(name) = external_id {
            let data =
                json!({"module": "saas", "name": name, "model": "res.partner", "res_id": id});
            self.call("ir.model.data", "create", vec![data]);
        }
        id
    }

    fn call(&self, model: &str, method: &str, args: Vec<Value>) -> Value {
        let args = args.into_iter().map(OdooValue::from).collect();
        let result = self
            .emulator
            .execute("demo", 1, model, method, args, Dict::default())
            .unwrap_or_else(|e| panic!("{model}.{method}: {}", e.message));
        Value::from(&result)
    }

    fn check(&self, expectation: Expectation) -> Vec<Failure> {
        let world = World::build(&self.odoo, &self.spec, &self.saas).expect("the world");
        let declared = BTreeSet::new();
        let faults = BTreeMap::new();
        let evidence = Evidence {
            odoo: &self.odoo,
            spec: &self.spec,
            saas: &self.saas,
            journal: &[],
            faults: &faults,
            declared_unsyncable: &declared,
            baseline: &self.baseline,
        };
        check(
            &Located {
                line: 7,
                value: expectation,
            },
            &evidence,
            &world,
        )
    }
}

fn ada() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "customer_rank": 1})
}

fn found(failures: &[Failure]) -> String {
    failures
        .iter()
        .flat_map(|f| f.found.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn converged_when_odoo_matches() {
    let mut fixture = Fixture::new();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    fixture.partner(ada(), Some("customer_c1"));

    let failures = fixture.check(Expectation::Converged);

    assert_eq!(failures, Vec::new());
}

#[test]
fn converged_names_a_wrong_field() {
    let mut fixture = Fixture::new();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@new.example"}),
    );
    fixture.partner(ada(), Some("customer_c1"));

    let failures = fixture.check(Expectation::Converged);

    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].expectation, "converged");
    assert_eq!(failures[0].line, 7);
    let text = found(&failures);
    assert!(text.contains("customer c1: email of res.partner"), "{text}");
    assert!(
        text.contains("is \"ada@example.com\", expected \"ada@new.example\""),
        "{text}"
    );
}

#[test]
fn converged_names_an_unreported_missing_record() {
    let mut fixture = Fixture::new();
    fixture.customer("c1", json!({"name": "Ada Lovelace"}));

    let text = found(&fixture.check(Expectation::Converged));

    assert!(
        text.contains("customer c1 (version 1) is missing"),
        "{text}"
    );
    assert!(text.contains("(unreported error)"), "{text}");
}

#[test]
fn converged_accepts_a_reported_unmappable_record() {
    let mut fixture = Fixture::new();
    let order = json!({"number": "SO-1", "customer_id": "c404"});
    let order = order.as_object().expect("an object").clone();
    fixture
        .saas
        .create(Entity::Order, "o1", order)
        .expect("an order");
    let unreported = found(&fixture.check(Expectation::Converged));
    fixture.saas.add_report(crate::saas::Report {
        entity: "order".into(),
        id: "o1".into(),
        error: "customer c404 is unknown".into(),
        retryable: false,
        pass: 0,
    });

    let reported = fixture.check(Expectation::Converged);

    assert!(
        unreported.contains("unreported error: order o1 cannot sync"),
        "{unreported}"
    );
    assert_eq!(reported, Vec::new());
}

#[test]
fn duplicate_without_key_is_found() {
    let mut fixture = Fixture::new();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    let first = fixture.partner(ada(), None);
    let second = fixture.partner(ada(), Some("customer_c1"));

    let text = found(&fixture.check(Expectation::NoDuplicates));

    assert!(
        text.contains("duplicate res.partner records for customer c1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "res.partner {first} \"Ada Lovelace\" (no external id)"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "res.partner {second} \"Ada Lovelace\" (saas.customer_c1)"
        )),
        "{text}"
    );
}

#[test]
fn same_content_for_two_customers_is_no_duplicate() {
    let mut fixture = Fixture::new();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    fixture.customer(
        "c2",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    fixture.partner(ada(), None);
    fixture.partner(ada(), None);

    let failures = fixture.check(Expectation::NoDuplicates);

    assert_eq!(failures, Vec::new());
}

#[test]
fn older_version_is_a_lost_update() {
    let mut fixture = Fixture::new();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    let set: Map<String, Value> = json!({"email": "ada@new.example"})
        .as_object()
        .expect("an object")
        .clone();
    fixture
        .saas
        .update(Entity::Customer, "c1", &set)
        .expect("an update");
    fixture.partner(ada(), Some("customer_c1"));

    let text = found(&fixture.check(Expectation::NoLostUpdates));

    assert!(
        text.contains("lost update: customer c1 shows version 1"),
        "{text}"
    );
    assert!(
        text.contains("email \"ada@example.com\" instead of \"ada@new.example\""),
        "{text}"
    );
    assert!(text.contains("the SaaS is at version 2"), "{text}");
}

#[test]
fn unknown_values_are_no_lost_update() {
    let mut fixture = Fixture::new();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    fixture.partner(
        json!({"name": "Someone else", "customer_rank": 1}),
        Some("customer_c1"),
    );

    let failures = fixture.check(Expectation::NoLostUpdates);

    assert_eq!(failures, Vec::new());
}

#[test]
fn odoo_query_lists_what_it_found() {
    let fixture = Fixture::new();
    fixture.partner(ada(), None);
    let query = crate::scenario::OdooQuery {
        model: "res.partner".into(),
        domain: json!([["email", "=", "ada@example.com"]]),
        count: 0,
        include_archived: false,
    };

    let failures = fixture.check(Expectation::Odoo(query));

    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]
            .expected
            .starts_with("0 res.partner records matching"),
        "{:?}",
        failures[0]
    );
    assert_eq!(failures[0].found[0], "1 records");
}

/// The built-in spec with every customer placed in the main company by
/// external id, as the engine writes a relational constant.
const COMPANY_SPEC: &str = r#"
name: company-constant
entities:
  customer:
    model: res.partner
    key: {strategy: external_id, prefix: customer_}
    fields:
      name: {from: name}
      email: {from: email}
      company_id: {transform: {constant: base.main_company}}
"#;

impl Fixture {
    fn with_company_spec() -> Fixture {
        let mut fixture = Fixture::new();
        fixture.spec = serde_saphyr::from_str(COMPANY_SPEC).expect("the spec");
        fixture
    }

    /// Returns the record an external id names, as `ir.model.data` has it.
    fn xmlid_target(&self, module: &str, name: &str) -> i64 {
        let domain = json!([["module", "=", module], ["name", "=", name]]);
        let rows = self.call("ir.model.data", "search_read", vec![domain]);
        rows[0]["res_id"].as_i64().expect("a res_id")
    }
}

#[test]
fn many2one_constant_matches_its_record() {
    let mut fixture = Fixture::with_company_spec();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    let company = fixture.xmlid_target("base", "main_company");
    let values = json!({"name": "Ada Lovelace", "email": "ada@example.com", "company_id": company});
    fixture.partner(values, Some("customer_c1"));

    let failures = fixture.check(Expectation::Converged);

    assert_eq!(failures, Vec::new());
}

#[test]
fn many2one_constant_mismatch_names_record() {
    let mut fixture = Fixture::with_company_spec();
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    let company = fixture.xmlid_target("base", "main_company");
    let values = json!({"name": "Ada Lovelace", "email": "ada@example.com", "company_id": false});
    fixture.partner(values, Some("customer_c1"));

    let failures = fixture.check(Expectation::Converged);

    let text = found(&failures);
    assert!(text.contains("company_id of res.partner"), "{text}");
    assert!(
        text.contains(&format!(
            "expected res.company {company} (base.main_company)"
        )),
        "{text}"
    );
}

#[test]
fn many2one_constant_unknown_external_id_fails() {
    let mut fixture = Fixture::new();
    let spec = COMPANY_SPEC.replace("base.main_company", "base.no_such_company");
    fixture.spec = serde_saphyr::from_str(&spec).expect("the spec");
    fixture.customer(
        "c1",
        json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
    );
    let values = json!({"name": "Ada Lovelace", "email": "ada@example.com"});
    fixture.partner(values, Some("customer_c1"));

    let failures = fixture.check(Expectation::Converged);

    let text = found(&failures);
    assert!(
        text.contains("the res.company record with base.no_such_company, which does not exist"),
        "{text}"
    );
}
