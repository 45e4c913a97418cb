//! Property: no call by any user returns or changes a record that its
//! access rights and record rules forbid, and every permitted record is
//! reachable.
//!
//! Each case generates groups (with implied groups), users in one or two
//! companies, access rows, record rules and records of one model, and
//! builds a profile from them. Every user's `search`, `search_count`,
//! `search_read`, `read`, `write`, `create` and `unlink` is then compared
//! with an oracle, which evaluates the generated conditions directly on
//! the generated records without the emulator's domain code.
//!
//! The seed is random unless `PROPTEST_RNG_SEED` is set. A failure prints
//! the seed, the shrunk case and its profile.

use std::collections::BTreeSet;

use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// Cases per run: enough to mix every kind of rule, small enough to keep
/// the suite fast.
const CASES: u32 = 64;

const COLORS: [&str; 3] = ["red", "green", "blue"];
const DATABASE: &str = "generated";
/// The superuser's id; generated users start after it.
const ROOT: i64 = 1;

/// A rule condition, written to the profile as a domain.
#[derive(Debug, Clone)]
enum Cond {
    True,
    False,
    LevelAtMost(i64),
    ColorIs(usize),
    Own,
    InCompanies,
    NoCompany,
    Or(Box<Cond>, Box<Cond>),
    And(Box<Cond>, Box<Cond>),
}

/// The company context of a user's calls.
#[derive(Debug, Clone, Copy)]
enum CompanyContext {
    None,
    AllReversed,
    FirstOnly,
    WithUnknown,
}

#[derive(Debug, Clone)]
struct UserDef {
    groups: Vec<usize>,
    companies: Vec<i64>,
    context: CompanyContext,
}

#[derive(Debug, Clone)]
struct AccessDef {
    group: Option<usize>,
    /// read, write, create, unlink
    perms: [bool; 4],
}

#[derive(Debug, Clone)]
struct RuleDef {
    groups: Vec<usize>,
    perms: [bool; 4],
    cond: Cond,
}

#[derive(Debug, Clone)]
struct RecordDef {
    level: i64,
    color: usize,
    owner: Option<usize>,
    company: Option<i64>,
}

#[derive(Debug, Clone)]
struct World {
    /// For each group, the groups it implies.
    groups: Vec<Vec<usize>>,
    users: Vec<UserDef>,
    access: Vec<AccessDef>,
    rules: Vec<RuleDef>,
    records: Vec<RecordDef>,
}

const READ: usize = 0;
const WRITE: usize = 1;
const CREATE: usize = 2;
const UNLINK: usize = 3;

// ---------------------------------------------------------------- strategies

fn cond() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        Just(Cond::True),
        Just(Cond::False),
        (0i64..5).prop_map(Cond::LevelAtMost),
        (0usize..COLORS.len()).prop_map(Cond::ColorIs),
        Just(Cond::Own),
        Just(Cond::InCompanies),
        Just(Cond::NoCompany),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
        ]
    })
}

fn perms() -> impl Strategy<Value = [bool; 4]> {
    any::<[bool; 4]>()
}

