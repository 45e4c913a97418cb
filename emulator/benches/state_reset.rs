//! `Emulator::reset`, `save_snapshot` and `restore_snapshot` on databases
//! of growing size. The state is made of persistent maps, so each
//! operation should cost about the same whatever the database holds.
//!
//! The baseline is the bench profile with no extra partners (the
//! `odoo-17` demo data). Before each timed `reset` or `restore_snapshot`,
//! an untimed `write` renames one partner, so the operation has a change
//! to undo and drops the state it replaces. Run it with
//! `cargo bench -p odoo-emulator --bench state_reset`.

#[allow(dead_code, reason = "each benchmark uses part of the shared setup")]
mod support;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use odoo_emulator::service::Emulator;
use odoo_emulator::value::Value;

/// Extra partners in the seed, where 0 is the baseline.
const SIZES: [usize; 3] = [0, 10_000, 100_000];

/// Renames the partner with id 1, so the database differs from its seed.
fn change_one_partner(emulator: &Emulator) {
    support::write_partner(emulator, 1, "name", Value::from("Renamed"));
}

fn state_operations(c: &mut Criterion) {
    let mut group = c.benchmark_group("state");
    for size in SIZES {
        let emulator = support::emulator_with_partners(size);
        group.bench_function(BenchmarkId::new("reset", size), |b| {
            b.iter_batched(
                || change_one_partner(&emulator),
                |()| emulator.reset(Some(support::DATABASE)),
                BatchSize::PerIteration,
            );
        });
        group.bench_function(BenchmarkId::new("save_snapshot", size), |b| {
            b.iter(|| emulator.save_snapshot("bench", Some(support::DATABASE)));
        });
        emulator
            .save_snapshot("bench", Some(support::DATABASE))
            .expect("the bench database is served");
        group.bench_function(BenchmarkId::new("restore_snapshot", size), |b| {
            b.iter_batched(
                || change_one_partner(&emulator),
                |()| emulator.restore_snapshot("bench"),
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, state_operations);
criterion_main!(benches);
