//! The aggregate functions of `read_group`, the PostgreSQL types they
//! accept, and the values they compute.

use std::collections::HashSet;

use crate::orm::domain::compare_values;
use crate::orm::schema::{Field, FieldType};
use crate::value::Value;
use crate::version::Version;

/// An aggregate function of `read_group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Function {
    Sum,
    Avg,
    Max,
    Min,
    BoolAnd,
    BoolOr,
    ArrayAgg,
    /// `array_agg` of ids turned into a recordset (17.0 on).
    Recordset,
    Count,
    CountDistinct,
}

impl Function {
    /// Parses a name from Odoo's `READ_GROUP_AGGREGATE` (17.0 on) or
    /// `VALID_AGGREGATE_FUNCTIONS` (before, without `recordset`). Case
    /// matters, as in Odoo's dict lookups.
    pub(super) fn parse(name: &str, version: Version) -> Option<Function> {
        Some(match name {
            "sum" => Function::Sum,
            "avg" => Function::Avg,
            "max" => Function::Max,
            "min" => Function::Min,
            "bool_and" => Function::BoolAnd,
            "bool_or" => Function::BoolOr,
            "array_agg" => Function::ArrayAgg,
            "recordset" if version.has_read_group_select() => Function::Recordset,
            "count" => Function::Count,
            "count_distinct" => Function::CountDistinct,
            _ => return None,
        })
    }

    /// Returns the SQL function that PostgreSQL names in its errors.
    pub(super) fn sql_name(self) -> &'static str {
        match self {
            Function::Sum => "sum",
            Function::Avg => "avg",
            Function::Max => "max",
            Function::Min => "min",
            Function::BoolAnd => "bool_and",
            Function::BoolOr => "bool_or",
            Function::ArrayAgg | Function::Recordset => "array_agg",
            Function::Count | Function::CountDistinct => "count",
        }
    }

    /// Tells whether PostgreSQL has a version of the function for a
    /// column of type `column`.
    pub(super) fn accepts(self, column: SqlType) -> bool {
        use SqlType::*;
        match self {
            Function::Sum | Function::Avg => matches!(column, Integer | Numeric | Double),
            Function::Max | Function::Min => !matches!(column, Boolean | Jsonb),
            Function::BoolAnd | Function::BoolOr => column == Boolean,
            Function::ArrayAgg
            | Function::Recordset
            | Function::Count
            | Function::CountDistinct => true,
        }
    }
}

/// The PostgreSQL type of the expression Odoo aggregates for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SqlType {
    Integer,
    Numeric,
    Double,
    Boolean,
    Varchar,
    Text,
    Date,
    Timestamp,
    Jsonb,
}

impl SqlType {
    /// Returns the type of a field's column. Odoo stores a float with
    /// `digits` as `numeric` and reads a translated char field's value out
    /// of its `jsonb` column as `text`.
    pub(super) fn of(field: &Field) -> SqlType {
        match field.field_type {
            FieldType::Integer | FieldType::Many2one => SqlType::Integer,
            FieldType::Float if field.digits.is_some() => SqlType::Numeric,
            FieldType::Float => SqlType::Double,
            FieldType::Monetary => SqlType::Numeric,
            FieldType::Boolean => SqlType::Boolean,
            FieldType::Char if field.translate => SqlType::Text,
            FieldType::Char | FieldType::Selection => SqlType::Varchar,
            FieldType::Text | FieldType::Html => SqlType::Text,
            FieldType::Date => SqlType::Date,
            FieldType::Datetime => SqlType::Timestamp,
            FieldType::Json => SqlType::Jsonb,
            // These have no column, which PostgreSQL reports before any
            // type.
            FieldType::Binary | FieldType::One2many | FieldType::Many2many => SqlType::Jsonb,
        }
    }

    /// Returns the type's name as PostgreSQL writes it in errors.
    pub(super) fn name(self) -> &'static str {
        match self {
            SqlType::Integer => "integer",
            SqlType::Numeric => "numeric",
            SqlType::Double => "double precision",
            SqlType::Boolean => "boolean",
            SqlType::Varchar => "character varying",
            SqlType::Text => "text",
            SqlType::Date => "date",
            SqlType::Timestamp => "timestamp without time zone",
            SqlType::Jsonb => "jsonb",
        }
    }
}

