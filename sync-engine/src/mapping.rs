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

/// Converts a mapped value to the field's type, as Odoo reads it back.
pub fn convert(info: &FieldInfo, value: Value) -> SyncResult<Value> {
    let type_error = |expected: &str, value: &Value| {
        mapping_error(format!(
            "{} is a {} field and needs {expected}, not {value}",
            info.name, info.field_type
        ))
    };
    match info.field_type.as_str() {
        "boolean" => match &value {
            Value::Null => Ok(Value::Bool(false)),
            Value::Bool(_) => Ok(value),
            Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Value::Bool(false)),
            Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Value::Bool(true)),
            Value::String(text) => match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Value::Bool(true)),
                "false" | "0" | "no" | "" => Ok(Value::Bool(false)),
                _ => Err(type_error("true or false", &value)),
            },
            _ => Err(type_error("true or false", &value)),
        },
        "integer" => match number_of(&value) {
            Some(None) => Ok(json!(0)),
            Some(Some(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(json!(n as i64)),
            _ => Err(type_error("an integer", &value)),
        },
        "float" | "monetary" => match number_of(&value) {
            Some(None) => Ok(json!(0.0)),
            Some(Some(n)) => Ok(json!(n)),
            None => Err(type_error("a number", &value)),
        },
        "char" | "text" | "html" => match value {
            Value::Null | Value::Bool(false) => Ok(Value::Bool(false)),
            Value::String(text) if text.is_empty() => Ok(Value::Bool(false)),
            Value::String(_) => Ok(value),
            Value::Number(number) => Ok(Value::String(number.to_string())),
            other => Err(type_error("text", &other)),
        },
        "selection" => convert_selection(info, value),
        "many2one" => match value {
            Value::Null | Value::Bool(false) => Ok(Value::Bool(false)),
            Value::Number(ref n) if n.as_i64().is_some_and(|id| id > 0) => Ok(value),
            other => Err(type_error(
                "a record, through a ref or lookup transform",
                &other,
            )),
        },
        "many2many" => match value {
            Value::Null | Value::Bool(false) => Ok(json!([])),
            Value::Array(ref ids) if ids.iter().all(Value::is_i64) => Ok(value),
            Value::Number(ref n) if n.is_i64() => Ok(json!([value])),
            other => Err(type_error(
                "records, through a ref or lookup transform",
                &other,
            )),
        },
        "date" => convert_moment(info, value, Moment::Date),
        "datetime" => convert_moment(info, value, Moment::Datetime),
        "one2many" => Err(type_error("lines (map it under `lines`)", &value)),
        _ => Ok(value),
    }
}

/// Returns `Some(None)` for an empty value, `Some(Some(n))` for a number
/// or numeric text, `None` otherwise.
fn number_of(value: &Value) -> Option<Option<f64>> {
    match value {
        Value::Null | Value::Bool(false) => Some(None),
        Value::Number(n) => n.as_f64().map(Some),
        Value::String(text) if text.trim().is_empty() => Some(None),
        Value::String(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some),
        _ => None,
    }
}

fn convert_selection(info: &FieldInfo, value: Value) -> SyncResult<Value> {
    let key = match value {
        Value::Null | Value::Bool(false) => return Ok(Value::Bool(false)),
        Value::String(ref text) if text.is_empty() => return Ok(Value::Bool(false)),
        Value::String(text) => text,
        Value::Number(number) => number.to_string(),
        other => {
            return Err(mapping_error(format!(
                "{} is a selection and needs a key, not {other}",
                info.name
            )))
        }
    };
    let allowed = info.selection.as_deref().unwrap_or_default();
    if !allowed.is_empty() && !allowed.contains(&key) {
        return Err(SyncError::new(
            ErrorKind::Drift,
            "",
            format!(
                "{} no longer allows {key:?} (allowed: {})",
                info.name,
                allowed.join(", ")
            ),
        ));
    }
    Ok(Value::String(key))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    Date,
    Datetime,
}

fn convert_moment(info: &FieldInfo, value: Value, moment: Moment) -> SyncResult<Value> {
    let text = match value {
        Value::Null | Value::Bool(false) => return Ok(Value::Bool(false)),
        Value::String(ref text) if text.is_empty() => return Ok(Value::Bool(false)),
        Value::String(text) => text,
        other => {
            return Err(mapping_error(format!(
                "{} needs a date, not {other}",
                info.name
            )))
        }
    };
    let parsed = parse_moment(&text).ok_or_else(|| {
        mapping_error(format!(
            "{} needs an ISO 8601 date or datetime, not {text:?}",
            info.name
        ))
    })?;
    Ok(Value::String(match moment {
        Moment::Date => parsed.format("%Y-%m-%d").to_string(),
        Moment::Datetime => parsed.format("%Y-%m-%d %H:%M:%S").to_string(),
    }))
}

/// Parses an ISO 8601 date or datetime into naive UTC. Datetimes without
/// an offset are taken as UTC already.
pub fn parse_moment(text: &str) -> Option<chrono::NaiveDateTime> {
    let text = text.trim();
    if let Ok(moment) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(moment.naive_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(moment) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(moment);
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
}

/// Tells whether Odoo's current value of a field equals the desired one,
/// reading many2one values (`[id, name]`) as their id and x2many values as
/// sets of ids.
pub fn values_equal(info: &FieldInfo, current: &Value, desired: &Value) -> bool {
    match info.field_type.as_str() {
        "many2one" => many2one_id(current) == many2one_id(desired),
        "many2many" | "one2many" => id_set(current) == id_set(desired),
        "float" | "monetary" | "integer" => match (current.as_f64(), desired.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            _ => is_falsy(current) && is_falsy(desired),
        },
        _ if is_falsy(current) && is_falsy(desired) => true,
        _ => current == desired,
    }
}

fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// Returns the id of a many2one value: `[id, name]`, an id or `False`.
pub fn many2one_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::Array(pair) => pair.first().and_then(Value::as_i64),
        _ => None,
    }
}

