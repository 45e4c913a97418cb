//! Odoo 17's permission model on a small profile (`fixtures/permissions.yaml`):
//! access rights, record rules, field `groups`, companies and the texts of
//! the `AccessError`s they raise.
//!
//! Users: 1 is the superuser, 2 the administrator (Sales Manager and
//! Accountant, companies 1 and 2), 3 a salesman (company 1) whose rules
//! allow only the contacts assigned to him, 4 a portal user and 5 a user without any
//! group. Contacts: 1 Ada (company 1, salesman), 2 Bob (company 1,
//! administrator), 3 Chen (company 2, salesman), 4 Dana (no company,
//! salesman). Employees 1 and 2 delegate to Ada and Bob.

use odoo_emulator::orm::domain::Domain;
use odoo_emulator::orm::env::Env;
use odoo_emulator::orm::methods;
use odoo_emulator::orm::rule_expr::{self, EvalContext};
use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, ErrorKind, OdooError, OdooResult, Value};

const ROOT: i64 = 1;
const ADMIN: i64 = 2;
const SALES: i64 = 3;
const PORTAL: i64 = 4;
const NOBODY: i64 = 5;

const ADA: i64 = 1;
const BOB: i64 = 2;
const CHEN: i64 = 3;
const DANA: i64 = 4;

const COOKIES: &str = "If you really, really need access, perhaps you can win over your \
                       friendly administrator with a batch of freshly baked cookies.";

fn profile() -> Profile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/permissions.yaml"
    );
    Profile::load(path).expect("the permissions profile loads")
}

fn emulator() -> Emulator {
    Emulator::from_profiles(vec![(None, profile())]).expect("one database")
}

fn ids(values: &[i64]) -> Value {
    Value::List(values.iter().copied().map(Value::Int).collect())
}

fn names(fields: &[&str]) -> Value {
    Value::List(fields.iter().map(|f| Value::from(*f)).collect())
}

fn kwargs(pairs: &[(&str, Value)]) -> Dict {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn context(company_ids: &[i64]) -> (&'static str, Value) {
    let context = Dict::from_iter([("allowed_company_ids".to_owned(), ids(company_ids))]);
    ("context", Value::Dict(context))
}

fn call(
    emulator: &Emulator,
    uid: i64,
    model: &str,
    method: &str,
    args: Vec<Value>,
    kwargs: Dict,
) -> OdooResult<Value> {
    emulator.execute("permissions", uid, model, method, args, kwargs)
}

fn search(
    emulator: &Emulator,
    uid: i64,
    model: &str,
    extra: &[(&str, Value)],
) -> OdooResult<Value> {
    let mut kw = kwargs(extra);
    kw.insert("order".to_owned(), Value::from("id"));
    call(
        emulator,
        uid,
        model,
        "search",
        vec![Value::List(vec![])],
        kw,
    )
}

fn read(emulator: &Emulator, uid: i64, model: &str, id: i64, fields: &[&str]) -> OdooResult<Value> {
    call(
        emulator,
        uid,
        model,
        "read",
        vec![ids(&[id]), names(fields)],
        Dict::default(),
    )
}

fn access_error(result: OdooResult<Value>) -> OdooError {
    let error = result.expect_err("the call raises");
    assert_eq!(error.kind, ErrorKind::AccessError, "{error}");
    error
}

/// Runs one call in-process with Odoo's debug mode on.
fn call_in_debug(
    uid: i64,
    model: &str,
    method: &str,
    args: Vec<Value>,
    kw: Dict,
) -> OdooResult<Value> {
    let profile = profile();
    let mut state = profile.seed.clone();
    let mut env = Env::new(
        &mut state,
        uid,
        Dict::default(),
        "2024-05-06 07:08:09".to_owned(),
        profile.version,
    );
    env.debug = true;
    if let Some(Value::Dict(context)) = kw.get("context") {
        env.context = context.clone();
    }
    let mut kw = kw;
    kw.shift_remove("context");
    methods::call(&mut env, model, method, &args, &kw)
}

// ------------------------------------------------------------ record rules

#[test]
fn search_is_filtered_silently_by_rules() {
    let emulator = emulator();
    assert_eq!(
        search(&emulator, SALES, "res.partner", &[]),
        Ok(ids(&[ADA, DANA]))
    );
    let count = call(
        &emulator,
        SALES,
        "res.partner",
        "search_count",
        vec![Value::List(vec![])],
        Dict::default(),
    );
    assert_eq!(count, Ok(Value::Int(2)));
}

#[test]
fn search_read_returns_only_permitted_records() {
    let emulator = emulator();
    let rows = call(
        &emulator,
        SALES,
        "res.partner",
        "search_read",
        vec![Value::List(vec![])],
        kwargs(&[("fields", names(&["name"]))]),
    )
    .expect("search_read succeeds");
    let found: Vec<&str> = rows
        .as_list()
        .expect("a list")
        .iter()
        .filter_map(|r| r.as_dict()?.get("name")?.as_str())
        .collect();
    assert_eq!(found, vec!["Ada", "Dana"]);
}

#[test]
fn reading_a_hidden_record_raises() {
    let emulator = emulator();
    let error = access_error(read(&emulator, SALES, "res.partner", BOB, &["name"]));
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Sam Sales (id=3) doesn't have 'read' access to:\n\
             - Contact (res.partner)\n\n{COOKIES}"
        )
    );
    assert_eq!(error.kind.qualified_name(), "odoo.exceptions.AccessError");
}

