//! Search domains evaluated as Odoo 17 evaluates them in SQL, on a small
//! profile of contacts: Acme > Ada > bob, Zed, archived Old Co, a contact
//! without a name, and the partners of the two users (OdooBot, archived,
//! and Mitchell Admin). Unset names sort last, as NULL does in PostgreSQL, and names sort in the `C`
//! collation of Odoo's databases, capitals first.

use odoo_emulator::service::{Emulator, Protocol};
use odoo_emulator::{Dict, OdooResult, Value};
use rstest::rstest;

fn emulator() -> Emulator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/contacts.yaml");
    let profile = odoo_emulator::profile::Profile::load(path).expect("the test profile loads");
    Emulator::from_profiles(vec![(None, profile)]).expect("one database")
}

fn call(emulator: &Emulator, method: &str, args: Vec<Value>, kwargs: Dict) -> OdooResult<Value> {
    let mut params: Vec<Value> = vec![
        "contacts".into(),
        Value::Int(2),
        "admin".into(),
        "res.partner".into(),
        method.into(),
    ];
    params.push(Value::List(args));
    params.push(Value::Dict(kwargs));
    emulator.dispatch_rpc("object", "execute_kw", params, Protocol::JsonRpc)
}

/// Returns the names matching a domain given as JSON, in `name` order.
fn names(
    emulator: &Emulator,
    domain: serde_json::Value,
    context: serde_json::Value,
) -> Vec<String> {
    let kwargs = Dict::from_iter([
        ("fields".to_owned(), Value::List(vec!["name".into()])),
        ("order".to_owned(), Value::from("name asc, id")),
        ("context".to_owned(), Value::from(context)),
    ]);
    let result = call(emulator, "search_read", vec![Value::from(domain)], kwargs)
        .expect("search_read succeeds");
    result
        .as_list()
        .expect("a list")
        .iter()
        .map(|r| match r.as_dict().and_then(|d| d.get("name")) {
            Some(Value::Str(name)) => name.clone(),
            _ => "<unset>".to_owned(),
        })
        .collect()
}

