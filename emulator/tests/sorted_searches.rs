//! Searches that reuse a table's memos against searches that compute
//! afresh.
//!
//! A table keeps its ids sorted in the orders earlier searches used, the
//! ids that passed their implicit filters (the `active` leaf and the
//! record rules) and the whole results of earlier searches. A search of
//! an unchanged table takes its records from those. Two emulators run
//! the same creates, writes and unlinks here. The first repeats every search, so its memos are built and used.
//! The second writes a record before every search, so each of its
//! searches meets a new version of the rows, sorts and filters. Both must
//! return the same ids. The steps also move partners between companies,
//! change the searching user's companies and the companies' hierarchy,
//! which change the multi-company rule's outcome without a write to the
//! partners.

mod support;

use odoo_emulator::control::InstanceChange;
use odoo_emulator::service::Emulator;
use odoo_emulator::{Dict, OdooResult, Value};
use proptest::prelude::*;
use support::execute_kw;

/// Orders on `res.partner`: the row's own columns, `id`, and a many2one,
/// which always sorts without the list.
const ORDERS: &[&str] = &[
    "complete_name asc, id desc",
    "name",
    "name desc, id",
    "email desc nulls last",
    "city, name desc",
    "id desc",
    "parent_id, name",
    "partner_latitude, id",
    "partner_latitude desc",
];

/// Latitudes to store, with NaN, which PostgreSQL sorts above every number.
const LATITUDES: &[f64] = &[1.5, -2.0, 0.0, -0.0, f64::NAN];

const NAMES: &[&str] = &["Alpha", "beta", "Gamma", "alpha", "Zeta", "éclair", ""];

#[derive(Debug, Clone)]
enum Step {
    Search {
        order: usize,
        offset: i64,
        limit: i64,
        companies_only: bool,
    },
    Create {
        name: usize,
    },
    Rename {
        partner: usize,
        name: usize,
    },
    Archive {
        partner: usize,
    },
    Locate {
        partner: usize,
        latitude: usize,
    },
    Unlink {
        partner: usize,
    },
    /// Sets a partner's company: none, the main one or the second one.
    Assign {
        partner: usize,
        company: usize,
    },
    /// Lets the searching user work in the second company, or not.
    Allow {
        second: bool,
    },
    /// Puts the second company under the main one, or on its own.
    Nest {
        nested: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..ORDERS.len(), 0..4i64, 1..40i64, any::<bool>()).prop_map(
            |(order, offset, limit, companies_only)| Step::Search {
                order,
                offset,
                limit,
                companies_only,
            }
        ),
        1 => (0..NAMES.len()).prop_map(|name| Step::Create { name }),
        2 => (any::<usize>(), 0..NAMES.len()).prop_map(|(partner, name)| Step::Rename { partner, name }),
        1 => any::<usize>().prop_map(|partner| Step::Archive { partner }),
        2 => (any::<usize>(), 0..LATITUDES.len())
            .prop_map(|(partner, latitude)| Step::Locate { partner, latitude }),
        1 => any::<usize>().prop_map(|partner| Step::Unlink { partner }),
        2 => (any::<usize>(), 0..3usize)
            .prop_map(|(partner, company)| Step::Assign { partner, company }),
        2 => any::<bool>().prop_map(|second| Step::Allow { second }),
        1 => any::<bool>().prop_map(|nested| Step::Nest { nested }),
    ]
}

fn call(emulator: &Emulator, method: &str, args: Vec<Value>, kwargs: Dict) -> OdooResult<Value> {
    execute_kw(emulator, "res.partner", method, args, kwargs)
}

fn dict(pairs: &[(&str, Value)]) -> Dict {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect()
}

fn ids_of(value: OdooResult<Value>) -> Vec<i64> {
    match value {
        Ok(Value::List(ids)) => ids.iter().map(|id| id.as_i64().expect("an id")).collect(),
        other => panic!("search returned {other:?}"),
    }
}

fn search(
    emulator: &Emulator,
    order: &str,
    offset: i64,
    limit: i64,
    companies_only: bool,
) -> Vec<i64> {
    let domain = if companies_only {
        vec![Value::List(vec![
            "is_company".into(),
            "=".into(),
            true.into(),
        ])]
    } else {
        Vec::new()
    };
    let kwargs = dict(&[
        ("order", order.into()),
        ("offset", Value::Int(offset)),
        ("limit", Value::Int(limit)),
    ]);
    ids_of(call(emulator, "search", vec![Value::List(domain)], kwargs))
}

