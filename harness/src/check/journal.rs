//! Journal queries (`calls`, `retries`, `respects_retry_after`) and the
//! journal excerpts that explain a failure.
//!
//! The emulator journals every call it serves, with the outcome the client
//! saw and the fault rule that fired. A retry is a call that follows a
//! failed call matching the same query. Waits are measured on the
//! emulator's clock, which has one-second resolution. So a wait counts as
//! long enough when it is at most one second short. A frozen clock makes
//! every wait zero.

use odoo_emulator::faults::rule::UserMatch;
use odoo_emulator::faults::{Effect, Entry, Match};
use serde_json::json;

use super::{truncate, Evidence, Mismatch};
use crate::scenario::{CallsQuery, OutcomeFilter, RetriesQuery};

/// The maximum number of journal lines in one excerpt.
const EXCERPT_LINES: usize = 15;

/// Tells whether a method changes data: the ORM's writes and business
/// methods such as `action_confirm`.
pub fn is_write(method: &str) -> bool {
    matches!(
        method,
        "create" | "write" | "unlink" | "load" | "copy" | "name_create"
    ) || method.starts_with("action_")
        || method.starts_with("button_")
}

/// Writes one entry as an excerpt line.
pub fn show(entry: &Entry) -> String {
    let call = match (&entry.model, &entry.method) {
        (Some(model), Some(method)) => format!("{model}.{method}"),
        (None, Some(method)) => method.clone(),
        _ => entry.route.clone(),
    };
    let fault = entry
        .rule_id
        .map(|id| format!(" [fault rule {id}]"))
        .unwrap_or_default();
    format!(
        "#{} {} {} {call} -> {}{fault}",
        entry.seq, entry.time, entry.protocol, entry.outcome
    )
}

fn excerpt<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<String> {
    let lines: Vec<String> = entries.map(show).collect();
    let skipped = lines.len().saturating_sub(EXCERPT_LINES);
    let mut kept: Vec<String> = lines.into_iter().skip(skipped).collect();
    if skipped > 0 {
        kept.insert(0, format!("... {skipped} earlier entries"));
    }
    kept
}

fn on_models<'a>(entry: &'a Entry, models: &'a [String]) -> bool {
    entry
        .model
        .as_ref()
        .is_some_and(|model| models.contains(model))
}

/// Excerpts the failed or faulted calls on some models, and the writes
/// around them.
pub fn trouble_on(journal: &[Entry], models: &[String]) -> Vec<String> {
    excerpt(journal.iter().filter(|e| {
        on_models(e, models)
            && (e.outcome != "ok"
                || e.rule_id.is_some()
                || e.method.as_deref().is_some_and(is_write))
    }))
}

/// Excerpts the writes on some models.
pub fn writes_on(journal: &[Entry], models: &[String]) -> Vec<String> {
    excerpt(
        journal
            .iter()
            .filter(|e| on_models(e, models) && e.method.as_deref().is_some_and(is_write)),
    )
}

/// Excerpts the creates on some models, faulted ones included.
pub fn creates_on(journal: &[Entry], models: &[String]) -> Vec<String> {
    excerpt(journal.iter().filter(|e| {
        on_models(e, models) && (e.method.as_deref() == Some("create") || e.rule_id.is_some())
    }))
}

/// Excerpts every failed call.
pub fn failed_calls(journal: &[Entry]) -> Vec<String> {
    excerpt(journal.iter().filter(|e| e.outcome != "ok"))
}

/// Tells whether a journal entry matches a query's `match`.
pub fn entry_matches(evidence: &Evidence, matcher: &Match, entry: &Entry) -> bool {
    let same = |wanted: &Option<String>, actual: Option<&str>| {
        wanted.as_deref().is_none_or(|w| Some(w) == actual)
    };
    same(&matcher.database, entry.database.as_deref())
        && same(&matcher.protocol, Some(&entry.protocol))
        && matcher
            .route
            .as_deref()
            .is_none_or(|w| odoo_emulator::faults::route_matches(w, &entry.route))
        && same(&matcher.service, entry.service.as_deref())
        && same(&matcher.model, entry.model.as_deref())
        && same(&matcher.method, entry.method.as_deref())
        && match &matcher.user {
            None => true,
            Some(UserMatch::Id(id)) => entry.uid == Some(*id),
            Some(UserMatch::Login(login)) => {
                entry.uid.is_some() && entry.uid == user_id(evidence, login)
            }
        }
}

