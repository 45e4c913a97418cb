//! Reading a scenario file and checking it against its profile and spec.
//!
//! The checks replay the script on a throwaway emulator and SaaS store.
//! So a step that would fail at run time fails here, with the line of the
//! step: an update of a record that does not exist yet, or a schema change
//! to an unknown model.

use std::path::{Path, PathBuf};
use std::time::Duration;

use odoo_emulator::profile::Profile;
use odoo_emulator::service::{Emulator, Protocol};
use odoo_emulator::{Dict, Value as OdooValue};
use odoo_sync::Spec;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::format::{
    CallsFile, ClockFile, ExpectFile, OdooQueryFile, RetriesFile, SaasFile, SaasStepFile,
    ScenarioFile, StepFile, UserFile,
};
use super::{
    Bounds, CallsQuery, ClockChange, Credentials, Expectation, InitialRecord, InvalidScenario,
    Located, OdooQuery, OutcomeFilter, RetriesQuery, SaasChange, Scenario, SpecSource, Step,
    DEFAULT_PASS_TIMEOUT,
};
use crate::saas::{Entity, SaasStore};

/// The specs built into the harness, by name, for scenarios that use a
/// built-in profile as it is: those of the reference engine.
pub use odoo_sync::spec::BUILTIN_SPECS;

/// The user id that bypasses access rights and record rules.
const SUPERUSER: i64 = 1;

/// The maximum number of records `saas.generate` creates per entity.
/// Each generated record stays in memory for the whole run.
pub const MAX_GENERATED: usize = 100_000;

/// The maximum `pass_timeout_seconds`: one day.
pub const MAX_PASS_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The latest year the emulator's clock may reach, because Odoo's dates
/// have four-digit years.
pub const MAX_CLOCK_YEAR: i32 = 9999;

/// Reads and validates a scenario file.
///
/// # Errors
///
/// Returns every problem found, each with the file and, where known, the
/// line and column.
pub fn load(path: &Path) -> Result<Scenario, InvalidScenario> {
    let text =
        odoo_emulator::profile::load::read_text_file(path).map_err(|error| InvalidScenario {
            problems: vec![format!(
                "{}: cannot read the scenario: {error}",
                path.display()
            )],
        })?;
    load_text(path, &text)
}

/// Validates scenario text as if it were read from `path`, which anchors
/// relative profile and spec paths.
///
/// # Errors
///
/// Returns every problem found, as [`load`] does.
pub fn load_text(path: &Path, text: &str) -> Result<Scenario, InvalidScenario> {
    let file: ScenarioFile = serde_saphyr::from_str(text).map_err(|error| InvalidScenario {
        problems: vec![yaml_problem(path, text, &error)],
    })?;
    let mut checker = Checker {
        path,
        directory: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        problems: Vec::new(),
    };
    let scenario = checker.scenario(file);
    match scenario {
        Some(scenario) if checker.problems.is_empty() => Ok(scenario),
        _ => Err(InvalidScenario {
            problems: checker.problems,
        }),
    }
}

fn yaml_problem(path: &Path, text: &str, error: &serde_saphyr::Error) -> String {
    let message = error.to_string();
    let first_line = message.lines().next().unwrap_or_default();
    // The parser's text repeats the location as "error: line L column C: ".
    let first_line = first_line
        .strip_prefix("error: line ")
        .and_then(|rest| rest.split_once(": ").map(|(_, reason)| reason))
        .unwrap_or(first_line);
    let first_line = plain_reason(first_line);
    let first_line = first_line.as_str();
    let Some(at) = error.location() else {
        return format!("{}: {first_line}", path.display());
    };
    let reason = match key_before(text, at.line() as usize, at.column() as usize) {
        Some(key) => value_problem(key, first_line),
        None => first_line.to_owned(),
    };
    format!("{}:{}:{}: {reason}", path.display(), at.line(), at.column())
}

/// Rewords the parser's messages that name its own options, which a
/// scenario's author cannot set, as what to change in the file.
fn plain_reason(reason: &str) -> String {
    if let Some(key) = reason
        .strip_prefix("duplicate mapping key: ")
        .and_then(|rest| rest.split(", set DuplicateKeyPolicy").next())
    {
        return format!("the key `{key}` appears twice in this mapping; give each key once");
    }
    if reason.starts_with("multiple YAML documents detected") {
        return "the file contains more than one YAML document (a `---` line); a scenario is one \
                document, so put each scenario in its own file"
            .to_owned();
    }
    if reason.starts_with("budget breached") {
        return format!(
            "the file is larger than a scenario may be ({reason}); split it into several \
             scenarios"
        );
    }
    reason.to_owned()
}

