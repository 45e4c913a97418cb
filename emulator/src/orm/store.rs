//! The data of one database: rows per model, id sequences and the
//! external-id index, in persistent maps.
//!
//! Every map here is an `imbl` structure or an `Arc`, so cloning a
//! [`DbState`] is O(1) and shares structure with the original. A call runs
//! on a clone and replaces the original only when it succeeds, which makes
//! each call one transaction; snapshots and resets are clones too.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use std::hash::BuildHasher as _;

use indexmap::map::RawEntryApiV1 as _;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::sync::{Arc, Mutex};

use crate::orm::access::AccessMemo;
use crate::orm::business::BusinessMethod;
use crate::orm::domain::MatchKey;
use crate::orm::index::{self, FieldIndex};
use crate::orm::schema::Schema;
use crate::orm::search::FoundKey;
use crate::value::{RecordList, Value};

/// The stored values of one record, by field name. Unset fields are absent.
///
/// A hash map rather than an ordered one: reads, searches and sorts look
/// values up by name once per record and field, and hashing a short name
/// costs less than the several string comparisons of a tree search. The
/// names are the profile's own, so the fast Fx hasher is safe here. The
/// order is insertion order; nothing reaches output in a row's order.
pub type Row = IndexMap<String, Value, FxBuildHasher>;

/// A field's position in the previous row read, kept for reading that
/// field from many rows.
///
/// Rows of one model are mostly built the same way, so a field tends to
/// sit at the same position in each. Checking the key at that position
/// costs one short string comparison, where a lookup hashes the name and
/// probes the map. A row that keeps the field elsewhere, or not at all,
/// falls back to the lookup.
#[derive(Debug, Clone)]
pub struct FieldPosition {
    /// The field name's hash, computed once rather than once per row.
    hash: u64,
    position: Cell<usize>,
}

impl FieldPosition {
    pub fn new(name: &str) -> Self {
        FieldPosition {
            hash: FxBuildHasher.hash_one(name),
            position: Cell::new(0),
        }
    }

    /// Returns the row's value of field `name`, as `row.get(name)` does.
    /// `name` is the one this position was created for.
    pub fn get<'r>(&self, row: &'r Row, name: &str) -> Option<&'r Value> {
        self.find(row, name).map(|(_, value)| value)
    }

    /// Returns the position of field `name` in the row with its value, as
    /// `row.get_full(name)` does without the key.
    pub fn find<'r>(&self, row: &'r Row, name: &str) -> Option<(usize, &'r Value)> {
        debug_assert_eq!(
            self.hash,
            FxBuildHasher.hash_one(name),
            "{name} is another field"
        );
        let guess = self.position.get();
        if let Some((key, value)) = row.get_index(guess) {
            if same_name(key, name) {
                return Some((guess, value));
            }
        }
        let (position, _, value) = row
            .raw_entry_v1()
            .from_hash_full(self.hash, |key| key == name)?;
        self.position.set(position);
        Some((position, value))
    }
}

/// Compares two field names. Names are short, so two overlapping word
/// loads from each end replace the call to `memcmp` that `==` makes: the
/// check at the guessed position runs once per record and field read.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let len = a.len();
    if len != b.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
    };
    let half = |bytes: &[u8], at: usize| {
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
    };
    match len {
        8..=16 => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, len - 4) == half(b, len - 4),
        _ => a == b,
    }
}

/// The rows of one model and the model's id sequence.
#[derive(Debug, Clone)]
pub struct Table {
    /// The rows by id. Change them through [`Table::insert_row`] and
    /// [`Table::remove_row`], which keep the indexes in step.
    pub rows: imbl::OrdMap<i64, Arc<Row>>,
    pub next_id: i64,
    /// The next number of each field sequence (`S00001`, ...), by field.
    pub sequences: imbl::OrdMap<String, i64>,
    /// The indexes of the fields that [`index::indexed_fields`] selects.
    indexes: Vec<FieldIndex>,
    /// The results searches computed from the rows, shared by every copy
    /// of the table. A write that copies a node of the tables map clones
    /// each table in the node, so one `Arc` for all of them keeps that
    /// cheap.
    pub memos: Arc<TableMemos>,
}

/// The results that searches computed from versions of a table's rows.
#[derive(Debug)]
pub struct TableMemos {
    /// The ids sorted in the orders of earlier searches.
    pub sorted: SortedIds,
    /// The ids matching the implicit filters of earlier searches.
    pub matched: MatchedIds,
    /// The whole results of earlier searches.
    pub found: FoundRecords,
    /// The records earlier reads of kept results returned.
    pub reads: KeptReads,
}