fn world() -> impl Strategy<Value = World> {
    (1usize..=3, 1usize..=3)
        .prop_flat_map(|(group_count, user_count)| {
            let groups = vec(vec(0..group_count, 0..=1), group_count);
            let user = (
                vec(0..group_count, 0..=2),
                prop_oneof![Just(vec![1]), Just(vec![2]), Just(vec![1, 2])],
                prop_oneof![
                    Just(CompanyContext::None),
                    Just(CompanyContext::AllReversed),
                    Just(CompanyContext::FirstOnly),
                    Just(CompanyContext::WithUnknown),
                ],
            )
                .prop_map(|(groups, companies, context)| UserDef {
                    groups,
                    companies,
                    context,
                });
            let access = (proptest::option::of(0..group_count), perms())
                .prop_map(|(group, perms)| AccessDef { group, perms });
            let rule =
                (vec(0..group_count, 0..=1), perms(), cond()).prop_map(|(groups, perms, cond)| {
                    RuleDef {
                        groups,
                        perms,
                        cond,
                    }
                });
            let record = (
                0i64..5,
                0usize..COLORS.len(),
                proptest::option::of(0..user_count),
                proptest::option::of(1i64..=2),
            )
                .prop_map(|(level, color, owner, company)| RecordDef {
                    level,
                    color,
                    owner,
                    company,
                });
            (
                groups,
                vec(user, user_count),
                vec(access, 0..=4),
                vec(rule, 0..=4),
                vec(record, 1..=5),
            )
        })
        .prop_map(|(groups, users, access, rules, records)| World {
            groups,
            users,
            access,
            rules,
            records,
        })
}

// ------------------------------------------------------------------- profile

fn uid(user: usize) -> i64 {
    ROOT + 1 + user as i64
}