fn user_id(evidence: &Evidence, login: &str) -> Option<i64> {
    let domain = json!([["login", "=", login]]);
    evidence
        .odoo
        .search("res.users", domain, true)
        .ok()?
        .first()
        .copied()
}

fn describe_match(matcher: &Match) -> String {
    let text = serde_json::to_string(matcher).unwrap_or_default();
    if text == "{}" {
        "every call".into()
    } else {
        format!("calls matching {text}")
    }
}

/// Checks the number of calls matching a query.
pub(super) fn calls(evidence: &Evidence, query: &CallsQuery) -> Result<(), Mismatch> {
    let matching: Vec<&Entry> = evidence
        .journal
        .iter()
        .filter(|e| entry_matches(evidence, &query.matcher, e))
        .filter(|e| match query.outcome {
            OutcomeFilter::Any => true,
            OutcomeFilter::Ok => e.outcome == "ok",
            OutcomeFilter::Failed => e.outcome != "ok",
        })
        .collect();
    if query.bounds.contains(matching.len()) {
        return Ok(());
    }
    let outcome = match query.outcome {
        OutcomeFilter::Any => "",
        OutcomeFilter::Ok => " that succeeded",
        OutcomeFilter::Failed => " that failed",
    };
    Err(Mismatch {
        expected: format!(
            "{} {}{outcome}",
            query.bounds,
            describe_match(&query.matcher)
        ),
        found: vec![format!("{} calls", matching.len())],
        journal: excerpt(matching.into_iter()),
    })
}

/// Counts the retries among the calls matching `matcher`: calls that
/// follow a failed matching call.
fn retry_count<'a>(evidence: &Evidence<'a>, matcher: &Match) -> (usize, Vec<&'a Entry>) {
    let matching: Vec<&Entry> = evidence
        .journal
        .iter()
        .filter(|e| entry_matches(evidence, matcher, e))
        .collect();
    let retries = matching
        .windows(2)
        .filter(|pair| pair[0].outcome != "ok")
        .count();
    (retries, matching)
}

/// Checks the number of retries.
pub(super) fn retries(evidence: &Evidence, query: &RetriesQuery) -> Result<(), Mismatch> {
    let (count, matching) = retry_count(evidence, &query.matcher);
    if query.bounds.contains(count) {
        return Ok(());
    }
    Err(Mismatch {
        expected: format!(
            "{} retries of {}",
            query.bounds,
            describe_match(&query.matcher)
        ),
        found: vec![format!("{count} retries")],
        journal: excerpt(matching.into_iter()),
    })
}

/// Checks that each call after a response with `Retry-After` waited that
/// long.
pub(super) fn respects_retry_after(evidence: &Evidence, matcher: &Match) -> Result<(), Mismatch> {
    let matching: Vec<&Entry> = evidence
        .journal
        .iter()
        .filter(|e| entry_matches(evidence, matcher, e))
        .collect();
    let mut found = Vec::new();
    let mut journal = Vec::new();
    for pair in matching.windows(2) {
        let Some(seconds) = retry_after(evidence, pair[0]) else {
            continue;
        };
        let waited = seconds_between(&pair[0].time, &pair[1].time);
        if waited.is_some_and(|waited| waited + 1.0 < seconds as f64) {
            found.push(format!(
                "call #{} came {:.0} s after #{}, which asked to wait {seconds} s",
                pair[1].seq,
                waited.unwrap_or_default(),
                pair[0].seq
            ));
            journal.push(show(pair[0]));
            journal.push(show(pair[1]));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(Mismatch {
        expected: format!(
            "{} wait the Retry-After seconds before trying again",
            describe_match(matcher)
        ),
        found: truncate(found),
        journal,
    })
}

fn retry_after(evidence: &Evidence, entry: &Entry) -> Option<u64> {
    let rule = evidence.faults.get(&entry.rule_id?)?;
    match rule.effect {
        Effect::Http {
            retry_after: Some(seconds),
            ..
        } => Some(seconds),
        _ => None,
    }
}

fn seconds_between(earlier: &str, later: &str) -> Option<f64> {
    let parse =
        |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok();
    let delta = parse(later)? - parse(earlier)?;
    Some(delta.num_milliseconds() as f64 / 1000.0)
}
