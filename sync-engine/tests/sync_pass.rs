//! Whole passes against the real emulator and a fake SaaS, over XML-RPC
//! and JSON-RPC: first sync, updates, deletes, idempotent re-runs,
//! out-of-order versions, references, and records that cannot sync.

mod support;

use odoo_sync::rpc::Protocol;
use odoo_sync::ErrorKind;
use serde_json::{json, Value};
use support::{customer, order, product, Fixture};

/// Declares one test per protocol from a function that takes the protocol.
macro_rules! both_protocols {
    ($($name:ident),* $(,)?) => {
        mod xmlrpc {
            $(#[test] fn $name() { super::$name(odoo_sync::rpc::Protocol::XmlRpc); })*
        }
        mod jsonrpc {
            $(#[test] fn $name() { super::$name(odoo_sync::rpc::Protocol::JsonRpc); })*
        }
    };
}

both_protocols!(
    first_sync_creates_everything,
    update_writes_changed_fields,
    delete_archives_or_unlinks,
    second_pass_writes_nothing,
    replay_from_scratch_writes_nothing,
    bad_records_reported_rest_synced,
    older_version_never_overwrites,
    reference_pulls_missing_customer,
    failed_record_retried_next_pass,
    confirmation_runs_once,
    recreated_customer_is_restored,
);

/// Seeds two customers, two products and a confirmed order with two lines.
fn seed(fixture: &Fixture) {
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture.saas.upsert(
        "customer",
        "c2",
        customer("Alan Turing", "alan@example.com", "GB"),
    );
    fixture.saas.upsert(
        "product",
        "p1",
        product("SKU-1", "Analytical Engine", 1200.5),
    );
    fixture
        .saas
        .upsert("product", "p2", product("SKU-2", "Punch Card", 0.25));
    fixture.saas.upsert(
        "order",
        "o1",
        order(
            "SO-1001",
            "c1",
            "confirmed",
            &[("SKU-1", 1.0, 1200.5), ("SKU-2", 40.0, 0.25)],
        ),
    );
}

fn partner_id(fixture: &Fixture, saas_id: &str) -> i64 {
    fixture
        .xmlid("saas", &format!("customer_{saas_id}"))
        .unwrap_or_else(|| panic!("no external id for customer {saas_id}"))
}

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

fn first_sync_creates_everything(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    seed(&fixture);

    let summary = fixture.pass();

    assert_eq!(summary.changes, 5);
    assert_eq!(summary.applied, 5);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert!(summary.drift.is_empty(), "{:?}", summary.drift);
    let ada = one(
        &fixture,
        "res.partner",
        json!([["id", "=", partner_id(&fixture, "c1")]]),
        &[
            "name",
            "email",
            "phone",
            "is_company",
            "country_id",
            "customer_rank",
        ],
    );
    assert_eq!(ada["name"], json!("Ada Lovelace"));
    assert_eq!(ada["email"], json!("ada@example.com"));
    assert_eq!(ada["phone"], json!("+32 2 555 01 01"));
    assert_eq!(ada["is_company"], json!(false));
    assert_eq!(ada["country_id"][1], json!("Belgium"));
    assert_eq!(ada["customer_rank"], json!(1));
    let engine = one(
        &fixture,
        "product.product",
        json!([["default_code", "=", "SKU-1"]]),
        &["name", "list_price", "active"],
    );
    assert_eq!(engine["name"], json!("Analytical Engine"));
    assert_eq!(engine["list_price"], json!(1200.5));
    assert_eq!(engine["active"], json!(true));
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "SO-1001"]]),
        &["partner_id", "date_order", "state", "order_line"],
    );
    assert_eq!(sale["partner_id"][0], json!(partner_id(&fixture, "c1")));
    assert_eq!(sale["date_order"], json!("2024-05-01 09:30:00"));
    assert_eq!(sale["state"], json!("sale"), "action_confirm ran");
    let lines = fixture.search_read(
        "sale.order.line",
        json!([["order_id", "=", sale["id"]]]),
        &["product_id", "product_uom_qty", "price_unit"],
    );
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["product_id"][0], engine["id"]);
    assert_eq!(lines[0]["product_uom_qty"], json!(1.0));
    assert_eq!(lines[1]["product_uom_qty"], json!(40.0));
    assert_eq!(lines[1]["price_unit"], json!(0.25));
}

