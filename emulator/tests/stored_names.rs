//! `complete_name` on `res.partner` and `product.category`, which the
//! emulator stores as Odoo does: the value read and the order it gives
//! must follow every change of the names it is built from.

mod support;

use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, Value};
use support::execute_kw;

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in base loads")
}

fn vals(pairs: &[(&str, Value)]) -> Dict {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn create(emulator: &Emulator, model: &str, values: &[(&str, Value)]) -> i64 {
    execute_kw(
        emulator,
        model,
        "create",
        vec![Value::Dict(vals(values))],
        Dict::default(),
    )
    .expect("create succeeds")
    .as_i64()
    .expect("create returns an id")
}

fn create_company(emulator: &Emulator, name: &str) -> i64 {
    create(
        emulator,
        "res.partner",
        &[("name", name.into()), ("is_company", Value::Bool(true))],
    )
}

/// Creates the company Acme and its contact Ada.
fn company_and_contact(emulator: &Emulator) -> (i64, i64) {
    let company = create_company(emulator, "Acme");
    let contact = create(
        emulator,
        "res.partner",
        &[("name", "Ada".into()), ("parent_id", Value::Int(company))],
    );
    (company, contact)
}

fn write(emulator: &Emulator, model: &str, id: i64, values: &[(&str, Value)]) {
    execute_kw(
        emulator,
        model,
        "write",
        vec![Value::List(vec![Value::Int(id)]), Value::Dict(vals(values))],
        Dict::default(),
    )
    .expect("write succeeds");
}

fn complete_name(emulator: &Emulator, model: &str, id: i64) -> Value {
    let records = execute_kw(
        emulator,
        model,
        "read",
        vec![Value::List(vec![Value::Int(id)])],
        vals(&[("fields", Value::List(vec!["complete_name".into()]))]),
    )
    .expect("read succeeds");
    records.as_list().expect("read returns a list")[0]
        .as_dict()
        .expect("each record is a dict")["complete_name"]
        .clone()
}

/// Returns the ids of `ids` in the model's default order, as `search`
/// returns them.
fn ordered(emulator: &Emulator, model: &str, ids: &[i64]) -> Vec<i64> {
    let domain = Value::List(vec![Value::List(vec![
        "id".into(),
        "in".into(),
        Value::List(ids.iter().copied().map(Value::Int).collect()),
    ])]);
    let found = execute_kw(emulator, model, "search", vec![domain], Dict::default())
        .expect("search succeeds");
    found
        .as_list()
        .expect("search returns a list")
        .iter()
        .filter_map(Value::as_i64)
        .collect()
}

#[test]
fn contact_name_follows_company_rename() {
    let emulator = emulator();
    let (company, contact) = company_and_contact(&emulator);

    write(
        &emulator,
        "res.partner",
        company,
        &[("name", "Zenith".into())],
    );

    assert_eq!(
        complete_name(&emulator, "res.partner", contact),
        Value::from("Zenith, Ada")
    );
    assert_eq!(
        complete_name(&emulator, "res.partner", company),
        Value::from("Zenith")
    );
}

#[test]
fn contact_name_follows_new_parent() {
    let emulator = emulator();
    let company = create_company(&emulator, "Acme");
    let contact = create(&emulator, "res.partner", &[("name", "Ada".into())]);

    write(
        &emulator,
        "res.partner",
        contact,
        &[("parent_id", Value::Int(company))],
    );

    assert_eq!(
        complete_name(&emulator, "res.partner", contact),
        Value::from("Acme, Ada")
    );
}

#[test]
fn contact_name_drops_deleted_parent() {
    let emulator = emulator();
    let (company, contact) = company_and_contact(&emulator);

    let deleted = execute_kw(
        &emulator,
        "res.partner",
        "unlink",
        vec![Value::List(vec![Value::Int(company)])],
        Dict::default(),
    );

    // `parent_id` is `ondelete: set null` in the base profile.
    assert_eq!(deleted, Ok(Value::Bool(true)));
    assert_eq!(
        complete_name(&emulator, "res.partner", contact),
        Value::from("Ada")
    );
}

#[test]
fn partner_order_follows_company_rename() {
    let emulator = emulator();
    let first = create(
        &emulator,
        "res.partner",
        &[
            ("name", "Aardvark".into()),
            ("is_company", Value::Bool(true)),
        ],
    );
    let second = create(
        &emulator,
        "res.partner",
        &[("name", "Beaver".into()), ("is_company", Value::Bool(true))],
    );
    let contact = create(
        &emulator,
        "res.partner",
        &[("name", "Ada".into()), ("parent_id", Value::Int(first))],
    );
    let ids = [first, second, contact];
    assert_eq!(
        ordered(&emulator, "res.partner", &ids),
        [first, contact, second]
    );

    write(&emulator, "res.partner", first, &[("name", "Cobra".into())]);

    assert_eq!(
        ordered(&emulator, "res.partner", &ids),
        [second, first, contact]
    );
}

#[test]
fn category_path_follows_ancestor_rename() {
    let emulator = emulator();
    let root = create(&emulator, "product.category", &[("name", "Goods".into())]);
    let middle = create(
        &emulator,
        "product.category",
        &[("name", "Tools".into()), ("parent_id", Value::Int(root))],
    );
    let leaf = create(
        &emulator,
        "product.category",
        &[("name", "Saws".into()), ("parent_id", Value::Int(middle))],
    );

    write(
        &emulator,
        "product.category",
        root,
        &[("name", "Wares".into())],
    );

    assert_eq!(
        complete_name(&emulator, "product.category", leaf),
        Value::from("Wares / Tools / Saws")
    );
}

#[test]
fn seeded_contact_has_company_name() {
    let emulator = emulator();
    let domain = Value::List(vec![Value::List(vec![
        "parent_id".into(),
        "!=".into(),
        Value::Bool(false),
    ])]);
    let fields = Value::List(vec![
        "name".into(),
        "parent_id".into(),
        "complete_name".into(),
    ]);

    let records = execute_kw(
        &emulator,
        "res.partner",
        "search_read",
        vec![domain],
        vals(&[("fields", fields)]),
    )
    .expect("search_read succeeds");

    let records = records.as_list().expect("search_read returns a list");
    assert!(!records.is_empty(), "the base seeds contacts of companies");
    for record in records {
        let record = record.as_dict().expect("each record is a dict");
        let parent = record["parent_id"].as_list().expect("a many2one pair")[1].clone();
        let expected = format!(
            "{}, {}",
            parent.as_str().expect("the parent has a name"),
            record["name"].as_str().expect("the contact has a name")
        );
        assert_eq!(record["complete_name"], Value::from(expected.as_str()));
    }
}