/// Returns the mapping key written just before the 1-based `line` and
/// `column` of `text`, such as `count` for the value of `count: -1`.
fn key_before(text: &str, line: usize, column: usize) -> Option<&str> {
    let source = text.lines().nth(line.checked_sub(1)?)?;
    let end = source
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(source.len(), |(index, _)| index);
    let before = source[..end].trim_end().strip_suffix(':')?;
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |index| index + 1);
    Some(&before[start..]).filter(|key| !key.is_empty())
}

/// Names the key in a parser message about its value, and spells out what
/// an integer type such as `u64` accepts.
fn value_problem(key: &str, reason: &str) -> String {
    let expected = match reason {
        "invalid u64" | "invalid usize" => "a whole number of 0 or more",
        "invalid i64" => "a whole number",
        "invalid u32" => "a whole number from 0 to 4294967295",
        _ => return format!("`{key}`: {reason}"),
    };
    format!("invalid `{key}`: expected {expected}")
}

/// Collects problems with their locations while building the scenario.
struct Checker<'a> {
    path: &'a Path,
    directory: PathBuf,
    problems: Vec<String>,
}

/// The state the script has reached while it is checked.
struct DryRun {
    emulator: Emulator,
    database: String,
    store: SaasStore,
    /// The time the emulator's clock shows after the steps so far.
    clock: chrono::NaiveDateTime,
}

