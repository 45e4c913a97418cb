//! The profile file format: one YAML document per customer instance.
//!
//! These types mirror the file exactly and reject unknown keys, so a typo in
//! a profile is an error with a location instead of a silently ignored key.
//! Resolution (inheritance through `extends`, field changes, references by
//! external id) happens in [`super::schema`] and [`super::seed`].

use indexmap::IndexMap;
use serde::Deserialize;

/// A whole profile file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// A short name for the customer, shown in logs and `db.list`.
    pub name: String,
    /// A built-in base (`odoo-17`) or a path relative to this file.
    #[serde(default)]
    pub extends: Option<String>,
    /// The Odoo release this instance runs, such as `"17.0"`; inherited
    /// from the base when absent.
    #[serde(default)]
    pub odoo_version: Option<String>,
    /// The database name served; inherited from the base when absent.
    #[serde(default)]
    pub database: Option<String>,
    /// New models and changes to inherited ones, by technical name.
    #[serde(default)]
    pub models: IndexMap<String, ModelSpec>,
    /// Security groups (`res.groups`), by external id.
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Users (`res.users`) with their credentials.
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// Model access rows (`ir.model.access`).
    #[serde(default)]
    pub access: Vec<AccessSpec>,
    /// Record rules (`ir.rule`).
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Business methods with declared effects, by model then method name.
    #[serde(default)]
    pub methods: IndexMap<String, IndexMap<String, MethodSpec>>,
    /// Seed records by model, in creation order.
    #[serde(default)]
    pub records: IndexMap<String, Vec<RecordSpec>>,
}

/// A model (`_name`) or changes to an inherited one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// `_description`, shown in access error messages (`'Contact'`).
    #[serde(default)]
    pub description: Option<String>,
    /// `_rec_name`: the field that `display_name` and `name_search` use;
    /// `name` when the model has one.
    #[serde(default)]
    pub rec_name: Option<String>,
    /// `_order`, such as `"date_order desc, id desc"`; `id` when absent.
    #[serde(default)]
    pub order: Option<String>,
    /// `_parent_name`, the many2one that `child_of` and `parent_of` follow;
    /// `parent_id` when absent.
    #[serde(default)]
    pub parent: Option<String>,
    /// `_inherits`: delegation to a parent model through a required
    /// many2one, such as `{product.template: product_tmpl_id}`.
    #[serde(default)]
    pub inherits: IndexMap<String, String>,
    /// The rule that builds `display_name`; see [`DisplayName`].
    #[serde(default)]
    pub display_name: Option<DisplayName>,
    /// Fields by name. On an inherited model a spec without `type` changes
    /// the inherited field; `remove: true` drops it.
    #[serde(default)]
    pub fields: IndexMap<String, FieldSpec>,
    /// SQL constraints (`_sql_constraints`), which Odoo checks in the
    /// database and reports with their message.
    #[serde(default)]
    pub constraints: Vec<ConstraintSpec>,
    /// The formats `copy` renames the copy's fields with: `{name: "%s (copy)"}`, as
    /// `res.partner` and `product.template` do.
    #[serde(default)]
    pub copy_format: IndexMap<String, String>,
    /// Whether records of this model are served from the profile's
    /// reflection (`ir.model`, `ir.model.fields`, ...), read-only.
    #[serde(default)]
    pub reflection: bool,
}

/// The rule a model computes `display_name` with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayName {
    /// The `rec_name` field's value (Odoo's default).
    RecName,
    /// `res.partner`: `"Company, Contact"` for a contact with a company
    /// parent, the name alone otherwise.
    Partner,
    /// `product.product`: `"[default_code] name"` when a code is set.
    Product,
    /// Hierarchical models such as `product.category`: the names of the
    /// parents and the record joined by `" / "`.
    Path,
    /// `product.pricelist`: `"name (currency)"`, the name of the record's
    /// `currency_id` in parentheses.
    Currency,
}