fn id_set(value: &Value) -> std::collections::BTreeSet<i64> {
    value
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// Returns the value to send in `create` or `write`: x2many ids become a
/// replace command, `(6, 0, ids)`.
pub fn to_write(info: &FieldInfo, desired: &Value) -> Value {
    if info.field_type == "many2many" {
        json!([[6, 0, id_set(desired).into_iter().collect::<Vec<_>>()]])
    } else {
        desired.clone()
    }
}

/// Returns the `load` column and cell of a value, in Odoo's import syntax,
/// or `None` for an x2many, which `load` cannot take by database id and
/// the engine writes afterwards.
pub fn to_load_cell(info: &FieldInfo, desired: &Value) -> Option<(String, Value)> {
    if info.is_x2many() {
        return None;
    }
    let text = match desired {
        Value::Null | Value::Bool(false) if info.field_type != "boolean" => String::new(),
        Value::Bool(flag) => if *flag { "1" } else { "0" }.to_owned(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => other.to_string(),
    };
    let column = if info.field_type == "many2one" {
        format!("{}/.id", info.name)
    } else {
        info.name.clone()
    };
    Some((column, Value::String(text)))
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
    fn dates_and_datetimes_normalise() {
        let date = field("validity_date", "date");
        let datetime = field("date_order", "datetime");
        let cases = [
            (&datetime, "2024-05-01", "2024-05-01 00:00:00"),
            (&datetime, "2024-05-01T10:30:00Z", "2024-05-01 10:30:00"),
            (
                &datetime,
                "2024-05-01T12:30:00+02:00",
                "2024-05-01 10:30:00",
            ),
            (&datetime, "2024-05-01 10:30:00", "2024-05-01 10:30:00"),
            (&datetime, "2024-05-01T10:30:00.250", "2024-05-01 10:30:00"),
            (&date, "2024-05-01T10:30:00Z", "2024-05-01"),
            (&date, "2024-05-01", "2024-05-01"),
        ];
        for (info, input, expected) in cases {
            assert_eq!(convert(info, json!(input)), Ok(json!(expected)), "{input}");
        }
        assert_eq!(convert(&datetime, json!(null)), Ok(json!(false)));
        assert!(convert(&datetime, json!("May 1st")).is_err());
    }

    #[test]
    fn conversion_rejects_wrong_types() {
        assert!(convert(&field("is_company", "boolean"), json!("maybe")).is_err());
        assert!(convert(&field("color", "integer"), json!(1.5)).is_err());
        assert!(convert(&field("list_price", "float"), json!("abc")).is_err());
        assert!(convert(&field("partner_id", "many2one"), json!("Ada")).is_err());
        assert!(convert(&field("name", "char"), json!({"a": 1})).is_err());
    }

    #[test]
    fn equality_reads_odoo_shapes() {
        let m2o = field("partner_id", "many2one");
        assert!(values_equal(&m2o, &json!([42, "Ada"]), &json!(42)));
        assert!(!values_equal(&m2o, &json!([41, "Bob"]), &json!(42)));
        assert!(values_equal(&m2o, &json!(false), &json!(false)));
        let m2m = field("category_id", "many2many");
        assert!(values_equal(&m2m, &json!([6, 5]), &json!([5, 6])));
        assert!(!values_equal(&m2m, &json!([5]), &json!([5, 6])));
        let text = field("phone", "char");
        assert!(values_equal(&text, &json!(false), &json!(false)));
        assert!(values_equal(&text, &json!(""), &json!(false)));
        assert!(!values_equal(&text, &json!("1"), &json!(false)));
        let price = field("list_price", "float");
        assert!(values_equal(&price, &json!(12.5), &json!(12.5)));
        assert!(values_equal(&price, &json!(0.1 + 0.2), &json!(0.3)));
        assert!(!values_equal(&price, &json!(12.5), &json!(12.51)));
    }

    #[test]
    fn write_and_load_shapes() {
        let m2m = field("category_id", "many2many");
        assert_eq!(to_write(&m2m, &json!([6, 5])), json!([[6, 0, [5, 6]]]));
        assert_eq!(to_load_cell(&m2m, &json!([5])), None);
        let m2o = field("country_id", "many2one");
        assert_eq!(
            to_load_cell(&m2o, &json!(20)),
            Some(("country_id/.id".to_owned(), json!("20")))
        );
        assert_eq!(
            to_load_cell(&m2o, &json!(false)),
            Some(("country_id/.id".to_owned(), json!("")))
        );
        let flag = field("is_company", "boolean");
        assert_eq!(
            to_load_cell(&flag, &json!(false)),
            Some(("is_company".to_owned(), json!("0")))
        );
        assert_eq!(
            to_load_cell(&flag, &json!(true)),
            Some(("is_company".to_owned(), json!("1")))
        );
        let price = field("list_price", "float");
        assert_eq!(
            to_load_cell(&price, &json!(19.99)),
            Some(("list_price".to_owned(), json!("19.99")))
        );
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
