//! ORM calls through `Emulator::dispatch_rpc` on the built-in Odoo 17
//! base, without HTTP: the values Odoo 17 returns for each call.

mod support;

use odoo_emulator::orm::write::MAX_X2MANY_DEPTH;
use odoo_emulator::profile::Profile;
use odoo_emulator::service::{Emulator, Protocol};
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};
use support::execute_kw;

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in base loads")
}

fn vals(pairs: &[(&str, Value)]) -> Dict {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn authenticate_returns_admin_uid() {
    let emulator = emulator();
    let params = vec![
        "demo".into(),
        "admin".into(),
        "admin".into(),
        Value::Dict(Dict::default()),
    ];
    let uid = emulator.dispatch_rpc("common", "authenticate", params, Protocol::XmlRpc);
    assert_eq!(uid, Ok(Value::Int(2)));
}

#[test]
fn authenticate_with_wrong_password_returns_false() {
    let emulator = emulator();
    let params = vec![
        "demo".into(),
        "admin".into(),
        "wrong".into(),
        Value::Dict(Dict::default()),
    ];
    let uid = emulator.dispatch_rpc("common", "authenticate", params, Protocol::XmlRpc);
    assert_eq!(uid, Ok(Value::Bool(false)));
}

#[test]
fn create_then_search_read_by_domain() {
    let emulator = emulator();
    let created = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(vals(&[
            ("name", "Ada".into()),
            ("email", "ada@example.com".into()),
        ]))],
        Dict::default(),
    );
    let Ok(Value::Int(id)) = created else {
        panic!("create returned {created:?}")
    };

    let domain = Value::List(vec![Value::List(vec![
        "email".into(),
        "=".into(),
        "ada@example.com".into(),
    ])]);
    let fields = Value::List(vec!["name".into(), "phone".into(), "country_id".into()]);
    let found = execute_kw(
        &emulator,
        "res.partner",
        "search_read",
        vec![domain],
        vals(&[("fields", fields)]),
    )
    .expect("search_read");

    let expected = Value::List(vec![Value::Dict(vals(&[
        ("id", Value::Int(id)),
        ("name", "Ada".into()),
        ("phone", Value::Bool(false)),
        ("country_id", Value::Bool(false)),
    ]))]);
    assert_eq!(found, expected);
}

#[test]
fn missing_required_field_is_a_validation_error() {
    let emulator = emulator();
    let error = execute_kw(
        &emulator,
        "res.users",
        "create",
        vec![Value::Dict(vals(&[("name", "No login".into())]))],
        Dict::default(),
    )
    .expect_err("login is required");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert!(
        error.message.contains("Field: Login (login)"),
        "{}",
        error.message
    );
}

#[test]
fn unknown_field_is_a_value_error() {
    let emulator = emulator();
    let error = execute_kw(
        &emulator,
        "res.partner",
        "read",
        vec![Value::List(vec![Value::Int(1)])],
        vals(&[("fields", Value::List(vec!["nope".into()]))]),
    )
    .expect_err("unknown field");
    assert_eq!(error.message, "Invalid field 'nope' on model 'res.partner'");
}

#[test]
fn many2one_reads_as_id_and_name() {
    let emulator = emulator();
    let domain = Value::List(vec![Value::List(vec![
        "name".into(),
        "=".into(),
        "Azure Interior".into(),
    ])]);
    let found = execute_kw(
        &emulator,
        "res.partner",
        "search_read",
        vec![domain],
        vals(&[("fields", Value::List(vec!["country_id".into()]))]),
    )
    .expect("search_read");
    let country = found
        .as_list()
        .and_then(|l| l.first())
        .and_then(Value::as_dict)
        .and_then(|d| d.get("country_id"))
        .cloned();
    let Some(Value::List(pair)) = country else {
        panic!("{found:?}")
    };
    assert!(matches!(pair[0], Value::Int(_)));
    assert_eq!(pair[1], Value::from("United States"));
}

/// Reads the `country_id` of "Azure Interior" with `read`, passing `load`
/// when it is given.
fn country_read_with_load(load: Option<Value>) -> Value {
    let emulator = emulator();
    let domain = Value::List(vec![Value::List(vec![
        "name".into(),
        "=".into(),
        "Azure Interior".into(),
    ])]);
    let ids = execute_kw(
        &emulator,
        "res.partner",
        "search",
        vec![domain],
        Dict::default(),
    )
    .expect("search");
    let mut kwargs = vals(&[("fields", Value::List(vec!["country_id".into()]))]);
    if let Some(load) = load {
        kwargs.insert("load".to_owned(), load);
    }
    let found = execute_kw(&emulator, "res.partner", "read", vec![ids], kwargs).expect("read");
    found.as_list().expect("a list")[0]
        .as_dict()
        .expect("a dict")["country_id"]
        .clone()
}

/// Odoo 17's `_read_format` shows a many2one's display name only when
/// `load` is `_classic_read`, its default; `None` and other values give
/// the bare id.
#[test]
fn read_load_none_gives_bare_ids() {
    let classic = country_read_with_load(None);
    let Value::List(pair) = &classic else {
        panic!("{classic:?}")
    };
    assert_eq!(pair[1], Value::from("United States"));
    assert_eq!(country_read_with_load(Some(Value::None)), pair[0]);
    assert_eq!(country_read_with_load(Some(Value::from(""))), pair[0]);
    assert_eq!(
        country_read_with_load(Some(Value::from("_classic_read"))),
        classic
    );
}

/// Builds `res.partner` values whose `child_ids` create a contact, nested
/// `levels` deep.
fn nested_contacts(levels: usize) -> Dict {
    let mut vals = vals(&[("name", format!("Level {levels}").into())]);
    for level in (0..levels).rev() {
        let create = Value::List(vec![Value::Int(0), Value::Int(0), Value::Dict(vals)]);
        vals = Dict::from_iter([
            ("name".to_owned(), Value::from(format!("Level {level}"))),
            ("child_ids".to_owned(), Value::List(vec![create])),
        ]);
    }
    vals
}

fn partner_count(emulator: &Emulator) -> Value {
    execute_kw(
        emulator,
        "res.partner",
        "search_count",
        vec![Value::List(Vec::new())],
        Dict::default(),
    )
    .expect("search_count succeeds")
}

#[test]
fn nested_x2many_within_limit_creates_all() {
    let emulator = emulator();
    let before = partner_count(&emulator).as_i64().expect("a count");
    execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(nested_contacts(MAX_X2MANY_DEPTH))],
        Dict::default(),
    )
    .expect("a create nested to the limit succeeds");
    let after = partner_count(&emulator).as_i64().expect("a count");
    assert_eq!(after - before, MAX_X2MANY_DEPTH as i64 + 1);
}

#[test]
fn nested_x2many_past_limit_is_recursion_error() {
    let emulator = emulator();
    let before = partner_count(&emulator);
    let error = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(nested_contacts(MAX_X2MANY_DEPTH + 1))],
        Dict::default(),
    )
    .expect_err("one level more is rejected");
    assert_eq!(error.kind, ErrorKind::RecursionError);
    assert_eq!(error.message, "maximum recursion depth exceeded");
    assert_eq!(partner_count(&emulator), before, "nothing was created");
}

/// Returns the ids of a `search` result.
fn found_ids(found: OdooResult<Value>) -> Vec<i64> {
    match found.expect("search succeeds") {
        Value::List(ids) => ids.iter().map(|id| id.as_i64().expect("an id")).collect(),
        other => panic!("search returned {other:?}"),
    }
}

