//! The values Odoo computes on a sales order line from its product, as
//! stored computed fields that a client may also set (`precompute=True`,
//! `readonly=False` in Odoo 16 and later):
//!
//! | field | computed as | from a write of |
//! |---|---|---|
//! | `name` | the product's display name, then its sales description on a new line | `product_id` |
//! | `product_uom` | the product's unit of measure | `product_id` |
//! | `tax_id` | the product's customer taxes of the line's company | `product_id`, `order_id` |
//! | `price_unit` | the product's sales price, converted to the line's unit | `product_id`, `product_uom`, `product_uom_qty` |
//!
//! A field the client gives in the same `create` or `write` (or as a
//! `default_*` context key on `create`) keeps the given value. A line
//! without a product keeps its description and gets no taxes and a price
//! of 0. The price is left alone once part of the line is invoiced. Odoo
//! 14 and 15 filled these fields in form onchanges, which RPC calls do
//! not run, so there the client must send them. In every version a new
//! section or note line gets a quantity of 0, as Odoo's `create` sets.
//!
//! The computations read the product as the superuser, as Odoo computes
//! stored fields (`compute_sudo`).
//!
//! Where it differs from Odoo: without pricelists, fiscal positions or
//! currency rates in the profile format, the price is the product's
//! `lst_price` in the company currency, and taxes are not mapped. The
//! description leaves out the variant attributes Odoo appends. Writing a
//! company on an order does not recompute its lines' taxes, and products
//! get no default customer tax from their company.
//!
//! Writes get the checks of Odoo's `write` override first: a line keeps
//! its `display_type`, and a confirmed line whose order is locked or that
//! is partly invoiced or delivered keeps its product.
//!
//! NOTE: Odoo also refuses writes of some fields of a locked order's
//! lines; the emulator accepts them.

use crate::error::{OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::convert;
use crate::orm::env::{ids_of, record_id, Env};
use crate::orm::schema::Model;
use crate::value::{Dict, Value};

/// The model whose lines this module completes.
pub const ORDER_LINE_MODEL: &str = "sale.order.line";

/// Returns the fields that a computed field of the order line depends
/// on, as Odoo 17's `fields_get` lists them under `depends`.
pub fn depends(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "name" | "product_uom" => Some(&["product_id"]),
        "tax_id" => Some(&["product_id", "company_id"]),
        "price_unit" => Some(&["product_id", "product_uom", "product_uom_qty"]),
        _ => None,
    }
}

/// Tells whether `model` is the sales order line, whose writes get the
/// checks of [`check_write`] in every version.
pub fn applies_to_model(model: &Model) -> bool {
    model.name == ORDER_LINE_MODEL
}

/// Tells whether creates and writes of `model` get values computed from
/// the product in this database's Odoo version.
pub fn applies(env: &Env<'_>, model: &Model) -> bool {
    applies_to_model(model) && env.version.computes_lines_from_product()
}

/// Prepares the values of a new line before defaults are added. A
/// section or note line gets a quantity of 0, which Odoo's
/// `sale.order.line.create` sets over any value sent. From Odoo 16 the
/// fields computed from the product are completed too.
pub fn prepare_create(env: &Env<'_>, model: &Model, vals: &mut Dict) -> OdooResult<()> {
    let display_type = vals
        .get("display_type")
        .or_else(|| env.context.get("default_display_type"))
        .is_some_and(Value::is_truthy);
    if display_type && model.has_field("product_uom_qty") {
        vals.insert("product_uom_qty".to_owned(), Value::Float(0.0));
    }
    if env.version.computes_lines_from_product() {
        complete_create(env, model, vals)?;
    }
    Ok(())
}

/// Completes the values of a new line, before defaults are added, with
/// the fields computed from its product that neither the values nor the
/// context's `default_*` keys give. A field with a profile default (the
/// `price_unit` of Odoo 15) is computed too, as Odoo computes a field that
/// has no default of its own.
fn complete_create(env: &Env<'_>, model: &Model, vals: &mut Dict) -> OdooResult<()> {
    let sent = |name: &str| {
        vals.contains_key(name) || env.context.contains_key(&format!("default_{name}"))
    };
    let value_of = |name: &str| {
        vals.get(name)
            .or_else(|| env.context.get(&format!("default_{name}")))
    };
    let company = value_of("order_id")
        .and_then(many2one_id)
        .and_then(|order| env.state.stored("sale.order", order, "company_id"))
        .and_then(record_id);
    let mut line = LineValues {
        product: value_of("product_id").and_then(many2one_id),
        company,
        uom: value_of("product_uom").and_then(many2one_id),
    };
    if !sent("product_uom") {
        line.uom = line.product_uom(env)?;
    }
    let computed = line.computed(env, model, |name| sent(name))?;
    for (name, value) in computed {
        vals.insert(name.to_owned(), value);
    }
    Ok(())
}