impl Checker<'_> {
    fn problem<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        let at = spanned.referenced;
        let message = message.into();
        self.problems.push(format!(
            "{}:{}:{}: {message}",
            self.path.display(),
            at.line(),
            at.column()
        ));
    }

    fn file_problem(&mut self, message: impl Into<String>) {
        let message = message.into();
        self.problems
            .push(format!("{}: {message}", self.path.display()));
    }

    fn scenario(&mut self, file: ScenarioFile) -> Option<Scenario> {
        if file.name.trim().is_empty() {
            self.file_problem("`name` is empty");
        }
        // The name is printed to terminals and written to reports, where
        // an escape sequence would recolour or move the cursor.
        if let Some(control) = file.name.chars().find(|c| c.is_control()) {
            self.file_problem(format!(
                "`name` contains the control character {:?}; use printable characters only",
                control
            ));
        }
        let profile_ref = file
            .profile
            .as_ref()
            .map_or("odoo-17", |p| p.value.as_str());
        let profile = self.profile(file.profile.as_ref(), profile_ref);
        let spec = self.spec(file.spec.as_ref());
        let pass_timeout = self.pass_timeout(file.pass_timeout_seconds.as_ref());
        let protocol = self.protocol(file.protocol.as_ref());
        let saas = self.initial_records(&file.saas);
        let (profile, (spec, spec_source)) = (profile?, spec?);

        let emulator = Emulator::from_profiles(vec![(None, profile.clone())])
            .map_err(|e| self.file_problem(e.to_string()))
            .ok()?;
        let clock = emulator.clock().now();
        let mut dry_run = DryRun {
            database: profile.database.clone(),
            clock,
            emulator,
            store: SaasStore::default(),
        };
        let user = self.credentials(file.integration_user.as_ref(), &dry_run);
        if let Some(user) = &user {
            let web = protocol == Some(odoo_sync::rpc::Protocol::Web);
            if let (true, Some(spanned)) = (web && user.password.is_empty(), &file.protocol) {
                self.problem(spanned, web_needs_password(&user.login));
            }
        }
        for record in &saas {
            let created = dry_run
                .store
                .create(record.entity, &record.id, record.data.clone());
            if let Err(error) = created {
                self.file_problem(format!("initial SaaS data: {error}"));
            }
        }
        let steps = file
            .steps
            .iter()
            .filter_map(|step| self.step(step, &mut dry_run))
            .collect();
        let expectations = file
            .expect
            .iter()
            .filter_map(|expectation| self.expectation(expectation, &dry_run))
            .collect();
        if file.expect.is_empty() {
            self.file_problem("`expect` is empty: a scenario must check something");
        }
        Some(Scenario {
            path: self.path.to_path_buf(),
            name: file.name,
            profile,
            profile_ref: profile_ref.to_owned(),
            spec,
            spec_source,
            user: user?,
            seed: file.seed,
            protocol,
            pass_timeout,
            saas,
            steps,
            expectations,
        })
    }

    fn profile(&mut self, given: Option<&Spanned<String>>, reference: &str) -> Option<Profile> {
        let builtin = odoo_emulator::profile::load::builtin_names().contains(&reference);
        let resolved = if builtin {
            reference.to_owned()
        } else {
            self.directory.join(reference).display().to_string()
        };
        match Profile::load(&resolved) {
            Ok(profile) => Some(profile),
            Err(error) => {
                let message = format!("the profile is invalid: {error}");
                match given {
                    Some(spanned) => self.problem(spanned, message),
                    None => self.file_problem(message),
                }
                None
            }
        }
    }

    fn spec(&mut self, given: Option<&Spanned<String>>) -> Option<(Spec, SpecSource)> {
        let reference = given.map_or("odoo-17", |s| s.value.as_str());
        let loaded = match BUILTIN_SPECS.iter().find(|(name, _)| *name == reference) {
            Some((name, text)) => parse_builtin_spec(name, text).map(|spec| {
                let source = SpecSource::Builtin {
                    name: (*name).to_owned(),
                    text,
                };
                (spec, source)
            }),
            None => {
                let path = self.directory.join(reference);
                Spec::load(&path)
                    .map(|spec| (spec, SpecSource::File(path)))
                    .map_err(|e| e.to_string())
            }
        };
        match loaded {
            Ok(loaded) => Some(loaded),
            Err(error) => {
                let message = format!("the spec is invalid: {error}");
                match given {
                    Some(spanned) => self.problem(spanned, message),
                    None => self.file_problem(message),
                }
                None
            }
        }
    }

    fn protocol(&mut self, given: Option<&Spanned<String>>) -> Option<odoo_sync::rpc::Protocol> {
        let spanned = given?;
        spanned
            .value
            .parse()
            .map_err(|reason: String| self.problem(spanned, reason))
            .ok()
    }

    fn pass_timeout(&mut self, given: Option<&Spanned<f64>>) -> Duration {
        let Some(spanned) = given else {
            return DEFAULT_PASS_TIMEOUT;
        };
        match Duration::try_from_secs_f64(spanned.value) {
            Ok(timeout) if !timeout.is_zero() && timeout <= MAX_PASS_TIMEOUT => timeout,
            _ => {
                self.problem(
                    spanned,
                    format!(
                        "invalid `pass_timeout_seconds` {}: give a positive number of seconds, \
                         at most {}",
                        spanned.value,
                        MAX_PASS_TIMEOUT.as_secs()
                    ),
                );
                DEFAULT_PASS_TIMEOUT
            }
        }
    }

    fn credentials(
        &mut self,
        given: Option<&Spanned<UserFile>>,
        dry_run: &DryRun,
    ) -> Option<Credentials> {
        let credentials = match given {
            None => Credentials {
                login: "admin".into(),
                password: "admin".into(),
                api_key: None,
            },
            Some(spanned) => {
                let user = &spanned.value;
                if user.password.is_none() && user.api_key.is_none() {
                    self.problem(
                        spanned,
                        "`integration_user` needs a `password` or an `api_key`",
                    );
                    return None;
                }
                Credentials {
                    login: user.login.clone(),
                    password: user.password.clone().unwrap_or_default(),
                    api_key: user.api_key.clone(),
                }
            }
        };
        let secret = credentials
            .api_key
            .as_deref()
            .unwrap_or(&credentials.password);
        let params = vec![
            OdooValue::from(dry_run.database.as_str()),
            OdooValue::from(credentials.login.as_str()),
            OdooValue::from(secret),
            OdooValue::Dict(Dict::default()),
        ];
        let uid = dry_run
            .emulator
            .dispatch_rpc("common", "authenticate", params, Protocol::XmlRpc);
        if matches!(uid, Ok(OdooValue::Int(_))) {
            return Some(credentials);
        }
        let message = format!(
            "the integration user {:?} cannot log in to database {:?} with the password or API key given",
            credentials.login, dry_run.database
        );
        match given {
            Some(spanned) => self.problem(spanned, message),
            None => self.file_problem(format!(
                "{message}; add `integration_user` for a profile without admin/admin"
            )),
        }
        None
    }

    fn initial_records(&mut self, saas: &SaasFile) -> Vec<InitialRecord> {
        let listed = [
            (Entity::Customer, &saas.customer),
            (Entity::Product, &saas.product),
            (Entity::Order, &saas.order),
        ];
        let mut records = Vec::new();
        for (entity, list) in listed {
            for spanned in list {
                if let Some(record) = self.initial_record(entity, spanned) {
                    records.push(record);
                }
            }
        }
        if let Some(generate) = &saas.generate {
            for (name, count) in &generate.value {
                let Some(entity) = Entity::parse(name) else {
                    self.problem(generate, format!("cannot generate unknown entity {name:?}"));
                    continue;
                };
                if *count > MAX_GENERATED {
                    self.problem(
                        generate,
                        format!(
                            "invalid `generate` count {count} for {name}: the maximum is \
                             {MAX_GENERATED} per entity"
                        ),
                    );
                    continue;
                }
                records.extend((1..=*count).map(|index| {
                    let (id, data) = entity.generated(index);
                    InitialRecord { entity, id, data }
                }));
            }
        }
        records
    }

    fn initial_record(
        &mut self,
        entity: Entity,
        spanned: &Spanned<Map<String, Value>>,
    ) -> Option<InitialRecord> {
        let mut data = spanned.value.clone();
        let id = match data.remove("id") {
            Some(Value::String(id)) if !id.is_empty() => id,
            _ => {
                self.problem(
                    spanned,
                    format!("a {entity} needs an `id`, written as a string"),
                );
                return None;
            }
        };
        if let Err(message) = entity.validate_record(&data) {
            self.problem(spanned, message);
            return None;
        }
        Some(InitialRecord { entity, id, data })
    }

    fn step(&mut self, spanned: &Spanned<StepFile>, dry_run: &mut DryRun) -> Option<Located<Step>> {
        let step = match &spanned.value {
            StepFile::Sync => Ok(Step::Sync),
            StepFile::ClearFaults => Ok(Step::ClearFaults),
            StepFile::Reset => dry_run
                .emulator
                .reset(Some(&dry_run.database))
                .map(|_| Step::Reset)
                .map_err(|e| e.to_string()),
            StepFile::Saas(change) => saas_change(change, &mut dry_run.store).map(Step::Saas),
            StepFile::Fault(rule) => rule
                .clone()
                .validate()
                .map(|_| Step::Fault(rule.clone()))
                .map_err(|e| e.to_string()),
            StepFile::Schema(change) => instance_step("schema", change, dry_run),
            StepFile::Access(change) => instance_step("access", change, dry_run),
            StepFile::Clock(clock) => clock_change(clock, &mut dry_run.clock).map(Step::Clock),
        };
        match step {
            Ok(value) => Some(Located {
                line: spanned.referenced.line() as usize,
                value,
            }),
            Err(message) => {
                self.problem(spanned, message);
                None
            }
        }
    }

    fn expectation(
        &mut self,
        spanned: &Spanned<ExpectFile>,
        dry_run: &DryRun,
    ) -> Option<Located<Expectation>> {
        let expectation = match &spanned.value {
            ExpectFile::Converged => Ok(Expectation::Converged),
            ExpectFile::NoDuplicates => Ok(Expectation::NoDuplicates),
            ExpectFile::NoLostUpdates => Ok(Expectation::NoLostUpdates),
            ExpectFile::Idempotent => Ok(Expectation::Idempotent),
            ExpectFile::ErrorsReported(records) => errors_reported(records, &dry_run.store),
            ExpectFile::Odoo(query) => odoo_query(query, dry_run),
            ExpectFile::Calls(calls) => calls_query(calls),
            ExpectFile::Retries(retries) => retries_query(retries),
            ExpectFile::RespectsRetryAfter(file) => {
                Ok(Expectation::RespectsRetryAfter(file.matcher.clone()))
            }
        };
        match expectation {
            Ok(value) => Some(Located {
                line: spanned.referenced.line() as usize,
                value,
            }),
            Err(message) => {
                self.problem(spanned, message);
                None
            }
        }
    }
}

