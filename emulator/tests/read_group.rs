//! `read_group`'s `fields` argument: which fields a bare name aggregates,
//! the `name:function` and `alias:function(field)` forms, and the errors
//! of bad specifications. Each test names the Odoo release whose
//! `odoo/models.py` it follows.

mod support;

use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};
use support::execute_kw;

/// Returns an emulator of the built-in base with `odoo_version` set to
/// `version`.
fn emulator(version: &str) -> Emulator {
    let yaml = format!("name: v\nextends: odoo-17\nodoo_version: \"{version}\"\ndatabase: demo\n");
    let profile = Profile::from_yaml("read-group.yaml", &yaml).expect("the profile loads");
    Emulator::from_profiles(vec![(None, profile)]).expect("one database")
}

fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|item| Value::from(*item)).collect())
}

/// Returns the domain that finds the partners that [`partners`] creates.
fn test_partners() -> Value {
    Value::List(vec![strings(&["ref", "=", "read-group"])])
}

/// Creates three partners: the companies `beta` (color 3, an email, the
/// tags Desk Manufacturers and Office Supplies) and `Alpha` (color 4, no
/// email, no tag), and the person `gamma` (color 5, an email, the tag
/// Services). Returns their ids in that order.
fn partners(emulator: &Emulator) -> [i64; 3] {
    let tags = |names: &[&str]| -> Value {
        let domain = Value::List(vec![Value::List(vec![
            Value::from("name"),
            Value::from("in"),
            strings(names),
        ])]);
        let found = execute_kw(
            emulator,
            "res.partner.category",
            "search",
            vec![domain],
            Dict::default(),
        );
        let ids = found.expect("search the tags");
        assert_eq!(
            ids.as_list().map(<[Value]>::len),
            Some(names.len()),
            "tags {names:?}"
        );
        Value::List(vec![Value::List(vec![Value::Int(6), Value::Int(0), ids])])
    };
    let rows = [
        (
            "beta",
            3,
            Value::from("b@example.com"),
            true,
            tags(&["Desk Manufacturers", "Office Supplies"]),
        ),
        ("Alpha", 4, Value::Bool(false), true, tags(&[])),
        (
            "gamma",
            5,
            Value::from("g@example.com"),
            false,
            tags(&["Services"]),
        ),
    ];
    rows.map(|(name, color, email, is_company, category_id)| {
        let vals = Dict::from_iter([
            ("name".to_owned(), Value::from(name)),
            ("ref".to_owned(), Value::from("read-group")),
            ("color".to_owned(), Value::Int(color)),
            ("email".to_owned(), email),
            ("is_company".to_owned(), Value::Bool(is_company)),
            ("category_id".to_owned(), category_id),
        ]);
        let created = execute_kw(
            emulator,
            "res.partner",
            "create",
            vec![Value::Dict(vals)],
            Dict::default(),
        );
        created.expect("create a partner").as_i64().expect("an id")
    })
}

/// Calls `read_group` on the test partners.
fn read_group(
    emulator: &Emulator,
    fields: &[&str],
    groupby: &[&str],
    lazy: bool,
) -> OdooResult<Vec<Dict>> {
    let kwargs = Dict::from_iter([("lazy".to_owned(), Value::Bool(lazy))]);
    let args = vec![test_partners(), strings(fields), strings(groupby)];
    let groups = execute_kw(emulator, "res.partner", "read_group", args, kwargs)?;
    let groups = groups.as_list().expect("a list of groups");
    Ok(groups
        .iter()
        .map(|group| group.as_dict().expect("a dict").clone())
        .collect())
}

/// Returns the group whose `is_company` is `is_company`.
fn company_group(groups: &[Dict], is_company: bool) -> &Dict {
    groups
        .iter()
        .find(|group| group.get("is_company") == Some(&Value::Bool(is_company)))
        .unwrap_or_else(|| panic!("no group with is_company {is_company} in {groups:?}"))
}

fn keys(group: &Dict) -> Vec<&str> {
    group.keys().map(String::as_str).collect()
}

/// Odoo 17 aggregates a bare name only for a stored field with a group
/// operator, so `sale_order_count` (computed), `name` and `id` are
/// skipped without an error.
#[test]
fn bare_names_skip_fields_without_stored_sum() {
    let emulator = emulator("17.0");
    partners(&emulator);
    let fields = ["color", "sale_order_count", "name", "id", "display_name"];
    let groups = read_group(&emulator, &fields, &["is_company"], true).expect("read_group");
    assert_eq!(groups.len(), 2);
    let companies = company_group(&groups, true);
    assert_eq!(
        keys(companies),
        ["is_company", "is_company_count", "color", "__domain"]
    );
    assert_eq!(companies.get("color"), Some(&Value::Int(7)));
    assert_eq!(companies.get("is_company_count"), Some(&Value::Int(2)));
    let people = company_group(&groups, false);
    assert_eq!(people.get("color"), Some(&Value::Int(5)));
}