/// Returns the values written on line `id`: `vals` and, when they change
/// the product, unit or quantity, the fields computed from them that
/// `vals` leaves out.
pub fn complete_write(env: &Env<'_>, model: &Model, id: i64, vals: &Dict) -> OdooResult<Dict> {
    let changes_product = vals.contains_key("product_id");
    // The company is the order's, so moving the line to another order may
    // change the taxes that apply.
    let changes_company = vals.contains_key("order_id");
    let changes_price =
        changes_product || vals.contains_key("product_uom") || vals.contains_key("product_uom_qty");
    if !changes_price && !changes_company {
        return Ok(vals.clone());
    }
    let stored = |name: &str| env.state.stored(&model.name, id, name);
    let sent_or_stored = |name: &str| vals.get(name).or_else(|| stored(name));

    let company = match vals.get("order_id").and_then(many2one_id) {
        Some(order) => env
            .state
            .stored("sale.order", order, "company_id")
            .and_then(record_id),
        None => record_id(&env.get_by_name(model, id, "company_id")),
    };
    let mut line = LineValues {
        product: sent_or_stored("product_id").and_then(many2one_id),
        company,
        uom: sent_or_stored("product_uom").and_then(many2one_id),
    };
    if changes_product && !vals.contains_key("product_uom") {
        line.uom = line.product_uom(env)?;
    }

    let invoiced = stored("qty_invoiced")
        .and_then(Value::as_f64)
        .is_some_and(|quantity| quantity > 0.0);
    let keeps = |name: &str| {
        vals.contains_key(name)
            || match name {
                "price_unit" => invoiced || !changes_price,
                "tax_id" => !changes_product && !changes_company,
                _ => !changes_product,
            }
    };
    let mut completed = vals.clone();
    for (name, value) in line.computed(env, model, keeps)? {
        completed.insert(name.to_owned(), value);
    }
    Ok(completed)
}

/// Raises the `UserError`s that Odoo's `sale.order.line.write` raises
/// before writing. A line may not change its type. The product of a
/// cancelled line may not change, nor that of a confirmed line whose
/// order is locked or that is partly invoiced or delivered.
pub fn check_write(env: &Env<'_>, model: &Model, ids: &[i64], vals: &Dict) -> OdooResult<()> {
    if !vals.contains_key("display_type") && !vals.contains_key("product_id") {
        return Ok(());
    }
    // Odoo reads the lines to compare them, as the caller, so a line the
    // caller cannot read or that was deleted fails that read first.
    env.check_access_rights(model, Operation::Read)?;
    env.check_missing(model, ids)?;
    env.check_access_rule(model, ids, Operation::Read)?;
    let stored = |id: i64, name: &str| env.state.stored(&model.name, id, name).cloned();
    if let Some(display_type) = vals.get("display_type") {
        // Python compares the stored key, or False, with the value as sent,
        // so '' and None differ from an unset type.
        let same = |current: Option<Value>| match (current.filter(Value::is_truthy), display_type) {
            (None, Value::Bool(false)) => true,
            (Some(Value::Str(current)), Value::Str(requested)) => current == *requested,
            _ => false,
        };
        if ids.iter().any(|&id| !same(stored(id, "display_type"))) {
            return Err(OdooError::user(
                "You cannot change the type of a sale order line. Instead you should delete \
                 the current line and create a new line of the proper type.",
            ));
        }
    }
    if let Some(product) = vals.get("product_id") {
        let requested = many2one_id(product);
        let changes_fixed_product = ids.iter().any(|&id| {
            stored(id, "product_id").as_ref().and_then(many2one_id) != requested
                && !product_updatable(env, model, id)
        });
        if changes_fixed_product {
            return Err(OdooError::user(
                "You cannot modify the product of this order line.",
            ));
        }
    }
    Ok(())
}

/// Tells whether a line's product may change, as Odoo 17's
/// `_compute_product_updatable` decides it.
fn product_updatable(env: &Env<'_>, model: &Model, id: i64) -> bool {
    let number = |name: &str| {
        env.state
            .stored(&model.name, id, name)
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    };
    let order = env
        .state
        .stored(&model.name, id, "order_id")
        .and_then(record_id);
    let order_value =
        |name: &str| order.and_then(|order| env.state.stored("sale.order", order, name));
    match order_value("state").and_then(Value::as_str) {
        Some("cancel") => false,
        Some("sale") => {
            let locked = order_value("locked").is_some_and(Value::is_truthy);
            !locked && number("qty_invoiced") <= 0.0 && number("qty_delivered") <= 0.0
        }
        _ => true,
    }
}

/// Tells whether `copy` of an order leaves out this line: Odoo's
/// `sale.order.copy_data` drops down payments.
pub fn skipped_by_copy(env: &Env<'_>, model: &Model, line: i64) -> bool {
    applies_to_model(model)
        && env
            .state
            .stored(&model.name, line, "is_downpayment")
            .is_some_and(Value::is_truthy)
}

/// The inputs of one line's computed fields.
struct LineValues {
    product: Option<i64>,
    company: Option<i64>,
    /// The line's unit of measure once this create or write applies.
    uom: Option<i64>,
}

