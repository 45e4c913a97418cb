//! The control API under `/_emulator/`, driven over HTTP against the real
//! binary: reset, snapshots and state files, fault rules, the journal,
//! the clock, runtime instance changes and the control token.

use std::time::Duration;

use odoo_e2e::emulator::EmulatorBuilder;
use odoo_e2e::Emulator;
use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client without TLS always builds")
}

/// Returns the options for an emulator serving two databases, `a` and
/// `b`, from the base profile.
fn two_databases() -> EmulatorBuilder {
    Emulator::builder()
        .profile("a=odoo-17")
        .profile("b=odoo-17")
}

fn control(
    emulator: &Emulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let request = client().request(method, emulator.route(&format!("/_emulator{path}")));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().expect("the control request is answered")
}

fn post(emulator: &Emulator, path: &str, body: Value) -> Response {
    control(emulator, reqwest::Method::POST, path, Some(body))
}

fn get(emulator: &Emulator, path: &str) -> Response {
    control(emulator, reqwest::Method::GET, path, None)
}

fn delete(emulator: &Emulator, path: &str) -> Response {
    control(emulator, reqwest::Method::DELETE, path, None)
}

fn json_of(response: Response) -> Value {
    response.json().expect("a JSON body")
}

/// Returns the `error` text of a failed control request.
fn error_of(response: Response) -> String {
    let body = json_of(response);
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error text in {body}"))
        .to_owned()
}

/// Calls `object.execute_kw` as the admin over `/jsonrpc` and returns the
/// reply's `result` or `error`.
fn execute_kw(emulator: &Emulator, db: &str, model: &str, method: &str, args: Value) -> Value {
    let body = json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": {"service": "object", "method": "execute_kw",
                   "args": [db, 2, "admin", model, method, args, {}]}
    });
    let reply: Value = client()
        .post(emulator.route("/jsonrpc"))
        .json(&body)
        .send()
        .expect("the call is answered")
        .json()
        .expect("a JSON-RPC reply");
    match reply.get("result") {
        Some(result) => result.clone(),
        None => reply["error"].clone(),
    }
}

fn partner_count(emulator: &Emulator, db: &str) -> i64 {
    let count = execute_kw(emulator, db, "res.partner", "search_count", json!([[]]));
    count
        .as_i64()
        .unwrap_or_else(|| panic!("search_count returned {count}"))
}

fn create_partner(emulator: &Emulator, db: &str, name: &str) -> Value {
    execute_kw(
        emulator,
        db,
        "res.partner",
        "create",
        json!([{"name": name}]),
    )
}

#[test]
fn reset_one_or_all_databases() {
    let emulator = two_databases().start();
    let seeded = partner_count(&emulator, "a");
    create_partner(&emulator, "a", "Temporary");
    create_partner(&emulator, "b", "Temporary");

    let response = post(&emulator, "/reset", json!({"database": "a"}));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(response), json!({"reset": ["a"]}));
    assert_eq!(partner_count(&emulator, "a"), seeded);
    assert_eq!(partner_count(&emulator, "b"), seeded + 1);

    let response = control(&emulator, reqwest::Method::POST, "/reset", None);
    assert_eq!(json_of(response), json!({"reset": ["a", "b"]}));
    assert_eq!(partner_count(&emulator, "b"), seeded);

    let response = post(&emulator, "/reset", json!({"database": "nope"}));
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(error_of(response).contains("\"nope\" is not served"));
}

#[test]
fn snapshot_save_restore_delete() {
    let emulator = Emulator::start();
    let seeded = partner_count(&emulator, "demo");

    let response = post(&emulator, "/snapshots", json!({"name": "clean"}));
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        json_of(response),
        json!({"name": "clean", "databases": ["demo"]})
    );
    create_partner(&emulator, "demo", "After snapshot");
    let response = post(&emulator, "/snapshots/clean/restore", json!({}));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(partner_count(&emulator, "demo"), seeded);

    let listed = json_of(get(&emulator, "/snapshots"));
    assert_eq!(
        listed,
        json!({"snapshots": [{"name": "clean", "databases": ["demo"]}]})
    );
    assert_eq!(
        delete(&emulator, "/snapshots/clean").status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&emulator, "/snapshots/clean").status(),
        StatusCode::NOT_FOUND
    );
    let missing = post(&emulator, "/snapshots/clean/restore", json!({}));
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[test]
fn snapshot_names_checked() {
    let emulator = Emulator::start();

    for name in ["", "a/b", "export", "import"] {
        let response = post(&emulator, "/snapshots", json!({"name": name}));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name:?}");
    }
    let response = post(&emulator, "/snapshots", json!({"nam": "typo"}));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).contains("unknown field `nam`"));
}

