//! Spawning the real `odoo-emulator` binary for one test.
//!
//! Each [`Emulator`] is its own process on a free loopback port, so tests
//! never share state. The process is killed when the value is dropped, and
//! its output is printed when the test that owns it panics.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The binary's file name, without the platform's executable suffix.
const BINARY_NAME: &str = "odoo-emulator";

/// Environment variable that points the harness at another binary.
pub const BINARY_ENV: &str = "ODOO_EMULATOR_BIN";

/// Environment variable that overrides the startup timeout, in seconds.
pub const STARTUP_TIMEOUT_ENV: &str = "ODOO_E2E_STARTUP_TIMEOUT";

/// How long a fresh emulator may take to pass its health check.
const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Delay between two reads of the port file or requests to the health route.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Returns the default path of the `odoo-emulator` binary: the file named by
/// `ODOO_EMULATOR_BIN`, or else the one Cargo builds into the same target
/// directory as the running test executable.
pub fn default_binary_path() -> PathBuf {
    if let Some(path) = std::env::var_os(BINARY_ENV) {
        return PathBuf::from(path);
    }
    let name = format!("{BINARY_NAME}{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().unwrap_or_default();
    // Test executables live in `target/<profile>/deps`, binaries one level up.
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    dir.join(name)
}

/// Returns the path of a file under the repository's `fixtures/`, such as
/// `profiles/studio-acme.yaml`.
pub fn fixture_path(relative: &str) -> PathBuf {
    // As in `python::client_path`, the run-time CARGO_MANIFEST_DIR wins.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    crate_dir.join("..").join("fixtures").join(relative)
}

/// Why an emulator could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "the odoo-emulator binary was not found at {}: run `cargo build --bins` first \
         (with the same CARGO_TARGET_DIR and profile as the tests), or set {BINARY_ENV}",
        path.display()
    )]
    BinaryMissing { path: PathBuf },

    #[error("failed to prepare a temporary directory for the emulator: {0}")]
    TempDir(#[source] io::Error),

    #[error("failed to start {}: {source}", path.display())]
    Spawn {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("odoo-emulator exited with {status} before it became healthy\n{logs}")]
    Exited { status: ExitStatus, logs: Logs },

    #[error(
        "odoo-emulator did not become healthy within {}s ({stage}); \
         set {STARTUP_TIMEOUT_ENV} to wait longer\n{logs}",
        timeout.as_secs_f32()
    )]
    Timeout {
        timeout: Duration,
        stage: String,
        logs: Logs,
    },
}

/// The standard output and error an emulator process wrote so far.
#[derive(Debug, Clone, Default)]
pub struct Logs {
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Logs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |text: &str| match text.trim_end() {
            "" => "(empty)".to_owned(),
            trimmed => trimmed.to_owned(),
        };
        writeln!(f, "--- odoo-emulator stdout ---")?;
        writeln!(f, "{}", show(&self.stdout))?;
        writeln!(f, "--- odoo-emulator stderr ---")?;
        write!(f, "{}", show(&self.stderr))
    }
}

/// Options for starting an emulator, made by [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    binary: PathBuf,
    serve_args: Vec<OsString>,
    startup_timeout: Duration,
}

impl EmulatorBuilder {
    /// Uses another binary than [`default_binary_path`].
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = path.into();
        self
    }

    /// Adds an option to `odoo-emulator serve`, such as `--seed`.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.serve_args.push(arg.into());
        self
    }

    /// Serves a profile (a path, `DB=PATH`, or a built-in base name).
    pub fn profile(self, profile: impl Into<OsString>) -> Self {
        self.arg("--profile").arg(profile)
    }

    /// Sets how long to wait for the health check to pass.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Starts the emulator and waits until `GET /_emulator/health` returns
    /// 200, or the process exits, or the startup timeout passes.
    pub fn try_start(self) -> Result<Emulator, StartError> {
        if !self.binary.is_file() {
            return Err(StartError::BinaryMissing { path: self.binary });
        }
        let workdir = tempfile::Builder::new()
            .prefix("odoo-e2e-")
            .tempdir()
            .map_err(StartError::TempDir)?;
        let port_file = workdir.path().join("port");
        let stdout_path = workdir.path().join("stdout.log");
        let stderr_path = workdir.path().join("stderr.log");
        let stdout = File::create(&stdout_path).map_err(StartError::TempDir)?;
        let stderr = File::create(&stderr_path).map_err(StartError::TempDir)?;

        let mut command = Command::new(&self.binary);
        command
            .arg("serve")
            .arg("--bind")
            .arg("127.0.0.1:0")
            .arg("--port-file")
            .arg(&port_file)
            .args(&self.serve_args)
            // Relative paths sent to the control API land in the
            // temporary directory, not in the checkout.
            .current_dir(workdir.path())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        // Every option has an `ODOO_EMULATOR_*` twin, so a developer's own
        // settings are removed to keep the tests hermetic.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ODOO_EMULATOR_") {
                command.env_remove(key);
            }
        }
        let child = command.spawn().map_err(|source| StartError::Spawn {
            path: self.binary.clone(),
            source,
        })?;

        let mut emulator = Emulator {
            child,
            url: String::new(),
            stdout_path,
            stderr_path,
            _workdir: workdir,
        };
        emulator.wait_until_healthy(&port_file, self.startup_timeout)?;
        Ok(emulator)
    }

    /// Starts the emulator like [`Self::try_start`] and panics with the
    /// reason and the process output when it fails.
    pub fn start(self) -> Emulator {
        self.try_start().unwrap_or_else(|error| panic!("{error}"))
    }
}

