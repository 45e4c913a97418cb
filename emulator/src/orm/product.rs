//! The variants of Odoo's product templates. Creating a template creates
//! its variant (`product.template._create_variant_ids`), so a client that
//! creates a template finds a `product.product` to put on order lines.
//! The variant is as active as its template. Archiving a template
//! archives its variants, and restoring one without an active variant
//! restores its variant, as Odoo's `product.template.write` does.
//!
//! Where it differs from Odoo: the base profile has no product
//! attributes, so each template gets exactly one variant. A variant
//! created directly creates its template through `_inherits`, which does
//! not pass through this module, so it gets no second variant, as in Odoo
//! where the context key `create_product_product` prevents one.

use crate::error::OdooResult;
use crate::orm::env::Env;
use crate::orm::write;
use crate::value::{Dict, Value};

/// The model whose creates this module completes.
pub const TEMPLATE_MODEL: &str = "product.template";

/// The model of the variants.
const VARIANT_MODEL: &str = "product.product";

/// Creates the variant of each new template that has none yet.
pub fn create_variants(env: &mut Env<'_>, templates: &[i64]) -> OdooResult<()> {
    let (Some(variants), Some(template_model)) = (
        env.state.schema.model(VARIANT_MODEL).cloned(),
        env.state.schema.model(TEMPLATE_MODEL).cloned(),
    ) else {
        return Ok(());
    };
    let Some(link) = variants
        .fields
        .values()
        .find(|field| field.relation.as_deref() == Some(TEMPLATE_MODEL) && field.required)
        .map(|field| field.name.clone())
    else {
        return Ok(());
    };
    // The template's one2many of variants finds them through the link's
    // index rather than a scan of every variant.
    let variant_ids = template_model
        .fields
        .values()
        .find(|field| {
            field.relation.as_deref() == Some(VARIANT_MODEL)
                && field.inverse.as_deref() == Some(link.as_str())
        })
        .cloned();
    for &template in templates {
        let has_variant = match &variant_ids {
            Some(field) => !env.one2many_ids(template, field).is_empty(),
            None => env.all_ids(VARIANT_MODEL).into_iter().any(|variant| {
                env.state
                    .stored(VARIANT_MODEL, variant, &link)
                    .and_then(Value::as_i64)
                    == Some(template)
            }),
        };
        if has_variant {
            continue;
        }
        let active = env.get_by_name(&template_model, template, "active");
        let mut vals = Dict::default();
        vals.insert(link.clone(), Value::Int(template));
        if variants.has_field("active") {
            vals.insert("active".to_owned(), Value::Bool(active.is_truthy()));
        }
        write::create_one(env, &variants, &vals)?;
    }
    Ok(())
}

/// Follows a template's `active` on its variants after a write.
pub fn after_write(env: &mut Env<'_>, templates: &[i64], vals: &Dict) -> OdooResult<()> {
    let Some(active) = vals.get("active").map(Value::is_truthy) else {
        return Ok(());
    };
    let (Some(variants), Some(template_model)) = (
        env.state.schema.model(VARIANT_MODEL).cloned(),
        env.state.schema.model(TEMPLATE_MODEL).cloned(),
    ) else {
        return Ok(());
    };
    let Some(variant_ids) = template_model
        .fields
        .values()
        .find(|field| field.relation.as_deref() == Some(VARIANT_MODEL) && field.inverse.is_some())
        .cloned()
    else {
        return Ok(());
    };
    if !variants.has_field("active") {
        return Ok(());
    }
    let is_active = |env: &Env<'_>, variant: i64| {
        env.state
            .stored(VARIANT_MODEL, variant, "active")
            .is_none_or(Value::is_truthy)
    };
    let set_active = Dict::from_iter([("active".to_owned(), Value::Bool(active))]);
    for &template in templates {
        let current = env.one2many_ids(template, &variant_ids);
        let changed: Vec<i64> = if active {
            // Only a template left without an active variant gets one back.
            if current.iter().any(|&variant| is_active(env, variant)) {
                continue;
            }
            current
        } else {
            current
                .into_iter()
                .filter(|&variant| is_active(env, variant))
                .collect()
        };
        if active && changed.is_empty() {
            create_variants(env, &[template])?;
            continue;
        }
        for variant in changed {
            write::write_one(env, &variants, variant, &set_active)?;
        }
    }
    Ok(())
}