/// Returns the protocol a spec names, if it names a valid one.
fn spec_protocol(spec: &Spec) -> Option<odoo_sync::rpc::Protocol> {
    spec.protocol.as_deref().and_then(|name| name.parse().ok())
}

/// Returns the message for a user with an API key and no password under
/// the web protocol, whose login route accepts passwords only.
fn web_needs_password(login: &str) -> String {
    format!(
        "the web protocol needs the password of the integration user {login:?}, because \
         Odoo's web login rejects API keys; add a `password` to `integration_user` or use \
         xmlrpc or jsonrpc"
    )
}

/// Checks that the protocol a run uses lets the integration user log in.
/// The scenario's `protocol` wins over `option` (`--protocol`), which wins
/// over the spec's `protocol`.
///
/// # Errors
///
/// Returns the problem when that protocol is web and the user has an API
/// key only.
pub fn check_protocol(
    scenario: &Scenario,
    option: Option<odoo_sync::rpc::Protocol>,
) -> Result<(), String> {
    let protocol = scenario
        .protocol
        .or(option)
        .or_else(|| spec_protocol(&scenario.spec));
    if protocol != Some(odoo_sync::rpc::Protocol::Web) || !scenario.user.password.is_empty() {
        return Ok(());
    }
    let source = match (scenario.protocol, option) {
        (Some(_), _) => "the scenario's protocol is web",
        (None, Some(_)) => "--protocol is web",
        (None, None) => "the spec's protocol is web",
    };
    Err(format!(
        "{}: {source}: {}",
        scenario.path.display(),
        web_needs_password(&scenario.user.login)
    ))
}

