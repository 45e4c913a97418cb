//! The `odoo-sync` command: `odoo-sync pass` runs one sync pass from the
//! environment, `odoo-sync check` checks the live schema against the spec.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use odoo_sync::exit;
use odoo_sync::retry::RetryPolicy;
use odoo_sync::rpc::Protocol;
use odoo_sync::{PassConfig, PassOptions, PassSummary, SyncError};

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the pass finished; records that could not sync were reported to the SaaS
  1  internal error
  2  invalid arguments, environment or spec
  3  Odoo rejected the credentials
  4  Odoo or the SaaS stayed unreachable or overloaded after retries
  5  the live Odoo schema no longer fits the spec and nothing could be synced
     (for `check`: drift was found)
  6  the state directory could not be read or written
  7  a server answered something that is not its API (wrong URL, HTML page)

Log detail is set with RUST_LOG (default: info), for example RUST_LOG=debug.
Logs go to standard error, the summary to standard output.";

const CHECK_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the live Odoo schema fits the spec
  1  internal error
  2  invalid arguments, environment or spec
  3  Odoo rejected the credentials
  4  Odoo stayed unreachable or overloaded after retries
  5  drift was found; each drift is printed on standard output
  7  Odoo answered something that is not its API (wrong URL, HTML page)

Log detail is set with RUST_LOG (default: info), for example RUST_LOG=debug.
Logs go to standard error, the drift list to standard output.";

/// The reference sync engine: syncs a SaaS change feed into Odoo, as an
/// integration spec defines.
#[derive(Debug, Parser)]
#[command(name = "odoo-sync", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one sync pass: apply the SaaS changes after the saved cursor to
    /// Odoo, report the ones that cannot sync, and save the cursor.
    ///
    /// A change that cannot be applied (an Odoo validation or access
    /// error, schema drift, a reference Odoo does not have) is reported
    /// through POST /v1/sync-report with Odoo's message. The state
    /// directory keeps it to try again on the next pass, and the pass goes
    /// on with the rest. Timeouts, lost connections, HTTP 429, 502, 503 and 504,
    /// serialization failures and expired sessions are retried with capped
    /// exponential backoff and Retry-After. After a failure that may have
    /// committed, Odoo is read again before anything is sent again, so no
    /// record is created twice and no business method runs twice.
    #[command(after_help = EXIT_CODES_HELP)]
    Pass(PassArgs),
    /// Check the live Odoo schema against the spec and list the drift,
    /// without reading the feed or writing anything.
    #[command(after_help = CHECK_EXIT_CODES_HELP)]
    Check(OdooArgs),
}

/// The options of `pass`: those of `check` and the feed's.
#[derive(Debug, Args)]
struct PassArgs {
    #[command(flatten)]
    odoo: OdooArgs,
    /// The SaaS API's base URL.
    #[arg(long, env = "SAAS_URL")]
    saas_url: String,
    /// The folder that keeps the cursor and record versions across passes;
    /// created if missing.
    #[arg(long, env = "SYNC_STATE_DIR")]
    state_dir: PathBuf,
    /// Changes read per feed page.
    #[arg(long, env = "SYNC_PAGE_SIZE", default_value_t = 100)]
    page_size: usize,
}

/// The options that `pass` and `check` share: how to reach Odoo and the
/// spec to check it against.
#[derive(Debug, Args)]
struct OdooArgs {
    /// Odoo's base URL, such as http://127.0.0.1:8069.
    #[arg(long, env = "ODOO_URL")]
    odoo_url: String,
    /// The Odoo database.
    #[arg(long = "db", env = "ODOO_DB")]
    database: String,
    /// The Odoo login.
    #[arg(long, env = "ODOO_USERNAME")]
    username: String,
    /// The Odoo password; not needed with an API key.
    #[arg(long, env = "ODOO_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// An Odoo API key, used in place of the password.
    #[arg(long, env = "ODOO_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The integration spec: a YAML file, or the name of a built-in spec
    /// (odoo-17) when no file of that name exists.
    #[arg(long, env = "SYNC_SPEC")]
    spec: PathBuf,
    /// The protocol spoken to Odoo, over the spec's `protocol`.
    #[arg(long, env = "SYNC_PROTOCOL", value_parser = ["xmlrpc", "jsonrpc", "web"])]
    protocol: Option<String>,
    /// The timeout of each HTTP call, in seconds.
    #[arg(long, env = "SYNC_TIMEOUT", default_value_t = 30.0)]
    timeout: f64,
    /// Attempts per call, the first included; 1 disables retries.
    #[arg(long, env = "SYNC_MAX_ATTEMPTS", default_value_t = 5)]
    max_attempts: u32,
    /// The wait before the first retry, in milliseconds, before jitter.
    #[arg(long, env = "SYNC_BACKOFF_BASE_MS", default_value_t = 200)]
    backoff_base_ms: u64,
    /// The maximum wait between retries, in milliseconds, unless the server
    /// requests a longer one with Retry-After.
    #[arg(long, env = "SYNC_BACKOFF_MAX_MS", default_value_t = 10_000)]
    backoff_max_ms: u64,
    /// The maximum Retry-After honoured, in seconds. A call asked to wait
    /// longer fails instead.
    #[arg(long, env = "SYNC_MAX_RETRY_AFTER", default_value_t = 60)]
    max_retry_after: u64,
    /// The seed of the retry jitter. Give each deployment its own.
    #[arg(long, env = "SYNC_SEED", default_value_t = 0)]
    seed: u64,
    /// Print the summary (for `check`, the drift list) as one JSON object.
    #[arg(long)]
    json: bool,
}

