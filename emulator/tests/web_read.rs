//! `web_read` and `web_search_read` on the built-in Odoo 17 base: the
//! shapes Odoo 17's `web` module returns for the demo partners, and the
//! access checks they share with `read`.
//!
//! Users of the base: 2 is the administrator, 3 Marc Demo (a salesman
//! whose rules show him his own orders and invoices) and 4 Joel Willis, a
//! portal user without access to journals.

mod support;

use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};
use serde_json::json;
use support::execute_kw;

const DEMO: i64 = 3;
const PORTAL: i64 = 4;

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in base loads")
}

fn value(json: serde_json::Value) -> Value {
    Value::from(json)
}

fn kwargs(json: serde_json::Value) -> Dict {
    match value(json) {
        Value::Dict(kwargs) => kwargs,
        other => panic!("kwargs must be a JSON object, got {other:?}"),
    }
}

/// Calls `model.method(*args, **kwargs)` as user `uid` of database `demo`.
fn call_as(
    emulator: &Emulator,
    uid: i64,
    model: &str,
    method: &str,
    args: serde_json::Value,
    kwargs_json: serde_json::Value,
) -> OdooResult<Value> {
    let Value::List(args) = value(args) else {
        panic!("args must be a JSON array")
    };
    emulator.execute("demo", uid, model, method, args, kwargs(kwargs_json))
}

fn web_read(
    emulator: &Emulator,
    model: &str,
    ids: &[i64],
    specification: serde_json::Value,
) -> OdooResult<Value> {
    execute_kw(
        emulator,
        model,
        "web_read",
        vec![value(json!(ids))],
        kwargs(json!({ "specification": specification })),
    )
}

fn web_search_read(
    emulator: &Emulator,
    domain: serde_json::Value,
    specification: serde_json::Value,
    options: serde_json::Value,
) -> OdooResult<Value> {
    let mut arguments = kwargs(options);
    arguments.insert("specification".to_owned(), value(specification));
    execute_kw(
        emulator,
        "res.partner",
        "web_search_read",
        vec![value(domain)],
        arguments,
    )
}

/// Returns the id of the record of `model` named `name`, archived or not.
fn id_of(emulator: &Emulator, model: &str, name: &str) -> i64 {
    let found = execute_kw(
        emulator,
        model,
        "search",
        vec![value(json!([["name", "=", name]]))],
        kwargs(json!({ "context": { "active_test": false } })),
    );
    match found {
        Ok(Value::List(ids)) if ids.len() == 1 => ids[0].as_i64().expect("an id"),
        other => panic!("expected one {model} named {name:?}, found {other:?}"),
    }
}

/// Returns the only record of a `web_read` result.
fn only_record(result: OdooResult<Value>) -> Dict {
    match result {
        Ok(Value::List(mut records)) if records.len() == 1 => match records.remove(0) {
            Value::Dict(record) => record,
            other => panic!("a record is a dict, got {other:?}"),
        },
        other => panic!("expected one record, got {other:?}"),
    }
}

/// Returns a dict's keys in order: the wire keeps it, and `Dict`'s
/// equality does not compare it.
fn keys(value: &Value) -> Vec<&str> {
    match value {
        Value::Dict(entries) => entries.keys().map(String::as_str).collect(),
        other => panic!("expected a dict, got {other:?}"),
    }
}

fn field<'r>(record: &'r Dict, name: &str) -> &'r Value {
    record
        .get(name)
        .unwrap_or_else(|| panic!("no {name:?} in {record:?}"))
}

#[test]
fn empty_sub_specs_read_as_load_none() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let united_states = id_of(&emulator, "res.country", "United States");
    let desks = id_of(&emulator, "res.partner.category", "Desk Manufacturers");
    let office = id_of(&emulator, "res.partner.category", "Office Supplies");
    let billy = id_of(&emulator, "res.partner", "Billy Fox");
    let kim = id_of(&emulator, "res.partner", "Kim Snyder");

    let specification = json!({
        "name": {}, "country_id": {}, "category_id": {}, "child_ids": {}
    });
    let record = only_record(web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        specification,
    ));

    let expected = value(json!({
        "id": ready_mat,
        "name": "Ready Mat",
        "country_id": united_states,
        "category_id": [desks, office],
        "child_ids": [billy, kim],
    }));
    assert_eq!(Value::Dict(record.clone()), expected);
    assert_eq!(
        keys(&Value::Dict(record)),
        ["id", "name", "country_id", "category_id", "child_ids"]
    );
}

