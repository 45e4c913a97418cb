//! The spec's field mappings: Odoo values computed from a SaaS record, and
//! how they compare with what Odoo has.
//!
//! For each mapped Odoo field, the engine reads the SaaS field named by
//! `from` and:
//!
//! 1. uses the `constant` transform's value, if there is one;
//! 2. else, when the SaaS value is empty (absent, `null` or `""`) and the
//!    mapping has a `default`, uses the default as the Odoo value. In a
//!    constant or a default, text on a many2one field (or a list of texts
//!    on a many2many) is an external id, such as `base.main_company`,
//!    because database ids differ from one database to the next;
//! 3. else applies the transform: a copy, a `ref` to another entity's
//!    Odoo record (found by that entity's key), a `lookup` by a field of
//!    another model (each element of a list, for a many2many), or a value
//!    `map`;
//! 4. converts the result to the field's type from the live schema, as
//!    `fields_get` reports it. Empty values become what Odoo reads back for
//!    the type (`False`, `0`, `0.0`), so an unchanged record compares equal.
//!    Dates become `YYYY-MM-DD` and datetimes naive UTC `YYYY-MM-DD
//!    HH:MM:SS`, Odoo's formats; a SaaS datetime with an offset is moved
//!    to UTC.
//!
//! A required field that the SaaS leaves empty, with no constant or
//! default in the spec, is left out: writing it empty would fail, so Odoo
//! keeps its value, or its default on a new record.
//!
//! A selection value that the live field no longer allows is a
//! [`ErrorKind::Drift`] error for that record alone.
//!
//! NOTE: floats compare equal within 1e-9 of their size. A field with
//! fewer digits, such as a price with 2, that the SaaS sends with more
//! (19.999) is rounded by Odoo on write, so it compares unequal and is
//! written again on every pass that applies the record.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::schema::{FieldInfo, ModelSchema};
use crate::spec::{EntitySpec, FieldMapping, KeySpec, Transform};

mod values;

pub use values::{convert, many2one_id, parse_moment, to_load_cell, to_write, values_equal};

/// Values by Odoo field name.
pub type Values = Map<String, Value>;

/// Finds the Odoo records that `ref` and `lookup` transforms point to.
pub trait Resolve {
    /// Returns the Odoo id of `entity`'s record whose key value is `key`
    /// (the SaaS id for an external-id key, else the key field's value).
    fn resolve_ref(&mut self, entity: &str, key: &str) -> SyncResult<i64>;

    /// Returns the id of the one `model` record whose `field` equals
    /// `value`.
    fn lookup(&mut self, model: &str, field: &str, value: &Value) -> SyncResult<i64>;

    /// Returns the id of the `model` record with an external id, such as
    /// `base.main_company`.
    fn external_id(&mut self, model: &str, external_id: &str) -> SyncResult<i64>;
}

/// Returns the text that identifies a SaaS record's Odoo record: the full
/// external id (`module.prefix<id>`) or the key field's value.
pub fn key_value(
    module: &str,
    entity: &EntitySpec,
    id: &str,
    data: Option<&Map<String, Value>>,
) -> SyncResult<String> {
    match &entity.key {
        KeySpec::ExternalId { prefix } => Ok(format!("{module}.{prefix}{id}")),
        KeySpec::Field { from: None, .. } => Ok(id.to_owned()),
        KeySpec::Field {
            from: Some(from), ..
        } => {
            let value = data.and_then(|d| d.get(from)).filter(|v| !is_empty(v));
            match value {
                Some(Value::String(text)) => Ok(text.clone()),
                Some(Value::Number(number)) => Ok(number.to_string()),
                Some(other) => Err(SyncError::new(
                    ErrorKind::Mapping,
                    format!("key of {}", entity.model),
                    format!("the key field {from} holds {other}, not text"),
                )),
                None => Err(SyncError::new(
                    ErrorKind::Mapping,
                    format!("key of {}", entity.model),
                    format!("the key field {from} is empty, so the record cannot be found in Odoo"),
                )),
            }
        }
    }
}

