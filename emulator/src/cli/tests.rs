//! Command-line parsing tests: tables of valid and invalid invocations.

use super::serve::build_emulator;
use super::*;

fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
    let mut full = vec!["odoo-emulator", "serve"];
    full.extend_from_slice(args);
    Cli::try_parse_from(full).map(|cli| match cli.command {
        Command::Serve(args) => args,
    })
}

fn profile(database: Option<&str>, source: &str) -> ProfileArg {
    ProfileArg {
        database: database.map(str::to_owned),
        source: source.to_owned(),
    }
}

#[test]
fn defaults() {
    let args = parse(&[]).expect("serve without options is valid");

    assert_eq!(args.bind, "127.0.0.1:8069".parse().expect("an address"));
    assert_eq!(args.port_file, None);
    assert_eq!(args.seed, 0);
    assert!(args.profiles.is_empty());
}

#[test]
fn valid_invocations() {
    let args = parse(&[
        "--bind",
        "127.0.0.1:0",
        "--port-file",
        "/tmp/port",
        "--seed",
        "42",
        "--profile",
        "odoo-17",
        "--profile",
        "acme=profiles/acme.yaml",
    ])
    .expect("valid options");

    assert_eq!(args.bind.port(), 0);
    assert_eq!(args.port_file, Some(PathBuf::from("/tmp/port")));
    assert_eq!(args.seed, 42);
    assert_eq!(
        args.profiles,
        vec![
            profile(None, "odoo-17"),
            profile(Some("acme"), "profiles/acme.yaml")
        ]
    );
}

#[test]
fn invalid_invocations() {
    let cases: [&[&str]; 6] = [
        &["--bind", "localhost"],
        &["--bind", "127.0.0.1:70000"],
        &["--seed", "-1"],
        &["--profile", "=odoo-17"],
        &["--profile", "demo="],
        &["--unknown"],
    ];
    for args in cases {
        let error = parse(args).expect_err("invalid options");
        assert!(error.use_stderr(), "{args:?}");
    }
}

#[test]
fn builtin_names() {
    assert!(is_builtin_name("odoo-17"));
    assert!(!is_builtin_name("odoo-17.yaml"));
    assert!(!is_builtin_name("./odoo-17"));
    assert!(!is_builtin_name("acme"));
}

#[test]
fn unsupported_profiles_are_usage_errors() {
    let cases = [
        vec![profile(None, "acme.yaml")],
        vec![profile(None, "odoo-17"), profile(Some("b"), "odoo-17")],
        vec![profile(Some("other"), "odoo-17")],
    ];
    for profiles in cases {
        let error = build_emulator(&profiles).expect_err("not supported yet");
        assert_eq!(error.code, EXIT_USAGE, "{profiles:?}");
    }
}

#[test]
fn default_profile_serves_demo() {
    let (emulator, database) = build_emulator(&[]).expect("the built-in profile");
    let address: SocketAddr = "127.0.0.1:8069".parse().expect("an address");

    assert_eq!(database, "demo");
    assert_eq!(
        startup_line(&emulator, address, &database),
        "odoo-emulator serving Odoo 17.0 at http://127.0.0.1:8069 (database demo, login admin, \
         password admin)"
    );
}
