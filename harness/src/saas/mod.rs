//! The fake SaaS: the entities of the integration contract, their state
//! and change feed, and the HTTP API that serves them.

pub mod entity;
pub mod server;
pub mod store;

pub use entity::Entity;
pub use server::{SaasServer, SharedStore};
pub use store::{Change, Op, Record, Report, SaasStore, StoreError};
