use serde_json::json;

use super::*;

fn spec() -> Spec {
    let text = crate::scenario::BUILTIN_SPECS[0].1;
    serde_saphyr::from_str(text).expect("the built-in spec parses")
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().expect("an object").clone()
}

fn store() -> SaasStore {
    let mut store = SaasStore::default();
    let customer = json!({"name": "Ada", "email": "ada@example.com", "country_code": "BE"});
    store
        .create(Entity::Customer, "c1", object(customer))
        .expect("create c1");
    let product = json!({"sku": "WIDGET", "name": "Widget", "price": 9.5, "active": true});
    store
        .create(Entity::Product, "p1", object(product))
        .expect("create p1");
    let order = json!({
        "number": "SO-1", "customer_id": "c1", "date": "2024-01-15", "state": "confirmed",
        "lines": [{"sku": "WIDGET", "quantity": 2, "unit_price": 9.5}]
    });
    store
        .create(Entity::Order, "o1", object(order))
        .expect("create o1");
    store
}

fn find<'a>(records: &'a [ExpectedRecord], entity: Entity, id: &str) -> &'a ExpectedRecord {
    records
        .iter()
        .find(|r| r.entity == entity && r.saas_id == id)
        .expect("a derived record")
}

#[test]
fn customer_fields_follow_the_spec() {
    let records = derive(&spec(), &store());

    let customer = find(&records, Entity::Customer, "c1");
    assert_eq!(customer.model, "res.partner");
    assert_eq!(
        customer.key,
        KeyLookup::ExternalId {
            module: "saas".into(),
            name: "customer_c1".into()
        }
    );
    assert_eq!(
        customer.fields["name"],
        ExpectedValue::Literal(json!("Ada"))
    );
    assert_eq!(
        customer.fields["phone"],
        ExpectedValue::Literal(Value::Null)
    );
    assert_eq!(
        customer.fields["customer_rank"],
        ExpectedValue::Constant(json!(1))
    );
    assert_eq!(
        customer.fields["country_id"],
        ExpectedValue::Lookup {
            model: "res.country".into(),
            field: "code".into(),
            value: json!("BE")
        }
    );
    assert_eq!(customer.presence, Presence::Active);
    assert_eq!(customer.unsyncable, None);
}

#[test]
fn product_key_is_the_sku_field() {
    let records = derive(&spec(), &store());

    let product = find(&records, Entity::Product, "p1");

    assert_eq!(
        product.key,
        KeyLookup::Field {
            field: "default_code".into(),
            value: json!("WIDGET")
        }
    );
    assert_eq!(
        product.fields["list_price"],
        ExpectedValue::Literal(json!(9.5))
    );
}

#[test]
fn order_refs_lines_and_action() {
    let records = derive(&spec(), &store());

    let order = find(&records, Entity::Order, "o1");

    assert_eq!(
        order.fields["partner_id"],
        ExpectedValue::Keyed {
            model: "res.partner".into(),
            key: KeyLookup::ExternalId {
                module: "saas".into(),
                name: "customer_c1".into()
            }
        }
    );
    assert_eq!(order.fields["state"], ExpectedValue::Literal(json!("sale")));
    let lines = order.lines.as_ref().expect("order lines");
    assert_eq!(lines.field, "order_line");
    assert_eq!(lines.lines.len(), 1);
    assert_eq!(
        lines.lines[0]["product_id"],
        ExpectedValue::Keyed {
            model: "product.product".into(),
            key: KeyLookup::Field {
                field: "default_code".into(),
                value: json!("WIDGET")
            }
        }
    );
    assert_eq!(
        lines.lines[0]["product_uom_qty"],
        ExpectedValue::Literal(json!(2))
    );
}

#[test]
fn draft_order_has_no_action_state() {
    let mut store = store();
    store
        .update(Entity::Order, "o1", &object(json!({"state": "draft"})))
        .expect("update");

    let records = derive(&spec(), &store);

    let order = find(&records, Entity::Order, "o1");
    assert!(!order.fields.contains_key("state"), "{:?}", order.fields);
}

#[test]
fn deletes_follow_the_policy() {
    let mut store = store();
    store.delete(Entity::Customer, "c1").expect("delete c1");
    store.delete(Entity::Order, "o1").expect("delete o1");

    let records = derive(&spec(), &store);

    assert_eq!(
        find(&records, Entity::Customer, "c1").presence,
        Presence::Archived
    );
    assert_eq!(
        find(&records, Entity::Order, "o1").presence,
        Presence::Absent
    );
}

#[test]
fn reference_to_archived_record_resolves() {
    let mut store = store();
    store.delete(Entity::Customer, "c1").expect("delete c1");

    let records = derive(&spec(), &store);

    let order = find(&records, Entity::Order, "o1");
    assert_eq!(order.unsyncable, None);
    assert!(
        matches!(
            order.fields.get("partner_id"),
            Some(ExpectedValue::Keyed { model, .. }) if model == "res.partner"
        ),
        "{:?}",
        order.fields
    );
}

#[test]
fn reference_to_missing_record_is_unsyncable() {
    let mut store = store();
    let orphan = json!({"number": "SO-2", "customer_id": "c404"});
    store
        .create(Entity::Order, "o2", object(orphan))
        .expect("create o2");

    let records = derive(&spec(), &store);

    let reason = find(&records, Entity::Order, "o2").unsyncable.clone();
    assert_eq!(
        reason.as_deref(),
        Some("it refers to customer \"c404\", which the SaaS does not have")
    );
}

#[test]
fn value_map_miss_is_unsyncable() {
    let text = r#"
name: mapped
entities:
  customer:
    model: res.partner
    key: {strategy: field, field: ref}
    fields:
      name: {from: name}
      x_studio_segment: {from: phone, transform: {map: {"1": smb, "2": ent}}, default: smb}
"#;
    let spec: Spec = serde_saphyr::from_str(text).expect("a spec");
    let mut store = SaasStore::default();
    for (id, phone) in [("c1", json!("2")), ("c2", json!("9")), ("c3", Value::Null)] {
        let data = object(json!({"name": id, "phone": phone}));
        store.create(Entity::Customer, id, data).expect("create");
    }

    let records = derive(&spec, &store);

    let segment = |id| {
        find(&records, Entity::Customer, id)
            .fields
            .get("x_studio_segment")
            .cloned()
    };
    assert_eq!(segment("c1"), Some(ExpectedValue::Literal(json!("ent"))));
    assert_eq!(segment("c3"), Some(ExpectedValue::Constant(json!("smb"))));
    assert_eq!(
        find(&records, Entity::Customer, "c2").unsyncable.as_deref(),
        Some("the value \"9\" for x_studio_segment has no entry in the spec's value map")
    );
    assert_eq!(
        find(&records, Entity::Customer, "c1").key,
        KeyLookup::Field {
            field: "ref".into(),
            value: json!("c1")
        }
    );
}
