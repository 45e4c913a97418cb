//! Calls shared by the ORM tests that run without HTTP.

use odoo_emulator::service::{Emulator, Protocol};
use odoo_emulator::{Dict, OdooResult, Value};

/// Calls `model.method(*args, **kwargs)` through `object.execute_kw` in
/// database `demo`, as `admin` (uid 2), whom the record rules apply to.
pub fn execute_kw(
    emulator: &Emulator,
    model: &str,
    method: &str,
    args: Vec<Value>,
    kwargs: Dict,
) -> OdooResult<Value> {
    let params = vec![
        Value::from("demo"),
        Value::Int(2),
        Value::from("admin"),
        Value::from(model),
        Value::from(method),
        Value::List(args),
        Value::Dict(kwargs),
    ];
    emulator.dispatch_rpc("object", "execute_kw", params, Protocol::XmlRpc)
}
