//! The fake SaaS over HTTP: the change feed's pages, record reads and
//! error reports, as an integration receives them.

use std::sync::{Arc, Mutex};

use odoo_harness::saas::{Entity, SaasServer, SaasStore, SharedStore};
use serde_json::{json, Value};

struct Served {
    runtime: tokio::runtime::Runtime,
    server: Option<SaasServer>,
    store: SharedStore,
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.as_ref().expect("serving").url())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _guard = self.runtime.enter();
        self.server.take();
    }
}

fn serve(customers: usize) -> Served {
    let mut store = SaasStore::default();
    for index in 1..=customers {
        let data = json!({"name": format!("Customer {index}")});
        store
            .create(
                Entity::Customer,
                &format!("c{index}"),
                data.as_object().expect("an object").clone(),
            )
            .expect("create");
    }
    let store = Arc::new(Mutex::new(store));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let server = runtime
        .block_on(SaasServer::start(store.clone()))
        .expect("a free loopback port");
    Served {
        runtime,
        server: Some(server),
        store,
    }
}

fn get(url: &str) -> (u16, Value) {
    let response = reqwest::blocking::get(url).expect("a response");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

#[test]
fn changes_page_through_the_feed() {
    let served = serve(5);

    let (status, first) = get(&served.url("/v1/changes?after=0&limit=2"));
    let (_, last) = get(&served.url("/v1/changes?after=4&limit=2"));
    let (_, empty) = get(&served.url("/v1/changes?after=5"));

    assert_eq!(status, 200);
    assert_eq!(first["changes"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["last_seq"], 5);
    assert_eq!(first["has_more"], true);
    assert_eq!(
        first["changes"][0],
        json!({"seq": 1, "entity": "customer", "id": "c1", "op": "upsert", "version": 1,
               "data": {"name": "Customer 1"}})
    );
    assert_eq!(last["changes"].as_array().map(Vec::len), Some(1));
    assert_eq!(last["last_seq"], 5);
    assert_eq!(last["has_more"], false);
    assert_eq!(
        empty,
        json!({"changes": [], "last_seq": 5, "has_more": false})
    );
}

#[test]
fn deletes_carry_no_data() {
    let served = serve(1);
    served
        .store
        .lock()
        .expect("the store")
        .delete(Entity::Customer, "c1")
        .expect("delete");

    let (_, page) = get(&served.url("/v1/changes?after=1"));
    let (status, record) = get(&served.url("/v1/customer/c1"));

    assert_eq!(page["changes"][0]["op"], "delete");
    assert_eq!(page["changes"][0].get("data"), None);
    assert_eq!(status, 200);
    assert_eq!(record["deleted"], true);
    assert_eq!(record["version"], 2);
}

#[test]
fn invalid_feed_requests_get_400() {
    let served = serve(1);
    for query in ["after=-1", "after=x", "limit=0", "limit=1001"] {
        let (status, body) = get(&served.url(&format!("/v1/changes?{query}")));
        assert_eq!(status, 400, "{query}");
        assert!(body["error"].is_string(), "{query}: {body}");
    }
}

#[test]
fn unknown_records_get_404() {
    let served = serve(1);

    assert_eq!(get(&served.url("/v1/customer/c404")).0, 404);
    assert_eq!(get(&served.url("/v1/invoice/c1")).0, 404);
}

#[test]
fn sync_reports_are_recorded() {
    let served = serve(1);
    let client = reqwest::blocking::Client::new();
    let report = json!({"entity": "customer", "id": "c1", "error": "x_studio_segment is required", "retryable": false});

    let accepted = client
        .post(served.url("/v1/sync-report"))
        .json(&report)
        .send()
        .expect("a response");
    let rejected = client
        .post(served.url("/v1/sync-report"))
        .json(&json!({"entity": "invoice", "id": "1", "error": "x", "retryable": true}))
        .send()
        .expect("a response");

    assert_eq!(accepted.status().as_u16(), 204);
    assert_eq!(rejected.status().as_u16(), 400);
    let store = served.store.lock().expect("the store");
    assert_eq!(store.reports().len(), 1);
    assert_eq!(store.reports()[0].error, "x_studio_segment is required");
    assert!(!store.reports()[0].retryable);
}
