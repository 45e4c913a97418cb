//! Calls to the instance being imported, over XML-RPC, and to the built-in
//! base, in process, behind one trait so the importer reads both alike.

use std::fmt;
use std::time::Duration;

use crate::service::{Emulator, Protocol};
use crate::value::{python_str_repr, Dict, Value};
use crate::wire::fault::{Fault, FaultCode, FAULT_ACCESS_ERROR};
use crate::wire::xmlrpc::{decode_method_response, encode_method_call, MethodResponse};

use super::ImportError;

/// How long one XML-RPC call may take. `fields_get` on a large model of a
/// busy server is the slowest call the importer makes.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// An Odoo database that the importer reads as one logged-in user.
pub trait Instance {
    /// Calls `model.method(*args, **kwargs)` as `execute_kw` does.
    fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<Value, ImportError>;
}

/// A password or API key, kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An XML-RPC client for the `/xmlrpc/2/<service>` routes of one server.
#[derive(Debug, Clone)]
pub struct XmlRpcClient {
    /// The server's base URL, without a trailing slash.
    url: String,
    http: reqwest::blocking::Client,
}

impl XmlRpcClient {
    /// Creates a client for the server at `url`, such as
    /// `http://127.0.0.1:8069`.
    ///
    /// # Errors
    ///
    /// Returns [`ImportError::InvalidUrl`] for a URL that is not `http://`
    /// with a host. `https://` is rejected too, because this build has no
    /// TLS support.
    pub fn new(url: &str) -> Result<Self, ImportError> {
        let invalid = |reason: &str| ImportError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|error| invalid(&error.to_string()))?;
        match parsed.scheme() {
            "http" => {}
            "https" => {
                return Err(invalid(
                    "https is not supported by this build, which has no TLS; \
                     reach the server over http, for example through an SSH tunnel",
                ))
            }
            _ => return Err(invalid("expected an http:// URL")),
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL has no host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("expected the server's base URL, without ? or #"));
        }
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|error| invalid(&error_chain(&error)))?;
        Ok(XmlRpcClient {
            url: url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// Returns the server's base URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `service.method(*params)` and returns the result, or the fault
    /// as [`ImportError::Fault`] with `label` naming the call.
    ///
    /// # Errors
    ///
    /// Returns [`ImportError::Unreachable`] when no HTTP response arrives,
    /// [`ImportError::NotOdoo`] when the response is not XML-RPC, and
    /// [`ImportError::Fault`] for a fault.
    pub fn call(
        &self,
        service: &str,
        method: &str,
        params: &[Value],
        label: &str,
    ) -> Result<Value, ImportError> {
        match self.call_raw(service, method, params)? {
            MethodResponse::Value(value) => Ok(value),
            MethodResponse::Fault(fault) => Err(fault_error(label, &fault)),
        }
    }

    /// Calls a method and returns the decoded response, fault included.
    fn call_raw(
        &self,
        service: &str,
        method: &str,
        params: &[Value],
    ) -> Result<MethodResponse, ImportError> {
        let route = format!("/xmlrpc/2/{service}");
        let body = encode_method_call(method, params).map_err(|error| ImportError::Encode {
            call: format!("{service}.{method}"),
            reason: error.message,
        })?;
        // Only the route and method are logged: the parameters of
        // `execute_kw` and `authenticate` include the password.
        tracing::debug!(route, method, "XML-RPC call");

        let response = self
            .http
            .post(format!("{}{route}", self.url))
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body)
            .send()
            .map_err(|error| ImportError::Unreachable {
                url: self.url.clone(),
                reason: error_chain(&error),
            })?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        let bytes = response.bytes().map_err(|error| ImportError::Unreachable {
            url: self.url.clone(),
            reason: error_chain(&error),
        })?;

        let not_odoo = |reason: String| ImportError::NotOdoo {
            url: self.url.clone(),
            reason: format!("POST {route} {reason}"),
        };
        if !status.is_success() {
            return Err(not_odoo(format!("returned HTTP {status} ({content_type})")));
        }
        if !content_type.contains("xml") {
            return Err(not_odoo(format!(
                "returned {content_type} instead of XML-RPC's text/xml"
            )));
        }
        decode_method_response(&bytes).map_err(|error| {
            not_odoo(format!(
                "returned a body that is not an XML-RPC response ({})",
                error.message
            ))
        })
    }
}

/// Joins an error with its sources, so "error sending request" is followed
/// by its cause, such as "Connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Builds the error for a fault. A fault with code 1 carries a Python
/// traceback, whose last line names the exception, and code 4 is an
/// `AccessError`.
fn fault_error(label: &str, fault: &Fault) -> ImportError {
    if fault.code == FaultCode::Int(FAULT_ACCESS_ERROR) {
        return ImportError::AccessError {
            call: label.to_owned(),
            message: fault.string.trim_end().to_owned(),
        };
    }
    let code = match &fault.code {
        FaultCode::Int(code) => code.to_string(),
        FaultCode::Str(code) => python_str_repr(code),
    };
    let message = if fault.code == FaultCode::Int(1) {
        fault
            .string
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .to_owned()
    } else {
        fault.string.trim_end().to_owned()
    };
    ImportError::Fault {
        call: label.to_owned(),
        code,
        message,
    }
}

