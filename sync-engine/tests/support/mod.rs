//! What the integration tests share: a fake SaaS API served on loopback,
//! and a fixture that starts the emulator in-process beside it and runs
//! passes against both.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the support module"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use odoo_emulator::profile::Profile;
use odoo_emulator::server::{EmulatorServer, ServerConfig};
use odoo_emulator::service::Emulator;
use odoo_sync::retry::RetryPolicy;
use odoo_sync::rpc::Protocol;
use odoo_sync::{PassConfig, PassOptions, PassSummary, SyncResult};
use serde_json::{json, Map, Value};

/// The database of the built-in `odoo-17` profile.
pub const DATABASE: &str = "demo";
/// The superuser, who reads past record rules and company limits, so the
/// tests see every record the engine wrote.
pub const SUPERUSER_UID: i64 = 1;

/// The records, change feed and reports of the fake SaaS.
#[derive(Debug, Default)]
struct SaasData {
    last_seq: u64,
    changes: Vec<Value>,
    /// `(version, deleted, data)` by entity and id.
    records: BTreeMap<(String, String), (u64, bool, Option<Value>)>,
    reports: Vec<Value>,
}

type Shared = Arc<Mutex<SaasData>>;

/// The SaaS API that a pass syncs from, served on a free loopback port
/// until dropped.
#[derive(Debug)]
pub struct FakeSaas {
    data: Shared,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSaas {
    pub fn start() -> Self {
        let data = Shared::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let url = format!("http://{}", listener.local_addr().expect("a bound address"));
        let router = Router::new()
            .route("/v1/changes", get(changes))
            .route("/v1/sync-report", post(report))
            .route("/v1/{entity}/{id}", get(record))
            .with_state(data.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the fake SaaS serves");
            });
        });
        FakeSaas {
            data,
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SaasData> {
        self.data
            .lock()
            .expect("the fake SaaS lock is never poisoned")
    }

    /// Creates or replaces a record, appends the change, and returns the
    /// new version.
    pub fn upsert(&self, entity: &str, id: &str, data: Value) -> u64 {
        let mut saas = self.lock();
        let key = (entity.to_owned(), id.to_owned());
        let version = saas.records.get(&key).map_or(1, |r| r.0 + 1);
        saas.records
            .insert(key, (version, false, Some(data.clone())));
        push(&mut saas, entity, id, "upsert", version, Some(data));
        version
    }

    /// Deletes a record, appends the change, and returns the new version.
    pub fn delete(&self, entity: &str, id: &str) -> u64 {
        let mut saas = self.lock();
        let key = (entity.to_owned(), id.to_owned());
        let (version, data) = saas
            .records
            .get(&key)
            .map_or((1, None), |r| (r.0 + 1, r.2.clone()));
        saas.records.insert(key, (version, true, data));
        push(&mut saas, entity, id, "delete", version, None);
        version
    }

    /// Appends a change to the feed without changing the record, as a
    /// delayed or replayed message.
    pub fn push_change(&self, entity: &str, id: &str, op: &str, version: u64, data: Option<Value>) {
        push(&mut self.lock(), entity, id, op, version, data);
    }

    /// Sets a record's current state without a feed entry.
    pub fn set_record(&self, entity: &str, id: &str, version: u64, data: Value) {
        self.lock().records.insert(
            (entity.to_owned(), id.to_owned()),
            (version, false, Some(data)),
        );
    }

    pub fn reports(&self) -> Vec<Value> {
        self.lock().reports.clone()
    }

    /// Returns the reports about one record.
    pub fn reports_for(&self, entity: &str, id: &str) -> Vec<Value> {
        self.reports()
            .into_iter()
            .filter(|r| r["entity"] == json!(entity) && r["id"] == json!(id))
            .collect()
    }
}

fn push(saas: &mut SaasData, entity: &str, id: &str, op: &str, version: u64, data: Option<Value>) {
    saas.last_seq += 1;
    let mut change = json!({
        "seq": saas.last_seq, "entity": entity, "id": id, "op": op, "version": version,
    });
    if let Some(data) = data {
        change["data"] = data;
    }
    saas.changes.push(change);
}

