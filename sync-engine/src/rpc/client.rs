//! [`OdooClient`]: one authenticated connection to one Odoo database.
//!
//! The client retries a call only when sending it again cannot apply it
//! twice. A read is retried on every retryable error. A write is any call
//! that may change data: `create`, `write`, `unlink`, `load` and business
//! methods. It is retried only when the failure proves it did not run: no
//! connection, HTTP 429 or 503, a serialization failure (rolled back) or
//! an expired session (rejected before the call). Every other failure of
//! a write goes back to the caller, which re-reads Odoo to find out what
//! happened before it writes again.
//!
//! An expired session (JSON-RPC code 100) makes the client authenticate
//! again before the retry. Only [`Protocol::Web`] has sessions: XML-RPC
//! and `/jsonrpc` send the credentials with every call.

use serde_json::{json, Map, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::http::{HttpClient, HttpResponse};
use crate::retry::Backoff;

use super::{fault, jsonrpc, xmlrpc, Protocol};

/// Whether a call may change data, which decides what may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Write,
}

/// The database and the login; the password or API key is never shown by
/// `Debug`.
#[derive(Clone)]
pub struct Credentials {
    pub database: String,
    pub login: String,
    /// The password, or an API key, which Odoo accepts in its place on
    /// XML-RPC and `/jsonrpc`.
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("database", &self.database)
            .field("login", &self.login)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// A client for one Odoo database.
#[derive(Debug)]
pub struct OdooClient {
    http: HttpClient,
    base_url: String,
    protocol: Protocol,
    credentials: Credentials,
    uid: Option<i64>,
    /// The web session's `session_id` cookie, for [`Protocol::Web`].
    session_id: Option<String>,
    backoff: Backoff,
    next_request_id: u64,
    writes: u64,
}

impl OdooClient {
    /// Creates a client; nothing is sent before [`OdooClient::authenticate`].
    pub fn new(
        http: HttpClient,
        base_url: &str,
        protocol: Protocol,
        credentials: Credentials,
        backoff: Backoff,
    ) -> Self {
        OdooClient {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            protocol,
            credentials,
            uid: None,
            session_id: None,
            backoff,
            next_request_id: 0,
            writes: 0,
        }
    }

    /// Returns the protocol spoken.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Returns the number of writes sent, failed ones included.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Returns the number of retries made.
    pub fn retries(&self) -> u64 {
        self.backoff.retries()
    }

    /// Logs in and keeps the uid: `common.authenticate`, or for
    /// [`Protocol::Web`] `/web/session/authenticate`, which also opens the
    /// session.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AuthenticationFailed`] when Odoo returns `False` (wrong
    /// database, login or password), or the transport's error once retries
    /// are used up.
    pub fn authenticate(&mut self) -> SyncResult<i64> {
        let context = format!(
            "authenticate {} on database {}",
            self.credentials.login, self.credentials.database
        );
        let mut attempt = 1;
        let result = loop {
            match self.send_login(&context) {
                Err(error)
                    if error.is_retryable()
                        && self.backoff.wait_before_retry(&context, attempt, &error) =>
                {
                    attempt += 1;
                }
                other => break other,
            }
        };
        // Odoo rejects a login to a database it does not have with
        // PostgreSQL's connection error, or on the web route with an
        // AccessError. That is a setting to fix, not a server that speaks
        // another API.
        let result = result.map_err(|error| {
            let missing = format!("database \"{}\" does not exist", self.credentials.database);
            let web_missing =
                self.protocol == Protocol::Web && error.message().contains("Database not found.");
            if error.message().contains(&missing) || web_missing {
                SyncError::new(
                    ErrorKind::Config,
                    context.clone(),
                    format!(
                        "Odoo has no database {:?}: check --db or ODOO_DB",
                        self.credentials.database
                    ),
                )
            } else {
                error
            }
        });
        let uid = match result? {
            Value::Number(n) if n.as_i64().is_some_and(|id| id > 0) => n.as_i64().unwrap_or(0),
            Value::Bool(false) => {
                return Err(SyncError::new(
                    ErrorKind::AuthenticationFailed,
                    context,
                    match self.protocol {
                        Protocol::Web => "Odoo rejected the login: check the database, username and password (--db, --username, --password or ODOO_DB, ODOO_USERNAME, ODOO_PASSWORD); the web routes take the password, not an API key",
                        _ => "Odoo rejected the login: check the database, username and password or API key (--db, --username, --password, --api-key or ODOO_DB, ODOO_USERNAME, ODOO_PASSWORD, ODOO_API_KEY)",
                    },
                ))
            }
            other => {
                return Err(SyncError::new(
                    ErrorKind::InvalidResponse,
                    context,
                    format!("authenticate returned {other}, not a user id"),
                ))
            }
        };
        tracing::info!(uid, login = %self.credentials.login, database = %self.credentials.database, "authenticated");
        self.uid = Some(uid);
        Ok(uid)
    }

