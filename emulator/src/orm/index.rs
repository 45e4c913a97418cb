//! Secondary indexes on stored columns: a field's value to the ids of the
//! rows that hold it.
//!
//! Writes use them where a scan of the table would make each write cost
//! grow with the table. Unique constraints, one2many reads through the
//! inverse many2one and `ondelete` on the columns that point to a deleted
//! record look rows up by value, and so does the removal of a deleted
//! record's external ids.
//!
//! An index narrows a lookup and never decides it. Values that compare
//! equal always share a key, but unequal values may share one too, so
//! each caller checks the rows it gets back with the test it would apply
//! in a full scan. Empty values are not indexed, because most rows leave
//! most many2one fields empty and every write would then update a set of
//! nearly every id. A lookup of an empty value falls back to a scan. The
//! maps are persistent, like the rows, so cloning a table stays O(1).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::orm::schema::{FieldType, Model};
use crate::orm::store::Row;
use crate::value::Value;

/// The indexed form of a stored value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexKey {
    /// An absent value and every empty one: `None`, `False`, `0`, `0.0`
    /// and `[]`, since a field reads an absent value as its type's empty
    /// value.
    Empty,
    /// An integer, and `True` as 1, because many2one values compare with
    /// [`Value::as_i64`].
    Int(i64),
    /// A float's bits.
    Float(u64),
    /// Text, shared because a write copies the map nodes on its path and
    /// each copy clones its keys.
    Text(Arc<str>),
    /// Any other value by its debug form, which derived equality follows.
    Other(Arc<str>),
}

impl IndexKey {
    /// Returns the key of one value. A list has one key as a whole here;
    /// [`keys_of`] splits it.
    pub fn of(value: &Value) -> IndexKey {
        match value {
            Value::None | Value::Bool(false) | Value::Int(0) => IndexKey::Empty,
            Value::Bool(true) => IndexKey::Int(1),
            Value::Int(number) => IndexKey::Int(*number),
            Value::Float(number) if *number == 0.0 => IndexKey::Empty,
            Value::Float(number) => IndexKey::Float(number.to_bits()),
            Value::Str(text) => IndexKey::Text(Arc::from(text.as_str())),
            Value::List(items) if items.is_empty() => IndexKey::Empty,
            other => IndexKey::Other(Arc::from(format!("{other:?}"))),
        }
    }
}

/// Returns the keys a row's value is indexed under: one per element of a
/// list (the ids of a many2many), else the value's own key, leaving out
/// [`IndexKey::Empty`].
fn keys_of(value: Option<&Value>) -> BTreeSet<IndexKey> {
    let keys = match value {
        None => BTreeSet::new(),
        Some(Value::List(items)) => items.iter().map(IndexKey::of).collect(),
        Some(value) => BTreeSet::from([IndexKey::of(value)]),
    };
    keys.into_iter()
        .filter(|key| *key != IndexKey::Empty)
        .collect()
}

/// The index of one field of one table.
#[derive(Debug, Clone)]
pub struct FieldIndex {
    field: String,
    entries: imbl::OrdMap<IndexKey, imbl::OrdSet<i64>>,
}

impl FieldIndex {
    /// Builds the index of `field` over existing rows.
    pub fn build<'r>(field: &str, rows: impl Iterator<Item = (i64, &'r Row)>) -> FieldIndex {
        let mut index = FieldIndex {
            field: field.to_owned(),
            entries: imbl::OrdMap::new(),
        };
        for (id, row) in rows {
            index.replace(id, None, Some(row));
        }
        index
    }

    pub fn field(&self) -> &str {
        &self.field
    }

    /// Moves a row's entries from its previous version to its new one;
    /// `None` stands for no row.
    pub fn replace(&mut self, id: i64, previous: Option<&Row>, current: Option<&Row>) {
        let old = previous.map(|row| row.get(&self.field));
        let new = current.map(|row| row.get(&self.field));
        if old == new {
            return;
        }
        if let Some(value) = old {
            for key in keys_of(value) {
                self.remove_entry(key, id);
            }
        }
        if let Some(value) = new {
            for key in keys_of(value) {
                self.entries.entry(key).or_default().insert(id);
            }
        }
    }

    fn remove_entry(&mut self, key: IndexKey, id: i64) {
        let Some(ids) = self.entries.get_mut(&key) else {
            return;
        };
        ids.remove(&id);
        if ids.is_empty() {
            self.entries.remove(&key);
        }
    }

    /// Returns the ids of the rows that may hold `value`, or an element
    /// equal to it in a list, in ascending order. Returns `None` for an
    /// empty value, which is not indexed.
    pub fn candidates(&self, value: &Value) -> Option<Vec<i64>> {
        let key = IndexKey::of(value);
        if key == IndexKey::Empty {
            return None;
        }
        let ids = self.entries.get(&key);
        Some(
            ids.map(|ids| ids.iter().copied().collect())
                .unwrap_or_default(),
        )
    }

    /// Returns how many rows [`FieldIndex::candidates`] would return, or
    /// `None` for an empty value.
    pub fn count(&self, value: &Value) -> Option<usize> {
        let key = IndexKey::of(value);
        if key == IndexKey::Empty {
            return None;
        }
        Some(self.entries.get(&key).map_or(0, imbl::OrdSet::len))
    }

    /// Tells whether the index contains exactly the entries of `rows`, for
    /// tests.
    pub fn matches<'r>(&self, rows: impl Iterator<Item = (i64, &'r Row)>) -> bool {
        FieldIndex::build(&self.field, rows).entries == self.entries
    }
}

