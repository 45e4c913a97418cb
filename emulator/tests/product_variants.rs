//! Odoo 17 creates a variant for every new product template without
//! attributes (`product.template._create_variant_ids`), and a variant
//! created directly brings exactly one template.

mod support;

use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, Value};

use support::execute_kw;

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in profile loads")
}

fn dict(pairs: Vec<(&str, Value)>) -> Dict {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn create(emulator: &Emulator, model: &str, vals: Vec<(&str, Value)>) -> i64 {
    execute_kw(
        emulator,
        model,
        "create",
        vec![Value::Dict(dict(vals))],
        Dict::default(),
    )
    .expect("create")
    .as_i64()
    .expect("an id")
}

/// Returns the variants of a template, archived ones included.
fn variants_of(emulator: &Emulator, template: i64) -> Vec<Value> {
    let domain = Value::List(vec![Value::List(vec![
        Value::from("product_tmpl_id"),
        Value::from("="),
        Value::Int(template),
    ])]);
    let fields = ["name", "lst_price", "active"].map(Value::from).to_vec();
    let context = Dict::from_iter([("active_test".to_owned(), Value::Bool(false))]);
    let found = execute_kw(
        emulator,
        "product.product",
        "search_read",
        vec![domain, Value::List(fields)],
        Dict::from_iter([("context".to_owned(), Value::Dict(context))]),
    )
    .expect("search_read")
    .expand_records();
    match found {
        Value::List(records) => records,
        other => panic!("search_read returned {other:?}"),
    }
}

fn field(record: &Value, name: &str) -> Value {
    match record {
        Value::Dict(record) => record.get(name).cloned().unwrap_or(Value::None),
        other => panic!("a record is a dict, got {other:?}"),
    }
}

#[test]
fn template_gets_one_variant() {
    let emulator = emulator();
    let template = create(
        &emulator,
        "product.template",
        vec![
            ("name", Value::from("Walnut Shelf")),
            ("list_price", Value::Float(42.0)),
        ],
    );
    let variants = variants_of(&emulator, template);
    assert_eq!(variants.len(), 1);
    assert_eq!(field(&variants[0], "name"), Value::from("Walnut Shelf"));
    assert_eq!(field(&variants[0], "lst_price"), Value::Float(42.0));
    assert_eq!(field(&variants[0], "active"), Value::Bool(true));
}

#[test]
fn archived_template_gets_archived_variant() {
    let emulator = emulator();
    let template = create(
        &emulator,
        "product.template",
        vec![
            ("name", Value::from("Old Shelf")),
            ("active", Value::Bool(false)),
        ],
    );
    let variants = variants_of(&emulator, template);
    assert_eq!(variants.len(), 1);
    assert_eq!(field(&variants[0], "active"), Value::Bool(false));
}

#[test]
fn variant_brings_one_template() {
    let emulator = emulator();
    let variant = create(
        &emulator,
        "product.product",
        vec![("name", Value::from("Oak Shelf"))],
    );
    let read = execute_kw(
        &emulator,
        "product.product",
        "read",
        vec![
            Value::List(vec![Value::Int(variant)]),
            Value::List(vec![Value::from("product_tmpl_id")]),
        ],
        Dict::from_iter([("load".to_owned(), Value::None)]),
    )
    .expect("read")
    .expand_records();
    let Value::List(records) = read else {
        panic!("read returns a list");
    };
    let template = field(&records[0], "product_tmpl_id")
        .as_i64()
        .expect("a template id");
    let variants = variants_of(&emulator, template);
    assert_eq!(variants.len(), 1);
}

fn write_template(emulator: &Emulator, template: i64, vals: Vec<(&str, Value)>) {
    execute_kw(
        emulator,
        "product.template",
        "write",
        vec![
            Value::List(vec![Value::Int(template)]),
            Value::Dict(dict(vals)),
        ],
        Dict::default(),
    )
    .expect("write the template");
}

/// Odoo 17's `product.template.write` archives the variants with their
/// template, and gives a restored template its variant back.
#[test]
fn variant_follows_template_archiving() {
    let emulator = emulator();
    let template = create(
        &emulator,
        "product.template",
        vec![("name", Value::from("Pine Shelf"))],
    );
    write_template(&emulator, template, vec![("active", Value::Bool(false))]);
    let variants = variants_of(&emulator, template);
    assert_eq!(variants.len(), 1);
    assert_eq!(field(&variants[0], "active"), Value::Bool(false));

    write_template(&emulator, template, vec![("active", Value::Bool(true))]);
    let variants = variants_of(&emulator, template);
    assert_eq!(variants.len(), 1);
    assert_eq!(field(&variants[0], "active"), Value::Bool(true));
}

/// Odoo's variant barcode is `copy=False`, so copying a product with a
/// barcode gives one without.
#[test]
fn copy_leaves_the_barcode_out() {
    let emulator = emulator();
    let template = create(
        &emulator,
        "product.template",
        vec![
            ("name", Value::from("Scanner")),
            ("barcode", Value::from("5400000000017")),
        ],
    );

    let copy = execute_kw(
        &emulator,
        "product.template",
        "copy",
        vec![Value::List(vec![Value::Int(template)])],
        Dict::default(),
    )
    .expect("the copy succeeds");
    let copy = copy.as_list().map_or(copy.clone(), |ids| ids[0].clone());
    let read = execute_kw(
        &emulator,
        "product.template",
        "read",
        vec![Value::List(vec![copy]), Value::List(vec!["barcode".into()])],
        Dict::default(),
    )
    .expect("the copy is read")
    .expand_records();
    let records = read.as_list().expect("a list");
    assert_eq!(field(&records[0], "barcode"), Value::Bool(false));
}