fn group_xmlid(group: usize) -> String {
    format!("prop.group_{group}")
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

fn xmlid_list(groups: &[usize]) -> String {
    let listed: Vec<String> = groups.iter().map(|g| group_xmlid(*g)).collect();
    format!("[{}]", listed.join(", "))
}

impl Cond {
    /// Writes the condition as a `domain_force` Python expression.
    fn domain(&self) -> String {
        match self {
            Cond::True => "[(1, '=', 1)]".to_owned(),
            Cond::False => "[(0, '=', 1)]".to_owned(),
            Cond::LevelAtMost(n) => format!("[('x_level', '<=', {n})]"),
            Cond::ColorIs(c) => format!("[('x_color', '=', '{}')]", COLORS[*c]),
            Cond::Own => "[('x_owner_id', '=', user.id)]".to_owned(),
            Cond::InCompanies => "[('x_company_id', 'in', company_ids)]".to_owned(),
            Cond::NoCompany => "[('x_company_id', '=', False)]".to_owned(),
            Cond::Or(a, b) => format!("['|'] + {} + {}", a.domain(), b.domain()),
            Cond::And(a, b) => format!("['&'] + {} + {}", a.domain(), b.domain()),
        }
    }

    /// Tells whether a record satisfies the condition for a user whose
    /// active companies are `companies`: the oracle.
    fn holds(&self, record: &RecordDef, user: Option<usize>, companies: &[i64]) -> bool {
        match self {
            Cond::True => true,
            Cond::False => false,
            Cond::LevelAtMost(n) => record.level <= *n,
            Cond::ColorIs(c) => record.color == *c,
            Cond::Own => user.is_some() && record.owner == user,
            Cond::InCompanies => record.company.is_some_and(|c| companies.contains(&c)),
            Cond::NoCompany => record.company.is_none(),
            Cond::Or(a, b) => a.holds(record, user, companies) || b.holds(record, user, companies),
            Cond::And(a, b) => a.holds(record, user, companies) && b.holds(record, user, companies),
        }
    }
}

impl RecordDef {
    fn fields(&self) -> Vec<(String, String)> {
        let mut fields = vec![
            ("x_level".to_owned(), self.level.to_string()),
            ("x_color".to_owned(), COLORS[self.color].to_owned()),
        ];
        if let Some(owner) = self.owner {
            fields.push(("x_owner_id".to_owned(), uid(owner).to_string()));
        }
        if let Some(company) = self.company {
            fields.push(("x_company_id".to_owned(), company.to_string()));
        }
        fields
    }

    fn vals(&self, name: &str) -> Value {
        let mut vals = Dict::default();
        vals.insert("x_name".to_owned(), Value::from(name));
        vals.insert("x_level".to_owned(), Value::Int(self.level));
        vals.insert("x_color".to_owned(), Value::from(COLORS[self.color]));
        if let Some(owner) = self.owner {
            vals.insert("x_owner_id".to_owned(), Value::Int(uid(owner)));
        }
        if let Some(company) = self.company {
            vals.insert("x_company_id".to_owned(), Value::Int(company));
        }
        Value::Dict(vals)
    }
}

const MODELS: &str = r#"
models:
  res.company:
    description: Companies
    fields:
      name: {type: char, string: Company Name, required: true}
  res.groups:
    description: Access Groups
    fields:
      name: {type: char, string: Name, required: true}
      implied_ids: {type: many2many, relation: res.groups, string: Inherits}
  res.users:
    description: User
    fields:
      name: {type: char, string: Name, required: true}
      login: {type: char, string: Login, required: true}
      active: {type: boolean, string: Active, default: true}
      groups_id: {type: many2many, relation: res.groups, string: Groups}
      company_id: {type: many2one, relation: res.company, string: Company}
      company_ids: {type: many2many, relation: res.company, string: Companies}
  x_doc:
    description: Document
    fields:
      x_name: {type: char, string: Name}
      x_level: {type: integer, string: Level}
      x_color: {type: selection, string: Color, selection: [[red, Red], [green, Green], [blue, Blue]]}
      x_owner_id: {type: many2one, relation: res.users, string: Owner}
      x_company_id: {type: many2one, relation: res.company, string: Company}
  ir.model:
    description: Models
    reflection: true
    fields:
      name: {type: char, string: Model Description, required: true}
      model: {type: char, string: Model, required: true}
  ir.model.access:
    description: Model Access
    reflection: true
    fields:
      name: {type: char, string: Name, required: true}
      active: {type: boolean, string: Active, default: true}
      model_id: {type: many2one, relation: ir.model, string: Model, required: true}
      group_id: {type: many2one, relation: res.groups, string: Group}
      perm_read: {type: boolean, string: Read Access}
      perm_write: {type: boolean, string: Write Access}
      perm_create: {type: boolean, string: Create Access}
      perm_unlink: {type: boolean, string: Delete Access}
  ir.rule:
    description: Record Rule
    reflection: true
    fields:
      name: {type: char, string: Name}
      active: {type: boolean, string: Active, default: true}
      model_id: {type: many2one, relation: ir.model, string: Model, required: true}
      groups: {type: many2many, relation: res.groups, string: Groups}
      domain_force: {type: text, string: Domain}
      perm_read: {type: boolean, string: Read, default: true}
      perm_write: {type: boolean, string: Write, default: true}
      perm_create: {type: boolean, string: Create, default: true}
      perm_unlink: {type: boolean, string: Delete, default: true}
"#;

impl World {
    fn to_yaml(&self) -> String {
        let mut yaml = format!("name: {DATABASE}\nodoo_version: \"17.0\"\ndatabase: {DATABASE}\n");
        yaml.push_str(MODELS);

        yaml.push_str("groups:\n");
        for (index, implied) in self.groups.iter().enumerate() {
            yaml.push_str(&format!(
                "  - {{xmlid: {}, name: Group {index}, implied: {}}}\n",
                group_xmlid(index),
                xmlid_list(implied)
            ));
        }

        yaml.push_str(&format!(
            "users:\n  - {{id: {ROOT}, login: __system__, name: Root, active: false, \
             company_id: 1, company_ids: [1]}}\n"
        ));
        for (index, user) in self.users.iter().enumerate() {
            let companies: Vec<String> = user.companies.iter().map(i64::to_string).collect();
            yaml.push_str(&format!(
                "  - {{id: {}, login: user{index}, name: User {index}, groups: {}, \
                 company_id: {}, company_ids: [{}]}}\n",
                uid(index),
                xmlid_list(&user.groups),
                user.companies[0],
                companies.join(", ")
            ));
        }

        yaml.push_str(if self.access.is_empty() {
            "access: []\n"
        } else {
            "access:\n"
        });
        for (index, row) in self.access.iter().enumerate() {
            let group = row
                .group
                .map(|g| format!(", group: {}", group_xmlid(g)))
                .unwrap_or_default();
            let [read, write, create, unlink] = row.perms;
            yaml.push_str(&format!(
                "  - {{name: access {index}, model: x_doc{group}, read: {read}, write: {write}, \
                 create: {create}, unlink: {unlink}}}\n"
            ));
        }

        yaml.push_str(if self.rules.is_empty() {
            "rules: []\n"
        } else {
            "rules:\n"
        });
        for (index, rule) in self.rules.iter().enumerate() {
            let [read, write, create, unlink] = rule.perms;
            yaml.push_str(&format!(
                "  - {{name: rule {index}, model: x_doc, groups: {}, domain_force: {}, \
                 perm_read: {read}, perm_write: {write}, perm_create: {create}, \
                 perm_unlink: {unlink}}}\n",
                xmlid_list(&rule.groups),
                quoted(&rule.cond.domain())
            ));
        }

        yaml.push_str("records:\n  res.company:\n");
        yaml.push_str("    - {id: 1, name: First}\n    - {id: 2, name: Second}\n");
        yaml.push_str("  x_doc:\n");
        for (index, record) in self.records.iter().enumerate() {
            let fields: Vec<String> = record
                .fields()
                .into_iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect();
            yaml.push_str(&format!(
                "    - {{x_name: doc {index}, {}}}\n",
                fields.join(", ")
            ));
        }
        yaml
    }
}

// -------------------------------------------------------------------- oracle

/// What the oracle expects of one call.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Allowed,
    /// Refused by the access rights.
    NoRight,
    /// Refused because the context names a company the user lacks.
    BadCompany,
    /// Refused by the record rules.
    RuleRefused,
}

