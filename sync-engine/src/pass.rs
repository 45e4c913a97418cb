//! One sync pass: read the SaaS change feed from the saved cursor, apply
//! each change to Odoo as the spec defines, report what cannot sync, and
//! save the cursor.
//!
//! A pass runs these steps, and stops at the first one that fails for the
//! whole pass (see [`crate::exit`] for the exit codes):
//!
//! 1. load the spec and the state directory;
//! 2. authenticate to Odoo;
//! 3. check the live schema of every mapped model ([`crate::schema`]);
//! 4. read the feed in pages; apply each page (see [`crate::plan`] for the
//!    order), then save the cursor and the applied versions atomically;
//! 5. retry the records whose last change failed in an earlier pass and
//!    that the feed did not bring again, from their current SaaS state.
//!    They come last so that what they refer to, such as a product created
//!    since, is already in Odoo.
//!
//! A change older than the version already applied to its record is
//! skipped, and so is a change of an entity that the spec does not map:
//! a spec may sync only some of the SaaS's entities. A change that cannot be applied is reported through `POST
//! /v1/sync-report`, with Odoo's message and `retryable` set as
//! [`SyncError::is_report_retryable`] says, kept in the state directory
//! to retry on the next pass, and the pass goes on with the rest.
//!
//! # When a pass gives up
//!
//! * Odoo rejects the login, or the spec, the options or the state
//!   directory are invalid.
//! * Odoo or the SaaS stays unreachable: the SaaS feed fails after its
//!   retries, or [`PassOptions::max_consecutive_failures`] records in a
//!   row fail with transient errors after theirs.
//! * Schema drift leaves nothing to do: the drift blocks every entity of
//!   the spec, or it blocked at least one change and no change could be
//!   applied. The blocked changes are still reported and the cursor still
//!   saved first.
//!
//! In every case the state saved is consistent: the cursor never passes a
//! change that was neither applied nor kept for retry.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::http::HttpClient;
use crate::retry::{Backoff, RetryPolicy};
use crate::rpc::{Credentials, OdooClient, Protocol};
use crate::runner::PassRunner;
use crate::saas::SaasClient;
use crate::schema::Drift;
use crate::spec::Spec;
use crate::state::SyncState;

/// Everything a pass needs, as the harness passes it in the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassConfig {
    /// `ODOO_URL`, such as `http://127.0.0.1:8069`.
    pub odoo_url: String,
    /// `ODOO_DB`.
    pub database: String,
    /// `ODOO_USERNAME`.
    pub username: String,
    /// `ODOO_PASSWORD`.
    pub password: String,
    /// `ODOO_API_KEY`, used in place of the password when set.
    pub api_key: Option<String>,
    /// `SAAS_URL`, the SaaS change feed.
    pub saas_url: String,
    /// `SYNC_STATE_DIR`, kept across the passes of one scenario.
    pub state_dir: PathBuf,
    /// `SYNC_SPEC`, the integration spec.
    pub spec_path: PathBuf,
}

/// The tuning of a pass, beyond where it connects. The defaults suit
/// production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassOptions {
    /// The protocol to speak to Odoo, over the spec's `protocol`.
    pub protocol: Option<Protocol>,
    /// Changes read per feed page.
    pub page_size: usize,
    /// The timeout of each HTTP call, from connecting to the last byte.
    pub timeout: Duration,
    /// Retries of each call, and of each record after an ambiguous failure.
    pub retry: RetryPolicy,
    /// The seed of the retry jitter.
    pub seed: u64,
    /// Records in a row whose transient failures outlast their retries
    /// before the pass gives up on Odoo.
    pub max_consecutive_failures: usize,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            protocol: None,
            page_size: 100,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            seed: 0,
            max_consecutive_failures: 3,
        }
    }
}

/// The counts of one finished pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassSummary {
    /// Changes read from the feed.
    pub changes: usize,
    /// Changes applied to Odoo, including those already in sync.
    pub applied: usize,
    /// Changes that could not be applied. Each is reported to the SaaS, or
    /// kept to report on the next pass when the report itself failed.
    pub reported: usize,
    /// Changes skipped because a newer version of the record was applied,
    /// or because the spec does not map their entity.
    pub skipped: usize,
    /// Records retried from an earlier pass's failures.
    pub retried: usize,
    /// Calls sent to Odoo that may change data, failed ones included.
    pub writes: u64,
    /// Retries made, of calls and of records.
    pub retries: u64,
    /// The schema drifts found, one message each.
    pub drift: Vec<String>,
}

/// A pass that gave up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PassError(pub String);

impl From<SyncError> for PassError {
    fn from(error: SyncError) -> Self {
        PassError(error.to_string())
    }
}

/// Runs one pass with the default options.
///
/// # Errors
///
/// See [`run_pass_with`].
pub fn run_pass(config: &PassConfig) -> Result<PassSummary, PassError> {
    run_pass_with(config, &PassOptions::default()).map_err(PassError::from)
}