#[test]
fn reading_hidden_and_missing_records_names_the_operation() {
    let emulator = emulator();
    let result = call(
        &emulator,
        SALES,
        "res.partner",
        "read",
        vec![ids(&[ADA, 999, CHEN])],
        kwargs(&[("fields", names(&["name"]))]),
    );
    let error = access_error(result);
    assert!(
        error.message.contains("doesn't have 'read' access"),
        "{error}"
    );
}

#[test]
fn reading_a_deleted_record_drops_it() {
    let emulator = emulator();
    let rows = call(
        &emulator,
        SALES,
        "res.partner",
        "read",
        vec![ids(&[ADA, 999])],
        kwargs(&[("fields", names(&["name"]))]),
    )
    .expect("read succeeds");
    assert_eq!(rows.as_list().map(<[Value]>::len), Some(1));
}

#[test]
fn writing_a_hidden_record_raises_and_changes_nothing() {
    let emulator = emulator();
    let vals = Value::Dict(kwargs(&[("name", Value::from("Robert"))]));
    let error = access_error(call(
        &emulator,
        SALES,
        "res.partner",
        "write",
        vec![ids(&[ADA, BOB]), vals],
        Dict::default(),
    ));
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Sam Sales (id=3) doesn't have 'write' access to:\n\
             - Contact (res.partner)\n\n{COOKIES}"
        )
    );
    let ada = read(&emulator, ROOT, "res.partner", ADA, &["name"]).expect("read as superuser");
    assert_eq!(
        ada.as_list()
            .and_then(|l| l[0].as_dict())
            .and_then(|d| d.get("name")),
        Some(&Value::from("Ada"))
    );
}

#[test]
fn writing_a_permitted_record_succeeds() {
    let emulator = emulator();
    let vals = Value::Dict(kwargs(&[("email", Value::from("ada@example.com"))]));
    let written = call(
        &emulator,
        SALES,
        "res.partner",
        "write",
        vec![ids(&[ADA]), vals],
        Dict::default(),
    );
    assert_eq!(written, Ok(Value::Bool(true)));
}

#[test]
fn creating_a_record_outside_the_rules_raises() {
    let emulator = emulator();
    let vals = Value::Dict(kwargs(&[
        ("name", Value::from("Eve")),
        ("user_id", Value::Int(ADMIN)),
    ]));
    let error = access_error(call(
        &emulator,
        SALES,
        "res.partner",
        "create",
        vec![vals],
        Dict::default(),
    ));
    assert!(
        error
            .message
            .contains("doesn't have 'create' access to:\n- Contact (res.partner)"),
        "{error}"
    );
    let all = search(&emulator, ROOT, "res.partner", &[]).expect("search as superuser");
    assert_eq!(all, ids(&[ADA, BOB, CHEN, DANA]));
}

