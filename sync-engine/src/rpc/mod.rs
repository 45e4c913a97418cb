//! Odoo's external API: the XML-RPC and JSON-RPC codecs, the mapping of
//! Odoo's errors to [`crate::error::ErrorKind`]s, and [`OdooClient`],
//! which authenticates, calls `execute_kw` and retries what is safe to
//! retry.

mod client;
pub mod fault;
pub mod jsonrpc;
mod orm;
pub mod xmlrpc;

pub use client::{Credentials, Effect, OdooClient};
pub use orm::{LoadOutcome, Record};

use std::fmt;
use std::str::FromStr;

/// The wire protocol spoken to Odoo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `/xmlrpc/2/common` and `/xmlrpc/2/object`.
    #[default]
    XmlRpc,
    /// `/jsonrpc`, stateless: every call carries the uid and password.
    JsonRpc,
    /// The web client's routes: `/web/session/authenticate` opens a
    /// session (the `session_id` cookie) and `/web/dataset/call_kw` calls
    /// methods in it. The session can expire (JSON-RPC error code 100);
    /// the client then logs in again. Odoo accepts only the password
    /// here, not an API key.
    Web,
}

impl FromStr for Protocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "xmlrpc" => Ok(Protocol::XmlRpc),
            "jsonrpc" => Ok(Protocol::JsonRpc),
            "web" => Ok(Protocol::Web),
            other => Err(format!(
                "unknown protocol {other:?}: use xmlrpc, jsonrpc or web"
            )),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::XmlRpc => "xmlrpc",
            Protocol::JsonRpc => "jsonrpc",
            Protocol::Web => "web",
        })
    }
}
