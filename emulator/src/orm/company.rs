//! The side effects of Odoo 17's `res.company.create` and `write`
//! beyond storing the row. Create makes the company's partner when the
//! values name the company without one, and gives a branch its parent's
//! currency. Then it gives the new companies to the creating user and to
//! the superuser, and activates the companies' currencies. Write gives a
//! new currency to the company's branches. Both refuse a branch whose
//! currency differs from its parent's.
//!
//! The base profile has no `logo` on `res.company` nor `image_1920` on
//! `res.partner`, so the logo is copied only for profiles that add both.
//!
//! Where it differs from Odoo: the users' `company_ids` and the currency
//! are written without access checks, where Odoo writes the users as the
//! creating user. In the base profile only `base.group_erp_manager` may
//! create companies, and it may also write users, so the outcome there is
//! the same.

use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{self, Domain, Operator};
use crate::orm::env::{record_id, Env, SUPERUSER_ID};
use crate::orm::schema::Model;
use crate::orm::write;
use crate::value::{Dict, Value};

/// The model whose creates and writes this module completes.
pub const COMPANY_MODEL: &str = "res.company";

/// The partner fields Odoo fills from a new company's values, with the
/// company key each one is read from.
const PARTNER_VALUES: [(&str, &str); 6] = [
    ("image_1920", "logo"),
    ("email", "email"),
    ("phone", "phone"),
    ("website", "website"),
    ("vat", "vat"),
    ("country_id", "country_id"),
];

/// Returns the values completed as Odoo completes them before the rows
/// are stored. Each company that has a name and no `partner_id` gets a
/// new company partner with its name and the contact values above,
/// created as the calling user. A branch without a `currency_id` gets its
/// parent's.
pub fn complete_values(env: &mut Env<'_>, vals_list: &[Dict]) -> OdooResult<Vec<Dict>> {
    let partner_model = env.model("res.partner")?;
    let mut completed = Vec::with_capacity(vals_list.len());
    for vals in vals_list {
        let mut vals = vals.clone();
        let named = vals.get("name").is_some_and(Value::is_truthy);
        let has_partner = vals.get("partner_id").is_some_and(Value::is_truthy);
        if named && !has_partner {
            let partner_vals = partner_values(&partner_model, &vals);
            let partner = create_partner(env, &partner_model, partner_vals)?;
            vals.insert("partner_id".to_owned(), Value::Int(partner));
        }
        let parent = vals.get("parent_id").and_then(record_id);
        if let (Some(parent), None) = (parent, vals.get("currency_id")) {
            if let Some(currency) = env.state.stored(COMPANY_MODEL, parent, "currency_id") {
                vals.insert("currency_id".to_owned(), currency.clone());
            }
        }
        completed.push(vals);
    }
    Ok(completed)
}

/// Creates a company's partner. Odoo creates it with `default_parent_id`
/// cleared from the context, so a default meant for the company's
/// `parent_id` does not make the partner a contact of another partner.
fn create_partner(env: &mut Env<'_>, partner_model: &Arc<Model>, vals: Dict) -> OdooResult<i64> {
    let saved = env.context.shift_remove("default_parent_id");
    let created = write::create(env, partner_model, &[vals]);
    if let Some(value) = saved {
        env.context.insert("default_parent_id".to_owned(), value);
    }
    Ok(created?[0])
}

/// Returns the currency of the calling user's default company, or
/// `False`.
pub fn user_company_currency(env: &Env<'_>) -> Value {
    let company = env
        .state
        .stored("res.users", env.uid, "company_id")
        .and_then(record_id);
    company
        .and_then(|company| env.state.stored(COMPANY_MODEL, company, "currency_id"))
        .cloned()
        .unwrap_or(Value::Bool(false))
}