#[test]
fn inherits_applies_the_parent_rules() {
    let emulator = emulator();
    assert_eq!(search(&emulator, SALES, "x_employee", &[]), Ok(ids(&[1])));
    let error = access_error(read(&emulator, SALES, "x_employee", 2, &["x_badge"]));
    assert!(error.message.contains("- Employee (x_employee)"), "{error}");
}

#[test]
fn superuser_bypasses_rights_and_rules() {
    let emulator = emulator();
    assert_eq!(
        search(&emulator, ROOT, "res.partner", &[context(&[9])]),
        Ok(ids(&[ADA, BOB, CHEN, DANA]))
    );
    let removed = call(
        &emulator,
        ROOT,
        "res.partner",
        "unlink",
        vec![ids(&[BOB, 999])],
        Dict::default(),
    );
    assert_eq!(removed, Ok(Value::Bool(true)));
}

#[test]
fn administrator_is_subject_to_global_rules() {
    let emulator = emulator();
    assert_eq!(
        search(&emulator, ADMIN, "res.partner", &[context(&[2])]),
        Ok(ids(&[CHEN, DANA]))
    );
    let result = call(
        &emulator,
        ADMIN,
        "res.partner",
        "read",
        vec![ids(&[ADA])],
        kwargs(&[("fields", names(&["name"])), context(&[2])]),
    );
    let error = access_error(result);
    assert!(error.message.starts_with("Uh-oh!"), "{error}");
}

// ------------------------------------------------------------ debug mode

#[test]
fn debug_text_names_records_and_rules() {
    let kw = kwargs(&[("fields", names(&["name"]))]);
    let error = access_error(call_in_debug(
        SALES,
        "res.partner",
        "read",
        vec![ids(&[BOB])],
        kw,
    ));
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Sam Sales (id=3) doesn't have 'read' access to:\n\
             - Contact, Bob (res.partner: 2)\n\n\
             Blame the following rules:\n- Own contacts\n\n{COOKIES}"
        )
    );
}

#[test]
fn debug_mode_notes_multi_company_rules() {
    let kw = kwargs(&[("fields", names(&["name"])), context(&[1])]);
    let error = access_error(call_in_debug(
        ADMIN,
        "res.partner",
        "read",
        vec![ids(&[CHEN])],
        kw,
    ));
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Mitchell Admin (id=2) doesn't have 'read' access to:\n\
             - Contact, Chen (res.partner: 3, company=Second Co)\n\n\
             Blame the following rules:\n- Contact multi-company\n\n\
             Note: this might be a multi-company issue. Switching company may help - in Odoo, \
             not in real life!\n\n{COOKIES}"
        )
    );
}

#[test]
fn debug_mode_lists_records_and_all_failing_rules() {
    let kw = kwargs(&[("fields", names(&["name"]))]);
    let error = access_error(call_in_debug(
        SALES,
        "res.partner",
        "read",
        vec![ids(&[BOB, CHEN])],
        kw,
    ));
    assert!(
        error.message.contains(
            "- Contact, Bob (res.partner: 2, company=Main Co)\n - Contact, Chen (res.partner: 3)\n\n\
             Blame the following rules:\n- Contact multi-company\n- Own contacts\n\n\
             Note: this might be a multi-company issue."
        ),
        "{error}"
    );
}

#[test]
fn debug_text_short_for_portal() {
    let kw = kwargs(&[("fields", names(&["name"]))]);
    let error = access_error(call_in_debug(
        PORTAL,
        "res.partner",
        "read",
        vec![ids(&[ADA])],
        kw,
    ));
    assert_eq!(
        error.message,
        format!(
            "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n\
             Sorry, Paula Portal (id=4) doesn't have 'read' access to:\n\
             - Contact (res.partner)\n\n{COOKIES}"
        )
    );
}

// ----------------------------------------------------------- access rights

#[test]
fn missing_read_right_lists_the_granting_groups() {
    let emulator = emulator();
    let error = access_error(search(&emulator, NOBODY, "res.partner", &[]));
    assert_eq!(
        error.message,
        "You are not allowed to access 'Contact' (res.partner) records.\n\n\
         This operation is allowed for the following groups:\n\
         \t- Internal User\n\t- Portal\n\t- Sales Manager\n\t- Salesman\n\n\
         Contact your administrator to request access if necessary."
    );
}