/// Odoo 17 compares a bare name with the groupby specifications, and
/// skips it when grouping by it.
#[test]
fn bare_groupby_field_is_not_aggregated() {
    let emulator = emulator("17.0");
    let ids = partners(&emulator);
    let vals = Dict::from_iter([("color".to_owned(), Value::Int(6))]);
    let args = vec![Value::List(ids.map(Value::Int).to_vec()), Value::Dict(vals)];
    execute_kw(&emulator, "res.partner", "write", args, Dict::default()).expect("write");
    let groups = read_group(&emulator, &["color"], &["color"], true).expect("read_group");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].get("color"), Some(&Value::Int(6)));
    assert_eq!(groups[0].get("color_count"), Some(&Value::Int(3)));
}

/// Odoo 17 runs each function as PostgreSQL does: `min` and `max` of
/// text compare in the `C` collation, counts skip `NULL`, and `array_agg`
/// and `recordset` list the rows in id order.
#[test]
fn explicit_functions_aggregate_any_column() {
    let emulator = emulator("17.0");
    let [beta, alpha, gamma] = partners(&emulator);
    let fields = [
        "first:min(name)",
        "last:max(name)",
        "emails:count(email)",
        "colors:count_distinct(color)",
        "all_colors:array_agg(color)",
        "all_emails:array_agg(email)",
        "records:recordset(id)",
        "color:avg",
        "top:max(color)",
        "companies:bool_or(is_company)",
        "all_companies:bool_and(is_company)",
    ];
    let groups = read_group(&emulator, &fields, &[], true).expect("read_group");
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    let expected = [
        ("__count", Value::Int(3)),
        ("first", Value::from("Alpha")),
        ("last", Value::from("gamma")),
        ("emails", Value::Int(2)),
        ("colors", Value::Int(3)),
        (
            "all_colors",
            Value::List(vec![Value::Int(3), Value::Int(4), Value::Int(5)]),
        ),
        (
            "all_emails",
            Value::List(vec![
                Value::from("b@example.com"),
                Value::None,
                Value::from("g@example.com"),
            ]),
        ),
        (
            "records",
            Value::List(vec![Value::Int(beta), Value::Int(alpha), Value::Int(gamma)]),
        ),
        ("color", Value::Float(4.0)),
        ("top", Value::Int(5)),
        ("companies", Value::Bool(true)),
        ("all_companies", Value::Bool(false)),
    ];
    for (key, value) in expected {
        assert_eq!(group.get(key), Some(&value), "{key}");
    }
}

/// Without a groupby, Odoo 17's query returns one row even when no record
/// matches, with a count of 0 and each aggregate's empty value.
#[test]
fn no_groupby_returns_one_empty_group() {
    let emulator = emulator("17.0");
    let fields = [
        "color",
        "emails:count(email)",
        "colors:array_agg(color)",
        "first:min(name)",
    ];
    let groups = read_group(&emulator, &fields, &[], true).expect("read_group");
    assert_eq!(groups.len(), 1);
    let expected = [
        ("__count", Value::Int(0)),
        ("color", Value::Bool(false)),
        ("emails", Value::Int(0)),
        ("colors", Value::List(Vec::new())),
        ("first", Value::Bool(false)),
    ];
    for (key, value) in expected {
        assert_eq!(groups[0].get(key), Some(&value), "{key}");
    }
}

/// Odoo 17 keys its aggregates by output name in a dict, so a later
/// specification replaces an earlier one with the same name.
#[test]
fn later_specification_replaces_same_name() {
    let emulator = emulator("17.0");
    partners(&emulator);
    let groups = read_group(&emulator, &["top:max(color)", "top:min(color)"], &[], true)
        .expect("read_group");
    assert_eq!(keys(&groups[0]), ["__count", "top", "__domain"]);
    assert_eq!(groups[0].get("top"), Some(&Value::Int(3)));
}

/// Odoo 17 names the count after the groupby's field, without its
/// granularity.
#[test]
fn count_key_leaves_out_granularity() {
    let emulator = emulator("17.0");
    partners(&emulator);
    let groups = read_group(&emulator, &["color"], &["create_date:day"], true).expect("read_group");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].get("create_date_count"), Some(&Value::Int(3)));
}

/// Odoo 17's `_field_to_sql` joins a many2many's relation table, so a
/// record counts once per tag in every aggregate of the group.
#[test]
fn many2many_aggregate_joins_links() {
    let emulator = emulator("17.0");
    partners(&emulator);
    let fields = ["tags:count(category_id)", "color"];
    let groups = read_group(&emulator, &fields, &["is_company"], true).expect("read_group");
    let companies = company_group(&groups, true);
    assert_eq!(companies.get("is_company_count"), Some(&Value::Int(3)));
    assert_eq!(companies.get("tags"), Some(&Value::Int(2)));
    assert_eq!(companies.get("color"), Some(&Value::Int(3 + 3 + 4)));
    let people = company_group(&groups, false);
    assert_eq!(people.get("is_company_count"), Some(&Value::Int(1)));
    assert_eq!(people.get("tags"), Some(&Value::Int(1)));
}