/// Returns the ids `search` finds on `res.partner` in an order.
fn partner_ids(emulator: &Emulator, order: &str, offset: i64, limit: i64) -> Vec<i64> {
    let kwargs = vals(&[
        ("order", Value::from(order)),
        ("offset", Value::Int(offset)),
        ("limit", Value::Int(limit)),
    ]);
    found_ids(execute_kw(
        emulator,
        "res.partner",
        "search",
        vec![Value::List(Vec::new())],
        kwargs,
    ))
}

fn rename_partner(emulator: &Emulator, id: i64, name: &str) {
    execute_kw(
        emulator,
        "res.partner",
        "write",
        vec![
            Value::List(vec![Value::Int(id)]),
            Value::Dict(vals(&[("name", Value::from(name))])),
        ],
        Dict::default(),
    )
    .expect("write succeeds");
}

/// Searches repeated in one order reuse a sorted list of the table. Each
/// must still see the names the last write left. Odoo 17 orders contacts
/// by `complete_name`, which a write of `name` recomputes.
#[test]
fn repeated_searches_see_each_write() {
    let emulator = emulator();
    let order = "complete_name asc, id desc";
    // A contact without a company, whose complete name is its name.
    let created = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(vals(&[("name", Value::from("Mmm Contact"))]))],
        Dict::default(),
    )
    .expect("create succeeds");
    let moved = created.as_i64().expect("an id");
    let before = partner_ids(&emulator, order, 0, 1000);
    for _ in 0..3 {
        assert_eq!(partner_ids(&emulator, order, 0, 1000), before);
        assert_eq!(partner_ids(&emulator, order, 2, 3), before[2..5]);
    }
    rename_partner(&emulator, moved, "0 First Contact");
    let mut expected = vec![moved];
    expected.extend(before.iter().filter(|id| **id != moved));
    for _ in 0..3 {
        assert_eq!(partner_ids(&emulator, order, 0, 1000), expected);
        assert_eq!(partner_ids(&emulator, order, 1, 2), expected[1..3]);
    }
    rename_partner(&emulator, moved, "Zzz Last Contact");
    for _ in 0..3 {
        assert_eq!(partner_ids(&emulator, "complete_name desc", 0, 1), [moved]);
        assert_ne!(partner_ids(&emulator, order, 0, 1)[0], moved);
    }
}

/// A failed write leaves the table as it was, so the sorted list built
/// before it still gives the same order.
#[test]
fn failed_write_keeps_the_order() {
    let emulator = emulator();
    let order = "name desc, id asc";
    let before = partner_ids(&emulator, order, 0, 1000);
    let _ = partner_ids(&emulator, order, 0, 1000);
    let error = execute_kw(
        &emulator,
        "res.partner",
        "write",
        vec![
            Value::List(vec![Value::Int(before[0])]),
            Value::Dict(vals(&[
                ("name", Value::from("a")),
                ("type", Value::from("no-such-type")),
            ])),
        ],
        Dict::default(),
    );
    assert!(error.is_err(), "an unknown selection key is rejected");
    for _ in 0..3 {
        assert_eq!(partner_ids(&emulator, order, 0, 1000), before);
    }
}

/// Returns the base with a float field on partners that has no digits,
/// as Studio adds one. Odoo 17 rounds a field with digits, and rounding
/// NaN raises, so only such a field can hold NaN.
fn emulator_with_score() -> Emulator {
    let text = "name: scores\nextends: odoo-17\ndatabase: demo\nmodels:\n  res.partner:\n    fields:\n      x_studio_score: {type: float, string: Score}\n";
    let profile = Profile::from_yaml("scores.yaml", text).expect("the profile loads");
    Emulator::from_profiles(vec![(None, profile)]).expect("one database")
}

/// Creates contacts named `name` with the given scores and returns their
/// ids.
fn contacts_at(emulator: &Emulator, name: &str, scores: &[f64]) -> Vec<i64> {
    scores
        .iter()
        .map(|score| {
            let values = vals(&[
                ("name", Value::from(name)),
                ("x_studio_score", Value::Float(*score)),
            ]);
            let created = execute_kw(
                emulator,
                "res.partner",
                "create",
                vec![Value::Dict(values)],
                Dict::default(),
            );
            created.expect("create succeeds").as_i64().expect("an id")
        })
        .collect()
}

fn search_named(emulator: &Emulator, name: &str, extra: Option<Value>, order: &str) -> Vec<i64> {
    let mut domain = vec![Value::List(vec!["name".into(), "=".into(), name.into()])];
    domain.extend(extra);
    found_ids(execute_kw(
        emulator,
        "res.partner",
        "search",
        vec![Value::List(domain)],
        vals(&[("order", Value::from(order))]),
    ))
}

/// PostgreSQL, and so Odoo 17, sorts NaN above every other number and
/// finds it equal to itself. Repeated searches must keep that order when
/// they reuse a sorted list of the whole table.
#[test]
fn nan_sorts_above_every_number() {
    let emulator = emulator_with_score();
    let ids = contacts_at(&emulator, "Float Contact", &[2.0, f64::NAN, 1.0, -0.5]);
    let (two, nan, one, negative) = (ids[0], ids[1], ids[2], ids[3]);
    for _ in 0..3 {
        let ascending = search_named(&emulator, "Float Contact", None, "x_studio_score, id");
        assert_eq!(ascending, [negative, one, two, nan]);
        let descending = search_named(&emulator, "Float Contact", None, "x_studio_score desc");
        assert_eq!(descending, [nan, two, one, negative]);
        // The whole table sorted in that order, which used to panic.
        let all = partner_ids(&emulator, "x_studio_score desc, id", 0, 1000);
        assert_eq!(all[0], nan);
    }
}

#[test]
fn nan_compares_as_postgresql_does() {
    let emulator = emulator_with_score();
    let ids = contacts_at(&emulator, "Float Contact", &[2.0, f64::NAN, 1.0]);
    let (two, nan, one) = (ids[0], ids[1], ids[2]);
    let leaf = |operator: &str, value: f64| {
        let leaf = Value::List(vec![
            "x_studio_score".into(),
            operator.into(),
            Value::Float(value),
        ]);
        search_named(&emulator, "Float Contact", Some(leaf), "id")
    };
    assert_eq!(leaf(">", 1.5), [two, nan]);
    assert_eq!(leaf("<", 1.5), [one]);
    assert_eq!(leaf("=", f64::NAN), [nan]);
    assert_eq!(leaf("<", f64::NAN), [two, one]);
}

/// Returns one field of partner `id`, read as the administrator.
fn read_partner(emulator: &Emulator, id: i64, field: &str) -> Value {
    let read = execute_kw(
        emulator,
        "res.partner",
        "read",
        vec![
            Value::List(vec![Value::Int(id)]),
            Value::List(vec![field.into()]),
        ],
        Dict::default(),
    )
    .expect("read succeeds");
    read.expand_records().as_list().expect("a list")[0]
        .as_dict()
        .expect("a record")[field]
        .clone()
}

/// Writes `values` on partner `id` as the administrator.
fn write_partner(emulator: &Emulator, id: i64, values: &[(&str, Value)]) -> OdooResult<Value> {
    execute_kw(
        emulator,
        "res.partner",
        "write",
        vec![Value::List(vec![Value::Int(id)]), Value::Dict(vals(values))],
        Dict::default(),
    )
}

/// Creates a partner with `values` as the administrator and returns its
/// id.
fn create_partner(emulator: &Emulator, values: &[(&str, Value)]) -> i64 {
    execute_kw(
        emulator,
        "res.partner",
        "create",
        vec![Value::Dict(vals(values))],
        Dict::default(),
    )
    .expect("the partner is created")
    .as_i64()
    .expect("an id")
}