/// Tells whether a SaaS value counts as empty for `default`.
pub fn is_empty(value: &Value) -> bool {
    matches!(value, Value::Null) || value.as_str().is_some_and(str::is_empty)
}

/// Computes the Odoo values of a record's mapped fields.
pub fn map_fields(
    mappings: &IndexMap<String, FieldMapping>,
    schema: &ModelSchema,
    data: &Map<String, Value>,
    resolver: &mut dyn Resolve,
) -> SyncResult<Values> {
    let mut values = Values::new();
    for (field, mapping) in mappings {
        let context = format!("map {}.{field}", schema.name);
        let info = schema.field(field).ok_or_else(|| {
            SyncError::new(
                ErrorKind::Drift,
                context.as_str(),
                format!("{} has no field {field}", schema.name),
            )
        })?;
        let value = map_field(mapping, info, data, resolver).map_err(|e| {
            if e.context().is_empty() {
                e.with_context(context)
            } else {
                e
            }
        })?;
        if let Some(value) = value {
            values.insert(field.clone(), value);
        }
    }
    Ok(values)
}

/// Computes one field's value, or `None` for a required field that the
/// SaaS leaves empty and the spec gives no value for: an empty value could
/// not clear it, so Odoo keeps its own value or default.
fn map_field(
    mapping: &FieldMapping,
    info: &FieldInfo,
    data: &Map<String, Value>,
    resolver: &mut dyn Resolve,
) -> SyncResult<Option<Value>> {
    let source = mapping
        .from
        .as_ref()
        .and_then(|from| data.get(from))
        .cloned()
        .unwrap_or(Value::Null);
    let constant = matches!(mapping.transform, Some(Transform::Constant(_)));
    if info.required && !constant && mapping.default.is_none() && is_empty(&source) {
        return Ok(None);
    }
    let raw = match (&mapping.transform, &mapping.default) {
        (Some(Transform::Constant(value)), _) => resolve_external_ids(info, value, resolver)?,
        (_, Some(default)) if is_empty(&source) => resolve_external_ids(info, default, resolver)?,
        (transform, _) => transform_value(transform.as_ref(), mapping, info, source, resolver)?,
    };
    convert(info, raw).map(Some)
}

/// Replaces the external ids of a relational constant or default with
/// database ids.
fn resolve_external_ids(
    info: &FieldInfo,
    value: &Value,
    resolver: &mut dyn Resolve,
) -> SyncResult<Value> {
    let Some(model) = info.relation.as_deref() else {
        return Ok(value.clone());
    };
    match (info.field_type.as_str(), value) {
        ("many2one", Value::String(text)) if !text.is_empty() => {
            Ok(json!(resolver.external_id(model, text)?))
        }
        ("many2many", Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(text) => ids.push(json!(resolver.external_id(model, text)?)),
                    other => ids.push(other.clone()),
                }
            }
            Ok(Value::Array(ids))
        }
        _ => Ok(value.clone()),
    }
}

