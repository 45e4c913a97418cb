//! The environment of one call: the database state, the user, the context
//! and the clock, and field access by record.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::compute;
use crate::orm::schema::{Field, FieldType, Model};
use crate::orm::store::{DbState, Row};
use crate::orm::stored_names::is_stored_name;
use crate::profile::format::DisplayName;
use crate::value::{Dict, Value};
use crate::version::Version;

/// The superuser (`SUPERUSER_ID`), who bypasses access rights and rules.
pub const SUPERUSER_ID: i64 = 1;

/// Everything a call runs with. Mutations go to `state`, which the caller
/// commits only when the call succeeds.
#[derive(Debug)]
pub struct Env<'a> {
    pub state: &'a mut DbState,
    pub uid: i64,
    /// Superuser mode: access rights and record rules are not checked.
    pub su: bool,
    pub context: Dict,
    /// The current time on the emulator's clock, as `YYYY-MM-DD HH:MM:SS`.
    pub now: String,
    pub version: Version,
    /// Skips the existence check of many2one targets and the required
    /// check, for seeding records that refer to records created later in
    /// the same profile or that a later profile completes. Seeding checks
    /// both once every profile is written.
    pub defer_foreign_keys: bool,
    /// Odoo's debug mode (`?debug=1` in a web session), in which internal
    /// users see which record rules refused an operation.
    pub debug: bool,
    /// How many x2many commands the record being written is nested in.
    pub(crate) x2many_depth: usize,
    /// The user's groups with implied groups, computed on first use.
    pub(crate) groups_cache: std::cell::OnceCell<Arc<BTreeSet<i64>>>,
    /// Access-right results by model and `ir.model.access` column,
    /// computed on first use: a call checks the same right several times
    /// (search, then read). A call checks few models, so a list costs
    /// less than a map, whose lookups would need an owned key.
    pub(crate) access_cache: std::cell::RefCell<Vec<(String, &'static str, bool)>>,
    /// Whether this call has used the database's access memo yet.
    pub(crate) access_memo_used: std::cell::Cell<bool>,
}

impl<'a> Env<'a> {
    pub fn new(
        state: &'a mut DbState,
        uid: i64,
        context: Dict,
        now: String,
        version: Version,
    ) -> Self {
        Env {
            state,
            uid,
            su: uid == SUPERUSER_ID,
            context,
            now,
            version,
            defer_foreign_keys: false,
            debug: false,
            x2many_depth: 0,
            groups_cache: std::cell::OnceCell::new(),
            access_cache: std::cell::RefCell::default(),
            access_memo_used: std::cell::Cell::new(false),
        }
    }

    pub fn today(&self) -> String {
        self.now.get(..10).unwrap_or(&self.now).to_owned()
    }

    /// Returns a model or Odoo's error for an unknown one.
    pub fn model(&self, name: &str) -> OdooResult<Arc<Model>> {
        self.state
            .schema
            .model(name)
            .cloned()
            .ok_or_else(|| OdooError::user(format!("Object {name} doesn't exist")))
    }

    /// Returns a field or the `ValueError` Odoo raises for an unknown one.
    pub fn field(&self, model: &Model, name: &str) -> OdooResult<Arc<Field>> {
        model
            .field(name)
            .cloned()
            .ok_or_else(|| invalid_field(name, &model.name))
    }

    /// Reads a context key, treating an absent key as `default`.
    pub fn context_flag(&self, key: &str, default: bool) -> bool {
        self.context.get(key).map_or(default, Value::is_truthy)
    }

    /// Returns a field's value in the ORM's own form: many2one as the id or
    /// `False`, x2many as a list of ids, everything else as stored, and the
    /// type's empty value when unset.
    pub fn get(&self, model: &Model, id: i64, field: &Field) -> Value {
        if field.name == "id" {
            return Value::Int(id);
        }
        if is_user_password(model, field) {
            return Value::Str(String::new());
        }
        if field.name == "display_name" {
            return self.display_name(model, id);
        }
        if let Some((parent_model, link)) = &field.delegated {
            return self.get_delegated(model, id, parent_model, link, &field.name);
        }
        if let Some(path) = &field.related {
            return self.get_related(model, id, path);
        }
        if is_stored_name(field) {
            return match self.state.stored(&model.name, id, &field.name) {
                Some(value) => value.clone(),
                None => field.field_type.empty_value(),
            };
        }
        if let Some(expression) = &field.compute {
            return match expression.as_str() {
                "display_name" => self.display_name(model, id),
                "commercial_partner" => self.commercial_partner(model, id),
                _ => self.get_computed(model, id, field, expression),
            };
        }
        if field.field_type == FieldType::One2many {
            return Value::List(
                self.one2many_ids(id, field)
                    .into_iter()
                    .map(Value::Int)
                    .collect(),
            );
        }
        match self.state.stored(&model.name, id, &field.name) {
            Some(value) => value.clone(),
            None => field.field_type.empty_value(),
        }
    }

