//! The customer profiles in `fixtures/profiles/`, each extending the
//! built-in `odoo-17` base: what Odoo 17 returns for their customisations
//! and their restricted users.

use odoo_emulator::profile::Profile;
use odoo_emulator::service::{Emulator, Protocol};
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};

const ADMIN: i64 = 2;

const COOKIES: &str = "If you really, really need access, perhaps you can win over your \
                       friendly administrator with a batch of freshly baked cookies.";

/// A loaded customer profile and the emulator serving it.
struct Customer {
    profile: Profile,
    emulator: Emulator,
}

impl Customer {
    fn load(file: &str) -> Customer {
        let path = format!("{}/../fixtures/profiles/{file}", env!("CARGO_MANIFEST_DIR"));
        let profile = Profile::load(&path).unwrap_or_else(|e| panic!("{file} loads: {e}"));
        let emulator =
            Emulator::from_profiles(vec![(None, profile.clone())]).expect("one database");
        Customer { profile, emulator }
    }

    fn id(&self, xmlid: &str) -> i64 {
        self.profile
            .seed
            .xmlid(xmlid)
            .map(|(_, id)| *id)
            .unwrap_or_else(|| panic!("{xmlid} exists"))
    }

    fn call(
        &self,
        uid: i64,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> OdooResult<Value> {
        let database = self.profile.database.clone();
        self.emulator
            .execute(&database, uid, model, method, args, kwargs)
    }

    /// Logs in over XML-RPC's `common.authenticate`, as an integration does.
    fn authenticate(&self, login: &str, secret: &str) -> Value {
        let params = vec![
            Value::from(self.profile.database.as_str()),
            Value::from(login),
            Value::from(secret),
            Value::Dict(Dict::default()),
        ];
        self.emulator
            .dispatch_rpc("common", "authenticate", params, Protocol::XmlRpc)
            .expect("authenticate answers")
    }

    fn search(&self, uid: i64, model: &str, kwargs: Dict) -> OdooResult<Value> {
        self.call(uid, model, "search", vec![Value::List(vec![])], kwargs)
    }

    fn create(&self, uid: i64, model: &str, vals: serde_json::Value) -> OdooResult<Value> {
        self.call(
            uid,
            model,
            "create",
            vec![Value::from(vals)],
            Dict::default(),
        )
    }

    fn field(&self, model: &str, field: &str) -> Dict {
        let kwargs = Dict::from_iter([(
            "allfields".to_owned(),
            Value::List(vec![Value::from(field)]),
        )]);
        let fields = self
            .call(ADMIN, model, "fields_get", vec![], kwargs)
            .expect("fields_get succeeds");
        fields
            .as_dict()
            .and_then(|d| d.get(field))
            .and_then(Value::as_dict)
            .cloned()
            .unwrap_or_else(|| panic!("fields_get describes {model}.{field}"))
    }
}

fn ids(values: &[i64]) -> Value {
    Value::List(values.iter().copied().map(Value::Int).collect())
}

fn kwargs(pairs: &[(&str, Value)]) -> Dict {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn selection_keys(description: &Dict) -> Vec<String> {
    description
        .get("selection")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|pair| pair.as_list()?.first()?.as_str().map(str::to_owned))
        .collect()
}

/// Odoo 17's text for a NOT NULL violation on create or write.
fn mandatory_field_message(model: &str, field: &str) -> String {
    format!(
        "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n\
         - Delete: another model requires the record being deleted. If possible, archive it \
         instead.\n\nModel: {model}\nField: {field}\n"
    )
}

// ---------------------------------------------------------------- acme

#[test]
fn acme_fields_get_shows_the_studio_field() {
    let acme = Customer::load("studio-acme.yaml");
    let segment = acme.field("res.partner", "x_studio_segment");
    assert_eq!(segment.get("type"), Some(&Value::from("selection")));
    assert_eq!(segment.get("string"), Some(&Value::from("Segment")));
    assert_eq!(segment.get("required"), Some(&Value::Bool(true)));
    assert_eq!(segment.get("manual"), Some(&Value::Bool(true)));
    assert_eq!(selection_keys(&segment), vec!["smb", "mid", "ent"]);
}

#[test]
fn acme_fields_get_shows_the_studio_model() {
    let acme = Customer::load("studio-acme.yaml");
    let fields = acme
        .call(
            ADMIN,
            "x_delivery.slot",
            "fields_get",
            vec![],
            Dict::default(),
        )
        .expect("fields_get succeeds");
    let fields = fields.as_dict().expect("a dict");
    for name in [
        "x_name",
        "x_studio_partner_id",
        "x_studio_start",
        "x_studio_zone",
    ] {
        assert!(fields.contains_key(name), "x_delivery.slot lacks {name}");
    }
    let partner = acme.field("x_delivery.slot", "x_studio_partner_id");
    assert_eq!(partner.get("relation"), Some(&Value::from("res.partner")));
}

#[test]
fn acme_partner_without_segment_is_refused() {
    let acme = Customer::load("studio-acme.yaml");
    let error = acme
        .create(
            ADMIN,
            "res.partner",
            serde_json::json!({"name": "Bugs Bunny"}),
        )
        .expect_err("the segment is required");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert_eq!(
        error.message,
        mandatory_field_message("Contact (res.partner)", "Segment (x_studio_segment)")
    );
}

#[test]
fn acme_unknown_segment_is_a_wrong_value() {
    let acme = Customer::load("studio-acme.yaml");
    let error = acme
        .create(
            ADMIN,
            "res.partner",
            serde_json::json!({"name": "Bugs Bunny", "x_studio_segment": "retail"}),
        )
        .expect_err("retail is not a segment");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(
        error.message,
        "Wrong value for res.partner.x_studio_segment: 'retail'"
    );
}

#[test]
fn acme_web_shop_api_key_login() {
    let acme = Customer::load("studio-acme.yaml");
    let uid = acme.authenticate("sync@acme.test", "acme-web-shop-api-key");
    assert_eq!(uid, Value::Int(acme.id("acme.user_web_shop")));
    let Value::Int(uid) = uid else { unreachable!() };
    let slots = acme.search(uid, "x_delivery.slot", Dict::default());
    assert_eq!(
        slots,
        Ok(ids(&[
            acme.id("acme.slot_monday_north"),
            acme.id("acme.slot_monday_south"),
            acme.id("acme.slot_pickup"),
        ]))
    );
    let partner = acme.create(
        uid,
        "res.partner",
        serde_json::json!({"name": "Elmer Fudd", "x_studio_segment": "smb"}),
    );
    assert!(matches!(partner, Ok(Value::Int(_))), "{partner:?}");
}

#[test]
fn acme_past_slots_are_read_only() {
    let acme = Customer::load("studio-acme.yaml");
    let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 2)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a valid date");
    acme.emulator
        .clock()
        .freeze(today)
        .expect("2025 is in range");
    let uid = acme.id("acme.user_web_shop");
    let vals = Value::from(serde_json::json!({"x_studio_capacity": 2}));
    let past = acme.id("acme.slot_monday_north");
    let error = acme
        .call(
            uid,
            "x_delivery.slot",
            "write",
            vec![ids(&[past]), vals.clone()],
            Dict::default(),
        )
        .expect_err("the slot is over");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Acme Web Shop (id={uid}) doesn't have 'write' access to:\n\
             - Delivery slot (x_delivery.slot)\n\n{COOKIES}"
        )
    );
    let future = acme.id("acme.slot_pickup");
    let written = acme.call(
        uid,
        "x_delivery.slot",
        "write",
        vec![ids(&[future]), vals],
        Dict::default(),
    );
    assert_eq!(written, Ok(Value::Bool(true)));
}

