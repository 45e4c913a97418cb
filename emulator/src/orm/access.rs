//! Odoo's permission model: access rights (`ir.model.access`), record rules
//! (`ir.rule`), field `groups` and the companies of a call, with Odoo
//! 17.0's semantics and error texts.
//!
//! - A user may act on a model when an active access row grants the
//!   operation, either without a group or to a group the user belongs to
//!   (implied groups included).
//! - Record rules restrict which records. Every global rule (no groups)
//!   applies. Of the rules naming groups, those of the user's groups are
//!   OR-ed together, then AND-ed with the global ones. A model that
//!   delegates to a parent through `_inherits` also obeys the parent's
//!   rules through the link field.
//! - Searches filter silently by the read rules. Reading, writing or
//!   deleting a record the rules exclude raises `AccessError`.
//! - A field with `groups` is visible only to members of one of them (a
//!   `!` prefix excludes members), and reading or writing it explicitly
//!   raises `AccessError`.
//! - `allowed_company_ids` in the context selects the active companies.
//!   Naming a company the user does not belong to raises `AccessError`
//!   when something needs the companies, such as a record rule.
//! - The superuser (uid 1) bypasses all of this. The administrator (uid 2)
//!   does not: it only belongs to many groups.
//!
//! Differences from Odoo 17.0 a client could notice:
//! - Odoo adds the rules that failed to its record-rule message only in
//!   debug mode (a web session opened with `?debug=1`) for internal users.
//!   [`Env::debug`] selects that text, and no wire route sets it yet.
//! - Groups in access-right messages show their application category only
//!   when the profile gives `res.groups` a `category_id`.
//! - The short field-groups message lists the fields in the order they
//!   were requested. Odoo takes them from a Python set, whose order varies.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{self, Domain};
use crate::orm::env::{ids_of, reads_row_value, record_id, Env};
use crate::orm::rule_expr::{self, EvalContext};
use crate::orm::schema::{Field, Model, Schema};
use crate::orm::store::{DbState, Row, Table};
use crate::value::{python_str_repr, Value};

/// "Technical Features": every internal user belongs to it, and Odoo shows
/// detailed access errors to its members.
const GROUP_NO_ONE: &str = "base.group_no_one";
/// "Internal User".
const GROUP_USER: &str = "base.group_user";

/// An ORM operation as access rows and rules name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Write,
    Create,
    Unlink,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Create => "create",
            Operation::Unlink => "unlink",
        }
    }

    pub fn parse(text: &str) -> Option<Operation> {
        Some(match text {
            "read" => Operation::Read,
            "write" => Operation::Write,
            "create" => Operation::Create,
            "unlink" => Operation::Unlink,
            _ => return None,
        })
    }

    /// Returns the column of `ir.model.access` and `ir.rule` for the
    /// operation.
    fn column(self) -> &'static str {
        match self {
            Operation::Read => "perm_read",
            Operation::Write => "perm_write",
            Operation::Create => "perm_create",
            Operation::Unlink => "perm_unlink",
        }
    }

    /// Returns the verb of the access-right message ("not allowed to
    /// modify").
    fn acl_verb(self) -> &'static str {
        match self {
            Operation::Read => "access",
            Operation::Write => "modify",
            Operation::Create => "create",
            Operation::Unlink => "delete",
        }
    }
}

/// One `ir.rule` row that applies to the calling user.
#[derive(Debug, Clone)]
struct RuleRow {
    name: String,
    global: bool,
    domain_force: String,
}

/// The models whose rows group memberships, access rights and record
/// rules are read from.
const ACCESS_SOURCES: [&str; 6] = [
    "res.users",
    "res.groups",
    "ir.model.access",
    "ir.model",
    "ir.rule",
    "res.company",
];

/// The fields of [`ACCESS_SOURCES`] that groups, access rights and record
/// rules read.
const ACCESS_FIELDS: [(&str, &str); 20] = [
    ("res.users", "groups_id"),
    ("res.users", "company_id"),
    ("res.users", "company_ids"),
    ("res.groups", "implied_ids"),
    ("ir.model.access", "model_id"),
    ("ir.model.access", "group_id"),
    ("ir.model.access", "perm_read"),
    ("ir.model.access", "perm_write"),
    ("ir.model.access", "perm_create"),
    ("ir.model.access", "perm_unlink"),
    ("ir.model", "model"),
    ("ir.rule", "model_id"),
    ("ir.rule", "groups"),
    ("ir.rule", "domain_force"),
    ("ir.rule", "active"),
    ("ir.rule", "perm_read"),
    ("ir.rule", "perm_write"),
    ("ir.rule", "perm_create"),
    ("ir.rule", "perm_unlink"),
    ("res.company", "active"),
];

