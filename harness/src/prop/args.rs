//! The options of `odoo-harness prop`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// The exit codes as `prop --help` lists them; they must match
/// [`exit_codes`](crate::exit_codes).
pub const PROP_EXIT_CODES_HELP: &str = "Exit codes:
  0    no generated history broke a property
  2    invalid input: the profile, spec or options were rejected; nothing ran
  100  a history broke a property; its shrunk scenario was written
  101  the harness failed
  130  interrupted; the running passes were killed";

const PROP_ABOUT: &str = "Generate random histories of SaaS changes, faults, \
customer drift, clock moves and sync passes, and check the sync properties \
after each one.";

const PROP_LONG_ABOUT: &str = "Generate random histories of SaaS changes, faults, \
customer drift, clock moves and sync passes, and check the sync properties \
after each one.

Each history runs as a scenario on its own emulator and fake SaaS. After the \
last step the harness clears the fault rules, runs one settle pass and \
checks the selected properties, then runs one more pass for `idempotent`. \
Drift stays in force during the settle pass: a record that drift or an \
injected Odoo exception keeps from syncing must have been reported to the \
SaaS, or `converged` fails with an unreported error.

The first history that breaks a property is shrunk to a minimal one that \
breaks the same property. It is printed as a numbered list and written as \
a scenario file that `odoo-harness run` replays, with the seed in it. The \
same seed generates the same histories.";

/// The maximum of `--cases`. Every history is generated before any runs
/// and stays in memory until the run ends.
pub const MAX_CASES: usize = 10_000;

/// The maximum of `--max-steps`. Generating a history takes time that
/// grows faster than its length, and an interrupt ends the run only
/// between two histories while they are generated.
pub const MAX_STEPS: usize = 200;

fn parse_cases(text: &str) -> Result<usize, String> {
    crate::cli::parse_count(text, MAX_CASES)
}

fn parse_max_steps(text: &str) -> Result<usize, String> {
    crate::cli::parse_count(text, MAX_STEPS)
}

/// A sync property that `prop` checks after each history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Property {
    /// Odoo has the latest mapped values of every SaaS record, and each
    /// record that could not sync was reported.
    Converged,
    /// No SaaS record has more than one Odoo record.
    NoDuplicates,
    /// No Odoo record shows an older version than the SaaS.
    NoLostUpdates,
    /// One more pass writes nothing.
    Idempotent,
}

impl Property {
    /// Every property, in the order failures are named: when a history
    /// breaks several, shrinking keeps the first one of this list broken.
    pub const ALL: [Property; 4] = [
        Property::NoDuplicates,
        Property::NoLostUpdates,
        Property::Converged,
        Property::Idempotent,
    ];

    /// Returns the expectation keyword of scenario files.
    pub fn keyword(self) -> &'static str {
        match self {
            Property::Converged => "converged",
            Property::NoDuplicates => "no_duplicates",
            Property::NoLostUpdates => "no_lost_updates",
            Property::Idempotent => "idempotent",
        }
    }
}

/// `odoo-harness prop`.
#[derive(Debug, Clone, Args)]
#[command(about = PROP_ABOUT, long_about = PROP_LONG_ABOUT, after_help = PROP_EXIT_CODES_HELP)]
pub struct PropArgs {
    /// The command that performs one sync pass, run through `sh -c` once
    /// per pass.
    #[arg(long, value_name = "CMD", conflicts_with = "reference")]
    pub integration: Option<String>,

    /// Run the reference sync engine in-process (the default without
    /// --integration).
    #[arg(long)]
    pub reference: bool,

    /// The customer profile: a built-in name such as odoo-17, or a path.
    #[arg(long, value_name = "NAME|PATH", default_value = "odoo-17")]
    pub profile: String,

    /// The integration spec: odoo-17 for the built-in one, or a path.
    #[arg(long, value_name = "NAME|PATH", default_value = "odoo-17")]
    pub spec: String,

    /// The login the integration uses, when the profile has no
    /// admin/admin; give --password or --api-key with it.
    #[arg(long, value_name = "LOGIN")]
    pub login: Option<String>,

    /// The password of --login.
    #[arg(long, value_name = "PASSWORD", requires = "login")]
    pub password: Option<String>,

    /// The API key of --login.
    #[arg(long, value_name = "KEY", requires = "login")]
    pub api_key: Option<String>,

    /// Number of histories to generate and run, from 1 to 10000.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = parse_cases)]
    pub cases: usize,

    /// Seed of the generator and of each emulator [default: drawn at
    /// random and printed].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// The protocol the integration speaks to Odoo, over the spec's
    /// `protocol`: xmlrpc, jsonrpc, or web. The reference engine follows
    /// it, a command gets it as SYNC_PROTOCOL, and a written failure keeps
    /// it as the scenario's `protocol`.
    #[arg(long, value_name = "NAME", value_parser = crate::cli::parse_protocol)]
    pub protocol: Option<odoo_sync::rpc::Protocol>,

    /// Maximum number of steps in one history, from 1 to 200.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = parse_max_steps)]
    pub max_steps: usize,

    /// Maximum number of shrunk histories to run while shrinking a failure.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_shrink_runs: usize,

    /// The properties to check (comma-separated) [default: all of them].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub properties: Vec<Property>,

    /// Maximum number of histories that run at once, from 1 to 256
    /// [default: the number of CPUs]. Shrinking runs one at a time.
    #[arg(long, short = 'j', value_name = "N", value_parser = crate::cli::parse_jobs)]
    pub jobs: Option<usize>,

    /// The folder the shrunk scenario of a failure is written to.
    #[arg(long, value_name = "DIR", default_value = "prop-failures")]
    pub out: PathBuf,

    /// How long one sync pass may run before it is killed, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub pass_timeout: f64,

    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}