// -------------------------------------------------------------- globex

#[test]
fn globex_sync_logs_in_with_its_api_key() {
    let globex = Customer::load("restricted-globex.yaml");
    let uid = globex.authenticate("sync@globex.test", "globex-eu-sync-api-key");
    assert_eq!(uid, Value::Int(globex.id("globex.user_sync")));
}

#[test]
fn globex_sync_search_is_limited_to_its_company() {
    let globex = Customer::load("restricted-globex.yaml");
    let sync = globex.id("globex.user_sync");
    let order = kwargs(&[("order", Value::from("id"))]);
    let mut expected = vec![
        globex.id("globex.partner_sync"),
        globex.id("globex.partner_muller"),
        globex.id("globex.partner_dupont"),
        globex.id("globex.partner_muller_anna"),
    ];
    expected.sort_unstable();
    assert_eq!(
        globex.search(sync, "res.partner", order.clone()),
        Ok(ids(&expected))
    );
    let orders = globex.search(sync, "sale.order", Dict::default());
    assert_eq!(
        orders,
        Ok(ids(&[
            globex.id("globex.order_eu_2"),
            globex.id("globex.order_eu_1")
        ]))
    );
    let all = globex
        .search(ADMIN, "res.partner", order)
        .expect("admin searches");
    assert!(all.as_list().map(<[Value]>::len) > Some(expected.len()));
}