#[test]
fn many2one_fields_read_related_record() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let united_states = id_of(&emulator, "res.country", "United States");

    let specification = json!({
        "country_id": { "fields": { "display_name": {}, "code": {} } }
    });
    let record = only_record(web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        specification,
    ));

    let country = field(&record, "country_id");
    let expected = json!({ "id": united_states, "code": "US", "display_name": "United States" });
    assert_eq!(*country, value(expected));
    // Odoo reads the other fields first and adds `display_name` last.
    assert_eq!(keys(country), ["id", "code", "display_name"]);
}

#[test]
fn many2one_empty_fields_give_id_dict() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let united_states = id_of(&emulator, "res.country", "United States");
    let created = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![value(json!({ "name": "No Country" }))],
        Dict::default(),
    );
    let Ok(Value::Int(no_country)) = created else {
        panic!("create returned {created:?}")
    };

    let specification = json!({ "country_id": { "fields": {} } });
    let result = web_read(
        &emulator,
        "res.partner",
        &[ready_mat, no_country],
        specification,
    );

    let expected = json!([
        { "id": ready_mat, "country_id": { "id": united_states } },
        { "id": no_country, "country_id": false },
    ]);
    assert_eq!(result, Ok(value(expected)));
}

#[test]
fn x2many_fields_give_list_of_dicts() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let desks = id_of(&emulator, "res.partner.category", "Desk Manufacturers");
    let office = id_of(&emulator, "res.partner.category", "Office Supplies");
    let billy = id_of(&emulator, "res.partner", "Billy Fox");
    let kim = id_of(&emulator, "res.partner", "Kim Snyder");

    let specification = json!({
        "category_id": { "fields": { "display_name": {} } },
        "child_ids": { "fields": { "name": {}, "function": {} } },
    });
    let record = only_record(web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        specification,
    ));

    let categories = json!([
        { "id": desks, "display_name": "Vendor / Desk Manufacturers" },
        { "id": office, "display_name": "Vendor / Office Supplies" },
    ]);
    assert_eq!(*field(&record, "category_id"), value(categories));
    let children = json!([
        { "id": billy, "name": "Billy Fox", "function": "Production Supervisor" },
        { "id": kim, "name": "Kim Snyder", "function": "Senior Associate" },
    ]);
    assert_eq!(*field(&record, "child_ids"), value(children));
}

#[test]
fn x2many_order_sorts_ids() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let billy = id_of(&emulator, "res.partner", "Billy Fox");
    let kim = id_of(&emulator, "res.partner", "Kim Snyder");

    for (order, expected) in [("name asc", [billy, kim]), ("name desc", [kim, billy])] {
        let specification = json!({ "child_ids": { "order": order } });
        let record = only_record(web_read(
            &emulator,
            "res.partner",
            &[ready_mat],
            specification,
        ));
        assert_eq!(
            *field(&record, "child_ids"),
            value(json!(expected)),
            "{order}"
        );
    }
}

#[test]
fn x2many_limit_reads_first_records_only() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let billy = id_of(&emulator, "res.partner", "Billy Fox");
    let kim = id_of(&emulator, "res.partner", "Kim Snyder");

    let specification = json!({
        "child_ids": { "fields": { "name": {} }, "order": "name", "limit": 1 }
    });
    let record = only_record(web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        specification,
    ));

    let expected = json!([{ "id": billy, "name": "Billy Fox" }, { "id": kim }]);
    assert_eq!(*field(&record, "child_ids"), value(expected));
}

#[test]
fn x2many_limit_needs_fields() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let billy = id_of(&emulator, "res.partner", "Billy Fox");
    let kim = id_of(&emulator, "res.partner", "Kim Snyder");

    let specification = json!({ "child_ids": { "limit": 1 } });
    let record = only_record(web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        specification,
    ));

    assert_eq!(*field(&record, "child_ids"), value(json!([billy, kim])));
}

