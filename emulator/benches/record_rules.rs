//! `search_read` as a user whose record rules hide half the partners,
//! against the superuser, who bypasses rules, on the same database.
//!
//! Each call is `search_read([], fields=[5 fields], limit=80)` on
//! `res.partner`, through [`Emulator::execute`] (no HTTP), in two cases
//! per user. `after_write` changes a partner before each search (not
//! timed), so the search meets a new version of the table, tests every
//! row and sorts. `repeated` searches the same version again, so it takes
//! the ids that passed the implicit filters and the sorted ids that the
//! table keeps. Run it with `cargo bench -p odoo-emulator --bench
//! record_rules`; `scripts/bench` runs it and prints the
//! restricted-to-superuser ratio per size and case.

#[allow(dead_code, reason = "each benchmark uses part of the shared setup")]
mod support;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use odoo_emulator::orm::SUPERUSER_ID;
use odoo_emulator::service::Emulator;
use odoo_emulator::value::Value;

/// Partner counts to measure. Comparing two sizes shows how the cost grows.
const SIZES: [usize; 2] = [10_000, 100_000];

fn search(emulator: &Emulator, uid: i64) -> Value {
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
}

/// Writes a partner's comment, which gives the table a new version.
/// `round` makes each comment differ from the previous one.
fn touch_partner(emulator: &Emulator, partner: i64, round: &mut u64) {
    *round += 1;
    let comment = Value::from(format!("round {round}"));
    support::write_partner(emulator, partner, "comment", comment);
}

fn search_read(c: &mut Criterion) {
    let mut group = c.benchmark_group("search_read");
    group.sample_size(10);
    for size in SIZES {
        let emulator = support::emulator_with_partners(size);
        let restricted = support::restricted_uid(&emulator);
        let first_partner = search(&emulator, SUPERUSER_ID).as_list().expect("records")[0]
            .as_dict()
            .and_then(|record| record.get("id"))
            .and_then(Value::as_i64)
            .expect("an id");
        for (user, uid) in [("superuser", SUPERUSER_ID), ("restricted", restricted)] {
            let mut round = 0;
            group.bench_function(BenchmarkId::new(format!("{user}_after_write"), size), |b| {
                b.iter_batched(
                    || touch_partner(&emulator, first_partner, &mut round),
                    |()| search(&emulator, uid),
                    BatchSize::PerIteration,
                );
            });
            group.bench_function(BenchmarkId::new(format!("{user}_repeated"), size), |b| {
                b.iter(|| search(&emulator, uid));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, search_read);
criterion_main!(benches);