/// The caller of a batch of calls: a generated user or the superuser.
struct Caller<'w> {
    world: &'w World,
    user: Option<usize>,
}

impl Caller<'_> {
    fn uid(&self) -> i64 {
        self.user.map_or(ROOT, uid)
    }

    fn groups(&self) -> BTreeSet<usize> {
        let mut result = BTreeSet::new();
        let mut pending: Vec<usize> = self
            .user
            .map(|u| self.world.users[u].groups.clone())
            .unwrap_or_default();
        while let Some(group) = pending.pop() {
            if result.insert(group) {
                pending.extend(self.world.groups[group].iter().copied());
            }
        }
        result
    }

    fn context_companies(&self) -> Option<Vec<i64>> {
        let user = &self.world.users[self.user?];
        match user.context {
            CompanyContext::None => None,
            CompanyContext::AllReversed => Some(user.companies.iter().rev().copied().collect()),
            CompanyContext::FirstOnly => Some(vec![user.companies[0]]),
            CompanyContext::WithUnknown => Some(vec![user.companies[0], 9]),
        }
    }

    fn active_companies(&self) -> Vec<i64> {
        match self.context_companies() {
            Some(ids) => ids,
            None => self
                .user
                .map(|u| self.world.users[u].companies.clone())
                .unwrap_or_else(|| vec![1]),
        }
    }

    fn has_bad_company(&self) -> bool {
        let Some(user) = self.user else {
            return false;
        };
        self.context_companies().is_some_and(|ids| {
            ids.iter()
                .any(|c| !self.world.users[user].companies.contains(c))
        })
    }

    fn has_right(&self, operation: usize) -> bool {
        if self.user.is_none() {
            return true;
        }
        let groups = self.groups();
        self.world
            .access
            .iter()
            .any(|row| row.perms[operation] && row.group.is_none_or(|g| groups.contains(&g)))
    }

    fn rules(&self, operation: usize) -> Vec<&RuleDef> {
        if self.user.is_none() {
            return Vec::new();
        }
        let groups = self.groups();
        self.world
            .rules
            .iter()
            .filter(|r| r.perms[operation])
            .filter(|r| r.groups.is_empty() || r.groups.iter().any(|g| groups.contains(g)))
            .collect()
    }

    fn permits(&self, operation: usize, record: &RecordDef) -> bool {
        let companies = self.active_companies();
        let rules = self.rules(operation);
        let global_ok = rules
            .iter()
            .filter(|r| r.groups.is_empty())
            .all(|r| r.cond.holds(record, self.user, &companies));
        let group_rules: Vec<_> = rules.iter().filter(|r| !r.groups.is_empty()).collect();
        let group_ok = group_rules.is_empty()
            || group_rules
                .iter()
                .any(|r| r.cond.holds(record, self.user, &companies));
        global_ok && group_ok
    }

    /// Returns the outcome of an operation before the records matter:
    /// access rights first, then the company check that applying rules
    /// needs.
    fn precondition(&self, operation: usize) -> Outcome {
        if !self.has_right(operation) {
            Outcome::NoRight
        } else if !self.rules(operation).is_empty() && self.has_bad_company() {
            Outcome::BadCompany
        } else {
            Outcome::Allowed
        }
    }

    fn expect(&self, operation: usize, record: &RecordDef) -> Outcome {
        match self.precondition(operation) {
            Outcome::Allowed if !self.permits(operation, record) => Outcome::RuleRefused,
            other => other,
        }
    }

    fn kwargs(&self) -> Dict {
        let mut kwargs = Dict::default();
        if let Some(ids) = self.context_companies() {
            let list = Value::List(ids.into_iter().map(Value::Int).collect());
            let context = Dict::from_iter([("allowed_company_ids".to_owned(), list)]);
            kwargs.insert("context".to_owned(), Value::Dict(context));
        }
        kwargs
    }
}

