//! The values Odoo computes on a sales order line from its product, as
//! stored computed fields that a client may also set (`precompute=True`,
//! `readonly=False` in Odoo 16 and later):
//!
//! | field | computed as | from a write of |
//! |---|---|---|
//! | `name` | the product's display name, then its sales description on a new line | `product_id` |
//! | `product_uom` | the product's unit of measure | `product_id` |
//! | `tax_id` | the product's customer taxes of the line's company | `product_id` |
//! | `price_unit` | the product's sales price, converted to the line's unit | `product_id`, `product_uom`, `product_uom_qty` |
//!
//! A field the client gives in the same `create` or `write` keeps the
//! given value. A line without a product keeps its description and gets
//! no taxes and a price of 0. The price is left alone once part of the
//! line is invoiced. Odoo 14 and 15 filled these fields in form
//! onchanges, which RPC calls do not run, so there the client must send
//! them.
//!
//! The computations read the product as the superuser, as Odoo computes
//! stored fields (`compute_sudo`).
//!
//! Where it differs from Odoo: without pricelists, fiscal positions or
//! currency rates in the profile format, the price is the product's
//! `lst_price` in the company currency, and taxes are not mapped. The
//! description leaves out the variant attributes Odoo appends.

use crate::error::OdooResult;
use crate::orm::env::{ids_of, record_id, Env};
use crate::orm::schema::Model;
use crate::value::{Dict, Value};

/// The model whose lines this module completes.
pub const ORDER_LINE_MODEL: &str = "sale.order.line";

/// Tells whether creates and writes of `model` get values computed from
/// the product in this database's Odoo version.
pub fn applies(env: &Env<'_>, model: &Model) -> bool {
    model.name == ORDER_LINE_MODEL && env.version.computes_lines_from_product()
}

/// Completes the values of a new line (defaults already added) with the
/// fields computed from its product that the values leave out.
pub fn complete_create(env: &Env<'_>, model: &Model, vals: &mut Dict) -> OdooResult<()> {
    let product = vals.get("product_id").and_then(record_id);
    let company = vals
        .get("order_id")
        .and_then(record_id)
        .and_then(|order| env.state.stored("sale.order", order, "company_id"))
        .and_then(record_id);
    let mut line = LineValues {
        product,
        company,
        uom: vals.get("product_uom").and_then(record_id),
    };
    if !vals.contains_key("product_uom") {
        line.uom = line.product_uom(env)?;
    }
    for (name, value) in line.computed(env, model, |name| vals.contains_key(name))? {
        vals.insert(name.to_owned(), value);
    }
    Ok(())
}

/// Returns the values written on line `id`: `vals` and, when they change
/// the product, unit or quantity, the fields computed from them that
/// `vals` leaves out.
pub fn complete_write(env: &Env<'_>, model: &Model, id: i64, vals: &Dict) -> OdooResult<Dict> {
    let changes_product = vals.contains_key("product_id");
    let changes_price =
        changes_product || vals.contains_key("product_uom") || vals.contains_key("product_uom_qty");
    if !changes_price {
        return Ok(vals.clone());
    }
    let stored = |name: &str| env.state.stored(&model.name, id, name);
    let given_or_stored = |name: &str| vals.get(name).or_else(|| stored(name));
    let mut line = LineValues {
        product: given_or_stored("product_id").and_then(record_id),
        company: record_id(&env.get_by_name(model, id, "company_id")),
        uom: given_or_stored("product_uom").and_then(record_id),
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
                "price_unit" => invoiced,
                _ => !changes_product,
            }
    };
    let mut completed = vals.clone();
    for (name, value) in line.computed(env, model, keeps)? {
        completed.insert(name.to_owned(), value);
    }
    Ok(completed)
}

/// What the computed fields of one line depend on.
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
        let wanted = |name: &str| model.has_field(name) && !keeps(name);
        if wanted("name") {
            if let Some(product) = self.product {
                values.push(("name", Value::Str(description(env, &products, product))));
            }
        }
        if wanted("product_uom") {
            values.push((
                "product_uom",
                self.uom.map_or(Value::Bool(false), Value::Int),
            ));
        }
        if wanted("tax_id") {
            let taxes = match self.product {
                Some(product) => self.company_taxes(env, &products, product),
                None => Vec::new(),
            };
            values.push(("tax_id", replace_command(taxes)));
        }
        if wanted("price_unit") {
            let price = match (self.product, self.uom) {
                (Some(product), Some(uom)) => sales_price(env, &products, product, uom),
                _ => 0.0,
            };
            values.push(("price_unit", Value::Float(price)));
        }
        Ok(values)
    }

    /// Returns the product's customer taxes of the line's company or, when
    /// it has none, of its nearest parent company that has some, as Odoo
    /// 17's `_filter_taxes_by_company` chooses them for branches.
    fn company_taxes(&self, env: &Env<'_>, products: &Model, product: i64) -> Vec<i64> {
        let taxes = ids_of(&env.get_by_name(products, product, "taxes_id"));
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
    if product_uom == uom {
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

/// Returns the x2many command that sets exactly `ids`: `(6, 0, ids)`.
fn replace_command(ids: Vec<i64>) -> Value {
    Value::List(vec![Value::List(vec![
        Value::Int(6),
        Value::Int(0),
        Value::List(ids.into_iter().map(Value::Int).collect()),
    ])])
}
