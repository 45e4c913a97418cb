//! Sales order lines take their description, unit, taxes and price from
//! their product, as Odoo 17 computes them on `create` and `write`
//! (`sale.order.line._compute_name`, `_compute_product_uom`,
//! `_compute_tax_id`, `_compute_price_unit`). The products are the base
//! profile's demo data: "Desk Combination" (`FURN_7800`, 450.0, with a
//! sales description) and "Corner Desk Right Sit" (`E-COM06`, 147.0).

mod support;

use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, ErrorKind, OdooError, OdooResult, Value};
use rstest::rstest;

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
    read_record(emulator, "sale.order.line", line, &LINE_FIELDS)
}

/// Reads `fields` of one record as the test user.
fn read_record(emulator: &Emulator, model: &str, id: i64, fields: &[&str]) -> Dict {
    let fields = fields.iter().copied().map(Value::from).collect();
    let read = call(
        emulator,
        model,
        "read",
        vec![Value::List(vec![Value::Int(id)]), Value::List(fields)],
    )
    .unwrap_or_else(|error| panic!("read {model} {id}: {error}"));
    first(read.expand_records())
}

/// Copies a sales order and returns the copy's id.
fn copy_order(emulator: &Emulator, order: i64) -> i64 {
    call(
        emulator,
        "sale.order",
        "copy",
        vec![Value::List(vec![Value::Int(order)])],
    )
    .expect("copy the order")
    .as_i64()
    .expect("an order id")
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

/// In Odoo 17 the price depends on the quantity (pricelist tiers). So a
/// write of the quantity alone puts back the product's price over a price
/// the client set, while a write that also sends the price keeps it.
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

/// Checks the price per the line's unit. Dozens (id 2) have the ratio
/// 1/12 against Units, so a dozen desks cost twelve times one. Grams (id
/// 4) are a weight, and Odoo's `_compute_price` keeps the price across
/// categories. Storage Box costs 15.8 a unit, so 189.6 a dozen once
/// rounded to the field's two digits (189.60000000000002 unrounded).
#[rstest]
#[case::dozen("FURN_7800", 2, 5400.0)]
#[case::other_category("FURN_7800", 4, 450.0)]
#[case::rounded("E-COM08", 2, 189.6)]
fn price_follows_line_unit(#[case] code: &str, #[case] uom: i64, #[case] expected: f64) {
    let emulator = emulator();
    let line = line_of(&emulator, code, vec![("product_uom", Value::Int(uom))]);
    assert_eq!(
        field(&read_line(&emulator, line), "price_unit"),
        Value::Float(expected)
    );
}

#[test]
fn product_change_recomputes_fields() {
    let emulator = emulator();
    let other_company = second_company(&emulator);
    let own_tax = tax(&emulator, "VAT 21%", 1, true);
    let foreign_tax = tax(&emulator, "VAT 21% (second company)", other_company, true);
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

/// Creates a second company, "Second Company", and returns its id.
fn second_company(emulator: &Emulator) -> i64 {
    call(
        emulator,
        "res.company",
        "create",
        vec![Value::Dict(dict(vec![(
            "name",
            Value::from("Second Company"),
        )]))],
    )
    .expect("create a company")
    .as_i64()
    .expect("a company id")
}

/// Creates a tax of 21% in `company`, active or archived.
fn tax(emulator: &Emulator, name: &str, company: i64, active: bool) -> i64 {
    call(
        emulator,
        "account.tax",
        "create",
        vec![Value::Dict(dict(vec![
            ("name", Value::from(name)),
            ("amount", Value::Float(21.0)),
            ("company_id", Value::Int(company)),
            ("active", Value::Bool(active)),
        ]))],
    )
    .expect("create a tax")
    .as_i64()
    .expect("a tax id")
}

/// Creates a product sold at 100.0 with these customer taxes.
fn taxed_product(emulator: &Emulator, taxes: &[i64]) -> i64 {
    let set = Value::List(vec![Value::List(vec![
        Value::Int(6),
        Value::Int(0),
        Value::List(taxes.iter().copied().map(Value::Int).collect()),
    ])]);
    call(
        emulator,
        "product.product",
        "create",
        vec![Value::Dict(dict(vec![
            ("name", Value::from("Taxed Widget")),
            ("list_price", Value::Float(100.0)),
            ("taxes_id", set),
        ]))],
    )
    .expect("create a product")
    .as_i64()
    .expect("a product id")
}

#[test]
fn product_as_read_pair_is_used() {
    let emulator = emulator();
    let desk = product(&emulator, "E-COM06");
    let pair = Value::List(vec![Value::Int(desk), Value::from("Corner Desk Right Sit")]);
    let line = order_with_line(&emulator, vec![("product_id", pair)]).expect("create");
    let read = read_line(&emulator, line);
    assert_eq!(
        field(&read, "name"),
        Value::from("[E-COM06] Corner Desk Right Sit")
    );
    assert_eq!(field(&read, "price_unit"), Value::Float(147.0));
}

#[test]
fn archived_taxes_are_left_out() {
    let emulator = emulator();
    let active = tax(&emulator, "VAT 21%", 1, true);
    let archived = tax(&emulator, "Old VAT 21%", 1, false);
    let widget = taxed_product(&emulator, &[active, archived]);
    let line =
        order_with_line(&emulator, vec![("product_id", Value::Int(widget))]).expect("create");
    assert_eq!(
        field(&read_line(&emulator, line), "tax_id"),
        Value::List(vec![Value::Int(active)])
    );
}

#[test]
fn moving_line_recomputes_its_taxes() {
    let emulator = emulator();
    let second = second_company(&emulator);
    let own = tax(&emulator, "VAT 21%", 1, true);
    let foreign = tax(&emulator, "VAT 21% (second company)", second, true);
    let widget = taxed_product(&emulator, &[own, foreign]);
    let line =
        order_with_line(&emulator, vec![("product_id", Value::Int(widget))]).expect("create");
    assert_eq!(
        field(&read_line(&emulator, line), "tax_id"),
        Value::List(vec![Value::Int(own)])
    );

    let other_order = call(
        &emulator,
        "sale.order",
        "create",
        vec![Value::Dict(dict(vec![
            ("partner_id", Value::Int(3)),
            ("company_id", Value::Int(second)),
        ]))],
    )
    .expect("create an order of the second company")
    .as_i64()
    .expect("an order id");
    write_line(&emulator, line, vec![("order_id", Value::Int(other_order))]);
    assert_eq!(
        field(&read_line(&emulator, line), "tax_id"),
        Value::List(vec![Value::Int(foreign)])
    );
}

#[test]
fn section_with_product_is_rejected() {
    let emulator = emulator();
    let desk = product(&emulator, "FURN_7800");
    let error = order_with_line(
        &emulator,
        vec![
            ("display_type", Value::from("line_section")),
            ("name", Value::from("Desks")),
            ("product_id", Value::Int(desk)),
            ("product_uom_qty", Value::Float(0.0)),
        ],
    )
    .expect_err("Odoo 17's non_accountable_null_fields CHECK fails");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert_eq!(
        error.message,
        "The operation cannot be completed: Forbidden values on non-accountable sale order line"
    );
}

/// Odoo 17's `sale.order.line.create` sets a section's quantity to 0, so
/// the line passes `non_accountable_null_fields` without the client
/// sending one.
#[test]
fn section_line_gets_zero_quantity() {
    let emulator = emulator();
    let line = order_with_line(
        &emulator,
        vec![
            ("display_type", Value::from("line_section")),
            ("name", Value::from("Desks")),
        ],
    )
    .expect("Odoo 17 creates the section");
    let read = read_record(
        &emulator,
        "sale.order.line",
        line,
        &["name", "price_unit", "product_uom_qty"],
    );
    assert_eq!(field(&read, "name"), Value::from("Desks"));
    assert_eq!(field(&read, "price_unit"), Value::Float(0.0));
    assert_eq!(field(&read, "product_uom_qty"), Value::Float(0.0));
}

/// Odoo 15 defaults the price to 0 and computes nothing from the product.
#[test]
fn odoo_15_defaults_price_to_zero() {
    let yaml = "name: v15\nextends: odoo-17\nodoo_version: \"15.0\"\ndatabase: demo\n";
    let profile = Profile::from_yaml("v15.yaml", yaml).expect("the profile loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("an emulator");
    let line = line_of(&emulator, "FURN_7800", vec![("name", Value::from("Desk"))]);
    let read = read_line(&emulator, line);
    assert_eq!(field(&read, "price_unit"), Value::Float(0.0));
    assert_eq!(field(&read, "product_uom"), Value::Bool(false));
}

/// Odoo 17's `order_line` is `copy=True`: a copy of a confirmed order is
/// a quotation with copies of its lines, without what was invoiced.
/// Order 4 of the demo data is confirmed and fully invoiced.
#[test]
fn copied_order_copies_its_lines() {
    let emulator = emulator();
    let copy = copy_order(&emulator, 4);
    let read = |order: i64| {
        read_record(
            &emulator,
            "sale.order",
            order,
            &["state", "order_line", "amount_untaxed"],
        )
    };
    let original = read(4);
    let copied = read(copy);
    assert_eq!(field(&copied, "state"), Value::from("draft"));
    assert_eq!(
        field(&copied, "amount_untaxed"),
        field(&original, "amount_untaxed")
    );
    let lines = |order: &Dict| field(order, "order_line").as_list().map(<[Value]>::len);
    assert_eq!(lines(&copied), lines(&original));
    assert_ne!(field(&copied, "order_line"), field(&original, "order_line"));

    let first_line = field(&copied, "order_line").as_list().expect("lines")[0]
        .as_i64()
        .expect("a line id");
    let invoiced = call(
        &emulator,
        "sale.order.line",
        "read",
        vec![
            Value::List(vec![Value::Int(first_line)]),
            Value::List(vec![Value::from("qty_invoiced"), Value::from("name")]),
        ],
    )
    .expect("read the copied line")
    .expand_records();
    let line = first(invoiced);
    assert_eq!(field(&line, "qty_invoiced"), Value::Float(0.0));
    assert_eq!(field(&line, "name"), Value::from("Virtual Interior Design"));
}

/// Odoo 17's `fields_get` lists a computed field's inputs under
/// `depends`, from which a client learns that Odoo fills the required
/// description itself.
#[test]
fn fields_get_lists_what_line_fields_depend_on() {
    let emulator = emulator();
    let described = execute_kw(
        &emulator,
        "sale.order.line",
        "fields_get",
        vec![Value::List(vec![
            Value::from("name"),
            Value::from("price_unit"),
            Value::from("discount"),
        ])],
        Dict::from_iter([(
            "attributes".to_owned(),
            Value::List(vec![Value::from("depends"), Value::from("required")]),
        )]),
    )
    .expect("fields_get");
    let Value::Dict(described) = described else {
        panic!("fields_get returns a dict");
    };
    let depends = |name: &str| match described.get(name) {
        Some(Value::Dict(description)) => description.get("depends").cloned(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        depends("name"),
        Some(Value::List(vec![Value::from("product_id")]))
    );
    assert_eq!(
        depends("price_unit"),
        Some(Value::List(
            ["product_id", "product_uom", "product_uom_qty"]
                .map(Value::from)
                .to_vec()
        ))
    );
    assert_eq!(depends("discount"), Some(Value::List(Vec::new())));
}

/// `(1, id, values)` writes the line as `write` does, so a line that no
/// longer exists raises Odoo 17's MissingError instead of being skipped.
/// The order lines' multi-company rule reads the deleted line first, so
/// the error is the one of `check_access_rule`.
#[test]
fn update_command_on_deleted_line_is_missing() {
    let emulator = emulator();
    let update = Value::List(vec![
        Value::Int(1),
        Value::Int(999),
        Value::Dict(dict(vec![("product_uom_qty", Value::Float(2.0))])),
    ]);
    let error = call(
        &emulator,
        "sale.order",
        "write",
        vec![
            Value::List(vec![Value::Int(4)]),
            Value::Dict(dict(vec![("order_line", Value::List(vec![update]))])),
        ],
    )
    .expect_err("the line does not exist");
    assert_eq!(error.kind, ErrorKind::MissingError);
    assert_eq!(
        error.message,
        "Record does not exist or has been deleted.\n(Record: sale.order.line(999,), User: 2)"
    );
}

/// Returns the error of writing `vals` on line `line`.
fn write_line_error(emulator: &Emulator, line: i64, vals: Vec<(&str, Value)>) -> OdooError {
    call(
        emulator,
        "sale.order.line",
        "write",
        vec![Value::List(vec![Value::Int(line)]), Value::Dict(dict(vals))],
    )
    .expect_err("Odoo 17's sale.order.line.write raises")
}

#[test]
fn line_type_cannot_change() {
    let emulator = emulator();
    let line = line_of(&emulator, "E-COM06", Vec::new());
    let error = write_line_error(
        &emulator,
        line,
        vec![("display_type", Value::from("line_note"))],
    );
    assert_eq!(error.kind, ErrorKind::UserError);
    assert_eq!(
        error.message,
        "You cannot change the type of a sale order line. Instead you should delete the \
         current line and create a new line of the proper type."
    );
}

/// Line 8 of the demo data belongs to the confirmed order 4 and is fully
/// invoiced, so Odoo 17's `product_updatable` is false for it.
#[test]
fn invoiced_line_keeps_its_product() {
    let emulator = emulator();
    let lamp = product(&emulator, "FURN_8888");
    let lines = call(
        &emulator,
        "sale.order.line",
        "search",
        vec![Value::List(vec![Value::List(vec![
            Value::from("order_id"),
            Value::from("="),
            Value::Int(4),
        ])])],
    )
    .expect("search the order's lines");
    let line = lines.as_list().expect("ids")[0].as_i64().expect("an id");
    let error = write_line_error(&emulator, line, vec![("product_id", Value::Int(lamp))]);
    assert_eq!(error.kind, ErrorKind::UserError);
    assert_eq!(
        error.message,
        "You cannot modify the product of this order line."
    );
}

/// Odoo's `sale.order.copy_data` leaves out down payments.
#[test]
fn copy_leaves_out_down_payments() {
    let emulator = emulator();
    let desk = product(&emulator, "E-COM06");
    let line = |pairs: Vec<(&str, Value)>| {
        Value::List(vec![Value::Int(0), Value::Int(0), Value::Dict(dict(pairs))])
    };

    let order = call(
        &emulator,
        "sale.order",
        "create",
        vec![Value::Dict(dict(vec![
            ("partner_id", Value::Int(3)),
            (
                "order_line",
                Value::List(vec![
                    line(vec![("product_id", Value::Int(desk))]),
                    line(vec![
                        ("name", Value::from("Down payment")),
                        ("is_downpayment", Value::Bool(true)),
                        ("price_unit", Value::Float(50.0)),
                        ("product_uom_qty", Value::Float(0.0)),
                    ]),
                ]),
            ),
        ]))],
    )
    .expect("create")
    .as_i64()
    .expect("an order id");

    let copy = copy_order(&emulator, order);

    let read = read_record(
        &emulator,
        "sale.order",
        copy,
        &["order_line", "invoice_ids"],
    );
    assert_eq!(
        field(&read, "order_line").as_list().map(<[Value]>::len),
        Some(1)
    );
    assert_eq!(field(&read, "invoice_ids"), Value::List(Vec::new()));
}

/// Builds an emulator whose global rule hides order lines of 1,000 or
/// more from reads, with an order of one line at 5,000 and one at 5.
/// Returns the emulator and the order.
fn order_with_hidden_line() -> (Emulator, i64) {
    let yaml = "name: hidden\nextends: odoo-17\ndatabase: demo\nrules:\n  - name: Cheap lines only\n    model: sale.order.line\n    domain_force: \"[('price_unit', '<', 1000)]\"\n    perm_write: false\n    perm_create: false\n    perm_unlink: false\n";
    let profile = Profile::from_yaml("hidden.yaml", yaml).expect("the profile loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("an emulator");
    let desk = product(&emulator, "E-COM06");
    let line = |price: f64| {
        Value::List(vec![
            Value::Int(0),
            Value::Int(0),
            Value::Dict(dict(vec![
                ("product_id", Value::Int(desk)),
                ("price_unit", Value::Float(price)),
            ])),
        ])
    };
    let order = call(
        &emulator,
        "sale.order",
        "create",
        vec![Value::Dict(dict(vec![
            ("partner_id", Value::Int(3)),
            ("order_line", Value::List(vec![line(5000.0), line(5.0)])),
        ]))],
    )
    .expect("create")
    .as_i64()
    .expect("an order id");
    (emulator, order)
}

/// Odoo reads an order's lines through a search as the caller, so a copy
/// leaves out the lines a record rule hides from them.
#[test]
fn copy_leaves_out_hidden_lines() {
    let (emulator, order) = order_with_hidden_line();
    let copy = copy_order(&emulator, order);
    // The totals are computed as the superuser, so they count every line
    // the copy has, hidden or not.
    let read = read_record(&emulator, "sale.order", copy, &["amount_untaxed"]);
    assert_eq!(field(&read, "amount_untaxed"), Value::Float(5.0));
}

/// Odoo 17 reads an x2many through a search of the comodel, so `read`
/// lists only the lines the record rules let the caller see.
#[test]
fn read_lists_only_visible_lines() {
    let (emulator, order) = order_with_hidden_line();
    let read = read_record(
        &emulator,
        "sale.order",
        order,
        &["order_line", "amount_untaxed"],
    );
    assert_eq!(
        field(&read, "order_line").as_list().map(<[Value]>::len),
        Some(1)
    );
    assert_eq!(field(&read, "amount_untaxed"), Value::Float(5005.0));
}