/// A combined record-rule domain's key within its model: the user, the
/// operation's `ir.rule` column and the context's `allowed_company_ids`.
type RuleKey = (i64, &'static str, Option<Vec<i64>>);

/// Each user's groups and access-right decisions, shared by every copy of
/// a database's state. Without it, every call walks the user's implied
/// groups and the access rows again.
///
/// The entries belong to one version of the schema and of the tables in
/// [`ACCESS_SOURCES`], kept as copies as [`crate::orm::store::SortedIds`]
/// keeps its rows, so a state whose tables have other roots clears them.
/// A schema that computes one of [`ACCESS_FIELDS`] from other tables
/// turns the memo off.
#[derive(Debug, Clone, Default)]
pub struct AccessMemo(Arc<Mutex<AccessEntries>>);

// NOTE: `tables` keeps the whole version of the database it was taken
// from in memory, until a call's first check on another version replaces
// it.
#[derive(Debug, Default)]
struct AccessEntries {
    schema: Option<Arc<Schema>>,
    /// Whether the schema reads every field of [`ACCESS_FIELDS`] from its
    /// rows.
    usable: bool,
    sources: Vec<imbl::OrdMap<i64, Arc<Row>>>,
    /// The tables of a state found to contain `sources`. A state with
    /// this same map contains them too, so one pointer comparison replaces
    /// a lookup by name per source table.
    tables: Option<imbl::OrdMap<String, Table>>,
    groups: FxHashMap<i64, Arc<BTreeSet<i64>>>,
    /// Whether a user may run an operation on a model, by model, then by
    /// user and `ir.model.access` column.
    granted: FxHashMap<String, FxHashMap<(i64, &'static str), bool>>,
    /// Combined record-rule domains whose rules read neither `user` nor
    /// `time`, so that they depend on these tables and the context alone,
    /// by model, then by [`RuleKey`].
    rules: FxHashMap<String, FxHashMap<RuleKey, Option<Arc<Domain>>>>,
}

impl AccessEntries {
    fn matches(&self, state: &DbState) -> bool {
        let same_schema = self
            .schema
            .as_ref()
            .is_some_and(|schema| Arc::ptr_eq(schema, &state.schema));
        same_schema && (self.has_tables_of(state) || self.sources_match(state))
    }

    fn has_tables_of(&self, state: &DbState) -> bool {
        self.tables
            .as_ref()
            .is_some_and(|tables| tables.ptr_eq(&state.tables))
    }

    fn sources_match(&self, state: &DbState) -> bool {
        self.sources.len() == ACCESS_SOURCES.len()
            && ACCESS_SOURCES
                .iter()
                .zip(&self.sources)
                .all(|(model, rows)| {
                    state
                        .table(model)
                        .is_some_and(|table| table.rows.ptr_eq(rows))
                })
    }

    /// Clears the entries when they belong to another version of `state`,
    /// and keeps `state`'s tables for the fast check when `keep_tables`.
    ///
    /// A call's first check usually comes before its first write, when
    /// the state's tables are those that the committed state and its
    /// copies share, so keeping them copies nothing. Later in a call that
    /// writes, the tables may be that call's own. Keeping them would make
    /// its next write copy the nodes it could otherwise change in place,
    /// so only the first check keeps them.
    fn align(&mut self, state: &DbState, keep_tables: bool) {
        if self.matches(state) {
            if keep_tables && !self.has_tables_of(state) {
                self.tables = Some(state.tables.clone());
            }
            return;
        }
        self.tables = keep_tables.then(|| state.tables.clone());
        self.groups.clear();
        self.granted.clear();
        self.rules.clear();
        self.usable = ACCESS_FIELDS.iter().all(|(model, field)| {
            let field = state
                .schema
                .model(model)
                .and_then(|model| model.field(field));
            field.is_none_or(|field| reads_row_value(field))
        });
        self.schema = Some(state.schema.clone());
        self.sources = ACCESS_SOURCES
            .iter()
            .map(|model| {
                state
                    .table(model)
                    .map(|table| table.rows.clone())
                    .unwrap_or_default()
            })
            .collect();
    }
}

impl AccessMemo {
    /// Returns the groups of user `uid` in `state`, computing them with
    /// `compute` when this version of the tables has no entry.
    pub fn user_groups(
        &self,
        state: &DbState,
        keep_tables: bool,
        uid: i64,
        compute: impl FnOnce() -> BTreeSet<i64>,
    ) -> Arc<BTreeSet<i64>> {
        {
            let mut entries = self.lock();
            entries.align(state, keep_tables);
            if !entries.usable {
                drop(entries);
                return Arc::new(compute());
            }
            if let Some(groups) = entries.groups.get(&uid) {
                return groups.clone();
            }
        }
        // Computing runs unlocked because it reads through the ORM, which
        // may ask this memo for other entries.
        let groups = Arc::new(compute());
        let mut entries = self.lock();
        if entries.matches(state) {
            entries.groups.insert(uid, groups.clone());
        }
        groups
    }

    /// Tells whether user `uid` may run the operation of `column` on
    /// `model` in `state`, computing it with `compute` when this version
    /// of the tables has no entry.
    pub fn granted(
        &self,
        state: &DbState,
        keep_tables: bool,
        (uid, model, column): (i64, &str, &'static str),
        compute: impl FnOnce() -> bool,
    ) -> bool {
        let key = (uid, column);
        {
            let mut entries = self.lock();
            entries.align(state, keep_tables);
            if !entries.usable {
                drop(entries);
                return compute();
            }
            let known = entries
                .granted
                .get(model)
                .and_then(|by_user| by_user.get(&key));
            if let Some(granted) = known {
                return *granted;
            }
        }
        let granted = compute();
        let mut entries = self.lock();
        if entries.matches(state) {
            let by_user = entries.granted.entry(model.to_owned()).or_default();
            by_user.insert(key, granted);
        }
        granted
    }

    /// Returns the combined record-rule domain for `key` in `state`,
    /// computing it with `compute` when this version of the tables has no
    /// entry. `compute` also returns whether the domain may be kept, which
    /// holds only when no rule reads the user's records or the clock.
    pub fn rule_domain(
        &self,
        state: &DbState,
        keep_tables: bool,
        model: &str,
        key: RuleKey,
        compute: impl FnOnce() -> OdooResult<(Option<Arc<Domain>>, bool)>,
    ) -> OdooResult<Option<Arc<Domain>>> {
        {
            let mut entries = self.lock();
            entries.align(state, keep_tables);
            if !entries.usable {
                drop(entries);
                return compute().map(|(domain, _)| domain);
            }
            let known = entries.rules.get(model).and_then(|by_key| by_key.get(&key));
            if let Some(domain) = known {
                return Ok(domain.clone());
            }
        }
        let (domain, keep) = compute()?;
        if keep {
            let mut entries = self.lock();
            if entries.matches(state) {
                let by_key = entries.rules.entry(model.to_owned()).or_default();
                by_key.insert(key, domain.clone());
            }
        }
        Ok(domain)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AccessEntries> {
        // The versions are replaced only after the entries are cleared, so
        // a panic under the lock cannot leave entries of another version.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

// ------------------------------------------------------------------ groups

impl Env<'_> {
    /// Tells whether the access memo is used for the first time in this
    /// call, which lets it keep the state's tables (see
    /// `AccessEntries::align`).
    fn first_access_memo_use(&self) -> bool {
        !self.access_memo_used.replace(true)
    }

    /// Returns the user's groups, with implied groups added, computed once
    /// per call.
    pub fn user_groups(&self) -> &BTreeSet<i64> {
        self.groups_cache.get_or_init(|| {
            let memo = &self.state.access_memo;
            let keep_tables = self.first_access_memo_use();
            memo.user_groups(self.state, keep_tables, self.uid, || {
                self.compute_user_groups()
            })
        })
    }

    fn compute_user_groups(&self) -> BTreeSet<i64> {
        let Some(users) = self.state.schema.model("res.users") else {
            return BTreeSet::new();
        };
        let direct = ids_of(&self.get_by_name(users, self.uid, "groups_id"));
        let Some(groups) = self.state.schema.model("res.groups") else {
            return direct.into_iter().collect();
        };
        let mut result: BTreeSet<i64> = BTreeSet::new();
        let mut pending = direct;
        while let Some(group) = pending.pop() {
            if result.insert(group) {
                pending.extend(ids_of(&self.get_by_name(groups, group, "implied_ids")));
            }
        }
        result
    }

    /// Tells whether the user belongs to a group given by external id, as
    /// `res.users.has_group` does: an unknown external id is no group.
    pub fn has_group(&self, xmlid: &str) -> bool {
        match self.state.xmlid(xmlid) {
            Some((model, id)) if model == "res.groups" => self.user_groups().contains(id),
            _ => false,
        }
    }

    /// Evaluates a `groups` attribute as Odoo's `user_has_groups` does:
    /// the user must belong to none of the `!`-prefixed groups and, when
    /// positive groups are listed, to one of them. `base.group_no_one`
    /// counts only in debug mode.
    pub fn user_has_groups(&self, groups: &[String]) -> bool {
        let mut positive = false;
        let mut matched = false;
        for spec in groups.iter().flat_map(|g| g.split(',')).map(str::trim) {
            if let Some(excluded) = spec.strip_prefix('!') {
                if self.has_effective_group(excluded) {
                    return false;
                }
            } else if !spec.is_empty() {
                positive = true;
                matched |= self.has_effective_group(spec);
            }
        }
        matched || !positive
    }

    fn has_effective_group(&self, xmlid: &str) -> bool {
        self.has_group(xmlid) && (xmlid != GROUP_NO_ONE || self.debug)
    }
}

// ----------------------------------------------------------- access rights

impl Env<'_> {
    /// Checks `ir.model.access` for an operation, raising Odoo 17's
    /// `AccessError` when no row grants it.
    pub fn check_access_rights(&self, model: &Model, operation: Operation) -> OdooResult<()> {
        if self.has_access(model, operation) {
            return Ok(());
        }
        Err(self.access_rights_error(model, operation))
    }

    /// Tells whether an access row grants the operation to the user. A
    /// profile without `ir.model.access` grants everything.
    pub fn has_access(&self, model: &Model, operation: Operation) -> bool {
        if self.su {
            return true;
        }
        let Some(access) = self.state.schema.model("ir.model.access") else {
            return true;
        };
        let column = operation.column();
        let known = self
            .access_cache
            .borrow()
            .iter()
            .find(|(name, known_column, _)| *known_column == column && *name == model.name)
            .map(|(_, _, granted)| *granted);
        if let Some(granted) = known {
            return granted;
        }
        let compute = || {
            let groups = self.user_groups();
            self.access_rows(access, model, operation)
                .into_iter()
                .any(|row| {
                    record_id(&self.get_by_name(access, row, "group_id"))
                        .is_none_or(|group| groups.contains(&group))
                })
        };
        let memo_key = (self.uid, model.name.as_str(), column);
        let granted = self.state.access_memo.granted(
            self.state,
            self.first_access_memo_use(),
            memo_key,
            compute,
        );
        let entry = (model.name.clone(), column, granted);
        self.access_cache.borrow_mut().push(entry);
        granted
    }

    /// Returns the active access rows on a model that grant an operation.
    fn access_rows(&self, access: &Model, model: &Model, operation: Operation) -> Vec<i64> {
        let model_id = self.ir_model_id(&model.name);
        let Some(table) = self.state.table(&access.name) else {
            return Vec::new();
        };
        rows_of_model(table, model_id)
            .filter(|(id, row)| {
                // The model test comes first because it rejects most rows.
                let value = |name: &str| self.row_field(access, *id, row, name);
                record_id(&value("model_id")) == model_id
                    && value(operation.column()).is_truthy()
                    && (!access.has_field("active") || value("active").is_truthy())
            })
            .map(|(id, _)| id)
            .collect()
    }

    fn ir_model_id(&self, model: &str) -> Option<i64> {
        let ir_model = self.state.schema.model("ir.model")?;
        let table = self.state.table("ir.model")?;
        let is_model =
            |id: i64, row: &Row| self.row_field(ir_model, id, row, "model").as_str() == Some(model);
        // `model` is unique, so profiles with the constraint index it.
        if let Some(candidates) = table
            .index("model")
            .and_then(|index| index.candidates(&Value::Str(model.to_owned())))
        {
            return candidates
                .into_iter()
                .find(|id| table.rows.get(id).is_some_and(|row| is_model(*id, row)));
        }
        table
            .rows
            .iter()
            .find(|(id, row)| is_model(**id, row))
            .map(|(id, _)| *id)
    }

    /// Returns a field's value as [`Env::get`] does, taking a plain
    /// column from the row already at hand. The access checks scan whole
    /// reflection tables on every call, so the lookups add up.
    fn row_field(&self, model: &Model, id: i64, row: &Row, name: &str) -> Value {
        match model.field(name) {
            Some(field) if reads_row_value(field) => row
                .get(name)
                .cloned()
                .unwrap_or_else(|| field.field_type.empty_value()),
            Some(field) => self.get(model, id, field),
            None => Value::Bool(false),
        }
    }

    /// Builds the message of `ir.model.access.check` in Odoo 17.0.
    fn access_rights_error(&self, model: &Model, operation: Operation) -> OdooError {
        let head = format!(
            "You are not allowed to {} '{}' ({}) records.",
            operation.acl_verb(),
            model.description,
            model.name
        );
        let groups = self.group_names_with_access(model, operation);
        let group_info = if groups.is_empty() {
            "No group currently allows this operation.".to_owned()
        } else {
            let lines: Vec<String> = groups.iter().map(|g| format!("\t- {g}")).collect();
            format!(
                "This operation is allowed for the following groups:\n{}",
                lines.join("\n")
            )
        };
        OdooError::access(format!(
            "{head}\n\n{group_info}\n\nContact your administrator to request access if necessary."
        ))
    }

    /// Returns the groups whose access rows grant the operation, one entry
    /// per row as Odoo's query returns them: `Category/Group` when the
    /// group has a category, ordered by category then group name, groups
    /// without a category last. Names compare byte by byte, as in the
    /// databases Odoo creates (`LC_COLLATE 'C'`).
    fn group_names_with_access(&self, model: &Model, operation: Operation) -> Vec<String> {
        let (Some(access), Some(groups)) = (
            self.state.schema.model("ir.model.access"),
            self.state.schema.model("res.groups"),
        ) else {
            return Vec::new();
        };
        let categories = self.state.schema.model("ir.module.category");
        let mut entries: Vec<(Option<String>, String)> = Vec::new();
        for row in self.access_rows(access, model, operation) {
            let Some(group) = record_id(&self.get_by_name(access, row, "group_id")) else {
                continue;
            };
            let name = text_of(&self.get_by_name(groups, group, "name"));
            let category = categories.and_then(|categories| {
                let id = record_id(&self.get_by_name(groups, group, "category_id"))?;
                let name = text_of(&self.get_by_name(categories, id, "name"));
                (!name.is_empty()).then_some(name)
            });
            entries.push((category, name));
        }
        entries.sort_by(|(cat_a, name_a), (cat_b, name_b)| {
            let by_category = match (cat_a, cat_b) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            by_category.then_with(|| name_a.cmp(name_b))
        });
        entries
            .into_iter()
            .map(|(category, name)| match category {
                Some(category) => format!("{category}/{name}"),
                None => name,
            })
            .collect()
    }
}

// ------------------------------------------------------------ record rules

impl Env<'_> {
    /// Returns the active rules of a model for an operation that apply to
    /// the user (global ones and those of the user's groups), by id.
    fn applicable_rules(&self, model: &Model, operation: Operation) -> Vec<RuleRow> {
        let Some(rules) = self.state.schema.model("ir.rule") else {
            return Vec::new();
        };
        let groups = self.user_groups();
        let model_id = self.ir_model_id(&model.name);
        let mut result = Vec::new();
        let Some(table) = self.state.table("ir.rule") else {
            return result;
        };
        for (rule, row) in rows_of_model(table, model_id) {
            let value = |name: &str| self.row_field(rules, rule, row, name);
            let applies = record_id(&value("model_id")) == model_id
                && value(operation.column()).is_truthy()
                && (!rules.has_field("active") || value("active").is_truthy());
            if !applies {
                continue;
            }
            let rule_groups = ids_of(&value("groups"));
            let global = rule_groups.is_empty();
            if global || rule_groups.iter().any(|g| groups.contains(g)) {
                result.push(RuleRow {
                    name: text_of(&value("name")),
                    global,
                    domain_force: text_of(&value("domain_force")),
                });
            }
        }
        result
    }

    /// Returns the combined record-rule domain for an operation, or `None`
    /// when no rule applies and every record is allowed. The domain is
    /// shared with the access memo, which keeps it between calls.
    pub fn rule_domain(
        &self,
        model: &Model,
        operation: Operation,
    ) -> OdooResult<Option<Arc<Domain>>> {
        if self.su {
            return Ok(None);
        }
        // A model with `_inherits` joins its parents' rules as the ids
        // they allow, which depend on the parents' rows.
        if !model.inherits.is_empty() {
            return self
                .compute_rule_domain(model, operation)
                .map(|(domain, _)| domain);
        }
        let key = (self.uid, operation.column(), self.requested_company_ids());
        let memo = &self.state.access_memo;
        let keep_tables = self.first_access_memo_use();
        memo.rule_domain(self.state, keep_tables, &model.name, key, || {
            self.compute_rule_domain(model, operation)
        })
    }

    /// Builds the combined record-rule domain, and returns whether every
    /// rule in it reads neither the user's records nor the clock.
    fn compute_rule_domain(
        &self,
        model: &Model,
        operation: Operation,
    ) -> OdooResult<(Option<Arc<Domain>>, bool)> {
        let mut global = Vec::new();
        for (parent, link) in &model.inherits {
            let parent_model = self.model(parent)?;
            // Odoo adds `(link, 'any', parent_domain)`. Matching the link
            // against the parent records that pass is the same condition.
            if let Some(parent_domain) = self.rule_domain(&parent_model, operation)? {
                let allowed = domain::evaluate(self, &parent_model, &parent_domain)?;
                let ids = allowed.into_iter().map(Value::Int).collect();
                global.push(Domain::leaf(link, domain::Operator::In, Value::List(ids)));
            }
        }
        let rules = self.applicable_rules(model, operation);
        let constant = rules
            .iter()
            .all(|rule| rule_expr::is_constant(&rule.domain_force));
        let mut group_domains = Vec::new();
        if !rules.is_empty() {
            // Odoo builds the evaluation names whenever a rule applies, so
            // an unauthorized company fails even for rules that ignore it.
            let context = EvalContext::for_user(self)?;
            for rule in &rules {
                let parsed = rule_expr::evaluate_domain(self, &context, &rule.domain_force)?;
                if rule.global {
                    global.push(parsed);
                } else {
                    group_domains.push(parsed);
                }
            }
        }
        if global.is_empty() && group_domains.is_empty() {
            return Ok((None, constant));
        }
        if !group_domains.is_empty() {
            global.push(Domain::Or(group_domains));
        }
        Ok((Some(Arc::new(Domain::And(global))), constant))
    }

    /// Checks that records pass the rules of an operation, as Odoo's
    /// `check_access_rule` does. Records the rules exclude raise Odoo
    /// 17's `AccessError`. Records that no longer exist raise
    /// `MissingError` when the rules read a field, because Odoo filters in
    /// Python and reading a deleted record fails. Otherwise they pass for
    /// `read` and `unlink` and raise `MissingError` for `write` and
    /// `create`.
    // NOTE: Odoo filters records leaf by leaf, so for a rule whose leaves
    // only test `id` a deleted record may pass or fail depending on the
    // ids listed. Here it always fails the rule.
    pub fn check_access_rule(
        &self,
        model: &Model,
        ids: &[i64],
        operation: Operation,
    ) -> OdooResult<()> {
        let Some(domain) = self.rule_domain(model, operation)? else {
            return Ok(());
        };
        let (existing, missing): (Vec<i64>, Vec<i64>) = ids
            .iter()
            .copied()
            .partition(|id| self.exists(&model.name, *id));
        if let Some(first) = missing.first() {
            if reads_fields(&domain) {
                return Err(self.missing_record_error(model, *first));
            }
        }
        let scope: BTreeSet<i64> = existing.iter().copied().collect();
        let allowed = domain::evaluate_within(self, model, &domain, &scope)?;
        let mut forbidden: Vec<i64> = Vec::new();
        for id in existing {
            if !allowed.contains(&id) && !forbidden.contains(&id) {
                forbidden.push(id);
            }
        }
        if !forbidden.is_empty() {
            return Err(self.rule_error(model, &forbidden, operation)?);
        }
        if missing.is_empty() || matches!(operation, Operation::Read | Operation::Unlink) {
            return Ok(());
        }
        let listed: Vec<String> = missing.iter().take(6).map(i64::to_string).collect();
        Err(OdooError::missing(format!(
            "One of the documents you are trying to access has been deleted, please try again \
             after refreshing.\n\n(Document type: {}, Operation: {}, Records: [{}], User: {})",
            model.name,
            operation.name(),
            listed.join(", "),
            self.uid
        )))
    }

    /// Returns the records among `ids` that pass the read rules, keeping
    /// their order.
    pub fn filter_readable(&self, model: &Arc<Model>, ids: Vec<i64>) -> OdooResult<Vec<i64>> {
        match self.rule_domain(model, Operation::Read)? {
            None => Ok(ids),
            Some(domain) => {
                let scope: BTreeSet<i64> = ids.iter().copied().collect();
                let allowed = domain::evaluate_within(self, model, &domain, &scope)?;
                Ok(ids.into_iter().filter(|id| allowed.contains(id)).collect())
            }
        }
    }

    /// Builds the message of `ir.rule._make_access_error` in Odoo 17.0.
    fn rule_error(
        &self,
        model: &Model,
        forbidden: &[i64],
        operation: Operation,
    ) -> OdooResult<OdooError> {
        let head = format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, {} doesn't have '{}' access to:",
            self.user_description(),
            operation.name()
        );
        let mut resolution = "If you really, really need access, perhaps you can win over your \
                              friendly administrator with a batch of freshly baked cookies."
            .to_owned();
        if !(self.debug && self.has_group(GROUP_NO_ONE) && self.has_group(GROUP_USER)) {
            return Ok(OdooError::access(format!(
                "{head}\n- {} ({})\n\n{resolution}",
                model.description, model.name
            )));
        }
        let rules = self.failing_rules(model, forbidden, operation)?;
        let company_related = rules.iter().any(|r| r.domain_force.contains("company_id"));
        let records: Vec<String> = forbidden
            .iter()
            .take(6)
            .map(|id| self.record_description(model, *id, company_related))
            .collect();
        let names: Vec<String> = rules.iter().map(|r| format!("- {}", r.name)).collect();
        let mut blame = format!("Blame the following rules:\n{}", names.join("\n"));
        if company_related {
            blame.push_str(
                "\n\nNote: this might be a multi-company issue. Switching company may help - in \
                 Odoo, not in real life!",
            );
        }
        resolution.insert_str(0, "\n\n");
        Ok(OdooError::access(format!(
            "{head}\n{}\n\n{blame}{resolution}",
            records.join("\n ")
        )))
    }

    /// Returns the rules that exclude some of the records: every failing
    /// global rule, and all the user's group rules when their union
    /// excludes one, in rule order.
    fn failing_rules(
        &self,
        model: &Model,
        records: &[i64],
        operation: Operation,
    ) -> OdooResult<Vec<RuleRow>> {
        let rules = self.applicable_rules(model, operation);
        let context = EvalContext::for_user(self)?;
        let excludes_some = |domain: &Domain| -> OdooResult<bool> {
            let allowed = domain::evaluate(self, model, domain)?;
            Ok(records.iter().any(|id| !allowed.contains(id)))
        };
        let mut group_domains = Vec::new();
        for rule in rules.iter().filter(|r| !r.global) {
            group_domains.push(rule_expr::evaluate_domain(
                self,
                &context,
                &rule.domain_force,
            )?);
        }
        let group_rules_fail = excludes_some(&Domain::Or(group_domains))?;
        let mut failing = Vec::new();
        for rule in rules {
            let fails = if rule.global {
                excludes_some(&rule_expr::evaluate_domain(
                    self,
                    &context,
                    &rule.domain_force,
                )?)?
            } else {
                group_rules_fail
            };
            if fails {
                failing.push(rule);
            }
        }
        Ok(failing)
    }

    /// Describes a record in the detailed rule message, with its company
    /// when a failing rule mentions companies and the user belongs to it.
    fn record_description(&self, model: &Model, id: i64, company_related: bool) -> String {
        let name = match self.display_name(model, id) {
            Value::Str(name) => name,
            other => other.python_repr(),
        };
        let company = model
            .field("company_id")
            .filter(|_| company_related)
            .and_then(|field| record_id(&self.get(model, id, field)))
            .filter(|company| self.user_company_ids().contains(company));
        match (company, self.state.schema.model("res.company")) {
            (Some(company), Some(companies)) => {
                let company_name = match self.display_name(companies, company) {
                    Value::Str(name) => name,
                    other => other.python_repr(),
                };
                format!(
                    "- {}, {name} ({}: {id}, company={company_name})",
                    model.description, model.name
                )
            }
            _ => format!("- {}, {name} ({}: {id})", model.description, model.name),
        }
    }

    /// `Name (id=N)`, as Odoo's access messages describe the user.
    fn user_description(&self) -> String {
        let name = self
            .state
            .schema
            .model("res.users")
            .map(|users| self.get_by_name(users, self.uid, "name"))
            .unwrap_or(Value::Bool(false));
        let name = match name {
            Value::Str(name) => name,
            other => other.python_repr(),
        };
        format!("{name} (id={})", self.uid)
    }

    /// Returns the `MissingError` Odoo raises when it reads a field of a
    /// deleted record.
    fn missing_record_error(&self, model: &Model, id: i64) -> OdooError {
        OdooError::missing(format!(
            "Record does not exist or has been deleted.\n(Record: {}({id},), User: {})",
            model.name, self.uid
        ))
    }

    /// Raises `MissingError` for the first id that does not exist, as
    /// Odoo does when it reads a field of a deleted record.
    pub fn check_missing(&self, model: &Model, ids: &[i64]) -> OdooResult<()> {
        match ids.iter().find(|id| !self.exists(&model.name, **id)) {
            Some(id) => Err(self.missing_record_error(model, *id)),
            None => Ok(()),
        }
    }

    pub fn user_partner_id(&self) -> Option<i64> {
        let users = self.state.schema.model("res.users")?;
        record_id(&self.get_by_name(users, self.uid, "partner_id"))
    }
}

/// Tells whether evaluating a domain record by record reads a field, which
/// fails on a deleted record. Leaves on `id` alone and constants do not.
/// Returns the rows of a reflection table (`ir.model.access`, `ir.rule`)
/// that may belong to a model, through the `model_id` index when there is
/// one, so that each call does not scan every access row and rule. The
/// caller still tests `model_id` on each row.
fn rows_of_model(
    table: &Table,
    model_id: Option<i64>,
) -> Box<dyn Iterator<Item = (i64, &Arc<Row>)> + '_> {
    let candidates = model_id.and_then(|id| table.index("model_id")?.candidates(&Value::Int(id)));
    match candidates {
        Some(ids) => Box::new(
            ids.into_iter()
                .filter_map(|id| table.rows.get(&id).map(|row| (id, row))),
        ),
        None => Box::new(table.rows.iter().map(|(id, row)| (*id, row))),
    }
}

fn reads_fields(domain: &Domain) -> bool {
    match domain {
        Domain::True | Domain::False => false,
        Domain::And(parts) | Domain::Or(parts) => parts.iter().any(reads_fields),
        Domain::Not(inner) => reads_fields(inner),
        Domain::Leaf(leaf) => leaf.path != ["id"],
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Str(text) => text.clone(),
        _ => String::new(),
    }
}

// --------------------------------------------------------------- companies

impl Env<'_> {
    /// Returns the user's companies (`res.users.company_ids`), without
    /// archived ones.
    pub fn user_company_ids(&self) -> Vec<i64> {
        let Some(users) = self.state.schema.model("res.users") else {
            return Vec::new();
        };
        let companies = self.state.schema.model("res.company");
        ids_of(&self.get_by_name(users, self.uid, "company_ids"))
            .into_iter()
            .filter(|id| match companies.and_then(|c| c.field("active")) {
                Some(active) => {
                    self.exists("res.company", *id)
                        && companies.is_some_and(|c| self.get(c, *id, active).is_truthy())
                }
                None => true,
            })
            .collect()
    }

    /// Returns `allowed_company_ids` from the context when it names at
    /// least one company.
    fn requested_company_ids(&self) -> Option<Vec<i64>> {
        let ids = ids_of(self.context.get("allowed_company_ids")?);
        (!ids.is_empty()).then_some(ids)
    }

    /// Rejects `allowed_company_ids` naming a company the user does not
    /// belong to, with Odoo's message. The superuser may name any company.
    pub fn check_companies(&self) -> OdooResult<()> {
        let Some(requested) = self.requested_company_ids() else {
            return Ok(());
        };
        if self.su || self.state.schema.model("res.users").is_none() {
            return Ok(());
        }
        let allowed = self.user_company_ids();
        if requested.iter().all(|c| allowed.contains(c)) {
            return Ok(());
        }
        Err(OdooError::access(
            "Access to unauthorized or invalid companies.",
        ))
    }

    /// Returns the current company (`env.company`): the first of
    /// `allowed_company_ids`, or the user's default company.
    pub fn company_id(&self) -> OdooResult<Option<i64>> {
        if let Some(requested) = self.requested_company_ids() {
            self.check_companies()?;
            return Ok(requested.first().copied());
        }
        Ok(self
            .state
            .schema
            .model("res.users")
            .and_then(|users| record_id(&self.get_by_name(users, self.uid, "company_id"))))
    }

    /// Returns the active companies (`env.companies`): `allowed_company_ids`,
    /// or else all the user's companies.
    pub fn company_ids(&self) -> OdooResult<Vec<i64>> {
        if let Some(requested) = self.requested_company_ids() {
            self.check_companies()?;
            return Ok(requested);
        }
        Ok(self.user_company_ids())
    }
}

