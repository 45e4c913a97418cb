//! Running one sync pass of the integration under test.
//!
//! An integration is a command, run once per pass through `sh -c` with
//! the contract's environment (`ODOO_URL`, `ODOO_DB`, `ODOO_USERNAME`,
//! `ODOO_PASSWORD`, `ODOO_API_KEY`, `SAAS_URL`, `SYNC_STATE_DIR`,
//! `SYNC_SPEC`) added to the harness's own, and `SYNC_PROTOCOL` when the
//! run chose a protocol. The command runs in a process
//! group of its own, and past the timeout the whole group is killed, so a
//! pass that starts helpers cannot leave them running. Its output is
//! captured for the report.
//!
//! The reference engine runs in-process instead, through
//! `odoo_sync::run_pass` on a blocking thread, and its log lines (INFO and
//! above) are captured as the pass's stderr. A thread cannot be killed, so
//! a reference pass past its timeout is reported as timed out and left to
//! finish in the background.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::AsyncReadExt;

/// The maximum output kept per stream and pass, in bytes. Of longer output,
/// the end is kept.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;

/// How long the harness waits for output pipes to close after the pass
/// ended, in case a helper left the process group and keeps them open.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// The process groups of the passes running now, so that an interrupted
/// harness can end them: they do not receive the terminal's signals.
static RUNNING_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Kills the process group of every pass still running, as the harness
/// does when it is interrupted.
pub fn kill_running_passes() {
    let groups = running_groups().clone();
    for group in groups {
        kill_group(group);
    }
}

/// The integration under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integration {
    /// A shell command, run once per pass.
    Command(String),
    /// `odoo_sync::run_pass`, in-process.
    Reference,
}

/// The contract's environment for one scenario.
#[derive(Debug, Clone)]
pub struct PassEnv {
    pub odoo_url: String,
    pub database: String,
    pub username: String,
    pub password: String,
    pub api_key: Option<String>,
    pub saas_url: String,
    pub state_dir: PathBuf,
    pub spec_path: PathBuf,
    /// The protocol chosen for the run, over the spec's. Process
    /// integrations get it as `SYNC_PROTOCOL` and may ignore it.
    pub protocol: Option<odoo_sync::rpc::Protocol>,
}

impl PassEnv {
    /// Returns the variables as the contract names them. `ODOO_API_KEY`
    /// is empty when the user has no API key.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        [
            ("ODOO_URL", self.odoo_url.clone()),
            ("ODOO_DB", self.database.clone()),
            ("ODOO_USERNAME", self.username.clone()),
            ("ODOO_PASSWORD", self.password.clone()),
            ("ODOO_API_KEY", self.api_key.clone().unwrap_or_default()),
            ("SAAS_URL", self.saas_url.clone()),
            ("SYNC_STATE_DIR", self.state_dir.display().to_string()),
            ("SYNC_SPEC", self.spec_path.display().to_string()),
        ]
        .into_iter()
        .chain(
            self.protocol
                .map(|protocol| ("SYNC_PROTOCOL", protocol.to_string())),
        )
        .collect()
    }
}

/// The exit code of `sh -c` when it finds no such command (POSIX).
const SHELL_NOT_FOUND: i32 = 127;
/// The exit code of `sh -c` when the command is found but cannot be
/// executed (POSIX).
const SHELL_NOT_EXECUTABLE: i32 = 126;

/// The way a pass ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "detail")]
pub enum PassStatus {
    /// Exit code 0.
    Finished,
    /// A non-zero exit code: the integration gave up.
    GaveUp(i32),
    /// Ended by a signal it did not get from the harness.
    Signalled(i32),
    /// Still running at the timeout; its process group was killed.
    TimedOut,
    /// The command could not be started.
    NotStarted(String),
}

