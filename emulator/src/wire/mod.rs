//! Wire codecs (XML-RPC, JSON-RPC) and the error dialects they render.
//!
//! Each codec turns bytes into [`crate::Value`]s and back, and each error
//! becomes a [`exception::PyException`] that [`fault`] renders in the
//! dialect of the route: XML-RPC fault codes, legacy string fault codes or
//! JSON-RPC error objects. The codecs never panic on input and never
//! recurse without a depth limit.

mod byteset;
pub mod exception;
pub mod fault;
pub mod jsonrpc;
pub mod pyfloat;
pub mod pyjson;
pub mod xmlrpc;

pub use exception::PyException;
