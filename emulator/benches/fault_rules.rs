//! The fault engine's cost per call: `FaultEngine::decide` for a
//! `search_read` call with 50 installed rules that do not match it,
//! against an engine with no rules.
//!
//! This measures the engine alone. `scripts/bench --only faults` measures the
//! same comparison over HTTP once the server consults the engine. Run it
//! with `cargo bench -p odoo-emulator --bench fault_rules`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use odoo_emulator::faults::{CallInfo, FaultEngine, FaultRule};

/// The number of installed rules in the measured case.
const RULES: usize = 50;

/// Returns a rule that fails every call on a model the benchmark never
/// calls, so it is checked on each call and never fires.
fn non_matching_rule(index: usize) -> FaultRule {
    let rule = serde_json::json!({
        "match": {"database": "bench", "model": format!("x_absent.model_{index}")},
        "effect": {"type": "error", "exception": "UserError"},
    });
    serde_json::from_value(rule).expect("the rule is valid JSON for FaultRule")
}

fn search_read_call() -> CallInfo {
    CallInfo {
        database: Some("bench".into()),
        protocol: "xmlrpc".into(),
        route: "/xmlrpc/2/object".into(),
        service: Some("object".into()),
        model: Some("res.partner".into()),
        method: Some("search_read".into()),
        uid: Some(2),
        login: None,
        now: "2024-01-01 00:00:00".into(),
    }
}

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("fault_decide");
    let call = search_read_call();
    for rules in [0, RULES] {
        let mut engine = FaultEngine::new(0);
        for index in 0..rules {
            engine
                .add(non_matching_rule(index))
                .expect("the rule passes validation");
        }
        group.bench_function(BenchmarkId::new("rules", rules), |b| {
            b.iter(|| {
                let decision = engine.decide(&call);
                assert!(decision.is_none());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decide);
criterion_main!(benches);