impl OdooArgs {
    /// Returns the pass configuration, with the feed's URL and state folder
    /// when the command reads the feed. `check` reads neither, so they are
    /// left empty.
    fn config(&self, feed: Option<(&str, &PathBuf)>) -> PassConfig {
        let (saas_url, state_dir) = feed.map_or_else(
            || (String::new(), PathBuf::new()),
            |(url, folder)| (url.to_owned(), folder.clone()),
        );
        PassConfig {
            odoo_url: self.odoo_url.clone(),
            database: self.database.clone(),
            username: self.username.clone(),
            password: self.password.clone().unwrap_or_default(),
            api_key: self.api_key.clone(),
            saas_url,
            state_dir,
            spec_path: self.spec.clone(),
        }
    }

    /// Returns the pass options, with `page_size` changes per feed page;
    /// `check` reads no feed, so it passes the default.
    fn options(&self, page_size: usize) -> Result<PassOptions, String> {
        let protocol = self
            .protocol
            .as_deref()
            .map(str::parse::<Protocol>)
            .transpose()?;
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(format!(
                "--timeout {} must be a positive number of seconds",
                self.timeout
            ));
        }
        Ok(PassOptions {
            protocol,
            page_size,
            timeout: Duration::from_secs_f64(self.timeout),
            retry: RetryPolicy {
                max_attempts: self.max_attempts,
                base_delay: Duration::from_millis(self.backoff_base_ms),
                max_delay: Duration::from_millis(self.backoff_max_ms),
                max_retry_after: Duration::from_secs(self.max_retry_after),
            },
            seed: self.seed,
            ..PassOptions::default()
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    // A panic prints its message through the default hook and exits with
    // the documented internal-error code rather than Rust's 101.
    let code = std::panic::catch_unwind(|| match cli.command {
        Command::Pass(args) => run(
            &args.odoo,
            Some((&args.saas_url, &args.state_dir)),
            args.page_size,
        ),
        Command::Check(args) => run(&args, None, PassOptions::default().page_size),
    })
    .unwrap_or(exit::INTERNAL);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Runs a pass, or only the schema check when `feed` (the SaaS URL and
/// the state folder) is `None`.
fn run(args: &OdooArgs, feed: Option<(&str, &PathBuf)>, page_size: usize) -> i32 {
    let options = match args.options(page_size) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("odoo-sync: error: {message}");
            return exit::USAGE;
        }
    };
    let config = args.config(feed);
    if feed.is_none() {
        return check(&config, &options, args.json);
    }
    match odoo_sync::run_pass_with(&config, &options) {
        Ok(summary) => {
            print_summary(&summary, args.json);
            exit::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

fn check(config: &PassConfig, options: &PassOptions, json: bool) -> i32 {
    let drifts = match odoo_sync::pass::check_schema(config, options) {
        Ok(drifts) => drifts,
        Err(error) => return fail(&error),
    };
    if json {
        let messages: Vec<&str> = drifts.iter().map(|d| d.message.as_str()).collect();
        println!("{}", serde_json::json!({ "drift": messages }));
    } else if drifts.is_empty() {
        println!("the live schema fits the spec");
    } else {
        for drift in &drifts {
            println!("drift: {}: {}", drift.entity, drift.message);
        }
    }
    if drifts.is_empty() {
        exit::SUCCESS
    } else {
        exit::DRIFT
    }
}

fn fail(error: &SyncError) -> i32 {
    eprintln!("odoo-sync: error: {error}");
    exit::code_for(error)
}

fn print_summary(summary: &PassSummary, json: bool) {
    if json {
        let text =
            serde_json::to_string(summary).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        println!("{text}");
        return;
    }
    println!(
        "pass finished: {} changes read, {} applied, {} skipped, {} could not sync, {} earlier failures retried; {} writes, {} retries",
        summary.changes,
        summary.applied,
        summary.skipped,
        summary.reported,
        summary.retried,
        summary.writes,
        summary.retries
    );
    for message in &summary.drift {
        println!("drift: {message}");
    }
}