    /// Returns a field's value by name, or the type's empty value.
    pub fn get_by_name(&self, model: &Model, id: i64, name: &str) -> Value {
        match model.field(name) {
            Some(field) => self.get(model, id, field),
            None => Value::Bool(false),
        }
    }

    fn get_delegated(&self, model: &Model, id: i64, parent: &str, link: &str, name: &str) -> Value {
        let Some(parent_id) = self
            .state
            .stored(&model.name, id, link)
            .and_then(Value::as_i64)
        else {
            return Value::Bool(false);
        };
        let Some(parent_model) = self.state.schema.model(parent) else {
            return Value::Bool(false);
        };
        self.get_by_name(parent_model, parent_id, name)
    }

    /// Follows a related path such as `partner_id.country_id.code`.
    fn get_related(&self, model: &Model, id: i64, path: &[String]) -> Value {
        let mut current_model = model;
        let mut current_id = id;
        for (i, name) in path.iter().enumerate() {
            let Some(field) = current_model.field(name) else {
                return Value::Bool(false);
            };
            let value = self.get(current_model, current_id, field);
            if i + 1 == path.len() {
                return value;
            }
            let next_id = match (&value, field.field_type) {
                (Value::Int(next), FieldType::Many2one) => *next,
                (Value::List(ids), _) => match ids.first().and_then(Value::as_i64) {
                    Some(next) => next,
                    None => return Value::Bool(false),
                },
                _ => return Value::Bool(false),
            };
            let Some(next_model) = self.state.schema.model(field.comodel()) else {
                return Value::Bool(false);
            };
            current_model = next_model;
            current_id = next_id;
        }
        Value::Bool(false)
    }

    fn get_computed(&self, model: &Model, id: i64, field: &Field, expression: &str) -> Value {
        let Ok(expr) = compute::parse(expression) else {
            return field.field_type.empty_value();
        };
        let mut scalar =
            |path: &[String]| self.get_related(model, id, path).as_f64().unwrap_or(0.0);
        let mut lines =
            |x2many: &str, path: Option<&[String]>| self.line_values(model, id, x2many, path);
        let result = compute::evaluate(&expr, &mut scalar, &mut lines);
        match field.field_type {
            FieldType::Integer => Value::Int(result.round() as i64),
            FieldType::Monetary => Value::Float((result * 100.0).round() / 100.0),
            _ => Value::Float(result),
        }
    }

    fn line_values(
        &self,
        model: &Model,
        id: i64,
        x2many: &str,
        path: Option<&[String]>,
    ) -> Vec<f64> {
        let Some(field) = model.field(x2many) else {
            return Vec::new();
        };
        let Some(comodel) = self.state.schema.model(field.comodel()) else {
            return Vec::new();
        };
        let ids = ids_of(&self.get(model, id, field));
        ids.into_iter()
            .map(|line| match path {
                Some(path) => self
                    .get_related(comodel, line, path)
                    .as_f64()
                    .unwrap_or(0.0),
                None => 1.0,
            })
            .collect()
    }

    /// Returns the records of the comodel whose inverse many2one points to
    /// `id`, in ascending id order. The inverse field's index gives the
    /// candidates; a scan remains for an inverse that is not a column.
    pub fn one2many_ids(&self, id: i64, field: &Field) -> Vec<i64> {
        let (Some(table), Some(inverse)) = (self.state.table(field.comodel()), &field.inverse)
        else {
            return Vec::new();
        };
        let points_here = |row: &Row| row.get(inverse).and_then(Value::as_i64) == Some(id);
        let candidates = table
            .index(inverse)
            .and_then(|index| index.candidates(&Value::Int(id)));
        let Some(candidates) = candidates else {
            return table
                .rows
                .iter()
                .filter(|(_, row)| points_here(row))
                .map(|(line, _)| *line)
                .collect();
        };
        candidates
            .into_iter()
            .filter(|line| table.rows.get(line).is_some_and(|row| points_here(row)))
            .collect()
    }