/// Runs a write on both emulators and checks that they agree on its
/// outcome.
fn write_both(emulators: [&Emulator; 2], method: &str, args: Vec<Value>) {
    let [warm, cold] = emulators;
    let warm_result = call(warm, method, args.clone(), Dict::default());
    let cold_result = call(cold, method, args, Dict::default());
    assert_eq!(warm_result, cold_result, "{method} differs");
}

/// Writes `values` on one record of `model` in both emulators, which
/// must succeed.
fn write_record(emulators: [&Emulator; 2], model: &str, id: i64, values: &[(&str, Value)]) {
    let args = vec![Value::List(vec![Value::Int(id)]), Value::Dict(dict(values))];
    for emulator in emulators {
        let result = execute_kw(emulator, model, "write", args.clone(), Dict::default());
        assert_eq!(result, Ok(Value::Bool(true)), "{model}.write failed");
    }
}

fn run(steps: &[Step]) {
    let warm = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let cold = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    // The record the cold emulator writes before each search. Its comment
    // is in no order, so the write changes which version is searched and
    // nothing else.
    let marker_values = vec![Value::Dict(dict(&[("name", "Marker".into())]))];
    let marker = call(&cold, "create", marker_values.clone(), Dict::default());
    let marker = marker.expect("create succeeds").as_i64().expect("an id");
    call(&warm, "create", marker_values, Dict::default()).expect("create succeeds");
    let company_values = vec![Value::Dict(dict(&[("name", "Second Company".into())]))];
    let second_company = execute_kw(
        &warm,
        "res.company",
        "create",
        company_values.clone(),
        Dict::default(),
    );
    let second_company = second_company
        .expect("create succeeds")
        .as_i64()
        .expect("an id");
    let cold_company = execute_kw(
        &cold,
        "res.company",
        "create",
        company_values,
        Dict::default(),
    );
    assert_eq!(cold_company, Ok(Value::Int(second_company)));
    let mut partners = search(&warm, "id", 0, 1000, false);
    partners.retain(|id| *id != marker);

    for (number, step) in steps.iter().enumerate() {
        let pick = |index: usize| partners[index % partners.len()];
        match step {
            Step::Search {
                order,
                offset,
                limit,
                companies_only,
            } => {
                let order = ORDERS[*order];
                let first = search(&warm, order, *offset, *limit, *companies_only);
                for _ in 0..2 {
                    let again = search(&warm, order, *offset, *limit, *companies_only);
                    assert_eq!(again, first, "step {number}: a repeated search differs");
                }
                let comment = Value::from(format!("before step {number}"));
                call(
                    &cold,
                    "write",
                    vec![
                        Value::List(vec![Value::Int(marker)]),
                        Value::Dict(dict(&[("comment", comment)])),
                    ],
                    Dict::default(),
                )
                .expect("write succeeds");
                let sorted = search(&cold, order, *offset, *limit, *companies_only);
                assert_eq!(first, sorted, "step {number}: {order} differs");
            }
            Step::Create { name } => {
                let values = Value::Dict(dict(&[("name", NAMES[*name].into())]));
                write_both([&warm, &cold], "create", vec![values]);
                partners = search(&warm, "id", 0, 1000, false);
                partners.retain(|id| *id != marker);
            }
            Step::Rename { partner, name } => {
                let args = vec![
                    Value::List(vec![Value::Int(pick(*partner))]),
                    Value::Dict(dict(&[("name", NAMES[*name].into())])),
                ];
                write_both([&warm, &cold], "write", args);
            }
            Step::Archive { partner } => {
                let args = vec![
                    Value::List(vec![Value::Int(pick(*partner))]),
                    Value::Dict(dict(&[("active", false.into())])),
                ];
                write_both([&warm, &cold], "write", args);
            }
            Step::Locate { partner, latitude } => {
                let latitude = Value::Float(LATITUDES[*latitude]);
                let args = vec![
                    Value::List(vec![Value::Int(pick(*partner))]),
                    Value::Dict(dict(&[("partner_latitude", latitude)])),
                ];
                write_both([&warm, &cold], "write", args);
            }
            Step::Unlink { partner } => {
                let args = vec![Value::List(vec![Value::Int(pick(*partner))])];
                write_both([&warm, &cold], "unlink", args);
            }
            Step::Assign { partner, company } => {
                let company = match company {
                    0 => Value::Bool(false),
                    1 => Value::Int(1),
                    _ => Value::Int(second_company),
                };
                let args = vec![
                    Value::List(vec![Value::Int(pick(*partner))]),
                    Value::Dict(dict(&[("company_id", company)])),
                ];
                write_both([&warm, &cold], "write", args);
            }
            Step::Allow { second } => {
                let mut companies = vec![Value::Int(1)];
                if *second {
                    companies.push(Value::Int(second_company));
                }
                let replace =
                    Value::List(vec![Value::Int(6), Value::Int(0), Value::List(companies)]);
                let values = [("company_ids", Value::List(vec![replace]))];
                write_record([&warm, &cold], "res.users", 2, &values);
            }
            Step::Nest { nested } => {
                let parent = if *nested {
                    Value::Int(1)
                } else {
                    Value::Bool(false)
                };
                let values = [("parent_id", parent)];
                write_record([&warm, &cold], "res.company", second_company, &values);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sorted_lists_match_fresh_sorts(steps in proptest::collection::vec(step(), 1..20)) {
        run(&steps);
    }
}

/// A partner of the second company becomes visible when the user is
/// allowed in that company, although no partner changed.
#[test]
fn allowing_a_company_shows_its_partners() {
    let search = Step::Search {
        order: 0,
        offset: 0,
        limit: 39,
        companies_only: false,
    };
    run(&[
        Step::Assign {
            partner: 0,
            company: 2,
        },
        search.clone(),
        Step::Allow { second: true },
        search.clone(),
        Step::Allow { second: false },
        search,
    ]);
}

/// The multi-company rule shows shared partners of the user's companies
/// and their parents (`parent_of`). Putting the main company under a second
/// one makes the second company's partners visible, although neither
/// the partners nor the user changed, so kept search results must follow
/// the companies' rows too.
#[test]
fn company_parent_change_shows_partners() {
    let emulator = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let company_values = vec![Value::Dict(dict(&[("name", "Parent Company".into())]))];
    let created = execute_kw(
        &emulator,
        "res.company",
        "create",
        company_values,
        Dict::default(),
    );
    let company = created.expect("create succeeds").as_i64().expect("an id");
    let partner_values = vec![Value::Dict(dict(&[
        ("name", "Parent Company Partner".into()),
        ("company_id", Value::Int(company)),
        ("partner_share", true.into()),
    ]))];
    let created = call(&emulator, "create", partner_values, Dict::default());
    let partner = created.expect("create succeeds").as_i64().expect("an id");
    // Creating a company added it to the creator's companies.
    let main_only = Value::List(vec![
        Value::Int(6),
        Value::Int(0),
        Value::List(vec![1.into()]),
    ]);
    let values = [("company_ids", Value::List(vec![main_only]))];
    write_record([&emulator, &emulator], "res.users", 2, &values);
    for _ in 0..3 {
        let found = search(&emulator, "id", 0, 1000, false);
        assert!(!found.contains(&partner), "{partner} in {found:?}");
    }

    write_record(
        [&emulator, &emulator],
        "res.company",
        1,
        &[("parent_id", Value::Int(company))],
    );
    for _ in 0..3 {
        let found = search(&emulator, "id", 0, 1000, false);
        assert!(found.contains(&partner), "{partner} not in {found:?}");
    }
}

/// Searches `res.partner` as `admin` with `kwargs`, ordered by id.
fn search_with(emulator: &Emulator, domain: Vec<Value>, kwargs: &[(&str, Value)]) -> Vec<i64> {
    let mut kwargs = dict(kwargs);
    kwargs.insert("order".to_owned(), "id".into());
    ids_of(call(emulator, "search", vec![Value::List(domain)], kwargs))
}

/// `active_test` in the context decides whether the implicit `active`
/// leaf applies, so a search with it and one without are two searches to
/// the table's memo, on the same rows.
#[test]
fn kept_searches_follow_active_test() {
    let emulator = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let archived = search_with(&emulator, Vec::new(), &[])[0];
    let values = [("active", false.into())];
    write_record([&emulator, &emulator], "res.partner", archived, &values);
    let all_context = Value::Dict(dict(&[("active_test", false.into())]));
    for _ in 0..3 {
        let active = search_with(&emulator, Vec::new(), &[]);
        assert!(!active.contains(&archived), "{archived} in {active:?}");
        let all = search_with(&emulator, Vec::new(), &[("context", all_context.clone())]);
        assert!(all.contains(&archived), "{archived} not in {all:?}");
    }
}

/// A schema change can change what the same domain selects: a field that
/// becomes computed and not stored is ignored in domains, as Odoo ignores
/// it. A search kept before the change must not be returned after it.
#[test]
fn kept_searches_follow_schema_changes() {
    let emulator = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let nowhere = || {
        vec![Value::List(vec![
            "city".into(),
            "=".into(),
            "Nowhere".into(),
        ])]
    };
    for _ in 0..3 {
        assert_eq!(search_with(&emulator, nowhere(), &[]), Vec::<i64>::new());
    }

    let change: InstanceChange = serde_json::from_value(serde_json::json!({
        "models": {"res.partner": {"fields": {"city": {"compute": "1", "store": false}}}}
    }))
    .expect("a valid change");
    emulator
        .change_instance("demo", &change)
        .expect("change applies");
    let everyone = search_with(&emulator, Vec::new(), &[]);
    assert!(!everyone.is_empty());
    for _ in 0..3 {
        assert_eq!(search_with(&emulator, nowhere(), &[]), everyone);
    }
}

/// Returns `field` of each record a `search_read` of `fields` returns.
/// How a field's values sort depends on its type: `False` is NULL in a
/// char column but a value in a boolean one. A type change keeps the
/// rows as they are, and a reset brings back the seed's rows under the
/// first schema, so a sorted list must belong to one schema as well as
/// one version of the rows.
#[test]
fn sorted_lists_follow_field_types() {
    let emulator = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let by_company = || {
        let kwargs = dict(&[("order", "is_company desc, id".into())]);
        ids_of(call(
            &emulator,
            "search",
            vec![Value::List(Vec::new())],
            kwargs,
        ))
    };
    let fresh = by_company();
    assert_eq!(by_company(), fresh);

    let change: InstanceChange = serde_json::from_value(serde_json::json!({
        "models": {"res.partner": {"fields": {"is_company": {"type": "char"}}}}
    }))
    .expect("a valid change");
    emulator
        .change_instance("demo", &change)
        .expect("change applies");
    let as_text = by_company();
    assert_ne!(as_text, fresh, "False sorts as NULL in a char column");
    assert_eq!(by_company(), as_text);

    emulator.reset(None).expect("the reset succeeds");
    for _ in 0..3 {
        assert_eq!(by_company(), fresh);
    }
}

fn read_field(emulator: &Emulator, fields: &[&str], field: &str) -> Vec<Value> {
    let mut kwargs = dict(&[("order", "id".into())]);
    let fields = fields.iter().map(|name| Value::from(*name)).collect();
    kwargs.insert("fields".to_owned(), Value::List(fields));
    let records = call(
        emulator,
        "search_read",
        vec![Value::List(Vec::new())],
        kwargs,
    )
    .expect("search_read succeeds")
    .expand_records();
    let Value::List(records) = records else {
        panic!("search_read returned {records:?}");
    };
    records
        .iter()
        .map(|record| {
            let Value::Dict(record) = record else {
                panic!("a record is a dict: {record:?}");
            };
            record.get(field).cloned().unwrap_or(Value::None)
        })
        .collect()
}

/// A table keeps the records a read of only stored fields returned from a
/// kept search result. A write gives the rows a new version, and so a new
/// result, and another field list is another read.
#[test]
fn kept_reads_follow_writes_and_fields() {
    let emulator = Emulator::from_builtin("odoo-17").expect("the built-in base loads");
    let first = search_with(&emulator, Vec::new(), &[])[0];
    for _ in 0..3 {
        let names = read_field(&emulator, &["name", "city"], "name");
        assert!(!names.contains(&Value::from("Renamed")), "{names:?}");
    }

    write_record(
        [&emulator, &emulator],
        "res.partner",
        first,
        &[("name", "Renamed".into())],
    );
    for _ in 0..3 {
        let names = read_field(&emulator, &["name", "city"], "name");
        assert_eq!(names[0], Value::from("Renamed"));
        let emails = read_field(&emulator, &["name", "email"], "email");
        assert_eq!(emails.len(), names.len());
        let cities = read_field(&emulator, &["name", "email"], "city");
        assert!(cities.iter().all(|city| *city == Value::None), "{cities:?}");
    }
}