/// Returns the id of the record of `model` named `name`, found as the
/// superuser.
fn id_named(emulator: &Emulator, model: &str, name: &str) -> i64 {
    let domain = Value::List(vec![Value::List(vec![
        "name".into(),
        "=".into(),
        name.into(),
    ])]);
    let found = call(
        emulator,
        ROOT,
        model,
        "search",
        vec![domain],
        Dict::default(),
    );
    match found {
        Ok(Value::List(ids)) if ids.len() == 1 => ids[0].as_i64().expect("an id"),
        other => panic!("search for {name} on {model} returned {other:?}"),
    }
}

fn write_as_root(emulator: &Emulator, model: &str, id: i64, values: &[(&str, Value)]) {
    let args = vec![ids(&[id]), Value::Dict(kwargs(values))];
    call(emulator, ROOT, model, "write", args, Dict::default()).expect("the write succeeds");
}

/// A change of a user's groups applies from the user's next call, as it
/// does in Odoo.
#[test]
fn group_changes_apply_to_next_call() {
    let emulator = emulator();
    let internal = id_named(&emulator, "res.groups", "Internal User");
    access_error(search(&emulator, NOBODY, "res.partner", &[]));

    let add = Value::List(vec![Value::List(vec![4.into(), internal.into()])]);
    write_as_root(&emulator, "res.users", NOBODY, &[("groups_id", add)]);
    assert!(search(&emulator, NOBODY, "res.partner", &[]).is_ok());

    let remove = Value::List(vec![Value::List(vec![3.into(), internal.into()])]);
    write_as_root(&emulator, "res.users", NOBODY, &[("groups_id", remove)]);
    access_error(search(&emulator, NOBODY, "res.partner", &[]));
}

/// An access row turned off stops granting from the next call.
#[test]
fn access_row_changes_apply_to_next_call() {
    let emulator = emulator();
    let row = id_named(&emulator, "ir.model.access", "res_country all");
    assert!(search(&emulator, SALES, "res.country", &[]).is_ok());

    write_as_root(
        &emulator,
        "ir.model.access",
        row,
        &[("perm_read", false.into())],
    );
    access_error(search(&emulator, SALES, "res.country", &[]));

    write_as_root(
        &emulator,
        "ir.model.access",
        row,
        &[("perm_read", true.into())],
    );
    assert!(search(&emulator, SALES, "res.country", &[]).is_ok());
}

/// A table keeps the result of a repeated search, and each user's rules
/// make it another search: neither user gets the other's records.
#[test]
fn kept_searches_differ_by_user() {
    let emulator = emulator();
    for _ in 0..3 {
        assert_eq!(
            search(&emulator, SALES, "res.partner", &[]),
            Ok(ids(&[ADA, DANA]))
        );
        assert_eq!(
            search(&emulator, ADMIN, "res.partner", &[]),
            Ok(ids(&[ADA, BOB, CHEN, DANA]))
        );
    }
}

/// The access memo compares its tables by one pointer while no table
/// changes. A write elsewhere gives the state new tables, and an access
/// row changed after that must still stop granting.
#[test]
fn access_row_change_after_other_write_applies() {
    let emulator = emulator();
    let row = id_named(&emulator, "ir.model.access", "res_country all");
    for _ in 0..2 {
        assert!(search(&emulator, SALES, "res.country", &[]).is_ok());
    }

    write_as_root(
        &emulator,
        "res.partner",
        ADA,
        &[("name", "Ada Lovelace".into())],
    );
    assert!(search(&emulator, SALES, "res.country", &[]).is_ok());

    write_as_root(
        &emulator,
        "ir.model.access",
        row,
        &[("perm_read", false.into())],
    );
    access_error(search(&emulator, SALES, "res.country", &[]));
}