/// The number of reads of kept search results a table keeps.
const KEPT_READS: usize = 8;

/// The record lists that reads of kept search results returned, for
/// reads whose every field is the id or a value stored in the row.
///
/// Such a list depends only on the rows and the field names. A kept
/// result belongs to one version of the rows and one schema, and its rows
/// never change, so the same read of the same kept result returns the
/// same list. An entry keeps a reference to its kept result, so the
/// address it is found by cannot be reused while the entry lives. The
/// entry also keeps those rows in memory until it is replaced. The
/// oldest entry goes first.
#[derive(Debug, Default)]
pub struct KeptReads {
    entries: Mutex<Vec<KeptRead>>,
}

#[derive(Debug)]
struct KeptRead {
    kept: Arc<[KeptRecord]>,
    range: std::ops::Range<usize>,
    names: Vec<String>,
    records: Arc<RecordList>,
}

impl KeptReads {
    /// Returns the list a read of fields `names` of `kept[range]` returned.
    pub fn get(
        &self,
        kept: &Arc<[KeptRecord]>,
        range: &std::ops::Range<usize>,
        names: &[String],
    ) -> Option<Arc<RecordList>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .iter()
            .find(|entry| {
                Arc::ptr_eq(&entry.kept, kept) && entry.range == *range && entry.names == names
            })
            .map(|entry| Arc::clone(&entry.records))
    }

    /// Keeps the list a read of fields `names` of `kept[range]` returned.
    pub fn insert(
        &self,
        kept: &Arc<[KeptRecord]>,
        range: std::ops::Range<usize>,
        names: &[String],
        records: Arc<RecordList>,
    ) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() == KEPT_READS {
            entries.remove(0);
        }
        entries.push(KeptRead {
            kept: Arc::clone(kept),
            range,
            names: names.to_vec(),
            records,
        });
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    pub fn new() -> Self {
        Table {
            rows: imbl::OrdMap::new(),
            next_id: 1,
            sequences: imbl::OrdMap::new(),
            indexes: Vec::new(),
            memos: Arc::new(TableMemos {
                sorted: SortedIds::new(SORTED_ORDERS),
                matched: MatchedIds::new(MATCHED_DOMAINS),
                found: FoundRecords::new(FOUND_SEARCHES),
                reads: KeptReads::default(),
            }),
        }
    }

    /// Inserts or replaces a row and updates the indexes.
    pub fn insert_row(&mut self, id: i64, row: Arc<Row>) {
        let previous = self.rows.insert(id, row.clone());
        for index in &mut self.indexes {
            index.replace(id, previous.as_deref(), Some(&row));
        }
    }

    /// Removes a row and its index entries, and returns it.
    pub fn remove_row(&mut self, id: i64) -> Option<Arc<Row>> {
        let previous = self.rows.remove(&id)?;
        for index in &mut self.indexes {
            index.replace(id, Some(&previous), None);
        }
        Some(previous)
    }

    /// Returns the index of a field, when the table keeps one.
    pub fn index(&self, field: &str) -> Option<&FieldIndex> {
        self.indexes.iter().find(|index| index.field() == field)
    }

    /// Keeps an index for exactly these fields, building the missing ones
    /// from the rows.
    pub fn set_indexed_fields(&mut self, fields: &BTreeSet<String>) {
        self.indexes.retain(|index| fields.contains(index.field()));
        for field in fields {
            if self.index(field).is_none() {
                let rows = self.rows.iter().map(|(id, row)| (*id, &**row));
                self.indexes.push(FieldIndex::build(field, rows));
            }
        }
    }

    /// Tells whether every index contains exactly the entries of the rows,
    /// for tests.
    pub fn indexes_match_rows(&self) -> bool {
        self.indexes
            .iter()
            .all(|index| index.matches(self.rows.iter().map(|(id, row)| (*id, &**row))))
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

/// Results computed from one version of a table's rows, by key.
///
/// Each result belongs to one version of the rows. An entry keeps a copy
/// of the persistent map it was computed from, so any later write gives
/// the table a new root. Comparing roots is therefore the whole validity
/// check, and no write needs to know which results exist. A result that
/// also depends on the rows of other tables keeps their versions in the
/// same way, as [`OtherRows`].
///
/// A result is computed on the second request for the same key and
/// version, not the first: a table written between every two requests
/// then never pays for a result that no later request reads.
// NOTE: an entry keeps the version of the rows it was computed from
// alive until a request with the same key replaces it, so after a reset
// a large table's old rows stay in memory until then.
#[derive(Debug)]
pub struct RowsMemo<K, V> {
    entries: Mutex<Vec<MemoEntry<K, V>>>,
    capacity: usize,
}

#[derive(Debug)]
struct MemoEntry<K, V> {
    key: K,
    rows: imbl::OrdMap<i64, Arc<Row>>,
    /// The result and the other tables' rows it was computed from, or
    /// `None` until the same version is requested with this key twice.
    kept: Option<(V, OtherRows)>,
}

/// The versions of other tables' rows that a kept result was computed
/// from, by model name.
#[derive(Debug, Clone, Default)]
pub struct OtherRows(Vec<(String, imbl::OrdMap<i64, Arc<Row>>)>);

impl OtherRows {
    /// Records the current rows of each of `models` in `state`.
    pub fn of<'m>(state: &DbState, models: impl IntoIterator<Item = &'m str>) -> Self {
        let versions = models
            .into_iter()
            .map(|model| {
                let rows = state
                    .table(model)
                    .map(|table| table.rows.clone())
                    .unwrap_or_default();
                (model.to_owned(), rows)
            })
            .collect();
        OtherRows(versions)
    }

    /// Tells whether every table still has the rows recorded. A missing
    /// table has no rows.
    fn are_current(&self, state: &DbState) -> bool {
        self.0.iter().all(|(model, rows)| match state.table(model) {
            Some(table) => table.rows.ptr_eq(rows),
            None => rows.is_empty(),
        })
    }
}

