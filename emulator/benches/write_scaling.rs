//! Writes on databases of growing size: each should cost about the same
//! whatever the tables hold, since unique constraints, one2many reads and
//! `unlink` look rows up through the store's indexes.
//!
//! The baseline is the bench profile with no extra partners (the `odoo-17`
//! demo data). Each iteration imports one new partner with its external
//! id through `load`, creates an `ir.model.data` row directly (its unique
//! constraint is checked), reads a company's `child_ids` or deletes one
//! partner created untimed before it. An untimed `reset` before each write
//! keeps the tables at their seed size. Run it with
//! `cargo bench -p odoo-emulator --bench write_scaling`.

#[allow(dead_code, reason = "each benchmark uses part of the shared setup")]
mod support;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use odoo_emulator::orm::SUPERUSER_ID;
use odoo_emulator::service::Emulator;
use odoo_emulator::value::{Dict, Value};

/// Extra partners in the seed, where 0 is the baseline.
const SIZES: [usize; 2] = [0, 10_000];

fn call(emulator: &Emulator, model: &str, method: &str, args: Vec<Value>) -> Value {
    emulator
        .execute(
            support::DATABASE,
            SUPERUSER_ID,
            model,
            method,
            args,
            Dict::default(),
        )
        .unwrap_or_else(|error| panic!("{model}.{method} failed: {}", error.message))
}

fn load_partner(emulator: &Emulator) {
    let fields = Value::List(vec!["id".into(), "name".into()]);
    let row = vec![Value::from("bench.loaded"), Value::from("Loaded")];
    call(
        emulator,
        "res.partner",
        "load",
        vec![fields, Value::List(vec![Value::List(row)])],
    );
}

fn create_external_id(emulator: &Emulator) {
    let mut vals = Dict::default();
    vals.insert("module".into(), Value::from("bench"));
    vals.insert("name".into(), Value::from("direct"));
    vals.insert("model".into(), Value::from("res.partner"));
    vals.insert("res_id".into(), Value::Int(1));
    call(emulator, "ir.model.data", "create", vec![Value::Dict(vals)]);
}

fn create_partner(emulator: &Emulator) -> i64 {
    let mut vals = Dict::default();
    vals.insert("name".into(), Value::from("To delete"));
    let id = call(emulator, "res.partner", "create", vec![Value::Dict(vals)]);
    id.as_i64().expect("create returns an id")
}

fn read_children(emulator: &Emulator) {
    let ids = Value::List(vec![Value::Int(1)]);
    let fields = Value::List(vec!["child_ids".into()]);
    call(emulator, "res.partner", "read", vec![ids, fields]);
}

fn writes(c: &mut Criterion) {
    let mut group = c.benchmark_group("write");
    for size in SIZES {
        let emulator = support::emulator_with_partners(size);
        let reset = || {
            emulator
                .reset(Some(support::DATABASE))
                .expect("the bench database is served");
        };
        group.bench_function(BenchmarkId::new("load_one_partner", size), |b| {
            b.iter_batched(reset, |()| load_partner(&emulator), BatchSize::PerIteration);
        });
        group.bench_function(BenchmarkId::new("create_external_id", size), |b| {
            b.iter_batched(
                reset,
                |()| create_external_id(&emulator),
                BatchSize::PerIteration,
            );
        });
        group.bench_function(BenchmarkId::new("read_child_ids", size), |b| {
            b.iter(|| read_children(&emulator));
        });
        group.bench_function(BenchmarkId::new("unlink_partner", size), |b| {
            b.iter_batched(
                || {
                    reset();
                    create_partner(&emulator)
                },
                |id| {
                    call(
                        &emulator,
                        "res.partner",
                        "unlink",
                        vec![Value::List(vec![Value::Int(id)])],
                    )
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, writes);
criterion_main!(benches);
