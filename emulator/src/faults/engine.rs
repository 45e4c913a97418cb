//! Deciding, call by call, which fault rule fires.
//!
//! Rules are checked in the order they were added and the first that fires
//! wins. Each rule counts the calls it matches on its own, whether or not
//! another rule fired on them, so `{nth: 2}` means the second call that the
//! rule's match selects. Probabilities are drawn from one RNG seeded at
//! start, and only for calls a rule matches, so the same seed and the same
//! sequence of calls produce the same faults.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::faults::rule::{route_matches, Effect, FaultRule, InvalidRule, Schedule, UserMatch};

/// What the engine knows of a call when it decides.
#[derive(Debug, Clone, Default)]
pub struct CallInfo {
    pub database: Option<String>,
    /// `xmlrpc`, `xmlrpc-legacy`, `jsonrpc` or `web`.
    pub protocol: String,
    pub route: String,
    pub service: Option<String>,
    pub model: Option<String>,
    pub method: Option<String>,
    pub uid: Option<i64>,
    pub login: Option<String>,
    /// The emulator's clock, `YYYY-MM-DD HH:MM:SS`.
    pub now: String,
}

/// A fired rule: its id and effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub rule_id: u64,
    pub effect: Effect,
}

#[derive(Debug, Clone)]
struct Installed {
    rule: FaultRule,
    matched: u64,
}

/// The installed rules and the seeded RNG.
#[derive(Debug, Clone)]
pub struct FaultEngine {
    rules: Vec<Installed>,
    next_id: u64,
    rng: ChaCha8Rng,
}