    /// Calls `model.method(*args, **kwargs)` through `execute_kw`.
    ///
    /// # Errors
    ///
    /// Odoo's error, classified, or the transport's. See the module docs
    /// for which errors were retried first.
    pub fn execute_kw(
        &mut self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Map<String, Value>,
        effect: Effect,
    ) -> SyncResult<Value> {
        let context = format!("{method} on {model}");
        let mut attempt = 1;
        loop {
            let uid = match self.uid {
                Some(uid) => uid,
                None => self.authenticate()?,
            };
            if effect == Effect::Write {
                self.writes += 1;
            }
            let _span = tracing::debug_span!("odoo_call", %model, %method, attempt).entered();
            let sent = match self.protocol {
                Protocol::Web => self.send_call_kw(model, method, &args, &kwargs, &context),
                Protocol::XmlRpc | Protocol::JsonRpc => {
                    let call_args = vec![
                        json!(self.credentials.database),
                        json!(uid),
                        json!(self.credentials.secret),
                        json!(model),
                        json!(method),
                        Value::Array(args.clone()),
                        Value::Object(kwargs.clone()),
                    ];
                    self.send("object", "execute_kw", call_args, &context)
                }
            };
            let error = match sent {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let retry = match effect {
                Effect::Read => error.is_retryable(),
                Effect::Write => error.is_retryable() && !error.may_have_applied(),
            };
            if !retry {
                return Err(error);
            }
            if !self.backoff.wait_before_retry(&context, attempt, &error) {
                return Err(error);
            }
            if error.kind() == ErrorKind::SessionExpired {
                self.uid = None;
                self.session_id = None;
            }
            attempt += 1;
        }
    }

    /// Sends the login request of the protocol and returns the uid, or
    /// `False` when Odoo rejected the credentials.
    fn send_login(&mut self, context: &str) -> SyncResult<Value> {
        if self.protocol != Protocol::Web {
            let args = vec![
                json!(self.credentials.database),
                json!(self.credentials.login),
                json!(self.credentials.secret),
                json!({}),
            ];
            return self.send("common", "authenticate", args, context);
        }
        let params = json!({
            "db": self.credentials.database,
            "login": self.credentials.login,
            "password": self.credentials.secret,
        });
        let (result, session_id) = self.send_web("/web/session/authenticate", params, context);
        match result {
            // The session info names the user; a rejected login is an
            // `AccessDenied` error rather than `False`.
            Ok(info) => {
                self.session_id = session_id;
                Ok(info.get("uid").cloned().unwrap_or(Value::Bool(false)))
            }
            Err(error) if error.kind() == ErrorKind::AccessDenied => Ok(Value::Bool(false)),
            Err(error) => Err(error),
        }
    }

    /// Calls a method through `/web/dataset/call_kw` in the web session.
    fn send_call_kw(
        &mut self,
        model: &str,
        method: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
        context: &str,
    ) -> SyncResult<Value> {
        let params = json!({
            "model": model,
            "method": method,
            "args": args,
            "kwargs": kwargs,
        });
        let route = format!("/web/dataset/call_kw/{model}/{method}");
        self.send_web(&route, params, context).0
    }

    /// Posts a JSON-RPC request to a web route with the session cookie,
    /// and returns the decoded result with the session cookie the
    /// response sets.
    fn send_web(
        &mut self,
        route: &str,
        params: Value,
        context: &str,
    ) -> (SyncResult<Value>, Option<String>) {
        self.next_request_id += 1;
        let body = jsonrpc::encode_request(self.next_request_id, params);
        let url = format!("{}{route}", self.base_url);
        let response = match self.http.post_in_session(
            &url,
            "application/json",
            body,
            self.session_id.as_deref(),
        ) {
            Ok(response) => response,
            Err(error) => return (Err(error), None),
        };
        let result = decode_jsonrpc(&response, context);
        (result, response.session_id)
    }

    /// Sends one request and decodes the response.
    fn send(
        &mut self,
        service: &str,
        method: &str,
        args: Vec<Value>,
        context: &str,
    ) -> SyncResult<Value> {
        match self.protocol {
            Protocol::XmlRpc => self.send_xmlrpc(service, method, &args, context),
            Protocol::JsonRpc | Protocol::Web => self.send_jsonrpc(service, method, args, context),
        }
    }

    fn send_xmlrpc(
        &mut self,
        service: &str,
        method: &str,
        args: &[Value],
        context: &str,
    ) -> SyncResult<Value> {
        let body = xmlrpc::encode_call(method, args)
            .map_err(|e| SyncError::new(ErrorKind::Mapping, context, e.to_string()))?;
        let url = format!("{}/xmlrpc/2/{service}", self.base_url);
        let response = self.http.post(&url, "text/xml", body.into_bytes())?;
        check_status(&response, context)?;
        match xmlrpc::decode_response(&response.body) {
            Ok(xmlrpc::MethodResponse::Value(value)) => Ok(value),
            Ok(xmlrpc::MethodResponse::Fault(f)) => Err(fault::from_xmlrpc(context, &f)),
            Err(error) => Err(invalid_body(context, &response, &error.to_string())),
        }
    }

    fn send_jsonrpc(
        &mut self,
        service: &str,
        method: &str,
        args: Vec<Value>,
        context: &str,
    ) -> SyncResult<Value> {
        self.next_request_id += 1;
        let body = jsonrpc::encode_call(self.next_request_id, service, method, args);
        let url = format!("{}/jsonrpc", self.base_url);
        let response = self.http.post(&url, "application/json", body)?;
        decode_jsonrpc(&response, context)
    }
}

/// Decodes a JSON-RPC response, from `/jsonrpc` or a web route.
fn decode_jsonrpc(response: &HttpResponse, context: &str) -> SyncResult<Value> {
    check_status(response, context)?;
    match jsonrpc::decode_response(&response.body) {
        Ok(jsonrpc::RpcResponse::Result(value)) => Ok(value),
        Ok(jsonrpc::RpcResponse::Error(e)) => Err(fault::from_jsonrpc(context, &e)),
        Err(error) => Err(invalid_body(context, response, &error.to_string())),
    }
}

/// Turns a non-200 status into an error. Odoo returns faults with HTTP
/// 200, so another status comes from a proxy or a wrong URL.
fn check_status(response: &HttpResponse, context: &str) -> SyncResult<()> {
    if response.status == 200 {
        return Ok(());
    }
    if let Some(error) = response.transient_error(context) {
        return Err(error);
    }
    Err(SyncError::new(
        ErrorKind::HttpStatus,
        context,
        format!(
            "HTTP {} instead of an RPC response (check ODOO_URL): {}",
            response.status,
            response.body_excerpt()
        ),
    ))
}

fn invalid_body(context: &str, response: &HttpResponse, reason: &str) -> SyncError {
    let content_type = response
        .content_type
        .as_deref()
        .unwrap_or("no content type");
    SyncError::new(
        ErrorKind::InvalidResponse,
        context,
        format!("{reason} ({content_type}): {}", response.body_excerpt()),
    )
}