impl Drop for FakeSaas {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn changes(
    State(data): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let number = |key: &str, default: u64| {
        query
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let after = number("after", 0);
    let limit = number("limit", 100) as usize;
    let saas = data.lock().expect("the fake SaaS lock is never poisoned");
    let page: Vec<Value> = saas
        .changes
        .iter()
        .filter(|c| c["seq"].as_u64().unwrap_or(0) > after)
        .take(limit)
        .cloned()
        .collect();
    Json(json!({"changes": page, "last_seq": saas.last_seq})).into_response()
}

async fn record(
    State(data): State<Shared>,
    Path((entity, id)): Path<(String, String)>,
) -> Response {
    let saas = data.lock().expect("the fake SaaS lock is never poisoned");
    match saas.records.get(&(entity, id.clone())) {
        Some((version, deleted, record)) => {
            Json(json!({"id": id, "version": version, "deleted": deleted, "data": record}))
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn report(State(data): State<Shared>, Json(body): Json<Value>) -> StatusCode {
    data.lock()
        .expect("the fake SaaS lock is never poisoned")
        .reports
        .push(body);
    StatusCode::NO_CONTENT
}

/// An emulator, a fake SaaS and a state directory for one test.
#[derive(Debug)]
pub struct Fixture {
    /// Shares its databases, clock and faults with the served emulator.
    pub emulator: Emulator,
    pub server: EmulatorServer,
    pub saas: FakeSaas,
    pub state_dir: tempfile::TempDir,
    pub spec_path: PathBuf,
    pub protocol: Protocol,
    /// The database and the credentials the passes use.
    pub database: String,
    pub login: String,
    pub password: String,
    pub api_key: Option<String>,
    /// Holds a spec written by the test.
    spec_dir: tempfile::TempDir,
}

impl Fixture {
    /// Starts a fixture with the shipped Odoo 17 spec.
    pub fn new(protocol: Protocol) -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/mappings/odoo-17.yaml"
        );
        Self::start(protocol, PathBuf::from(path))
    }

    /// Starts a fixture with a spec given as YAML text.
    pub fn with_spec(protocol: Protocol, spec: &str) -> Self {
        let mut fixture = Self::new(protocol);
        let path = fixture.spec_dir.path().join("spec.yaml");
        std::fs::write(&path, spec).expect("the spec is written");
        fixture.spec_path = path;
        fixture
    }

    fn start(protocol: Protocol, spec_path: PathBuf) -> Self {
        let emulator = Emulator::from_builtin("odoo-17").expect("the built-in profile loads");
        Self::serve(emulator, protocol, spec_path, DATABASE)
    }

    /// Starts a fixture for a customer: a profile and a spec under
    /// `fixtures/`, and the customer's integration user, whose secret is a
    /// password or an API key.
    pub fn for_customer(
        protocol: Protocol,
        profile: &str,
        spec: &str,
        login: &str,
        secret: &str,
    ) -> Self {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");
        let profile =
            Profile::load(&format!("{fixtures}/profiles/{profile}")).expect("the profile loads");
        let database = profile.database.clone();
        let emulator = Emulator::from_profiles(vec![(None, profile)]).expect("the emulator builds");
        let spec_path = PathBuf::from(format!("{fixtures}/mappings/{spec}"));
        let mut fixture = Self::serve(emulator, protocol, spec_path, &database);
        fixture.login = login.to_owned();
        fixture.password = secret.to_owned();
        fixture
    }

    fn serve(emulator: Emulator, protocol: Protocol, spec_path: PathBuf, database: &str) -> Self {
        let server = EmulatorServer::start(emulator.clone(), ServerConfig::loopback_any_port())
            .expect("the emulator starts");
        Fixture {
            emulator,
            server,
            saas: FakeSaas::start(),
            state_dir: tempfile::tempdir().expect("a state directory"),
            spec_path,
            protocol,
            database: database.to_owned(),
            login: "admin".to_owned(),
            password: "admin".to_owned(),
            api_key: None,
            spec_dir: tempfile::tempdir().expect("a spec directory"),
        }
    }

    pub fn config(&self) -> PassConfig {
        PassConfig {
            odoo_url: self.server.url(),
            database: self.database.clone(),
            username: self.login.clone(),
            password: self.password.clone(),
            api_key: self.api_key.clone(),
            saas_url: self.saas.url().to_owned(),
            state_dir: self.state_dir.path().to_owned(),
            spec_path: self.spec_path.clone(),
        }
    }

    /// Options with short waits, so retries do not slow the tests down.
    pub fn options(&self) -> PassOptions {
        PassOptions {
            protocol: Some(self.protocol),
            timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(40),
                max_retry_after: Duration::from_secs(5),
            },
            ..PassOptions::default()
        }
    }

    pub fn try_pass(&self) -> SyncResult<PassSummary> {
        odoo_sync::run_pass_with(&self.config(), &self.options())
    }

    /// Runs a pass that must finish.
    pub fn pass(&self) -> PassSummary {
        self.try_pass()
            .unwrap_or_else(|e| panic!("the pass gave up: {e}"))
    }

    /// Calls an ORM method as the superuser, in-process.
    pub fn call(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let args = match odoo_emulator::Value::from(args) {
            odoo_emulator::Value::List(items) => items,
            other => panic!("args must be a list, not {other:?}"),
        };
        let kwargs = match odoo_emulator::Value::from(kwargs) {
            odoo_emulator::Value::Dict(dict) => dict,
            other => panic!("kwargs must be an object, not {other:?}"),
        };
        let result = self
            .emulator
            .execute(&self.database, SUPERUSER_UID, model, method, args, kwargs)
            .unwrap_or_else(|e| panic!("{method} on {model} failed: {e:?}"));
        Value::from(&result)
    }

    /// Searches records, archived ones included.
    pub fn search_read(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
    ) -> Vec<Map<String, Value>> {
        let result = self.call(
            model,
            "search_read",
            json!([domain]),
            json!({"fields": fields, "order": "id", "context": {"active_test": false}}),
        );
        result
            .as_array()
            .expect("search_read returns a list")
            .iter()
            .map(|r| r.as_object().cloned().expect("a record"))
            .collect()
    }

    /// Returns the id behind an external id, if it exists.
    pub fn xmlid(&self, module: &str, name: &str) -> Option<i64> {
        let rows = self.search_read(
            "ir.model.data",
            json!([["module", "=", module], ["name", "=", name]]),
            &["res_id"],
        );
        assert!(
            rows.len() <= 1,
            "the external id {module}.{name} exists {} times",
            rows.len()
        );
        rows.first().and_then(|r| r["res_id"].as_i64())
    }

    /// Moves the emulator's clock forward, so that any later write shows
    /// in `write_date`.
    pub fn advance_clock(&self) {
        self.emulator
            .clock()
            .advance(chrono::Duration::hours(1))
            .expect("an hour ahead is in range");
    }
}

/// A customer as the SaaS sends it.
pub fn customer(name: &str, email: &str, country: &str) -> Value {
    json!({"name": name, "email": email, "phone": "+32 2 555 01 01", "company": false,
           "country_code": country, "tags": ["vip"]})
}

/// A product as the SaaS sends it.
pub fn product(sku: &str, name: &str, price: f64) -> Value {
    json!({"sku": sku, "name": name, "price": price, "active": true})
}

/// An order as the SaaS sends it, with `(sku, quantity, unit price)` lines.
pub fn order(number: &str, customer: &str, state: &str, lines: &[(&str, f64, f64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(
            |(sku, quantity, price)| json!({"sku": sku, "quantity": quantity, "unit_price": price}),
        )
        .collect();
    json!({"number": number, "customer_id": customer, "date": "2024-05-01T09:30:00Z",
           "lines": lines, "state": state})
}