fn update_writes_changed_fields(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    seed(&fixture);
    fixture.pass();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@new.example", "BE"),
    );
    fixture.saas.upsert(
        "order",
        "o1",
        order("SO-1001", "c1", "confirmed", &[("SKU-1", 2.0, 1100.0)]),
    );

    let summary = fixture.pass();

    assert_eq!(summary.changes, 2);
    assert_eq!(summary.applied, 2);
    assert_eq!(summary.writes, 2, "one write per changed record");
    let partners = fixture.search_read(
        "res.partner",
        json!([["email", "in", ["ada@example.com", "ada@new.example"]]]),
        &["email"],
    );
    assert_eq!(partners.len(), 1, "no duplicate partner: {partners:?}");
    assert_eq!(partners[0]["email"], json!("ada@new.example"));
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "SO-1001"]]),
        &["order_line", "state"],
    );
    let lines = fixture.search_read(
        "sale.order.line",
        json!([["order_id", "=", sale["id"]]]),
        &["product_uom_qty", "price_unit"],
    );
    assert_eq!(lines.len(), 1, "the second line was removed: {lines:?}");
    assert_eq!(lines[0]["product_uom_qty"], json!(2.0));
    assert_eq!(lines[0]["price_unit"], json!(1100.0));
    assert_eq!(sale["state"], json!("sale"));
}

fn delete_archives_or_unlinks(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    seed(&fixture);
    fixture.pass();
    fixture.saas.delete("customer", "c2");
    fixture.saas.delete("product", "p2");
    fixture.saas.upsert(
        "order",
        "o2",
        order("SO-1002", "c1", "draft", &[("SKU-1", 1.0, 10.0)]),
    );
    fixture.pass();
    fixture.saas.delete("order", "o2");

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    let alan = one(
        &fixture,
        "res.partner",
        json!([["id", "=", partner_id(&fixture, "c2")]]),
        &["active"],
    );
    assert_eq!(alan["active"], json!(false), "customers are archived");
    let card = one(
        &fixture,
        "product.product",
        json!([["default_code", "=", "SKU-2"]]),
        &["active"],
    );
    assert_eq!(card["active"], json!(false), "products are archived");
    let orders = fixture.search_read(
        "sale.order",
        json!([["client_order_ref", "=", "SO-1002"]]),
        &["id"],
    );
    assert!(orders.is_empty(), "orders are unlinked: {orders:?}");
    let ada = one(
        &fixture,
        "res.partner",
        json!([["id", "=", partner_id(&fixture, "c1")]]),
        &["active"],
    );
    assert_eq!(ada["active"], json!(true));
}

fn second_pass_writes_nothing(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    seed(&fixture);
    fixture.pass();

    let summary = fixture.pass();

    assert_eq!(summary.changes, 0);
    assert_eq!(summary.writes, 0);
    assert_eq!(summary.reported, 0);
}

fn replay_from_scratch_writes_nothing(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    seed(&fixture);
    fixture.pass();
    let before = fixture.search_read(
        "res.partner",
        json!([["customer_rank", "=", 1]]),
        &["write_date"],
    );
    fixture.advance_clock();
    std::fs::remove_dir_all(fixture.state_dir.path()).expect("the state directory is removed");

    let summary = fixture.pass();

    assert_eq!(summary.changes, 5);
    assert_eq!(summary.applied, 5);
    assert_eq!(summary.writes, 0, "every record is already in sync");
    let after = fixture.search_read(
        "res.partner",
        json!([["customer_rank", "=", 1]]),
        &["write_date"],
    );
    assert_eq!(before, after, "no partner was written");
}

