//! `odoo-harness prop` end to end: it finds the naive example's bugs,
//! shrinks them to a short history whose scenario file replays the same
//! failure, and finds nothing wrong with the reference engine.

use std::path::PathBuf;

mod support;

use support::{harness, integration, text};

fn naive() -> String {
    integration("examples/naive_sync.py")
}

/// Reads `shrunk from N steps to M` from the report.
fn shrunk_steps(stdout: &str) -> Option<usize> {
    let rest = stdout.split("shrunk from ").nth(1)?;
    let (_, after) = rest.split_once(" steps to ")?;
    after.split_whitespace().next()?.parse().ok()
}

#[test]
fn prop_finds_and_shrinks_naive_bugs() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let out_arg = out.path().display().to_string();
    let command = naive();

    let output = harness(&[
        "prop",
        "--no-progress",
        "--integration",
        &command,
        "--properties",
        "no_duplicates,no_lost_updates",
        "--protocol",
        "xmlrpc",
        "--seed",
        "4",
        "--cases",
        "15",
        "--max-steps",
        "8",
        "--jobs",
        "2",
        "--out",
        &out_arg,
    ]);

    assert_eq!(output.status.code(), Some(100), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let property = ["no_duplicates", "no_lost_updates"]
        .into_iter()
        .find(|p| stdout.contains(&format!("broke {p}; shrunk")))
        .unwrap_or_else(|| panic!("no duplicate or lost update found:\n{stdout}"));
    let steps = shrunk_steps(&stdout).expect("the report gives the shrunk length");
    assert!(steps <= 5, "{steps} steps after shrinking:\n{stdout}");
    assert!(stdout.contains(" 1. "), "no numbered history:\n{stdout}");
    assert!(stdout.contains("search again with seed 4"), "{stdout}");
    // The command to search again keeps the options that change what
    // is searched and where it is written.
    assert!(stdout.contains(" --protocol xmlrpc"), "{stdout}");
    assert!(stdout.contains(&format!(" --out {out_arg}")), "{stdout}");
    assert!(
        !stdout.contains("journal:  "),
        "a journal heading per line:\n{stdout}"
    );

    let files: Vec<PathBuf> = std::fs::read_dir(out.path())
        .expect("the output folder exists")
        .map(|entry| entry.expect("a folder entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let scenario = files[0].display().to_string();
    assert!(
        stdout.contains(&scenario),
        "the path is not shown:\n{stdout}"
    );
    let written = std::fs::read_to_string(&files[0]).expect("the scenario file");
    assert!(written.contains("seed: 4\n"), "{written}");
    assert!(written.contains("protocol: xmlrpc\n"), "{written}");

    let checked = harness(&["check", &scenario]);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));

    let replayed = harness(&["run", "--no-progress", "--integration", &command, &scenario]);
    assert_eq!(replayed.status.code(), Some(100), "{}", text(&replayed));
    let replay_stdout = String::from_utf8_lossy(&replayed.stdout);
    assert!(
        replay_stdout.contains(&format!("expectation `{property}`")),
        "the replay does not break {property}:\n{replay_stdout}"
    );
}

#[test]
fn prop_finds_nothing_in_the_reference_engine() {
    let out = tempfile::tempdir().expect("a temporary directory");

    let output = harness(&[
        "prop",
        "--no-progress",
        "--reference",
        "--seed",
        "11",
        "--cases",
        "24",
        "--out",
        &out.path().display().to_string(),
    ]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("(seed 11, 24 cases)"), "{stdout}");
}

