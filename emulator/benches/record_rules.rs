//! `search_read` as a user whose record rules hide half the partners,
//! against the superuser, who bypasses rules, on the same database.
//!
//! Each call is `search_read([], fields=[5 fields], limit=80)` on
//! `res.partner`, through [`Emulator::execute`] (no HTTP). Run it with
//! `cargo bench -p odoo-emulator --bench record_rules`; `scripts/bench`
//! runs it and prints the restricted-to-superuser ratio per size.

#[allow(dead_code, reason = "each benchmark uses part of the shared setup")]
mod support;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use odoo_emulator::orm::SUPERUSER_ID;
use odoo_emulator::value::Value;

/// Partner counts to measure. Comparing two sizes shows how the cost grows.
const SIZES: [usize; 2] = [10_000, 100_000];

fn search_read(c: &mut Criterion) {
    let mut group = c.benchmark_group("search_read");
    group.sample_size(10);
    for size in SIZES {
        let emulator = support::emulator_with_partners(size);
        let restricted = support::restricted_uid(&emulator);
        for (label, uid) in [("superuser", SUPERUSER_ID), ("restricted", restricted)] {
            group.bench_function(BenchmarkId::new(label, size), |b| {
                b.iter(|| {
                    let records = emulator
                        .execute(
                            support::DATABASE,
                            uid,
                            "res.partner",
                            "search_read",
                            vec![Value::List(Vec::new())],
                            support::search_read_kwargs(80),
                        )
                        .expect("search_read succeeds");
                    assert_eq!(records.as_list().map(<[Value]>::len), Some(80));
                    records
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, search_read);
criterion_main!(benches);