/// A record rule changed or archived applies from the next call.
#[test]
fn rule_changes_apply_to_next_call() {
    let emulator = emulator();
    let rule = id_named(&emulator, "ir.rule", "Contact multi-company");
    for _ in 0..2 {
        assert_eq!(
            search(&emulator, ADMIN, "res.partner", &[context(&[2])]),
            Ok(ids(&[CHEN, DANA]))
        );
    }

    let unset_only = Value::from("[('company_id', '=', False)]");
    write_as_root(&emulator, "ir.rule", rule, &[("domain_force", unset_only)]);
    assert_eq!(
        search(&emulator, ADMIN, "res.partner", &[context(&[2])]),
        Ok(ids(&[DANA]))
    );

    write_as_root(&emulator, "ir.rule", rule, &[("active", false.into())]);
    let Ok(Value::List(found)) = search(&emulator, ADMIN, "res.partner", &[context(&[2])]) else {
        panic!("the search fails");
    };
    for partner in [ADA, BOB, CHEN, DANA] {
        assert!(
            found.contains(&Value::Int(partner)),
            "{partner} in {found:?}"
        );
    }
}

#[test]
fn missing_unlink_right_uses_delete() {
    let emulator = emulator();
    let error = access_error(call(
        &emulator,
        SALES,
        "res.partner",
        "unlink",
        vec![ids(&[ADA])],
        Dict::default(),
    ));
    assert_eq!(
        error.message,
        "You are not allowed to delete 'Contact' (res.partner) records.\n\n\
         This operation is allowed for the following groups:\n\t- Sales Manager\n\n\
         Contact your administrator to request access if necessary."
    );
}

#[test]
fn right_without_any_group_says_so() {
    let emulator = emulator();
    let vals = Value::Dict(kwargs(&[("name", Value::from("Old"))]));
    let error = access_error(call(
        &emulator,
        SALES,
        "res.company",
        "write",
        vec![ids(&[1]), vals],
        Dict::default(),
    ));
    assert_eq!(
        error.message,
        "You are not allowed to modify 'Companies' (res.company) records.\n\n\
         No group currently allows this operation.\n\n\
         Contact your administrator to request access if necessary."
    );
}

#[test]
fn check_access_rights_without_raising_returns_false() {
    let emulator = emulator();
    let allowed = call(
        &emulator,
        SALES,
        "res.partner",
        "check_access_rights",
        vec![Value::from("unlink")],
        kwargs(&[("raise_exception", Value::Bool(false))]),
    );
    assert_eq!(allowed, Ok(Value::Bool(false)));
}

// Odoo 17's `ir.model.access._get_allowed_models` asserts that the mode
// is one of the four operations, whatever the value of
// `raise_exception`. The superuser gets `True` before that check.
#[test]
fn check_access_rights_unknown_mode_asserts() {
    let emulator = emulator();
    let check = |uid: i64| {
        call(
            &emulator,
            uid,
            "res.partner",
            "check_access_rights",
            vec![Value::from("delete")],
            kwargs(&[("raise_exception", Value::Bool(false))]),
        )
    };
    let error = check(SALES).expect_err("an unknown mode");
    assert_eq!(error.kind, ErrorKind::AssertionError);
    assert_eq!(error.message, "Invalid access mode");
    assert_eq!(check(ROOT), Ok(Value::Bool(true)));
}

// Odoo 17's `check_access_rule` returns at once for the superuser. For
// anyone else it calls `ir.rule._compute_domain`, whose `_get_rules`
// raises a ValueError with the mode's repr for a mode that is not one of
// the four operations, even for an empty recordset.
#[test]
fn check_access_rule_unknown_mode_raises() {
    let emulator = emulator();
    let check = |uid: i64, records: &[i64], mode: Value| {
        call(
            &emulator,
            uid,
            "res.partner",
            "check_access_rule",
            vec![ids(records), mode],
            Dict::default(),
        )
    };
    let cases = [
        (Value::from("delete"), "Invalid mode: 'delete'"),
        (Value::from("READ"), "Invalid mode: 'READ'"),
        (Value::Int(1), "Invalid mode: 1"),
    ];
    for (mode, message) in cases {
        for records in [&[ADA][..], &[]] {
            let error = check(SALES, records, mode.clone()).expect_err("an unknown mode");
            assert_eq!(error.kind, ErrorKind::ValueError, "{mode:?} on {records:?}");
            assert_eq!(error.message, message, "{mode:?} on {records:?}");
        }
        assert_eq!(check(ROOT, &[ADA], mode), Ok(Value::None));
    }
    assert_eq!(check(SALES, &[ADA], Value::from("read")), Ok(Value::None));
}

