//! The data of one database: rows per model, id sequences and the
//! external-id index, in persistent maps.
//!
//! Every map here is an `imbl` structure or an `Arc`, so cloning a
//! [`DbState`] is O(1) and shares structure with the original. A call runs
//! on a clone and replaces the original only when it succeeds, which makes
//! each call one transaction; snapshots and resets are clones too.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::orm::business::BusinessMethod;
use crate::orm::schema::Schema;
use crate::value::Value;

/// The stored values of one record, by field name. Unset fields are absent.
pub type Row = BTreeMap<String, Value>;

/// The rows of one model and the model's id sequence.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub rows: imbl::OrdMap<i64, Arc<Row>>,
    pub next_id: i64,
    /// The next number of each field sequence (`S00001`, ...), by field.
    pub sequences: imbl::OrdMap<String, i64>,
}

impl Table {
    pub fn new() -> Self {
        Table {
            rows: imbl::OrdMap::new(),
            next_id: 1,
            sequences: imbl::OrdMap::new(),
        }
    }

    /// Takes the next id, as PostgreSQL's `id` sequence does: ids are never
    /// reused, even after a delete.
    pub fn allocate_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Records that `id` is taken, for seed records with fixed ids.
    pub fn reserve_id(&mut self, id: i64) {
        if id >= self.next_id {
            self.next_id = id + 1;
        }
    }
}

/// A user's credentials, kept apart from `res.users` rows so no read can
/// return them.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub password: Option<String>,
    pub api_keys: Vec<String>,
}

/// Everything one database holds.
#[derive(Debug, Clone)]
pub struct DbState {
    pub schema: Arc<Schema>,
    pub tables: imbl::OrdMap<String, Table>,
    /// `module.name` to (model, id), mirroring `ir.model.data`.
    pub xmlids: imbl::OrdMap<String, (String, i64)>,
    pub credentials: imbl::OrdMap<i64, Credentials>,
    /// Declared business methods, by model then method name.
    pub methods: Arc<BTreeMap<String, BTreeMap<String, BusinessMethod>>>,
}

impl DbState {
    pub fn new(schema: Arc<Schema>) -> Self {
        let tables = schema
            .models
            .keys()
            .map(|name| (name.clone(), Table::new()))
            .collect();
        DbState {
            schema,
            tables,
            xmlids: imbl::OrdMap::new(),
            credentials: imbl::OrdMap::new(),
            methods: Arc::default(),
        }
    }

    pub fn table(&self, model: &str) -> Option<&Table> {
        self.tables.get(model)
    }

    /// Returns the table of a model, creating it for models added at run
    /// time.
    pub fn table_mut(&mut self, model: &str) -> &mut Table {
        if !self.tables.contains_key(model) {
            self.tables.insert(model.to_owned(), Table::new());
        }
        self.tables
            .get_mut(model)
            .expect("the table was inserted above")
    }

    pub fn row(&self, model: &str, id: i64) -> Option<&Arc<Row>> {
        self.tables.get(model)?.rows.get(&id)
    }

    pub fn exists(&self, model: &str, id: i64) -> bool {
        self.row(model, id).is_some()
    }

    /// Returns a stored value, or `None` when the record or value is absent.
    pub fn stored(&self, model: &str, id: i64, field: &str) -> Option<&Value> {
        self.row(model, id)?.get(field)
    }

    /// Returns the ids of a model in ascending order.
    pub fn ids(&self, model: &str) -> Vec<i64> {
        self.tables
            .get(model)
            .map(|t| t.rows.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Resolves an external id (`base.main_company`) to its record.
    pub fn xmlid(&self, xmlid: &str) -> Option<&(String, i64)> {
        self.xmlids.get(xmlid)
    }
}