fn partner_values(partner_model: &Model, vals: &Dict) -> Dict {
    let mut partner = Dict::default();
    partner.insert("name".to_owned(), vals["name"].clone());
    if partner_model.has_field("is_company") {
        partner.insert("is_company".to_owned(), Value::Bool(true));
    }
    for (field, key) in PARTNER_VALUES {
        if let Some(value) = vals.get(key).filter(|_| partner_model.has_field(field)) {
            partner.insert(field.to_owned(), value.clone());
        }
    }
    partner
}

/// Gives a written currency to the companies' branches, as Odoo 17's
/// `res.company.write` does, then checks that each written company
/// shares its parent's currency.
pub fn after_write(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    ids: &[i64],
    vals: &Dict,
) -> OdooResult<()> {
    if let Some(currency) = vals.get("currency_id") {
        let branch_vals = Dict::from_iter([("currency_id".to_owned(), currency.clone())]);
        for id in ids {
            let tree = Domain::leaf("id", Operator::ChildOf, Value::Int(*id));
            for branch in domain::evaluate(env, model, &tree)? {
                if branch != *id {
                    write::write_one(env, model, branch, &branch_vals)?;
                }
            }
        }
    }
    if vals.contains_key("currency_id") || vals.contains_key("parent_id") {
        check_branch_currencies(env, model, ids)?;
    }
    Ok(())
}

/// Raises Odoo 17's `ValidationError` for a branch whose currency differs
/// from its parent's (`_check_root_delegated_fields`).
fn check_branch_currencies(env: &Env<'_>, model: &Model, ids: &[i64]) -> OdooResult<()> {
    let currency_of = |id: i64| env.state.stored(COMPANY_MODEL, id, "currency_id").cloned();
    for id in ids {
        let parent = env
            .state
            .stored(COMPANY_MODEL, *id, "parent_id")
            .and_then(record_id);
        let Some(parent) = parent else {
            continue;
        };
        if currency_of(*id) != currency_of(parent) {
            let description = model
                .field("currency_id")
                .map_or("Currency", |field| field.string.as_str());
            // Odoo 17's text has "it's", which later versions correct.
            return Err(OdooError::validation(format!(
                "The {description} of a subsidiary must be the same as it's root company."
            )));
        }
    }
    Ok(())
}

/// Adds the new companies to the `company_ids` of the calling user and of
/// the superuser, checks that each branch shares its parent's currency,
/// and activates the companies' currencies.
pub fn after_create(env: &mut Env<'_>, model: &Arc<Model>, ids: &[i64]) -> OdooResult<()> {
    check_branch_currencies(env, model, ids)?;
    let users = env.model("res.users")?;
    if users.has_field("company_ids") {
        let links: Vec<Value> = ids
            .iter()
            .map(|id| Value::List(vec![Value::Int(4), Value::Int(*id)]))
            .collect();
        let mut vals = Dict::default();
        vals.insert("company_ids".to_owned(), Value::List(links));
        let mut uids = vec![env.uid];
        if env.uid != SUPERUSER_ID {
            uids.push(SUPERUSER_ID);
        }
        for uid in uids {
            if env.exists(&users.name, uid) {
                write::write_one(env, &users, uid, &vals)?;
            }
        }
    }
    activate_currencies(env, ids)
}

fn activate_currencies(env: &mut Env<'_>, ids: &[i64]) -> OdooResult<()> {
    let currencies: Arc<Model> = env.model("res.currency")?;
    if !currencies.has_field("active") {
        return Ok(());
    }
    for id in ids {
        let currency = env.state.stored(COMPANY_MODEL, *id, "currency_id");
        let Some(currency) = currency.and_then(record_id) else {
            continue;
        };
        let active = env.state.stored(&currencies.name, currency, "active");
        if active.is_some_and(|active| !active.is_truthy()) {
            let mut vals = Dict::default();
            vals.insert("active".to_owned(), Value::Bool(true));
            write::write_one(env, &currencies, currency, &vals)?;
        }
    }
    Ok(())
}