/// Runs one pass, on a thread of its own so that it may be called from
/// inside an async runtime, and returns the error with its kind when the
/// pass gives up. [`crate::exit::code_for`] turns the kind into the
/// documented exit code.
///
/// # Errors
///
/// See "When a pass gives up" in the module docs.
pub fn run_pass_with(config: &PassConfig, options: &PassOptions) -> SyncResult<PassSummary> {
    // The worker logs through the caller's subscriber, so that a caller
    // that captures a pass's log with a scoped subscriber gets it.
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("odoo-sync-pass".to_owned())
            .spawn_scoped(scope, || {
                tracing::dispatcher::with_default(&dispatch, || execute(config, options))
            })
            .map_err(|e| {
                SyncError::new(ErrorKind::Config, "start the pass thread", e.to_string())
            })?;
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

fn execute(config: &PassConfig, options: &PassOptions) -> SyncResult<PassSummary> {
    validate(config, options, true)?;
    let spec = load_spec(config)?;
    let state = SyncState::load(&config.state_dir)?;
    // Saving the state as read creates the directory and shows that it is
    // writable before anything is written to Odoo. A pass that wrote and
    // then failed to save its cursor would apply the same changes again.
    state.save(&config.state_dir)?;
    let http = HttpClient::new(options.timeout)?;
    let mut odoo = odoo_client(config, options, &spec, http.clone())?;
    let saas = SaasClient::new(http, &config.saas_url, backoff(options, 1))?;
    tracing::info!(spec = %spec.name, protocol = %odoo.protocol(), cursor = state.cursor, "starting a sync pass");
    odoo.authenticate()?;
    let schema = crate::schema::check(&mut odoo, &spec)?;
    let mut runner = PassRunner::new(
        &spec,
        odoo,
        saas,
        schema,
        state,
        backoff(options, 2),
        config,
        options,
    );
    runner.run()
}

/// Authenticates and checks the live schema against the spec, without
/// reading the feed or writing anything, and returns the drift found.
///
/// # Errors
///
/// An invalid configuration or spec, a rejected login, or a transport
/// failure.
pub fn check_schema(config: &PassConfig, options: &PassOptions) -> SyncResult<Vec<Drift>> {
    validate(config, options, false)?;
    let spec = load_spec(config)?;
    let http = HttpClient::new(options.timeout)?;
    let mut odoo = odoo_client(config, options, &spec, http)?;
    odoo.authenticate()?;
    Ok(crate::schema::check(&mut odoo, &spec)?.drifts)
}

fn load_spec(config: &PassConfig) -> SyncResult<Spec> {
    Spec::load(&config.spec_path)
        .map_err(|e| SyncError::new(ErrorKind::Spec, "load the spec", e.to_string()))
}

fn backoff(options: &PassOptions, offset: u64) -> Backoff {
    Backoff::new(options.retry.clone(), options.seed.wrapping_add(offset))
}

/// Builds the Odoo client with the protocol of the options, else of the
/// spec, else XML-RPC.
fn odoo_client(
    config: &PassConfig,
    options: &PassOptions,
    spec: &Spec,
    http: HttpClient,
) -> SyncResult<OdooClient> {
    let protocol = match (options.protocol, spec.protocol.as_deref()) {
        (Some(protocol), _) => protocol,
        (None, Some(name)) => name
            .parse()
            .map_err(|e: String| SyncError::new(ErrorKind::Spec, "read the spec's protocol", e))?,
        (None, None) => Protocol::default(),
    };
    let api_key = config.api_key.clone().filter(|key| !key.is_empty());
    // Odoo's web login checks the password only; XML-RPC and `/jsonrpc`
    // take an API key in its place, which is then the better choice.
    let secret = match (protocol, api_key) {
        (Protocol::Web, Some(key)) if config.password.is_empty() => key,
        (Protocol::Web, _) | (_, None) => config.password.clone(),
        (_, Some(key)) => key,
    };
    let credentials = Credentials {
        database: config.database.clone(),
        login: config.username.clone(),
        secret,
    };
    Ok(OdooClient::new(
        http,
        &config.odoo_url,
        protocol,
        credentials,
        backoff(options, 0),
    ))
}

/// Checks the configuration, with the feed's URL and state folder only
/// when `reads_feed`: the schema check uses neither.
fn validate(config: &PassConfig, options: &PassOptions, reads_feed: bool) -> SyncResult<()> {
    let mut required = vec![
        ("ODOO_URL", config.odoo_url.as_str()),
        ("ODOO_DB", config.database.as_str()),
        ("ODOO_USERNAME", config.username.as_str()),
    ];
    if reads_feed {
        required.push(("SAAS_URL", config.saas_url.as_str()));
    }
    for (variable, value) in required {
        if value.trim().is_empty() {
            return Err(config_error(format!("{variable} is empty: set it")));
        }
    }
    if config.password.is_empty() && config.api_key.as_deref().unwrap_or_default().is_empty() {
        return Err(config_error(
            "no password or API key: set ODOO_PASSWORD or ODOO_API_KEY (or --password or --api-key)"
                .to_owned(),
        ));
    }
    if reads_feed && config.state_dir.as_os_str().is_empty() {
        return Err(config_error("SYNC_STATE_DIR is empty: set it".to_owned()));
    }
    if config.spec_path.as_os_str().is_empty() {
        return Err(config_error("SYNC_SPEC is empty: set it".to_owned()));
    }
    if !config.odoo_url.starts_with("http://") && !config.odoo_url.starts_with("https://") {
        return Err(config_error(format!(
            "ODOO_URL {:?} must start with http:// or https://",
            config.odoo_url
        )));
    }
    if options.page_size == 0 || options.retry.max_attempts == 0 {
        return Err(config_error(
            "the page size and the attempts must be at least 1".to_owned(),
        ));
    }
    Ok(())
}

fn config_error(message: String) -> SyncError {
    SyncError::new(ErrorKind::Config, "check the configuration", message)
}
