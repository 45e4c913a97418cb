//! Reading one database's schema and security into a [`Snapshot`]: its
//! models (`ir.model`), their fields (`fields_get` and `ir.model.fields`),
//! groups (`res.groups` with their external ids), access rows
//! (`ir.model.access`) and record rules (`ir.rule`).

use std::collections::{BTreeMap, BTreeSet};

use crate::value::{Dict, Value};

use super::rpc::Instance;
use super::ImportError;

/// The fields Odoo adds to every model, which a profile never declares.
pub const AUTOMATIC_FIELDS: [&str; 6] = [
    "id",
    "display_name",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
];

/// The `fields_get` attributes the import compares.
const FIELD_ATTRIBUTES: [&str; 12] = [
    "type",
    "string",
    "help",
    "required",
    "readonly",
    "store",
    "depends",
    "relation",
    "relation_field",
    "selection",
    "size",
    "translate",
];

/// One database's schema and security, as the importer compares them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Every model of `ir.model`, by technical name. Only the models read
    /// with [`Snapshot::read_fields`] have their fields.
    pub models: BTreeMap<String, ModelInfo>,
    /// Groups by external id. A group without one gets
    /// `__import__.res_groups_<id>`.
    pub groups: BTreeMap<String, GroupInfo>,
    /// Active access rows of the models read, sorted.
    pub access: Vec<AccessRow>,
    /// Active record rules of the models read, sorted.
    pub rules: Vec<RuleRow>,
}

/// A model as `ir.model` describes it, with its fields once read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelInfo {
    /// The `ir.model` record id, which access rows and rules point to.
    pub id: i64,
    /// `name` in `ir.model`: Odoo's `_description`.
    pub description: String,
    /// `order` in `ir.model`: Odoo's `_order`.
    pub order: Option<String>,
    /// Whether `state` is `manual`: a model made in Studio or the UI.
    pub custom: bool,
    pub fields: BTreeMap<String, FieldInfo>,
}

/// A field as `fields_get` and `ir.model.fields` describe it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldInfo {
    pub field_type: String,
    pub string: String,
    pub help: Option<String>,
    pub required: bool,
    pub readonly: bool,
    pub store: bool,
    /// Whether `depends` is not empty: a computed or related field.
    pub computed: bool,
    pub relation: Option<String>,
    /// `relation_field`: the inverse many2one of a one2many.
    pub inverse: Option<String>,
    pub selection: Vec<(String, String)>,
    pub size: Option<i64>,
    pub translate: bool,
    /// `on_delete` in `ir.model.fields`, for many2one fields.
    pub ondelete: Option<String>,
    /// `index` in `ir.model.fields`.
    pub index: bool,
}

/// A group: its name and the external ids of the groups it implies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupInfo {
    pub name: String,
    pub implied: Vec<String>,
}

/// An `ir.model.access` row. The derived order sorts by model first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessRow {
    pub model: String,
    /// The group's external id; `None` grants every user.
    pub group: Option<String>,
    pub name: String,
    pub read: bool,
    pub write: bool,
    pub create: bool,
    pub unlink: bool,
}

/// An `ir.rule` row. The derived order sorts by model first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleRow {
    pub model: String,
    pub name: String,
    /// External ids of the rule's groups, sorted; empty for a global rule.
    pub groups: Vec<String>,
    pub domain_force: String,
    pub perm_read: bool,
    pub perm_write: bool,
    pub perm_create: bool,
    pub perm_unlink: bool,
}

impl Snapshot {
    /// Reads the models of `ir.model` and the groups, without fields or
    /// security rows.
    ///
    /// # Errors
    ///
    /// Returns the first failed call.
    pub fn read_models(instance: &dyn Instance) -> Result<Snapshot, ImportError> {
        let mut snapshot = Snapshot::default();
        let fields = ["model", "name", "state", "order"];
        for row in search_read(instance, "ir.model", Vec::new(), &fields)? {
            let model = text(&row, "model");
            let info = ModelInfo {
                id: integer(&row, "id"),
                description: text(&row, "name"),
                order: optional_text(&row, "order"),
                custom: text(&row, "state") == "manual",
                fields: BTreeMap::new(),
            };
            snapshot.models.insert(model, info);
        }
        snapshot.groups = read_groups(instance)?;
        Ok(snapshot)
    }