fn parse_builtin_spec(name: &str, text: &str) -> Result<Spec, String> {
    let spec: Spec =
        serde_saphyr::from_str(text).map_err(|e| format!("built-in spec {name}: {e}"))?;
    spec.validate()
        .map_err(|e| format!("built-in spec {name}: {e}"))?;
    Ok(spec)
}

fn entity(name: &str) -> Result<Entity, String> {
    Entity::parse(name)
        .ok_or_else(|| format!("unknown entity {name:?}: use customer, product or order"))
}

/// Checks a SaaS step and applies it to the dry-run store.
fn saas_change(file: &SaasStepFile, store: &mut SaasStore) -> Result<SaasChange, String> {
    let named: Vec<(&str, &String)> = [
        ("create", &file.create),
        ("update", &file.update),
        ("delete", &file.delete),
        ("replay", &file.replay),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_ref().map(|v| (key, v)))
    .collect();
    let [(action, name)] = named.as_slice() else {
        return Err("a saas step needs exactly one of create, update, delete and replay".into());
    };
    let entity = entity(name)?;
    let id = file.id.clone();

    let set = file.set.clone().unwrap_or_default();
    if file.set.is_some() && !["create", "update"].contains(action) {
        return Err(format!("`set` goes with create or update, not {action}"));
    }
    if file.version.is_some() && *action != "replay" {
        return Err(format!("`version` goes with replay, not {action}"));
    }

    let change = match *action {
        "create" => {
            entity.validate_record(&set)?;
            store
                .create(entity, &id, set.clone())
                .map_err(|e| e.to_string())?;
            SaasChange::Create {
                entity,
                id,
                data: set,
            }
        }
        "update" => {
            entity.validate_fields(&set)?;
            store.update(entity, &id, &set).map_err(|e| e.to_string())?;
            SaasChange::Update { entity, id, set }
        }
        "delete" => {
            store.delete(entity, &id).map_err(|e| e.to_string())?;
            SaasChange::Delete { entity, id }
        }
        _ => {
            store
                .replay(entity, &id, file.version)
                .map_err(|e| e.to_string())?;
            SaasChange::Replay {
                entity,
                id,
                version: file.version,
            }
        }
    };
    Ok(change)
}

fn instance_step(
    kind: &'static str,
    change: &odoo_emulator::control::InstanceChange,
    dry_run: &mut DryRun,
) -> Result<Step, String> {
    let has_models = !change.models.is_empty();
    let has_access =
        !(change.grant.is_empty() && change.revoke.is_empty() && change.rules.is_empty());
    match kind {
        "schema" if has_access => {
            return Err(
                "a schema step takes `models`; put grant, revoke and rules in an access step"
                    .into(),
            )
        }
        "schema" if !has_models => return Err("a schema step needs `models`".into()),
        "access" if has_models => {
            return Err(
                "an access step takes grant, revoke and rules; put `models` in a schema step"
                    .into(),
            )
        }
        "access" if !has_access => return Err("an access step needs grant, revoke or rules".into()),
        _ => {}
    }
    dry_run
        .emulator
        .change_instance(&dry_run.database, change)
        .map_err(|e| format!("the {kind} change does not apply to the profile: {e}"))?;
    Ok(Step::Instance {
        kind,
        change: change.clone(),
    })
}

