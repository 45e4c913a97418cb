//! Control operations on a live emulator: reset, snapshots and runtime
//! schema and access changes, as Odoo 17 would behave after the same
//! change in a real database.

use std::sync::Arc;

use odoo_emulator::control::InstanceChange;
use odoo_emulator::service::{Emulator, Protocol};
use odoo_emulator::{Dict, ErrorKind, OdooResult, Value};

fn emulator() -> Emulator {
    Emulator::from_builtin("odoo-17").expect("the built-in base loads")
}

fn execute_kw(
    emulator: &Emulator,
    model: &str,
    method: &str,
    args: Vec<Value>,
) -> OdooResult<Value> {
    let params = vec![
        "demo".into(),
        Value::Int(2),
        "admin".into(),
        model.into(),
        method.into(),
        Value::List(args),
        Value::Dict(Dict::default()),
    ];
    emulator.dispatch_rpc("object", "execute_kw", params, Protocol::XmlRpc)
}

fn partner_count(emulator: &Emulator) -> i64 {
    let count = execute_kw(
        emulator,
        "res.partner",
        "search_count",
        vec![Value::List(vec![])],
    );
    count.expect("search_count").as_i64().expect("an integer")
}

fn create_partner(emulator: &Emulator, name: &str) -> OdooResult<Value> {
    let vals = Dict::from_iter([("name".to_owned(), Value::from(name))]);
    execute_kw(emulator, "res.partner", "create", vec![Value::Dict(vals)])
}

#[test]
fn reset_returns_to_the_seed() {
    let emulator = emulator();
    let seeded = partner_count(&emulator);
    create_partner(&emulator, "Temporary").expect("create");
    assert_eq!(partner_count(&emulator), seeded + 1);

    emulator.reset(None).expect("reset");

    assert_eq!(partner_count(&emulator), seeded);
}

#[test]
fn snapshot_restore_brings_back_saved_records() {
    let emulator = emulator();
    create_partner(&emulator, "Kept").expect("create");
    let with_kept = partner_count(&emulator);
    emulator.save_snapshot("after-kept", None).expect("save");
    create_partner(&emulator, "Dropped").expect("create");

    emulator.restore_snapshot("after-kept").expect("restore");

    assert_eq!(partner_count(&emulator), with_kept);
    assert!(emulator.restore_snapshot("missing").is_err());
}

#[test]
fn reset_is_atomic_under_concurrent_writes() {
    let emulator = Arc::new(emulator());
    let seeded = partner_count(&emulator);
    let writers: Vec<_> = (0..4)
        .map(|worker| {
            let emulator = emulator.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    // Each call creates two partners in one transaction, so
                    // a count of seeded + odd would expose a torn reset.
                    let pair = Value::List(vec![
                        Value::Dict(Dict::from_iter([(
                            "name".to_owned(),
                            Value::from(format!("w{worker}-{i}-a")),
                        )])),
                        Value::Dict(Dict::from_iter([(
                            "name".to_owned(),
                            Value::from(format!("w{worker}-{i}-b")),
                        )])),
                    ]);
                    execute_kw(&emulator, "res.partner", "create", vec![pair]).expect("create");
                }
            })
        })
        .collect();
    for _ in 0..20 {
        emulator.reset(Some("demo")).expect("reset");
        let extra = partner_count(&emulator) - seeded;
        assert_eq!(
            extra % 2,
            0,
            "a reset interleaved with a call: {extra} extra partners"
        );
    }
    for writer in writers {
        writer.join().expect("writer thread");
    }
}

#[test]
fn required_field_added_at_runtime_rejects_creates() {
    let emulator = emulator();
    let change: InstanceChange = serde_json::from_value(serde_json::json!({
        "models": {"res.partner": {"fields": {"x_studio_segment": {
            "type": "selection", "string": "Segment", "required": true,
            "selection": [["smb", "SMB"], ["ent", "Enterprise"]]
        }}}}
    }))
    .expect("a valid change");

    emulator
        .change_instance("demo", &change)
        .expect("change applies");
    let error = create_partner(&emulator, "No segment").expect_err("the new field is required");

    assert_eq!(error.kind, ErrorKind::ValidationError);
    assert!(
        error
            .message
            .ends_with("Model: Contact (res.partner)\nField: Segment (x_studio_segment)\n"),
        "{}",
        error.message
    );
}

#[test]
fn invalid_change_leaves_the_database_untouched() {
    let emulator = emulator();
    let change: InstanceChange = serde_json::from_value(serde_json::json!({
        "models": {"res.partner": {"fields": {"x_broken": {"type": "many2one", "relation": "no.such.model"}}}}
    }))
    .expect("well-formed");

    let error = emulator
        .change_instance("demo", &change)
        .expect_err("unknown relation");

    assert!(error.to_string().contains("no.such.model"), "{error}");
    assert!(create_partner(&emulator, "Still fine").is_ok());
}