    /// Reads the fields, access rows and rules of `models`, which must be
    /// models of this snapshot.
    ///
    /// # Errors
    ///
    /// Returns the first failed call.
    pub fn read_fields(
        &mut self,
        instance: &dyn Instance,
        models: &BTreeSet<String>,
    ) -> Result<(), ImportError> {
        for model in models {
            let fields = read_model_fields(instance, model)?;
            if let Some(info) = self.models.get_mut(model) {
                info.fields = fields;
            }
        }
        self.read_field_reflection(instance, models)?;
        let model_names: BTreeMap<i64, String> = self
            .models
            .iter()
            .map(|(name, info)| (info.id, name.clone()))
            .collect();
        let group_xmlids: BTreeMap<i64, String> = read_group_xmlids(instance)?;
        self.access = read_access(instance, &model_names, &group_xmlids)?
            .into_iter()
            .filter(|row| models.contains(&row.model))
            .collect();
        self.rules = read_rules(instance, &model_names, &group_xmlids)?
            .into_iter()
            .filter(|row| models.contains(&row.model))
            .collect();
        Ok(())
    }

    /// Adds `on_delete` and `index` from `ir.model.fields`, which
    /// `fields_get` does not return.
    fn read_field_reflection(
        &mut self,
        instance: &dyn Instance,
        models: &BTreeSet<String>,
    ) -> Result<(), ImportError> {
        let names: Vec<Value> = models.iter().map(|m| Value::from(m.as_str())).collect();
        let domain = vec![leaf("model", "in", Value::List(names))];
        let columns = ["model", "name", "on_delete", "index"];
        for row in search_read(instance, "ir.model.fields", domain, &columns)? {
            let model = text(&row, "model");
            let name = text(&row, "name");
            let Some(field) = self
                .models
                .get_mut(&model)
                .and_then(|info| info.fields.get_mut(&name))
            else {
                continue;
            };
            if field.field_type == "many2one" {
                field.ondelete = optional_text(&row, "on_delete");
            }
            field.index = row.get("index").is_some_and(Value::is_truthy);
        }
        Ok(())
    }
}

fn read_model_fields(
    instance: &dyn Instance,
    model: &str,
) -> Result<BTreeMap<String, FieldInfo>, ImportError> {
    let attributes = FIELD_ATTRIBUTES.iter().map(|a| Value::from(*a)).collect();
    let kwargs = Dict::from_iter([("attributes".to_owned(), Value::List(attributes))]);
    let answer = instance.execute_kw(model, "fields_get", Vec::new(), kwargs)?;
    let Value::Dict(described) = answer else {
        return Err(unexpected(model, "fields_get", &answer));
    };
    let mut fields = BTreeMap::new();
    for (name, description) in described {
        let Value::Dict(description) = description else {
            continue;
        };
        fields.insert(name, field_info(&description));
    }
    Ok(fields)
}

fn field_info(description: &Dict) -> FieldInfo {
    let flag = |key: &str| description.get(key).is_some_and(Value::is_truthy);
    let selection = description
        .get("selection")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|pair| {
            let pair = pair.as_list()?;
            let key = pair.first()?.as_str()?;
            let label = pair.get(1)?.as_str()?;
            Some((key.to_owned(), label.to_owned()))
        })
        .collect();
    FieldInfo {
        field_type: text(description, "type"),
        string: text(description, "string"),
        help: optional_text(description, "help"),
        required: flag("required"),
        readonly: flag("readonly"),
        store: flag("store"),
        computed: flag("depends"),
        relation: optional_text(description, "relation"),
        inverse: optional_text(description, "relation_field"),
        selection,
        size: description.get("size").and_then(Value::as_i64),
        translate: flag("translate"),
        ondelete: None,
        index: false,
    }
}

/// Reads every group with its external id and implied groups.
fn read_groups(instance: &dyn Instance) -> Result<BTreeMap<String, GroupInfo>, ImportError> {
    let xmlids = read_group_xmlids(instance)?;
    let rows = search_read(instance, "res.groups", Vec::new(), &["name", "implied_ids"])?;
    let mut groups = BTreeMap::new();
    for row in rows {
        let id = integer(&row, "id");
        let mut implied: Vec<String> = ids(&row, "implied_ids")
            .into_iter()
            .map(|id| group_xmlid(&xmlids, id))
            .collect();
        implied.sort();
        let info = GroupInfo {
            name: text(&row, "name"),
            implied,
        };
        groups.insert(group_xmlid(&xmlids, id), info);
    }
    Ok(groups)
}

/// Returns each group's external id by record id. A group with several
/// takes the first in alphabetical order.
fn read_group_xmlids(instance: &dyn Instance) -> Result<BTreeMap<i64, String>, ImportError> {
    let domain = vec![leaf("model", "=", Value::from("res.groups"))];
    let rows = search_read(
        instance,
        "ir.model.data",
        domain,
        &["module", "name", "res_id"],
    )?;
    let mut xmlids: BTreeMap<i64, String> = BTreeMap::new();
    for row in rows {
        let xmlid = format!("{}.{}", text(&row, "module"), text(&row, "name"));
        let entry = xmlids
            .entry(integer(&row, "res_id"))
            .or_insert(xmlid.clone());
        if xmlid < *entry {
            *entry = xmlid;
        }
    }
    Ok(xmlids)
}