// ------------------------------------------------------------ field groups

impl Env<'_> {
    /// Tells whether the user may read or write a field with `groups`.
    pub fn can_read_field(&self, field: &Field) -> bool {
        self.su || field.groups.is_empty() || self.user_has_groups(&field.groups)
    }

    /// Checks the `groups` of fields named explicitly, as Odoo's
    /// `check_field_access_rights` does, raising its `AccessError`. Unknown
    /// names pass: the caller reports them.
    pub fn check_field_access(
        &self,
        model: &Model,
        names: &[String],
        operation: Operation,
    ) -> OdooResult<()> {
        if self.su {
            return Ok(());
        }
        let mut invalid: Vec<&Field> = Vec::new();
        for name in names {
            if let Some(field) = model.field(name) {
                if !self.can_read_field(field) && !invalid.iter().any(|f| f.name == field.name) {
                    invalid.push(field);
                }
            }
        }
        if invalid.is_empty() {
            return Ok(());
        }
        if !self.has_group(GROUP_NO_ONE) {
            let listed: Vec<&str> = invalid.iter().map(|f| f.name.as_str()).collect();
            return Err(OdooError::access(format!(
                "You do not have enough rights to access the fields \"{}\" on {} ({}). Please \
                 contact your system administrator.\n\n(Operation: {})",
                listed.join(","),
                model.description,
                model.name,
                operation.name()
            )));
        }
        invalid.sort_by(|a, b| a.name.cmp(&b.name));
        let mut lines = Vec::new();
        for field in invalid {
            lines.push(format!(
                "- {} ({})",
                field.name,
                self.describe_field_groups(field)?
            ));
        }
        Err(OdooError::access(format!(
            "The requested operation can not be completed due to security restrictions.\n\n\
             Document type: {} ({})\nOperation: {}\nUser: {}\nFields:\n{}",
            model.description,
            model.name,
            operation.name(),
            self.uid,
            lines.join("\n")
        )))
    }

    /// Describes a field's `groups` as Odoo's detailed message does:
    /// `allowed for groups 'A', 'B'; forbidden for groups 'C'`, each list
    /// by group id.
    fn describe_field_groups(&self, field: &Field) -> OdooResult<String> {
        let specs: Vec<&str> = field
            .groups
            .iter()
            .flat_map(|g| g.split(','))
            .map(str::trim)
            .collect();
        if specs == ["."] {
            return Ok("always forbidden".to_owned());
        }
        let mut allowed = BTreeSet::new();
        let mut forbidden = BTreeSet::new();
        for spec in specs {
            let (set, xmlid) = match spec.strip_prefix('!') {
                Some(xmlid) => (&mut forbidden, xmlid),
                None => (&mut allowed, spec),
            };
            let id = self.state.xmlid(xmlid).map(|(_, id)| *id).ok_or_else(|| {
                OdooError::value(format!("External ID not found in the system: {xmlid}"))
            })?;
            set.insert(id);
        }
        let names = |ids: &BTreeSet<i64>| -> String {
            let groups = self.state.schema.model("res.groups");
            let listed: Vec<String> = ids
                .iter()
                .map(|id| {
                    let name = groups
                        .map(|g| self.display_name(g, *id))
                        .unwrap_or(Value::Bool(false));
                    match name {
                        Value::Str(name) => python_str_repr(&name),
                        other => other.python_repr(),
                    }
                })
                .collect();
            listed.join(", ")
        };
        let mut parts = Vec::new();
        if !allowed.is_empty() {
            parts.push(format!("allowed for groups {}", names(&allowed)));
        }
        if !forbidden.is_empty() {
            parts.push(format!("forbidden for groups {}", names(&forbidden)));
        }
        Ok(parts.join("; "))
    }
}
