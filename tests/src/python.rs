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
    if let Some(emulator) = emulator {
        command
            .env("ODOO_URL", emulator.url())
            .env("ODOO_DB", DATABASE)
            .env("ODOO_USERNAME", USERNAME)
            .env("ODOO_PASSWORD", PASSWORD);
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
    let emulator = Emulator::start();
    let run = run_script(script, &[scenario], Some(&emulator));
    assert!(
        run.succeeded(),
        "scenario {scenario} of {script} failed: {}",
        run.describe()
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
///
/// ```ignore
/// odoo_e2e::client_scenarios!("xmlrpc_client.py": version, authenticate_admin);
/// ```
#[macro_export]
macro_rules! client_scenarios {
    ($script:literal: $($scenario:ident),+ $(,)?) => {
        $(
            #[test]
            fn $scenario() {
                $crate::python::run_scenario($script, stringify!($scenario));
            }
        )+

        #[test]
        fn scenario_list_matches() {
            let mut expected = vec![$(stringify!($scenario).to_owned()),+];
            let mut listed = $crate::python::list_scenarios($script);
            expected.sort();
            listed.sort();
            assert_eq!(listed, expected, "the scenarios of {} differ from the Rust tests", $script);
        }
    };
}