/// Odoo 17 rounds a float field with digits when it is assigned:
/// `partner_latitude` has `digits=(10, 7)`, so the eighth decimal goes,
/// half away from zero. A float field without digits keeps the value.
#[test]
fn float_with_digits_is_rounded() {
    let emulator = emulator_with_score();
    let ids = contacts_at(&emulator, "Rounded", &[0.123_456_789]);
    let id = ids[0];
    let written = write_partner(
        &emulator,
        id,
        &[("partner_latitude", Value::Float(50.123_456_78))],
    );
    assert_eq!(written, Ok(Value::Bool(true)));
    assert_eq!(
        read_partner(&emulator, id, "partner_latitude"),
        Value::Float(50.123_456_8)
    );

    let negative = write_partner(
        &emulator,
        id,
        &[("partner_latitude", Value::from("-4.000000049"))],
    );
    assert_eq!(negative, Ok(Value::Bool(true)));
    assert_eq!(
        read_partner(&emulator, id, "partner_latitude"),
        Value::Float(-4.0)
    );

    assert_eq!(
        read_partner(&emulator, id, "x_studio_score"),
        Value::Float(0.123_456_789)
    );
}

/// Rounding NaN or infinity to a field's digits raises Python's errors
/// from `round()`, and nothing is written.
#[test]
fn float_with_digits_rejects_nan_and_infinity() {
    let emulator = emulator();
    let write = |value: f64| {
        write_partner(&emulator, 1, &[("partner_latitude", Value::Float(value))])
            .expect_err("the value cannot be rounded")
    };
    let nan = write(f64::NAN);
    assert_eq!(nan.kind, ErrorKind::ValueError);
    assert_eq!(nan.message, "cannot convert float NaN to integer");
    let infinity = write(f64::INFINITY);
    assert_eq!(infinity.kind, ErrorKind::OverflowError);
    assert_eq!(infinity.message, "cannot convert float infinity to integer");
    assert_eq!(
        read_partner(&emulator, 1, "partner_latitude"),
        Value::Float(0.0)
    );
}

fn authenticate(emulator: &Emulator, login: &str, password: &str) -> Value {
    let params = vec![
        "demo".into(),
        login.into(),
        password.into(),
        Value::Dict(Dict::default()),
    ];
    emulator
        .dispatch_rpc("common", "authenticate", params, Protocol::XmlRpc)
        .expect("authenticate returns")
}

fn read_password(emulator: &Emulator, uid: i64) -> Value {
    let read = execute_kw(
        emulator,
        "res.users",
        "read",
        vec![
            Value::List(vec![Value::Int(uid)]),
            Value::List(vec!["password".into()]),
        ],
        Dict::default(),
    );
    match read.expect("read succeeds") {
        Value::List(records) => match &records[..] {
            [Value::Dict(record)] => record["password"].clone(),
            other => panic!("read returned {other:?}"),
        },
        other => panic!("read returned {other:?}"),
    }
}

/// Odoo 17 hashes a password written on `res.users` for logins to check
/// and reads it back as an empty string.
#[test]
fn created_user_logs_in_with_password() {
    let emulator = emulator();
    let values = vals(&[
        ("name", Value::from("Sync Robot")),
        ("login", Value::from("robot@example.com")),
        ("password", Value::from("first secret")),
    ]);
    let created = execute_kw(
        &emulator,
        "res.users",
        "create",
        vec![Value::Dict(values)],
        Dict::default(),
    );
    let uid = created.expect("create succeeds").as_i64().expect("an id");
    assert_eq!(
        authenticate(&emulator, "robot@example.com", "first secret"),
        Value::Int(uid)
    );
    assert_eq!(read_password(&emulator, uid), Value::from(""));

    let change = vals(&[("password", Value::from("second secret"))]);
    let args = vec![Value::List(vec![Value::Int(uid)]), Value::Dict(change)];
    execute_kw(&emulator, "res.users", "write", args, Dict::default()).expect("write succeeds");
    assert_eq!(
        authenticate(&emulator, "robot@example.com", "first secret"),
        Value::Bool(false)
    );
    assert_eq!(
        authenticate(&emulator, "robot@example.com", "second secret"),
        Value::Int(uid)
    );
    assert_eq!(read_password(&emulator, uid), Value::from(""));
}

#[test]
fn seeded_user_password_reads_empty() {
    let emulator = emulator();
    assert_eq!(read_password(&emulator, 2), Value::from(""));
}

/// Odoo 17 adds a `LIMIT` clause only for a limit that is not zero, so
/// `limit=0` returns every record.
#[test]
fn zero_limit_means_no_limit() {
    let emulator = emulator();
    let everything = partner_count(&emulator).as_i64().expect("a count") as usize;
    let search = |method: &str| {
        execute_kw(
            &emulator,
            "res.partner",
            method,
            vec![Value::List(Vec::new())],
            vals(&[("limit", Value::Int(0))]),
        )
        .expect("the call succeeds")
    };
    match search("search") {
        Value::List(ids) => assert_eq!(ids.len(), everything),
        other => panic!("search returned {other:?}"),
    }
    assert_eq!(search("search_count"), Value::Int(everything as i64));
    let records = search("search_read").expand_records();
    match records {
        Value::List(records) => assert_eq!(records.len(), everything),
        other => panic!("search_read returned {other:?}"),
    }
}

/// Calls a search method on `res.partner` with keyword arguments.
fn search_partners(
    emulator: &Emulator,
    method: &str,
    domain: Value,
    kwargs: &[(&str, Value)],
) -> OdooResult<Value> {
    execute_kw(emulator, "res.partner", method, vec![domain], vals(kwargs))
}

/// Odoo 17 puts a negative `limit` in the SQL as `LIMIT -1`, and
/// PostgreSQL rejects it with SQLSTATE 2201W. Odoo passes psycopg2's
/// exception on unchanged, and its text ends with libpq's newline.
#[test]
fn negative_limit_raises_postgresql_error() {
    let emulator = emulator();
    for method in ["search", "search_read", "search_count"] {
        let error = search_partners(
            &emulator,
            method,
            Value::List(Vec::new()),
            &[("limit", Value::Int(-1))],
        )
        .expect_err("a negative limit fails");
        assert_eq!(
            error.kind,
            ErrorKind::InvalidRowCountInLimitClause,
            "{method}"
        );
        assert_eq!(error.message, "LIMIT must not be negative\n", "{method}");
    }
}

/// PostgreSQL rejects a negative `OFFSET` with SQLSTATE 2201X, and checks
/// it before `LIMIT`, so a search with both negative raises this one.
#[test]
fn negative_offset_raises_postgresql_error() {
    let emulator = emulator();
    let cases = [
        vec![("offset", Value::Int(-1))],
        vec![("offset", Value::Int(-5)), ("limit", Value::Int(-1))],
        vec![("offset", Value::Int(-1)), ("limit", Value::Int(3))],
    ];
    for method in ["search", "search_read"] {
        for kwargs in &cases {
            let error = search_partners(&emulator, method, Value::List(Vec::new()), kwargs)
                .expect_err("a negative offset fails");
            assert_eq!(
                error.kind,
                ErrorKind::InvalidRowCountInResultOffsetClause,
                "{method} {kwargs:?}"
            );
            assert_eq!(
                error.message, "OFFSET must not be negative\n",
                "{method} {kwargs:?}"
            );
        }
    }
}