// ------------------------------------------------------------------- checks

fn outcome_of(result: &OdooResult<Value>) -> Result<Outcome, String> {
    let Err(error) = result else {
        return Ok(Outcome::Allowed);
    };
    if error.kind != ErrorKind::AccessError {
        return Err(format!("unexpected error {error}"));
    }
    if error.message.starts_with("You are not allowed to") {
        Ok(Outcome::NoRight)
    } else if error.message == "Access to unauthorized or invalid companies." {
        Ok(Outcome::BadCompany)
    } else if error
        .message
        .starts_with("Uh-oh! Looks like you have stumbled")
    {
        Ok(Outcome::RuleRefused)
    } else {
        Err(format!("unexpected access error {error}"))
    }
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

fn ids_value(ids: &[i64]) -> Value {
    Value::List(ids.iter().copied().map(Value::Int).collect())
}

fn execute(
    emulator: &Emulator,
    caller: &Caller<'_>,
    method: &str,
    args: Vec<Value>,
    extra: &[(&str, Value)],
) -> OdooResult<Value> {
    let mut kwargs = caller.kwargs();
    for (key, value) in extra {
        kwargs.insert((*key).to_owned(), value.clone());
    }
    emulator.execute(DATABASE, caller.uid(), "x_doc", method, args, kwargs)
}

/// Reads every record's name as the superuser: the ground truth.
fn names_as_root(emulator: &Emulator) -> Result<Vec<(i64, String)>, String> {
    let rows = emulator
        .execute(
            DATABASE,
            ROOT,
            "x_doc",
            "search_read",
            vec![Value::List(vec![])],
            Dict::from_iter([
                (
                    "fields".to_owned(),
                    Value::List(vec![Value::from("x_name")]),
                ),
                ("order".to_owned(), Value::from("id")),
            ]),
        )
        .map_err(|e| format!("superuser search_read failed: {e}"))?;
    Ok(rows
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|row| {
            let row = row.as_dict()?;
            let id = row.get("id")?.as_i64()?;
            let name = row.get("x_name")?.as_str()?.to_owned();
            Some((id, name))
        })
        .collect())
}