impl PassStatus {
    pub fn describe(&self) -> String {
        match self {
            PassStatus::Finished => "finished".into(),
            PassStatus::GaveUp(SHELL_NOT_FOUND) => format!(
                "gave up with exit code {SHELL_NOT_FOUND}, the shell's code for a command it did not find"
            ),
            PassStatus::GaveUp(SHELL_NOT_EXECUTABLE) => format!(
                "gave up with exit code {SHELL_NOT_EXECUTABLE}, the shell's code for a command it could not execute"
            ),
            PassStatus::GaveUp(code) => format!("gave up with exit code {code}"),
            PassStatus::Signalled(signal) => format!("was killed by signal {signal}"),
            PassStatus::TimedOut => "timed out and was killed".into(),
            PassStatus::NotStarted(error) => format!("could not start: {error}"),
        }
    }

    /// Tells whether the integration's command did not run at all: it
    /// could not be started, or the shell could not find or execute it.
    pub fn never_ran(&self) -> bool {
        matches!(
            self,
            PassStatus::NotStarted(_) | PassStatus::GaveUp(SHELL_NOT_FOUND | SHELL_NOT_EXECUTABLE)
        )
    }
}

/// One pass, as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PassOutcome {
    /// `pass 2`, `final pass` or `idempotence pass`.
    pub label: String,
    pub status: PassStatus,
    pub duration_ms: u128,
    pub stdout: String,
    pub stderr: String,
}

/// Runs one pass and waits for it, at most `timeout`.
pub async fn run_pass(
    integration: &Integration,
    env: &PassEnv,
    timeout: Duration,
    label: String,
) -> PassOutcome {
    let started = Instant::now();
    let (status, stdout, stderr) = match integration {
        Integration::Command(command) => run_command(command, env, timeout).await,
        Integration::Reference => {
            let (status, stdout, stderr) = run_reference(env, timeout).await;
            (status, Captured::whole(stdout), Captured::whole(stderr))
        }
    };
    PassOutcome {
        label,
        status,
        duration_ms: started.elapsed().as_millis(),
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

async fn run_command(
    command: &str,
    env: &PassEnv,
    timeout: Duration,
) -> (PassStatus, Captured, Captured) {
    let mut child = match tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.variables())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            return (
                PassStatus::NotStarted(error.to_string()),
                Captured::default(),
                Captured::default(),
            )
        }
    };
    let stdout = tokio::spawn(read_tail(child.stdout.take()));
    let stderr = tokio::spawn(read_tail(child.stderr.take()));
    let group = child.id().and_then(|pid| i32::try_from(pid).ok());
    if let Some(group) = group {
        running_groups().insert(group);
    }
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => match (status.code(), status.signal()) {
            (Some(0), _) => PassStatus::Finished,
            (Some(code), _) => PassStatus::GaveUp(code),
            (None, Some(signal)) => PassStatus::Signalled(signal),
            (None, None) => PassStatus::GaveUp(-1),
        },
        Ok(Err(error)) => PassStatus::NotStarted(error.to_string()),
        Err(_) => {
            if let Some(group) = group {
                kill_group(group);
            }
            let _ = child.wait().await;
            PassStatus::TimedOut
        }
    };
    if let Some(group) = group {
        // What the integration started in the background and left running
        // would go on writing to Odoo during the next pass and the checks.
        end_group(group);
        running_groups().remove(&group);
    }
    let stdout = collect(stdout).await;
    let stderr = collect(stderr).await;
    (status, stdout, stderr)
}

fn running_groups() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    RUNNING_GROUPS
        .lock()
        .expect("the running-group lock is never poisoned")
}

/// Kills a pass's whole process group: the shell, the integration and
/// anything they started without leaving the group. The group id is the
/// shell's process id, because the shell leads the group.
fn kill_group(group: i32) {
    let pid = nix::unistd::Pid::from_raw(group);
    if let Err(error) = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL) {
        tracing::warn!(%error, group, "killing the pass's process group failed");
    }
}

/// Kills what is left of a pass's process group after its shell exited:
/// processes the integration started in the background. A group with no
/// process left is the usual case, not an error.
fn end_group(group: i32) {
    let pid = nix::unistd::Pid::from_raw(group);
    match nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL) {
        Ok(()) => tracing::debug!(group, "killed processes left by the pass"),
        Err(nix::errno::Errno::ESRCH) => {}
        Err(error) => tracing::warn!(%error, group, "killing the pass's process group failed"),
    }
}