/// Odoo 17's `_search` returns no records, without a query, for a domain
/// that `expression.is_false` finds false, such as `id in []`. The order,
/// the limit and the fields of such a domain are then never checked.
#[test]
fn known_false_domain_skips_the_query() {
    let emulator = emulator();
    let empty_in = |field: &str| {
        Value::List(vec![Value::List(vec![
            Value::from(field),
            Value::from("in"),
            Value::List(Vec::new()),
        ])])
    };
    let kwargs = [
        ("limit", Value::Int(-1)),
        ("offset", Value::Int(-1)),
        ("order", Value::from("no_such_field desc")),
    ];
    let found = search_partners(&emulator, "search", empty_in("id"), &kwargs);
    assert_eq!(found, Ok(Value::List(Vec::new())));
    let found = search_partners(&emulator, "search", empty_in("no_such_field"), &kwargs);
    assert_eq!(found, Ok(Value::List(Vec::new())));
    let read = search_partners(&emulator, "search_read", empty_in("id"), &kwargs)
        .expect("search_read succeeds")
        .expand_records();
    assert_eq!(read, Value::List(Vec::new()));
    let counted = search_partners(
        &emulator,
        "search_count",
        empty_in("id"),
        &[("limit", Value::Int(-1))],
    );
    assert_eq!(counted, Ok(Value::Int(0)));
}

/// `is_false` evaluates `!`, `&` and `|` in three-valued logic. A leaf
/// that depends on the data leaves the result unknown, so the query runs
/// and PostgreSQL rejects the negative limit.
#[test]
fn unknown_domain_runs_the_query() {
    let emulator = emulator();
    let leaf = |field: &str, operator: &str, value: Value| {
        Value::List(vec![Value::from(field), Value::from(operator), value])
    };
    let empty = || Value::List(Vec::new());
    let known_false = [
        Value::List(vec![Value::from("!"), leaf("id", "not in", empty())]),
        Value::List(vec![
            Value::from("|"),
            leaf("id", "in", Value::Bool(false)),
            leaf("id", "in", empty()),
        ]),
        Value::List(vec![
            leaf("name", "=", "Ada".into()),
            leaf("id", "in", empty()),
        ]),
    ];
    for domain in known_false {
        let found = search_partners(
            &emulator,
            "search",
            domain.clone(),
            &[("limit", Value::Int(-1))],
        );
        assert_eq!(found, Ok(Value::List(Vec::new())), "{domain:?}");
    }
    let unknown = [
        Value::List(vec![Value::from("!"), leaf("id", "in", empty())]),
        Value::List(vec![
            Value::from("|"),
            leaf("name", "=", "Ada".into()),
            leaf("id", "in", empty()),
        ]),
    ];
    for domain in unknown {
        let error = search_partners(
            &emulator,
            "search",
            domain.clone(),
            &[("limit", Value::Int(-1))],
        )
        .expect_err("the query runs");
        assert_eq!(
            error.kind,
            ErrorKind::InvalidRowCountInLimitClause,
            "{domain:?}"
        );
    }
}

/// `name_search` reaches `_search` with its `limit`: 0 means no limit and a
/// negative one fails in PostgreSQL, as for `search`.
#[test]
fn name_search_limit_reaches_the_query() {
    let emulator = emulator();
    let everything = partner_count(&emulator).as_i64().expect("a count") as usize;
    let name_search = |limit: i64| {
        execute_kw(
            &emulator,
            "res.partner",
            "name_search",
            Vec::new(),
            vals(&[("limit", Value::Int(limit))]),
        )
    };
    match name_search(0) {
        Ok(Value::List(pairs)) => assert_eq!(pairs.len(), everything),
        other => panic!("name_search returned {other:?}"),
    }
    let error = name_search(-1).expect_err("a negative limit fails");
    assert_eq!(error.kind, ErrorKind::InvalidRowCountInLimitClause);
}

/// Ids that are not integers never reach a record silently. Odoo fails on
/// them in SQL, and the emulator raises a clear error instead of
/// returning `True` for a write that changed nothing.
/// Odoo hands an `id` leaf's values to PostgreSQL as they are, and
/// PostgreSQL reads the text `'7'` compared with the integer column as 7,
/// so ids sent as text find their records, as they would on Odoo. Text
/// that is not an integer is an error in both.
#[test]
fn id_leaves_read_text_as_integers() {
    let emulator = emulator();
    let find = |leaf: Value| {
        execute_kw(
            &emulator,
            "res.partner",
            "search",
            vec![Value::List(vec![leaf])],
            vals(&[("order", Value::from("id"))]),
        )
    };
    let search = |leaf: Value| found_ids(find(leaf));
    let leaf =
        |operator: &str, value: Value| Value::List(vec!["id".into(), operator.into(), value]);

    assert_eq!(search(leaf("=", Value::from("7"))), [7]);
    assert_eq!(
        search(leaf("in", Value::List(vec!["7".into(), Value::Int(8)]))),
        [7, 8]
    );
    assert_eq!(
        search(leaf("<=", Value::from(" 3 "))),
        search(leaf("<=", Value::Int(3)))
    );
    assert!(!search(leaf("!=", Value::from("7"))).contains(&7));
    // PostgreSQL rejects such text, and the emulator raises Python's error.
    let error = find(leaf("=", Value::from("seven"))).expect_err("not an integer");
    assert_eq!(error.kind, ErrorKind::ValueError);
}

/// Odoo converts a leaf's value for an integer column with the field's
/// `convert_to_column`, `int(value or 0)`: `'11'` is 11 and `12.9` is 12,
/// and text that is not an integer raises Python's `ValueError`.
#[test]
fn integer_leaves_convert_their_values() {
    let emulator = emulator();
    let created: Vec<i64> = [11, 12]
        .into_iter()
        .map(|color| {
            create_partner(
                &emulator,
                &[("name", "Colour Test".into()), ("color", Value::Int(color))],
            )
        })
        .collect();
    let search = |leaf: Value| {
        let domain = Value::List(vec![
            Value::List(vec!["name".into(), "=".into(), "Colour Test".into()]),
            leaf,
        ]);
        execute_kw(
            &emulator,
            "res.partner",
            "search",
            vec![domain],
            vals(&[("order", Value::from("id"))]),
        )
        .map(|found| found_ids(Ok(found)))
    };
    let leaf =
        |operator: &str, value: Value| Value::List(vec!["color".into(), operator.into(), value]);

    assert_eq!(search(leaf("=", Value::from("11"))), Ok(vec![created[0]]));
    assert_eq!(
        search(leaf(
            "in",
            Value::List(vec![" 11 ".into(), Value::Float(12.9)])
        )),
        Ok(created.clone())
    );
    assert_eq!(search(leaf(">", Value::from("11"))), Ok(vec![created[1]]));
    let error = search(leaf("=", Value::from("eleven"))).expect_err("not an integer");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(
        error.message,
        "invalid literal for int() with base 10: 'eleven'"
    );
}

/// Odoo converts a leaf's value for a float column with
/// `Float.convert_to_column`: `float(value or 0.0)`, rounded to the
/// field's digits. `partner_latitude` has seven digits, so `'50.12345678'`
/// finds the latitude stored as 50.1234568.
#[test]
fn float_leaves_convert_their_values() {
    let emulator = emulator();
    let id = create_partner(
        &emulator,
        &[
            ("name", "Latitude Test".into()),
            ("partner_latitude", Value::Float(50.123_456_8)),
        ],
    );
    let search = |value: Value| {
        let domain = Value::List(vec![
            Value::List(vec!["name".into(), "=".into(), "Latitude Test".into()]),
            Value::List(vec!["partner_latitude".into(), "=".into(), value]),
        ]);
        execute_kw(
            &emulator,
            "res.partner",
            "search",
            vec![domain],
            Dict::default(),
        )
        .map(|found| found_ids(Ok(found)))
    };

    assert_eq!(search(Value::from("50.12345678")), Ok(vec![id]));
    assert_eq!(search(Value::Float(50.123_456_789)), Ok(vec![id]));
    assert_eq!(search(Value::from("50.1")), Ok(Vec::new()));
    let error = search(Value::from("north")).expect_err("not a number");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(error.message, "could not convert string to float: 'north'");
}