#[rstest]
#[case::equality(serde_json::json!([["name", "=", "Ada"]]), vec!["Ada"])]
#[case::not_equal_includes_unset(serde_json::json!([["email", "!=", "ada@acme.example"]]), vec!["Acme", "Mitchell Admin", "Zed 100%", "bob", "<unset>"])]
#[case::unset(serde_json::json!([["email", "=", false]]), vec!["Acme", "Zed 100%"])]
#[case::ilike_is_case_insensitive(serde_json::json!([["name", "ilike", "B"]]), vec!["bob"])]
#[case::like_is_case_sensitive(serde_json::json!([["name", "like", "B"]]), Vec::<&str>::new())]
#[case::ilike_escapes_percent(serde_json::json!([["name", "ilike", "100%"]]), vec!["Zed 100%"])]
#[case::eq_ilike_pattern(serde_json::json!([["email", "=ilike", "%@ACME.example"]]), vec!["Ada", "bob"])]
#[case::not_ilike_includes_unset(serde_json::json!([["email", "not ilike", "acme"]]), vec!["Acme", "Mitchell Admin", "Zed 100%", "<unset>"])]
#[case::in_list(serde_json::json!([["name", "in", ["Ada", "Zed 100%"]]]), vec!["Ada", "Zed 100%"])]
#[case::not_in_with_false(serde_json::json!([["email", "not in", [false]]]), vec!["Ada", "Mitchell Admin", "bob", "<unset>"])]
#[case::greater_than(serde_json::json!([["employee_count", ">", 10]]), vec!["Acme"])]
#[case::integer_unset_is_zero(serde_json::json!([["employee_count", "=", 0]]), vec!["Ada", "Mitchell Admin", "bob", "<unset>"])]
#[case::or(serde_json::json!(["|", ["name", "=", "Ada"], ["name", "=", "bob"]]), vec!["Ada", "bob"])]
#[case::not(serde_json::json!(["!", ["is_company", "=", true]]), vec!["Ada", "Mitchell Admin", "bob", "<unset>"])]
#[case::implicit_and(serde_json::json!([["is_company", "=", true], ["country_id.code", "=", "BE"]]), vec!["Acme"])]
#[case::dotted_path(serde_json::json!([["parent_id.parent_id.name", "=", "Acme"]]), vec!["bob"])]
#[case::many2one_by_name(serde_json::json!([["country_id", "ilike", "fran"]]), vec!["Zed 100%"])]
#[case::many2many_contains(serde_json::json!([["category_id", "in", [2]]]), vec!["Ada"])]
#[case::many2many_by_name(serde_json::json!([["category_id.name", "=", "VIP"]]), vec!["Acme", "Ada"])]
#[case::one2many_unset(serde_json::json!([["child_ids", "=", false], ["is_company", "=", true]]), vec!["Zed 100%"])]
#[case::child_of(serde_json::json!([["id", "child_of", 1]]), vec!["Acme", "Ada", "bob"])]
#[case::parent_of(serde_json::json!([["id", "parent_of", 3]]), vec!["Acme", "Ada", "bob"])]
#[case::any(serde_json::json!([["child_ids", "any", [["email", "ilike", "bob"]]]]), vec!["Ada"])]
#[case::not_any(serde_json::json!([["child_ids", "not any", []], ["is_company", "=", true]]), vec!["Zed 100%"])]
#[case::eq_or_unset_false_is_true(serde_json::json!([["name", "=?", false]]), vec!["Acme", "Ada", "Mitchell Admin", "Zed 100%", "bob", "<unset>"])]
#[case::true_leaf(serde_json::json!([[1, "=", 1]]), vec!["Acme", "Ada", "Mitchell Admin", "Zed 100%", "bob", "<unset>"])]
fn domain_matches(#[case] domain: serde_json::Value, #[case] expected: Vec<&str>) {
    let emulator = emulator();
    assert_eq!(names(&emulator, domain, serde_json::json!({})), expected);
}

#[test]
fn archived_records_need_active_test_false() {
    let emulator = emulator();
    let domain = serde_json::json!([["is_company", "=", true]]);
    assert_eq!(
        names(&emulator, domain.clone(), serde_json::json!({})),
        vec!["Acme", "Zed 100%"]
    );
    let all = names(&emulator, domain, serde_json::json!({"active_test": false}));
    assert_eq!(all, vec!["Acme", "Old Co", "Zed 100%"]);
}

#[test]
fn active_in_domain_disables_the_implicit_filter() {
    let emulator = emulator();
    let found = names(
        &emulator,
        serde_json::json!([["active", "=", false]]),
        serde_json::json!({}),
    );
    assert_eq!(found, vec!["OdooBot", "Old Co"]);
}

#[test]
fn malformed_domain_is_a_value_error() {
    let emulator = emulator();
    let error = call(
        &emulator,
        "search",
        vec![Value::from(serde_json::json!(["&", ["name", "=", "x"]]))],
        Dict::default(),
    )
    .expect_err("one operand for '&'");
    assert_eq!(
        error.message,
        "Domain ['&', ['name', '=', 'x']] is syntactically not correct."
    );
}

#[test]
fn invalid_operator_names_the_term() {
    let emulator = emulator();
    let error = call(
        &emulator,
        "search",
        vec![Value::from(serde_json::json!([["name", "~", "x"]]))],
        Dict::default(),
    )
    .expect_err("unknown operator");
    assert_eq!(
        error.message,
        "Invalid operator '~' in domain term ('name', '~', 'x')"
    );
}