#[test]
fn empty_id_lists_skip_the_checks() {
    let emulator = emulator();
    let empty = Value::List(vec![]);
    let read = call(
        &emulator,
        NOBODY,
        "res.partner",
        "read",
        vec![empty.clone()],
        Dict::default(),
    );
    assert_eq!(read, Ok(Value::List(vec![])));
    let unlinked = call(
        &emulator,
        NOBODY,
        "res.partner",
        "unlink",
        vec![empty],
        Dict::default(),
    );
    assert_eq!(unlinked, Ok(Value::Bool(true)));
}

// ---------------------------------------------------------- deleted records

#[test]
fn unlink_deleted_record_under_rule() {
    let emulator = emulator();
    let error = call(
        &emulator,
        ADMIN,
        "res.partner",
        "unlink",
        vec![ids(&[999])],
        Dict::default(),
    )
    .expect_err("the rule reads company_id of the deleted record");
    assert_eq!(error.kind, ErrorKind::MissingError);
    assert_eq!(
        error.message,
        "Record does not exist or has been deleted.\n(Record: res.partner(999,), User: 2)"
    );
}

#[test]
fn deleted_records_without_rules() {
    let emulator = emulator();
    let unlinked = call(
        &emulator,
        ADMIN,
        "res.country",
        "unlink",
        vec![ids(&[999])],
        Dict::default(),
    );
    assert_eq!(unlinked, Ok(Value::Bool(true)));
    let vals = Value::Dict(kwargs(&[("name", Value::from("Nowhere"))]));
    let error = call(
        &emulator,
        ADMIN,
        "res.country",
        "write",
        vec![ids(&[999]), vals],
        Dict::default(),
    )
    .expect_err("the record is gone");
    assert_eq!(error.kind, ErrorKind::MissingError);
    assert_eq!(
        error.message,
        "One of the records you are trying to modify has already been deleted (Document type: \
         Country).\n\n(Records: (999,), User: 2)"
    );
}

// ---------------------------------------------------------- field groups

#[test]
fn internal_user_gets_the_detailed_field_error() {
    let emulator = emulator();
    let error = access_error(read(
        &emulator,
        SALES,
        "res.partner",
        ADA,
        &["x_internal_score", "name", "credit_limit"],
    ));
    assert_eq!(
        error.message,
        "The requested operation can not be completed due to security restrictions.\n\n\
         Document type: Contact (res.partner)\nOperation: read\nUser: 3\nFields:\n\
         - credit_limit (allowed for groups 'Accountant')\n\
         - x_internal_score (always forbidden)"
    );
}

#[test]
fn portal_user_gets_the_short_field_error() {
    let emulator = emulator();
    let error = access_error(read(&emulator, PORTAL, "res.partner", ADA, &["comment"]));
    assert_eq!(
        error.message,
        "You do not have enough rights to access the fields \"comment\" on Contact \
         (res.partner). Please contact your system administrator.\n\n(Operation: read)"
    );
}

#[test]
fn excluded_group_is_described_as_forbidden() {
    let emulator = emulator();
    let error = access_error(read(&emulator, SALES, "res.partner", ADA, &["x_margin"]));
    assert!(
        error.message.ends_with(
            "Fields:\n- x_margin (allowed for groups 'Accountant'; forbidden for groups 'Salesman')"
        ),
        "{error}"
    );
}

#[test]
fn writing_a_restricted_field_raises() {
    let emulator = emulator();
    let vals = Value::Dict(kwargs(&[("credit_limit", Value::Float(1.0))]));
    let error = access_error(call(
        &emulator,
        SALES,
        "res.partner",
        "write",
        vec![ids(&[ADA]), vals],
        Dict::default(),
    ));
    assert!(
        error.message.contains("\nOperation: write\nUser: 3\n"),
        "{error}"
    );
}