/// Asserts that `read_group` with `fields` raises `kind` with `message`.
fn assert_error(emulator: &Emulator, fields: &[&str], kind: ErrorKind, message: &str) {
    let error = read_group(emulator, fields, &["is_company"], true).expect_err(message);
    assert_eq!(error.kind, kind, "{fields:?}");
    assert_eq!(error.message, message, "{fields:?}");
}

/// Odoo 17's `read_group` and `_read_group_select` raise `ValueError`s,
/// and PostgreSQL rejects a function for a type it has no version for.
#[test]
fn bad_specifications_raise_as_odoo_17() {
    let emulator = emulator("17.0");
    let cases = [
        (":sum", ErrorKind::ValueError, "Invalid field specification ':sum'."),
        ("nope", ErrorKind::ValueError, "Invalid field 'nope' on model 'res.partner'"),
        (
            "total:sum(nope)",
            ErrorKind::ValueError,
            "Invalid field 'nope' on model 'res.partner' for 'nope:sum'.",
        ),
        (
            "__count:sum",
            ErrorKind::ValueError,
            "Invalid field '__count' on model 'res.partner' for '__count:sum'.",
        ),
        ("color:median", ErrorKind::ValueError, "Invalid aggregate method 'median' for 'color:median'."),
        (
            "name:recordset",
            ErrorKind::ValueError,
            "Aggregate method 'recordset' can be only used on relational field (or id) (for 'name:recordset').",
        ),
        (
            "sale_order_count:sum",
            ErrorKind::ValueError,
            "Cannot convert field res.partner.sale_order_count to SQL",
        ),
        ("country_code:count", ErrorKind::ValueError, "Cannot convert field res.partner.country_code to SQL"),
        ("name:sum", ErrorKind::UndefinedFunction, "function sum(character varying) does not exist\n"),
        ("is_company:max", ErrorKind::UndefinedFunction, "function max(boolean) does not exist\n"),
        ("color:bool_and", ErrorKind::UndefinedFunction, "function bool_and(integer) does not exist\n"),
        ("date:avg", ErrorKind::UndefinedFunction, "function avg(date) does not exist\n"),
        ("child_ids:count", ErrorKind::UndefinedColumn, "column res_partner.child_ids does not exist\n"),
    ];
    for (spec, kind, message) in cases {
        assert_error(&emulator, &[spec], kind, message);
    }
}

/// Odoo 17 checks every specification before PostgreSQL runs any, so a
/// later unknown function wins over an earlier type error.
#[test]
fn odoo_checks_come_before_postgresql() {
    let emulator = emulator("17.0");
    let message = "Invalid aggregate method 'median' for 'color:median'.";
    assert_error(
        &emulator,
        &["name:sum", "color:median"],
        ErrorKind::ValueError,
        message,
    );
}

/// Odoo 17 checks the read access to the grouped and aggregated fields.
#[test]
fn restricted_field_raises_access_error() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/permissions.yaml"
    );
    let profile = Profile::load(path).expect("the permissions profile loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("one database");
    let portal = 4;
    let args = vec![
        Value::List(Vec::new()),
        strings(&["notes:count(comment)"]),
        strings(&[]),
    ];
    let result = emulator.execute(
        "permissions",
        portal,
        "res.partner",
        "read_group",
        args,
        Dict::default(),
    );
    let error = result.expect_err("the portal user may not read comment");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert_eq!(
        error.message,
        "You do not have enough rights to access the fields \"comment\" on Contact (res.partner). \
         Please contact your system administrator.\n\n(Operation: read)"
    );
}

/// Odoo 16's `_read_group_raw` raised `UserError`s, checked a field before
/// its function and had no `recordset`.
#[test]
fn bad_specifications_raise_as_odoo_16() {
    let emulator = emulator("16.0");
    let cases: [(&[&str], ErrorKind, &str); 7] = [
        (
            &[":sum"],
            ErrorKind::UserError,
            "Invalid field specification ':sum'.",
        ),
        (
            &["total:sum(nope)"],
            ErrorKind::ValueError,
            "Invalid field 'nope' on model 'res.partner'",
        ),
        (
            &["sale_order_count:sum"],
            ErrorKind::UserError,
            "Cannot aggregate field 'sale_order_count'.",
        ),
        (
            &["sale_order_count:median"],
            ErrorKind::UserError,
            "Cannot aggregate field 'sale_order_count'.",
        ),
        (
            &["category_id:count"],
            ErrorKind::UserError,
            "Cannot aggregate field 'category_id'.",
        ),
        (
            &["color:recordset"],
            ErrorKind::UserError,
            "Invalid aggregation function 'recordset'.",
        ),
        (
            &["color", "color:max"],
            ErrorKind::UserError,
            "Output name 'color' is used twice.",
        ),
    ];
    for (fields, kind, message) in cases {
        assert_error(&emulator, fields, kind, message);
    }
}

