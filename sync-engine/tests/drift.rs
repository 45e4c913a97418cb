//! Passes against a customer's Odoo whose schema moved away from the spec:
//! the affected records are reported with `retryable: false` and the rest
//! sync; a pass that can sync nothing gives up with the drift.

mod support;

use odoo_emulator::control::InstanceChange;
use odoo_sync::rpc::Protocol;
use odoo_sync::ErrorKind;
use serde_json::{json, Value};
use support::{customer, product, Fixture};

fn change_schema(fixture: &Fixture, change: Value) {
    let change: InstanceChange = serde_json::from_value(change).expect("a valid instance change");
    fixture
        .emulator
        .change_instance(support::DATABASE, &change)
        .expect("the schema change applies");
}

fn add_required_segment(fixture: &Fixture) {
    change_schema(
        fixture,
        json!({"models": {"res.partner": {"fields": {"x_studio_segment": {
            "type": "selection", "string": "Segment", "required": true,
            "selection": [["smb", "SMB"], ["ent", "Enterprise"]]
        }}}}}),
    );
}

/// The shipped spec's customer mapping, with a segment mapped through a
/// value map and a default.
const SEGMENT_SPEC: &str = "\
name: acme
protocol: xmlrpc
entities:
  customer:
    model: res.partner
    key: {strategy: external_id, prefix: customer_}
    fields:
      name: {from: name}
      email: {from: email}
      x_studio_segment: {from: segment, transform: {map: {small: smb, large: ent}}, default: smb}
  product:
    model: product.product
    key: {strategy: field, field: default_code, from: sku}
    fields:
      default_code: {from: sku}
      name: {from: name}
";

fn segmented(name: &str, segment: Value) -> Value {
    json!({"name": name, "email": format!("{name}@example.com"), "segment": segment})
}

#[test]
fn required_field_blocks_new_customers_only() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture.pass();
    add_required_segment(&fixture);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@new.example", "BE"),
    );
    fixture.saas.upsert(
        "customer",
        "c2",
        customer("Alan Turing", "alan@example.com", "GB"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));

    let summary = fixture.pass();

    assert_eq!(summary.drift.len(), 1, "{:?}", summary.drift);
    assert!(
        summary.drift[0].contains("res.partner requires x_studio_segment (Segment)"),
        "{:?}",
        summary.drift
    );
    let reports = fixture.saas.reports_for("customer", "c2");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["retryable"], json!(false));
    let text = reports[0]["error"].as_str().unwrap_or_default();
    assert!(
        text.contains("res.partner requires x_studio_segment"),
        "{text}"
    );
    assert!(fixture.xmlid("saas", "customer_c2").is_none());
    assert!(fixture.xmlid("saas", "customer_c1").is_some());
    assert!(!fixture
        .search_read(
            "product.product",
            json!([["default_code", "=", "SKU-1"]]),
            &["id"]
        )
        .is_empty());
    // The update of an existing customer is sent, not blocked. Whether the
    // server accepts it with the new field empty on the existing record
    // depends on the server (the emulator rejects it), so both outcomes
    // pass, as long as a rejection is reported with the server's message.
    let update = fixture.saas.reports_for("customer", "c1");
    let updated = fixture
        .search_read(
            "res.partner",
            json!([["email", "=", "ada@new.example"]]),
            &["id"],
        )
        .len();
    match update.first() {
        None => assert_eq!(updated, 1),
        Some(report) => {
            let text = report["error"].as_str().unwrap_or_default();
            assert!(text.starts_with("write on res.partner"), "{text}");
            assert!(text.contains("Field: Segment (x_studio_segment)"), "{text}");
        }
    }
}

#[test]
fn fixed_drift_syncs_reported_records() {
    let fixture = Fixture::new(Protocol::JsonRpc);
    add_required_segment(&fixture);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );
    fixture
        .saas
        .upsert("product", "p1", product("SKU-1", "Analytical Engine", 10.0));
    let first = fixture.pass();
    assert_eq!(first.reported, 1);
    change_schema(
        &fixture,
        json!({"models": {"res.partner": {"fields": {"x_studio_segment": {"required": false}}}}}),
    );

    let second = fixture.pass();

    assert_eq!(second.retried, 1);
    assert_eq!(second.applied, 1);
    assert!(second.drift.is_empty(), "{:?}", second.drift);
    assert!(fixture.xmlid("saas", "customer_c1").is_some());
}

