//! The `odoo-harness` binary end to end: exit codes, invalid input, the
//! reports, and real runs of the scenario library with two Python
//! integrations, a careful one (`tests/fixtures/careful_sync.py`) and the
//! naive example (`examples/naive_sync.py`).

use rstest::rstest;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod support;

use support::{harness, integration, repository, text};

/// Runs scenarios and returns the JSON report's scenarios by file name.
fn run_json(script: &str, scenarios: &[&str]) -> (Output, serde_json::Map<String, Value>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let json = dir.path().join("report.json");
    let json_arg = json.display().to_string();
    let command = integration(script);

    let mut args = vec![
        "run",
        "--no-progress",
        "--integration",
        &command,
        "--json",
        &json_arg,
    ];
    let paths: Vec<String> = scenarios
        .iter()
        .map(|s| format!("scenarios/{s}.yaml"))
        .collect();
    args.extend(paths.iter().map(String::as_str));
    let output = harness(&args);

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{}", text(&output)));
    let mut by_file = serde_json::Map::new();
    for scenario in report["scenarios"].as_array().expect("a scenario list") {
        let path = scenario["path"].as_str().expect("a path");
        let stem = Path::new(path)
            .file_stem()
            .expect("a file name")
            .to_string_lossy();
        by_file.insert(stem.into_owned(), scenario.clone());
    }
    (output, by_file)
}

fn status(report: &serde_json::Map<String, Value>, name: &str) -> String {
    report[name]["status"]
        .as_str()
        .unwrap_or("missing")
        .to_owned()
}

fn found_text(report: &serde_json::Map<String, Value>, name: &str) -> String {
    let failures = report[name]["failures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lines: Vec<String> = failures
        .iter()
        .flat_map(|f| f["found"].as_array().cloned().unwrap_or_default())
        .filter_map(|line| line.as_str().map(str::to_owned))
        .collect();
    lines.join("\n")
}

#[test]
fn check_accepts_the_library() {
    let output = harness(&["check", "scenarios"]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("scenarios are valid"));
}

#[test]
fn invalid_scenario_stops_the_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        "name: broken\nsteps:\n  - sync\n  - sink\nexpect: [converged]\n",
    )
    .expect("write the scenario");

    let output = harness(&["run", "--integration", "true", &file.display().to_string()]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:4:5: unknown variant `sink`", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("nothing ran"), "{stderr}");
}

/// A schema step that removes a field the model does not have would test
/// nothing, so `check` rejects it at the step's line, like any other
/// step that would fail at run time.
#[test]
fn schema_step_removing_nothing_is_invalid() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("typo.yaml");
    std::fs::write(
        &file,
        "name: typo\nsteps:\n  - sync\n  - schema:\n      models:\n        res.partnr:\n          fields:\n            email: {remove: true}\nexpect: [converged]\n",
    )
    .expect("write the scenario");

    let output = harness(&["check", &file.display().to_string()]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:4:5", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("field res.partnr.email does not exist, so it cannot be removed"),
        "{stderr}"
    );
}