/// Odoo 16 skipped the name `sequence` and every aggregate of a groupby
/// field. Odoo 17 aggregates `name:function` of a groupby field.
#[test]
fn odoo_16_skips_groupby_fields() {
    let fields = ["sequence", "companies:count(is_company)"];
    let emulator_16 = emulator("16.0");
    partners(&emulator_16);
    let groups = read_group(&emulator_16, &fields, &["is_company"], true).expect("read_group");
    assert_eq!(
        keys(company_group(&groups, true)),
        ["is_company", "is_company_count", "__domain"]
    );

    let emulator_17 = emulator("17.0");
    partners(&emulator_17);
    let error =
        read_group(&emulator_17, &fields, &["is_company"], true).expect_err("no sequence field");
    assert_eq!(
        error.message,
        "Invalid field 'sequence' on model 'res.partner'"
    );
    let groups = read_group(&emulator_17, &fields[1..], &["is_company"], true).expect("read_group");
    assert_eq!(
        company_group(&groups, true).get("companies"),
        Some(&Value::Int(2))
    );
}

/// Odoo 18's `_field_to_sql` joins the path of a related field that is
/// not stored, and reports other unstored fields as not stored.
#[test]
fn odoo_18_aggregates_related_fields() {
    let emulator = emulator("18.0");
    let [beta, _, gamma] = partners(&emulator);
    let belgium = execute_kw(
        &emulator,
        "res.country",
        "search",
        vec![Value::List(vec![strings(&["code", "=", "BE"])])],
        Dict::default(),
    )
    .expect("search Belgium");
    let vals = Dict::from_iter([(
        "country_id".to_owned(),
        belgium.as_list().expect("ids")[0].clone(),
    )]);
    let args = vec![
        Value::List(vec![Value::Int(beta), Value::Int(gamma)]),
        Value::Dict(vals),
    ];
    execute_kw(&emulator, "res.partner", "write", args, Dict::default()).expect("write");

    let groups = read_group(
        &emulator,
        &["codes:count(country_code)", "code:max(country_code)"],
        &[],
        true,
    )
    .expect("read_group");
    assert_eq!(groups[0].get("codes"), Some(&Value::Int(2)));
    assert_eq!(groups[0].get("code"), Some(&Value::from("BE")));

    let not_stored = "Cannot convert res.partner.sale_order_count to SQL because it is not stored";
    assert_error(
        &emulator,
        &["sale_order_count:sum"],
        ErrorKind::ValueError,
        not_stored,
    );
    let not_stored = "Cannot convert res.partner.category_id to SQL because it is not stored";
    assert_error(
        &emulator,
        &["category_id:count"],
        ErrorKind::ValueError,
        not_stored,
    );
}

/// Returns the `fields_get` description of each of `names` on
/// `res.partner`.
fn described(emulator: &Emulator, names: &[&str]) -> Dict {
    let fields = execute_kw(
        emulator,
        "res.partner",
        "fields_get",
        vec![strings(names)],
        Dict::default(),
    )
    .expect("fields_get answers");
    fields.as_dict().expect("a dict of fields").clone()
}

fn description_key<'d>(fields: &'d Dict, field: &str, key: &str) -> Option<&'d Value> {
    fields[field].as_dict().expect("a description").get(key)
}

/// Odoo 17 describes a field's `group_operator` as set, non-stored
/// fields included (`_description_group_operator` reads the attribute),
/// and leaves it out where it is unset, as on `id`.
#[test]
fn fields_get_describes_group_operators_as_odoo_17() {
    let fields = described(
        &emulator("17.0"),
        &["id", "color", "sale_order_count", "name"],
    );
    assert_eq!(description_key(&fields, "id", "group_operator"), None);
    assert_eq!(
        description_key(&fields, "color", "group_operator"),
        Some(&Value::from("sum"))
    );
    assert_eq!(
        description_key(&fields, "sale_order_count", "group_operator"),
        Some(&Value::from("sum"))
    );
    assert_eq!(description_key(&fields, "name", "group_operator"), None);
}

/// Odoo 18 renames the attribute `aggregator`, and `fields_get` reports
/// none for a computed field without a column, which `read_group` cannot
/// aggregate (`_description_aggregator`).
#[test]
fn fields_get_describes_aggregators_as_odoo_18() {
    let fields = described(&emulator("18.0"), &["color", "sale_order_count"]);
    assert_eq!(
        description_key(&fields, "color", "aggregator"),
        Some(&Value::from("sum"))
    );
    assert_eq!(description_key(&fields, "color", "group_operator"), None);
    assert_eq!(
        description_key(&fields, "sale_order_count", "aggregator"),
        None
    );
}