#[test]
fn spec_default_fills_required_field() {
    let fixture = Fixture::with_spec(Protocol::XmlRpc, SEGMENT_SPEC);
    add_required_segment(&fixture);
    fixture
        .saas
        .upsert("customer", "c1", segmented("ada", Value::Null));
    fixture
        .saas
        .upsert("customer", "c2", segmented("alan", json!("large")));

    let summary = fixture.pass();

    assert_eq!(summary.reported, 0, "{:?}", fixture.saas.reports());
    let segments = fixture.search_read(
        "res.partner",
        json!([["email", "in", ["ada@example.com", "alan@example.com"]]]),
        &["email", "x_studio_segment"],
    );
    assert_eq!(
        segments[0]["x_studio_segment"],
        json!("smb"),
        "{segments:?}"
    );
    assert_eq!(
        segments[1]["x_studio_segment"],
        json!("ent"),
        "{segments:?}"
    );
}

#[test]
fn removed_selection_value_blocks_its_records() {
    let fixture = Fixture::with_spec(Protocol::JsonRpc, SEGMENT_SPEC);
    add_required_segment(&fixture);
    change_schema(
        &fixture,
        json!({"models": {"res.partner": {"fields": {"x_studio_segment": {"selection_remove": ["ent"]}}}}}),
    );
    fixture
        .saas
        .upsert("customer", "c1", segmented("ada", json!("small")));
    fixture
        .saas
        .upsert("customer", "c2", segmented("alan", json!("large")));

    let summary = fixture.pass();

    assert_eq!(summary.applied, 1);
    assert_eq!(summary.reported, 1);
    assert!(
        summary
            .drift
            .iter()
            .any(|d| d.contains("no longer allows \"ent\"")),
        "{:?}",
        summary.drift
    );
    let reports = fixture.saas.reports_for("customer", "c2");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["retryable"], json!(false));
    let text = reports[0]["error"].as_str().unwrap_or_default();
    assert!(
        text.contains("x_studio_segment no longer allows \"ent\" (allowed: smb)"),
        "{text}"
    );
    assert!(fixture.xmlid("saas", "customer_c1").is_some());
}

#[test]
fn missing_field_blocks_its_entity() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    change_schema(
        &fixture,
        json!({"models": {"res.partner": {"fields": {"phone": {"remove": true}}}}}),
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

    assert_eq!(summary.applied, 1);
    let reports = fixture.saas.reports_for("customer", "c1");
    assert_eq!(reports.len(), 1);
    let text = reports[0]["error"].as_str().unwrap_or_default();
    assert!(text.contains("res.partner has no field phone"), "{text}");
    assert!(text.contains("maps from phone"), "{text}");
}

#[test]
fn drift_everywhere_gives_up_after_reporting() {
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
    add_required_segment(&fixture);
    fixture.saas.upsert(
        "customer",
        "c1",
        customer("Ada Lovelace", "ada@example.com", "BE"),
    );

    let error = fixture.try_pass().expect_err("nothing can be synced");

    assert_eq!(error.kind(), ErrorKind::Drift);
    assert_eq!(odoo_sync::exit::code_for(&error), odoo_sync::exit::DRIFT);
    assert!(error.message().contains("x_studio_segment"), "{error}");
    assert_eq!(fixture.saas.reports_for("customer", "c1").len(), 1);
    let state =
        odoo_sync::state::SyncState::load(fixture.state_dir.path()).expect("the state was saved");
    assert_eq!(state.cursor, 1, "the reported change is not read again");
}

#[test]
fn check_lists_drift_without_writing() {
    let fixture = Fixture::new(Protocol::XmlRpc);
    change_schema(
        &fixture,
        json!({"models": {"res.partner": {"fields": {"phone": {"remove": true}}}}}),
    );

    let drifts =
        odoo_sync::pass::check_schema(&fixture.config(), &fixture.options()).expect("checked");

    assert_eq!(drifts.len(), 1, "{drifts:?}");
    assert_eq!(drifts[0].entity, "customer");
    assert_eq!(drifts[0].model, "res.partner");
    assert_eq!(drifts[0].field.as_deref(), Some("phone"));
}

#[test]
fn missing_model_blocks_its_entity() {
    let spec = "\
name: missing-model
entities:
  customer:
    model: res.partner
    key: {strategy: external_id, prefix: customer_}
    fields:
      name: {from: name}
  product:
    model: x_catalogue.item
    key: {strategy: field, field: x_sku, from: sku}
    fields:
      x_sku: {from: sku}
";
    let fixture = Fixture::with_spec(Protocol::JsonRpc, spec);
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
    let text = fixture.saas.reports_for("product", "p1")[0]["error"].clone();
    assert!(
        text.as_str()
            .unwrap_or_default()
            .contains("cannot read model x_catalogue.item"),
        "{text}"
    );
}
