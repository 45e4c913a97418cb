//! The store's indexes after creates, writes, imports and deletes: every
//! index contains exactly the entries of its table's rows, and the lookups
//! that use them (unique constraints, one2many reads, `ondelete`,
//! external ids) return what a full scan returns.

mod support;

use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, OdooResult, Value};
use support::execute_kw;

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in base loads")
}

fn call(emulator: &Emulator, model: &str, method: &str, args: Vec<Value>) -> OdooResult<Value> {
    execute_kw(emulator, model, method, args, Dict::default())
}

fn vals(pairs: &[(&str, Value)]) -> Value {
    Value::Dict(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

fn create(emulator: &Emulator, model: &str, values: &[(&str, Value)]) -> i64 {
    let created = call(emulator, model, "create", vec![vals(values)]);
    match created {
        Ok(Value::Int(id)) => id,
        other => panic!("create on {model} returned {other:?}"),
    }
}

fn ids(values: &[i64]) -> Value {
    Value::List(values.iter().copied().map(Value::Int).collect())
}

fn read_field(emulator: &Emulator, model: &str, id: i64, field: &str) -> Value {
    let rows = call(
        emulator,
        model,
        "read",
        vec![ids(&[id]), Value::List(vec![field.into()])],
    );
    let Ok(Value::List(rows)) = rows else {
        panic!("read on {model} returned {rows:?}")
    };
    match rows.first() {
        Some(Value::Dict(row)) => row.get(field).cloned().unwrap_or(Value::None),
        other => panic!("read on {model} {id} returned {other:?}"),
    }
}

fn assert_indexes_match_rows(emulator: &Emulator) {
    let database = emulator.database("demo").expect("demo exists");
    let state = database.state.lock().expect("the lock is not poisoned");
    for (model, table) in &state.tables {
        assert!(
            table.indexes_match_rows(),
            "the indexes of {model} are stale"
        );
    }
}

#[test]
fn indexes_follow_creates_writes_and_unlinks() {
    let emulator = emulator();
    let company = create(
        &emulator,
        "res.partner",
        &[("name", "Parent".into()), ("is_company", true.into())],
    );
    let tag = create(&emulator, "res.partner.category", &[("name", "VIP".into())]);
    let contact = create(
        &emulator,
        "res.partner",
        &[
            ("name", "Child".into()),
            ("parent_id", Value::Int(company)),
            (
                "category_id",
                Value::List(vec![Value::List(vec![6.into(), 0.into(), ids(&[tag])])]),
            ),
        ],
    );
    assert_indexes_match_rows(&emulator);

    call(
        &emulator,
        "res.partner",
        "write",
        vec![ids(&[contact]), vals(&[("parent_id", false.into())])],
    )
    .expect("the write succeeds");
    call(
        &emulator,
        "res.partner",
        "write",
        vec![ids(&[contact]), vals(&[("parent_id", Value::Int(company))])],
    )
    .expect("the write succeeds");
    assert_indexes_match_rows(&emulator);

    call(
        &emulator,
        "res.partner.category",
        "unlink",
        vec![ids(&[tag])],
    )
    .expect("the unlink succeeds");
    call(&emulator, "res.partner", "unlink", vec![ids(&[company])]).expect("the unlink succeeds");
    assert_indexes_match_rows(&emulator);
    assert_eq!(
        read_field(&emulator, "res.partner", contact, "parent_id"),
        Value::Bool(false)
    );
    assert_eq!(
        read_field(&emulator, "res.partner", contact, "category_id"),
        Value::List(Vec::new())
    );
}

#[test]
fn one2many_reads_lines_in_id_order() {
    let emulator = emulator();
    let company = create(
        &emulator,
        "res.partner",
        &[("name", "Parent".into()), ("is_company", true.into())],
    );
    let first = create(
        &emulator,
        "res.partner",
        &[("name", "A".into()), ("parent_id", Value::Int(company))],
    );
    let second = create(
        &emulator,
        "res.partner",
        &[("name", "B".into()), ("parent_id", Value::Int(company))],
    );
    let other = create(&emulator, "res.partner", &[("name", "C".into())]);

    call(
        &emulator,
        "res.partner",
        "write",
        vec![ids(&[other]), vals(&[("parent_id", Value::Int(company))])],
    )
    .expect("the write succeeds");
    call(
        &emulator,
        "res.partner",
        "write",
        vec![ids(&[first]), vals(&[("parent_id", false.into())])],
    )
    .expect("the write succeeds");

    let children = read_field(&emulator, "res.partner", company, "child_ids");
    assert_eq!(children, ids(&[second, other]));
}

#[test]
fn unique_constraint_still_rejects_duplicates() {
    let emulator = emulator();
    for code in ["X1", "X2", "X3"] {
        create(
            &emulator,
            "res.country",
            &[
                ("name", format!("Land {code}").as_str().into()),
                ("code", code.into()),
            ],
        );
    }

    let duplicate = call(
        &emulator,
        "res.country",
        "create",
        vec![vals(&[("name", "Another".into()), ("code", "X2".into())])],
    );
    let renamed = call(
        &emulator,
        "res.country",
        "create",
        vec![vals(&[("name", "Land X9".into()), ("code", "X9".into())])],
    );

    let error = duplicate.expect_err("a second country with code X2 is rejected");
    assert_eq!(
        error.message,
        "The operation cannot be completed: The code of the country must be unique!"
    );
    assert!(renamed.is_ok(), "{renamed:?}");
    assert_indexes_match_rows(&emulator);
}

#[test]
fn unique_constraint_allows_rewriting_own_key() {
    let emulator = emulator();
    let id = create(
        &emulator,
        "res.country",
        &[("name", "Land Y".into()), ("code", "Y1".into())],
    );

    let written = call(
        &emulator,
        "res.country",
        "write",
        vec![
            ids(&[id]),
            vals(&[("code", "Y1".into()), ("name", "Land Y".into())]),
        ],
    );

    assert_eq!(written, Ok(Value::Bool(true)));
}

#[test]
fn unlink_removes_external_ids() {
    let emulator = emulator();
    let fields = Value::List(vec!["id".into(), "name".into()]);
    let rows = Value::List(vec![Value::List(vec![
        "saas.customer_1".into(),
        "Ada".into(),
    ])]);
    let loaded = call(&emulator, "res.partner", "load", vec![fields, rows]).expect("load succeeds");
    let Value::Dict(result) = loaded else {
        panic!("load returned {loaded:?}")
    };
    let Some(Value::List(loaded_ids)) = result.get("ids") else {
        panic!("load returned {result:?}")
    };
    let id = loaded_ids[0].as_i64().expect("an id");

    call(&emulator, "res.partner", "unlink", vec![ids(&[id])]).expect("the unlink succeeds");

    let domain = Value::List(vec![Value::List(vec![
        "name".into(),
        "=".into(),
        "customer_1".into(),
    ])]);
    let count = call(&emulator, "ir.model.data", "search_count", vec![domain]);
    assert_eq!(count, Ok(Value::Int(0)));
    let database = emulator.database("demo").expect("demo exists");
    let state = database.state.lock().expect("the lock is not poisoned");
    assert!(state.xmlid("saas.customer_1").is_none());
    assert!(state.xmlids_of("res.partner", id).is_empty());
    drop(state);
    assert_indexes_match_rows(&emulator);
}