#[test]
fn x2many_order_includes_archived_records() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let desks = id_of(&emulator, "res.partner.category", "Desk Manufacturers");
    let office = id_of(&emulator, "res.partner.category", "Office Supplies");
    let archived = execute_kw(
        &emulator,
        "res.partner.category",
        "write",
        vec![value(json!([office])), value(json!({ "active": false }))],
        Dict::default(),
    );
    assert_eq!(archived, Ok(Value::Bool(true)));

    let specification = json!({ "category_id": { "order": "name desc" } });
    let record = only_record(web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        specification,
    ));

    // A many2many reads archived tags too, and the sort keeps them.
    assert_eq!(
        *field(&record, "category_id"),
        value(json!([office, desks]))
    );
}

#[test]
fn sub_spec_context_reaches_related_read() {
    let emulator = emulator();
    let billy = id_of(&emulator, "res.partner", "Billy Fox");

    let plain = json!({ "parent_id": { "fields": { "name": {} } } });
    let record = only_record(web_read(&emulator, "res.partner", &[billy], plain));
    assert_eq!(
        *field(&record, "parent_id"),
        value(json!({ "id": id_of(&emulator, "res.partner", "Ready Mat"), "name": "Ready Mat" }))
    );

    // The partner rules read `company_ids`, which the context now names
    // a company the administrator does not belong to.
    let foreign = json!({
        "parent_id": { "fields": { "name": {} }, "context": { "allowed_company_ids": [999] } }
    });
    let error = web_read(&emulator, "res.partner", &[billy], foreign).expect_err("company 999");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        "Access to unauthorized or invalid companies."
    );
}

#[test]
fn sub_spec_context_must_be_a_dict() {
    let emulator = emulator();
    let billy = id_of(&emulator, "res.partner", "Billy Fox");

    let specification = json!({ "parent_id": { "fields": {}, "context": [] } });
    let error = web_read(&emulator, "res.partner", &[billy], specification).expect_err("a list");

    assert_eq!(error.kind, ErrorKind::TypeError);
    assert_eq!(
        error.message,
        "odoo.models.BaseModel.with_context() argument after ** must be a mapping, not list"
    );
}

#[test]
fn unreadable_many2one_still_shows_display_name() {
    let emulator = emulator();
    let invoice = id_of(&emulator, "account.move", "INV/2024/00001");
    let journal = id_of(&emulator, "account.journal", "Customer Invoices");

    // The portal user reads invoices but not journals. Odoo 17 reads the
    // display name of a many2one as the superuser.
    let specification = json!({ "name": {}, "journal_id": { "fields": { "display_name": {} } } });
    let result = call_as(
        &emulator,
        PORTAL,
        "account.move",
        "web_read",
        json!([[invoice]]),
        json!({ "specification": specification }),
    );
    let expected = json!([{
        "id": invoice,
        "name": "INV/2024/00001",
        "journal_id": { "id": journal, "display_name": "Customer Invoices" },
    }]);
    assert_eq!(result, Ok(value(expected)));

    // Any other field of the journal is read with the user's rights.
    let specification = json!({ "journal_id": { "fields": { "code": {} } } });
    let error = call_as(
        &emulator,
        PORTAL,
        "account.move",
        "web_read",
        json!([[invoice]]),
        json!({ "specification": specification }),
    )
    .expect_err("no access to journals");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        "You are not allowed to access 'Journal' (account.journal) records.\n\n\
         This operation is allowed for the following groups:\n\
         \t- Billing\n\
         \t- Billing Administrator\n\
         \t- Show Accounting Features - Readonly\n\
         \t- User: Own Documents Only\n\n\
         Contact your administrator to request access if necessary."
    );
}