impl LineValues {
    /// Returns the product's unit of measure, or none without a product.
    fn product_uom(&self, env: &Env<'_>) -> OdooResult<Option<i64>> {
        let Some(product) = self.product else {
            return Ok(None);
        };
        let products = env.model("product.product")?;
        Ok(record_id(&env.get_by_name(&products, product, "uom_id")))
    }

    /// Returns each computed field of `model` that `keeps` does not
    /// protect, with its value.
    fn computed(
        &self,
        env: &Env<'_>,
        model: &Model,
        keeps: impl Fn(&str) -> bool,
    ) -> OdooResult<Vec<(&'static str, Value)>> {
        let products = env.model("product.product")?;
        let mut values = Vec::new();
        let computes = |name: &str| model.has_field(name) && !keeps(name);
        if computes("name") {
            if let Some(product) = self.product {
                values.push(("name", Value::Str(description(env, &products, product))));
            }
        }
        if computes("product_uom") {
            values.push((
                "product_uom",
                self.uom.map_or(Value::Bool(false), Value::Int),
            ));
        }
        if computes("tax_id") {
            let taxes = match self.product {
                Some(product) => self.company_taxes(env, &products, product),
                None => Vec::new(),
            };
            values.push(("tax_id", replace_command(taxes)));
        }
        if computes("price_unit") {
            let price = match (self.product, self.uom) {
                (Some(product), Some(uom)) => sales_price(env, &products, product, uom),
                _ => 0.0,
            };
            let digits = model.field("price_unit").and_then(|field| field.digits);
            values.push((
                "price_unit",
                convert::round_to_digits(Value::Float(price), digits)?,
            ));
        }
        Ok(values)
    }

    /// Returns the product's customer taxes of the line's company or, when
    /// it has none, of its nearest parent company that has some, as Odoo
    /// 17's `_filter_taxes_by_company` chooses them for branches.
    fn company_taxes(&self, env: &Env<'_>, products: &Model, product: i64) -> Vec<i64> {
        let taxes = ids_of(&env.get_by_name(products, product, "taxes_id"));
        // Reading the product's taxes leaves out archived ones, as Odoo's
        // `active_test` does.
        let active = |tax: i64| {
            env.state
                .stored("account.tax", tax, "active")
                .is_none_or(Value::is_truthy)
        };
        let taxes: Vec<i64> = taxes.into_iter().filter(|tax| active(*tax)).collect();
        let tax_company = |tax: i64| {
            env.state
                .stored("account.tax", tax, "company_id")
                .and_then(record_id)
        };
        let mut company = self.company;
        // The parent chain ends at a root company; the bound only guards
        // against a cycle in hand-written profile data.
        for _ in 0..64 {
            let Some(current) = company else {
                break;
            };
            let own: Vec<i64> = taxes
                .iter()
                .copied()
                .filter(|tax| tax_company(*tax) == Some(current))
                .collect();
            if !own.is_empty() {
                return own;
            }
            company = env
                .state
                .stored("res.company", current, "parent_id")
                .and_then(record_id);
        }
        Vec::new()
    }
}

/// Returns the product's display name, then its sales description on a
/// new line when it has one.
fn description(env: &Env<'_>, products: &Model, product: i64) -> String {
    let mut text = match env.display_name(products, product) {
        Value::Str(name) => name,
        _ => String::new(),
    };
    if let Value::Str(sales) = env.get_by_name(products, product, "description_sale") {
        if !sales.is_empty() {
            text.push('\n');
            text.push_str(&sales);
        }
    }
    text
}

/// Returns the product's sales price per `uom`: its price per its own
/// unit times that unit's ratio, divided by the ratio of `uom`, as
/// Odoo's `uom.uom._compute_price` converts a price.
fn sales_price(env: &Env<'_>, products: &Model, product: i64, uom: i64) -> f64 {
    let price = env
        .get_by_name(products, product, "lst_price")
        .as_f64()
        .unwrap_or(0.0);
    let Some(product_uom) = record_id(&env.get_by_name(products, product, "uom_id")) else {
        return price;
    };
    let category = |uom: i64| {
        env.state
            .stored("uom.uom", uom, "category_id")
            .and_then(record_id)
    };
    // Odoo converts only between units of one category and keeps the price
    // as it is otherwise.
    if product_uom == uom || category(product_uom) != category(uom) {
        return price;
    }
    let factor = |uom: i64| {
        env.state
            .stored("uom.uom", uom, "factor")
            .and_then(Value::as_f64)
            .unwrap_or(1.0)
    };
    let target = factor(uom);
    if target == 0.0 {
        return price;
    }
    price * factor(product_uom) / target
}

/// Returns the record id of a many2one value as the emulator's writes
/// accept it: an id, or a list whose first item is the id.
fn many2one_id(value: &Value) -> Option<i64> {
    match value {
        Value::List(items) => items.first().and_then(record_id),
        other => record_id(other),
    }
}

/// Returns the x2many command that sets exactly `ids`: `(6, 0, ids)`.
fn replace_command(ids: Vec<i64>) -> Value {
    Value::List(vec![Value::List(vec![
        Value::Int(6),
        Value::Int(0),
        Value::List(ids.into_iter().map(Value::Int).collect()),
    ])])
}