/// The end of an output stream: at most [`MAX_OUTPUT_BYTES`], and how
/// many bytes came before them.
#[derive(Debug, Default)]
struct Captured {
    /// The last bytes of the stream.
    tail: Vec<u8>,
    /// The count of bytes before `tail` that were dropped.
    dropped: usize,
}

impl Captured {
    /// Returns the end of an output that was read whole.
    fn whole(mut bytes: Vec<u8>) -> Captured {
        let dropped = bytes.len().saturating_sub(MAX_OUTPUT_BYTES);
        bytes.drain(..dropped);
        Captured {
            tail: bytes,
            dropped,
        }
    }

    /// Returns the tail as text, after a line that counts the dropped
    /// bytes.
    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.tail);
        if self.dropped == 0 {
            return text.into_owned();
        }
        format!("[{} earlier bytes not kept]\n{text}", self.dropped)
    }
}

/// Reads a pipe to its end, keeping only the last [`MAX_OUTPUT_BYTES`],
/// so that an integration printing gigabytes costs no more memory than
/// one printing little.
async fn read_tail<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Captured {
    let mut captured = Captured::default();
    let Some(mut pipe) = pipe else {
        return captured;
    };
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let read = match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        captured.tail.extend_from_slice(&chunk[..read]);
        // Dropping the front only once the buffer is twice the limit
        // moves each byte at most once.
        if captured.tail.len() >= 2 * MAX_OUTPUT_BYTES {
            let excess = captured.tail.len() - MAX_OUTPUT_BYTES;
            captured.tail.drain(..excess);
            captured.dropped += excess;
        }
    }
    let excess = captured.tail.len().saturating_sub(MAX_OUTPUT_BYTES);
    captured.tail.drain(..excess);
    captured.dropped += excess;
    captured
}

async fn collect(reader: tokio::task::JoinHandle<Captured>) -> Captured {
    match tokio::time::timeout(PIPE_GRACE, reader).await {
        Ok(Ok(captured)) => captured,
        _ => Captured::whole(
            b"[output incomplete: a process outside the pass's group kept the pipe open]".to_vec(),
        ),
    }
}

async fn run_reference(env: &PassEnv, timeout: Duration) -> (PassStatus, Vec<u8>, Vec<u8>) {
    let config = odoo_sync::PassConfig {
        odoo_url: env.odoo_url.clone(),
        database: env.database.clone(),
        username: env.username.clone(),
        password: env.password.clone(),
        api_key: env.api_key.clone(),
        saas_url: env.saas_url.clone(),
        state_dir: env.state_dir.clone(),
        spec_path: env.spec_path.clone(),
    };
    let protocol = env.protocol;
    let log = LogCapture::default();
    let writer = log.clone();
    let pass = tokio::task::spawn_blocking(move || {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let options = odoo_sync::PassOptions {
            protocol,
            ..odoo_sync::PassOptions::default()
        };
        tracing::subscriber::with_default(subscriber, || {
            odoo_sync::run_pass_with(&config, &options)
        })
    });
    match tokio::time::timeout(timeout, pass).await {
        Ok(Ok(Ok(summary))) => {
            let text = format!(
                "read {} changes, applied {}, reported {}\n",
                summary.changes, summary.applied, summary.reported
            );
            (PassStatus::Finished, text.into_bytes(), log.take())
        }
        Ok(Ok(Err(error))) => {
            let mut stderr = log.take();
            stderr.extend(format!("{error}\n").into_bytes());
            (PassStatus::GaveUp(1), Vec::new(), stderr)
        }
        Ok(Err(panic)) => {
            let mut stderr = log.take();
            stderr.extend(format!("the reference pass panicked: {panic}\n").into_bytes());
            (PassStatus::GaveUp(101), Vec::new(), stderr)
        }
        Err(_) => (PassStatus::TimedOut, Vec::new(), log.take()),
    }
}