#[test]
fn globex_sync_cannot_read_a_us_contact() {
    let globex = Customer::load("restricted-globex.yaml");
    let sync = globex.id("globex.user_sync");
    let cypress = globex.id("globex.partner_cypress");
    let fields = kwargs(&[("fields", Value::List(vec![Value::from("name")]))]);
    let error = globex
        .call(sync, "res.partner", "read", vec![ids(&[cypress])], fields)
        .expect_err("the contact belongs to the US company");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Globex EU Sync (id={sync}) doesn't have 'read' access to:\n\
             - Contact (res.partner)\n\n{COOKIES}"
        )
    );
}

#[test]
fn globex_sync_cannot_delete_contacts() {
    let globex = Customer::load("restricted-globex.yaml");
    let sync = globex.id("globex.user_sync");
    let dupont = globex.id("globex.partner_dupont");
    let error = globex
        .call(
            sync,
            "res.partner",
            "unlink",
            vec![ids(&[dupont])],
            Dict::default(),
        )
        .expect_err("no access row lets the sync user delete contacts");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert!(
        error
            .message
            .starts_with("You are not allowed to delete 'Contact' (res.partner) records.\n\n"),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .ends_with("\n\nContact your administrator to request access if necessary."),
        "{}",
        error.message
    );
}

#[test]
fn globex_sync_cannot_switch_to_the_us_company() {
    let globex = Customer::load("restricted-globex.yaml");
    let sync = globex.id("globex.user_sync");
    let context = Dict::from_iter([(
        "allowed_company_ids".to_owned(),
        ids(&[globex.id("base.main_company")]),
    )]);
    let error = globex
        .search(
            sync,
            "res.partner",
            kwargs(&[("context", Value::Dict(context))]),
        )
        .expect_err("the sync user does not belong to the US company");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        "Access to unauthorized or invalid companies."
    );
}

#[test]
fn globex_sync_creates_contacts_in_its_company() {
    let globex = Customer::load("restricted-globex.yaml");
    let sync = globex.id("globex.user_sync");
    let eu = globex.id("globex.company_eu");
    let created = globex.create(
        sync,
        "res.partner",
        serde_json::json!({"name": "Van Dijk B.V.", "company_id": eu, "is_company": true}),
    );
    assert!(matches!(created, Ok(Value::Int(_))), "{created:?}");
    let us = globex.id("base.main_company");
    let refused = globex
        .create(
            sync,
            "res.partner",
            serde_json::json!({"name": "Smith Inc.", "company_id": us}),
        )
        .expect_err("a US contact is outside the sync user's rules");
    assert!(
        refused
            .message
            .contains("doesn't have 'create' access to:\n- Contact (res.partner)"),
        "{}",
        refused.message
    );
}

// ------------------------------------------------------------- initech

#[test]
fn initech_fields_get_shows_the_module_changes() {
    let initech = Customer::load("legacy-initech.yaml");
    let vat = initech.field("res.partner", "vat");
    assert_eq!(vat.get("required"), Some(&Value::Bool(true)));
    assert_eq!(vat.get("string"), Some(&Value::from("Tax ID")));
    let kind = initech.field("res.partner", "type");
    assert_eq!(
        selection_keys(&kind),
        vec!["contact", "invoice", "delivery"]
    );
    let tier = initech.field("res.partner", "x_credit_tier");
    assert_eq!(tier.get("required"), Some(&Value::Bool(true)));
    assert_eq!(selection_keys(&tier), vec!["standard", "watch", "prepay"]);
}