fn check_world(world: &World) -> Result<(), String> {
    let profile = Profile::from_yaml("generated.yaml", &world.to_yaml())
        .map_err(|e| format!("the generated profile does not load: {e}"))?;
    let record_ids: Vec<i64> = (1..=world.records.len() as i64).collect();
    let mut callers = vec![Caller { world, user: None }];
    callers.extend((0..world.users.len()).map(|u| Caller {
        world,
        user: Some(u),
    }));
    for caller in &callers {
        let emulator =
            Emulator::from_profiles(vec![(None, profile.clone())]).map_err(|e| e.to_string())?;
        let caller_name = format!("uid {}", caller.uid());
        check_search(&emulator, caller, &record_ids, &caller_name)?;
        check_reads(&emulator, caller, &record_ids, &caller_name)?;
        check_writes(&emulator, caller, &record_ids, &caller_name)?;
        check_creates(&emulator, caller, &caller_name)?;
        check_unlinks(&emulator, caller, &record_ids, &caller_name)?;
    }
    Ok(())
}

fn check_search(
    emulator: &Emulator,
    caller: &Caller<'_>,
    record_ids: &[i64],
    caller_name: &str,
) -> Result<(), String> {
    let expected_ids: Vec<i64> = record_ids
        .iter()
        .zip(&caller.world.records)
        .filter(|(_, record)| caller.permits(READ, record))
        .map(|(id, _)| *id)
        .collect();
    let precondition = caller.precondition(READ);
    let empty = Value::List(vec![]);

    let found = execute(
        emulator,
        caller,
        "search",
        vec![empty.clone()],
        &[("order", "id".into())],
    );
    ensure(outcome_of(&found)? == precondition, || {
        format!("{caller_name}: search gave {found:?}, expected {precondition:?}")
    })?;
    if let Ok(found) = found {
        ensure(found == ids_value(&expected_ids), || {
            format!("{caller_name}: search found {found:?}, expected {expected_ids:?}")
        })?;
    }

    let count = execute(emulator, caller, "search_count", vec![empty.clone()], &[]);
    ensure(outcome_of(&count)? == precondition, || {
        format!("{caller_name}: search_count gave {count:?}, expected {precondition:?}")
    })?;
    if let Ok(count) = &count {
        ensure(*count == Value::Int(expected_ids.len() as i64), || {
            format!(
                "{caller_name}: search_count gave {count:?}, expected {}",
                expected_ids.len()
            )
        })?;
    }

    let fields = Value::List(vec![Value::from("x_name")]);
    let rows = execute(
        emulator,
        caller,
        "search_read",
        vec![empty],
        &[("fields", fields), ("order", "id".into())],
    );
    ensure(outcome_of(&rows)? == precondition, || {
        format!("{caller_name}: search_read gave {rows:?}, expected {precondition:?}")
    })?;
    if let Ok(rows) = rows {
        let read_ids: Vec<i64> = rows
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.as_dict()?.get("id")?.as_i64())
            .collect();
        ensure(read_ids == expected_ids, || {
            format!("{caller_name}: search_read returned {read_ids:?}, expected {expected_ids:?}")
        })?;
    }
    Ok(())
}

fn check_reads(
    emulator: &Emulator,
    caller: &Caller<'_>,
    record_ids: &[i64],
    caller_name: &str,
) -> Result<(), String> {
    for (id, record) in record_ids.iter().zip(&caller.world.records) {
        let expected = caller.expect(READ, record);
        let fields = Value::List(vec![Value::from("x_name")]);
        let rows = execute(
            emulator,
            caller,
            "read",
            vec![ids_value(&[*id]), fields],
            &[],
        );
        ensure(outcome_of(&rows)? == expected, || {
            format!("{caller_name}: read of {id} gave {rows:?}, expected {expected:?}")
        })?;
        if let Ok(rows) = rows {
            ensure(rows.as_list().map(<[Value]>::len) == Some(1), || {
                format!("{caller_name}: read of {id} returned {rows:?}")
            })?;
        }
    }
    Ok(())
}