#[test]
fn missing_path_is_invalid_input() {
    let output = harness(&[
        "run",
        "--integration",
        "true",
        "scenarios/no-such-file.yaml",
    ]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn filter_without_match_selects_nothing() {
    let output = harness(&[
        "run",
        "--integration",
        "true",
        "--filter",
        "no scenario is named so",
    ]);

    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
}

#[test]
fn bad_partition_is_a_usage_error() {
    let output = harness(&["run", "--integration", "true", "--partition", "3/2"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid partition"));
}

#[test]
fn integration_and_reference_conflict() {
    let output = harness(&["run", "--integration", "true", "--reference"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn failed_contract_exits_100_with_details() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let junit = dir.path().join("junit.xml");

    let output = harness(&[
        "run",
        "--no-progress",
        "--integration",
        "echo pass output; echo pass complaint >&2",
        "--junit",
        &junit.display().to_string(),
        "scenarios/first-sync.yaml",
    ]);

    assert_eq!(output.status.code(), Some(100), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("expectation `converged` (line 23) did not hold"),
        "{stdout}"
    );
    assert!(
        stdout.contains("customer c1 (version 1) is missing"),
        "{stdout}"
    );
    assert!(stdout.contains("pass complaint"), "{stdout}");
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(
        xml.contains("<testcase name=\"first sync creates customers, products and orders\""),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
}

/// An integration may print characters XML 1.0 forbids, such as U+FFFE.
/// The JUnit report replaces them, so that CI can parse it.
#[test]
fn junit_report_replaces_forbidden_characters() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let junit = dir.path().join("junit.xml");

    let output = harness(&[
        "run",
        "--no-progress",
        "--integration",
        "printf 'odd \\357\\277\\276 output\\n'; exit 1",
        "--junit",
        &junit.display().to_string(),
        "scenarios/first-sync.yaml",
    ]);

    assert_eq!(output.status.code(), Some(100), "{}", text(&output));
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(!xml.contains('\u{FFFE}'), "{xml}");
    assert!(xml.contains("odd \u{FFFD} output"), "{xml}");
}

/// A command the shell cannot find fails every expectation, so the
/// details begin with a line naming the command as the cause.
#[test]
fn missing_command_is_named_first() {
    let output = harness(&[
        "run",
        "--no-progress",
        "--integration",
        "no-such-sync-command-anywhere",
        "scenarios/first-sync.yaml",
    ]);

    assert_eq!(output.status.code(), Some(100), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let never_ran = stdout
        .find("the integration never ran: every pass gave up with exit code 127, the shell's code for a command it did not find; check the --integration command")
        .unwrap_or_else(|| panic!("no line for the command: {stdout}"));
    let first_expectation = stdout
        .find("did not hold")
        .unwrap_or_else(|| panic!("no failed expectation: {stdout}"));
    assert!(never_ran < first_expectation, "{stdout}");
}

/// SIGINT while a reference pass waits on a call the emulator holds for
/// 12 seconds ends the run at once, without waiting for that pass or the
/// emulator's shutdown on their threads.
#[test]
fn sigint_ends_a_waiting_run_promptly() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_odoo-harness"))
        .args([
            "run",
            "--reference",
            "--no-progress",
            "scenarios/slow-call-client-timeout.yaml",
        ])
        .current_dir(support::repository())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the harness starts");
    // Long enough for the first pass to be waiting on the held call.
    std::thread::sleep(std::time::Duration::from_secs(2));

    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let sent = std::time::Instant::now();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("signal");
    let status = child.wait().expect("the harness ends");

    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(4),
        "the harness took {:?} to end",
        sent.elapsed()
    );
}

#[test]
fn pass_timeout_kills_the_pass() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("slow.yaml");
    std::fs::write(
        &file,
        "name: slow\npass_timeout_seconds: 1\nsteps: [sync]\nexpect:\n  - odoo: {model: res.partner, domain: [[name, '=', nobody]], count: 0}\n",
    )
    .expect("write the scenario");
    let started = std::time::Instant::now();

    let output = harness(&[
        "run",
        "--no-progress",
        "--integration",
        "sleep 30",
        &file.display().to_string(),
    ]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn partition_takes_its_share() {
    let (output, report) = run_json("tests/fixtures/careful_sync.py", &["first-sync", "updates"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(report.len(), 2);

    let output = harness(&[
        "check",
        "--partition",
        "2/2",
        "scenarios/first-sync.yaml",
        "scenarios/updates.yaml",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("updates.yaml"), "{stdout}");
    assert!(!stdout.contains("first-sync.yaml"), "{stdout}");
}

/// The scenarios on the built-in odoo-17 spec, which the careful
/// integration implements.
const CAREFUL_PASSES: &[&str] = &[
    "marshal-none",
    "slow-call-client-timeout",
    "first-sync",
    "updates",
    "deletes-archive",
    "lost-create-response",
    "studio-required-field",
    "proxy-502",
    "rate-limited-429",
    "record-rule-hides-customer",
    "two-companies",
    "out-of-order-versions",
    "serialization-failure",
    "gateway-timeout-504",
    "write-access-revoked",
    "pagination-many-changes",
];

#[test]
fn careful_integration_holds_every_contract() {
    let (output, report) = run_json("tests/fixtures/careful_sync.py", CAREFUL_PASSES);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for name in CAREFUL_PASSES {
        assert_eq!(status(&report, name), "passed", "{name}: {}", text(&output));
    }
}

#[test]
fn naive_integration_bugs_are_named() {
    let scenarios = [
        "first-sync",
        "updates",
        "deletes-archive",
        "out-of-order-versions",
        "studio-required-field",
        "two-companies",
        "record-rule-hides-customer",
        "lost-create-response",
        "marshal-none",
        "rate-limited-429",
    ];

    let (output, report) = run_json("examples/naive_sync.py", &scenarios);

    assert_eq!(output.status.code(), Some(100), "{}", text(&output));
    for name in ["first-sync", "updates", "deletes-archive"] {
        assert_eq!(status(&report, name), "passed", "{name}: {}", text(&output));
    }
    for name in [
        "out-of-order-versions",
        "studio-required-field",
        "two-companies",
        "record-rule-hides-customer",
        "lost-create-response",
        "marshal-none",
        "rate-limited-429",
    ] {
        assert_eq!(status(&report, name), "failed", "{name}: {}", text(&output));
    }
    let lost = found_text(&report, "out-of-order-versions");
    assert!(
        lost.contains("lost update: customer c1 shows version 1"),
        "{lost}"
    );
    assert_eq!(
        report["studio-required-field"]["reports"],
        serde_json::json!([])
    );
    let swallowed = found_text(&report, "studio-required-field");
    assert!(
        swallowed.contains("unreported error: customer c2 could not sync"),
        "{swallowed}"
    );
    let duplicated = found_text(&report, "two-companies");
    assert!(
        duplicated.contains("duplicate res.partner records for customer c9"),
        "{duplicated}"
    );
    let hidden = found_text(&report, "record-rule-hides-customer");
    assert!(hidden.contains("unreported error: customer c9"), "{hidden}");
    let lost_response = found_text(&report, "lost-create-response");
    assert!(
        lost_response.contains("duplicate res.partner records for customer c1"),
        "{lost_response}"
    );
    let confirmed_twice = found_text(&report, "marshal-none");
    assert!(confirmed_twice.contains("3 calls"), "{confirmed_twice}");
    let impatient = found_text(&report, "rate-limited-429");
    assert!(impatient.contains("which asked to wait 2 s"), "{impatient}");
}

#[test]
fn failure_shows_the_journal_excerpt() {
    let (_, report) = run_json("examples/naive_sync.py", &["lost-create-response"]);

    let failures = report["lost-create-response"]["failures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let duplicates = failures
        .iter()
        .find(|f| f["expectation"] == "no_duplicates")
        .expect("a no_duplicates failure");
    let journal: Vec<&str> = duplicates["journal"]
        .as_array()
        .expect("journal lines")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        journal
            .iter()
            .any(|line| line.contains("res.partner.create -> reset [fault rule 1]")),
        "{journal:?}"
    );
    assert!(
        journal
            .iter()
            .any(|line| line.contains("res.partner.create -> ok")),
        "{journal:?}"
    );
}

#[test]
fn reference_engine_runs_in_process() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let json = dir.path().join("report.json");

    let output = harness(&[
        "run",
        "--no-progress",
        "--reference",
        "--json",
        &json.display().to_string(),
        "scenarios/first-sync.yaml",
    ]);

    assert!(
        matches!(output.status.code(), Some(0 | 100)),
        "{}",
        text(&output)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("valid JSON");
    assert_eq!(report["integration"], "reference");
    let passes = report["scenarios"][0]["passes"].as_array().expect("passes");
    assert_eq!(passes[0]["label"], "pass 1");
    assert_ne!(passes[0]["status"]["status"], "not_started");
    let output_text = format!("{}{}", passes[0]["stdout"], passes[0]["stderr"]);
    assert!(
        output_text.len() > 4,
        "the pass printed nothing: {output_text}"
    );
}

/// Lists every scenario of the library but the 10,000-customer load,
/// which takes minutes in a debug build.
fn library_without_large_load() -> Vec<String> {
    let mut paths: Vec<String> = std::fs::read_dir(repository().join("scenarios"))
        .expect("the scenario library")
        .map(|entry| entry.expect("a folder entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && name != "large-initial-load.yaml")
        .map(|name| format!("scenarios/{name}"))
        .collect();
    paths.sort();
    paths
}

#[rstest]
#[case::xmlrpc("xmlrpc")]
#[case::jsonrpc("jsonrpc")]
fn reference_engine_holds_every_contract(#[case] protocol: &str) {
    let paths = library_without_large_load();
    assert!(paths.len() >= 20, "{paths:?}");
    let mut args = vec![
        "run",
        "--no-progress",
        "--reference",
        "--protocol",
        protocol,
    ];
    args.extend(paths.iter().map(String::as_str));

    let output = harness(&args);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn session_scenario_fails_xmlrpc_integration() {
    // The careful integration speaks XML-RPC only, so it never logs in to
    // a web session and the scenario's journal expectation cannot hold.
    let (output, report) = run_json("tests/fixtures/careful_sync.py", &["session-expired"]);

    assert_eq!(output.status.code(), Some(100), "{}", text(&output));
    assert_eq!(status(&report, "session-expired"), "failed");
    assert!(
        text(&output).contains("/web/session/authenticate"),
        "{}",
        text(&output)
    );
}

#[test]
fn sigterm_kills_running_passes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let marker = dir.path().join("sleeper.pid");
    let file = dir.path().join("stuck.yaml");
    std::fs::write(
        &file,
        "name: stuck\nsteps: [sync]\nexpect:\n  - odoo: {model: res.partner, domain: [], count: 0}\n",
    )
    .expect("write the scenario");
    let command = format!("sleep 60 & echo $! > {}; wait", marker.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_odoo-harness"))
        .args(["run", "--no-progress", "--integration", &command])
        .arg(&file)
        .current_dir(repository())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the harness starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&marker)
        .unwrap_or_default()
        .trim()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the pass never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sleeper = std::fs::read_to_string(&marker)
        .expect("the pid")
        .trim()
        .to_owned();

    let harness_pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    nix::sys::signal::kill(harness_pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
    let status = child.wait().expect("the harness ends");

    assert_eq!(status.code(), Some(130));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let stat = std::fs::read_to_string(format!("/proc/{sleeper}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "the pass's child {sleeper} survived: {stat}"
    );
}

/// Runs the harness with a stdout pipe whose reader is closed at once, as
/// `odoo-harness … | head -0` does, and returns the exit code and stderr.
fn run_with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_odoo-harness"))
        .args(args)
        .current_dir(repository())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the harness starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("the harness ends");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[rstest]
#[case::run(&["run", "--no-progress", "scenarios/first-sync.yaml", "scenarios/updates.yaml"])]
#[case::check(&["check", "scenarios"])]
#[case::prop(&["prop", "--no-progress", "--cases", "1", "--max-steps", "2", "--seed", "1"])]
fn closed_stdout_ends_quietly(#[case] args: &[&str]) {
    let out = tempfile::tempdir().expect("a temporary directory");
    let out_arg = out.path().display().to_string();
    let mut args = args.to_vec();
    if args[0] == "prop" {
        args.extend(["--out", &out_arg]);
    }

    let (code, stderr) = run_with_closed_stdout(&args);

    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[rstest]
#[case::huge_generate(
    "saas: {generate: {customer: 18446744073709551615}}\nsteps: [sync]\n",
    "maximum is 100000"
)]
#[case::large_generate(
    "saas: {generate: {customer: 1000000000}}\nsteps: [sync]\n",
    "maximum is 100000"
)]
#[case::far_advance(
    "steps: [{clock: {advance_seconds: 9223372036854775807}}]\n",
    "years 1 to 9999"
)]
#[case::far_rewind(
    "steps: [{clock: {advance_seconds: -9223372036854775807}}]\n",
    "years 1 to 9999"
)]
#[case::year_overflow(
    "steps: [{clock: {freeze: \"9999-12-31 23:00:00\"}}, {clock: {advance_seconds: 7200}}]\n",
    "years 1 to 9999"
)]
fn unbounded_values_are_invalid(#[case] body: &str, #[case] limit: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("bounds.yaml");
    let scenario = format!(
        "name: bounds\n{body}expect:\n  - odoo: {{model: res.partner, domain: [], count: 0}}\n"
    );
    std::fs::write(&file, scenario).expect("write the scenario");
    let path = file.display().to_string();

    for command in ["check", "run"] {
        let args = if command == "check" {
            vec!["check", path.as_str()]
        } else {
            vec!["run", "--no-progress", path.as_str()]
        };
        let output = harness(&args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

        assert_eq!(
            output.status.code(),
            Some(2),
            "{command}: {}",
            text(&output)
        );
        assert!(stderr.contains(&format!("{path}:")), "{command}: {stderr}");
        assert!(stderr.contains(limit), "{command}: {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
}

#[test]
fn web_protocol_needs_password() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("web.yaml");
    let profile = repository().join("fixtures/profiles/studio-acme.yaml");
    let scenario = format!(
        "name: web with an API key\nprofile: {}\nprotocol: web\n\
         integration_user: {{login: sync@acme.test, api_key: acme-web-shop-api-key}}\n\
         steps: [sync]\nexpect:\n  - odoo: {{model: res.partner, domain: [], count: 0}}\n",
        profile.display()
    );
    std::fs::write(&file, scenario).expect("write the scenario");
    let path = file.display().to_string();

    let output = harness(&["check", &path]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr.contains(&format!("{path}:3:")), "{stderr}");
    assert!(stderr.contains("needs the password"), "{stderr}");

    let output = harness(&[
        "run",
        "--no-progress",
        "--protocol",
        "web",
        "scenarios/renamed-field.yaml",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr.contains("--protocol is web"), "{stderr}");
    assert!(stderr.contains("needs the password"), "{stderr}");
}

#[test]
fn bad_report_paths_stop_the_run() {
    let output = harness(&[
        "run",
        "--no-progress",
        "--json",
        "/proc/x.json",
        "--junit",
        "/nonexistent/dir/j.xml",
        "scenarios/first-sync.yaml",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr.contains("--json /proc/x.json"), "{stderr}");
    assert!(
        stderr.contains("--junit /nonexistent/dir/j.xml"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{}", text(&output));
}

#[rstest]
#[case::negative_seed("seed: -1\n", "count: 0", "invalid `seed`")]
#[case::negative_count("", "count: -1", "invalid `count`")]
#[case::huge_timeout(
    "pass_timeout_seconds: 18446744073709551615\n",
    "count: 0",
    "at most 86400"
)]
fn invalid_values_name_the_field(#[case] top: &str, #[case] count: &str, #[case] message: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("values.yaml");
    let scenario = format!(
        "name: values\n{top}steps: [sync]\nexpect:\n  - odoo: {{model: res.partner, domain: [], {count}}}\n"
    );
    std::fs::write(&file, scenario).expect("write the scenario");

    let output = harness(&["check", &file.display().to_string()]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn single_scenario_reads_singular() {
    let output = harness(&["check", "scenarios/first-sync.yaml"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(stdout.contains("\n1 scenario is valid\n"), "{stdout}");
}

#[test]
fn help_names_the_default_run() {
    let output = harness(&["--help"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(stdout.contains("Without a command"), "{stdout}");
    assert!(stdout.contains("reference engine"), "{stdout}");
}

#[test]
fn run_without_paths_outside_repository_explains() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let output = Command::new(env!("CARGO_BIN_EXE_odoo-harness"))
        .args(["run", "--no-progress"])
        .current_dir(directory.path())
        .output()
        .expect("the harness binary runs");

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(
            "scenarios: no such file or directory: without paths the harness reads the library \
             in ./scenarios; run it from the repository root or give scenario files or folders"
        ),
        "{}",
        text(&output)
    );
}
