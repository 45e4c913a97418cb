//! Passes against the emulator with injected faults: lost responses,
//! proxy errors, rate limits, serialization failures, expired sessions and
//! the XML-RPC `None` marshalling fault. Each test checks the end state in
//! Odoo and, through the emulator's journal, the calls the engine made.

mod support;

use std::time::{Duration, Instant};

use odoo_emulator::faults::FaultRule;
use odoo_sync::rpc::Protocol;
use odoo_sync::ErrorKind;
use serde_json::{json, Value};
use support::{customer, order, product, Fixture, DATABASE};

macro_rules! every_protocol {
    ($($name:ident),* $(,)?) => {
        mod xmlrpc {
            $(#[test] fn $name() { super::$name(odoo_sync::rpc::Protocol::XmlRpc); })*
        }
        mod jsonrpc {
            $(#[test] fn $name() { super::$name(odoo_sync::rpc::Protocol::JsonRpc); })*
        }
        mod web {
            $(#[test] fn $name() { super::$name(odoo_sync::rpc::Protocol::Web); })*
        }
    };
}

every_protocol!(
    lost_load_response_no_duplicate,
    lost_create_response_no_duplicate,
    bad_gateway_on_create_retried,
    rate_limit_waits_retry_after,
    serialization_failure_retried,
    access_error_reported_once,
    timeout_on_create_no_duplicate,
    unavailable_odoo_gives_up,
    damaged_create_responses_no_duplicate,
);

fn add_fault(fixture: &Fixture, rule: Value) {
    let rule: FaultRule = serde_json::from_value(rule).expect("a valid fault rule");
    fixture
        .emulator
        .add_fault(rule)
        .expect("the rule is accepted");
}

/// Counts the journaled calls of `method` on `model`.
fn calls(fixture: &Fixture, model: &str, method: &str) -> usize {
    fixture
        .emulator
        .journal(0, Some(DATABASE))
        .iter()
        .filter(|e| e.model.as_deref() == Some(model) && e.method.as_deref() == Some(method))
        .count()
}

fn lost_load_response_no_duplicate(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    add_fault(
        &fixture,
        json!({"match": {"model": "res.partner", "method": "load"}, "times": 1,
               "effect": {"type": "response_lost"}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let partners = fixture.search_read(
        "res.partner",
        json!([["email", "=", "ada@example.com"]]),
        &["id"],
    );
    assert_eq!(partners.len(), 1, "one partner: {partners:?}");
    assert_eq!(
        calls(&fixture, "res.partner", "load"),
        1,
        "the re-read found the record"
    );
    assert!(fixture.xmlid("saas", "customer_c1").is_some());
}

fn lost_create_response_no_duplicate(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    add_fault(
        &fixture,
        json!({"match": {"model": "product.product", "method": "create"}, "times": 1,
               "effect": {"type": "response_lost"}}),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));

    let summary = fixture.pass();

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let products = fixture.search_read(
        "product.product",
        json!([["default_code", "=", "SKU-1"]]),
        &["id"],
    );
    assert_eq!(products.len(), 1, "one product: {products:?}");
    assert_eq!(calls(&fixture, "product.product", "create"), 1);
}

fn bad_gateway_on_create_retried(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    add_fault(
        &fixture,
        json!({"match": {"model": "product.product", "method": "create"}, "times": 2,
               "effect": {"type": "http", "status": 502}}),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert!(summary.retries >= 2, "{summary:?}");
    let products = fixture.search_read(
        "product.product",
        json!([["default_code", "=", "SKU-1"]]),
        &["id"],
    );
    assert_eq!(products.len(), 1);
    assert_eq!(calls(&fixture, "product.product", "create"), 3);
}

fn rate_limit_waits_retry_after(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    add_fault(
        &fixture,
        json!({"match": {"model": "ir.model.data", "method": "search_read"}, "times": 1,
               "effect": {"type": "http", "status": 429, "retry_after": 1}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    let started = Instant::now();

    let summary = fixture.pass();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(summary.applied, 1);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert_eq!(calls(&fixture, "ir.model.data", "search_read"), 2);
}

fn serialization_failure_retried(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture.pass();
    add_fault(
        &fixture,
        json!({"match": {"model": "res.partner", "method": "write"}, "times": 2,
               "effect": {"type": "serialization_failure"}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@new.example", "BE"),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert_eq!(calls(&fixture, "res.partner", "write"), 3);
    let partners = fixture.search_read(
        "res.partner",
        json!([["email", "=", "ada@new.example"]]),
        &["id"],
    );
    assert_eq!(partners.len(), 1);
}

fn access_error_reported_once(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    add_fault(
        &fixture,
        json!({"match": {"model": "res.partner", "method": "load"},
               "effect": {"type": "error", "exception": "AccessError",
                          "message": "You are not allowed to create 'Contact' (res.partner) records."}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1, "the product still synced");
    assert_eq!(calls(&fixture, "res.partner", "load"), 1, "never retried");
    let reports = fixture.saas.reports_for("customer", "c1");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["retryable"], json!(false));
    let text = reports[0]["error"].as_str().unwrap_or_default();
    assert!(
        text.contains("You are not allowed to create 'Contact' (res.partner) records."),
        "{text}"
    );
}

fn timeout_on_create_no_duplicate(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    add_fault(
        &fixture,
        json!({"match": {"model": "product.product", "method": "create"}, "times": 1,
               "effect": {"type": "hang", "ms": 3000}}),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    let mut options = fixture.options();
    options.timeout = Duration::from_millis(500);

    let summary = odoo_sync::run_pass_with(&fixture.config(), &options).expect("the pass finishes");

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let products = fixture.search_read(
        "product.product",
        json!([["default_code", "=", "SKU-1"]]),
        &["id"],
    );
    assert_eq!(products.len(), 1);
}

fn unavailable_odoo_gives_up(protocol: Protocol) {
    let fixture = Fixture::new(protocol);
    // Every model method call: the web routes have no `object` service.
    let calls = match protocol {
        Protocol::Web => json!({"route": "/web/dataset/call_kw"}),
        Protocol::XmlRpc | Protocol::JsonRpc => json!({"service": "object"}),
    };
    add_fault(
        &fixture,
        json!({"match": calls, "effect": {"type": "http", "status": 503}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let error = fixture.try_pass().expect_err("Odoo never answers");

    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        odoo_sync::exit::code_for(&error),
        odoo_sync::exit::UNAVAILABLE
    );
    let state =
        odoo_sync::state::SyncState::load(fixture.state_dir.path()).expect("readable state");
    assert_eq!(state.cursor, 0, "no change was consumed");
}

#[test]
fn marshal_none_confirms_once() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    add_fault(
        &fixture,
        json!({"match": {"model": "sale.order", "method": "action_confirm"}, "times": 1,
               "effect": {"type": "marshal_none"}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    fixture.saas.upsert(
        "order",
        "o1",
        order("SO-1", "c1", "confirmed", &[("SKU-1", 1.0, 10.0)]),
    );

    let summary = fixture.pass();

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    assert_eq!(
        calls(&fixture, "sale.order", "action_confirm"),
        1,
        "never called twice"
    );
    let sale = fixture.search_read(
        "sale.order",
        json!([["client_order_ref", "=", "SO-1"]]),
        &["state"],
    );
    assert_eq!(sale[0]["state"], json!("sale"));
}

#[test]
fn none_result_counts_as_done() {
    let spec = "\
name: quotations
entities:
  customer:
    model: res.partner
    key: {strategy: external_id, prefix: customer_}
    fields:
      name: {from: name}
  order:
    model: sale.order
    key: {strategy: field, field: client_order_ref, from: number}
    fields:
      client_order_ref: {from: number}
      partner_id: {from: customer_id, transform: {ref: customer}}
    actions:
      from: state
      call: {sent: action_quotation_sent}
    delete: unlink
";
    let fixture = Fixture::with_spec(Protocol::XmlRpc, spec);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("order", "o1", order("SO-1", "c1", "sent", &[]));

    let first = fixture.pass();
    fixture
        .saas
        .upsert("order", "o1", order("SO-1", "c1", "sent", &[]));
    let second = fixture.pass();

    assert_eq!(first.reported, 0, "{:?}", fixture.saas.reports());
    assert_eq!(second.reported, 0, "{:?}", fixture.saas.reports());
    assert_eq!(calls(&fixture, "sale.order", "action_quotation_sent"), 1);
    let sale = fixture.search_read(
        "sale.order",
        json!([["client_order_ref", "=", "SO-1"]]),
        &["state"],
    );
    assert_eq!(sale[0]["state"], json!("sent"));
}

#[test]
fn expired_session_reauthenticates() {
    let fixture = Fixture::new(Protocol::JsonRpc);
    add_fault(
        &fixture,
        json!({"match": {"protocol": "jsonrpc", "model": "ir.model.data", "method": "search_read"},
               "times": 1, "effect": {"type": "session_expired"}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let logins = fixture
        .emulator
        .journal(0, None)
        .iter()
        .filter(|e| e.method.as_deref() == Some("authenticate"))
        .count();
    assert_eq!(logins, 2, "logged in again after the expiry");
}

#[test]
fn expired_web_session_logs_in_again() {
    let fixture = Fixture::new(Protocol::Web);
    // The schema check makes the first call in the session, so a data
    // call meets the expired session.
    add_fault(
        &fixture,
        json!({"match": {"route": "/web/dataset/call_kw"}, "schedule": {"nth": 2},
               "effect": {"type": "session_expired"}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    let journal = fixture.emulator.journal(0, None);
    let expired: Vec<_> = journal.iter().filter(|e| e.outcome != "ok").collect();
    assert_eq!(expired.len(), 1, "{journal:?}");
    let logins = journal
        .iter()
        .filter(|e| e.route == "/web/session/authenticate")
        .count();
    assert_eq!(logins, 2, "logged in again after the expiry");
    let partners = fixture.search_read(
        "res.partner",
        json!([["email", "=", "ada@example.com"]]),
        &["id"],
    );
    assert_eq!(partners.len(), 1);
}

#[test]
fn failing_writes_stop_the_pass() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    for (id, sku) in [("p1", "SKU-1"), ("p2", "SKU-2"), ("p3", "SKU-3")] {
        fixture
            .saas
            .upsert("product", id, product(sku, "Punch Card", 1.0));
    }
    add_fault(
        &fixture,
        json!({"match": {"model": "product.product", "method": "create"},
               "effect": {"type": "http", "status": 503}}),
    );

    let error = fixture.try_pass().expect_err("three records in a row fail");

    assert_eq!(error.kind(), ErrorKind::Unavailable);
    let state =
        odoo_sync::state::SyncState::load(fixture.state_dir.path()).expect("readable state");
    assert_eq!(state.cursor, 0, "the page is read again next time");
    assert!(
        state.applied("customer", "c1").is_some(),
        "the customer was applied"
    );
    fixture.emulator.clear_faults();
    let summary = fixture.pass();
    assert_eq!(summary.skipped, 1, "the customer is not written again");
    assert_eq!(summary.applied, 3);
    let products = fixture.search_read(
        "product.product",
        json!([["name", "=", "Punch Card"]]),
        &["id"],
    );
    assert_eq!(products.len(), 3);
}

fn damaged_create_responses_no_duplicate(protocol: Protocol) {
    for effect in [
        "truncated",
        "malformed",
        "result_missing",
        "wrong_content_type",
    ] {
        let fixture = Fixture::new(protocol);
        add_fault(
            &fixture,
            json!({"match": {"model": "product.product", "method": "create"}, "times": 1,
                   "effect": {"type": effect}}),
        );
        fixture
            .saas
            .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));

        let summary = fixture.pass();

        assert_eq!(
            summary.reported,
            0,
            "{effect}: {:?}",
            fixture.saas.reports()
        );
        let products = fixture.search_read(
            "product.product",
            json!([["default_code", "=", "SKU-1"]]),
            &["id"],
        );
        assert_eq!(products.len(), 1, "{effect}: {products:?}");
        assert_eq!(calls(&fixture, "product.product", "create"), 1, "{effect}");
    }
}

#[test]
fn unverifiable_method_never_runs_twice() {
    let spec = "\
name: confirm-without-check
entities:
  customer:
    model: res.partner
    key: {strategy: external_id, prefix: customer_}
    fields:
      name: {from: name}
  order:
    model: sale.order
    key: {strategy: field, field: client_order_ref, from: number}
    fields:
      client_order_ref: {from: number}
      partner_id: {from: customer_id, transform: {ref: customer}}
    actions:
      from: state
      call: {confirmed: action_confirm}
    delete: unlink
";
    let fixture = Fixture::with_spec(Protocol::JsonRpc, spec);
    add_fault(
        &fixture,
        json!({"match": {"model": "sale.order", "method": "action_confirm"}, "times": 1,
               "effect": {"type": "response_lost"}}),
    );
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("order", "o1", order("SO-1", "c1", "confirmed", &[]));

    let first = fixture.pass();
    fixture
        .saas
        .upsert("order", "o1", order("SO-1", "c1", "confirmed", &[]));
    let second = fixture.pass();

    assert_eq!(first.applied, 2);
    assert_eq!(second.applied, 1);
    assert_eq!(
        calls(&fixture, "sale.order", "action_confirm"),
        1,
        "never called again"
    );
    let reports = fixture.saas.reports_for("order", "o1");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["retryable"], json!(false));
    let text = reports[0]["error"].as_str().unwrap_or_default();
    assert!(text.contains("no done_when"), "{text}");
}