#[rstest]
#[case::nulls_last_ascending("email asc", vec!["Ada", "Mitchell Admin", "bob", "<unset>", "Acme", "Zed 100%"])]
#[case::nulls_first_descending("email desc", vec!["Acme", "Zed 100%", "<unset>", "bob", "Mitchell Admin", "Ada"])]
#[case::explicit_nulls_first("email asc nulls first, name", vec!["Acme", "Zed 100%", "Ada", "Mitchell Admin", "bob", "<unset>"])]
#[case::many2one_sorts_by_comodel_order("country_id, name", vec!["Acme", "Ada", "Zed 100%", "Mitchell Admin", "bob", "<unset>"])]
fn order_follows_postgresql(#[case] order: &str, #[case] expected: Vec<&str>) {
    let emulator = emulator();
    let kwargs = Dict::from_iter([
        ("fields".to_owned(), Value::List(vec!["name".into()])),
        ("order".to_owned(), Value::from(order)),
    ]);
    let result =
        call(&emulator, "search_read", vec![Value::List(vec![])], kwargs).expect("search_read");
    let names: Vec<String> = result
        .as_list()
        .expect("a list")
        .iter()
        .map(|r| {
            r.as_dict()
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("<unset>")
                .to_owned()
        })
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn limit_and_offset_page_the_ordered_result() {
    let emulator = emulator();
    let kwargs = Dict::from_iter([
        ("offset".to_owned(), Value::Int(1)),
        ("limit".to_owned(), Value::Int(2)),
        ("order".to_owned(), Value::from("name")),
    ]);
    let ids = call(&emulator, "search", vec![Value::List(vec![])], kwargs).expect("search");
    let names = call(
        &emulator,
        "read",
        vec![ids, Value::List(vec!["name".into()])],
        Dict::default(),
    )
    .expect("read");
    let names: Vec<&str> = names
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.as_dict()?.get("name")?.as_str())
        .collect();
    assert_eq!(names, vec!["Ada", "Mitchell Admin"]);
}

/// Returns a domain of `prefix` followed by `leaves`, as a client sends it.
fn prefix_domain(prefix: &[&str], leaves: &[serde_json::Value]) -> serde_json::Value {
    let mut items: Vec<serde_json::Value> = prefix.iter().map(|op| serde_json::json!(op)).collect();
    items.extend(leaves.iter().cloned());
    serde_json::Value::Array(items)
}

/// Returns `&`/`|` operators that each nest the next one as their second
/// operand, with `depth` levels in all counting the leaves.
fn alternating_domain(depth: usize) -> serde_json::Value {
    let leaf = serde_json::json!(["name", "!=", "nobody"]);
    let mut items = Vec::new();
    for level in 1..depth {
        items.push(serde_json::json!(if level % 2 == 0 { "&" } else { "|" }));
        items.push(leaf.clone());
    }
    items.push(serde_json::json!(["name", "=", "Ada"]));
    serde_json::Value::Array(items)
}

#[test]
fn many_negations_cancel_in_pairs() {
    let emulator = emulator();
    let ada = serde_json::json!(["name", "=", "Ada"]);
    let even = prefix_domain(&["!"; 100_000], std::slice::from_ref(&ada));
    assert_eq!(names(&emulator, even, serde_json::json!({})), vec!["Ada"]);

    let odd = prefix_domain(&["!"; 100_001], &[ada]);
    let found = names(&emulator, odd, serde_json::json!({}));
    assert!(!found.contains(&"Ada".to_owned()), "{found:?}");
    assert!(found.contains(&"Acme".to_owned()), "{found:?}");
}

#[test]
fn long_or_chain_is_flattened() {
    let emulator = emulator();
    let mut leaves = vec![serde_json::json!(["name", "=", "nobody"]); 100_000];
    leaves.push(serde_json::json!(["name", "=", "Ada"]));
    let domain = prefix_domain(&["|"; 100_000], &leaves);
    assert_eq!(names(&emulator, domain, serde_json::json!({})), vec!["Ada"]);
}

#[test]
fn long_and_chain_is_flattened() {
    let emulator = emulator();
    let mut leaves = vec![serde_json::json!(["name", "!=", "nobody"]); 100_000];
    leaves.push(serde_json::json!(["name", "=", "Ada"]));
    let domain = prefix_domain(&["&"; 100_000], &leaves);
    assert_eq!(names(&emulator, domain, serde_json::json!({})), vec!["Ada"]);
}

