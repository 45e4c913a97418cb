//! Models and fields as the registry stores them after a profile is
//! resolved: what `fields_get` reports and what the ORM validates against.

use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::profile::format::{DisplayName, SequenceSpec};
use crate::value::Value;

/// Odoo's field types (`ttype` in `ir.model.fields`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Boolean,
    Integer,
    Float,
    Monetary,
    Char,
    Text,
    Html,
    Date,
    Datetime,
    Binary,
    Selection,
    Many2one,
    One2many,
    Many2many,
    Json,
}

impl FieldType {
    pub const ALL: [FieldType; 15] = [
        FieldType::Boolean,
        FieldType::Integer,
        FieldType::Float,
        FieldType::Monetary,
        FieldType::Char,
        FieldType::Text,
        FieldType::Html,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Binary,
        FieldType::Selection,
        FieldType::Many2one,
        FieldType::One2many,
        FieldType::Many2many,
        FieldType::Json,
    ];

    /// Returns the type's name as `fields_get` and `ir.model.fields` spell it.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Boolean => "boolean",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Monetary => "monetary",
            FieldType::Char => "char",
            FieldType::Text => "text",
            FieldType::Html => "html",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Binary => "binary",
            FieldType::Selection => "selection",
            FieldType::Many2one => "many2one",
            FieldType::One2many => "one2many",
            FieldType::Many2many => "many2many",
            FieldType::Json => "json",
        }
    }

    pub fn from_name(name: &str) -> Option<FieldType> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn is_relational(self) -> bool {
        matches!(
            self,
            FieldType::Many2one | FieldType::One2many | FieldType::Many2many
        )
    }

    pub fn is_x2many(self) -> bool {
        matches!(self, FieldType::One2many | FieldType::Many2many)
    }

    pub fn is_text(self) -> bool {
        matches!(
            self,
            FieldType::Char | FieldType::Text | FieldType::Html | FieldType::Selection
        )
    }

    /// Returns the value an unset field reads as: `0` for integers, `0.0`
    /// for floats, `[]` for x2many and `False` for everything else.
    pub fn empty_value(self) -> Value {
        match self {
            FieldType::Integer => Value::Int(0),
            FieldType::Float | FieldType::Monetary => Value::Float(0.0),
            FieldType::One2many | FieldType::Many2many => Value::List(Vec::new()),
            _ => Value::Bool(false),
        }
    }
}

/// The action on a many2one when the record it points to is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDelete {
    #[default]
    SetNull,
    Restrict,
    Cascade,
}

/// A default computed when a record is created.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Literal(Value),
    /// The current time on the emulator's clock.
    Now,
    /// Today's date on the emulator's clock.
    Today,
    /// The calling user's id.
    Uid,
    /// The current company (`env.company`).
    Company,
    /// The currency of the user's default company (not the context's
    /// current one), as `res.company`'s `_default_currency_id` gives it.
    CompanyCurrency,
    /// The calling user's partner.
    UserPartner,
}

/// One field of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    pub string: String,
    pub help: Option<String>,
    pub required: bool,
    pub readonly: bool,
    pub store: bool,
    pub index: bool,
    pub translate: bool,
    pub relation: Option<String>,
    pub inverse: Option<String>,
    pub ondelete: OnDelete,
    pub selection: Vec<(String, String)>,
    pub default: Option<DefaultValue>,
    pub groups: Vec<String>,
    /// The path of a related field, such as `["partner_id", "name"]`.
    pub related: Option<Vec<String>>,
    /// The expression of a computed field.
    pub compute: Option<String>,
    pub sequence: Option<SequenceSpec>,
    pub digits: Option<(u8, u8)>,
    pub size: Option<u32>,
    /// Whether `copy` duplicates the value.
    pub copy: bool,
    /// For a field delegated through `_inherits`: the parent model and the
    /// many2one on this model that points to the parent record.
    pub delegated: Option<(String, String)>,
    /// Whether the ORM adds and maintains the field itself (`id`,
    /// `display_name`, `create_date`, ...).
    pub automatic: bool,
    /// The module that defined the field, as `ir.model.fields` reports it.
    pub module: String,
    /// Whether the field is a customisation (`x_` fields from Studio or the
    /// profile), reported as `state: manual`.
    pub manual: bool,
}

impl Field {
    pub fn new(name: &str, field_type: FieldType, string: &str) -> Self {
        Field {
            name: name.to_owned(),
            field_type,
            string: string.to_owned(),
            help: None,
            required: false,
            readonly: false,
            store: true,
            index: false,
            translate: false,
            relation: None,
            inverse: None,
            ondelete: OnDelete::SetNull,
            selection: Vec::new(),
            default: None,
            groups: Vec::new(),
            related: None,
            compute: None,
            sequence: None,
            digits: None,
            size: None,
            copy: field_type != FieldType::One2many,
            delegated: None,
            automatic: false,
            module: "base".to_owned(),
            manual: false,
        }
    }