#[test]
fn state_file_between_processes() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.json");
    let source = Emulator::start();
    create_partner(&source, "demo", "Carried over");
    let seeded = partner_count(&source, "demo") - 1;

    let response = post(&source, "/snapshots/export", json!({"path": path}));
    assert_eq!(response.status(), StatusCode::OK);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the file exists"))
            .expect("the file is JSON");
    assert_eq!(file["format"], json!(1));

    let target = Emulator::start();
    let response = post(
        &target,
        "/snapshots/import",
        json!({"path": path, "name": "carried"}),
    );
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(partner_count(&target, "demo"), seeded);
    post(&target, "/snapshots/carried/restore", json!({}));
    assert_eq!(partner_count(&target, "demo"), seeded + 1);
    let found = execute_kw(
        &target,
        "demo",
        "res.partner",
        "search_count",
        json!([[["name", "=", "Carried over"]]]),
    );
    assert_eq!(found, json!(1));
    // The id sequence came along: the next record does not reuse an id.
    let created = create_partner(&target, "demo", "Next");
    let carried = create_partner(&source, "demo", "Next");
    assert_eq!(created, carried);
}

#[test]
fn state_file_errors_explained() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let emulator = Emulator::start();
    let missing = directory.path().join("missing.json");
    let future = directory.path().join("future.json");
    std::fs::write(
        &future,
        r#"{"format": 99, "written_by": "x", "databases": {}}"#,
    )
    .expect("write a file");

    let response = post(&emulator, "/snapshots/import", json!({"path": missing}));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).contains("failed to read"));
    let response = post(&emulator, "/snapshots/import", json!({"path": future}));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).contains("format 99"));
    let response = post(
        &emulator,
        "/snapshots/export",
        json!({"path": directory.path().join("no/such/dir/x.json")}),
    );
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).contains("failed to write"));
}

/// A relative path is written in the server's working directory, and the
/// reply gives the absolute path of the file written.
#[test]
fn export_replies_with_absolute_path() {
    let emulator = Emulator::start();
    let response = post(
        &emulator,
        "/snapshots/export",
        json!({"path": "relative.json"}),
    );
    assert_eq!(response.status(), StatusCode::OK);

    let written = emulator.workdir().join("relative.json");
    assert!(written.is_file(), "{} is missing", written.display());
    let reply = json_of(response);
    assert_eq!(reply["path"], json!(written));
}

#[test]
fn fault_rules_added_listed_deleted() {
    let emulator = Emulator::start();
    let rule = json!({"match": {"model": "res.partner"}, "times": 2, "effect": {"type": "reset"}});

    let response = post(&emulator, "/faults", rule);
    assert_eq!(response.status(), StatusCode::CREATED);
    let added = json_of(response);
    assert_eq!(added["id"], json!(1));
    assert_eq!(added["schedule"], json!({"first": 2}));
    let listed = json_of(get(&emulator, "/faults"));
    assert_eq!(listed["faults"], json!([added]));

    assert_eq!(
        delete(&emulator, "/faults/1").status(),
        StatusCode::NO_CONTENT
    );
    let again = delete(&emulator, "/faults/1");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(again), "fault rule 1 does not exist");
    post(&emulator, "/faults", json!({"effect": {"type": "reset"}}));
    assert_eq!(
        delete(&emulator, "/faults").status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(json_of(get(&emulator, "/faults")), json!({"faults": []}));
}