/// Counts the records of `model` that `domain` finds, as a group's
/// `__domain` is meant to be searched.
fn count_in(emulator: &Emulator, model: &str, domain: &Value) -> Value {
    execute_kw(
        emulator,
        model,
        "search_count",
        vec![domain.clone()],
        Dict::default(),
    )
    .expect("search_count answers")
}

/// Calls `read_group` on `model`, with `orderby` when given, and
/// returns the groups.
fn groups_of(
    emulator: &Emulator,
    model: &str,
    domain: Value,
    fields: &[&str],
    groupby: &[&str],
    orderby: Option<Value>,
) -> OdooResult<Vec<Dict>> {
    let kwargs = Dict::from_iter(orderby.map(|orderby| ("orderby".to_owned(), orderby)));
    let args = vec![domain, strings(fields), strings(groupby)];
    let groups = execute_kw(emulator, model, "read_group", args, kwargs)?;
    let groups = groups.as_list().expect("a list of groups");
    Ok(groups
        .iter()
        .map(|group| group.as_dict().expect("a group").clone())
        .collect())
}

/// Returns the value under `key` of each group.
fn column(groups: &[Dict], key: &str) -> Vec<Value> {
    groups.iter().map(|group| group[key].clone()).collect()
}

fn no_domain() -> Value {
    Value::List(vec![])
}

/// Odoo 17's `_read_group_format_result` joins the caller's domain to
/// each group's condition with `expression.AND`, so that searching a
/// group's `__domain` finds exactly its records.
#[test]
fn group_domains_keep_the_callers_domain() {
    let emulator = emulator("17.0");
    let domain = Value::List(vec![strings(&["state", "=", "draft"])]);
    let groups = groups_of(
        &emulator,
        "sale.order",
        domain,
        &["amount_total"],
        &["partner_id"],
        None,
    )
    .expect("read_group runs");

    for group in &groups {
        let partner = group["partner_id"].as_list().expect("a many2one")[0].clone();
        assert_eq!(
            group["__domain"],
            Value::List(vec![
                Value::from("&"),
                strings(&["state", "=", "draft"]),
                Value::List(vec!["partner_id".into(), "=".into(), partner]),
            ])
        );
        let found = count_in(&emulator, "sale.order", &group["__domain"]);
        assert_eq!(found, group["partner_id_count"]);
    }
}

/// A date or datetime group selects its period, `>=` its first instant and
/// `<` the next period's, and names the same bounds in `__range`, as
/// Odoo 17 does for the UTC day boundaries of a datetime field.
#[test]
fn date_groups_select_their_period() {
    let emulator = emulator("17.0");
    let groups = groups_of(
        &emulator,
        "sale.order",
        no_domain(),
        &["amount_total"],
        &["date_order:month"],
        None,
    )
    .expect("read_group runs");
    let group = &groups[0];

    assert_eq!(group["date_order:month"], Value::from("January 2024"));
    assert_eq!(
        group["__domain"],
        Value::List(vec![
            Value::from("&"),
            strings(&["date_order", ">=", "2024-01-01 00:00:00"]),
            strings(&["date_order", "<", "2024-02-01 00:00:00"]),
        ])
    );
    let range = Dict::from_iter([
        ("from".to_owned(), Value::from("2024-01-01 00:00:00")),
        ("to".to_owned(), Value::from("2024-02-01 00:00:00")),
    ]);
    assert_eq!(
        group["__range"],
        Value::Dict(Dict::from_iter([(
            "date_order:month".to_owned(),
            Value::Dict(range)
        )]))
    );
    let found = count_in(&emulator, "sale.order", &group["__domain"]);
    assert_eq!(found, group["date_order_count"]);
}

/// Odoo 17 joins a many2many groupby's relation table, so a contact falls
/// in the group of each of its tags, and those without a tag in a `False`
/// group whose `__domain` excludes the other groups' tags.
#[test]
fn many2many_groupby_gives_a_group_per_linked_record() {
    let emulator = emulator("17.0");
    let groups = groups_of(
        &emulator,
        "res.partner",
        no_domain(),
        &[],
        &["category_id"],
        None,
    )
    .expect("read_group runs");

    let mut tags = Vec::new();
    for group in &groups {
        let found = count_in(&emulator, "res.partner", &group["__domain"]);
        assert_eq!(found, group["category_id_count"], "{group:?}");
        match &group["category_id"] {
            Value::List(tag) => tags.push(tag[0].clone()),
            other => {
                assert_eq!(other, &Value::Bool(false));
                assert_eq!(
                    group["__domain"],
                    Value::List(vec![Value::List(vec![
                        "category_id".into(),
                        "not in".into(),
                        Value::List(tags.clone()),
                    ])])
                );
            }
        }
    }
    assert!(tags.len() > 1, "the base has several tags in use: {tags:?}");
    assert_eq!(
        groups.len(),
        tags.len() + 1,
        "one group per tag and one without"
    );
}