/// The server's `common.version` result, reduced to what the import uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// `server_version`, such as `17.0` or `17.0+e`.
    pub server_version: String,
    /// The major and minor numbers of `server_version_info`.
    pub major: i64,
    pub minor: i64,
}

/// A database on a live server, logged in as one user.
#[derive(Debug)]
pub struct RemoteInstance {
    client: XmlRpcClient,
    database: String,
    uid: i64,
    password: Password,
}

impl RemoteInstance {
    /// Reads the server's version, then logs in with `common.authenticate`.
    ///
    /// # Errors
    ///
    /// Returns [`ImportError::NotOdoo`] when `common.version` does not
    /// return what Odoo returns, [`ImportError::UnknownDatabase`] for a database
    /// the server does not have, and [`ImportError::WrongCredentials`] when
    /// `authenticate` returns `False`.
    pub fn connect(
        client: XmlRpcClient,
        database: &str,
        login: &str,
        password: Password,
    ) -> Result<(Self, ServerVersion), ImportError> {
        let version = read_version(&client)?;
        let params = [
            Value::from(database),
            Value::from(login),
            Value::from(password.expose()),
            Value::Dict(Dict::default()),
        ];
        let answer = client
            .call("common", "authenticate", &params, "common.authenticate")
            .map_err(|error| match error {
                ImportError::Fault { message, .. }
                    if message.contains(&format!("database \"{database}\" does not exist")) =>
                {
                    ImportError::UnknownDatabase {
                        url: client.url().to_owned(),
                        database: database.to_owned(),
                    }
                }
                other => other,
            })?;
        let uid = match answer {
            Value::Int(uid) => uid,
            Value::Bool(false) => {
                return Err(ImportError::WrongCredentials {
                    database: database.to_owned(),
                    login: login.to_owned(),
                })
            }
            other => {
                return Err(ImportError::NotOdoo {
                    url: client.url().to_owned(),
                    reason: format!(
                        "common.authenticate returned {} instead of a user id or False",
                        other.python_repr()
                    ),
                })
            }
        };
        tracing::info!(database, login, uid, "logged in");
        let instance = RemoteInstance {
            client,
            database: database.to_owned(),
            uid,
            password,
        };
        Ok((instance, version))
    }

    /// Returns the server's base URL.
    pub fn url(&self) -> &str {
        self.client.url()
    }
}

impl Instance for RemoteInstance {
    fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<Value, ImportError> {
        let params = [
            Value::from(self.database.as_str()),
            Value::Int(self.uid),
            Value::from(self.password.expose()),
            Value::from(model),
            Value::from(method),
            Value::List(args),
            Value::Dict(kwargs),
        ];
        let label = format!("{model}.{method}");
        self.client.call("object", "execute_kw", &params, &label)
    }
}

/// Reads `common.version`, which Odoo serves without a login.
fn read_version(client: &XmlRpcClient) -> Result<ServerVersion, ImportError> {
    let answer = client.call("common", "version", &[], "common.version")?;
    let not_odoo = |reason: String| ImportError::NotOdoo {
        url: client.url().to_owned(),
        reason,
    };
    let Value::Dict(fields) = &answer else {
        return Err(not_odoo(format!(
            "common.version returned {} instead of a dict",
            answer.python_repr()
        )));
    };
    let server_version = fields.get("server_version").and_then(Value::as_str);
    let info = fields.get("server_version_info").and_then(Value::as_list);
    let number = |index: usize| info.and_then(|i| i.get(index)).and_then(Value::as_i64);
    match (server_version, number(0), number(1)) {
        (Some(server_version), Some(major), Some(minor)) => Ok(ServerVersion {
            server_version: server_version.to_owned(),
            major,
            minor,
        }),
        _ => Err(not_odoo(
            "common.version returned no server_version and server_version_info".to_owned(),
        )),
    }
}

/// A built-in base profile served in process, read as its administrator.
#[derive(Debug)]
pub struct BuiltinInstance {
    emulator: Emulator,
    database: String,
    uid: i64,
}

impl BuiltinInstance {
    /// Serves a loaded base profile in process and logs in as `login`.
    ///
    /// # Errors
    ///
    /// Returns [`ImportError::Base`] when the login fails, which means the
    /// base profile changed its administrator.
    pub fn new(
        profile: crate::profile::Profile,
        login: &str,
        password: &str,
    ) -> Result<Self, ImportError> {
        let database = profile.database.clone();
        let name = profile.name.clone();
        let emulator = Emulator::from_profiles(vec![(None, profile)]).map_err(ImportError::Base)?;
        let params = vec![
            Value::from(database.as_str()),
            Value::from(login),
            Value::from(password),
            Value::Dict(Dict::default()),
        ];
        let answer = emulator.dispatch_rpc("common", "authenticate", params, Protocol::XmlRpc);
        let Ok(Value::Int(uid)) = answer else {
            return Err(ImportError::Base(crate::profile::ProfileError {
                path: format!("builtin:{name}"),
                message: format!("the login {login:?} of the built-in base failed"),
            }));
        };
        Ok(BuiltinInstance {
            emulator,
            database,
            uid,
        })
    }
}

impl Instance for BuiltinInstance {
    fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<Value, ImportError> {
        self.emulator
            .execute(&self.database, self.uid, model, method, args, kwargs)
            .map_err(|error| ImportError::Fault {
                call: format!("{model}.{method} on the built-in base"),
                code: error.kind.qualified_name().to_owned(),
                message: error.message,
            })
    }
}