impl<K, V: Clone> RowsMemo<K, V> {
    /// Creates a memo that keeps results for up to `capacity` keys. A new
    /// key replaces the oldest one.
    pub fn new(capacity: usize) -> Self {
        RowsMemo {
            entries: Mutex::default(),
            capacity,
        }
    }

    /// Returns the result for the key equal to `probe` on `rows` of
    /// `state`, or `None` on the first request for this key and version.
    /// The first request stores the key that `key` builds. The second
    /// computes the result with `compute`, which also returns the other
    /// tables' rows it read, or `None` when it read something the memo
    /// cannot check and the result must not be kept.
    pub fn get_or_compute<Q: ?Sized, E>(
        &self,
        state: &DbState,
        probe: &Q,
        rows: &imbl::OrdMap<i64, Arc<Row>>,
        key: impl FnOnce() -> K,
        compute: impl FnOnce() -> Result<(V, Option<OtherRows>), E>,
    ) -> Result<Option<V>, E>
    where
        K: PartialEq<Q>,
    {
        {
            let mut entries = self.lock();
            match entries.iter_mut().find(|entry| entry.key == *probe) {
                Some(entry) if entry.rows.ptr_eq(rows) => match &entry.kept {
                    Some((value, others)) if others.are_current(state) => {
                        return Ok(Some(value.clone()));
                    }
                    // Another table changed, which makes this a new
                    // version for the result.
                    Some(_) => {
                        entry.kept = None;
                        return Ok(None);
                    }
                    None => {}
                },
                Some(entry) => {
                    entry.kept = None;
                    entry.rows = rows.clone();
                    return Ok(None);
                }
                None => {
                    if entries.len() >= self.capacity {
                        entries.remove(0);
                    }
                    entries.push(MemoEntry {
                        key: key(),
                        rows: rows.clone(),
                        kept: None,
                    });
                    return Ok(None);
                }
            }
        }
        // The computation runs unlocked so that calls on other threads
        // need not wait. Two threads may then compute the same result,
        // which only stores an equal value twice.
        let (value, others) = compute()?;
        if let Some(others) = others {
            let mut entries = self.lock();
            if let Some(entry) = entries
                .iter_mut()
                .find(|entry| entry.key == *probe && entry.rows.ptr_eq(rows))
            {
                entry.kept = Some((value.clone(), others));
            }
        }
        Ok(Some(value))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<MemoEntry<K, V>>> {
        // No code holding the lock can leave an entry half changed, so a
        // lock poisoned by a panic elsewhere is still safe to use.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A table's ids sorted by whole `ORDER BY` clauses, keyed by the clause
/// in a canonical form. They play the part of PostgreSQL's index scans: a
/// search whose order depends on the rows alone takes its records from a
/// list sorted once rather than sorting them on every call.
pub type SortedIds = RowsMemo<SortedKey, Arc<[i64]>>;

/// The key of a sorted list: the `ORDER BY` clause in canonical form and
/// the schema it was sorted under. A field's type decides how its values
/// sort (`False` is NULL except in a boolean column), and a schema change
/// or a reset can bring back an earlier version of the rows under another
/// schema.
#[derive(Debug)]
pub struct SortedKey {
    pub order: String,
    pub schema: Arc<Schema>,
}

/// A [`SortedKey`] borrowed from a search, for looking an entry up.
#[derive(Debug)]
pub struct SortedProbe<'a> {
    pub order: &'a str,
    pub schema: &'a Arc<Schema>,
}

impl PartialEq<SortedProbe<'_>> for SortedKey {
    fn eq(&self, probe: &SortedProbe<'_>) -> bool {
        Arc::ptr_eq(&self.schema, probe.schema) && self.order == probe.order
    }
}

/// The number of orders a table keeps sorted lists for.
const SORTED_ORDERS: usize = 4;

/// The ids of every record matching a domain, by the domain and the
/// schema, or `None` for a domain that needs the set-based evaluator.
/// Searches keep the implicit `active` leaf and the record rules of each
/// user here.
pub type MatchedIds = RowsMemo<MatchKey, Option<Arc<BTreeSet<i64>>>>;

/// The number of domains a table keeps matching ids for: a few users'
/// record rules, with and without the `active` leaf.
const MATCHED_DOMAINS: usize = 8;

/// The whole result of a search, in order, by the search's key, or
/// `None` for a search whose result the memo cannot keep. The same search
/// on the same rows then returns its records without evaluating its
/// domain or walking a sorted list.
pub type FoundRecords = RowsMemo<FoundKey, Option<Arc<[KeptRecord]>>>;

/// A record of a kept search result, with its row when it has one.
pub type KeptRecord = (i64, Option<Arc<Row>>);

/// The number of searches a table keeps results for.
const FOUND_SEARCHES: usize = 8;

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
    /// `module.name` to (model, id), mirroring `ir.model.data`. Change it
    /// through [`DbState::insert_xmlid`] and [`DbState::remove_xmlid`].
    pub xmlids: imbl::OrdMap<String, (String, i64)>,
    /// The reverse of `xmlids`: the external ids of each record. Text is
    /// shared because a write copies the map nodes on its path and each
    /// copy clones its keys.
    xmlids_by_record: imbl::OrdMap<(Arc<str>, i64), imbl::OrdSet<Arc<str>>>,
    pub credentials: imbl::OrdMap<i64, Credentials>,
    /// Declared business methods, by model then method name.
    pub methods: Arc<BTreeMap<String, BTreeMap<String, BusinessMethod>>>,
    /// Group memberships and access-right decisions of earlier calls.
    pub access_memo: AccessMemo,
}

