//! Conversion of incoming values to the stored form, with Odoo's checks
//! and error texts, and of stored values to what `read` returns.

use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::orm::env::Env;
use crate::orm::schema::{Field, FieldType, Model};
use crate::value::{python_str_repr, Value};

/// Returns Odoo's `ValueError` for a value a field cannot hold.
pub fn wrong_value(model: &Model, field: &Field, value: &Value) -> OdooError {
    OdooError::value(format!(
        "Wrong value for {}.{}: {}",
        model.name,
        field.name,
        value.python_repr()
    ))
}

/// Returns the `ValueError` of relational fields, which format the value
/// with `str()` rather than `repr()`: `Wrong value for m.f: 8,9`.
pub fn wrong_value_str(model: &Model, field: &Field, value: &Value) -> OdooError {
    let text = match value {
        Value::Str(s) => s.clone(),
        other => other.python_repr(),
    };
    OdooError::value(format!(
        "Wrong value for {}.{}: {text}",
        model.name, field.name
    ))
}

/// Converts a scalar value for a stored column. x2many values go through
/// the command parser instead.
pub fn to_stored(env: &Env<'_>, model: &Model, field: &Field, value: &Value) -> OdooResult<Value> {
    let unset = matches!(value, Value::None | Value::Bool(false));
    match field.field_type {
        FieldType::Boolean => Ok(Value::Bool(value.is_truthy())),
        FieldType::Integer => to_integer(value),
        FieldType::Float => round_to_digits(to_float(value)?, field.digits),
        FieldType::Monetary => to_float(value),
        _ if unset => Ok(Value::Bool(false)),
        FieldType::Char | FieldType::Text | FieldType::Html => to_text(model, field, value),
        FieldType::Selection => to_selection(model, field, value),
        FieldType::Date => to_date(value),
        FieldType::Datetime => to_datetime(value),
        FieldType::Binary => to_binary(model, field, value),
        FieldType::Many2one => to_many2one(env, model, field, value),
        FieldType::Json => Ok(value.clone()),
        FieldType::One2many | FieldType::Many2many => Err(wrong_value(model, field, value)),
    }
}

/// Converts a value for an integer field, whose column is PostgreSQL's
/// 32-bit `int4`: a larger value fails when the row is written.
fn to_integer(value: &Value) -> OdooResult<Value> {
    // Odoo 17's `Integer.convert_to_cache` is `int(value or 0)`: any falsy
    // value (`''`, `[]`, `0.0`) stores 0.
    let number = if value.is_truthy() {
        python_int(value)?
    } else {
        0
    };
    if i32::try_from(number).is_err() {
        return Err(OdooError::integer_out_of_range());
    }
    Ok(Value::Int(number))
}

/// Converts a value as Python's `int()` does, with its error texts: a login
/// name sent where a uid belongs raises the `ValueError` clients see.
pub fn python_int(value: &Value) -> OdooResult<i64> {
    match value {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Float(f) => Ok(f.trunc() as i64),
        Value::Str(s) => parse_python_int(s.trim()).ok_or_else(|| {
            OdooError::value(format!(
                "invalid literal for int() with base 10: {}",
                python_str_repr(s)
            ))
        }),
        other => Err(OdooError::type_error(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            other.python_type()
        ))),
    }
}

/// Parses a decimal integer as Python's `int()` reads text: an optional
/// sign, then digits that single underscores may separate (`1_000`).
fn parse_python_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_formed = !digits.is_empty()
        && digits
            .split('_')
            .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return None;
    }
    text.replace('_', "").parse().ok()
}

/// Converts a value for a float field as Python's `float()` does, with
/// its error texts. Unset values are 0.0.
pub fn to_float(value: &Value) -> OdooResult<Value> {
    match value {
        Value::None | Value::Bool(false) => Ok(Value::Float(0.0)),
        Value::Str(s) => s.trim().parse().map(Value::Float).map_err(|_| {
            OdooError::value(format!(
                "could not convert string to float: {}",
                python_str_repr(s)
            ))
        }),
        other => other.as_f64().map(Value::Float).ok_or_else(|| {
            OdooError::type_error(format!(
                "float() argument must be a string or a real number, not '{}'",
                other.python_type()
            ))
        }),
    }
}