fn group_xmlid(xmlids: &BTreeMap<i64, String>, id: i64) -> String {
    xmlids
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("__import__.res_groups_{id}"))
}

fn read_access(
    instance: &dyn Instance,
    models: &BTreeMap<i64, String>,
    groups: &BTreeMap<i64, String>,
) -> Result<Vec<AccessRow>, ImportError> {
    let columns = [
        "name",
        "model_id",
        "group_id",
        "perm_read",
        "perm_write",
        "perm_create",
        "perm_unlink",
    ];
    let mut rows = Vec::new();
    for row in search_read(instance, "ir.model.access", Vec::new(), &columns)? {
        let Some(model) = many2one_id(&row, "model_id").and_then(|id| models.get(&id)) else {
            continue;
        };
        let flag = |key: &str| row.get(key).is_some_and(Value::is_truthy);
        rows.push(AccessRow {
            model: model.clone(),
            group: many2one_id(&row, "group_id").map(|id| group_xmlid(groups, id)),
            name: text(&row, "name"),
            read: flag("perm_read"),
            write: flag("perm_write"),
            create: flag("perm_create"),
            unlink: flag("perm_unlink"),
        });
    }
    rows.sort();
    Ok(rows)
}

fn read_rules(
    instance: &dyn Instance,
    models: &BTreeMap<i64, String>,
    groups: &BTreeMap<i64, String>,
) -> Result<Vec<RuleRow>, ImportError> {
    let columns = [
        "name",
        "model_id",
        "groups",
        "domain_force",
        "perm_read",
        "perm_write",
        "perm_create",
        "perm_unlink",
    ];
    let mut rows = Vec::new();
    for row in search_read(instance, "ir.rule", Vec::new(), &columns)? {
        let Some(model) = many2one_id(&row, "model_id").and_then(|id| models.get(&id)) else {
            continue;
        };
        let mut rule_groups: Vec<String> = ids(&row, "groups")
            .into_iter()
            .map(|id| group_xmlid(groups, id))
            .collect();
        rule_groups.sort();
        let flag = |key: &str| row.get(key).is_some_and(Value::is_truthy);
        rows.push(RuleRow {
            model: model.clone(),
            name: text(&row, "name"),
            groups: rule_groups,
            domain_force: text(&row, "domain_force"),
            perm_read: flag("perm_read"),
            perm_write: flag("perm_write"),
            perm_create: flag("perm_create"),
            perm_unlink: flag("perm_unlink"),
        });
    }
    rows.sort();
    Ok(rows)
}

/// Calls `search_read(domain, fields)` and returns the rows.
pub(super) fn search_read(
    instance: &dyn Instance,
    model: &str,
    domain: Vec<Value>,
    fields: &[&str],
) -> Result<Vec<Dict>, ImportError> {
    let columns = fields.iter().map(|f| Value::from(*f)).collect();
    let kwargs = Dict::from_iter([("fields".to_owned(), Value::List(columns))]);
    let answer = instance.execute_kw(model, "search_read", vec![Value::List(domain)], kwargs)?;
    rows(model, "search_read", answer)
}

/// Checks that a method returned a list of dicts, as `read` and
/// `search_read` do.
pub(super) fn rows(model: &str, method: &str, answer: Value) -> Result<Vec<Dict>, ImportError> {
    let Value::List(items) = answer else {
        return Err(unexpected(model, method, &answer));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Dict(row) => Ok(row),
            other => Err(unexpected(model, method, &other)),
        })
        .collect()
}

fn unexpected(model: &str, method: &str, answer: &Value) -> ImportError {
    let mut preview = answer.python_repr();
    if preview.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|i| preview.is_char_boundary(*i))
            .unwrap_or(0);
        preview.truncate(cut);
        preview.push_str("...");
    }
    ImportError::UnexpectedResult {
        call: format!("{model}.{method}"),
        detail: preview,
    }
}

/// Builds a domain leaf `[field, operator, value]`.
pub(super) fn leaf(field: &str, operator: &str, value: Value) -> Value {
    Value::List(vec![Value::from(field), Value::from(operator), value])
}

/// Returns a text value, or `""` for Odoo's `False`.
fn text(row: &Dict, key: &str) -> String {
    optional_text(row, key).unwrap_or_default()
}

fn optional_text(row: &Dict, key: &str) -> Option<String> {
    row.get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn integer(row: &Dict, key: &str) -> i64 {
    row.get(key).and_then(Value::as_i64).unwrap_or_default()
}

/// Returns the id of a many2one read as `[id, display_name]`.
pub(super) fn many2one_id(row: &Dict, key: &str) -> Option<i64> {
    row.get(key)?.as_list()?.first()?.as_i64()
}

fn ids(row: &Dict, key: &str) -> Vec<i64> {
    row.get(key)
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_i64)
        .collect()
}