#[test]
fn x2many_order_drops_hidden_records() {
    let emulator = emulator();
    let order = id_of(&emulator, "sale.order", "S00005");
    let admins_invoice = id_of(&emulator, "account.move", "INV/2024/00001");
    let demos_invoice = id_of(&emulator, "account.move", "/");
    let linked = execute_kw(
        &emulator,
        "sale.order",
        "write",
        vec![
            value(json!([order])),
            value(json!({ "invoice_ids": [[4, admins_invoice], [4, demos_invoice]] })),
        ],
        Dict::default(),
    );
    assert_eq!(linked, Ok(Value::Bool(true)));

    // Marc Demo's rules hide the administrator's invoice.
    let specification = json!({ "invoice_ids": { "order": "id desc", "fields": { "name": {} } } });
    let result = call_as(
        &emulator,
        DEMO,
        "sale.order",
        "web_read",
        json!([[order]]),
        json!({ "specification": specification }),
    );
    let expected = json!([{ "id": order, "invoice_ids": [{ "id": demos_invoice, "name": "/" }] }]);
    assert_eq!(result, Ok(value(expected)));
}

#[test]
fn hidden_record_fails_as_read_does() {
    let emulator = emulator();
    let admins_order = id_of(&emulator, "sale.order", "S00004");
    let args = json!([[admins_order]]);

    let read = call_as(
        &emulator,
        DEMO,
        "sale.order",
        "read",
        args.clone(),
        json!({ "fields": ["name"] }),
    )
    .expect_err("the rules hide the order");
    let web = call_as(
        &emulator,
        DEMO,
        "sale.order",
        "web_read",
        args,
        json!({ "specification": { "name": {} } }),
    )
    .expect_err("the rules hide the order");

    assert_eq!(web.kind, ErrorKind::AccessError);
    assert_eq!(web, read);
}

#[test]
fn unknown_field_is_value_error() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");

    let error = web_read(
        &emulator,
        "res.partner",
        &[ready_mat],
        json!({ "nope": {} }),
    )
    .expect_err("no such field");

    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(error.message, "Invalid field 'nope' on model 'res.partner'");
}

#[test]
fn id_only_spec_returns_ids_unread() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");

    for specification in [json!({}), json!({ "id": {} })] {
        let result = web_read(
            &emulator,
            "res.partner",
            &[ready_mat, 999],
            specification.clone(),
        );
        let expected = json!([{ "id": ready_mat }, { "id": 999 }]);
        assert_eq!(result, Ok(value(expected)), "{specification}");
    }
}

#[test]
fn specification_must_be_a_dict() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");

    let error =
        web_read(&emulator, "res.partner", &[ready_mat], json!(["name"])).expect_err("a list");
    assert_eq!(error.kind, ErrorKind::AttributeError);
    assert_eq!(error.message, "'list' object has no attribute 'items'");

    let error =
        web_search_read(&emulator, json!([]), json!(["name"]), json!({})).expect_err("a list");
    assert_eq!(error.kind, ErrorKind::AttributeError);
    assert_eq!(error.message, "'list' object has no attribute 'keys'");
}

#[test]
fn missing_specification_is_type_error() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");

    let error = execute_kw(
        &emulator,
        "res.partner",
        "web_read",
        vec![value(json!([ready_mat]))],
        Dict::default(),
    )
    .expect_err("no specification");

    assert_eq!(error.kind, ErrorKind::TypeError);
    assert_eq!(
        error.message,
        "Base.web_read() missing 1 required positional argument: 'specification'"
    );
}

const COMPANIES: [&str; 8] = [
    "Azure Interior",
    "Deco Addict",
    "Gemini Furniture",
    "Lumber Inc",
    "Ready Mat",
    "The Jackson Group",
    "Wood Corner",
    "YourCompany",
];

/// Returns `length` and the names of the records of a `web_search_read`
/// of the companies, which sort by name.
fn companies_page(emulator: &Emulator, options: serde_json::Value) -> (Value, Vec<String>) {
    let result = web_search_read(
        emulator,
        json!([["is_company", "=", true]]),
        json!({ "name": {} }),
        options,
    );
    let Ok(Value::Dict(page)) = result else {
        panic!("expected a dict, got {result:?}")
    };
    assert_eq!(keys(&Value::Dict(page.clone())), ["length", "records"]);
    let names = match field(&page, "records") {
        Value::List(records) => records
            .iter()
            .map(|record| match record {
                Value::Dict(values) => field(values, "name").as_str().expect("a name").to_owned(),
                other => panic!("a record is a dict, got {other:?}"),
            })
            .collect(),
        other => panic!("records must be a list, got {other:?}"),
    };
    (field(&page, "length").clone(), names)
}

