//! x2many write commands: `(0, 0, vals)` to `(6, 0, ids)`.

use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::orm::convert::wrong_value_str as wrong_value;
use crate::orm::schema::{Field, Model};
use crate::value::{Dict, Value};

/// One decoded x2many command (`odoo.fields.Command`).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `(0, 0, vals)`: create a record and link it.
    Create(Dict),
    /// `(1, id, vals)`: write on a linked record.
    Update(i64, Dict),
    /// `(2, id, 0)`: delete the record.
    Delete(i64),
    /// `(3, id, 0)`: remove the link, keeping the record.
    Unlink(i64),
    /// `(4, id, 0)`: add a link.
    Link(i64),
    /// `(5, 0, 0)`: remove every link.
    Clear,
    /// `(6, 0, ids)`: replace the links.
    Set(Vec<i64>),
}

/// Parses an x2many value: a list of commands, or a plain list of ids,
/// which Odoo treats as `(6, 0, ids)`.
pub fn parse(model: &Model, field: &Field, value: &Value) -> OdooResult<Vec<Command>> {
    let items = match value {
        Value::List(items) => items,
        Value::Bool(false) | Value::None => return Ok(vec![Command::Clear]),
        _ => return Err(wrong_value(model, field, value)),
    };
    if items.iter().all(|item| matches!(item, Value::Int(_))) {
        return Ok(vec![Command::Set(
            items.iter().filter_map(Value::as_i64).collect(),
        )]);
    }
    items
        .iter()
        .map(|item| parse_one(model, field, item))
        .collect()
}

fn parse_one(model: &Model, field: &Field, item: &Value) -> OdooResult<Command> {
    let parts = match item {
        Value::List(parts) if !parts.is_empty() => parts,
        // A bare dict reaches PostgreSQL in Odoo, which cannot adapt it.
        Value::Dict(_) => {
            return Err(OdooError::new(
                ErrorKind::ProgrammingError,
                "can't adapt type 'dict'",
            ))
        }
        _ => return Err(wrong_value(model, field, item)),
    };
    let code = parts[0]
        .as_i64()
        .ok_or_else(|| wrong_value(model, field, item))?;
    let id = || {
        parts
            .get(1)
            .and_then(Value::as_i64)
            .ok_or_else(|| wrong_value(model, field, item))
    };
    let vals = || match parts.get(2) {
        Some(Value::Dict(vals)) => Ok(vals.clone()),
        _ => Err(wrong_value(model, field, item)),
    };
    Ok(match code {
        0 => Command::Create(vals()?),
        1 => Command::Update(id()?, vals()?),
        2 => Command::Delete(id()?),
        3 => Command::Unlink(id()?),
        4 => Command::Link(id()?),
        5 => Command::Clear,
        6 => match parts.get(2) {
            Some(Value::List(ids)) => Command::Set(ids.iter().filter_map(Value::as_i64).collect()),
            Some(Value::Bool(false) | Value::None) => Command::Set(Vec::new()),
            _ => return Err(wrong_value(model, field, item)),
        },
        _ => return Err(wrong_value(model, field, item)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orm::schema::FieldType;

    fn fixture() -> (Model, Field) {
        let field = Field::new("category_id", FieldType::Many2many, "Tags");
        let model = Model {
            name: "res.partner".into(),
            description: "Contact".into(),
            rec_name: None,
            order: "id".into(),
            parent_name: "parent_id".into(),
            inherits: Default::default(),
            display_name: crate::profile::format::DisplayName::RecName,
            fields: Default::default(),
            constraints: Vec::new(),
            reflection: false,
            module: "base".into(),
            manual: false,
            copy_format: Default::default(),
        };
        (model, field)
    }

    #[test]
    fn plain_ids_mean_set() {
        let (model, field) = fixture();
        let value = Value::List(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(
            parse(&model, &field, &value),
            Ok(vec![Command::Set(vec![1, 2])])
        );
    }

    #[test]
    fn bare_dict_is_a_programming_error() {
        let (model, field) = fixture();
        let value = Value::List(vec![Value::Dict(Dict::default())]);
        let error = parse(&model, &field, &value).expect_err("dicts are not commands");
        assert_eq!(error.kind, ErrorKind::ProgrammingError);
        assert_eq!(error.message, "can't adapt type 'dict'");
    }

    #[test]
    fn string_is_a_wrong_value() {
        let (model, field) = fixture();
        let error =
            parse(&model, &field, &Value::from("4,564,0")).expect_err("strings are rejected");
        assert_eq!(
            error.message,
            "Wrong value for res.partner.category_id: 4,564,0"
        );
    }
}