impl FaultEngine {
    pub fn new(seed: u64) -> Self {
        FaultEngine {
            rules: Vec::new(),
            next_id: 1,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Validates and installs a rule, returning it with its id.
    pub fn add(&mut self, rule: FaultRule) -> Result<FaultRule, InvalidRule> {
        let mut rule = rule.validate()?;
        rule.id = self.next_id;
        self.next_id += 1;
        self.rules.push(Installed {
            rule: rule.clone(),
            matched: 0,
        });
        Ok(rule)
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|i| i.rule.clone()).collect()
    }

    /// Removes a rule; returns whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|i| i.rule.id != id);
        self.rules.len() != before
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Decides the fault for a call, advancing the rules' counters.
    pub fn decide(&mut self, call: &CallInfo) -> Option<Decision> {
        let mut decision = None;
        for installed in &mut self.rules {
            if !matches(&installed.rule, call) {
                continue;
            }
            installed.matched += 1;
            let fires = fires(
                &installed.rule.schedule,
                installed.matched,
                call,
                &mut self.rng,
            );
            if fires && decision.is_none() {
                decision = Some(Decision {
                    rule_id: installed.rule.id,
                    effect: installed.rule.effect.clone(),
                });
            }
        }
        decision
    }
}

fn matches(rule: &FaultRule, call: &CallInfo) -> bool {
    let m = &rule.matcher;
    let same = |wanted: &Option<String>, actual: Option<&str>| {
        wanted.as_deref().is_none_or(|w| Some(w) == actual)
    };
    same(&m.database, call.database.as_deref())
        && same(&m.protocol, Some(&call.protocol))
        && m.route
            .as_deref()
            .is_none_or(|w| route_matches(w, &call.route))
        && same(&m.service, call.service.as_deref())
        && same(&m.model, call.model.as_deref())
        && same(&m.method, call.method.as_deref())
        && match &m.user {
            None => true,
            Some(UserMatch::Id(id)) => call.uid == Some(*id),
            Some(UserMatch::Login(login)) => call.login.as_deref() == Some(login.as_str()),
        }
}

fn fires(schedule: &Schedule, matched: u64, call: &CallInfo, rng: &mut ChaCha8Rng) -> bool {
    match schedule {
        Schedule::Always => true,
        Schedule::Nth(n) => matched == *n,
        Schedule::First(n) => matched <= *n,
        Schedule::Every(k) => matched % k == 0,
        Schedule::After(time) => call.now.as_str() >= time.as_str(),
        Schedule::Probability(p) => rng.random::<f64>() < *p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::rule::Match;

    fn rule(schedule: Schedule, method: &str) -> FaultRule {
        FaultRule {
            id: 0,
            matcher: Match {
                method: Some(method.to_owned()),
                ..Match::default()
            },
            schedule,
            times: None,
            effect: Effect::Reset,
        }
    }

    fn call(method: &str) -> CallInfo {
        CallInfo {
            method: Some(method.to_owned()),
            protocol: "xmlrpc".into(),
            ..CallInfo::default()
        }
    }

    fn firing_pattern(engine: &mut FaultEngine, method: &str, calls: usize) -> Vec<bool> {
        (0..calls)
            .map(|_| engine.decide(&call(method)).is_some())
            .collect()
    }

    #[test]
    fn route_matches_the_path_and_paths_below_it() {
        assert!(route_matches(
            "/web/dataset/call_kw",
            "/web/dataset/call_kw"
        ));
        assert!(route_matches(
            "/web/dataset/call_kw",
            "/web/dataset/call_kw/res.partner/create"
        ));
        assert!(route_matches("/xmlrpc/", "/xmlrpc/object"));
        assert!(!route_matches("/xmlrpc/2/object", "/xmlrpc/2/objects"));
        assert!(!route_matches("/xmlrpc/2/object", "/xmlrpc/2"));
    }

    #[test]
    fn nth_fires_once() {
        let mut engine = FaultEngine::new(1);
        engine.add(rule(Schedule::Nth(2), "create")).expect("valid");
        assert_eq!(
            firing_pattern(&mut engine, "create", 4),
            vec![false, true, false, false]
        );
    }

    #[test]
    fn every_kth_and_first_n() {
        let mut engine = FaultEngine::new(1);
        engine
            .add(rule(Schedule::Every(3), "write"))
            .expect("valid");
        assert_eq!(
            firing_pattern(&mut engine, "write", 6),
            vec![false, false, true, false, false, true]
        );
        let mut engine = FaultEngine::new(1);
        engine
            .add(rule(Schedule::First(2), "write"))
            .expect("valid");
        assert_eq!(
            firing_pattern(&mut engine, "write", 3),
            vec![true, true, false]
        );
    }

    #[test]
    fn non_matching_calls_do_not_count() {
        let mut engine = FaultEngine::new(1);
        engine.add(rule(Schedule::Nth(1), "create")).expect("valid");
        assert!(engine.decide(&call("read")).is_none());
        assert!(engine.decide(&call("create")).is_some());
    }

    #[test]
    fn same_seed_replays_same_probabilistic_faults() {
        let pattern = |seed| {
            let mut engine = FaultEngine::new(seed);
            engine
                .add(rule(Schedule::Probability(0.5), "create"))
                .expect("valid");
            firing_pattern(&mut engine, "create", 64)
        };
        assert_eq!(pattern(7), pattern(7));
        assert_ne!(pattern(7), pattern(8));
    }

    #[test]
    fn first_firing_rule_wins() {
        let mut engine = FaultEngine::new(1);
        let first = engine.add(rule(Schedule::Always, "create")).expect("valid");
        engine.add(rule(Schedule::Always, "create")).expect("valid");
        assert_eq!(
            engine.decide(&call("create")).map(|d| d.rule_id),
            Some(first.id)
        );
    }

    #[test]
    fn invalid_rules_are_rejected_with_reason() {
        let mut engine = FaultEngine::new(1);
        let error = engine
            .add(rule(Schedule::Probability(1.5), "create"))
            .expect_err("out of range");
        assert_eq!(
            error.to_string(),
            "invalid fault rule: probability 1.5 is not between 0 and 1"
        );
    }
}