/// Rounds a float field's value to the field's decimal digits, half away
/// from zero, as Odoo 17's `Float.convert_to_cache` does with
/// `float_round`. NaN and infinity cannot be rounded: `float_round` passes
/// them to Python's `round()`, which raises. A field without digits keeps
/// the value as given.
///
/// NOTE: `float_round` adds an epsilon of about one unit in the last place
/// before rounding and multiplies by `10 ** -digits` after. So a value a
/// few units from a tie, or a result such as `0.30000000000000004`, can
/// differ from Odoo's in the last bits.
pub fn round_to_digits(value: Value, digits: Option<(u8, u8)>) -> OdooResult<Value> {
    let (Value::Float(number), Some((_, scale))) = (&value, digits) else {
        return Ok(value);
    };
    if number.is_nan() {
        return Err(OdooError::value("cannot convert float NaN to integer"));
    }
    if number.is_infinite() {
        return Err(OdooError::new(
            ErrorKind::OverflowError,
            "cannot convert float infinity to integer",
        ));
    }
    let factor = 10f64.powi(i32::from(scale));
    let rounded = (number * factor).round() / factor;
    // A value too large to scale keeps its own: it has no fractional
    // digits left to round.
    Ok(Value::Float(if rounded.is_finite() {
        rounded
    } else {
        *number
    }))
}

fn to_text(model: &Model, field: &Field, value: &Value) -> OdooResult<Value> {
    let text = match value {
        Value::Str(s) => s.clone(),
        Value::Int(_) | Value::Float(_) | Value::Bool(true) => value.python_repr(),
        _ => return Err(wrong_value(model, field, value)),
    };
    Ok(Value::Str(match field.size {
        Some(size) => text.chars().take(size as usize).collect(),
        None => text,
    }))
}

/// Accepts a key of the selection, and stores any falsy value (`''`, `0`)
/// as unset, as Odoo 17's `Selection.convert_to_cache` does.
fn to_selection(model: &Model, field: &Field, value: &Value) -> OdooResult<Value> {
    match value {
        Value::Str(key) if field.selection_keys().any(|k| k == key) => Ok(value.clone()),
        _ if !value.is_truthy() => Ok(Value::Bool(false)),
        _ => Err(wrong_value(model, field, value)),
    }
}

/// Accepts `YYYY-MM-DD`, and a datetime whose date part is kept, as
/// `fields.Date.to_date` does.
fn to_date(value: &Value) -> OdooResult<Value> {
    let text = datetime_text(value)?;
    let date = text.get(..10).unwrap_or(&text);
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        return Err(OdooError::value(format!(
            "time data {} does not match format '%Y-%m-%d'",
            python_str_repr(&text)
        )));
    }
    Ok(Value::Str(date.to_owned()))
}

/// Accepts `YYYY-MM-DD HH:MM:SS` and a bare date (midnight), and rejects
/// ISO 8601 with `T` or an offset, as `fields.Datetime.to_datetime` does.
fn to_datetime(value: &Value) -> OdooResult<Value> {
    let text = datetime_text(value)?;
    if text.len() == 10 && chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").is_ok() {
        return Ok(Value::Str(format!("{text} 00:00:00")));
    }
    let parsed = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f");
    match parsed {
        Ok(datetime) => Ok(Value::Str(datetime.format("%Y-%m-%d %H:%M:%S").to_string())),
        Err(_) => Err(OdooError::value(format!(
            "time data {} does not match format '%Y-%m-%d %H:%M:%S'",
            python_str_repr(&text)
        ))),
    }
}