/// Returns the partner names of `sale.order` groups by partner, in the
/// order `read_group` gives them for `orderby` (`False` for none).
fn partners_in_order(emulator: &Emulator, orderby: Value) -> OdooResult<Vec<Value>> {
    let groups = groups_of(
        emulator,
        "sale.order",
        no_domain(),
        &["amount_total"],
        &["partner_id"],
        Some(orderby),
    )?;
    Ok(column(&groups, "partner_id")
        .iter()
        .map(|partner| partner.as_list().expect("a partner")[1].clone())
        .collect())
}

/// Odoo 17 orders groups by `orderby`, after rewriting an aggregate's
/// output name to its `field:function`, and without one by the groupbys,
/// a many2one in its comodel's `_order` (`res.partner` by
/// `complete_name`). A term that is neither raises `ValueError`.
#[test]
fn groups_follow_orderby_as_odoo_17() {
    let emulator = emulator("17.0");
    let by_name = partners_in_order(&emulator, Value::Bool(false)).expect("read_group runs");
    let mut sorted = by_name.clone();
    sorted.sort_by_key(|name| name.as_str().unwrap_or_default().to_owned());
    assert_eq!(by_name, sorted, "a many2one groups in its comodel's order");

    let descending =
        partners_in_order(&emulator, Value::from("partner_id desc")).expect("read_group runs");
    let reversed: Vec<Value> = by_name.iter().rev().cloned().collect();
    assert_eq!(descending, reversed);

    let by_total = groups_of(
        &emulator,
        "sale.order",
        no_domain(),
        &["amount_total"],
        &["partner_id"],
        Some(Value::from("amount_total desc")),
    )
    .expect("read_group runs");
    let totals: Vec<f64> = column(&by_total, "amount_total")
        .iter()
        .map(|total| total.as_f64().expect("a sum"))
        .collect();
    assert!(
        totals.windows(2).all(|pair| pair[0] >= pair[1]),
        "{totals:?}"
    );

    let error = partners_in_order(&emulator, Value::from("bogus desc")).expect_err("no such term");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(
        error.message,
        "Order term 'bogus desc' is not a valid aggregate nor valid groupby"
    );
    let error =
        partners_in_order(&emulator, Value::from("partner_id sideways")).expect_err("bad syntax");
    assert_eq!(
        error.message,
        "Invalid order 'partner_id sideways' for _read_group()"
    );
}

/// Groups `sale.order` by `groupby`, without aggregates.
fn group_orders(emulator: &Emulator, groupby: &str) -> OdooResult<Vec<Dict>> {
    groups_of(emulator, "sale.order", no_domain(), &[], &[groupby], None)
}

/// Odoo 17 checks each groupby with `parse_read_group_spec`, then after
/// the search with `_read_group_groupby` and `_field_to_sql`.
#[test]
fn bad_groupbys_raise_as_odoo_17() {
    let emulator = emulator("17.0");
    let cases = [
        (
            "date_order:fortnight",
            "Granularity specification isn't correct: 'fortnight'",
        ),
        (
            "partner_id:day",
            "Granularity set on a no-datetime field or property: 'partner_id:day'",
        ),
        (
            "invoice_count",
            "Cannot convert field sale.order.invoice_count to SQL",
        ),
        (
            "partner_id.name",
            "Property name 'name' has to be used on a property field.",
        ),
    ];
    for (groupby, message) in cases {
        let error = group_orders(&emulator, groupby).expect_err(groupby);
        assert_eq!(error.kind, ErrorKind::ValueError, "{groupby}");
        assert_eq!(error.message, message, "{groupby}");
    }

    let error = group_orders(&emulator, "date_order:").expect_err("an empty granularity");
    assert!(
        error
            .message
            .starts_with("Invalid aggregate/groupby specification 'date_order:'.\n"),
        "{}",
        error.message
    );
}

/// The `hour` granularity groups datetimes by hour, labelled as Babel's
/// `hh:00 dd MMM` writes it (a 12-hour clock), and selects the hour.
#[test]
fn hour_groups_select_their_hour() {
    let emulator = emulator("17.0");
    let groups = group_orders(&emulator, "date_order:hour").expect("read_group runs");
    let group = &groups[0];
    let label = group["date_order:hour"].as_str().expect("a label");
    let range = group["__range"].as_dict().expect("a range")["date_order:hour"]
        .as_dict()
        .expect("bounds");
    let from = range["from"].as_str().expect("a start");

    assert!(from.ends_with(":00:00"), "{from}");
    let hour: u32 = from[11..13].parse().expect("an hour");
    let label_hour: u32 = label[..2].parse().expect("an hour");
    assert_eq!(label_hour, (hour + 11) % 12 + 1);
    let found = count_in(&emulator, "sale.order", &group["__domain"]);
    assert_eq!(found, group["date_order_count"]);
}

