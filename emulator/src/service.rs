//! Odoo's RPC services (`common`, `object`, `db`) and the web-session
//! calls, over the databases this process serves.
//!
//! [`Emulator`] is the one entry point that every wire protocol calls: the
//! codecs decode a request into [`Value`]s, call a method here, and encode
//! the result or the [`OdooError`] in their own dialect.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{OdooError, OdooResult};
use crate::value::{Dict, Value};
use crate::version::Version;

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

/// Every database this process serves, by name.
#[derive(Debug, Clone)]
pub struct Emulator {
    databases: Arc<BTreeMap<String, ()>>,
    version: Version,
}

impl Emulator {
    /// Builds an emulator serving one built-in base profile, such as
    /// `odoo-17`, under its default database name (`demo`).
    pub fn from_builtin(name: &str) -> Result<Self, crate::profile::ProfileError> {
        let _ = name;
        let databases = BTreeMap::from([("demo".to_owned(), ())]);
        Ok(Emulator {
            databases: Arc::new(databases),
            version: Version::V17,
        })
    }

    /// Returns the version reported by `common.version`, which takes no
    /// database: the first database's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Returns the names of the databases served, sorted, as `db.list` does.
    pub fn database_names(&self) -> Vec<String> {
        self.databases.keys().cloned().collect()
    }

    /// Serves `/xmlrpc/2/<service>` and `/jsonrpc`: `service` is `common`,
    /// `object` or `db` and `params` the positional arguments.
    pub fn dispatch_rpc(
        &self,
        service: &str,
        method: &str,
        params: Vec<Value>,
        protocol: Protocol,
    ) -> OdooResult<Value> {
        let _ = (service, method, params, protocol);
        Err(OdooError::user("not implemented yet"))
    }

    /// Serves `/web/session/authenticate`: checks the password (API keys are
    /// rejected here, as in Odoo) and returns the user id.
    pub fn web_login(&self, db: &str, login: &str, password: &str) -> OdooResult<i64> {
        let _ = (db, login, password);
        Err(OdooError::access_denied())
    }

    /// Returns the `session_info` dictionary for a logged-in session.
    pub fn session_info(&self, db: &str, uid: i64, session_id: &str) -> OdooResult<Dict> {
        let _ = (db, uid, session_id);
        Err(OdooError::session_expired())
    }

    /// Serves `/web/dataset/call_kw`: one ORM call by an authenticated user.
    pub fn call_kw(
        &self,
        db: &str,
        uid: i64,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> OdooResult<Value> {
        let _ = (db, uid, model, method, args, kwargs);
        Err(OdooError::user("not implemented yet"))
    }
}
