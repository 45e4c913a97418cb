//! Running the Python client scripts of `tests/clients/` against an
//! emulator.
//!
//! A script takes a scenario name as its only argument, reads where Odoo is
//! from `ODOO_URL`, `ODOO_DB`, `ODOO_USERNAME` and `ODOO_PASSWORD`, and exits
//! non-zero with a message when a check fails. `--list` prints the scenario
//! names, one a line.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::emulator::Emulator;

/// Environment variable that names the Python interpreter to use.
pub const PYTHON_ENV: &str = "ODOO_E2E_PYTHON";

/// Environment variable that overrides the per-script timeout, in seconds.
pub const SCRIPT_TIMEOUT_ENV: &str = "ODOO_E2E_SCRIPT_TIMEOUT";

/// How long one scenario may run before it is killed.
const DEFAULT_SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// The database, login and password of the built-in `odoo-17` profile.
pub const DATABASE: &str = "demo";
pub const USERNAME: &str = "admin";
pub const PASSWORD: &str = "admin";

/// The database and login a script receives as `ODOO_DB`,
/// `ODOO_USERNAME` and `ODOO_PASSWORD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub database: &'static str,
    pub username: &'static str,
    pub password: &'static str,
}

impl Connection {
    /// The administrator of the built-in `odoo-17` profile's database.
    pub const DEMO: Connection = Connection {
        database: DATABASE,
        username: USERNAME,
        password: PASSWORD,
    };
}

/// The outcome of one script run.
#[derive(Debug)]
pub struct ScriptRun {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl ScriptRun {
    pub fn succeeded(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|status| status.success())
    }

    fn describe(&self) -> String {
        let outcome = match (self.timed_out, self.status) {
            (true, _) => "timed out".to_owned(),
            (false, Some(status)) => format!("exited with {status}"),
            (false, None) => "ended without an exit status".to_owned(),
        };
        format!(
            "{outcome}\n--- script stdout ---\n{}\n--- script stderr ---\n{}",
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Returns the path of a script in `tests/clients/`.
pub fn client_path(script: &str) -> PathBuf {
    // `cargo test` sets CARGO_MANIFEST_DIR at run time too. Preferring it
    // keeps the path right when a shared target directory holds a test
    // binary that was compiled from another checkout.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    crate_dir.join("clients").join(script)
}

/// Returns the Python interpreter: `ODOO_E2E_PYTHON`, or `python3`.
pub fn python() -> String {
    std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".to_owned())
}

/// Runs `script` with `args` and the connection variables of `emulator`
/// (none when `emulator` is `None`), killing it after the script timeout.
pub fn run_script(script: &str, args: &[&str], emulator: Option<&Emulator>) -> ScriptRun {
    run_script_as(script, args, emulator.map(|e| (e, Connection::DEMO)))
}

/// Runs `script` like [`run_script`], with the URL of the emulator and the
/// given database and login.
pub fn run_script_as(
    script: &str,
    args: &[&str],
    target: Option<(&Emulator, Connection)>,
) -> ScriptRun {
    let path = client_path(script);
    let mut command = Command::new(python());
    command
        .arg(&path)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((emulator, connection)) = target {
        command
            .env("ODOO_URL", emulator.url())
            .env("ODOO_DB", connection.database)
            .env("ODOO_USERNAME", connection.username)
            .env("ODOO_PASSWORD", connection.password);
    }
    let mut child = command.spawn().unwrap_or_else(|error| {
        panic!(
            "failed to run `{} {}`: {error}; install Python 3.11 or set {PYTHON_ENV}",
            python(),
            path.display()
        )
    });

    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let (status, timed_out) = wait_with_timeout(&mut child, script_timeout());
    ScriptRun {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        timed_out,
    }
}

/// Starts an emulator, runs one scenario of `script` against it and panics
/// with the script's output when the scenario fails. The emulator's own
/// output is printed too, because it is dropped while panicking.
pub fn run_scenario(script: &str, scenario: &str) {
    run_scenario_with(script, scenario, Emulator::start, Connection::DEMO);
}

/// Runs one scenario like [`run_scenario`], against the emulator that
/// `start` returns, such as one serving customer profiles, and with
/// `connection` as the script's database and login.
pub fn run_scenario_with(
    script: &str,
    scenario: &str,
    start: impl FnOnce() -> Emulator,
    connection: Connection,
) {
    let emulator = start();
    let run = run_script_as(script, &[scenario], Some((&emulator, connection)));
    assert!(
        run.succeeded(),
        "scenario {scenario} of {script} failed: {}",
        run.describe()
    );
}

/// Checks that `script --list` prints exactly the `expected` scenarios.
pub fn check_scenario_list(script: &str, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
    let mut listed = list_scenarios(script);
    expected.sort();
    listed.sort();
    assert_eq!(
        listed, expected,
        "the scenarios of {script} differ from the Rust tests"
    );
}

/// Returns the scenario names that `script --list` prints.
pub fn list_scenarios(script: &str) -> Vec<String> {
    let run = run_script(script, &["--list"], None);
    assert!(
        run.succeeded(),
        "{script} --list failed: {}",
        run.describe()
    );
    run.stdout
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn script_timeout() -> Duration {
    std::env::var(SCRIPT_TIMEOUT_ENV)
        .ok()
        .and_then(|value| value.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_SCRIPT_TIMEOUT)
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error leaves what was read so far, which is still useful.
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> (Option<ExitStatus>, bool) {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Some(status), false),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                return (child.wait().ok(), true);
            }
        }
    }
}

/// Defines one `#[test]` per scenario of a client script, plus a test that
/// the script offers exactly these scenarios, so none is silently skipped.
/// By default each test starts an emulator serving the built-in profile
/// and connects as its administrator. A start function and a
/// [`Connection`] before `;` serve something else.
///
/// ```ignore
/// odoo_e2e::client_scenarios!("xmlrpc_client.py": version, authenticate_admin);
/// odoo_e2e::client_scenarios!("customers.py", serve_customers, ACME_ADMIN; db_list);
/// ```
#[macro_export]
macro_rules! client_scenarios {
    ($script:literal: $($scenario:ident),+ $(,)?) => {
        $crate::client_scenarios!(
            $script,
            $crate::emulator::Emulator::start,
            $crate::python::Connection::DEMO;
            $($scenario),+
        );
    };
    ($script:literal, $start:expr, $connection:expr; $($scenario:ident),+ $(,)?) => {
        $(
            #[test]
            fn $scenario() {
                $crate::python::run_scenario_with(
                    $script,
                    stringify!($scenario),
                    $start,
                    $connection,
                );
            }
        )+

        #[test]
        fn scenario_list_matches() {
            $crate::python::check_scenario_list($script, &[$(stringify!($scenario)),+]);
        }
    };
}