#[test]
fn long_implicit_and_of_leaves() {
    let emulator = emulator();
    let mut leaves = vec![serde_json::json!(["name", "!=", "nobody"]); 100_000];
    leaves.push(serde_json::json!(["name", "=", "Ada"]));
    let domain = prefix_domain(&[], &leaves);
    assert_eq!(names(&emulator, domain, serde_json::json!({})), vec!["Ada"]);
}

#[test]
fn nesting_at_max_depth_is_evaluated() {
    // The server's threads have this stack, and the emulator evaluates and
    // drops the domain tree recursively on them.
    let worker = std::thread::Builder::new()
        .stack_size(odoo_emulator::server::WORKER_STACK_BYTES)
        .spawn(|| {
            let emulator = emulator();
            let domain = alternating_domain(odoo_emulator::orm::domain::MAX_DOMAIN_DEPTH);
            names(&emulator, domain, serde_json::json!({}))
        })
        .expect("spawn a thread");
    let found = worker.join().expect("the search does not panic");
    assert!(found.contains(&"Ada".to_owned()), "{found:?}");
}

#[test]
fn nesting_over_max_depth_is_a_value_error() {
    let emulator = emulator();
    for depth in [odoo_emulator::orm::domain::MAX_DOMAIN_DEPTH + 1, 100_000] {
        let error = call(
            &emulator,
            "search",
            vec![Value::from(alternating_domain(depth))],
            Dict::default(),
        )
        .expect_err("a domain nested too deeply");
        assert_eq!(
            error.kind,
            odoo_emulator::ErrorKind::ValueError,
            "depth {depth}"
        );
        assert!(
            error
                .message
                .starts_with("Domain nesting is deeper than 2000 levels"),
            "depth {depth}: {}",
            error.message
        );
    }
}

/// Returns `depth` `parent_id any` leaves nested in one another around
/// `inner`.
fn nested_any(depth: usize, inner: serde_json::Value) -> serde_json::Value {
    let mut domain = inner;
    for _ in 0..depth {
        domain = serde_json::json!([["parent_id", "any", domain]]);
    }
    domain
}

#[test]
fn nested_any_at_limit_is_evaluated() {
    let emulator = emulator();
    let limit = odoo_emulator::orm::domain::MAX_ANY_DEPTH;
    let domain = nested_any(limit, serde_json::json!([["name", "=", "nobody"]]));

    assert_eq!(
        names(&emulator, domain, serde_json::json!({})),
        Vec::<String>::new()
    );
}

#[test]
fn nested_any_over_limit_is_a_value_error() {
    let emulator = emulator();
    let limit = odoo_emulator::orm::domain::MAX_ANY_DEPTH;
    let domain = nested_any(limit + 1, serde_json::json!([["name", "=", "Ada"]]));

    let error = call(
        &emulator,
        "search",
        vec![Value::from(domain)],
        Dict::default(),
    )
    .expect_err("too many nested sub-domains");

    assert_eq!(error.kind, odoo_emulator::ErrorKind::ValueError);
    assert!(
        error.message.contains("'any' or 'not any'"),
        "{}",
        error.message
    );
}

#[test]
fn depth_counts_across_any_subdomains() {
    // Each sub-domain alone is within the limit, but evaluation recurses
    // through all of them.
    let emulator = emulator();
    let inner = alternating_domain(odoo_emulator::orm::domain::MAX_DOMAIN_DEPTH - 1);
    let domain = nested_any(3, inner);

    let error = call(
        &emulator,
        "search",
        vec![Value::from(domain)],
        Dict::default(),
    )
    .expect_err("a tree nested too deeply");

    assert!(
        error.message.starts_with("Domain nesting is deeper than"),
        "{}",
        error.message
    );
}
