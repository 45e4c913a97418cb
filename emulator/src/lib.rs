//! An Odoo server emulator: Odoo's external APIs (XML-RPC, JSON-RPC, the
//! web session routes) over an in-memory ORM, per Odoo version and per
//! customer profile.
//!
//! The crate is laid out by concept: [`value`] and [`error`] are shared by
//! everything; [`wire`] holds the codecs and error dialects; [`orm`] the
//! store, fields, domains and methods; [`profile`] the per-customer schema
//! and data; [`service`] Odoo's `common`, `object` and `db` services; and
//! [`server`] the HTTP routes.

pub mod cli;
pub mod clock;
pub mod control;
pub mod error;
pub mod faults;
pub mod orm;
pub mod profile;
pub mod server;
pub mod service;
pub mod value;
pub mod version;
pub mod wire;

pub use error::{ErrorKind, OdooError, OdooResult};
pub use value::{Dict, Value};