#[test]
fn restricted_fields_hidden_by_default() {
    let emulator = emulator();
    let fields = call(
        &emulator,
        SALES,
        "res.partner",
        "fields_get",
        vec![],
        Dict::default(),
    )
    .expect("fields_get succeeds");
    let fields = fields.as_dict().expect("a dict");
    assert!(fields.contains_key("comment"));
    assert!(!fields.contains_key("credit_limit"));
    assert!(!fields.contains_key("x_internal_score"));
    let rows = call(
        &emulator,
        SALES,
        "res.partner",
        "read",
        vec![ids(&[ADA])],
        Dict::default(),
    )
    .expect("read succeeds");
    let row = rows
        .as_list()
        .and_then(|l| l[0].as_dict())
        .expect("one row");
    assert!(row.contains_key("comment"));
    assert!(!row.contains_key("credit_limit"));
}

#[test]
fn member_of_the_field_group_reads_it() {
    let emulator = emulator();
    let rows =
        read(&emulator, ADMIN, "res.partner", ADA, &["credit_limit"]).expect("read succeeds");
    let row = rows
        .as_list()
        .and_then(|l| l[0].as_dict())
        .expect("one row");
    assert_eq!(row.get("credit_limit"), Some(&Value::Float(500.0)));
}

// ------------------------------------------------------------- companies

#[test]
fn unauthorized_company_raises_where_rules_apply() {
    let emulator = emulator();
    let error = access_error(search(&emulator, ADMIN, "res.partner", &[context(&[1, 9])]));
    assert_eq!(
        error.message,
        "Access to unauthorized or invalid companies."
    );
}

#[test]
fn unauthorized_company_is_ignored_without_rules() {
    let emulator = emulator();
    assert_eq!(
        search(&emulator, SALES, "res.country", &[context(&[9])]),
        Ok(ids(&[1]))
    );
}

#[test]
fn without_context_all_user_companies_are_active() {
    let emulator = emulator();
    assert_eq!(
        search(&emulator, ADMIN, "res.partner", &[]),
        Ok(ids(&[ADA, BOB, CHEN, DANA]))
    );
}

// -------------------------------------------------------- rule expressions

fn evaluate(uid: i64, allowed: Option<&[i64]>, text: &str) -> OdooResult<Value> {
    with_names(uid, allowed, |env, names| {
        rule_expr::evaluate(env, names, text)
    })
}

fn evaluate_domain(uid: i64, allowed: Option<&[i64]>, text: &str) -> OdooResult<Domain> {
    with_names(uid, allowed, |env, names| {
        rule_expr::evaluate_domain(env, names, text)
    })
}

