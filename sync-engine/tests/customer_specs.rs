//! The customer specs under `fixtures/mappings/`, each run against its
//! customer's profile as that customer's integration user.

mod support;

use odoo_sync::rpc::Protocol;
use serde_json::{json, Value};
use support::{customer, order, product, Fixture};

fn one(
    fixture: &Fixture,
    model: &str,
    domain: Value,
    fields: &[&str],
) -> serde_json::Map<String, Value> {
    let mut rows = fixture.search_read(model, domain.clone(), fields);
    assert_eq!(rows.len(), 1, "{model} {domain}: {rows:?}");
    rows.remove(0)
}

fn acme() -> Fixture {
    Fixture::for_customer(
        Protocol::JsonRpc,
        "studio-acme.yaml",
        "studio-acme.yaml",
        "sync@acme.test",
        "acme-web-shop-api-key",
    )
}

#[test]
fn acme_segments_new_customers() {
    let fixture = acme();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    let mut large = customer("Big Corp", "buyer@big.example", "US");
    large["segment"] = json!("ent");
    fixture.saas.upsert("customer", "c2", large);

    let summary = fixture.pass();

    assert_eq!(summary.applied, 2);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert!(summary.drift.is_empty(), "{:?}", summary.drift);
    let ada = one(
        &fixture,
        "res.partner",
        json!([["email", "=", "ada@example.com"]]),
        &["x_studio_segment"],
    );
    assert_eq!(ada["x_studio_segment"], json!("smb"));
    let big = one(
        &fixture,
        "res.partner",
        json!([["email", "=", "buyer@big.example"]]),
        &["x_studio_segment"],
    );
    assert_eq!(big["x_studio_segment"], json!("ent"));
    assert!(fixture.xmlid("webshop", "customer_c1").is_some());
}

#[test]
fn acme_orders_use_odoo_products() {
    let fixture = acme();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("E-COM07", "Large Cabinet", 320.0));
    fixture.saas.upsert(
        "order",
        "o1",
        order(
            "WEB-1",
            "c1",
            "confirmed",
            &[("E-COM07", 2.0, 320.0), ("FURN_8888", 1.0, 40.0)],
        ),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 2);
    assert_eq!(summary.skipped, 1, "products are not synced");
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "WEB-1"]]),
        &["state", "order_line"],
    );
    assert_eq!(sale["state"], json!("sale"));
    let lines = fixture.search_read(
        "sale.order.line",
        json!([["order_id", "=", sale["id"]]]),
        &["product_id"],
    );
    let codes: Vec<String> = lines
        .iter()
        .map(|line| {
            line["product_id"][1]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        codes,
        ["[E-COM07] Large Cabinet", "[FURN_8888] Office Lamp"]
    );
}

#[test]
fn acme_order_deletion_is_reported() {
    let fixture = acme();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture.saas.upsert(
        "order",
        "o1",
        order("WEB-1", "c1", "draft", &[("E-COM07", 1.0, 320.0)]),
    );
    fixture.pass();
    fixture.saas.delete("order", "o1");

    let summary = fixture.pass();

    assert_eq!(summary.reported, 1);
    let reports = fixture.saas.reports_for("order", "o1");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["retryable"], json!(false));
    let text = reports[0]["error"].as_str().unwrap_or_default();
    assert!(text.starts_with("unlink on sale.order"), "{text}");
}

fn globex() -> Fixture {
    Fixture::for_customer(
        Protocol::XmlRpc,
        "restricted-globex.yaml",
        "restricted-globex.yaml",
        "sync@globex.test",
        "globex-eu-sync-api-key",
    )
}

#[test]
fn globex_records_belong_to_europe() {
    let fixture = globex();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "NL"),
    );
    fixture.saas.upsert(
        "order",
        "o1",
        order("WEB-EU-9001", "c1", "confirmed", &[("E-COM07", 1.0, 320.0)]),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 2);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let europe = fixture
        .xmlid("globex", "company_eu")
        .expect("Globex Europe exists");
    let ada = one(
        &fixture,
        "res.partner",
        json!([["email", "=", "ada@example.com"]]),
        &["company_id"],
    );
    assert_eq!(ada["company_id"][0], json!(europe));
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "WEB-EU-9001"]]),
        &["company_id", "state"],
    );
    assert_eq!(sale["company_id"][0], json!(europe));
    assert_eq!(sale["state"], json!("sale"));
}

#[test]
fn globex_archives_customers() {
    let fixture = globex();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "NL"),
    );
    fixture.pass();
    fixture.saas.delete("customer", "c1");

    let summary = fixture.pass();

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let ada = one(
        &fixture,
        "res.partner",
        json!([["email", "=", "ada@example.com"]]),
        &["active"],
    );
    assert_eq!(ada["active"], json!(false));
}

fn initech() -> Fixture {
    Fixture::for_customer(
        Protocol::XmlRpc,
        "legacy-initech.yaml",
        "legacy-initech.yaml",
        "bill@initech.test",
        "lumbergh",
    )
}

#[test]
fn initech_fills_tax_id_and_reference() {
    let fixture = initech();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "US"),
    );
    let mut taxed = customer("Big Corp", "buyer@big.example", "US");
    taxed["vat"] = json!("US-99-0000001");
    fixture.saas.upsert("customer", "c2", taxed);
    fixture
        .saas
        .upsert("product", "p1", product("TPS-1", "TPS Report Cover", 2.5));
    fixture.saas.upsert(
        "order",
        "o1",
        order("INI-1", "c1", "confirmed", &[("TPS-1", 100.0, 2.5)]),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 4);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let ada = one(
        &fixture,
        "res.partner",
        json!([["ref", "=", "c1"]]),
        &["vat", "x_credit_tier"],
    );
    assert_eq!(ada["vat"], json!("/"));
    assert_eq!(ada["x_credit_tier"], json!("standard"));
    let big = one(
        &fixture,
        "res.partner",
        json!([["ref", "=", "c2"]]),
        &["vat"],
    );
    assert_eq!(big["vat"], json!("US-99-0000001"));
}

#[test]
fn initech_replay_writes_nothing() {
    let fixture = initech();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "US"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("TPS-1", "TPS Report Cover", 2.5));
    fixture.saas.upsert(
        "order",
        "o1",
        order("INI-1", "c1", "confirmed", &[("TPS-1", 100.0, 2.5)]),
    );
    fixture.pass();
    std::fs::remove_dir_all(fixture.state_dir.path()).expect("the state directory is removed");

    let summary = fixture.pass();

    assert_eq!(summary.applied, 3);
    assert_eq!(summary.writes, 0);
    let partners = fixture.search_read("res.partner", json!([["ref", "=", "c1"]]), &["id"]);
    assert_eq!(partners.len(), 1);
}
