//! The client of the SaaS API that a pass syncs from:
//!
//! * `GET /v1/changes?after=SEQ&limit=N` returns `{"changes": [...],
//!   "last_seq": N}`, changes after `SEQ` in sequence order, each `{seq,
//!   entity, id, op, version, data}` with `op` `upsert` or `delete` and
//!   `data` the record's whole state at that version (absent for deletes);
//! * `GET /v1/<entity>/<id>` returns `{id, version, deleted, data}`, or 404
//!   for a record the SaaS never had;
//! * `POST /v1/sync-report` with `{entity, id, error, retryable}` records
//!   a change the integration could not apply, and returns 204.
//!
//! Every call is a read or is harmless to repeat (a report recorded twice
//! repeats the same facts), so each is retried on every retryable error.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, SyncError, SyncResult};
use crate::http::{HttpClient, HttpResponse};
use crate::retry::Backoff;

/// The operation of a change on its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Upsert,
    Delete,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub entity: String,
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    pub op: Operation,
    pub version: u64,
    /// The record's whole state at `version`; absent for a delete.
    #[serde(default)]
    pub data: Option<Map<String, Value>>,
}

/// One page of the change feed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The sequence number of the last change the SaaS has.
    pub last_seq: u64,
}

/// A record's current state, from `GET /v1/<entity>/<id>`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CurrentRecord {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    pub version: u64,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub data: Option<Map<String, Value>>,
}

/// A change that could not be applied, as `POST /v1/sync-report` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub entity: String,
    pub id: String,
    pub error: String,
    pub retryable: bool,
}

/// Accepts a SaaS id written as a JSON string or number.
fn id_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "an id must be a string or a number, not {other}"
        ))),
    }
}

/// A client of the SaaS API.
#[derive(Debug)]
pub struct SaasClient {
    http: HttpClient,
    base_url: reqwest::Url,
    backoff: Backoff,
}

impl SaasClient {
    /// Creates a client for the API at `base_url`.
    pub fn new(http: HttpClient, base_url: &str, backoff: Backoff) -> SyncResult<Self> {
        let base_url = reqwest::Url::parse(base_url).map_err(|e| {
            SyncError::new(
                ErrorKind::Config,
                "read SAAS_URL",
                format!("{base_url:?} is not a URL: {e}"),
            )
        })?;
        Ok(SaasClient {
            http,
            base_url,
            backoff,
        })
    }

    /// Returns the number of retries made.
    pub fn retries(&self) -> u64 {
        self.backoff.retries()
    }

    fn url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Reads the changes after `after`, at most `limit` of them.
    pub fn changes(&mut self, after: u64, limit: usize) -> SyncResult<ChangePage> {
        let mut url = self.url(&["v1", "changes"]);
        url.query_pairs_mut()
            .append_pair("after", &after.to_string())
            .append_pair("limit", &limit.to_string());
        let context = format!("GET {url}");
        let response = self.get(&url, &context)?;
        expect_status(&response, 200, &context)?;
        decode(&response, &context)
    }

    /// Reads a record's current state, or `None` when the SaaS never had
    /// it.
    pub fn record(&mut self, entity: &str, id: &str) -> SyncResult<Option<CurrentRecord>> {
        let url = self.url(&["v1", entity, id]);
        let context = format!("GET {url}");
        let response = self.get(&url, &context)?;
        if response.status == 404 {
            return Ok(None);
        }
        expect_status(&response, 200, &context)?;
        decode(&response, &context).map(Some)
    }

    /// Sends a sync report.
    pub fn report(&mut self, report: &SyncReport) -> SyncResult<()> {
        let url = self.url(&["v1", "sync-report"]);
        let context = format!("POST {url} for {} {}", report.entity, report.id);
        let body = serde_json::to_vec(report)
            .map_err(|e| SyncError::new(ErrorKind::Mapping, context.as_str(), e.to_string()))?;
        let http = &self.http;
        let response = self.backoff.retry(&context, SyncError::is_retryable, |_| {
            let response = http.post(url.as_str(), "application/json", body.clone())?;
            match response.transient_error(&context) {
                Some(error) => Err(error),
                None => Ok(response),
            }
        })?;
        if !(200..300).contains(&response.status) {
            return Err(status_error(&response, &context));
        }
        Ok(())
    }

    fn get(&mut self, url: &reqwest::Url, context: &str) -> SyncResult<HttpResponse> {
        let http = &self.http;
        self.backoff.retry(context, SyncError::is_retryable, |_| {
            let response = http.get(url.as_str())?;
            match response.transient_error(context) {
                Some(error) => Err(error),
                None => Ok(response),
            }
        })
    }
}

fn expect_status(response: &HttpResponse, status: u16, context: &str) -> SyncResult<()> {
    if response.status == status {
        Ok(())
    } else {
        Err(status_error(response, context))
    }
}

fn status_error(response: &HttpResponse, context: &str) -> SyncError {
    SyncError::new(
        ErrorKind::HttpStatus,
        context,
        format!(
            "the SaaS answered HTTP {}: {}",
            response.status,
            response.body_excerpt()
        ),
    )
}

fn decode<T: for<'de> Deserialize<'de>>(response: &HttpResponse, context: &str) -> SyncResult<T> {
    serde_json::from_slice(&response.body).map_err(|e| {
        SyncError::new(
            ErrorKind::InvalidResponse,
            context,
            format!(
                "the SaaS answered invalid JSON ({e}): {}",
                response.body_excerpt()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn change_decodes_with_and_without_data() {
        let page: ChangePage = serde_json::from_value(json!({
            "changes": [
                {"seq": 1, "entity": "customer", "id": "c1", "op": "upsert", "version": 1,
                 "data": {"name": "Ada"}},
                {"seq": 2, "entity": "customer", "id": 7, "op": "delete", "version": 2}
            ],
            "last_seq": 2
        }))
        .expect("a valid page");
        assert_eq!(page.changes[0].op, Operation::Upsert);
        assert_eq!(
            page.changes[0].data.as_ref().map(|d| d["name"].clone()),
            Some(json!("Ada"))
        );
        assert_eq!(page.changes[1].id, "7");
        assert_eq!(page.changes[1].data, None);
    }

    #[test]
    fn change_rejects_unknown_operation() {
        let change = serde_json::from_value::<Change>(json!(
            {"seq": 1, "entity": "customer", "id": "c1", "op": "merge", "version": 1}
        ));
        assert!(change.is_err());
    }

    #[test]
    fn urls_escape_ids() {
        let http = HttpClient::new(std::time::Duration::from_secs(1)).expect("a client");
        let client = SaasClient::new(
            http,
            "http://127.0.0.1:9/base/",
            Backoff::new(crate::retry::RetryPolicy::default(), 0),
        )
        .expect("a valid URL");
        assert_eq!(
            client.url(&["v1", "customer", "a/b c"]).as_str(),
            "http://127.0.0.1:9/base/v1/customer/a%2Fb%20c"
        );
    }
}