/// Odoo 17's sale orders have a `pricelist_id`, and the product module's
/// demo data has the Public Pricelist (`product.list0`), which internal
/// users may read. A pricelist's display name gives its currency.
#[test]
fn orders_take_a_pricelist() {
    let emulator = emulator();
    let pricelists = execute_kw(
        &emulator,
        "product.pricelist",
        "search_read",
        vec![Value::List(Vec::new())],
        vals(&[(
            "fields",
            Value::List(vec!["name".into(), "currency_id".into()]),
        )]),
    )
    .expect("pricelists are readable")
    .expand_records();
    let first = pricelists.as_list().expect("a list")[0]
        .as_dict()
        .expect("a record")
        .clone();
    assert_eq!(first["name"], Value::from("Public Pricelist"));
    let pricelist = first["id"].clone();

    let order = Dict::from_iter([
        ("partner_id".to_owned(), Value::Int(1)),
        ("pricelist_id".to_owned(), pricelist.clone()),
    ]);
    let id = execute_kw(
        &emulator,
        "sale.order",
        "create",
        vec![Value::Dict(order)],
        Dict::default(),
    )
    .expect("the order is created");
    let read = execute_kw(
        &emulator,
        "sale.order",
        "read",
        vec![
            Value::List(vec![id]),
            Value::List(vec!["pricelist_id".into()]),
        ],
        Dict::default(),
    )
    .expect("the order is read")
    .expand_records();
    assert_eq!(
        read.as_list().expect("a list")[0]
            .as_dict()
            .expect("a record")["pricelist_id"],
        Value::List(vec![pricelist, Value::from("Public Pricelist (USD)")])
    );
}

#[test]
fn non_integer_ids_are_rejected() {
    let emulator = emulator();
    let before = partner_count(&emulator);
    let rename = Value::Dict(vals(&[("name", Value::from("Renamed"))]));
    let cases = [
        (
            Value::from("8"),
            ErrorKind::ValueError,
            "Invalid record id '8': record ids are integers",
        ),
        (
            Value::Bool(true),
            ErrorKind::ValueError,
            "Invalid record id True: record ids are integers",
        ),
        (
            Value::Dict(vals(&[("a", Value::Int(1))])),
            ErrorKind::ProgrammingError,
            "can't adapt type 'dict'",
        ),
    ];
    for (id, kind, message) in cases {
        let args = vec![Value::List(vec![id.clone()]), rename.clone()];
        let error = execute_kw(&emulator, "res.partner", "write", args, Dict::default())
            .expect_err("a write on a non-integer id fails");
        assert_eq!(error.kind, kind, "{id:?}");
        assert_eq!(error.message, message, "{id:?}");
        let unlink = execute_kw(
            &emulator,
            "res.partner",
            "unlink",
            vec![Value::List(vec![id.clone()])],
            Dict::default(),
        );
        assert!(unlink.is_err(), "unlink of {id:?} fails");
    }
    assert_eq!(partner_count(&emulator), before, "nothing was deleted");
}

/// `browse` takes any false value as no records, and Odoo's SQL and
/// record cache treat an integral float as the integer id.
#[test]
fn false_and_float_ids_read() {
    let emulator = emulator();
    let read = |ids: Value| {
        let args = vec![ids, Value::List(vec!["id".into()])];
        execute_kw(&emulator, "res.partner", "read", args, Dict::default())
            .expect("read succeeds")
            .expand_records()
    };
    assert_eq!(read(Value::Bool(false)), Value::List(Vec::new()));
    let by_float = read(Value::List(vec![Value::Float(3.0)]));
    let by_int = read(Value::List(vec![Value::Int(3)]));
    assert_eq!(
        by_int,
        Value::List(vec![Value::Dict(vals(&[("id", Value::Int(3))]))])
    );
    assert_eq!(by_float, by_int);
}

/// Reads one record's fields with `read`.
fn read_one(emulator: &Emulator, model: &str, id: i64, fields: &[&str]) -> Dict {
    let fields = Value::List(fields.iter().map(|name| (*name).into()).collect());
    let read = execute_kw(
        emulator,
        model,
        "read",
        vec![Value::List(vec![Value::Int(id)]), fields],
        Dict::default(),
    )
    .expect("read succeeds");
    match read {
        Value::List(mut records) if records.len() == 1 => match records.remove(0) {
            Value::Dict(record) => record,
            other => panic!("read returned {other:?}"),
        },
        other => panic!("read returned {other:?}"),
    }
}

fn create_company(emulator: &Emulator, values: &[(&str, Value)]) -> i64 {
    create_company_in(emulator, values, Dict::default())
}

/// Creates a company with `context` in the call's keyword arguments.
fn create_company_in(emulator: &Emulator, values: &[(&str, Value)], context: Dict) -> i64 {
    let created = execute_kw(
        emulator,
        "res.company",
        "create",
        vec![Value::Dict(vals(values))],
        vals(&[("context", Value::Dict(context))]),
    );
    created.expect("create succeeds").as_i64().expect("an id")
}

/// Returns the id of a many2one read as `[id, name]`.
fn many2one_id(record: &Dict, field: &str) -> Option<i64> {
    match record.get(field) {
        Some(Value::List(pair)) => pair.first().and_then(Value::as_i64),
        _ => None,
    }
}

/// Writes `values` on the records `ids` of `model` as `admin`.
fn write_records(
    emulator: &Emulator,
    model: &str,
    ids: Value,
    values: &[(&str, Value)],
) -> OdooResult<Value> {
    let args = vec![ids, Value::Dict(vals(values))];
    execute_kw(emulator, model, "write", args, Dict::default())
}

const EUR: i64 = 1;
const USD: i64 = 2;

// Odoo 17's `_default_currency_id` reads the currency of the user's own
// company, whatever `allowed_company_ids` selects, and a branch takes
// its parent's currency.
#[test]
fn company_currency_comes_from_user_and_parent() {
    let emulator = emulator();
    let euro = create_company(
        &emulator,
        &[("name", "Euro Co".into()), ("currency_id", Value::Int(EUR))],
    );
    let context = vals(&[(
        "allowed_company_ids",
        Value::List(vec![Value::Int(euro), Value::Int(1)]),
    )]);
    let third = create_company_in(&emulator, &[("name", "Third".into())], context);
    let third = read_one(&emulator, "res.company", third, &["currency_id"]);
    assert_eq!(many2one_id(&third, "currency_id"), Some(USD));

    let branch = create_company(
        &emulator,
        &[
            ("name", "Euro Branch".into()),
            ("parent_id", Value::Int(euro)),
        ],
    );
    let record = read_one(&emulator, "res.company", branch, &["currency_id"]);
    assert_eq!(many2one_id(&record, "currency_id"), Some(EUR));
}

// Odoo 17 creates a company's partner without the context's
// `default_parent_id`, which is meant for the company.
#[test]
fn company_partner_ignores_default_parent() {
    let emulator = emulator();
    let parent = create_company(&emulator, &[("name", "Parent Co".into())]);
    let context = vals(&[("default_parent_id", Value::Int(parent))]);
    let branch = create_company_in(&emulator, &[("name", "Branch Co".into())], context);
    let branch = read_one(
        &emulator,
        "res.company",
        branch,
        &["parent_id", "partner_id"],
    );
    assert_eq!(many2one_id(&branch, "parent_id"), Some(parent));
    let partner = many2one_id(&branch, "partner_id").expect("a partner");
    let partner = read_one(&emulator, "res.partner", partner, &["parent_id"]);
    assert_eq!(partner["parent_id"], Value::Bool(false));
}