/// The log lines of a reference pass, collected in memory.
#[derive(Debug, Clone, Default)]
struct LogCapture(std::sync::Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("the log lock is never poisoned"))
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut log = self.0.lock().expect("the log lock is never poisoned");
        log.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(dir: &std::path::Path) -> PassEnv {
        PassEnv {
            odoo_url: "http://127.0.0.1:1".into(),
            database: "demo".into(),
            username: "admin".into(),
            password: "admin".into(),
            api_key: None,
            saas_url: "http://127.0.0.1:2".into(),
            state_dir: dir.to_path_buf(),
            spec_path: dir.join("spec.yaml"),
            protocol: None,
        }
    }

    fn pass(command: &str, timeout: Duration) -> PassOutcome {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let integration = Integration::Command(command.into());
        runtime.block_on(run_pass(
            &integration,
            &env(dir.path()),
            timeout,
            "pass 1".into(),
        ))
    }

    /// Tells whether process `pid` ends (is gone or a zombie) within a
    /// few seconds. A killed process takes a moment to die, and a zombie
    /// stays when nothing reaps it, as under a container's init.
    fn ends(pid: &str) -> bool {
        let dead = || {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .unwrap_or_default()
                    .contains(") Z")
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if dead() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        dead()
    }

    #[test]
    fn environment_reaches_the_command() {
        let outcome = pass(
            "echo \"$ODOO_DB $ODOO_USERNAME [$ODOO_API_KEY]\"",
            Duration::from_secs(10),
        );
        assert_eq!(outcome.status, PassStatus::Finished);
        assert_eq!(outcome.stdout, "demo admin []\n");
    }

    #[test]
    fn exit_code_and_stderr_are_kept() {
        let outcome = pass("echo broken >&2; exit 3", Duration::from_secs(10));
        assert_eq!(outcome.status, PassStatus::GaveUp(3));
        assert_eq!(outcome.stderr, "broken\n");
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let marker = dir.path().join("child.pid");
        let command = format!("sleep 30 & echo $! > {}; wait", marker.display());

        let started = Instant::now();
        let outcome = pass(&command, Duration::from_millis(500));

        assert_eq!(outcome.status, PassStatus::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let pid = std::fs::read_to_string(&marker).expect("the child wrote its pid");
        assert!(
            ends(pid.trim()),
            "the background child {} survived",
            pid.trim()
        );
    }

    #[test]
    fn long_output_keeps_its_end() {
        let text = "x".repeat(MAX_OUTPUT_BYTES + 10) + "end";
        let kept = Captured::whole(text.into_bytes()).text();
        assert!(
            kept.starts_with("[13 earlier bytes not kept]"),
            "{}",
            &kept[..40]
        );
        assert!(kept.ends_with("end"));
    }

    /// A pass that prints far more than is kept: the count of bytes not
    /// kept covers them all, and the end is whole.
    #[test]
    fn output_read_keeps_a_bounded_end() {
        let outcome = pass(
            "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo last line",
            Duration::from_secs(30),
        );
        assert_eq!(outcome.status, PassStatus::Finished);
        let expected_dropped = 1_000_000 + 1 + 10 - MAX_OUTPUT_BYTES;
        assert!(
            outcome
                .stdout
                .starts_with(&format!("[{expected_dropped} earlier bytes not kept]\n")),
            "{}",
            &outcome.stdout[..60]
        );
        assert!(outcome.stdout.ends_with("x\nlast line\n"));
    }

    /// A process the integration leaves running in the background ends
    /// with the pass, so its pipes close and the output is whole.
    #[test]
    fn background_children_end_with_the_pass() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let marker = dir.path().join("child.pid");
        let command = format!("sleep 30 & echo $! > {}; echo started", marker.display());

        let outcome = pass(&command, Duration::from_secs(10));

        assert_eq!(outcome.status, PassStatus::Finished);
        // Not the note of a pipe held open past the grace period.
        assert_eq!(outcome.stdout, "started\n");
        let pid = std::fs::read_to_string(&marker).expect("the child wrote its pid");
        assert!(
            ends(pid.trim()),
            "the background child {} survived",
            pid.trim()
        );
    }
}