/// Runs `evaluate` on the permissions profile's seed, as `uid` with the
/// companies `allowed` active.
fn with_names<T>(
    uid: i64,
    allowed: Option<&[i64]>,
    evaluate: impl FnOnce(&Env<'_>, &EvalContext) -> OdooResult<T>,
) -> OdooResult<T> {
    let profile = profile();
    let mut state = profile.seed.clone();
    let mut context = Dict::default();
    if let Some(allowed) = allowed {
        context.insert("allowed_company_ids".to_owned(), ids(allowed));
    }
    let env = Env::new(
        &mut state,
        uid,
        context,
        "2024-05-06 07:08:09".to_owned(),
        profile.version,
    );
    let names = EvalContext::for_user(&env)?;
    evaluate(&env, &names)
}

#[test]
fn rule_domain_repeated_follows_companies() {
    let text = "[('company_id', 'in', company_ids)]";
    let expected = |companies: &[i64]| {
        Domain::parse(&Value::from(serde_json::json!([[
            "company_id",
            "in",
            companies
        ]])))
    };
    // Both contexts have company 1 as the current company. The second round
    // reads the domains that the first one kept.
    for _ in 0..2 {
        assert_eq!(evaluate_domain(ADMIN, Some(&[1]), text), expected(&[1]));
        assert_eq!(
            evaluate_domain(ADMIN, Some(&[1, 2]), text),
            expected(&[1, 2])
        );
    }
}

#[test]
fn rule_domain_repeated_follows_user() {
    let text = "[('user_id', '=', user.id)]";
    let expected =
        |user: i64| Domain::parse(&Value::from(serde_json::json!([["user_id", "=", user]])));
    for _ in 0..2 {
        assert_eq!(evaluate_domain(ADMIN, None, text), expected(ADMIN));
        assert_eq!(evaluate_domain(SALES, None, text), expected(SALES));
    }
}

#[test]
fn rule_names_follow_the_user_and_companies() {
    let domain = "[('user_id', '=', user.id), ('company_id', 'in', company_ids + [False]), \
                  ('x', '=', company_id), ('y', 'in', user.company_ids.ids)]";
    let value = evaluate(ADMIN, Some(&[2]), domain).expect("the domain evaluates");
    assert_eq!(
        value,
        Value::from(serde_json::json!([
            ["user_id", "=", 2],
            ["company_id", "in", [2, false]],
            ["x", "=", 2],
            ["y", "in", [1, 2]]
        ]))
    );
}

#[test]
fn rule_company_defaults_to_the_user_companies() {
    let value = evaluate(ADMIN, None, "(company_id, company_ids, user.company_id.id)");
    assert_eq!(value, Ok(Value::from(serde_json::json!([1, [1, 2], 1]))));
}

#[test]
fn rule_time_uses_the_clock() {
    let value = evaluate(SALES, None, "time.strftime('%Y-%m-%d')");
    assert_eq!(value, Ok(Value::from("2024-05-06")));
}

#[test]
fn rule_uid_is_undefined_in_odoo_17() {
    let error = evaluate(SALES, None, "[('user_id', '=', uid)]").expect_err("uid is undefined");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(
        error.message,
        "<class 'NameError'>: \"name 'uid' is not defined\" while evaluating\n\
         \"[('user_id', '=', uid)]\""
    );
}

#[test]
fn rule_unknown_user_field_is_an_attribute_error() {
    let error = evaluate(SALES, None, "[('x', '=', user.employee_id.id)]").expect_err("no field");
    assert!(
        error.message.starts_with(
            "<class 'AttributeError'>: \"'res.users' object has no attribute 'employee_id'\""
        ),
        "{error}"
    );
}

#[test]
fn rule_unsupported_python_is_rejected() {
    let error = evaluate(SALES, None, "[('x', 'in', [c for c in company_ids])]")
        .expect_err("comprehensions are not evaluated");
    assert!(
        error
            .message
            .contains("the keyword \"for\" is not supported"),
        "{error}"
    );
}

#[test]
fn rule_unauthorized_company_raises() {
    let error = evaluate(SALES, Some(&[2]), "[]").expect_err("company 2 is not the user's");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        "Access to unauthorized or invalid companies."
    );
}

/// Writing a related field that is not read-only writes the record it
/// relates to in the caller's environment, as Odoo's `_inverse_related`
/// assigns it, so that record's access right and rules apply. The
/// salesman may write an employee and the email of a manager who is his
/// own contact, but not the email of one who is not.
#[test]
fn related_write_through_checks_the_target() {
    let text = format!(
        "name: related\nextends: {}\ndatabase: permissions\nmodels:\n  x_employee:\n    fields:\n      x_manager_id: {{type: many2one, relation: res.partner, string: Manager}}\n      x_manager_email: {{type: char, string: Manager Email, related: x_manager_id.email, readonly: false}}\n",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/permissions.yaml")
    );
    let profile = Profile::from_yaml("related.yaml", &text).expect("the profile loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("one database");
    let write = |uid: i64, values: &[(&str, Value)]| {
        call(
            &emulator,
            uid,
            "x_employee",
            "write",
            vec![ids(&[1]), Value::Dict(kwargs(values))],
            Dict::default(),
        )
    };
    assert_eq!(
        write(ADMIN, &[("x_manager_id", Value::Int(BOB))]),
        Ok(Value::Bool(true))
    );

    let error = write(SALES, &[("x_manager_email", "boss@example.com".into())])
        .expect_err("Bob is not the salesman's contact");
    assert_eq!(error.kind, ErrorKind::AccessError, "{error:?}");
    let unchanged = call(
        &emulator,
        ADMIN,
        "res.partner",
        "read",
        vec![ids(&[BOB]), names(&["email"])],
        Dict::default(),
    )
    .expect("the administrator reads Bob");
    assert_eq!(
        unchanged.as_list().expect("records")[0]
            .as_dict()
            .expect("a record")["email"],
        Value::Bool(false)
    );

    assert_eq!(
        write(ADMIN, &[("x_manager_id", Value::Int(DANA))]),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        write(SALES, &[("x_manager_email", "dana@example.com".into())]),
        Ok(Value::Bool(true))
    );
}
