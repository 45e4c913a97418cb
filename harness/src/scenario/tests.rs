//! Parsing scenario text: valid files load into the model, and each kind
//! of invalid file is rejected with its line and reason.

use std::path::Path;

use super::*;

/// Returns a path in the scenario library, so that relative profile and
/// spec paths in the test text resolve against the repository.
fn path() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/inline.yaml"
    ))
}

fn problems(text: &str) -> Vec<String> {
    let error = load_text(path(), text).expect_err("the scenario is invalid");
    let prefix = format!("{}:", path().display());
    error
        .problems
        .into_iter()
        .map(|p| p.strip_prefix(&prefix).unwrap_or(&p).to_owned())
        .collect()
}

const VALID: &str = r#"
name: updates reach Odoo
seed: 7
pass_timeout_seconds: 5
saas:
  customer: [{id: c1, name: Ada, email: ada@example.com}]
  generate: {product: 2}
steps:
  - sync
  - saas: {update: customer, id: c1, set: {email: ada@new.example}}
  - fault: {match: {model: res.partner, method: write}, times: 1, effect: {type: response_lost}}
  - clock: {advance_seconds: 3600}
  - clear_faults
  - reset
  - sync
expect:
  - converged
  - idempotent
  - odoo: {model: res.partner, domain: [[email, "=", ada@new.example]], count: 1}
  - calls: {match: {model: res.partner, method: write}, max: 3}
  - retries: {match: {model: res.partner}, max: 2}
  - respects_retry_after: {match: {service: object}}
"#;

#[test]
fn valid_scenario_loads() {
    let scenario = load_text(path(), VALID).expect("a valid scenario");

    assert_eq!(scenario.name, "updates reach Odoo");
    assert_eq!(scenario.seed, Some(7));
    assert_eq!(scenario.pass_timeout, std::time::Duration::from_secs(5));
    assert_eq!(scenario.profile.database, "demo");
    assert_eq!(scenario.user.login, "admin");
    assert_eq!(scenario.saas.len(), 3);
    assert_eq!(scenario.saas[1].id, "gen-p00001");
    assert_eq!(scenario.steps.len(), 7);
    assert_eq!(scenario.steps[1].line, 10);
    assert!(matches!(scenario.steps[0].value, Step::Sync));
    assert!(matches!(
        &scenario.steps[1].value,
        Step::Saas(SaasChange::Update { id, .. }) if id == "c1"
    ));
    assert!(matches!(
        scenario.steps[3].value,
        Step::Clock(ClockChange::Advance(_))
    ));
    assert_eq!(scenario.expectations.len(), 6);
    assert_eq!(scenario.expectations[2].line, 19);
    let Expectation::Calls(calls) = &scenario.expectations[3].value else {
        panic!("a calls expectation")
    };
    assert_eq!(
        calls.bounds,
        Bounds {
            min: None,
            max: Some(3)
        }
    );
}

#[test]
fn defaults_apply() {
    let text = "name: x\nsteps: [sync]\nexpect: [converged]\n";

    let scenario = load_text(path(), text).expect("a valid scenario");

    assert_eq!(scenario.profile_ref, "odoo-17");
    assert!(matches!(scenario.spec_source, SpecSource::Builtin { .. }));
    assert_eq!(scenario.pass_timeout, DEFAULT_PASS_TIMEOUT);
    assert_eq!(scenario.seed, None);
}

#[test]
fn relative_paths_resolve_from_file() {
    let text = "name: x
profile: ../fixtures/profiles/two-companies.yaml
spec: ../fixtures/mappings/odoo-17.yaml
integration_user: {login: sync@acme.test, api_key: acme-sync-api-key-0123456789}
steps: [sync]
expect: [converged]
";

    let scenario = load_text(path(), text).expect("a valid scenario");

    assert_eq!(scenario.profile.database, "acme");
    assert!(matches!(&scenario.spec_source, SpecSource::File(p) if p.ends_with("odoo-17.yaml")));
    assert_eq!(
        scenario.user.api_key.as_deref(),
        Some("acme-sync-api-key-0123456789")
    );
}