fn check_writes(
    emulator: &Emulator,
    caller: &Caller<'_>,
    record_ids: &[i64],
    caller_name: &str,
) -> Result<(), String> {
    for (id, record) in record_ids.iter().zip(&caller.world.records) {
        let expected = caller.expect(WRITE, record);
        let before = names_as_root(emulator)?;
        let new_name = format!("written by {caller_name}");
        let vals = Value::Dict(Dict::from_iter([(
            "x_name".to_owned(),
            Value::from(new_name.as_str()),
        )]));
        let result = execute(
            emulator,
            caller,
            "write",
            vec![ids_value(&[*id]), vals],
            &[],
        );
        ensure(outcome_of(&result)? == expected, || {
            format!("{caller_name}: write of {id} gave {result:?}, expected {expected:?}")
        })?;
        let after = names_as_root(emulator)?;
        let mut expected_after = before.clone();
        if expected == Outcome::Allowed {
            for (record_id, name) in &mut expected_after {
                if record_id == id {
                    *name = new_name.clone();
                }
            }
        }
        ensure(after == expected_after, || {
            format!(
                "{caller_name}: after write of {id} the names are {after:?}, expected {expected_after:?}"
            )
        })?;
    }
    Ok(())
}

fn check_creates(
    emulator: &Emulator,
    caller: &Caller<'_>,
    caller_name: &str,
) -> Result<(), String> {
    for (index, record) in caller.world.records.iter().enumerate() {
        let expected = caller.expect(CREATE, record);
        let before = names_as_root(emulator)?;
        let name = format!("created {index} by {caller_name}");
        let result = execute(emulator, caller, "create", vec![record.vals(&name)], &[]);
        ensure(outcome_of(&result)? == expected, || {
            format!("{caller_name}: create of {record:?} gave {result:?}, expected {expected:?}")
        })?;
        let after = names_as_root(emulator)?;
        let created = after.len() - before.len().min(after.len());
        let expected_created = usize::from(expected == Outcome::Allowed);
        ensure(created == expected_created, || {
            format!(
                "{caller_name}: create of {record:?} added {created} records, expected {expected_created}"
            )
        })?;
    }
    Ok(())
}

fn check_unlinks(
    emulator: &Emulator,
    caller: &Caller<'_>,
    record_ids: &[i64],
    caller_name: &str,
) -> Result<(), String> {
    for (id, record) in record_ids.iter().zip(&caller.world.records) {
        let expected = caller.expect(UNLINK, record);
        let before = names_as_root(emulator)?;
        let result = execute(emulator, caller, "unlink", vec![ids_value(&[*id])], &[]);
        ensure(outcome_of(&result)? == expected, || {
            format!("{caller_name}: unlink of {id} gave {result:?}, expected {expected:?}")
        })?;
        let after = names_as_root(emulator)?;
        let expected_after: Vec<(i64, String)> = before
            .into_iter()
            .filter(|(record_id, _)| expected != Outcome::Allowed || record_id != id)
            .collect();
        ensure(after == expected_after, || {
            format!("{caller_name}: after unlink of {id} the records are {after:?}, expected {expected_after:?}")
        })?;
    }
    Ok(())
}

#[test]
fn no_user_reaches_a_forbidden_record() {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let config = Config {
        cases: CASES,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&world(), |world| {
        check_world(&world).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, world)) => panic!(
            "the access property failed with seed {seed} (rerun with PROPTEST_RNG_SEED={seed}): \
             {reason}\nshrunk case: {world:#?}\nits profile:\n{}",
            world.to_yaml()
        ),
        Err(TestError::Abort(reason)) => {
            panic!("the access property aborted with seed {seed}: {reason}")
        }
    }
}
