//! Access rights (`ir.model.access`) and record rules (`ir.rule`), with
//! Odoo 17's semantics and error texts.
//!
//! A user may act on a model when one access row of a group it belongs to
//! (or a row without a group) grants the operation. Record rules restrict
//! which records: global rules (without groups) all apply, and of the rules
//! of the user's groups at least one must match. The superuser bypasses
//! both. Group membership includes implied groups.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::orm::domain::{self, Domain};
use crate::orm::env::{ids_of, Env};
use crate::orm::rule_expr;
use crate::orm::schema::Model;
use crate::value::Value;

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

    /// The `ir.model.access` column for the operation.
    fn access_column(self) -> &'static str {
        match self {
            Operation::Read => "perm_read",
            Operation::Write => "perm_write",
            Operation::Create => "perm_create",
            Operation::Unlink => "perm_unlink",
        }
    }
}

impl Env<'_> {
    /// Returns the user's groups, with implied groups added, computed once
    /// per call.
    pub fn user_groups(&self) -> &BTreeSet<i64> {
        self.groups_cache.get_or_init(|| self.compute_user_groups())
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

    /// Tells whether the user belongs to a group given by external id.
    pub fn has_group(&self, xmlid: &str) -> bool {
        match self.state.xmlid(xmlid) {
            Some((_, id)) => self.user_groups().contains(id),
            None => false,
        }
    }

    /// Checks `ir.model.access` for an operation, raising Odoo 17's
    /// `AccessError` when no row grants it.
    pub fn check_access_rights(&self, model: &Model, operation: Operation) -> OdooResult<()> {
        if self.su || self.has_access(model, operation) {
            return Ok(());
        }
        Err(self.access_rights_error(model, operation))
    }

    pub fn has_access(&self, model: &Model, operation: Operation) -> bool {
        if self.su {
            return true;
        }
        let Some(access) = self.state.schema.model("ir.model.access") else {
            return true;
        };
        let groups = self.user_groups();
        let model_id = self.ir_model_id(&model.name);
        self.all_ids("ir.model.access").into_iter().any(|row| {
            let granted = self
                .get_by_name(access, row, operation.access_column())
                .is_truthy();
            let active = access
                .field("active")
                .is_none_or(|f| self.get(access, row, f).is_truthy());
            let on_model = self.get_by_name(access, row, "model_id").as_i64() == model_id;
            let group = self.get_by_name(access, row, "group_id").as_i64();
            granted && active && on_model && group.is_none_or(|g| groups.contains(&g))
        })
    }

    fn ir_model_id(&self, model: &str) -> Option<i64> {
        let ir_model = self.state.schema.model("ir.model")?;
        self.all_ids("ir.model")
            .into_iter()
            .find(|id| self.get_by_name(ir_model, *id, "model").as_str() == Some(model))
    }

    fn access_rights_error(&self, model: &Model, operation: Operation) -> OdooError {
        let action = match operation {
            Operation::Read => "access",
            Operation::Write => "modify",
            Operation::Create => "create",
            Operation::Unlink => "delete",
        };
        let mut message = format!(
            "You are not allowed to {action} '{}' ({}) records.",
            model.description, model.name
        );
        let groups = self.groups_granting(model, operation);
        if groups.is_empty() {
            message.push_str("\n\nNo group currently allows this operation.");
        } else {
            message.push_str("\n\nThis operation is allowed for the following groups:\n");
            let lines: Vec<String> = groups.iter().map(|g| format!("\t- {g}")).collect();
            message.push_str(&lines.join("\n"));
        }
        message.push_str("\n\nContact your administrator to request access if necessary.");
        OdooError::access(message)
    }

    fn groups_granting(&self, model: &Model, operation: Operation) -> Vec<String> {
        let (Some(access), Some(groups)) = (
            self.state.schema.model("ir.model.access"),
            self.state.schema.model("res.groups"),
        ) else {
            return Vec::new();
        };
        let model_id = self.ir_model_id(&model.name);
        let mut names = BTreeSet::new();
        for row in self.all_ids("ir.model.access") {
            let granted = self
                .get_by_name(access, row, operation.access_column())
                .is_truthy();
            let on_model = self.get_by_name(access, row, "model_id").as_i64() == model_id;
            if let (true, true, Some(group)) = (
                granted,
                on_model,
                self.get_by_name(access, row, "group_id").as_i64(),
            ) {
                if let Some(name) = self.get_by_name(groups, group, "name").as_str() {
                    names.insert(name.to_owned());
                }
            }
        }
        names.into_iter().collect()
    }

    /// Returns the combined record-rule domain for an operation, or `None`
    /// when no rule applies (everything is allowed).
    pub fn rule_domain(&self, model: &Model, operation: Operation) -> OdooResult<Option<Domain>> {
        if self.su {
            return Ok(None);
        }
        let Some(rules) = self.state.schema.model("ir.rule") else {
            return Ok(None);
        };
        let groups = self.user_groups();
        let model_id = self.ir_model_id(&model.name);
        let mut global = Vec::new();
        let mut group_rules = Vec::new();
        for rule in self.all_ids("ir.rule") {
            let applies = self
                .get_by_name(rules, rule, operation.access_column())
                .is_truthy()
                && rules
                    .field("active")
                    .is_none_or(|f| self.get(rules, rule, f).is_truthy())
                && self.get_by_name(rules, rule, "model_id").as_i64() == model_id;
            if !applies {
                continue;
            }
            let rule_groups = ids_of(&self.get_by_name(rules, rule, "groups"));
            let text = self.get_by_name(rules, rule, "domain_force");
            let parsed = rule_expr::evaluate_domain(self, text.as_str().unwrap_or("[]"))?;
            if rule_groups.is_empty() {
                global.push(parsed);
            } else if rule_groups.iter().any(|g| groups.contains(g)) {
                group_rules.push(parsed);
            }
        }
        if global.is_empty() && group_rules.is_empty() {
            return Ok(None);
        }
        if !group_rules.is_empty() {
            global.push(Domain::Or(group_rules));
        }
        Ok(Some(Domain::and(global)))
    }

    /// Checks that every record passes the rules, raising Odoo 17's
    /// `AccessError` naming the rules otherwise.
    pub fn check_access_rule(
        &self,
        model: &Model,
        ids: &[i64],
        operation: Operation,
    ) -> OdooResult<()> {
        let Some(domain) = self.rule_domain(model, operation)? else {
            return Ok(());
        };
        let allowed = domain::evaluate(self, model, &domain)?;
        let forbidden: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !allowed.contains(id))
            .collect();
        if forbidden.is_empty() {
            return Ok(());
        }
        Err(self.rule_error(model, &forbidden, operation))
    }

    fn rule_error(&self, model: &Model, forbidden: &[i64], operation: Operation) -> OdooError {
        let action = match operation {
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Create => "create",
            Operation::Unlink => "unlink",
        };
        let shown: Vec<String> = forbidden
            .iter()
            .take(6)
            .map(|id| {
                let name = self.display_name(model, *id);
                format!("{} (id={id})", name.as_str().unwrap_or_default())
            })
            .collect();
        let user = self.user_display();
        OdooError::access(format!(
            "Due to security restrictions, you are not allowed to {action} '{}' ({}) records.\n\nRecords: {}\nUser: {}\n\nContact your administrator to request access if necessary.",
            model.description,
            model.name,
            shown.join(", "),
            user
        ))
    }

    fn user_display(&self) -> String {
        let Some(users) = self.state.schema.model("res.users") else {
            return format!("id={}", self.uid);
        };
        let name = self.get_by_name(users, self.uid, "name");
        format!("{} (id={})", name.as_str().unwrap_or_default(), self.uid)
    }

    /// Raises `MissingError` for ids that do not exist, as `write` does.
    pub fn check_missing(&self, model: &Model, ids: &[i64]) -> OdooResult<()> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.exists(&model.name, *id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = missing.iter().map(i64::to_string).collect();
        Err(OdooError::missing(format!(
            "Record does not exist or has been deleted.\n(Record: {}({},), User: {})",
            model.name,
            listed.join(", "),
            self.uid
        )))
    }

    /// Returns the current company: the first of `allowed_company_ids` in
    /// the context, or the user's default company.
    pub fn company_id(&self) -> i64 {
        if let Some(first) = self
            .context
            .get("allowed_company_ids")
            .map(ids_of)
            .and_then(|ids| ids.first().copied())
        {
            return first;
        }
        self.state
            .schema
            .model("res.users")
            .and_then(|users| self.get_by_name(users, self.uid, "company_id").as_i64())
            .unwrap_or(1)
    }

    /// Returns the companies the call acts for: `allowed_company_ids`, or
    /// the user's default company alone.
    pub fn company_ids(&self) -> Vec<i64> {
        match self.context.get("allowed_company_ids") {
            Some(value) => ids_of(value),
            None => vec![self.company_id()],
        }
    }

    /// Rejects `allowed_company_ids` naming a company the user does not
    /// belong to, with Odoo's message.
    pub fn check_companies(&self) -> OdooResult<()> {
        let Some(requested) = self.context.get("allowed_company_ids") else {
            return Ok(());
        };
        if self.su {
            return Ok(());
        }
        let Some(users) = self.state.schema.model("res.users") else {
            return Ok(());
        };
        let allowed: BTreeSet<i64> = ids_of(&self.get_by_name(users, self.uid, "company_ids"))
            .into_iter()
            .collect();
        if ids_of(requested).iter().all(|c| allowed.contains(c)) {
            return Ok(());
        }
        Err(OdooError::access(
            "Access to unauthorized or invalid companies.",
        ))
    }

    pub fn user_partner_id(&self) -> Option<i64> {
        let users = self.state.schema.model("res.users")?;
        self.get_by_name(users, self.uid, "partner_id").as_i64()
    }

    /// Returns the records among `ids` that pass the read rules, keeping
    /// their order.
    pub fn filter_readable(&self, model: &Arc<Model>, ids: Vec<i64>) -> OdooResult<Vec<i64>> {
        match self.rule_domain(model, Operation::Read)? {
            None => Ok(ids),
            Some(domain) => {
                let allowed = domain::evaluate(self, model, &domain)?;
                Ok(ids.into_iter().filter(|id| allowed.contains(id)).collect())
            }
        }
    }
}

/// Reads a boolean column of an access row, defaulting to `false`.
pub fn flag(value: &Value) -> bool {
    value.is_truthy()
}

impl Env<'_> {
    /// Tells whether the user may read or write a field with `groups`.
    pub fn can_read_field(&self, field: &crate::orm::schema::Field) -> bool {
        self.su || field.groups.is_empty() || field.groups.iter().any(|g| self.has_group(g))
    }

    /// Returns Odoo 17's `AccessError` for fields restricted by `groups`.
    pub fn field_access_error(
        &self,
        model: &Model,
        fields: &[String],
        operation: Operation,
    ) -> OdooError {
        OdooError::access(format!(
            "You do not have enough rights to access the fields \"{}\" on {} ({}). Please contact your system administrator.\n\nOperation: {}",
            fields.join(","),
            model.description,
            model.name,
            operation.name()
        ))
    }
}