// Odoo 17's `res.company.create` creates the partner of a company given
// by name only, from the name and contact values, and the currency
// defaults to the current company's.
#[test]
fn company_create_makes_its_partner() {
    let emulator = emulator();
    let company = create_company(
        &emulator,
        &[
            ("name", "Branch Two".into()),
            ("email", "two@example.com".into()),
        ],
    );
    let record = read_one(
        &emulator,
        "res.company",
        company,
        &["partner_id", "currency_id"],
    );
    let Some(Value::List(partner)) = record.get("partner_id") else {
        panic!("{record:?}")
    };
    assert_eq!(partner[1], Value::from("Branch Two"));
    let partner_id = partner[0].as_i64().expect("a partner id");
    let partner = read_one(
        &emulator,
        "res.partner",
        partner_id,
        &["is_company", "email"],
    );
    assert_eq!(partner["is_company"], Value::Bool(true));
    assert_eq!(partner["email"], Value::from("two@example.com"));
    assert_eq!(
        record["currency_id"],
        Value::List(vec![Value::Int(USD), "USD".into()])
    );
}

// The creating user and the superuser are given the new company, and an
// archived currency chosen for it is activated.
#[test]
fn company_create_links_users_and_currency() {
    let emulator = emulator();
    let gbp = execute_kw(
        &emulator,
        "res.currency",
        "search",
        vec![Value::List(vec![
            Value::List(vec!["name".into(), "=".into(), "GBP".into()]),
            Value::List(vec!["active".into(), "=".into(), false.into()]),
        ])],
        Dict::default(),
    );
    let gbp = match gbp {
        Ok(Value::List(ids)) if ids.len() == 1 => ids[0].as_i64().expect("an id"),
        other => panic!("search returned {other:?}"),
    };
    let company = create_company(
        &emulator,
        &[("name", "London".into()), ("currency_id", Value::Int(gbp))],
    );
    for uid in [1, 2] {
        let user = read_one(&emulator, "res.users", uid, &["company_ids"]);
        let Some(Value::List(companies)) = user.get("company_ids") else {
            panic!("{user:?}")
        };
        assert!(
            companies.contains(&Value::Int(company)),
            "user {uid}: {user:?}"
        );
    }
    let currency = read_one(&emulator, "res.currency", gbp, &["active"]);
    assert_eq!(currency["active"], Value::Bool(true));
}

// A company given its partner keeps it, and no other partner is created.
#[test]
fn company_create_keeps_a_given_partner() {
    let emulator = emulator();
    let before = partner_count(&emulator);
    let partner = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(vals(&[("name", "Own Partner".into())]))],
        Dict::default(),
    )
    .expect("create succeeds");
    let company = create_company(
        &emulator,
        &[
            ("name", "Own Partner".into()),
            ("partner_id", partner.clone()),
        ],
    );
    let record = read_one(&emulator, "res.company", company, &["partner_id"]);
    assert_eq!(
        record["partner_id"],
        Value::List(vec![partner, "Own Partner".into()])
    );
    let Value::Int(before) = before else {
        panic!("{before:?}")
    };
    assert_eq!(partner_count(&emulator), Value::Int(before + 1));
}

// Related fields that are not read-only write through to the record they
// relate to, as Odoo 17's `_inverse_related` does: a company's address
// and name live on its partner.
#[test]
fn company_related_fields_write_its_partner() {
    let emulator = emulator();
    let company = create_company(
        &emulator,
        &[("name", "Related Co".into()), ("city", "Ghent".into())],
    );
    let written = write_records(
        &emulator,
        "res.company",
        Value::List(vec![Value::Int(company)]),
        &[
            ("name", "Renamed Co".into()),
            ("street", "Main Street 1".into()),
        ],
    );
    assert_eq!(written, Ok(Value::Bool(true)));

    let record = read_one(
        &emulator,
        "res.company",
        company,
        &["name", "city", "street", "partner_id"],
    );
    assert_eq!(record["name"], Value::from("Renamed Co"));
    assert_eq!(record["city"], Value::from("Ghent"));
    assert_eq!(record["street"], Value::from("Main Street 1"));
    let partner = many2one_id(&record, "partner_id").expect("a partner");
    let partner = read_one(
        &emulator,
        "res.partner",
        partner,
        &["name", "city", "street"],
    );
    assert_eq!(partner["name"], Value::from("Renamed Co"));
    assert_eq!(partner["city"], Value::from("Ghent"));
    assert_eq!(partner["street"], Value::from("Main Street 1"));
}

// Odoo 17 refuses a branch whose currency differs from its parent's
// (`_check_root_delegated_fields`), and a currency written on a company
// reaches its branches.
#[test]
fn branch_currency_follows_its_parent() {
    let emulator = emulator();
    let parent = create_company(&emulator, &[("name", "Parent Co".into())]);
    let rejected = execute_kw(
        &emulator,
        "res.company",
        "create",
        vec![Value::Dict(vals(&[
            ("name", "Euro Branch".into()),
            ("parent_id", Value::Int(parent)),
            ("currency_id", Value::Int(EUR)),
        ]))],
        Dict::default(),
    );
    let error = rejected.expect_err("a branch in another currency");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert_eq!(
        error.message,
        "The Currency of a subsidiary must be the same as it's root company."
    );

    let branch = create_company(
        &emulator,
        &[
            ("name", "Branch Co".into()),
            ("parent_id", Value::Int(parent)),
        ],
    );
    let written = write_records(
        &emulator,
        "res.company",
        Value::List(vec![Value::Int(parent)]),
        &[("currency_id", Value::Int(EUR))],
    );
    assert_eq!(written, Ok(Value::Bool(true)));
    let record = read_one(&emulator, "res.company", branch, &["currency_id"]);
    assert_eq!(many2one_id(&record, "currency_id"), Some(EUR));
    // A company without a parent has no parent's currency to match.
    let detached = write_records(
        &emulator,
        "res.company",
        Value::List(vec![Value::Int(branch)]),
        &[("parent_id", false.into())],
    );
    assert_eq!(detached, Ok(Value::Bool(true)));
}

/// Searches partners by id as `admin`, and returns the ids found.
fn partners_found(emulator: &Emulator, partner: i64) -> Value {
    let domain = Value::List(vec![Value::List(vec![
        "id".into(),
        "=".into(),
        Value::Int(partner),
    ])]);
    execute_kw(
        emulator,
        "res.partner",
        "search",
        vec![domain],
        Dict::default(),
    )
    .expect("search succeeds")
}

// The multi-company rule is kept between calls for a user whose rules
// read neither `user` nor `time`, as `admin`'s on partners. Changing the
// user's companies or archiving the rule applies from the next call.
#[test]
fn kept_rule_domains_follow_changes() {
    let emulator = emulator();
    let company = create_company(&emulator, &[("name", "Hidden Co".into())]);
    let partner = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(vals(&[
            ("name", "Hidden Partner".into()),
            ("company_id", Value::Int(company)),
        ]))],
        Dict::default(),
    )
    .expect("create succeeds");
    let partner = partner.as_i64().expect("an id");
    let found = Value::List(vec![Value::Int(partner)]);
    let none = Value::List(Vec::new());
    for _ in 0..2 {
        assert_eq!(partners_found(&emulator, partner), found);
    }

    let main_only = Value::List(vec![Value::List(vec![
        Value::Int(6),
        Value::Int(0),
        Value::List(vec![Value::Int(1)]),
    ])]);
    let admin = Value::List(vec![Value::Int(2)]);
    let written = write_records(&emulator, "res.users", admin, &[("company_ids", main_only)]);
    assert_eq!(written, Ok(Value::Bool(true)));
    for _ in 0..2 {
        assert_eq!(partners_found(&emulator, partner), none);
    }

    let rule = execute_kw(
        &emulator,
        "ir.rule",
        "search",
        vec![Value::List(vec![Value::List(vec![
            "name".into(),
            "=".into(),
            "res.partner company".into(),
        ])])],
        Dict::default(),
    )
    .expect("search succeeds");
    let archived = write_records(&emulator, "ir.rule", rule, &[("active", false.into())]);
    assert_eq!(archived, Ok(Value::Bool(true)));
    assert_eq!(partners_found(&emulator, partner), found);
}

