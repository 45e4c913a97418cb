//! Odoo's RPC services (`common`, `object`, `db`) and the web-session
//! calls, over the databases this process serves.
//!
//! [`Emulator`] is the one entry point that every wire protocol calls: the
//! codecs decode a request into [`Value`]s, call a method here, and encode
//! the result or the [`OdooError`] in their own dialect.
//!
//! Differences from Odoo a client could notice: the `db` service's
//! management methods (`create_database`, `drop`, ...) raise `Access
//! Denied` as Odoo does with a wrong master password, since no master
//! password is configured; and `common.version` reports the version of the
//! first database when several versions are served from one process.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::Clock;
use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::faults::{FaultEngine, Journal};
use crate::orm::env::Env;
use crate::orm::methods;
use crate::orm::store::DbState;
use crate::profile::{Profile, ProfileError};
use crate::value::{python_str_repr, Dict, Value};
use crate::version::Version;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 0;

/// The wire protocol a call arrived on, for the journal and for the few
/// behaviours that differ by route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `/xmlrpc/2/<service>`: integer fault codes.
    XmlRpc,
    /// `/xmlrpc/<service>`: string fault codes.
    XmlRpcLegacy,
    /// `/jsonrpc`.
    JsonRpc,
    /// `/web/session/*` and `/web/dataset/call_kw`: cookie sessions.
    Web,
}

/// One served database: its profile and its current state.
#[derive(Debug)]
pub struct Database {
    pub profile: Arc<Profile>,
    pub state: Mutex<DbState>,
}

impl Database {
    fn new(profile: Profile) -> Self {
        let state = Mutex::new(profile.seed.clone());
        Database {
            profile: Arc::new(profile),
            state,
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, DbState> {
        self.state
            .lock()
            .expect("a database lock is never poisoned")
    }
}

/// Every database this process serves, by name, with the process-wide
/// clock, fault rules, journal and snapshots.
#[derive(Debug, Clone)]
pub struct Emulator {
    pub(crate) databases: Arc<BTreeMap<String, Arc<Database>>>,
    pub(crate) clock: Arc<Clock>,
    version: Version,
    pub(crate) faults: Arc<Mutex<FaultEngine>>,
    pub(crate) journal: Arc<Mutex<Journal>>,
    pub(crate) snapshots: Arc<Mutex<BTreeMap<String, BTreeMap<String, DbState>>>>,
    seed: u64,
}

/// The kind of login, which decides whether API keys are accepted: on RPC
/// yes, on the interactive web login no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Login {
    Rpc,
    Interactive,
}

impl Emulator {
    /// Builds an emulator serving one built-in base profile, such as
    /// `odoo-17`, under its default database name (`demo`).
    pub fn from_builtin(name: &str) -> Result<Self, ProfileError> {
        Self::from_profiles(vec![(None, Profile::load(name)?)])
    }

    /// Builds an emulator from profiles, each optionally renamed; database
    /// names must be unique.
    pub fn from_profiles(profiles: Vec<(Option<String>, Profile)>) -> Result<Self, ProfileError> {
        let mut databases = BTreeMap::new();
        let mut version = None;
        for (name, profile) in profiles {
            let name = name.unwrap_or_else(|| profile.database.clone());
            version.get_or_insert(profile.version);
            if databases.contains_key(&name) {
                return Err(ProfileError {
                    path: profile.name.clone(),
                    message: format!(
                        "database {name:?} is served twice; name one with --profile DB=PATH"
                    ),
                });
            }
            databases.insert(name, Arc::new(Database::new(profile)));
        }
        Ok(Emulator {
            databases: Arc::new(databases),
            clock: Arc::default(),
            version: version.unwrap_or(Version::V17),
            faults: Arc::new(Mutex::new(FaultEngine::new(DEFAULT_SEED))),
            journal: Arc::default(),
            snapshots: Arc::default(),
            seed: DEFAULT_SEED,
        })
    }

    /// Seeds every random choice (fault probabilities, session ids), so a
    /// run can be replayed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self.faults = Arc::new(Mutex::new(FaultEngine::new(seed)));
        self
    }