/// Odoo 17 turns an `id` group's value into a record, which
/// `_read_group_format_result` writes as `(id, display_name)`.
#[test]
fn id_groups_read_as_records() {
    let emulator = emulator("17.0");
    let domain = Value::List(vec![Value::List(vec![
        "id".into(),
        "=".into(),
        Value::Int(1),
    ])]);
    let groups =
        groups_of(&emulator, "sale.order", domain, &[], &["id"], None).expect("read_group runs");
    let records = execute_kw(
        &emulator,
        "sale.order",
        "read",
        vec![Value::List(vec![Value::Int(1)]), strings(&["display_name"])],
        Dict::default(),
    )
    .expect("read runs");
    let name = records.as_list().expect("records")[0]
        .as_dict()
        .expect("a record")["display_name"]
        .clone();

    assert_eq!(groups[0]["id"], Value::List(vec![Value::Int(1), name]));
}

/// PostgreSQL sorts `false` before `true`, and a `bool_or` aggregate is a
/// value to sort by, not an unset one.
#[test]
fn boolean_aggregates_sort_false_first() {
    let emulator = emulator("17.0");
    let groups = groups_of(
        &emulator,
        "res.partner",
        no_domain(),
        &["any:bool_or(is_company)"],
        &["is_company"],
        Some(Value::from("any")),
    )
    .expect("read_group runs");

    assert_eq!(
        column(&groups, "any"),
        [Value::Bool(false), Value::Bool(true)]
    );
}

/// `product.product`'s `_order` starts with `priority desc`, and Odoo
/// orders a many2one group through a join on the comodel, so the group of
/// lines without a product, whose joined columns are `NULL`, comes first,
/// as PostgreSQL puts `NULL`s first when descending.
#[test]
fn unset_many2one_group_follows_the_comodel_order() {
    let emulator = emulator("17.0");
    let orders = execute_kw(
        &emulator,
        "sale.order",
        "search",
        vec![no_domain()],
        Dict::default(),
    )
    .expect("orders");
    let order = orders.as_list().expect("ids")[0].clone();
    let section = Dict::from_iter([
        ("order_id".to_owned(), order),
        ("display_type".to_owned(), Value::from("line_section")),
        ("name".to_owned(), Value::from("Section")),
    ]);
    execute_kw(
        &emulator,
        "sale.order.line",
        "create",
        vec![Value::Dict(section)],
        Dict::default(),
    )
    .expect("a section line");

    let products = |orderby: &str| -> Vec<Value> {
        let groups = groups_of(
            &emulator,
            "sale.order.line",
            no_domain(),
            &[],
            &["product_id"],
            Some(Value::from(orderby)),
        )
        .expect("read_group runs");
        column(&groups, "product_id")
    };
    let ascending = products("product_id");
    assert_eq!(
        ascending.first(),
        Some(&Value::Bool(false)),
        "{ascending:?}"
    );
    let descending = products("product_id desc");
    assert_eq!(
        descending.last(),
        Some(&Value::Bool(false)),
        "{descending:?}"
    );
}

/// Odoo 17 matches `orderby` with `regex_order` (names in any case, one
/// space inside `nulls first`), then looks the term up among the groupbys
/// and aggregates as written, and calls `split` on any true `orderby`.
#[test]
fn orderby_is_read_as_odoo_17_reads_it() {
    let emulator = emulator("17.0");
    let message = |orderby: Value| {
        partners_in_order(&emulator, orderby)
            .expect_err("a bad orderby")
            .message
    };
    assert_eq!(
        message(Value::from("PARTNER_ID desc")),
        "Order term 'PARTNER_ID desc' is not a valid aggregate nor valid groupby"
    );
    assert_eq!(
        message(Value::from("\"partner_id\" desc")),
        "Order term '\"partner_id\" desc' is not a valid aggregate nor valid groupby"
    );
    assert_eq!(
        message(Value::from("partner_id desc nulls   last")),
        "Invalid order 'partner_id desc nulls   last' for _read_group()"
    );
    let error = partners_in_order(&emulator, strings(&["partner_id"])).expect_err("a list");
    assert_eq!(error.kind, ErrorKind::AttributeError);
    assert_eq!(error.message, "'list' object has no attribute 'split'");
    let upper = partners_in_order(&emulator, Value::from("partner_id DESC NULLS LAST"))
        .expect("keywords in any case");
    let lower = partners_in_order(&emulator, Value::from("partner_id desc")).expect("lower case");
    assert_eq!(upper, lower);
}