#[test]
fn invalid_scenarios_name_line_and_reason() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown step",
            "name: x\nsteps:\n  - sync\n  - synch\nexpect: [converged]\n",
            "4:5: unknown variant `synch`",
        ),
        (
            "misspelt key",
            "name: x\nstep: [sync]\nexpect: [converged]\n",
            "2:1: unknown field `step`",
        ),
        (
            "update before create",
            "name: x\nsteps:\n  - saas: {update: customer, id: c9, set: {name: B}}\nexpect: [converged]\n",
            "3:5: customer \"c9\" does not exist",
        ),
        (
            "unknown SaaS field",
            "name: x\nsaas:\n  customer:\n    - {id: c1, name: A, colour: red}\nsteps: [sync]\nexpect: [converged]\n",
            "4:7: customer has no field `colour`",
        ),
        (
            "record without id",
            "name: x\nsaas:\n  product:\n    - {sku: A, name: A}\nsteps: [sync]\nexpect: [converged]\n",
            "4:7: a product needs an `id`, written as a string",
        ),
        (
            "invalid fault rule",
            "name: x\nsteps:\n  - fault: {schedule: {nth: 0}, effect: {type: reset}}\nexpect: [converged]\n",
            "3:5: invalid fault rule: schedule counts start at 1",
        ),
        (
            "schema change to an unknown model",
            "name: x\nsteps:\n  - schema: {models: {res.partnr: {fields: {x: {required: true}}}}}\nexpect: [converged]\n",
            "3:5: the schema change does not apply to the profile",
        ),
        (
            "access step with models",
            "name: x\nsteps:\n  - access: {models: {res.partner: {}}}\nexpect: [converged]\n",
            "3:5: an access step takes grant, revoke and rules",
        ),
        (
            "two saas actions",
            "name: x\nsteps:\n  - saas: {create: customer, delete: customer, id: c1}\nexpect: [converged]\n",
            "3:5: a saas step needs exactly one of create, update, delete and replay",
        ),
        (
            "query on an unknown model",
            "name: x\nsteps: [sync]\nexpect:\n  - odoo: {model: res.partnr, count: 1}\n",
            "4:5: the query on res.partnr fails against the profile",
        ),
        (
            "count with max",
            "name: x\nsteps: [sync]\nexpect:\n  - calls: {count: 1, max: 2}\n",
            "4:5: give either `count` or `min`/`max`, not both",
        ),
        (
            "errors reported for an unknown record",
            "name: x\nsteps: [sync]\nexpect:\n  - errors_reported: {customer: [c1]}\n",
            "4:5: errors_reported names customer \"c1\", which the SaaS never has",
        ),
        (
            "bad clock",
            "name: x\nsteps:\n  - clock: {freeze: tomorrow}\nexpect: [converged]\n",
            "3:5: `freeze` \"tomorrow\" is not YYYY-MM-DD HH:MM:SS",
        ),
        (
            "missing profile file",
            "name: x\nprofile: nowhere.yaml\nsteps: [sync]\nexpect: [converged]\n",
            "2:10: the profile is invalid",
        ),
        (
            "user who cannot log in",
            "name: x\nintegration_user: {login: admin, password: wrong}\nsteps: [sync]\nexpect: [converged]\n",
            "2:19: the integration user \"admin\" cannot log in",
        ),
        (
            "nothing expected",
            "name: x\nsteps: [sync]\nexpect: []\n",
            " `expect` is empty",
        ),
    ];
    for (case, text, expected) in cases {
        let found = problems(text);
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{case}: expected a problem starting with {expected:?}, found {found:?}"
        );
    }
}

#[test]
fn every_problem_is_listed() {
    let text = "name: x
steps:
  - saas: {update: customer, id: c1}
  - clock: {}
expect:
  - calls: {}
";

    let found = problems(text);

    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("3:5:"), "{found:?}");
    assert!(found[1].starts_with("4:5:"), "{found:?}");
    assert!(found[2].starts_with("6:5:"), "{found:?}");
}

#[test]
fn invalid_problem_names_the_file() {
    let error = load(Path::new("/nonexistent/scenario.yaml")).expect_err("no such file");

    assert_eq!(error.problems.len(), 1);
    assert!(
        error.problems[0].starts_with("/nonexistent/scenario.yaml: cannot read the scenario"),
        "{:?}",
        error.problems
    );
}

#[test]
fn shipped_scenarios_are_valid() {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let files = discover::scenario_files(&[directory.into()]).expect("the library is readable");
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        if let Err(error) = load(&file) {
            panic!("{error}");
        }
    }
}

/// The parser's messages that name its own options are reworded as what
/// to change in the file.
#[test]
fn parser_options_reworded() {
    assert_eq!(
        problems("name: a\nname: b\nsteps: [sync]\nexpect: [converged]\n"),
        ["2:1: the key `name` appears twice in this mapping; give each key once"]
    );
    let documents = problems("name: a\nsteps: [sync]\nexpect: [converged]\n---\nname: b\n");
    assert_eq!(documents.len(), 1, "{documents:?}");
    assert!(
        documents[0].starts_with("5:1: the file contains more than one YAML document"),
        "{documents:?}"
    );
}

/// A name is printed to terminals, so control characters are rejected.
#[test]
fn name_with_control_characters_rejected() {
    let found = problems("name: \"red \\e[31m text\"\nsteps: [sync]\nexpect: [converged]\n");
    assert_eq!(
        found,
        [" `name` contains the control character '\\u{1b}'; use printable characters only"]
    );
}