/// Checks a clock step and moves `clock` to where the step leaves the
/// emulator's clock, which must stay within years 1 to [`MAX_CLOCK_YEAR`].
fn clock_change(
    file: &ClockFile,
    clock: &mut chrono::NaiveDateTime,
) -> Result<ClockChange, String> {
    use chrono::Datelike;

    let (change, moved) = match (&file.freeze, file.advance_seconds) {
        (Some(at), None) => {
            let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S")
                .map_err(|_| format!("`freeze` {at:?} is not YYYY-MM-DD HH:MM:SS"))?;
            (ClockChange::Freeze(at), Some(at))
        }
        (None, Some(seconds)) => {
            let by = chrono::Duration::try_seconds(seconds);
            let moved = by.and_then(|by| clock.checked_add_signed(by));
            match (by, moved) {
                (Some(by), Some(moved)) => (ClockChange::Advance(by), Some(moved)),
                _ => (ClockChange::Advance(chrono::Duration::zero()), None),
            }
        }
        _ => return Err("a clock step needs exactly one of `freeze` and `advance_seconds`".into()),
    };
    match moved {
        Some(moved) if (1..=MAX_CLOCK_YEAR).contains(&moved.year()) => {
            *clock = moved;
            Ok(change)
        }
        _ => Err(format!(
            "invalid clock step: it moves the clock from {} outside years 1 to \
             {MAX_CLOCK_YEAR}; use a smaller `advance_seconds` or an earlier `freeze`",
            clock.format("%Y-%m-%d %H:%M:%S")
        )),
    }
}

fn errors_reported(
    records: &indexmap::IndexMap<String, Vec<String>>,
    store: &SaasStore,
) -> Result<Expectation, String> {
    let mut listed = Vec::new();
    for (name, ids) in records {
        let entity = entity(name)?;
        for id in ids {
            if store.record(entity, id).is_none() {
                return Err(format!(
                    "errors_reported names {entity} {id:?}, which the SaaS never has"
                ));
            }
            listed.push((entity, id.clone()));
        }
    }
    if listed.is_empty() {
        return Err("errors_reported needs at least one record".into());
    }
    Ok(Expectation::ErrorsReported(listed))
}

fn odoo_query(query: &OdooQueryFile, dry_run: &DryRun) -> Result<Expectation, String> {
    let domain = Value::Array(query.domain.clone());
    let checked = dry_run.emulator.execute(
        &dry_run.database,
        SUPERUSER,
        &query.model,
        "search_count",
        vec![OdooValue::from(domain.clone())],
        Dict::default(),
    );
    if let Err(error) = checked {
        return Err(format!(
            "the query on {} fails against the profile: {}",
            query.model, error.message
        ));
    }
    Ok(Expectation::Odoo(OdooQuery {
        model: query.model.clone(),
        domain,
        count: query.count,
        include_archived: query.include_archived,
    }))
}

fn bounds(count: Option<usize>, min: Option<usize>, max: Option<usize>) -> Result<Bounds, String> {
    match (count, min, max) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err("give either `count` or `min`/`max`, not both".into())
        }
        (Some(count), None, None) => Ok(Bounds {
            min: Some(count),
            max: Some(count),
        }),
        (None, None, None) => Err("give `count`, `min` or `max`".into()),
        (None, min, max) if min.zip(max).is_some_and(|(min, max)| min > max) => {
            Err("`min` is greater than `max`".into())
        }
        (None, min, max) => Ok(Bounds { min, max }),
    }
}

fn calls_query(file: &CallsFile) -> Result<Expectation, String> {
    let outcome = match file.outcome.as_deref() {
        None => OutcomeFilter::Any,
        Some("ok") => OutcomeFilter::Ok,
        Some("failed") => OutcomeFilter::Failed,
        Some(other) => return Err(format!("unknown outcome {other:?}: use ok or failed")),
    };
    Ok(Expectation::Calls(CallsQuery {
        matcher: file.matcher.clone(),
        outcome,
        bounds: bounds(file.count, file.min, file.max)?,
    }))
}

fn retries_query(file: &RetriesFile) -> Result<Expectation, String> {
    Ok(Expectation::Retries(RetriesQuery {
        matcher: file.matcher.clone(),
        bounds: bounds(None, file.min, file.max)?,
    }))
}
