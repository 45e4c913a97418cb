//! The SaaS entities of the integration contract and the fields each one
//! has: `customer`, `product` and `order`.
//!
//! Scenario data is checked against this table before a scenario runs, so
//! a misspelt field or a price written as text is an invalid scenario, not
//! a surprise for the integration under test.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

/// A SaaS entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Customer,
    Product,
    Order,
}

/// The JSON type a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Boolean,
    /// A list of strings.
    TextList,
    /// `YYYY-MM-DD`.
    Date,
    /// An order's lines: `{sku, quantity, unit_price}` mappings.
    Lines,
}

struct FieldDef {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn field(name: &'static str, kind: Kind, required: bool) -> FieldDef {
    FieldDef {
        name,
        kind,
        required,
    }
}

const CUSTOMER: &[FieldDef] = &[
    field("name", Kind::Text, true),
    field("email", Kind::Text, false),
    field("phone", Kind::Text, false),
    field("company", Kind::Boolean, false),
    field("country_code", Kind::Text, false),
    field("tags", Kind::TextList, false),
];

const PRODUCT: &[FieldDef] = &[
    field("sku", Kind::Text, true),
    field("name", Kind::Text, true),
    field("price", Kind::Number, false),
    field("active", Kind::Boolean, false),
];

const ORDER: &[FieldDef] = &[
    field("number", Kind::Text, true),
    field("customer_id", Kind::Text, true),
    field("date", Kind::Date, false),
    field("lines", Kind::Lines, false),
    field("state", Kind::Text, false),
];

/// Every entity, in the order the contract lists them.
pub const ALL: [Entity; 3] = [Entity::Customer, Entity::Product, Entity::Order];

impl Entity {
    /// Parses an entity name as scenarios and the SaaS API write it.
    pub fn parse(name: &str) -> Option<Entity> {
        ALL.into_iter().find(|entity| entity.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customer => "customer",
            Entity::Product => "product",
            Entity::Order => "order",
        }
    }

    fn fields(self) -> &'static [FieldDef] {
        match self {
            Entity::Customer => CUSTOMER,
            Entity::Product => PRODUCT,
            Entity::Order => ORDER,
        }
    }

    /// Checks a record's full data: known fields with the right types, and
    /// every required field present.
    pub fn validate_record(self, data: &Map<String, Value>) -> Result<(), String> {
        self.validate_fields(data)?;
        for def in self.fields().iter().filter(|def| def.required) {
            if data.get(def.name).is_none_or(Value::is_null) {
                return Err(format!(
                    "{self} is missing the required field `{}`",
                    def.name
                ));
            }
        }
        Ok(())
    }

    /// Checks the fields of a partial update; `null` clears a field unless
    /// it is required.
    pub fn validate_fields(self, data: &Map<String, Value>) -> Result<(), String> {
        for (name, value) in data {
            let def = self.fields().iter().find(|def| def.name == name);
            let Some(def) = def else {
                return Err(format!(
                    "{self} has no field `{name}`; its fields are {}",
                    self.field_names()
                ));
            };
            if value.is_null() {
                if def.required {
                    return Err(format!("`{name}` of {self} is required and cannot be null"));
                }
                continue;
            }
            check_kind(def.kind, value).map_err(|expected| {
                format!("`{name}` of {self} must be {expected}, not {value}")
            })?;
        }
        Ok(())
    }

    fn field_names(self) -> String {
        let names: Vec<_> = self.fields().iter().map(|def| def.name).collect();
        names.join(", ")
    }

    /// Builds the data of the `index`th generated record (from 1), the
    /// same for every run.
    pub fn generated(self, index: usize) -> (String, Map<String, Value>) {
        let mut data = Map::new();
        let id = match self {
            Entity::Customer => {
                data.insert("name".into(), format!("Customer {index:05}").into());
                data.insert(
                    "email".into(),
                    format!("customer{index:05}@example.com").into(),
                );
                data.insert("company".into(), Value::Bool(index % 5 == 0));
                format!("gen-c{index:05}")
            }
            Entity::Product => {
                data.insert("sku".into(), format!("GEN-{index:05}").into());
                data.insert("name".into(), format!("Generated product {index}").into());
                data.insert("price".into(), Value::from(((index % 97) + 1) as f64 * 1.5));
                data.insert("active".into(), Value::Bool(true));
                format!("gen-p{index:05}")
            }
            Entity::Order => {
                data.insert("number".into(), format!("GEN-SO{index:05}").into());
                data.insert("customer_id".into(), "gen-c00001".into());
                data.insert("date".into(), "2024-01-15".into());
                data.insert("lines".into(), Value::Array(Vec::new()));
                data.insert("state".into(), "draft".into());
                format!("gen-o{index:05}")
            }
        };
        (id, data)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returns what the value should have been when it does not fit `kind`.
fn check_kind(kind: Kind, value: &Value) -> Result<(), &'static str> {
    let fits = match kind {
        Kind::Text => value.is_string(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::TextList => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        Kind::Date => value
            .as_str()
            .is_some_and(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()),
        Kind::Lines => value
            .as_array()
            .is_some_and(|lines| lines.iter().all(is_order_line)),
    };
    if fits {
        return Ok(());
    }
    Err(match kind {
        Kind::Text => "a string",
        Kind::Number => "a number",
        Kind::Boolean => "true or false",
        Kind::TextList => "a list of strings",
        Kind::Date => "a date written YYYY-MM-DD",
        Kind::Lines => "a list of {sku, quantity, unit_price} lines",
    })
}

fn is_order_line(line: &Value) -> bool {
    let Some(line) = line.as_object() else {
        return false;
    };
    let known = line
        .keys()
        .all(|key| ["sku", "quantity", "unit_price"].contains(&key.as_str()));
    known
        && line.get("sku").is_some_and(Value::is_string)
        && line.get("quantity").is_some_and(Value::is_number)
        && line.get("unit_price").is_none_or(Value::is_number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    #[test]
    fn customer_needs_a_name() {
        let error = Entity::Customer
            .validate_record(&object(json!({"email": "a@example.com"})))
            .expect_err("no name");
        assert_eq!(error, "customer is missing the required field `name`");
    }

    #[test]
    fn unknown_field_lists_the_known_ones() {
        let error = Entity::Product
            .validate_fields(&object(json!({"colour": "red"})))
            .expect_err("unknown field");
        assert_eq!(
            error,
            "product has no field `colour`; its fields are sku, name, price, active"
        );
    }

    #[test]
    fn wrong_types_are_named() {
        let error = Entity::Product
            .validate_fields(&object(json!({"price": "12"})))
            .expect_err("text price");
        assert_eq!(error, "`price` of product must be a number, not \"12\"");
        let error = Entity::Order
            .validate_fields(&object(json!({"date": "15/01/2024"})))
            .expect_err("bad date");
        assert!(error.contains("YYYY-MM-DD"), "{error}");
    }

    #[test]
    fn order_lines_are_checked() {
        let good = json!({"lines": [{"sku": "A", "quantity": 2, "unit_price": 3.5}]});
        assert!(Entity::Order.validate_fields(&object(good)).is_ok());
        let bad = json!({"lines": [{"sku": "A", "qty": 2}]});
        assert!(Entity::Order.validate_fields(&object(bad)).is_err());
    }

    #[test]
    fn generated_records_are_valid() {
        for entity in ALL {
            let (_, data) = entity.generated(7);
            entity
                .validate_record(&data)
                .expect("a valid generated record");
        }
    }
}