impl Function {
    /// Aggregates the cells of a group as PostgreSQL does, with Odoo's
    /// empty value for a `NULL` result: `False`, or `0` for a count.
    pub(super) fn apply(self, cells: Vec<Option<Value>>, sql_type: SqlType) -> Value {
        if self == Function::ArrayAgg {
            return Value::List(cells.into_iter().map(Option::unwrap_or_default).collect());
        }
        let values: Vec<Value> = cells.into_iter().flatten().collect();
        match self {
            Function::Count => Value::Int(values.len() as i64),
            Function::CountDistinct => {
                let distinct: HashSet<String> = values.iter().map(Value::python_repr).collect();
                Value::Int(distinct.len() as i64)
            }
            // NOTE: Odoo puts a recordset here, and how its RPC layers
            // write one was not checked. This returns the ids.
            Function::Recordset => {
                let mut seen = HashSet::new();
                let ids = values
                    .iter()
                    .filter_map(Value::as_i64)
                    .filter(|id| seen.insert(*id))
                    .map(Value::Int)
                    .collect();
                Value::List(ids)
            }
            _ if values.is_empty() => Value::Bool(false),
            Function::Sum if sql_type == SqlType::Integer => {
                Value::Int(values.iter().filter_map(Value::as_i64).sum())
            }
            Function::Sum if sql_type == SqlType::Numeric => {
                let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
                Value::Float(exact_sum(&numbers, 1).unwrap_or_else(|| numbers.iter().sum::<f64>()))
            }
            Function::Sum => Value::Float(values.iter().filter_map(Value::as_f64).sum()),
            Function::Avg => {
                let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
                let exact = (sql_type == SqlType::Numeric)
                    .then(|| exact_sum(&numbers, numbers.len()))
                    .flatten();
                Value::Float(
                    exact.unwrap_or_else(|| numbers.iter().sum::<f64>() / numbers.len() as f64),
                )
            }
            Function::Max => extreme(values, std::cmp::Ordering::Greater),
            Function::Min => extreme(values, std::cmp::Ordering::Less),
            Function::BoolAnd => Value::Bool(values.iter().all(Value::is_truthy)),
            Function::BoolOr => Value::Bool(values.iter().any(Value::is_truthy)),
            Function::ArrayAgg => unreachable!("array_agg returned above"),
        }
    }
}

/// Extra decimal places kept when dividing for an average, beyond those
/// of the values, so that the quotient rounds to the nearest float.
const QUOTIENT_PLACES: u32 = 20;

/// Returns the sum of `numbers` divided by `count`, computed in decimal
/// as PostgreSQL computes a `numeric` sum or average, then read as the
/// nearest float, as Odoo reads a `numeric` result. Each number counts as
/// the decimal its shortest text spells, which is what Odoo wrote to the
/// column. Returns `None` when the decimals do not fit 128 bits, and the
/// caller adds floats instead.
fn exact_sum(numbers: &[f64], count: usize) -> Option<f64> {
    let decimals: Vec<(i128, u32)> = numbers
        .iter()
        .map(|n| decimal_of(*n))
        .collect::<Option<_>>()?;
    let scale = decimals.iter().map(|(_, scale)| *scale).max().unwrap_or(0);
    let mut total: i128 = 0;
    for (digits, own_scale) in decimals {
        let widened = digits.checked_mul(10i128.checked_pow(scale - own_scale)?)?;
        total = total.checked_add(widened)?;
    }
    let (quotient, scale) = if count == 1 {
        (total, scale)
    } else {
        let widened = total.checked_mul(10i128.checked_pow(QUOTIENT_PLACES)?)?;
        (
            widened / i128::try_from(count).ok()?,
            scale + QUOTIENT_PLACES,
        )
    };
    let text = quotient.unsigned_abs().to_string();
    let width = usize::try_from(scale).ok()?;
    let padded = format!("{text:0>width$}", width = width + 1);
    let (whole, fraction) = padded.split_at(padded.len() - width);
    let sign = if quotient < 0 { "-" } else { "" };
    format!("{sign}{whole}.{fraction}").parse().ok()
}

/// Returns the digits and scale of the decimal that a float's shortest
/// text spells: `0.1` is `(1, 1)`.
fn decimal_of(number: f64) -> Option<(i128, u32)> {
    if !number.is_finite() {
        return None;
    }
    let text = number.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((digits, u32::try_from(fraction.len()).ok()?))
}

/// Returns the first of `values` that no other value beats in the
/// direction `direction`. Text compares in the `C` collation of Odoo's
/// databases, dates and datetimes as their ISO text.
fn extreme(values: Vec<Value>, direction: std::cmp::Ordering) -> Value {
    let mut best: Option<Value> = None;
    for value in values {
        let better = match &best {
            None => true,
            Some(current) => compare_values(&value, current) == Some(direction),
        };
        if better {
            best = Some(value);
        }
    }
    best.unwrap_or(Value::Bool(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_sums_are_exact_decimals() {
        assert_eq!(exact_sum(&[0.1, 0.2], 1), Some(0.3));
        assert_eq!(exact_sum(&[0.1, 0.2], 2), Some(0.15));
        assert_eq!(exact_sum(&[-1.25, 0.05], 1), Some(-1.2));
        assert_eq!(exact_sum(&[1e300, 1.0], 1), None);
        let sum = Function::Sum.apply(
            vec![Some(Value::Float(0.1)), Some(Value::Float(0.2))],
            SqlType::Numeric,
        );
        assert_eq!(sum, Value::Float(0.3));
        let double = Function::Sum.apply(
            vec![Some(Value::Float(0.1)), Some(Value::Float(0.2))],
            SqlType::Double,
        );
        assert_eq!(double, Value::Float(0.1 + 0.2));
    }
}