fn transform_value(
    transform: Option<&Transform>,
    mapping: &FieldMapping,
    info: &FieldInfo,
    source: Value,
    resolver: &mut dyn Resolve,
) -> SyncResult<Value> {
    if is_empty(&source) {
        return Ok(Value::Null);
    }
    let from = mapping.from.as_deref().unwrap_or("?");
    match transform {
        None | Some(Transform::Constant(_)) => Ok(source),
        Some(Transform::Ref(entity)) => {
            let key = scalar_text(&source).ok_or_else(|| {
                mapping_error(format!("{from} holds {source}, not the key of a {entity}"))
            })?;
            Ok(json!(resolver.resolve_ref(entity, &key)?))
        }
        Some(Transform::Lookup { model, field }) => match source {
            Value::Array(items) => {
                let ids = items
                    .iter()
                    .filter(|item| !is_empty(item))
                    .map(|item| resolver.lookup(model, field, item))
                    .collect::<SyncResult<Vec<i64>>>()?;
                Ok(json!(ids))
            }
            single => Ok(json!(resolver.lookup(model, field, &single)?)),
        },
        Some(Transform::Map(map)) => {
            let key = scalar_text(&source).ok_or_else(|| {
                mapping_error(format!(
                    "{from} holds {source}, which a value map cannot map"
                ))
            })?;
            map.get(&key).cloned().ok_or_else(|| {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                mapping_error(format!(
                    "{from} is {key:?}, which the spec's value map for {} does not list (known: {})",
                    info.name,
                    known.join(", ")
                ))
            })
        }
    }
}

fn mapping_error(message: String) -> SyncError {
    SyncError::new(ErrorKind::Mapping, "", message)
}