/// A running `odoo-emulator serve` process on a loopback port.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    url: String,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    // Contains the port file and the logs, and is removed after the kill.
    _workdir: TempDir,
}

impl Emulator {
    /// Returns the options for starting an emulator with the default binary,
    /// the built-in profile and the default startup timeout.
    pub fn builder() -> EmulatorBuilder {
        let startup_timeout = std::env::var(STARTUP_TIMEOUT_ENV)
            .ok()
            .and_then(|value| value.parse::<f64>().ok())
            .map(Duration::from_secs_f64)
            .unwrap_or(DEFAULT_STARTUP_TIMEOUT);
        EmulatorBuilder {
            binary: default_binary_path(),
            serve_args: Vec::new(),
            startup_timeout,
        }
    }

    /// Starts an emulator serving the built-in `odoo-17` profile, and panics
    /// with a clear message when it does not become healthy.
    pub fn start() -> Emulator {
        Self::builder().start()
    }

    /// Returns the process's working directory, a temporary directory
    /// removed with the emulator.
    pub fn workdir(&self) -> &Path {
        self._workdir.path()
    }

    /// Returns the base URL, such as `http://127.0.0.1:41234`, without a
    /// trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the URL of a route, such as `self.route("/xmlrpc/2/common")`.
    pub fn route(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Returns the port the emulator listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_default()
    }

    /// Returns what the process wrote to stdout and stderr so far.
    pub fn logs(&self) -> Logs {
        Logs {
            stdout: fs::read_to_string(&self.stdout_path).unwrap_or_default(),
            stderr: fs::read_to_string(&self.stderr_path).unwrap_or_default(),
        }
    }

    /// Tells whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn wait_until_healthy(
        &mut self,
        port_file: &Path,
        timeout: Duration,
    ) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client without TLS always builds");
        let mut address: Option<SocketAddr> = None;
        let mut stage = format!("no port written to {}", port_file.display());

        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(StartError::Exited {
                    status,
                    logs: self.logs(),
                });
            }
            if address.is_none() {
                let content = fs::read_to_string(port_file).unwrap_or_default();
                address = parse_port_file(&content);
                if address.is_none() && !content.trim().is_empty() {
                    stage = format!("unreadable port file content {:?}", content.trim());
                }
            }
            if let Some(address) = address {
                let url = format!("http://{address}");
                match client.get(format!("{url}/_emulator/health")).send() {
                    Ok(response) if response.status().is_success() => {
                        self.url = url;
                        return Ok(());
                    }
                    Ok(response) => {
                        stage = format!("GET /_emulator/health returned {}", response.status());
                    }
                    Err(error) => stage = format!("GET /_emulator/health failed: {error}"),
                }
            }
            if Instant::now() >= deadline {
                return Err(StartError::Timeout {
                    timeout,
                    stage,
                    logs: self.logs(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Best effort: the process may already have exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("odoo-emulator at {}:\n{}", self.url, self.logs());
        }
    }
}

/// Reads the listening address from a port file that contains a port
/// number, a `host:port` address or an `http://host:port` URL. The host
/// defaults to 127.0.0.1, the address the harness binds.
fn parse_port_file(content: &str) -> Option<SocketAddr> {
    let text = content.trim();
    let text = text.strip_prefix("http://").unwrap_or(text);
    let text = text.trim_end_matches('/');
    if text.is_empty() {
        return None;
    }
    if let Ok(port) = text.parse::<u16>() {
        return (port != 0).then(|| SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse::<SocketAddr>()
        .ok()
        .filter(|address| address.port() != 0)
}

#[cfg(test)]
mod tests {
    use super::parse_port_file;

    #[test]
    fn port_file_formats() {
        let expected = "127.0.0.1:8069".parse().ok();
        assert_eq!(parse_port_file("8069\n"), expected);
        assert_eq!(parse_port_file("127.0.0.1:8069"), expected);
        assert_eq!(parse_port_file("http://127.0.0.1:8069/"), expected);
    }

    #[test]
    fn port_file_incomplete() {
        assert_eq!(parse_port_file(""), None);
        assert_eq!(parse_port_file("0"), None);
        assert_eq!(parse_port_file("127.0.0."), None);
    }
}
