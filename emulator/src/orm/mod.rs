//! The in-memory ORM: schema, store, fields, domains, access and methods.
//!
//! [`execute`] runs one RPC call as one transaction: the method runs on a
//! clone of the database state, which replaces the original only when the
//! method succeeds.

pub mod access;
pub mod business;
pub mod commands;
pub mod company;
pub mod compute;
pub mod convert;
pub mod domain;
pub mod env;
pub mod index;
pub mod introspect;
pub mod load;
pub mod methods;
pub mod names;
pub mod order;
pub mod order_lines;
pub mod product;
pub mod read_group;
pub mod rule_expr;
pub mod schema;
pub mod search;
pub mod signature;
pub mod store;
pub mod stored_names;
pub mod unlink;
pub mod web_read;
pub mod write;

pub use env::{Env, SUPERUSER_ID};
pub use schema::{Field, FieldType, Model, Schema};
pub use store::DbState;