/// Returns the text of a date value; XML-RPC `dateTime.iso8601` values
/// (`20240131T10:00:00`) become `2024-01-31 10:00:00`, as Odoo receives them
/// as Python datetimes.
pub fn datetime_text(value: &Value) -> OdooResult<String> {
    match value {
        Value::Str(s) => Ok(s.clone()),
        Value::DateTime(raw) => Ok(normalize_iso8601(raw)),
        other => Err(OdooError::type_error(format!(
            "strptime() argument 1 must be str, not {}",
            other.python_type()
        ))),
    }
}

/// Normalizes XML-RPC's compact ISO 8601 form to Odoo's server format.
pub fn normalize_iso8601(raw: &str) -> String {
    let formats = ["%Y%m%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%dT%H%M%S"];
    for format in formats {
        if let Ok(datetime) = chrono::NaiveDateTime::parse_from_str(raw.trim(), format) {
            return datetime.format("%Y-%m-%d %H:%M:%S").to_string();
        }
    }
    raw.to_owned()
}

fn to_binary(model: &Model, field: &Field, value: &Value) -> OdooResult<Value> {
    use base64::Engine as _;
    match value {
        Value::Str(s) => Ok(Value::Str(s.clone())),
        Value::Binary(bytes) => Ok(Value::Str(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        )),
        _ => Err(wrong_value(model, field, value)),
    }
}

/// Converts a many2one value: an id, `False`, or an `[id, name]` pair. An
/// id that does not exist fails the foreign key, as in PostgreSQL.
fn to_many2one(env: &Env<'_>, model: &Model, field: &Field, value: &Value) -> OdooResult<Value> {
    let id = match value {
        Value::Int(id) => *id,
        Value::List(pair) if !pair.is_empty() => match pair[0].as_i64() {
            Some(id) => id,
            None => return Err(wrong_value(model, field, value)),
        },
        Value::Dict(_) => {
            return Err(OdooError::new(
                ErrorKind::ProgrammingError,
                "can't adapt type 'dict'",
            ))
        }
        Value::Str(s) => {
            return Err(OdooError::value(format!(
                "invalid literal for int() with base 10: {}",
                python_str_repr(s)
            )))
        }
        _ => return Err(wrong_value(model, field, value)),
    };
    if !env.defer_foreign_keys && !env.exists(field.comodel(), id) {
        return Err(foreign_key_violation(model, field));
    }
    Ok(Value::Int(id))
}

/// Returns the `ValidationError` Odoo 17 builds from PostgreSQL's
/// `FOREIGN_KEY_VIOLATION`, whatever the operation was.
pub fn foreign_key_violation(model: &Model, field: &Field) -> OdooError {
    let table = model.name.replace('.', "_");
    OdooError::validation(format!(
        "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nConstraint: {}_{}_fkey\n",
        model.description, model.name, table, field.name
    ))
}

/// Returns the `ValidationError` Odoo 17 builds from PostgreSQL's
/// `NOT_NULL_VIOLATION` for a required field left empty.
pub fn not_null_violation(model: &Model, field: &Field) -> OdooError {
    OdooError::validation(format!(
        "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nField: {} ({})\n",
        model.description, model.name, field.string, field.name
    ))
}

/// Tells whether [`to_read`] returns `value` unchanged: every value but a
/// many2one id read with `_classic_read`.
pub fn read_as_stored(field: &Field, value: &Value, classic: bool) -> bool {
    !(classic && field.field_type == FieldType::Many2one && matches!(value, Value::Int(_)))
}

/// Converts a stored value to what `read` returns for `load`:
/// many2one as `[id, display_name]` (or the bare id when `load` is not
/// `_classic_read`), everything else unchanged.
pub fn to_read(env: &Env<'_>, field: &Field, value: Value, classic: bool) -> Value {
    match (field.field_type, value) {
        (FieldType::Many2one, Value::Int(id)) if classic => {
            let name = match env.model(field.comodel()) {
                Ok(comodel) => env.display_name(&comodel, id),
                Err(_) => Value::Bool(false),
            };
            Value::List(vec![Value::Int(id), name])
        }
        (_, value) => value,
    }
}