/// Odoo 17's `Selection.convert_to_cache` stores a falsy value as unset
/// before it checks the key, so `''` and `0` read back as `False`.
#[rstest::rstest]
#[case::empty_text(Value::from(""))]
#[case::zero(Value::Int(0))]
fn falsy_selection_is_unset(#[case] falsy: Value) {
    let emulator = emulator();
    let created = execute_kw(
        &emulator,
        "res.partner",
        "create",
        vec![Value::Dict(vals(&[
            ("name", Value::from("Falsy Type")),
            ("type", falsy),
        ]))],
        Dict::default(),
    )
    .expect("Odoo 17 accepts a falsy selection value");
    let read = execute_kw(
        &emulator,
        "res.partner",
        "read",
        vec![
            Value::List(vec![created]),
            Value::List(vec![Value::from("type")]),
        ],
        Dict::default(),
    )
    .expect("read")
    .expand_records();
    let Value::List(records) = read else {
        panic!("read returns a list");
    };
    let Some(Value::Dict(record)) = records.first() else {
        panic!("one record");
    };
    assert_eq!(record.get("type"), Some(&Value::Bool(false)));
}

fn count_partners(emulator: &Emulator, domain: Vec<Value>) -> Value {
    execute_kw(
        emulator,
        "res.partner",
        "search_count",
        vec![Value::List(domain)],
        Dict::default(),
    )
    .expect("search_count")
}

fn leaf(field: &str, operator: &str, value: Value) -> Value {
    Value::List(vec![Value::from(field), Value::from(operator), value])
}

/// `sale_order_count` is computed and not stored, with no search method:
/// Odoo 17's domain parser logs "Non-stored field ... cannot be searched."
/// and replaces the leaf by a true one, so the filter is silently ignored.
#[test]
fn unsearchable_field_leaf_is_ignored() {
    let emulator = emulator();
    let never = leaf("sale_order_count", ">", Value::Int(1000));
    assert_eq!(
        count_partners(&emulator, vec![never.clone()]),
        count_partners(&emulator, Vec::new())
    );
    let companies = leaf("is_company", "=", Value::Bool(true));
    assert_eq!(
        count_partners(&emulator, vec![companies.clone(), never.clone()]),
        count_partners(&emulator, vec![companies.clone()])
    );
    let either = vec![Value::from("|"), companies.clone(), never.clone()];
    assert_eq!(
        count_partners(&emulator, either),
        count_partners(&emulator, Vec::new())
    );
    // `distribute_not` first turns `!` and `>` into `<=`, which is ignored
    // too, so the negation also matches every record.
    assert_eq!(
        count_partners(&emulator, vec![Value::from("!"), never]),
        count_partners(&emulator, Vec::new())
    );
    // `=like` has no negation, so the `!` stays over a true leaf.
    let unnegatable = leaf("sale_order_count", "=like", Value::from("1"));
    assert_eq!(
        count_partners(&emulator, vec![Value::from("!"), unnegatable]),
        Value::Int(0)
    );
}

/// Under a `!`, a dotted path that ends in a field Odoo cannot search is
/// negated into a leaf that the subsearch ignores too, so the `!`
/// changes nothing: every order with a customer matches.
#[test]
fn negated_path_to_unsearchable_field_is_ignored() {
    let emulator = emulator();
    let count_orders = |domain: Vec<Value>| {
        execute_kw(
            &emulator,
            "sale.order",
            "search_count",
            vec![Value::List(domain)],
            Dict::default(),
        )
        .expect("search_count")
    };
    let through_customer = leaf("partner_id.sale_order_count", ">", Value::Int(0));
    assert_eq!(
        count_orders(vec![Value::from("!"), through_customer]),
        count_orders(Vec::new())
    );
}

/// A non-stored computed field a model inherits through `_inherits`
/// becomes a leaf on the parent model, which Odoo 17 ignores as well:
/// every user matches `sale_order_count > 1000`.
#[test]
fn inherited_unsearchable_leaf_is_ignored() {
    let emulator = emulator();
    let count_users = |domain: Vec<Value>| {
        let context = Dict::from_iter([("active_test".to_owned(), Value::Bool(false))]);
        execute_kw(
            &emulator,
            "res.users",
            "search_count",
            vec![Value::List(domain)],
            Dict::from_iter([("context".to_owned(), Value::Dict(context))]),
        )
        .expect("search_count")
    };
    assert_eq!(
        count_users(vec![leaf("sale_order_count", ">", Value::Int(1000))]),
        count_users(Vec::new())
    );
}

/// An integer field is an `int4` column in Odoo 17, so PostgreSQL rejects
/// 2**31 when the row is written, and psycopg2's message keeps libpq's
/// trailing newline. 2**31 - 1 still fits.
#[test]
fn integer_beyond_int4_is_out_of_range() {
    let emulator = emulator();
    let write_color = |color: i64| {
        execute_kw(
            &emulator,
            "res.partner",
            "write",
            vec![
                Value::List(vec![Value::Int(1)]),
                Value::Dict(vals(&[("color", Value::Int(color))])),
            ],
            Dict::default(),
        )
    };
    let error = write_color(1 << 31).expect_err("2**31 does not fit int4");
    assert_eq!(error.kind, ErrorKind::NumericValueOutOfRange);
    assert_eq!(error.message, "integer out of range\n");
    assert_eq!(write_color((1 << 31) - 1), Ok(Value::Bool(true)));
}

/// Odoo 17's `uom.uom` CHECK constraints `factor_gt_zero` and
/// `rounding_gt_zero`.
#[rstest::rstest]
#[case::zero_factor(
    "factor",
    0.0,
    "The conversion ratio for a unit of measure cannot be 0!"
)]
#[case::zero_rounding("rounding", 0.0, "The rounding precision must be strictly positive.")]
fn unit_checks_reject(#[case] name: &str, #[case] value: f64, #[case] message: &str) {
    let emulator = emulator();
    let error = execute_kw(
        &emulator,
        "uom.uom",
        "write",
        vec![
            Value::List(vec![Value::Int(2)]),
            Value::Dict(vals(&[(name, Value::Float(value))])),
        ],
        Dict::default(),
    )
    .expect_err("the CHECK fails");
    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert_eq!(
        error.message,
        format!("The operation cannot be completed: {message}")
    );
}