#[test]
fn invalid_fault_rules_rejected() {
    let emulator = Emulator::start();
    let cases = [
        (
            json!({"schedule": {"probability": 1.5}, "effect": {"type": "reset"}}),
            "invalid fault rule: probability 1.5 is not between 0 and 1",
        ),
        (
            json!({"effect": {"type": "http", "status": 418}}),
            "invalid fault rule: HTTP status 418 is not one of 429, 500, 502, 503, 504",
        ),
        (
            json!({"effect": {"type": "error", "exception": "KeyError"}}),
            "invalid fault rule: unknown exception \"KeyError\"",
        ),
        (
            json!({"effect": {"type": "explode"}}),
            "invalid fault rule: unknown variant `explode`",
        ),
        (
            json!({"match": {"method": "create"}}),
            "invalid fault rule: missing field `effect`",
        ),
    ];
    for (rule, expected) in cases {
        let response = post(&emulator, "/faults", rule.clone());
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{rule}");
        let error = error_of(response);
        assert!(error.starts_with(expected), "{rule}: {error}");
    }
    assert_eq!(
        delete(&emulator, "/faults/x").status(),
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn journal_filters_and_lines() {
    let emulator = two_databases().start();
    create_partner(&emulator, "a", "One");
    let first = json_of(get(&emulator, "/journal"));
    let last = first["last"].as_u64().expect("a sequence number");
    create_partner(&emulator, "b", "Two");
    partner_count(&emulator, "a");

    let since = json_of(get(&emulator, &format!("/journal?since={last}")));
    let methods: Vec<&Value> = since["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["method"])
        .collect();
    assert_eq!(methods, [&json!("create"), &json!("search_count")]);
    let only_b = json_of(get(&emulator, "/journal?database=b"));
    let entries = only_b["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["database"], json!("b"));
    assert_eq!(entry["protocol"], json!("jsonrpc"));
    assert_eq!(entry["route"], json!("/jsonrpc"));
    assert_eq!(entry["uid"], json!(2));
    assert_eq!(entry["login"], json!("admin"));
    assert_eq!(entry["model"], json!("res.partner"));
    assert_eq!(entry["outcome"], json!("ok"));
    assert_eq!(entry["rule_id"], Value::Null);

    let lines = get(&emulator, "/journal?format=jsonl");
    assert_eq!(lines.headers()["content-type"], "application/x-ndjson");
    let text = lines.text().expect("a text body");
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        serde_json::from_str::<Value>(line).expect("each line is JSON");
    }
    assert_eq!(
        get(&emulator, "/journal?format=xml").status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&emulator, "/journal?since=-1").status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        delete(&emulator, "/journal").status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(json_of(get(&emulator, "/journal"))["entries"], json!([]));
}

/// Odoo 17's `load` returns `ids: False` and an error message for a row
/// it rejects, rather than a fault, and rolls the whole call back. The
/// journal records that outcome apart from a `load` that wrote.
#[test]
fn journal_marks_a_rejected_load() {
    let emulator = Emulator::start();
    let refused = execute_kw(
        &emulator,
        "demo",
        "res.partner",
        "load",
        json!([["id", "name", "no_such_field"], [["t.one", "One", "x"]]]),
    );
    assert_eq!(refused["ids"], json!(false), "{refused}");
    let written = execute_kw(
        &emulator,
        "demo",
        "res.partner",
        "load",
        json!([["id", "name"], [["t.two", "Two"]]]),
    );
    assert!(written["ids"].is_array(), "{written}");

    let journal = json_of(get(&emulator, "/journal"));
    let outcomes: Vec<&Value> = journal["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| &entry["outcome"])
        .collect();
    assert_eq!(outcomes, [&json!("rejected"), &json!("ok")]);
}

#[test]
fn clock_freeze_advance_set() {
    let emulator = Emulator::start();

    let frozen = json_of(post(
        &emulator,
        "/clock/freeze",
        json!({"at": "2024-01-02 03:04:05"}),
    ));
    assert_eq!(
        frozen,
        json!({"now": "2024-01-02 03:04:05", "frozen": true})
    );
    let id = create_partner(&emulator, "demo", "Timed");
    let read = execute_kw(
        &emulator,
        "demo",
        "res.partner",
        "read",
        json!([[id], ["create_date"]]),
    );
    assert_eq!(read[0]["create_date"], json!("2024-01-02 03:04:05"));

    let advanced = json_of(post(&emulator, "/clock/advance", json!({"seconds": 3600})));
    assert_eq!(advanced["now"], json!("2024-01-02 04:04:05"));
    let set = json_of(post(
        &emulator,
        "/clock/set",
        json!({"at": "2025-06-30T12:00:00"}),
    ));
    assert_eq!(set, json!({"now": "2025-06-30 12:00:00", "frozen": true}));
    assert_eq!(json_of(get(&emulator, "/clock")), set);
    let entries = json_of(get(&emulator, "/journal"));
    assert_eq!(entries["entries"][0]["time"], json!("2024-01-02 03:04:05"));

    let running = json_of(post(&emulator, "/clock/unfreeze", json!({})));
    assert_eq!(running["frozen"], json!(false));
    let invalid = post(&emulator, "/clock/freeze", json!({"at": "yesterday"}));
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(invalid).contains("expected YYYY-MM-DD HH:MM:SS"));
}

#[test]
fn instance_changes_at_run_time() {
    let emulator = Emulator::start();
    let required = json!({"database": "demo", "models": {"res.partner": {"fields": {
        "x_studio_segment": {"type": "char", "string": "Segment", "required": true}}}}});

    let response = post(&emulator, "/instance", required);
    assert_eq!(response.status(), StatusCode::OK);
    let error = create_partner(&emulator, "demo", "No segment");
    assert_eq!(
        error["data"]["name"],
        json!("odoo.exceptions.ValidationError")
    );
    let message = error["data"]["message"].as_str().expect("a message");
    assert!(
        message.ends_with("Field: Segment (x_studio_segment)\n"),
        "{message}"
    );

    let drop_value =
        json!({"models": {"res.partner": {"fields": {"type": {"selection_remove": ["other"]}}}}});
    assert_eq!(
        post(&emulator, "/instance", drop_value).status(),
        StatusCode::OK
    );
    let error = execute_kw(
        &emulator,
        "demo",
        "res.partner",
        "create",
        json!([{"name": "x", "x_studio_segment": "smb", "type": "other"}]),
    );
    assert_eq!(error["data"]["name"], json!("builtins.ValueError"));

    let empty = post(&emulator, "/instance", json!({"database": "demo"}));
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    let unknown = post(
        &emulator,
        "/instance",
        json!({"database": "nope", "grant": [{"model": "res.partner", "read": true}]}),
    );
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let typo = post(&emulator, "/instance", json!({"model": {}}));
    assert_eq!(typo.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn control_token_required() {
    let emulator = Emulator::builder()
        .arg("--control-token")
        .arg("s3cret")
        .start();

    let anonymous = get(&emulator, "/faults");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let wrong = client()
        .get(emulator.route("/_emulator/faults"))
        .bearer_auth("guess")
        .send()
        .expect("answered");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = client()
        .get(emulator.route("/_emulator/faults"))
        .bearer_auth("s3cret")
        .send()
        .expect("answered");
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(get(&emulator, "/health").status(), StatusCode::OK);
    assert!(!emulator.logs().stderr.contains("s3cret"));
}

#[test]
fn web_page_origin_rejected() {
    let emulator = Emulator::start();
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.json");
    // What a browser sends for a cross-site form post: no preflight, a
    // simple content type and the page's origin.
    let export = |origin: &str| {
        client()
            .post(emulator.route("/_emulator/snapshots/export"))
            .header("Content-Type", "text/plain")
            .header("Origin", origin)
            .body(json!({"path": path}).to_string())
            .send()
            .expect("answered")
    };

    let foreign = export("https://evil.example");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        error_of(foreign),
        "control requests from web pages are rejected unless the page is on a loopback \
         address (Origin: https://evil.example); send the request without an Origin header"
    );
    assert!(!path.exists());

    let local = export("http://localhost:3000");
    assert_eq!(local.status(), StatusCode::OK);
    assert!(path.exists());
}

#[test]
fn unknown_control_route_is_json_404() {
    let emulator = Emulator::start();

    let response = get(&emulator, "/nothing");

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        error_of(response),
        "no control route GET /_emulator/nothing; see the control API in the README"
    );
    assert_eq!(
        delete(&emulator, "/clock").status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[test]
fn faults_file_loaded_at_start() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("faults.yaml");
    let rules = "- match: {method: create}\n  times: 1\n  effect: {type: http, status: 503}\n\
                 - effect: {type: delay, ms: 1}\n";
    std::fs::write(&path, rules).expect("write the rules");

    let emulator = Emulator::builder().arg("--faults").arg(&path).start();

    let listed = json_of(get(&emulator, "/faults"));
    let ids: Vec<&Value> = listed["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, [&json!(1), &json!(2)]);
    let status = client()
        .post(emulator.route("/jsonrpc"))
        .json(
            &json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": ["demo", 2, "admin", "res.partner", "create", [{"name": "x"}], {}]}}),
        )
        .send()
        .expect("answered")
        .status();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    std::fs::write(&path, "- effect: {type: http, status: 200}\n").expect("write the rules");
    let error = Emulator::builder()
        .arg("--faults")
        .arg(&path)
        .try_start()
        .expect_err("invalid rule");
    let message = error.to_string();
    assert!(message.contains("exit status: 2"), "{message}");
    assert!(message.contains("invalid fault rule 1"), "{message}");
}

/// Makes `calls` `search_count` calls over JSON-RPC to an emulator with
/// `seed` and a rule that fails half of them at random. Returns, per call,
/// whether the rule fired, and the journal.
fn fault_pattern(seed: u64, calls: usize) -> (Vec<bool>, Value) {
    let emulator = Emulator::builder()
        .arg("--seed")
        .arg(seed.to_string())
        .start();
    let rule = json!({"match": {"method": "search_count"}, "schedule": {"probability": 0.5},
                      "effect": {"type": "error", "exception": "UserError"}});
    let rule_id = json_of(post(&emulator, "/faults", rule))["id"].clone();
    let pattern = (0..calls)
        .map(|_| {
            let reply = execute_kw(
                &emulator,
                "demo",
                "res.partner",
                "search_count",
                json!([[]]),
            );
            !reply.is_i64()
        })
        .collect::<Vec<bool>>();
    let journal = json_of(get(&emulator, "/journal"));
    let faulted: Vec<bool> = journal["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| entry["rule_id"] == rule_id)
        .collect();
    assert_eq!(
        faulted, pattern,
        "the journal names the rule of every fault"
    );
    (pattern, journal)
}

#[test]
fn same_seed_same_faults() {
    let (first, journal) = fault_pattern(7, 40);
    let (second, _) = fault_pattern(7, 40);
    let (other_seed, _) = fault_pattern(8, 40);

    assert_eq!(first, second);
    assert_ne!(first, other_seed);
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
    let faulted = journal["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|entry| entry["rule_id"] != Value::Null)
        .expect("a faulted entry");
    assert_eq!(faulted["outcome"], json!("odoo.exceptions.UserError"));
    assert_eq!(faulted["fault"], json!("error"));
}

#[test]
fn resets_during_concurrent_writes() {
    const WRITERS: usize = 4;
    const CALLS: usize = 30;
    let emulator = std::sync::Arc::new(two_databases().start());
    let seeded = partner_count(&emulator, "a");

    let writers: Vec<_> = (0..WRITERS)
        .map(|worker| {
            let emulator = emulator.clone();
            std::thread::spawn(move || {
                for call in 0..CALLS {
                    // Each call creates two partners in one transaction, so
                    // an odd count would show a reset that tore a call.
                    let pair = json!([[{"name": format!("w{worker}-{call}-1")},
                                       {"name": format!("w{worker}-{call}-2")}]]);
                    for db in ["a", "b"] {
                        let ids = execute_kw(&emulator, db, "res.partner", "create", pair.clone());
                        assert_eq!(ids.as_array().map(Vec::len), Some(2), "{ids}");
                    }
                }
            })
        })
        .collect();
    let mut observed = Vec::new();
    for _ in 0..25 {
        let response = post(&emulator, "/reset", json!({"database": "a"}));
        assert_eq!(response.status(), StatusCode::OK);
        observed.push(partner_count(&emulator, "a") - seeded);
    }
    for writer in writers {
        writer.join().expect("a writer thread");
    }

    for extra in &observed {
        assert_eq!(extra % 2, 0, "database a was partly reset: {observed:?}");
    }
    let untouched = partner_count(&emulator, "b") - seeded;
    assert_eq!(
        untouched,
        (WRITERS * CALLS * 2) as i64,
        "resets of a changed b"
    );
}