/// Returns the text of a string, number or boolean.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Fixed {
        refs: BTreeMap<(String, String), i64>,
        lookups: BTreeMap<String, i64>,
    }

    impl Resolve for Fixed {
        fn resolve_ref(&mut self, entity: &str, key: &str) -> SyncResult<i64> {
            self.refs
                .get(&(entity.to_owned(), key.to_owned()))
                .copied()
                .ok_or_else(|| SyncError::new(ErrorKind::MissingReference, "ref", key))
        }

        fn lookup(&mut self, _model: &str, _field: &str, value: &Value) -> SyncResult<i64> {
            let key = value.as_str().unwrap_or_default();
            self.lookups
                .get(key)
                .copied()
                .ok_or_else(|| SyncError::new(ErrorKind::MissingReference, "lookup", key))
        }

        fn external_id(&mut self, model: &str, external_id: &str) -> SyncResult<i64> {
            match (model, external_id) {
                ("res.company", "base.main_company") => Ok(1),
                ("res.partner.category", "base.res_partner_category_0") => Ok(7),
                _ => Err(SyncError::new(
                    ErrorKind::Mapping,
                    "external id",
                    external_id,
                )),
            }
        }
    }

    fn resolver() -> Fixed {
        Fixed {
            refs: BTreeMap::from([(("customer".to_owned(), "c1".to_owned()), 42)]),
            lookups: BTreeMap::from([
                ("BE".to_owned(), 20),
                ("vip".to_owned(), 5),
                ("new".to_owned(), 6),
            ]),
        }
    }

    fn field(name: &str, field_type: &str) -> FieldInfo {
        FieldInfo {
            name: name.to_owned(),
            field_type: field_type.to_owned(),
            label: name.to_owned(),
            required: false,
            readonly: false,
            relation: None,
            selection: None,
            depends: Vec::new(),
        }
    }

    fn selection(name: &str, keys: &[&str]) -> FieldInfo {
        FieldInfo {
            selection: Some(keys.iter().map(|k| (*k).to_owned()).collect()),
            ..field(name, "selection")
        }
    }

    fn schema(fields: Vec<FieldInfo>) -> ModelSchema {
        ModelSchema {
            name: "res.partner".to_owned(),
            fields: fields.into_iter().map(|f| (f.name.clone(), f)).collect(),
        }
    }

    fn mappings(yaml: &str) -> IndexMap<String, FieldMapping> {
        serde_saphyr::from_str(yaml).expect("valid mappings")
    }

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn copies_and_converts_by_type() {
        let schema = schema(vec![
            field("name", "char"),
            field("phone", "char"),
            field("is_company", "boolean"),
            field("list_price", "float"),
            field("color", "integer"),
        ]);
        let mappings = mappings(
            "name: {from: name}\nphone: {from: phone}\nis_company: {from: company}\n\
             list_price: {from: price}\ncolor: {from: color}\n",
        );
        let values = map_fields(
            &mappings,
            &schema,
            &data(json!({"name": "Ada", "phone": null, "company": true, "price": "12.5", "color": 3.0})),
            &mut resolver(),
        )
        .expect("mapped");
        assert_eq!(values["name"], json!("Ada"));
        assert_eq!(values["phone"], json!(false));
        assert_eq!(values["is_company"], json!(true));
        assert_eq!(values["list_price"], json!(12.5));
        assert_eq!(values["color"], json!(3));
    }

    #[test]
    fn constant_ignores_source() {
        let schema = schema(vec![field("customer_rank", "integer")]);
        let mappings = mappings("customer_rank: {transform: {constant: 1}}\n");
        let values =
            map_fields(&mappings, &schema, &data(json!({})), &mut resolver()).expect("mapped");
        assert_eq!(values["customer_rank"], json!(1));
    }

    #[test]
    fn default_fills_empty_source() {
        let schema = schema(vec![selection("x_studio_segment", &["smb", "ent"])]);
        let mappings = mappings(
            "x_studio_segment: {from: segment, transform: {map: {small: smb, large: ent}}, default: smb}\n",
        );
        for source in [json!({}), json!({"segment": null}), json!({"segment": ""})] {
            let values = map_fields(&mappings, &schema, &data(source.clone()), &mut resolver())
                .expect("mapped");
            assert_eq!(values["x_studio_segment"], json!("smb"), "{source}");
        }
        let values = map_fields(
            &mappings,
            &schema,
            &data(json!({"segment": "large"})),
            &mut resolver(),
        )
        .expect("mapped");
        assert_eq!(values["x_studio_segment"], json!("ent"));
    }

    #[test]
    fn value_map_rejects_unknown_value() {
        let schema = schema(vec![selection("x_tier", &["gold", "silver"])]);
        let mappings = mappings("x_tier: {from: tier, transform: {map: {g: gold, s: silver}}}\n");
        let error = map_fields(
            &mappings,
            &schema,
            &data(json!({"tier": "b"})),
            &mut resolver(),
        )
        .expect_err("not in the map");
        assert_eq!(error.kind(), ErrorKind::Mapping);
        assert!(error.message().contains("\"b\""), "{error}");
        assert!(error.message().contains("known: g, s"), "{error}");
        assert_eq!(error.context(), "map res.partner.x_tier");
    }

    #[test]
    fn removed_selection_value_is_drift() {
        let schema = schema(vec![selection("x_tier", &["silver"])]);
        let mappings = mappings("x_tier: {from: tier, transform: {map: {g: gold, s: silver}}}\n");
        let error = map_fields(
            &mappings,
            &schema,
            &data(json!({"tier": "g"})),
            &mut resolver(),
        )
        .expect_err("gold was removed");
        assert_eq!(error.kind(), ErrorKind::Drift);
        assert!(
            error
                .message()
                .contains("no longer allows \"gold\" (allowed: silver)"),
            "{error}"
        );
        let ok = map_fields(
            &mappings,
            &schema,
            &data(json!({"tier": "s"})),
            &mut resolver(),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn ref_and_lookup_resolve_ids() {
        let schema = schema(vec![
            FieldInfo {
                relation: Some("res.partner".into()),
                ..field("partner_id", "many2one")
            },
            FieldInfo {
                relation: Some("res.country".into()),
                ..field("country_id", "many2one")
            },
            FieldInfo {
                relation: Some("res.partner.category".into()),
                ..field("category_id", "many2many")
            },
        ]);
        let mappings = mappings(
            "partner_id: {from: customer_id, transform: {ref: customer}}\n\
             country_id: {from: country_code, transform: {lookup: {model: res.country, field: code}}}\n\
             category_id: {from: tags, transform: {lookup: {model: res.partner.category, field: name}}}\n",
        );
        let values = map_fields(
            &mappings,
            &schema,
            &data(json!({"customer_id": "c1", "country_code": "BE", "tags": ["vip", "new"]})),
            &mut resolver(),
        )
        .expect("mapped");
        assert_eq!(values["partner_id"], json!(42));
        assert_eq!(values["country_id"], json!(20));
        assert_eq!(values["category_id"], json!([5, 6]));
    }

    #[test]
    fn empty_ref_is_false_and_missing_ref_fails() {
        let schema = schema(vec![field("partner_id", "many2one")]);
        let mappings = mappings("partner_id: {from: customer_id, transform: {ref: customer}}\n");
        let values = map_fields(
            &mappings,
            &schema,
            &data(json!({"customer_id": null})),
            &mut resolver(),
        )
        .expect("mapped");
        assert_eq!(values["partner_id"], json!(false));
        let error = map_fields(
            &mappings,
            &schema,
            &data(json!({"customer_id": "c9"})),
            &mut resolver(),
        )
        .expect_err("unknown customer");
        assert_eq!(error.kind(), ErrorKind::MissingReference);
    }

    #[test]
    fn empty_required_field_is_left_out() {
        let date_order = FieldInfo {
            required: true,
            ..field("date_order", "datetime")
        };
        let schema = schema(vec![date_order, field("note", "text")]);
        let mappings = mappings("date_order: {from: date}\nnote: {from: note}\n");
        let values =
            map_fields(&mappings, &schema, &data(json!({})), &mut resolver()).expect("mapped");
        assert!(!values.contains_key("date_order"), "{values:?}");
        assert_eq!(values["note"], json!(false), "optional fields are cleared");
    }

    #[test]
    fn relational_constants_are_external_ids() {
        let schema = schema(vec![
            FieldInfo {
                relation: Some("res.company".into()),
                ..field("company_id", "many2one")
            },
            FieldInfo {
                relation: Some("res.partner.category".into()),
                ..field("category_id", "many2many")
            },
        ]);
        let mappings = mappings(
            "company_id: {transform: {constant: base.main_company}}\n\
             category_id: {from: tags, default: [base.res_partner_category_0]}\n",
        );
        let values =
            map_fields(&mappings, &schema, &data(json!({})), &mut resolver()).expect("mapped");
        assert_eq!(values["company_id"], json!(1));
        assert_eq!(values["category_id"], json!([7]));
    }

    #[test]
    fn unknown_external_id_fails() {
        let schema = schema(vec![FieldInfo {
            relation: Some("res.company".into()),
            ..field("company_id", "many2one")
        }]);
        let mappings = mappings("company_id: {transform: {constant: acme.nowhere}}\n");
        let error =
            map_fields(&mappings, &schema, &data(json!({})), &mut resolver()).expect_err("unknown");
        assert_eq!(error.kind(), ErrorKind::Mapping);
    }

    #[test]
    fn key_values_per_strategy() {
        let entity = |key: &str| -> EntitySpec {
            serde_saphyr::from_str(&format!("model: res.partner\nkey: {key}\nfields: {{}}\n"))
                .expect("valid entity")
        };
        let xmlid = entity("{strategy: external_id, prefix: customer_}");
        assert_eq!(
            key_value("saas", &xmlid, "c1", None),
            Ok("saas.customer_c1".to_owned())
        );
        let by_id = entity("{strategy: field, field: ref}");
        assert_eq!(key_value("saas", &by_id, "c1", None), Ok("c1".to_owned()));
        let by_sku = entity("{strategy: field, field: default_code, from: sku}");
        let record = data(json!({"sku": "SKU-1"}));
        assert_eq!(
            key_value("saas", &by_sku, "p1", Some(&record)),
            Ok("SKU-1".to_owned())
        );
        let error =
            key_value("saas", &by_sku, "p1", Some(&data(json!({"sku": ""})))).expect_err("empty");
        assert_eq!(error.kind(), ErrorKind::Mapping);
    }
}