fn bad_records_reported_rest_synced(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("customer", "c2", customer("Nobody", "x@example.com", "ZZ"));
    fixture
        .saas
        .upsert("customer", "c3", customer("", "blank@example.com", "BE"));
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    fixture.saas.upsert(
        "order",
        "o1",
        order("SO-1", "c404", "draft", &[("SKU-1", 1.0, 10.0)]),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 2);
    assert_eq!(summary.reported, 3);
    assert!(fixture.xmlid("saas", "customer_c1").is_some());
    assert!(fixture.xmlid("saas", "customer_c2").is_none());
    let unknown_country = fixture.saas.reports_for("customer", "c2");
    assert_eq!(unknown_country.len(), 1);
    assert_eq!(unknown_country[0]["retryable"], json!(false));
    let text = unknown_country[0]["error"].as_str().unwrap_or_default();
    assert!(text.contains("no res.country has code = \"ZZ\""), "{text}");
    let no_name = fixture.saas.reports_for("customer", "c3");
    assert_eq!(no_name.len(), 1);
    assert_eq!(no_name[0]["retryable"], json!(false));
    let text = no_name[0]["error"].as_str().unwrap_or_default();
    assert!(
        text.contains("Contacts require a name"),
        "Odoo's message: {text}"
    );
    let missing_customer = fixture.saas.reports_for("order", "o1");
    assert_eq!(missing_customer.len(), 1);
    assert_eq!(missing_customer[0]["retryable"], json!(true));
    let text = missing_customer[0]["error"].as_str().unwrap_or_default();
    assert!(text.contains("customer c404"), "{text}");
}

fn older_version_never_overwrites(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada v1", "ada@example.com", "BE"),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada v2", "ada@example.com", "BE"),
    );
    fixture.pass();
    fixture.saas.push_change(
        "customer",
        "c1",
        "upsert",
        1,
        Some(customer("Ada v1", "ada@example.com", "BE")),
    );

    let summary = fixture.pass();

    assert_eq!(summary.changes, 1);
    assert_eq!(summary.skipped, 1);
    assert_eq!(summary.writes, 0);
    let ada = one(
        &fixture,
        "res.partner",
        json!([["id", "=", partner_id(&fixture, "c1")]]),
        &["name"],
    );
    assert_eq!(ada["name"], json!("Ada v2"));
}

fn reference_pulls_missing_customer(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    fixture.saas.upsert(
        "order",
        "o1",
        order("SO-1", "c1", "draft", &[("SKU-1", 1.0, 10.0)]),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    let mut options = fixture.options();
    options.page_size = 1;

    let summary = odoo_sync::run_pass_with(&fixture.config(), &options).expect("the pass finishes");

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert_eq!(
        summary.skipped, 1,
        "the customer's own change was applied already"
    );
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "SO-1"]]),
        &["partner_id"],
    );
    assert_eq!(sale["partner_id"][0], json!(partner_id(&fixture, "c1")));
    let partners = fixture.search_read(
        "res.partner",
        json!([["email", "=", "ada@example.com"]]),
        &["id"],
    );
    assert_eq!(partners.len(), 1);
}

fn failed_record_retried_next_pass(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture.saas.upsert(
        "order",
        "o1",
        order("SO-1", "c1", "draft", &[("SKU-9", 1.0, 10.0)]),
    );
    let first = fixture.pass();
    assert_eq!(first.reported, 1);
    let report = &fixture.saas.reports_for("order", "o1")[0];
    assert_eq!(report["retryable"], json!(true), "{report}");
    fixture
        .saas
        .upsert("product", "p9", product("SKU-9", "Late Product", 10.0));

    let second = fixture.pass();

    assert_eq!(second.retried, 1);
    assert_eq!(second.reported, 0, "{:?}", fixture.saas.reports());
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "SO-1"]]),
        &["order_line"],
    );
    assert_eq!(sale["order_line"].as_array().map(Vec::len), Some(1));
    let third = fixture.pass();
    assert_eq!(third.retried, 0, "the failure was cleared");
    assert_eq!(third.writes, 0);
}

fn confirmation_runs_once(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    seed(&fixture);
    fixture.pass();
    fixture.saas.upsert(
        "order",
        "o1",
        order(
            "SO-1001",
            "c1",
            "confirmed",
            &[("SKU-1", 1.0, 1200.5), ("SKU-2", 50.0, 0.25)],
        ),
    );

    let summary = fixture.pass();

    assert_eq!(
        summary.reported,
        0,
        "action_confirm was not called again: {:?}",
        fixture.saas.reports()
    );
    assert_eq!(summary.writes, 1, "only the line changed");
}

fn recreated_customer_is_restored(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture.pass();
    fixture.saas.delete("customer", "c1");
    fixture.pass();
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    fixture.pass();

    let ada = one(
        &fixture,
        "res.partner",
        json!([["id", "=", partner_id(&fixture, "c1")]]),
        &["active"],
    );
    assert_eq!(ada["active"], json!(true));
}