/// Odoo's `copy_data` copies each record once (`__copy_data_seen`), so a
/// one2many marked `copy` whose lines form a cycle ends instead of
/// recursing without end.
#[test]
fn copy_cycle_copies_once() {
    let yaml = "name: tree\nextends: odoo-17\ndatabase: demo\nmodels:\n  x_tree:\n    description: Tree\n    fields:\n      name: {type: char}\n      parent_id: {type: many2one, relation: x_tree}\n      child_ids: {type: one2many, relation: x_tree, inverse: parent_id, copy: true}\naccess:\n  - {name: tree, model: x_tree, read: true, write: true, create: true, unlink: true}\n";
    let profile =
        odoo_emulator::profile::Profile::from_yaml("tree.yaml", yaml).expect("the profile loads");
    let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("an emulator");

    let create = |vals_pairs: &[(&str, Value)]| {
        execute_kw(
            &emulator,
            "x_tree",
            "create",
            vec![Value::Dict(vals(vals_pairs))],
            Dict::default(),
        )
        .expect("create")
    };

    let a = create(&[("name", Value::from("A"))]);
    let b = create(&[("name", Value::from("B")), ("parent_id", a.clone())]);
    execute_kw(
        &emulator,
        "x_tree",
        "write",
        vec![
            Value::List(vec![a.clone()]),
            Value::Dict(vals(&[("parent_id", b)])),
        ],
        Dict::default(),
    )
    .expect("close the cycle");
    execute_kw(
        &emulator,
        "x_tree",
        "copy",
        vec![Value::List(vec![a])],
        Dict::default(),
    )
    .expect("the copy ends");

    let count = execute_kw(
        &emulator,
        "x_tree",
        "search_count",
        vec![Value::List(Vec::new())],
        Dict::default(),
    )
    .expect("search_count");
    assert_eq!(count, Value::Int(4));
}

/// Builds an emulator whose users may edit `x_parent` records but only
/// read their `x_line` lines.
fn read_only_lines() -> Emulator {
    let yaml = "name: lines\nextends: odoo-17\ndatabase: demo\nmodels:\n  x_parent:\n    description: Parent\n    fields:\n      name: {type: char}\n      line_ids: {type: one2many, relation: x_line, inverse: parent_id}\n  x_line:\n    description: Line\n    fields:\n      name: {type: char}\n      parent_id: {type: many2one, relation: x_parent, required: true, ondelete: cascade}\naccess:\n  - {name: parent, model: x_parent, group: base.group_user, read: true, write: true, create: true, unlink: true}\n  - {name: line, model: x_line, group: base.group_user, read: true}\nrecords:\n  x_parent:\n    - {xmlid: lines.parent, name: Parent}\n  x_line:\n    - {xmlid: lines.line, name: Line, parent_id: lines.parent}\n";
    let profile =
        odoo_emulator::profile::Profile::from_yaml("lines.yaml", yaml).expect("the profile loads");
    Emulator::from_profiles(vec![(None, profile)]).expect("an emulator")
}

/// Odoo runs a one2many command as a `create`, `write` or `unlink` of
/// the lines by the caller, so a user who may only read the lines gets
/// Odoo 17's AccessError for each.
#[rstest::rstest]
#[case::create(Value::List(vec![Value::Int(0), Value::Int(0), Value::Dict(vals(&[("name", Value::from("New"))]))]), "create")]
#[case::delete(Value::List(vec![Value::Int(2), Value::Int(1), Value::Bool(false)]), "delete")]
#[case::update(Value::List(vec![Value::Int(1), Value::Int(1), Value::Dict(vals(&[("name", Value::from("Renamed"))]))]), "modify")]
fn line_commands_check_line_rights(#[case] command: Value, #[case] verb: &str) {
    let emulator = read_only_lines();
    let error = execute_kw(
        &emulator,
        "x_parent",
        "write",
        vec![
            Value::List(vec![Value::Int(1)]),
            Value::Dict(vals(&[("line_ids", Value::List(vec![command]))])),
        ],
        Dict::default(),
    )
    .expect_err("the lines are read-only to this user");
    assert_eq!(error.kind, ErrorKind::AccessError);
    assert!(
        error.message.starts_with(&format!(
            "You are not allowed to {verb} 'Line' (x_line) records."
        )),
        "{}",
        error.message
    );
    let lines = execute_kw(
        &emulator,
        "x_line",
        "search_read",
        vec![
            Value::List(Vec::new()),
            Value::List(vec![Value::from("name")]),
        ],
        Dict::default(),
    )
    .expect("search_read")
    .expand_records();
    assert_eq!(
        lines.as_list().map(<[Value]>::len),
        Some(1),
        "nothing changed"
    );
}

/// Odoo 17 stores `int(value or 0)` in an integer field: falsy values are
/// 0, and text is read as Python's `int()` reads it.
#[rstest::rstest]
#[case::empty_text(Value::from(""), 0)]
#[case::empty_list(Value::List(Vec::new()), 0)]
#[case::underscores(Value::from("1_000"), 1000)]
#[case::spaces_and_sign(Value::from(" +7 "), 7)]
fn integer_values_read_as_python_int(#[case] sent: Value, #[case] stored: i64) {
    let emulator = emulator();
    execute_kw(
        &emulator,
        "res.partner",
        "write",
        vec![
            Value::List(vec![Value::Int(1)]),
            Value::Dict(vals(&[("color", sent)])),
        ],
        Dict::default(),
    )
    .expect("Odoo 17 accepts the value");
    let read = execute_kw(
        &emulator,
        "res.partner",
        "read",
        vec![
            Value::List(vec![Value::Int(1)]),
            Value::List(vec![Value::from("color")]),
        ],
        Dict::default(),
    )
    .expect("read")
    .expand_records();
    let Some(Value::Dict(record)) = read.as_list().and_then(<[Value]>::first) else {
        panic!("one record");
    };
    assert_eq!(record.get("color"), Some(&Value::Int(stored)));
}

#[test]
fn misplaced_underscore_is_invalid() {
    let emulator = emulator();
    let error = execute_kw(
        &emulator,
        "res.partner",
        "write",
        vec![
            Value::List(vec![Value::Int(1)]),
            Value::Dict(vals(&[("color", Value::from("1__0"))])),
        ],
        Dict::default(),
    )
    .expect_err("Python's int() rejects a double underscore");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(
        error.message,
        "invalid literal for int() with base 10: '1__0'"
    );
}

/// Odoo's `ensure_one` names the recordset as Python's `repr()` does.
#[test]
fn copy_of_two_records_expects_a_singleton() {
    let emulator = emulator();
    let error = execute_kw(
        &emulator,
        "res.partner",
        "copy",
        vec![Value::List(vec![Value::Int(1), Value::Int(2)])],
        Dict::default(),
    )
    .expect_err("copy takes one record");
    assert_eq!(error.kind, ErrorKind::ValueError);
    assert_eq!(error.message, "Expected singleton: res.partner(1, 2)");
}

/// Groups the partners by country with `limit`.
fn partner_groups(emulator: &Emulator, limit: i64) -> OdooResult<Value> {
    execute_kw(
        emulator,
        "res.partner",
        "read_group",
        vec![
            Value::List(Vec::new()),
            Value::List(vec![Value::from("country_id")]),
            Value::List(vec![Value::from("country_id")]),
        ],
        Dict::from_iter([("limit".to_owned(), Value::Int(limit))]),
    )
}

/// Odoo 17's `_read_group` puts `limit` on the same query as a search:
/// 0 means no limit, and a negative one fails in PostgreSQL.
#[test]
fn read_group_limit_follows_search() {
    let emulator = emulator();
    let all = partner_groups(&emulator, 0).expect("limit 0 groups everything");
    let groups = all.as_list().map(<[Value]>::len).expect("a list of groups");
    assert!(groups > 1, "{groups} groups");
    let first_group = partner_groups(&emulator, 1).expect("limit 1");
    assert_eq!(first_group.as_list().map(<[Value]>::len), Some(1));
    let error = partner_groups(&emulator, -1).expect_err("a negative limit fails");
    assert_eq!(error.kind, ErrorKind::InvalidRowCountInLimitClause);
    assert_eq!(error.message, "LIMIT must not be negative\n");
}