#[test]
fn search_read_page_records() {
    let emulator = emulator();
    let ready_mat = id_of(&emulator, "res.partner", "Ready Mat");
    let united_states = id_of(&emulator, "res.country", "United States");

    let result = web_search_read(
        &emulator,
        json!([["name", "=", "Ready Mat"]]),
        json!({ "name": {}, "country_id": { "fields": { "display_name": {} } } }),
        json!({}),
    );

    let expected = json!({
        "length": 1,
        "records": [{
            "id": ready_mat,
            "name": "Ready Mat",
            "country_id": { "id": united_states, "display_name": "United States" },
        }],
    });
    assert_eq!(result, Ok(value(expected)));
}

#[test]
fn search_read_length_rules() {
    let emulator = emulator();
    let total = COMPANIES.len() as i64;
    // (options, expected length, expected first and last name)
    let cases = [
        // No limit: the records found, plus the offset.
        (json!({}), total, 0..8),
        (json!({ "offset": 6 }), total, 6..8),
        // A full page: the matching records are counted.
        (json!({ "limit": 3 }), total, 0..3),
        // ... up to count_limit.
        (json!({ "limit": 3, "count_limit": 5 }), 5, 0..3),
        // The page already reaches count_limit: no count.
        (
            json!({ "limit": 3, "offset": 3, "count_limit": 4 }),
            6,
            3..6,
        ),
        // A partial page ends the records.
        (json!({ "limit": 3, "offset": 6 }), total, 6..8),
        // A limit of 0 is no limit.
        (json!({ "limit": 0 }), total, 0..8),
        // Past the end: nothing found, length 0.
        (json!({ "limit": 3, "offset": 8 }), 0, 8..8),
    ];
    for (options, length, names) in cases {
        let (found_length, found_names) = companies_page(&emulator, options.clone());
        assert_eq!(found_length, Value::Int(length), "length with {options}");
        assert_eq!(found_names, COMPANIES[names], "records with {options}");
    }
}

#[test]
fn force_search_count_counts_partial_page() {
    let emulator = emulator();
    // A partial page counts only when the context forces it, and the
    // count stops at count_limit.
    let (length, _) = companies_page(
        &emulator,
        json!({ "limit": 5, "offset": 5, "count_limit": 7, "context": { "force_search_count": true } }),
    );
    assert_eq!(length, Value::Int(7));
}

#[test]
fn search_read_unknown_field_needs_records() {
    let emulator = emulator();

    let error = web_search_read(&emulator, json!([]), json!({ "nope": {} }), json!({}))
        .expect_err("no such field");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(error.message, "Invalid field 'nope' on model 'res.partner'");

    // Odoo checks the fields only once records are found.
    let nothing = json!([["id", "=", 0]]);
    let result = web_search_read(&emulator, nothing, json!({ "nope": {} }), json!({}));
    assert_eq!(result, Ok(value(json!({ "length": 0, "records": [] }))));
}

#[test]
fn methods_exist_from_odoo_17() {
    for (version, exists) in [("16.0", false), ("17.0", true), ("18.0", true)] {
        let yaml = format!("name: v\nextends: odoo-17\nodoo_version: \"{version}\"\n");
        let profile = Profile::from_yaml("web-read-version.yaml", &yaml).expect("profile loads");
        let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("one database");

        let read = web_read(&emulator, "res.partner", &[1], json!({ "name": {} }));
        let search = web_search_read(&emulator, json!([["id", "=", 1]]), json!({}), json!({}));
        if exists {
            assert_eq!(
                read,
                Ok(value(json!([{ "id": 1, "name": "YourCompany" }]))),
                "{version}"
            );
            let expected = json!({ "length": 1, "records": [{ "id": 1 }] });
            assert_eq!(search, Ok(value(expected)), "{version}");
        } else {
            let read = read.expect_err("no web_read before 17.0");
            assert_eq!(
                read.message,
                "The method 'web_read' does not exist on the model 'res.partner'"
            );
            let search = search.expect_err("no web_search_read before 17.0");
            assert_eq!(
                search.message,
                "The method 'web_search_read' does not exist on the model 'res.partner'"
            );
        }
    }
}