#[test]
fn prop_reference_engine_over_jsonrpc() {
    let out = tempfile::tempdir().expect("a temporary directory");

    let output = harness(&[
        "prop",
        "--no-progress",
        "--reference",
        "--protocol",
        "jsonrpc",
        "--seed",
        "3",
        "--cases",
        "6",
        "--out",
        &out.path().display().to_string(),
    ]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn prop_rejects_an_unknown_protocol() {
    let output = harness(&["prop", "--reference", "--protocol", "soap"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("unknown protocol \"soap\": use xmlrpc, jsonrpc or web"),
        "{}",
        text(&output)
    );
}

#[test]
fn prop_rejects_zero_cases() {
    let output = harness(&["prop", "--reference", "--cases", "0"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("from 1 to 10000"));
}

/// An `--out` that names a file cannot become the folder of failing
/// scenarios: a bad option, exit code 2, before anything runs.
#[test]
fn prop_rejects_an_out_that_is_a_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("a file is written");

    let output = harness(&["prop", "--reference", "--out", &file.display().to_string()]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("creating the folder failed"),
        "{}",
        text(&output)
    );
}

#[test]
fn prop_rejects_a_missing_profile() {
    let output = harness(&["prop", "--reference", "--profile", "no/such/profile.yaml"]);

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the profile is invalid"));
}

#[test]
fn out_of_range_options_are_invalid() {
    let cases = [
        ["--max-steps", "100000"],
        ["--max-steps", "0"],
        ["--cases", "0"],
        ["--cases", "10001"],
        ["--jobs", "0"],
    ];
    for [option, value] in cases {
        let output = harness(&["prop", "--no-progress", option, value]);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

        assert_eq!(
            output.status.code(),
            Some(2),
            "{option} {value}: {}",
            text(&output)
        );
        assert!(stderr.contains(option), "{option} {value}: {stderr}");
    }
    let output = harness(&["run", "--no-progress", "--jobs", "0"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "run --jobs 0: {}",
        text(&output)
    );
}

#[test]
fn sigterm_ends_generation_promptly() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_odoo-harness"))
        .args([
            "prop",
            "--no-progress",
            "--cases",
            "10000",
            "--max-steps",
            "200",
        ])
        .args(["--seed", "1", "--out"])
        .arg(out.path())
        .current_dir(support::repository())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the harness starts");
    // The header comes just before the signal handlers are installed, so
    // a short wait after it lets the signal reach them during generation.
    let mut header = String::new();
    let stdout = child.stdout.take().expect("a stdout pipe");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut header)
        .expect("the header");
    assert!(header.starts_with("prop: "), "{header}");
    std::thread::sleep(std::time::Duration::from_millis(300));

    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let sent = std::time::Instant::now();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
    let status = child.wait().expect("the harness ends");

    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(5),
        "the harness took {:?} to end",
        sent.elapsed()
    );
}

#[test]
fn invalid_options_are_named() {
    let cases: [&[&str]; 3] = [
        &["--profile", "/nope.yaml"],
        &["--spec", "/nope.yaml"],
        &[
            "--profile",
            "fixtures/profiles/studio-acme.yaml",
            "--login",
            "sync@acme.test",
            "--api-key",
            "wrong-key",
        ],
    ];
    let expected = [
        "--profile /nope.yaml:",
        "--spec /nope.yaml:",
        "--login sync@acme.test --api-key:",
    ];
    for (options, named) in cases.into_iter().zip(expected) {
        let mut args = vec!["prop", "--no-progress"];
        args.extend(options);
        let output = harness(&args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

        assert_eq!(
            output.status.code(),
            Some(2),
            "{options:?}: {}",
            text(&output)
        );
        assert!(stderr.contains(named), "{options:?}: {stderr}");
        assert!(!stderr.contains("generated.yaml"), "{options:?}: {stderr}");
        assert!(!stderr.contains("wrong-key"), "{options:?}: {stderr}");
    }
}

#[test]
fn misfit_spec_is_invalid() {
    let output = harness(&[
        "prop",
        "--no-progress",
        "--profile",
        "fixtures/profiles/studio-acme.yaml",
        "--spec",
        "odoo-17",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr.contains("--spec odoo-17 does not fit"), "{stderr}");
    assert!(stderr.contains("x_studio_segment"), "{stderr}");
}