#[test]
fn wrong_password_gives_up() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    let mut config = fixture.config();
    config.password = "wrong".to_owned();

    let error = odoo_sync::run_pass_with(&config, &fixture.options()).expect_err("login fails");

    assert_eq!(error.kind(), ErrorKind::AuthenticationFailed);
    assert_eq!(
        odoo_sync::exit::code_for(&error),
        odoo_sync::exit::AUTHENTICATION
    );
}

#[test]
fn unreachable_odoo_gives_up() {
    let fixture = Fixture::new(Protocol::JsonRpc);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = closed.local_addr().expect("an address");
    drop(closed);
    let mut config = fixture.config();
    config.odoo_url = format!("http://{address}");

    let error = odoo_sync::run_pass_with(&config, &fixture.options()).expect_err("no server");

    assert_eq!(error.kind(), ErrorKind::Connect);
    assert_eq!(
        odoo_sync::exit::code_for(&error),
        odoo_sync::exit::UNAVAILABLE
    );
}

#[test]
fn api_key_replaces_password() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    let mut config = fixture.config();
    config.password = "wrong".to_owned();
    config.api_key = Some("admin".to_owned());

    let summary = odoo_sync::run_pass_with(&config, &fixture.options()).expect("the key is used");

    assert_eq!(summary.applied, 1);
}

#[test]
fn https_url_is_supported() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = closed.local_addr().expect("an address");
    drop(closed);
    let mut config = fixture.config();
    config.odoo_url = format!("https://{address}");

    let error = odoo_sync::run_pass_with(&config, &fixture.options()).expect_err("no server");

    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
}

#[test]
fn unmapped_entity_is_skipped() {
    let spec = "\
name: customers-only
entities:
  customer:
    model: res.partner
    key: {strategy: external_id, prefix: customer_}
    fields:
      name: {from: name}
";
    let fixture = Fixture::with_spec(Protocol::XmlRpc, spec);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    assert_eq!(summary.skipped, 1);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
}

#[test]
fn changed_sku_renames_product() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    fixture.pass();
    fixture.saas.upsert(
        "product",
        "p1",
        product("SKU-1B", "Analytical Engine", 10.0),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    let products = fixture.search_read(
        "product.product",
        json!([["name", "=", "Analytical Engine"]]),
        &["default_code"],
    );
    assert_eq!(products.len(), 1, "no second product: {products:?}");
    assert_eq!(products[0]["default_code"], json!("SKU-1B"));
}

#[test]
fn order_without_date_keeps_default() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    let mut undated = order("SO-1", "c1", "confirmed", &[("SKU-1", 1.0, 10.0)]);
    undated.as_object_mut().expect("an object").remove("date");
    fixture.saas.upsert("order", "o1", undated);

    let summary = fixture.pass();

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let sale = one(
        &fixture,
        "sale.order",
        json!([["client_order_ref", "=", "SO-1"]]),
        &["date_order", "state"],
    );
    assert_ne!(
        sale["date_order"],
        json!(false),
        "Odoo's default date stays"
    );
    assert_eq!(sale["state"], json!("sale"));
    assert_eq!(fixture.pass().writes, 0);
}

#[test]
fn page_is_read_in_few_calls() {
    let fixture = Fixture::new(Protocol::JsonRpc);
    for index in 0..20 {
        let email = format!("c{index}@example.com");
        fixture.saas.upsert(
            "customer",
            &format!("c{index}"),
            customer("Customer", &email, "BE"),
        );
    }
    fixture.pass();
    std::fs::remove_dir_all(fixture.state_dir.path()).expect("the state directory is removed");
    let before = fixture.emulator.journal(0, None).len();

    let summary = fixture.pass();

    assert_eq!(summary.applied, 20);
    assert_eq!(summary.writes, 0);
    let calls: Vec<String> = fixture.emulator.journal(0, None)[before..]
        .iter()
        .filter(|e| e.service.as_deref() == Some("object"))
        .map(|e| {
            format!(
                "{} {}",
                e.model.as_deref().unwrap_or("?"),
                e.method.as_deref().unwrap_or("?")
            )
        })
        .filter(|call| !call.ends_with("fields_get") && !call.ends_with("default_get"))
        .collect();
    assert!(
        calls.len() <= 4,
        "one search and one read per page, then lookups: {calls:?}"
    );
}