impl DbState {
    pub fn new(schema: Arc<Schema>) -> Self {
        let mut state = DbState {
            schema,
            tables: imbl::OrdMap::new(),
            xmlids: imbl::OrdMap::new(),
            xmlids_by_record: imbl::OrdMap::new(),
            credentials: imbl::OrdMap::new(),
            methods: Arc::default(),
            access_memo: AccessMemo::default(),
        };
        state.reindex();
        state
    }

    /// Brings the indexes in line with the schema and the stored data:
    /// creates a table for every model, indexes the fields the schema
    /// selects and rebuilds the reverse external-id map. Call it after
    /// replacing the schema, `tables` or `xmlids` as a whole.
    pub fn reindex(&mut self) {
        let schema = self.schema.clone();
        for (name, model) in &schema.models {
            self.table_mut(name)
                .set_indexed_fields(&index::indexed_fields(model));
        }
        self.xmlids_by_record = imbl::OrdMap::new();
        for (name, (model, id)) in self.xmlids.clone() {
            self.link_xmlid(name, model, id);
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

    /// Points an external id at a record, replacing its previous target.
    pub fn insert_xmlid(&mut self, xmlid: String, model: String, id: i64) {
        self.remove_xmlid(&xmlid);
        self.xmlids.insert(xmlid.clone(), (model.clone(), id));
        self.link_xmlid(xmlid, model, id);
    }

    fn link_xmlid(&mut self, xmlid: String, model: String, id: i64) {
        self.xmlids_by_record
            .entry((Arc::from(model), id))
            .or_default()
            .insert(Arc::from(xmlid));
    }

    /// Removes an external id; nothing happens when it is unknown.
    pub fn remove_xmlid(&mut self, xmlid: &str) {
        let Some((model, id)) = self.xmlids.remove(xmlid) else {
            return;
        };
        let target = (Arc::from(model), id);
        if let Some(names) = self.xmlids_by_record.get_mut(&target) {
            names.remove(xmlid);
            if names.is_empty() {
                self.xmlids_by_record.remove(&target);
            }
        }
    }

    /// Returns the external ids of a record, in ascending order.
    pub fn xmlids_of(&self, model: &str, id: i64) -> Vec<String> {
        self.xmlids_by_record
            .get(&(Arc::from(model), id))
            .map(|names| names.iter().map(|name| name.to_string()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_compares_every_byte() {
        let names = [
            "",
            "id",
            "name",
            "email",
            "is_company",
            "x_studio_field_1",
            "x_studio_field_12",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_name(a, b), a == b, "{a:?} against {b:?}");
            }
            for position in 0..a.len() {
                let mut changed = a.as_bytes().to_vec();
                changed[position] ^= 1;
                let changed = String::from_utf8(changed).expect("ASCII stays UTF-8");
                assert!(!same_name(a, &changed), "{a:?} against {changed:?}");
            }
        }
    }

    fn row(fields: &[(&str, i64)]) -> Row {
        fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::Int(*value)))
            .collect()
    }

    /// Requests the memo's result for one key on the rows of table `a`.
    /// Each computation returns the next number and reads table `b`, or
    /// something untracked when `tracked` is false.
    fn request(
        memo: &RowsMemo<String, u32>,
        state: &DbState,
        computed: &Cell<u32>,
        tracked: bool,
    ) -> Option<u32> {
        let rows = &state.table("a").expect("table a exists").rows;
        let compute = || {
            computed.set(computed.get() + 1);
            let others = tracked.then(|| OtherRows::of(state, ["b"]));
            Ok::<_, std::convert::Infallible>((computed.get(), others))
        };
        match memo.get_or_compute(state, "key", rows, || "key".to_owned(), compute) {
            Ok(result) => result,
            Err(never) => match never {},
        }
    }

    #[test]
    fn rows_memo_follows_both_tables() {
        let mut state = DbState::new(Arc::default());
        state
            .table_mut("a")
            .insert_row(1, Arc::new(row(&[("x", 1)])));
        state
            .table_mut("b")
            .insert_row(1, Arc::new(row(&[("y", 1)])));
        let memo = RowsMemo::new(2);
        let computed = Cell::new(0);

        assert_eq!(request(&memo, &state, &computed, true), None);
        assert_eq!(request(&memo, &state, &computed, true), Some(1));
        assert_eq!(request(&memo, &state, &computed, true), Some(1));

        state
            .table_mut("b")
            .insert_row(2, Arc::new(row(&[("y", 2)])));
        assert_eq!(request(&memo, &state, &computed, true), None);
        assert_eq!(request(&memo, &state, &computed, true), Some(2));
        assert_eq!(request(&memo, &state, &computed, true), Some(2));

        state
            .table_mut("a")
            .insert_row(2, Arc::new(row(&[("x", 2)])));
        assert_eq!(request(&memo, &state, &computed, true), None);
        assert_eq!(request(&memo, &state, &computed, true), Some(3));
        assert_eq!(computed.get(), 3);
    }

    #[test]
    fn rows_memo_untracked_result_not_kept() {
        let mut state = DbState::new(Arc::default());
        state
            .table_mut("a")
            .insert_row(1, Arc::new(row(&[("x", 1)])));
        let memo = RowsMemo::new(2);
        let computed = Cell::new(0);

        assert_eq!(request(&memo, &state, &computed, false), None);
        assert_eq!(request(&memo, &state, &computed, false), Some(1));
        assert_eq!(request(&memo, &state, &computed, false), Some(2));
        assert_eq!(request(&memo, &state, &computed, true), Some(3));
        assert_eq!(request(&memo, &state, &computed, true), Some(3));
    }

    #[test]
    fn field_position_any_key_order() {
        let rows = [
            row(&[("name", 1), ("city", 2)]),
            row(&[("name", 3), ("city", 4)]),
            row(&[("city", 5), ("name", 6)]),
            row(&[("name", 7)]),
            row(&[]),
            row(&[("zip", 8), ("name", 9), ("city", 10)]),
        ];
        let position = FieldPosition::new("city");
        for row in &rows {
            assert_eq!(position.get(row, "city"), row.get("city"));
        }
        let read: Vec<Option<&Value>> = rows.iter().map(|row| position.get(row, "city")).collect();
        assert_eq!(
            read,
            [
                Some(&Value::Int(2)),
                Some(&Value::Int(4)),
                Some(&Value::Int(5)),
                None,
                None,
                Some(&Value::Int(10)),
            ]
        );
    }
}
