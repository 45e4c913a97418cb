//! Sales order lines take their description, unit, taxes and price from
//! their product, as Odoo 17 computes them on `create` and `write`
//! (`sale.order.line._compute_name`, `_compute_product_uom`,
//! `_compute_tax_id`, `_compute_price_unit`). The products are the base
//! profile's demo data: "Desk Combination" (`FURN_7800`, 450.0, with a
//! sales description) and "Corner Desk Right Sit" (`E-COM06`, 147.0).

mod support;

use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};

use support::execute_kw;

const LINE_FIELDS: [&str; 5] = [
    "name",
    "product_uom",
    "tax_id",
    "price_unit",
    "price_subtotal",
];

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in profile loads")
}

fn dict(pairs: Vec<(&str, Value)>) -> Dict {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn call(emulator: &Emulator, model: &str, method: &str, args: Vec<Value>) -> OdooResult<Value> {
    execute_kw(emulator, model, method, args, Dict::default())
}

/// Returns the id of the product with this internal reference.
fn product(emulator: &Emulator, code: &str) -> i64 {
    let domain = Value::List(vec![Value::List(vec![
        Value::from("default_code"),
        Value::from("="),
        Value::from(code),
    ])]);
    let found = call(emulator, "product.product", "search", vec![domain]).expect("search");
    match found {
        Value::List(ids) => ids[0].as_i64().expect("an id"),
        other => panic!("search returned {other:?}"),
    }
}

/// Creates an order for the demo customer Deco Addict with one line of
/// these values, and returns the line's id.
fn order_with_line(emulator: &Emulator, line: Vec<(&str, Value)>) -> OdooResult<i64> {
    let create_line = Value::List(vec![Value::Int(0), Value::Int(0), Value::Dict(dict(line))]);
    let order = call(
        emulator,
        "sale.order",
        "create",
        vec![Value::Dict(dict(vec![
            ("partner_id", Value::Int(3)),
            ("order_line", Value::List(vec![create_line])),
        ]))],
    )?;
    let order = order.as_i64().expect("an order id");
    let read = call(
        emulator,
        "sale.order",
        "read",
        vec![
            Value::List(vec![Value::Int(order)]),
            Value::List(vec![Value::from("order_line")]),
        ],
    )?
    .expand_records();
    Ok(field(&first(read), "order_line")
        .as_list()
        .and_then(|ids| ids.first())
        .and_then(Value::as_i64)
        .expect("one line"))
}

/// Creates an order with one line of the product with internal reference
/// `code` and of the other values, and returns the line's id.
fn line_of(emulator: &Emulator, code: &str, mut values: Vec<(&str, Value)>) -> i64 {
    values.insert(0, ("product_id", Value::Int(product(emulator, code))));
    order_with_line(emulator, values).expect("Odoo 17 creates the line")
}

fn first(value: Value) -> Dict {
    match value {
        Value::List(mut records) if !records.is_empty() => match records.remove(0) {
            Value::Dict(record) => record,
            other => panic!("a record is a dict, got {other:?}"),
        },
        other => panic!("expected records, got {other:?}"),
    }
}

fn field(record: &Dict, name: &str) -> Value {
    record.get(name).cloned().unwrap_or(Value::None)
}

fn read_line(emulator: &Emulator, line: i64) -> Dict {
    let fields = LINE_FIELDS.iter().copied().map(Value::from).collect();
    let read = call(
        emulator,
        "sale.order.line",
        "read",
        vec![Value::List(vec![Value::Int(line)]), Value::List(fields)],
    )
    .expect("read the line");
    first(read.expand_records())
}

fn write_line(emulator: &Emulator, line: i64, vals: Vec<(&str, Value)>) {
    call(
        emulator,
        "sale.order.line",
        "write",
        vec![Value::List(vec![Value::Int(line)]), Value::Dict(dict(vals))],
    )
    .expect("write the line");
}

fn units() -> Value {
    Value::List(vec![Value::Int(1), Value::from("Units")])
}

#[test]
fn product_fills_description_unit_price() {
    let emulator = emulator();
    let line = line_of(
        &emulator,
        "FURN_7800",
        vec![("product_uom_qty", Value::Float(2.0))],
    );
    let read = read_line(&emulator, line);
    assert_eq!(
        field(&read, "name"),
        Value::from(
            "[FURN_7800] Desk Combination\nDesk combination, black-brown: chair + desk + drawer."
        )
    );
    assert_eq!(field(&read, "product_uom"), units());
    assert_eq!(field(&read, "tax_id"), Value::List(Vec::new()));
    assert_eq!(field(&read, "price_unit"), Value::Float(450.0));
    assert_eq!(field(&read, "price_subtotal"), Value::Float(900.0));
}

#[test]
fn given_values_are_kept() {
    let emulator = emulator();
    let line = line_of(
        &emulator,
        "E-COM06",
        vec![
            ("name", Value::from("Desk, as ordered")),
            ("price_unit", Value::Float(99.0)),
        ],
    );
    let read = read_line(&emulator, line);
    assert_eq!(field(&read, "name"), Value::from("Desk, as ordered"));
    assert_eq!(field(&read, "price_unit"), Value::Float(99.0));
    assert_eq!(field(&read, "product_uom"), units());
}

/// In Odoo 17 the price depends on the quantity (pricelist tiers), so a
/// write of the quantity alone puts back the product's price over a
/// price the client set; a write that also sends the price keeps it.
#[test]
fn quantity_write_resets_price() {
    let emulator = emulator();
    let line = line_of(
        &emulator,
        "E-COM06",
        vec![("price_unit", Value::Float(99.0))],
    );
    write_line(
        &emulator,
        line,
        vec![("product_uom_qty", Value::Float(3.0))],
    );
    assert_eq!(
        field(&read_line(&emulator, line), "price_unit"),
        Value::Float(147.0)
    );

    write_line(
        &emulator,
        line,
        vec![
            ("product_uom_qty", Value::Float(4.0)),
            ("price_unit", Value::Float(99.0)),
        ],
    );
    let read = read_line(&emulator, line);
    assert_eq!(field(&read, "price_unit"), Value::Float(99.0));
    assert_eq!(field(&read, "price_subtotal"), Value::Float(396.0));
}

#[test]
fn invoiced_line_keeps_price() {
    let emulator = emulator();
    let line = line_of(
        &emulator,
        "E-COM06",
        vec![("price_unit", Value::Float(99.0))],
    );
    write_line(&emulator, line, vec![("qty_invoiced", Value::Float(1.0))]);
    write_line(
        &emulator,
        line,
        vec![("product_uom_qty", Value::Float(3.0))],
    );
    assert_eq!(
        field(&read_line(&emulator, line), "price_unit"),
        Value::Float(99.0)
    );
}

#[test]
fn price_follows_line_unit() {
    let emulator = emulator();
    let desk = product(&emulator, "FURN_7800");
    // Dozens (`uom.product_uom_dozen`, id 2) has the ratio 1/12 against
    // Units, so a dozen desks cost twelve times one.
    let line = order_with_line(
        &emulator,
        vec![
            ("product_id", Value::Int(desk)),
            ("product_uom", Value::Int(2)),
        ],
    )
    .expect("create");
    let price = field(&read_line(&emulator, line), "price_unit")
        .as_f64()
        .expect("a price");
    assert!((price - 5400.0).abs() < 1e-6, "price {price}");
}

#[test]
fn product_change_recomputes_fields() {
    let emulator = emulator();
    let tax = |name: &str, company: i64| {
        call(
            &emulator,
            "account.tax",
            "create",
            vec![Value::Dict(dict(vec![
                ("name", Value::from(name)),
                ("amount", Value::Float(21.0)),
                ("company_id", Value::Int(company)),
            ]))],
        )
        .expect("create a tax")
        .as_i64()
        .expect("a tax id")
    };
    let other_company = call(
        &emulator,
        "res.company",
        "create",
        vec![Value::Dict(dict(vec![(
            "name",
            Value::from("Second Company"),
        )]))],
    )
    .expect("create a company")
    .as_i64()
    .expect("a company id");
    let own_tax = tax("VAT 21%", 1);
    let foreign_tax = tax("VAT 21% (second company)", other_company);
    let cabinet = product(&emulator, "E-COM07");
    call(
        &emulator,
        "product.product",
        "write",
        vec![
            Value::List(vec![Value::Int(cabinet)]),
            Value::Dict(dict(vec![(
                "taxes_id",
                Value::List(vec![Value::List(vec![
                    Value::Int(6),
                    Value::Int(0),
                    Value::List(vec![Value::Int(own_tax), Value::Int(foreign_tax)]),
                ])]),
            )])),
        ],
    )
    .expect("give the product taxes");

    let line = line_of(&emulator, "FURN_7800", vec![("product_uom", Value::Int(2))]);
    write_line(&emulator, line, vec![("product_id", Value::Int(cabinet))]);
    let read = read_line(&emulator, line);
    assert_eq!(field(&read, "name"), Value::from("[E-COM07] Large Cabinet"));
    assert_eq!(field(&read, "product_uom"), units());
    assert_eq!(
        field(&read, "tax_id"),
        Value::List(vec![Value::Int(own_tax)])
    );
    assert_eq!(field(&read, "price_unit"), Value::Float(320.0));
}

#[test]
fn line_without_description_rejected() {
    let emulator = emulator();
    let error = order_with_line(&emulator, vec![("product_uom_qty", Value::Float(1.0))])
        .expect_err("Odoo 17 requires the description");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert!(
        error
            .message
            .ends_with("Model: Sales Order Line (sale.order.line)\nField: Description (name)\n"),
        "{}",
        error.message
    );
}

/// Odoo 15 filled these fields in the order form's onchanges, which RPC
/// calls do not run: its lines need the description sent.
#[test]
fn odoo_15_computes_nothing() {
    let yaml = "name: v15\nextends: odoo-17\nodoo_version: \"15.0\"\ndatabase: demo\n";
    let profile = Profile::from_yaml("v15.yaml", yaml).expect("the profile loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("an emulator");
    let desk = product(&emulator, "FURN_7800");
    let error = order_with_line(&emulator, vec![("product_id", Value::Int(desk))])
        .expect_err("no description is computed");
    assert!(
        error.message.contains("Field: Description (name)"),
        "{}",
        error.message
    );
}