/// A field, or changes to an inherited field when `type` is absent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Odoo's field type (`ttype`): boolean, integer, float, monetary, char,
    /// text, html, date, datetime, binary, selection, many2one, one2many,
    /// many2many, json.
    #[serde(default, rename = "type")]
    pub field_type: Option<String>,
    /// The label (`string`), shown in validation messages.
    #[serde(default)]
    pub string: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub readonly: Option<bool>,
    /// Stored fields can be searched and sorted on; computed fields without
    /// `store` are recomputed on every read.
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub index: Option<bool>,
    #[serde(default)]
    pub translate: Option<bool>,
    /// The comodel of a relational field.
    #[serde(default)]
    pub relation: Option<String>,
    /// For one2many: the many2one on the comodel that points back.
    #[serde(default)]
    pub inverse: Option<String>,
    /// For many2one: `set null` (default), `restrict` or `cascade`.
    #[serde(default)]
    pub ondelete: Option<String>,
    /// Selection keys and labels, in order.
    #[serde(default)]
    pub selection: Option<Vec<(String, String)>>,
    /// Keys appended to an inherited selection (`selection_add`).
    #[serde(default)]
    pub selection_add: Option<Vec<(String, String)>>,
    /// Keys removed from an inherited selection.
    #[serde(default)]
    pub selection_remove: Option<Vec<String>>,
    /// The default for new records: a literal value, or one of the
    /// expressions `now`, `today`, `uid`, `company` and `user_partner`
    /// written as `{expr: now}`.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// Field-level access: only members of these groups (external ids) may
    /// read or write the field.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// A related field such as `partner_id.country_id.code`; read-only
    /// unless `readonly: false`.
    #[serde(default)]
    pub related: Option<String>,
    /// A computed field: an arithmetic expression over fields of the record,
    /// `sum(lines.field)` and `count(lines)`, such as
    /// `"product_uom_qty * price_unit * (1 - discount / 100)"`; or one of
    /// the named computations `display_name` (the record's display name,
    /// as `complete_name` stores it) and `commercial_partner` (a partner's
    /// top company, or itself).
    #[serde(default)]
    pub compute: Option<String>,
    /// For char fields: a sequence that fills the field on create when it
    /// is empty or `New`, such as `{prefix: S, padding: 5}` giving `S00001`.
    #[serde(default)]
    pub sequence: Option<SequenceSpec>,
    /// Decimal precision for float fields, `[16, 2]`.
    #[serde(default)]
    pub digits: Option<(u8, u8)>,
    /// Whether `copy` duplicates the value: true by default, false for
    /// one2many fields, as in Odoo.
    #[serde(default)]
    pub copy: Option<bool>,
    /// `size` for char fields.
    #[serde(default)]
    pub size: Option<u32>,
    /// Drop an inherited field (a module that is not installed).
    #[serde(default)]
    pub remove: bool,
}

/// A per-model number sequence (`ir.sequence`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceSpec {
    #[serde(default)]
    pub prefix: String,
    #[serde(default = "default_padding")]
    pub padding: usize,
}

fn default_padding() -> usize {
    5
}

/// An SQL constraint: a unique key or a check, with Odoo's message.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintSpec {
    /// The constraint's name without the table prefix, such as `name_uniq`.
    pub name: String,
    /// Fields whose combined values must be unique.
    #[serde(default)]
    pub unique: Vec<String>,
    /// A domain every record must match, as an SQL `CHECK` constraint.
    #[serde(default)]
    pub check: Option<serde_json::Value>,
    /// The message raised as a `ValidationError`.
    pub message: String,
}

/// A security group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub xmlid: String,
    pub name: String,
    /// Groups that membership of this one implies (`implied_ids`).
    #[serde(default)]
    pub implied: Vec<String>,
}

/// A user, its credentials and memberships.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// External id, such as `base.user_admin`.
    #[serde(default)]
    pub xmlid: Option<String>,
    /// Fixed database id; the superuser is 1 and the admin 2 in Odoo.
    #[serde(default)]
    pub id: Option<i64>,
    pub login: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// API keys accepted in place of the password on XML-RPC and `/jsonrpc`.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// Group external ids; implied groups are added.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The default company: an external id or a database id.
    #[serde(default)]
    pub company_id: Option<serde_json::Value>,
    /// Allowed companies: external ids or database ids.
    #[serde(default)]
    pub company_ids: Vec<serde_json::Value>,
    #[serde(default = "default_true")]
    pub active: bool,
    /// Further `res.users` or `res.partner` field values, such as `email`,
    /// `lang` or `tz`.
    #[serde(default)]
    pub values: IndexMap<String, serde_json::Value>,
}

/// A model access row (`ir.model.access`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    #[serde(default)]
    pub name: Option<String>,
    pub model: String,
    /// The group external id; absent means every user.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub write: bool,
    #[serde(default)]
    pub create: bool,
    #[serde(default)]
    pub unlink: bool,
}

/// A record rule (`ir.rule`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    pub model: String,
    /// Group external ids; an empty list makes the rule global.
    #[serde(default)]
    pub groups: Vec<String>,
    /// A domain in Odoo's expression syntax, evaluated with `user`,
    /// `company_id`, `company_ids` and `time` in scope.
    pub domain_force: String,
    #[serde(default = "default_true")]
    pub perm_read: bool,
    #[serde(default = "default_true")]
    pub perm_write: bool,
    #[serde(default = "default_true")]
    pub perm_create: bool,
    #[serde(default = "default_true")]
    pub perm_unlink: bool,
}

/// A business method's declared effect on the records it is called on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSpec {
    /// A domain every record must match, or the call raises `UserError`
    /// with `message`.
    #[serde(default)]
    pub requires: Option<serde_json::Value>,
    /// The `UserError` text when a record fails `requires`.
    #[serde(default)]
    pub message: Option<String>,
    /// Field values written on every record.
    #[serde(default)]
    pub sets: IndexMap<String, serde_json::Value>,
    /// The method's return value; `true` when absent. `null` reproduces
    /// methods that return `None`, which XML-RPC cannot marshal.
    #[serde(default = "default_returns")]
    pub returns: serde_json::Value,
}

fn default_returns() -> serde_json::Value {
    serde_json::Value::Bool(true)
}

fn default_true() -> bool {
    true
}

/// A seed record: an optional external id and field values.
///
/// Relational values may name records by external id: a string for a
/// many2one (`country_id: base.us`), a list of strings for a many2many.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecordSpec {
    #[serde(default)]
    pub xmlid: Option<String>,
    /// A fixed database id, as for `base.main_company` (1).
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub values: IndexMap<String, serde_json::Value>,
}