/// Creates a sale order at `date_order` (UTC) for the first partner, with
/// `reference` as its customer reference, and returns its id.
fn order_at(emulator: &Emulator, date_order: &str, reference: &str) -> i64 {
    let values = Dict::from_iter([
        ("partner_id".to_owned(), Value::Int(1)),
        ("date_order".to_owned(), Value::from(date_order)),
        ("client_order_ref".to_owned(), Value::from(reference)),
    ]);
    execute_kw(
        emulator,
        "sale.order",
        "create",
        vec![Value::Dict(values)],
        Dict::default(),
    )
    .expect("the order is created")
    .as_i64()
    .expect("an id")
}

/// Calls `read_group` on the orders whose customer reference is
/// `reference`, grouped by `groupby`, with `tz` in the context.
fn order_groups(
    emulator: &Emulator,
    reference: &str,
    groupby: &str,
    tz: Option<&str>,
) -> Vec<Dict> {
    let domain = Value::List(vec![strings(&["client_order_ref", "=", reference])]);
    let context = Dict::from_iter(tz.map(|tz| ("tz".to_owned(), Value::from(tz))));
    let kwargs = Dict::from_iter([("context".to_owned(), Value::Dict(context))]);
    let args = vec![domain, strings(&["amount_total"]), strings(&[groupby])];
    let groups =
        execute_kw(emulator, "sale.order", "read_group", args, kwargs).expect("read_group runs");
    groups
        .as_list()
        .expect("a list of groups")
        .iter()
        .map(|group| group.as_dict().expect("a group").clone())
        .collect()
}

fn range(groupby: &str, from: &str, to: &str) -> Value {
    let bounds = Dict::from_iter([
        ("from".to_owned(), Value::from(from)),
        ("to".to_owned(), Value::from(to)),
    ]);
    Value::Dict(Dict::from_iter([(groupby.to_owned(), Value::Dict(bounds))]))
}

/// Odoo 17 converts a datetime column to the context's `tz` before
/// truncating it, and gives `__range` in UTC. In New York, 03:00 UTC on
/// 1 March 2024 is still February, and April starts at 04:00 UTC, since
/// the clocks went forward on 10 March. An unknown `tz` groups in UTC.
#[test]
fn datetime_groups_follow_the_context_tz() {
    let emulator = emulator("17.0");
    order_at(&emulator, "2024-03-01 03:00:00", "tz-groups");
    order_at(&emulator, "2024-03-01 06:00:00", "tz-groups");

    let groups = order_groups(
        &emulator,
        "tz-groups",
        "date_order:month",
        Some("America/New_York"),
    );
    let labels = column(&groups, "date_order:month");
    assert_eq!(
        labels,
        [Value::from("February 2024"), Value::from("March 2024")]
    );
    assert_eq!(
        groups[0]["__range"],
        range(
            "date_order:month",
            "2024-02-01 05:00:00",
            "2024-03-01 05:00:00"
        )
    );
    assert_eq!(
        groups[1]["__range"],
        range(
            "date_order:month",
            "2024-03-01 05:00:00",
            "2024-04-01 04:00:00"
        )
    );
    for group in &groups {
        assert_eq!(group["date_order_count"], Value::Int(1));
        let found = count_in(&emulator, "sale.order", &group["__domain"]);
        assert_eq!(found, Value::Int(1), "{:?}", group["__domain"]);
    }

    for tz in [None, Some("Mars/Olympus_Mons")] {
        let groups = order_groups(&emulator, "tz-groups", "date_order:month", tz);
        assert_eq!(
            column(&groups, "date_order:month"),
            [Value::from("March 2024")]
        );
        assert_eq!(groups[0]["date_order_count"], Value::Int(2));
    }
}

/// `en_US` weeks start on Sunday (`res.lang.week_start` is 7), and Odoo's
/// `date_utils.weeknumber` makes week 1 the one that contains January 1st: the
/// week from Sunday 31 December 2023 is `W1 2024`.
#[test]
fn weeks_start_on_sunday() {
    let emulator = emulator("17.0");
    for at in [
        "2023-12-31 10:00:00",
        "2024-01-06 10:00:00",
        "2024-01-07 10:00:00",
    ] {
        order_at(&emulator, at, "week-groups");
    }

    let groups = order_groups(&emulator, "week-groups", "date_order:week", None);
    assert_eq!(
        column(&groups, "date_order:week"),
        [Value::from("W1 2024"), Value::from("W2 2024")]
    );
    assert_eq!(
        column(&groups, "date_order_count"),
        [Value::Int(2), Value::Int(1)]
    );
    assert_eq!(
        groups[0]["__range"],
        range(
            "date_order:week",
            "2023-12-31 00:00:00",
            "2024-01-07 00:00:00"
        )
    );
}