    /// Returns the seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Returns the version reported by `common.version`, which takes no
    /// database: the first database's version.
    pub fn version(&self) -> Version {
        self.version
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Returns the names of the databases served, sorted, as `db.list` does.
    pub fn database_names(&self) -> Vec<String> {
        self.databases.keys().cloned().collect()
    }

    pub fn database(&self, name: &str) -> OdooResult<&Arc<Database>> {
        self.databases.get(name).ok_or_else(|| {
            OdooError::new(
                ErrorKind::OperationalError,
                format!(
                    "connection to server failed: FATAL:  database {} does not exist\n",
                    python_str_repr(name).replace('\'', "\"")
                ),
            )
        })
    }

    /// Runs a call of `/xmlrpc/2/<service>` or `/jsonrpc`: `service` is
    /// `common`, `object` or `db` and `params` the positional arguments.
    /// Records of `read` and `search_read` come as a list of dicts.
    pub fn dispatch_rpc(
        &self,
        service: &str,
        method: &str,
        params: Vec<Value>,
        protocol: Protocol,
    ) -> OdooResult<Value> {
        self.serve_rpc(service, method, params, protocol)
            .map(Value::expand_records)
    }

    /// Serves `/xmlrpc/2/<service>` and `/jsonrpc` as [`Emulator::dispatch_rpc`]
    /// does, with records as [`Value::Records`] for the codecs to write.
    pub fn serve_rpc(
        &self,
        service: &str,
        method: &str,
        params: Vec<Value>,
        protocol: Protocol,
    ) -> OdooResult<Value> {
        let _ = protocol;
        match service {
            "common" => self.dispatch_common(method, &params),
            "object" => self.dispatch_object(method, params),
            "db" => self.dispatch_db(method),
            _ => Err(OdooError::key(service)),
        }
    }

    /// `odoo.service.common.dispatch`: a fixed list of methods, each bound
    /// to its Python signature.
    fn dispatch_common(&self, method: &str, params: &[Value]) -> OdooResult<Value> {
        let arg = |i: usize| params.get(i).cloned().unwrap_or(Value::None);
        match method {
            "version" => {
                python_arity("exp_version", &[], 0, params.len())?;
                Ok(version_dict(self.version))
            }
            "about" => {
                python_arity("exp_about", &["extended"], 0, params.len())?;
                let info = Value::Str("See http://openerp.com".to_owned());
                if arg(0).is_truthy() {
                    return Ok(Value::List(vec![
                        info,
                        Value::Str(self.version.server_version()),
                    ]));
                }
                Ok(info)
            }
            "timezone_get" => {
                python_arity(
                    "exp_timezone_get",
                    &["db", "login", "password"],
                    3,
                    params.len(),
                )?;
                Ok(Value::Str("UTC".to_owned()))
            }
            "login" | "authenticate" => {
                let names: &[&str] = if method == "login" {
                    &["db", "login", "password"]
                } else {
                    &["db", "login", "password", "user_agent_env"]
                };
                python_arity(&format!("exp_{method}"), names, names.len(), params.len())?;
                let (db, login, password) = (text(&arg(0)), text(&arg(1)), text(&arg(2)));
                match self.check_login(&db, &login, &password, Login::Rpc) {
                    Ok(uid) => Ok(Value::Int(uid)),
                    Err(error) if error.kind == ErrorKind::AccessDenied => Ok(Value::Bool(false)),
                    Err(error) => Err(error),
                }
            }
            _ => Err(OdooError::new(
                ErrorKind::Exception,
                format!("Method not found: {method}"),
            )),
        }
    }

    fn dispatch_object(&self, method: &str, params: Vec<Value>) -> OdooResult<Value> {
        if params.len() < 3 {
            return Err(OdooError::new(
                ErrorKind::IndexError,
                "tuple index out of range",
            ));
        }
        let mut params = params.into_iter();
        let db = text(&params.next().unwrap_or_default());
        let uid = crate::orm::convert::python_int(&params.next().unwrap_or_default())?;
        let password = text(&params.next().unwrap_or_default());
        self.check_credentials(&db, uid, &password)?;
        let rest: Vec<Value> = params.collect();
        let (model, model_method, args, kwargs) = match method {
            "execute" => split_execute(&rest)?,
            "execute_kw" => split_execute_kw(&rest)?,
            _ => {
                return Err(OdooError::new(
                    ErrorKind::NameError,
                    format!("Method not available {method}"),
                ))
            }
        };
        self.run_method(&db, uid, &model, &model_method, args, kwargs)
    }

    fn dispatch_db(&self, method: &str) -> OdooResult<Value> {
        match method {
            "list" => Ok(Value::List(
                self.database_names().into_iter().map(Value::Str).collect(),
            )),
            "server_version" => Ok(Value::Str(self.version.server_version())),
            "db_exist" => Ok(Value::Bool(false)),
            "list_lang" => Ok(Value::List(vec![Value::List(vec![
                "en_US".into(),
                "English (US)".into(),
            ])])),
            "create_database"
            | "duplicate_database"
            | "drop"
            | "dump"
            | "restore"
            | "rename"
            | "change_admin_password"
            | "migrate_databases" => Err(OdooError::access_denied()),
            _ => Err(OdooError::key(&format!("Method not found: {method}"))),
        }
    }

    /// Runs one ORM call as [`Emulator::run_method`] does and returns the
    /// records of `read` and `search_read` as a list of dicts.
    pub fn execute(
        &self,
        db: &str,
        uid: i64,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> OdooResult<Value> {
        self.run_method(db, uid, model, method, args, kwargs)
            .map(Value::expand_records)
    }

    /// Runs one ORM call as one transaction: the state changes only when
    /// the method succeeds. Calls that write hold the database's lock for
    /// their whole run, so they apply one at a time. Calls that only read
    /// run on a snapshot taken under the lock, in parallel with any other
    /// call. The records of `read` and `search_read` come as
    /// [`Value::Records`], which the codecs write without expanding.
    fn run_method(
        &self,
        db: &str,
        uid: i64,
        model: &str,
        method: &str,
        args: Vec<Value>,
        mut kwargs: Dict,
    ) -> OdooResult<Value> {
        let database = self.database(db)?;
        let context = match kwargs.shift_remove("context") {
            Some(Value::Dict(context)) => context,
            _ => Dict::default(),
        };
        let now = self.clock.now_text();
        let span = tracing::trace_span!("call", db, uid, model, method);
        let _entered = span.enter();
        let version = database.profile.version;
        if methods::is_read_only(method, version) {
            // The state is persistent, so the copy is cheap, and calls that
            // only read no longer wait for each other.
            let mut snapshot = database.lock_state().clone();
            let mut env = Env::new(&mut snapshot, uid, context, now, version);
            return methods::call(&mut env, model, method, &args, &kwargs);
        }
        let mut guard = database.lock_state();
        let mut transaction = guard.clone();
        let mut env = Env::new(&mut transaction, uid, context, now, version);
        let result = methods::call(&mut env, model, method, &args, &kwargs)?;
        *guard = transaction;
        Ok(result)
    }

    /// Checks a login and password (or API key on RPC) and returns the
    /// user id, or `AccessDenied`.
    fn check_login(&self, db: &str, login: &str, password: &str, mode: Login) -> OdooResult<i64> {
        let database = self.database(db)?;
        let state = database
            .state
            .lock()
            .expect("a database lock is never poisoned");
        let users = state
            .schema
            .model("res.users")
            .ok_or_else(OdooError::access_denied)?;
        let login_field = users
            .field("login")
            .ok_or_else(OdooError::access_denied)?
            .clone();
        let active_field = users.field("active").cloned();
        let env_state = &mut state.clone();
        let env = Env::new(
            env_state,
            crate::orm::SUPERUSER_ID,
            Dict::default(),
            String::new(),
            database.profile.version,
        );
        for uid in env.all_ids("res.users") {
            if env.get(users, uid, &login_field).as_str() != Some(login) {
                continue;
            }
            let active = active_field
                .as_ref()
                .is_none_or(|f| env.get(users, uid, f).is_truthy());
            if active && password_matches(&state, uid, password, mode) {
                return Ok(uid);
            }
        }
        Err(OdooError::access_denied())
    }

    /// Re-checks the password or API key of a user id on every `object`
    /// call, as `odoo.service.security.check` does.
    fn check_credentials(&self, db: &str, uid: i64, password: &str) -> OdooResult<()> {
        let database = self.database(db)?;
        let state = database
            .state
            .lock()
            .expect("a database lock is never poisoned");
        let active = state
            .stored("res.users", uid, "active")
            .is_none_or(Value::is_truthy);
        if active && password_matches(&state, uid, password, Login::Rpc) {
            return Ok(());
        }
        Err(OdooError::access_denied())
    }

    /// Serves `/web/session/authenticate`: checks the password (API keys are
    /// rejected here, as in Odoo) and returns the user id.
    pub fn web_login(&self, db: &str, login: &str, password: &str) -> OdooResult<i64> {
        self.check_login(db, login, password, Login::Interactive)
    }

    /// Returns the `session_info` dictionary for a logged-in session.
    pub fn session_info(&self, db: &str, uid: i64, session_id: &str) -> OdooResult<Dict> {
        let _ = session_id;
        let user = self.execute(
            db,
            uid,
            "res.users",
            "read",
            vec![Value::List(vec![Value::Int(uid)])],
            read_kwargs(&[
                "name",
                "login",
                "partner_id",
                "company_id",
                "company_ids",
                "lang",
                "tz",
            ]),
        )?;
        let user = user
            .as_list()
            .and_then(|l| l.first())
            .and_then(Value::as_dict)
            .cloned()
            .unwrap_or_default();
        let context = self.execute(db, uid, "res.users", "context_get", vec![], Dict::default())?;
        let first = |key: &str| {
            user.get(key)
                .and_then(Value::as_list)
                .and_then(|l| l.first())
                .cloned()
                .unwrap_or(Value::Bool(false))
        };
        let mut info = Dict::default();
        info.insert("uid".into(), Value::Int(uid));
        info.insert("is_system".into(), Value::Bool(uid == 2));
        info.insert("is_admin".into(), Value::Bool(uid == 2));
        info.insert("user_context".into(), context);
        info.insert("db".into(), Value::Str(db.to_owned()));
        info.insert(
            "server_version".into(),
            Value::Str(self.version.server_version()),
        );
        info.insert("server_version_info".into(), version_info(self.version));
        info.insert(
            "name".into(),
            user.get("name").cloned().unwrap_or(Value::Bool(false)),
        );
        info.insert(
            "username".into(),
            user.get("login").cloned().unwrap_or(Value::Bool(false)),
        );
        info.insert(
            "partner_display_name".into(),
            user.get("partner_id")
                .and_then(Value::as_list)
                .and_then(|l| l.get(1))
                .cloned()
                .unwrap_or(Value::Bool(false)),
        );
        info.insert("company_id".into(), first("company_id"));
        info.insert("partner_id".into(), first("partner_id"));
        info.insert(
            "web.base.url".into(),
            Value::Str("http://localhost:8069".into()),
        );
        Ok(info)
    }

    /// Serves `/web/dataset/call_kw`: one ORM call by an authenticated user.
    /// Records come as [`Value::Records`], as from [`Emulator::serve_rpc`].
    pub fn call_kw(
        &self,
        db: &str,
        uid: i64,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> OdooResult<Value> {
        self.run_method(db, uid, model, method, args, kwargs)
    }
}

fn read_kwargs(fields: &[&str]) -> Dict {
    let list = fields.iter().map(|f| Value::Str((*f).to_owned())).collect();
    Dict::from_iter([("fields".to_owned(), Value::List(list))])
}

fn password_matches(state: &DbState, uid: i64, password: &str, mode: Login) -> bool {
    let Some(credentials) = state.credentials.get(&uid) else {
        return false;
    };
    let by_password = credentials
        .password
        .as_deref()
        .is_some_and(|p| !p.is_empty() && p == password);
    let by_key = mode == Login::Rpc && credentials.api_keys.iter().any(|k| k == password);
    by_password || by_key
}

fn text(value: &Value) -> String {
    value.as_str().map(str::to_owned).unwrap_or_default()
}

type Call = (String, String, Vec<Value>, Dict);

/// `execute(db, uid, password, model, method, *args)`.
fn split_execute(rest: &[Value]) -> OdooResult<Call> {
    if rest.len() < 2 {
        let names = ["db", "uid", "obj", "method"];
        python_arity("execute", &names, 4, rest.len() + 2)?;
    }
    Ok((
        text(&rest[0]),
        text(&rest[1]),
        rest[2..].to_vec(),
        Dict::default(),
    ))
}

/// `execute_kw(db, uid, password, model, method, args, kw=None)`.
fn split_execute_kw(rest: &[Value]) -> OdooResult<Call> {
    let names = ["db", "uid", "obj", "method", "args", "kw"];
    python_arity("execute_kw", &names, 5, rest.len() + 2)?;
    let args = match &rest[2] {
        Value::List(args) => args.clone(),
        other => {
            return Err(OdooError::type_error(format!(
                "odoo.service.model.execute() argument after * must be an iterable, not {}",
                other.python_type()
            )))
        }
    };
    let kwargs = match rest.get(3) {
        Some(Value::Dict(kwargs)) => kwargs.clone(),
        None | Some(Value::None) | Some(Value::Bool(false)) => Dict::default(),
        Some(other) => {
            return Err(OdooError::type_error(format!(
                "odoo.service.model.execute() argument after ** must be a mapping, not {}",
                other.python_type()
            )))
        }
    };
    Ok((text(&rest[0]), text(&rest[1]), args, kwargs))
}

/// Checks a positional argument count as CPython does for a function with
/// the given parameters, of which the first `required` have no default.
fn python_arity(function: &str, names: &[&str], required: usize, given: usize) -> OdooResult<()> {
    if given > names.len() {
        let takes = if required == names.len() {
            format!(
                "{} positional argument{}",
                names.len(),
                if names.len() == 1 { "" } else { "s" }
            )
        } else {
            format!("from {required} to {} positional arguments", names.len())
        };
        let were = if given == 1 { "was" } else { "were" };
        return Err(OdooError::type_error(format!(
            "{function}() takes {takes} but {given} {were} given"
        )));
    }
    if given < required {
        let missing: Vec<String> = names[given..required]
            .iter()
            .map(|n| format!("'{n}'"))
            .collect();
        let listed = match missing.len() {
            1 => missing[0].clone(),
            2 => format!("{} and {}", missing[0], missing[1]),
            n => format!("{}, and {}", missing[..n - 1].join(", "), missing[n - 1]),
        };
        let plural = if missing.len() == 1 {
            "argument"
        } else {
            "arguments"
        };
        return Err(OdooError::type_error(format!(
            "{function}() missing {} required positional {plural}: {listed}",
            missing.len()
        )));
    }
    Ok(())
}

/// `common.version()`.
pub fn version_dict(version: Version) -> Value {
    Value::Dict(Dict::from_iter([
        (
            "server_version".to_owned(),
            Value::Str(version.server_version()),
        ),
        ("server_version_info".to_owned(), version_info(version)),
        (
            "server_serie".to_owned(),
            Value::Str(version.server_version()),
        ),
        ("protocol_version".to_owned(), Value::Int(1)),
    ]))
}

/// `[17, 0, 0, "final", 0, ""]`.
pub fn version_info(version: Version) -> Value {
    let (major, minor, micro, level, serial, suffix) = version.version_info();
    Value::List(vec![
        Value::Int(i64::from(major)),
        Value::Int(i64::from(minor)),
        Value::Int(i64::from(micro)),
        Value::Str(level.to_owned()),
        Value::Int(i64::from(serial)),
        Value::Str(suffix.to_owned()),
    ])
}