/// Returns the fields of a model that its table indexes: the many2one and
/// many2many columns, the columns of unique constraints and, on
/// `ir.model.data`, `res_id`, by which `unlink` finds a deleted record's
/// external ids. `create_uid` and `write_uid` are left out because nearly
/// every row points to one of a few users.
pub fn indexed_fields(model: &Model) -> BTreeSet<String> {
    let mut fields: BTreeSet<String> = model
        .fields
        .values()
        .filter(|field| field.is_column() && !field.automatic)
        .filter(|field| matches!(field.field_type, FieldType::Many2one | FieldType::Many2many))
        .map(|field| field.name.clone())
        .collect();
    let unique = model
        .constraints
        .iter()
        .filter(|constraint| constraint.check.is_none())
        .flat_map(|constraint| constraint.fields.iter());
    for name in unique {
        if model.field(name).is_some_and(|field| field.is_column()) {
            fields.insert(name.clone());
        }
    }
    if model.name == "ir.model.data" && model.has_field("res_id") {
        fields.insert("res_id".to_owned());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(field: &str, value: Value) -> Row {
        Row::from_iter([(field.to_owned(), value)])
    }

    #[test]
    fn equal_values_share_a_key() {
        let pairs = [
            (Value::Float(0.0), Value::Float(-0.0)),
            (Value::Int(0), Value::Bool(false)),
            (Value::Str("a".into()), Value::Str("a".into())),
        ];
        for (left, right) in pairs {
            assert_eq!(IndexKey::of(&left), IndexKey::of(&right), "{left:?}");
        }
    }

    #[test]
    fn empty_value_is_not_indexed() {
        let index = FieldIndex::build("parent_id", [(1, &Row::default())].into_iter());

        assert_eq!(index.candidates(&Value::Bool(false)), None);
        assert_eq!(index.candidates(&Value::Int(0)), None);
        assert_eq!(index.count(&Value::Int(0)), None);
        assert_eq!(index.candidates(&Value::Int(1)), Some(Vec::new()));
    }

    #[test]
    fn list_elements_are_indexed_one_by_one() {
        let tags = row(
            "category_id",
            Value::List(vec![Value::Int(3), Value::Int(4)]),
        );
        let index = FieldIndex::build("category_id", [(7, &tags)].into_iter());

        assert_eq!(index.candidates(&Value::Int(3)), Some(vec![7]));
        assert_eq!(index.candidates(&Value::Int(4)), Some(vec![7]));
        assert_eq!(index.candidates(&Value::Int(5)), Some(Vec::new()));
    }

    #[test]
    fn replace_moves_the_entry() {
        let before = row("partner_id", Value::Int(3));
        let after = row("partner_id", Value::Int(4));
        let mut index = FieldIndex::build("partner_id", [(9, &before)].into_iter());

        index.replace(9, Some(&before), Some(&after));

        assert_eq!(index.candidates(&Value::Int(3)), Some(Vec::new()));
        assert_eq!(index.candidates(&Value::Int(4)), Some(vec![9]));
        assert_eq!(index.count(&Value::Int(4)), Some(1));
    }

    #[test]
    fn replace_with_no_row_removes() {
        let before = row("partner_id", Value::Int(3));
        let mut index = FieldIndex::build("partner_id", [(9, &before)].into_iter());

        index.replace(9, Some(&before), None);

        assert_eq!(index.candidates(&Value::Int(3)), Some(Vec::new()));
        assert!(index.matches(std::iter::empty()));
    }
}