    /// Tells whether values live in the record's row: stored, not
    /// computed, not related, not an inverse one2many and not delegated.
    pub fn is_column(&self) -> bool {
        self.store
            && self.compute.is_none()
            && self.related.is_none()
            && self.delegated.is_none()
            && self.field_type != FieldType::One2many
            && self.name != "id"
    }

    /// Tells whether a domain leaf on this field is ignored: a non-stored
    /// field computed by an expression has no search method, and Odoo's
    /// domain parser logs "Non-stored field %s cannot be searched." and
    /// replaces the leaf by a true one. The display name and the
    /// commercial partner stand for fields Odoo can search. A field that a
    /// model inherits through `_inherits` becomes a leaf on the parent
    /// model, where it is ignored the same way.
    pub fn ignored_in_domains(&self) -> bool {
        !self.store
            && self.related.is_none()
            && self
                .compute
                .as_deref()
                .is_some_and(|compute| !matches!(compute, "display_name" | "commercial_partner"))
    }

    /// Tells whether the field can be searched on: stored or related.
    pub fn is_searchable(&self) -> bool {
        self.store || self.related.is_some() || self.delegated.is_some() || self.name == "id"
    }

    /// Tells whether a write to this field is accepted (Odoo ignores
    /// writes to computed fields without an inverse).
    pub fn is_writable(&self) -> bool {
        !self.automatic && self.compute.is_none() && (self.related.is_none() || !self.readonly)
    }

    /// Returns the aggregate function that `read_group` applies when its
    /// `fields` name the field bare: Odoo's `group_operator`, called
    /// `aggregator` from 18.0. Odoo gives `sum` to integer, float and
    /// monetary fields, except the `id` field and an integer field named
    /// `sequence`, and none to other types. The profile format cannot
    /// declare another one.
    pub fn group_operator(&self) -> Option<&'static str> {
        match self.field_type {
            FieldType::Integer if self.name == "id" || self.name == "sequence" => None,
            FieldType::Integer | FieldType::Float | FieldType::Monetary => Some("sum"),
            _ => None,
        }
    }

    pub fn comodel(&self) -> &str {
        self.relation.as_deref().unwrap_or_default()
    }

    pub fn selection_keys(&self) -> impl Iterator<Item = &str> {
        self.selection.iter().map(|(key, _)| key.as_str())
    }
}

/// A model's fields by name. Every field read looks a name up here, and
/// the names are the profile's own, so the hasher is Fx, which is faster
/// than the standard SipHash and needs no protection against chosen keys.
pub type FieldMap = IndexMap<String, Arc<Field>, FxBuildHasher>;

/// The models of a schema by name, hashed as [`FieldMap`] is.
pub type ModelMap = IndexMap<String, Arc<Model>, FxBuildHasher>;

/// One model (`_name`) of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub rec_name: Option<String>,
    pub order: String,
    pub parent_name: String,
    pub inherits: IndexMap<String, String>,
    pub display_name: DisplayName,
    pub fields: FieldMap,
    pub constraints: Vec<Constraint>,
    pub reflection: bool,
    pub module: String,
    /// Whether the model is a customisation (`x_` models), reported as
    /// `state: manual` in `ir.model`.
    pub manual: bool,
    /// The format `copy` renames a copy's field with, by field (`"%s (copy)"`).
    pub copy_format: IndexMap<String, String>,
}

/// An SQL constraint of a model: unique fields, or a check domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub name: String,
    pub fields: Vec<String>,
    pub check: Option<Value>,
    pub message: String,
}

impl Model {
    pub fn field(&self, name: &str) -> Option<&Arc<Field>> {
        self.fields.get(name)
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Tells whether the model has an `active` field, which makes searches
    /// skip archived records unless the context sets `active_test: False`.
    pub fn has_active(&self) -> bool {
        self.fields
            .get("active")
            .is_some_and(|f| f.field_type == FieldType::Boolean)
    }

    /// Returns the field used as the record's name: `_rec_name`, or `name`
    /// when the model has one.
    pub fn rec_name_field(&self) -> Option<&str> {
        match &self.rec_name {
            Some(name) => Some(name),
            None if self.has_field("name") => Some("name"),
            None => None,
        }
    }
}

/// Every model of one database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    pub models: ModelMap,
}

impl Schema {
    pub fn model(&self, name: &str) -> Option<&Arc<Model>> {
        self.models.get(name)
    }
}