    /// Computes `display_name` by the model's display-name kind.
    pub fn display_name(&self, model: &Model, id: i64) -> Value {
        let name = |m: &Model, record: i64| -> String {
            match m.rec_name_field() {
                Some(field) => match self.get_by_name(m, record, field) {
                    Value::Str(s) => s,
                    Value::Bool(false) => String::new(),
                    other => other.python_repr(),
                },
                None => format!("{},{}", m.name, record),
            }
        };
        let text = match model.display_name {
            DisplayName::RecName => name(model, id),
            DisplayName::Partner => self.partner_display_name(model, id, &name(model, id)),
            DisplayName::Product => match self.get_by_name(model, id, "default_code") {
                Value::Str(code) if !code.is_empty() => format!("[{code}] {}", name(model, id)),
                _ => name(model, id),
            },
            DisplayName::Currency => {
                let currency = self
                    .get_by_name(model, id, "currency_id")
                    .as_i64()
                    .zip(self.state.schema.model("res.currency"))
                    .map(|(currency, currencies)| name(currencies, currency))
                    .unwrap_or_default();
                format!("{} ({currency})", name(model, id))
            }
            DisplayName::Path => {
                // Each level contributes its own `name`, as Odoo builds
                // `complete_name`; `rec_name` is often that path itself.
                let level = |record: i64| match self.get_by_name(model, record, "name") {
                    Value::Str(s) if model.has_field("name") => s,
                    _ => name(model, record),
                };
                let mut parts = vec![level(id)];
                let mut current = id;
                let mut seen = BTreeSet::from([id]);
                while let Some(parent) = self
                    .get_by_name(model, current, &model.parent_name)
                    .as_i64()
                {
                    if parent == 0 || !seen.insert(parent) {
                        break;
                    }
                    parts.push(level(parent));
                    current = parent;
                }
                parts.reverse();
                parts.join(" / ")
            }
        };
        if text.is_empty() {
            Value::Bool(false)
        } else {
            Value::Str(text)
        }
    }

    /// `res.partner`: a contact of a company reads `Company, Contact`; a
    /// contact without a name reads as its type's label in Odoo, which the
    /// emulator leaves empty.
    fn partner_display_name(&self, model: &Model, id: i64, own: &str) -> String {
        let parent = self
            .get_by_name(model, id, "parent_id")
            .as_i64()
            .filter(|p| *p > 0);
        let is_company = self.get_by_name(model, id, "is_company").is_truthy();
        match parent {
            Some(parent) if !is_company => {
                let parent_name = self.get_by_name(model, parent, "name");
                match parent_name.as_str() {
                    Some(company) if own.is_empty() => company.to_owned(),
                    Some(company) => format!("{company}, {own}"),
                    None => own.to_owned(),
                }
            }
            _ => own.to_owned(),
        }
    }

    /// `res.partner.commercial_partner_id`: the partner itself when it is a
    /// company or has no parent, else its parent's commercial partner.
    fn commercial_partner(&self, model: &Model, id: i64) -> Value {
        let mut current = id;
        let mut seen = BTreeSet::new();
        while seen.insert(current) {
            let is_company = self.get_by_name(model, current, "is_company").is_truthy();
            let parent = self
                .get_by_name(model, current, &model.parent_name)
                .as_i64()
                .filter(|p| *p > 0);
            match parent {
                Some(parent) if !is_company => current = parent,
                _ => break,
            }
        }
        Value::Int(current)
    }

    /// Returns the ids of all records of a model.
    pub fn all_ids(&self, model: &str) -> Vec<i64> {
        self.state.ids(model)
    }

    pub fn exists(&self, model: &str, id: i64) -> bool {
        self.state.exists(model, id)
    }
}

/// Tells whether [`Env::get`] returns the stored value of `field` as it is
/// (or the type's empty value when unset), so a caller that scans many
/// records may read their rows directly. Keep in step with `get`.
pub fn reads_row_value(field: &Field) -> bool {
    field.name != "id"
        && field.name != "display_name"
        && field.delegated.is_none()
        && field.related.is_none()
        && (field.compute.is_none() || is_stored_name(field))
        && field.field_type != FieldType::One2many
}

/// Tells whether a field is `res.users.password`, which Odoo 17 reads
/// back as an empty string whatever was written: writing it sets the hash
/// that logins check, kept here with the user's credentials.
pub fn is_user_password(model: &Model, field: &Field) -> bool {
    field.name == "password" && model.name == "res.users"
}

/// Returns the id a stored many2one value holds, or `None` when it is
/// unset (`False`, which `Value::as_i64` would read as 0).
pub fn record_id(value: &Value) -> Option<i64> {
    match value {
        Value::Int(id) if *id > 0 => Some(*id),
        _ => None,
    }
}

/// Returns the ids in a value: an id, a list of ids, or nothing.
pub fn ids_of(value: &Value) -> Vec<i64> {
    match value {
        Value::Int(id) => vec![*id],
        Value::List(items) => items.iter().filter_map(Value::as_i64).collect(),
        _ => Vec::new(),
    }
}

/// Returns the `ValueError` Odoo raises for a field a model does not have.
pub fn invalid_field(field: &str, model: &str) -> OdooError {
    OdooError::value(format!(
        "Invalid field {} on model {}",
        crate::value::python_str_repr(field),
        crate::value::python_str_repr(model)
    ))
}