#[test]
fn initech_partner_without_vat_is_refused() {
    let initech = Customer::load("legacy-initech.yaml");
    let error = initech
        .create(
            ADMIN,
            "res.partner",
            serde_json::json!({"name": "Penetrode"}),
        )
        .expect_err("the Tax ID is required");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert_eq!(
        error.message,
        mandatory_field_message("Contact (res.partner)", "Tax ID (vat)")
    );
}

#[test]
fn initech_removed_address_type_is_a_wrong_value() {
    let initech = Customer::load("legacy-initech.yaml");
    let error = initech
        .create(
            ADMIN,
            "res.partner",
            serde_json::json!({"name": "Penetrode", "vat": "US-1", "type": "other"}),
        )
        .expect_err("the other address type was removed");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(error.message, "Wrong value for res.partner.type: 'other'");
}

#[test]
fn initech_credit_tier_defaults_to_standard() {
    let initech = Customer::load("legacy-initech.yaml");
    let created = initech
        .create(
            ADMIN,
            "res.partner",
            serde_json::json!({"name": "Penetrode", "vat": "US-44-0000001"}),
        )
        .expect("create succeeds");
    let fields = kwargs(&[("fields", Value::List(vec![Value::from("x_credit_tier")]))]);
    let rows = initech
        .call(
            ADMIN,
            "res.partner",
            "read",
            vec![Value::List(vec![created])],
            fields,
        )
        .expect("read succeeds");
    let row = rows
        .as_list()
        .and_then(|l| l.first())
        .and_then(Value::as_dict);
    assert_eq!(
        row.and_then(|r| r.get("x_credit_tier")),
        Some(&Value::from("standard"))
    );
}

#[test]
fn initech_bookkeeping_may_not_create_contacts() {
    let initech = Customer::load("legacy-initech.yaml");
    let uid = initech.authenticate("books@initech.test", "initech-books-api-key");
    let Value::Int(uid) = uid else {
        panic!("the API key logs in: {uid:?}")
    };
    let error = initech
        .create(
            uid,
            "res.partner",
            serde_json::json!({"name": "X", "vat": "1"}),
        )
        .expect_err("credit control only reads and writes contacts");
    assert!(
        error
            .message
            .starts_with("You are not allowed to create 'Contact' (res.partner) records."),
        "{}",
        error.message
    );
    let initrode = initech.id("initech.partner_initrode");
    let written = initech.call(
        uid,
        "res.partner",
        "write",
        vec![
            ids(&[initrode]),
            Value::from(serde_json::json!({"x_credit_tier": "prepay"})),
        ],
        Dict::default(),
    );
    assert_eq!(written, Ok(Value::Bool(true)));
}

/// Removing a field or a selection key that is not there is a misspelt
/// name, which would leave in place what the profile meant to drop.
#[test]
fn removing_what_is_not_there_is_an_error() {
    let cases = [
        (
            "      nosuch: {remove: true}\n",
            "field res.partner.nosuch does not exist, so it cannot be removed",
        ),
        (
            "      type: {selection_remove: [contact, nosuchkey]}\n",
            "res.partner.type has no selection key \"nosuchkey\" to remove; its keys are contact, invoice, delivery, other",
        ),
    ];
    for (field, expected) in cases {
        let text = format!(
            "name: acme\nextends: odoo-17\ndatabase: acme\nmodels:\n  res.partner:\n    fields:\n{field}"
        );
        let error = Profile::from_yaml("acme.yaml", &text)
            .expect_err("the removal finds nothing")
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
}

/// A profile that makes a field required without a default leaves the
/// base's records without a value. `profile check` names all of them at
/// once, so that one run lists every value the profile must add.
#[test]
fn required_field_without_values_lists_every_record() {
    let text = "name: acme\nextends: odoo-17\ndatabase: acme\nmodels:\n  res.partner:\n    fields:\n      x_studio_segment: {type: selection, string: Segment, selection: [[smb, SMB]], required: true}\nrecords:\n  res.partner:\n    - {xmlid: base.res_partner_1, x_studio_segment: smb}\n";
    let error = Profile::from_yaml("acme.yaml", text)
        .expect_err("the base's partners have no segment")
        .to_string();
    assert!(
        error.contains(
            "records of res.partner have no value for the required field x_studio_segment (Segment): base.main_partner, "
        ),
        "{error}"
    );
    assert!(error.contains("base.res_partner_2"), "{error}");
    assert!(!error.contains("base.res_partner_1,"), "{error}");
}
