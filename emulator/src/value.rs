//! The one dynamic value type shared by every wire codec and the ORM.
//!
//! XML-RPC, JSON-RPC and JSON-2 all decode into [`Value`] and encode from it,
//! so the ORM is independent of the protocol. Protocol quirks (XML-RPC's missing
//! `None`, its 32-bit integers, JSON's lack of binary) live in the codecs.

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

use crate::orm::store::{KeptRecord, Row};

/// An ordered dictionary: XML-RPC structs and JSON objects keep their order.
///
/// The hasher is foldhash's rather than the standard SipHash: a page of
/// records builds one dictionary per record, and hashing the keys was a
/// tenth of a `search_read`. Its seed is random per process, so keys sent
/// by a client cannot be chosen to collide. The order is insertion order
/// and never depends on the seed.
pub type Dict = IndexMap<String, Value, foldhash::fast::RandomState>;

/// A value as Odoo's RPC layer receives it: roughly Python's `None`, `bool`,
/// `int`, `float`, `str`, `bytes`, `datetime`, `list` and `dict`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Python's `None`: JSON `null`, XML-RPC `<nil/>`.
    #[default]
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// XML-RPC `<base64>`; the ORM stores binaries as base64 text instead.
    Binary(Vec<u8>),
    /// XML-RPC `<dateTime.iso8601>`, kept as the text that was sent.
    DateTime(String),
    List(Vec<Value>),
    Dict(Dict),
    /// A Python dict keyed by integers, as `get_external_id` returns:
    /// JSON writes the keys as strings, and XML-RPC cannot marshal it.
    IntMap(Vec<(i64, Value)>),
    /// The list of dicts that `read` and `search_read` return, in a form
    /// that shares its keys and stored values; see [`RecordList`]. Shared,
    /// because a table keeps the lists that reads of kept results return.
    Records(Arc<RecordList>),
}

/// Records as `read` and `search_read` return them to a client: a list of
/// dicts with the same keys, kept as one list of keys and each record's
/// values. The codecs write it as they write a list of [`Dict`]s.
///
/// Building a dict per record, with its own copy of every key and stored
/// text, took a quarter of the instructions of a `search_read` of 80
/// partners. Here a value that the ORM returns as stored is shared with
/// its database row instead.
///
/// The list keeps the rows of the table it was read from as one shared
/// map, and finds each record's row by id when it is written. A shared
/// pointer to each row would cost two atomic updates of the row's counter
/// per record. When two workers read the same rows, the counter's cache
/// line then moves between their cores on each update. Under load that
/// cost about 3.5 µs of a `search_read` of 80 partners, more than the
/// lookups cost. Records of a search result that the table keeps are
/// found by their position in it instead, without a lookup.
#[derive(Debug, Clone)]
pub struct RecordList {
    keys: Arc<[String]>,
    /// The rows that stored cells point into.
    rows: RowSource,
    /// Each record's key in `rows`, in the list's order.
    ids: Vec<i64>,
    /// The values of every record in turn, one per key, as [`CellCode`]s.
    cells: Vec<CellCode>,
    /// The values that are not shared with a row, in the order pushed.
    owned: Vec<Value>,
    /// The cell of each key's empty value, once a record lacked the field.
    empties: Vec<Option<CellCode>>,
    /// The text the codecs wrote for the list, once a table keeps it.
    encodings: Encodings,
}

/// The wire formats whose text a kept [`RecordList`] remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    XmlRpc,
    Json,
}

/// The text each codec wrote for a list that a table keeps, with the
/// nesting depth it was written at, since the depth decides whether
/// writing it fails.
///
/// A table keeps the list a read of a kept search result returned, and
/// returns it to every later read of the same fields of that result.
/// Writing a page of 80 partners as XML-RPC takes about 86,000
/// instructions, most of a repeated `search_read`. Copying the text is
/// one `memcpy` of 42 KB. The list cannot change once the table keeps it,
/// because it is shared behind an `Arc` and a copy starts with nothing
/// remembered, so the text stays the list's.
#[derive(Debug, Default)]
struct Encodings {
    /// Whether a table keeps the list. The codecs remember nothing for
    /// other lists, which they write once.
    kept: bool,
    xml_rpc: OnceLock<(usize, Box<str>)>,
    json: OnceLock<(usize, Box<str>)>,
}

/// A copy remembers nothing: it may be changed, unlike the list a table
/// keeps.
impl Clone for Encodings {
    fn clone(&self) -> Self {
        Encodings::default()
    }
}

impl Encodings {
    fn of(&self, format: WireFormat) -> &OnceLock<(usize, Box<str>)> {
        match format {
            WireFormat::XmlRpc => &self.xml_rpc,
            WireFormat::Json => &self.json,
        }
    }
}

/// The source of a [`RecordList`]'s rows.
#[derive(Debug, Clone)]
enum RowSource {
    /// A table's rows, by record id.
    Table(imbl::OrdMap<i64, Arc<Row>>),
    /// A search result that the table keeps, by position.
    Kept(Arc<[KeptRecord]>),
}

impl RowSource {
    fn get(&self, key: i64) -> Option<&Arc<Row>> {
        match self {
            RowSource::Table(rows) => rows.get(&key),
            RowSource::Kept(kept) => usize::try_from(key)
                .ok()
                .and_then(|position| kept.get(position))
                .and_then(|(_, row)| row.as_ref()),
        }
    }
}

/// One value of a [`RecordList`], as pushed.
#[derive(Debug, Clone)]
pub enum Cell {
    Owned(Value),
    /// The value at this position of the record's database row. Rows never
    /// change once stored (a write stores a new row), so the value stays
    /// the one read.
    Stored(usize),
}

/// A [`Cell`] as the list keeps it: a position in the record's row, or,
/// with [`OWNED`] set, an index into the list's owned values.
///
/// Four bytes instead of a whole [`Value`] per cell: a page of 80 records
/// of six fields wrote 42 KB of cells, most of them row positions.
type CellCode = u32;

/// The bit of a [`CellCode`] that marks an owned value.
const OWNED: CellCode = 1 << 31;

impl RecordList {
    /// Creates an empty list of records with these keys.
    pub fn new(keys: Vec<String>) -> Self {
        RecordList::reading(keys, imbl::OrdMap::new())
    }

    /// Creates an empty list of records with these keys, read from the
    /// table whose rows by id are `rows`.
    pub fn reading(keys: Vec<String>, rows: imbl::OrdMap<i64, Arc<Row>>) -> Self {
        RecordList::with_rows(keys, RowSource::Table(rows))
    }

    /// Creates an empty list of records with these keys, read from a
    /// search result that a table keeps: [`RecordList::end_record`] then
    /// takes each record's position in `kept` instead of its id.
    pub fn reading_kept(keys: Vec<String>, kept: Arc<[KeptRecord]>) -> Self {
        RecordList::with_rows(keys, RowSource::Kept(kept))
    }

    fn with_rows(keys: Vec<String>, rows: RowSource) -> Self {
        RecordList {
            keys: keys.into(),
            rows,
            ids: Vec::new(),
            cells: Vec::new(),
            owned: Vec::new(),
            empties: Vec::new(),
            encodings: Encodings::default(),
        }
    }

    /// Marks the list as one that a table keeps and returns to later
    /// reads: the codecs then remember the text they write for it.
    pub fn keep_encodings(&mut self) {
        self.encodings.kept = true;
    }

    /// Returns the text a codec wrote for this list at nesting `depth`, if
    /// the list is kept and was written so before.
    pub fn encoded(&self, format: WireFormat, depth: usize) -> Option<&str> {
        match self.encodings.of(format).get() {
            Some((written_at, text)) if *written_at == depth => Some(text),
            _ => None,
        }
    }

    /// Remembers `text` as what a codec wrote for this list at nesting
    /// `depth`, when the list is kept. The first text stays, because a
    /// codec writes the same list the same way each time.
    pub fn remember_encoded(&self, format: WireFormat, depth: usize, text: &str) {
        if self.encodings.kept {
            let _ = self.encodings.of(format).set((depth, text.into()));
        }
    }

    /// Reserves room for `additional` more records, of which `owned_per_record`
    /// values each are pushed with [`RecordList::push_owned`], and for an
    /// empty value per key.
    ///
    /// Growing the owned values once can cost more than the whole read:
    /// 80 values of 88 bytes move to a block of another size class.
    pub fn reserve(&mut self, additional: usize, owned_per_record: usize) {
        self.ids.reserve(additional);
        self.cells.reserve(additional * self.keys.len());
        self.owned
            .reserve(additional * owned_per_record + self.keys.len());
    }

    /// Appends the record `id` of the table the list reads, with one value
    /// per key in the keys' order.
    pub fn push(&mut self, id: i64, cells: impl IntoIterator<Item = Cell>) {
        for cell in cells {
            match cell {
                Cell::Stored(position) => self.push_stored(position),
                Cell::Owned(value) => self.push_owned(value),
            }
        }
        self.end_record(id);
    }

    /// Appends the next value of the record being pushed: the one at
    /// `position` in its row.
    ///
    /// # Panics
    ///
    /// Panics when `position` reaches 2^31.
    pub fn push_stored(&mut self, position: usize) {
        let code = CellCode::try_from(position)
            .ok()
            .filter(|code| code & OWNED == 0)
            .expect("a row has fewer than 2^31 fields");
        self.cells.push(code);
    }

    /// Appends the next value of the record being pushed, kept by the list.
    ///
    /// # Panics
    ///
    /// Panics when the list already owns 2^31 values.
    pub fn push_owned(&mut self, value: Value) {
        let index = CellCode::try_from(self.owned.len())
            .ok()
            .filter(|code| code & OWNED == 0)
            .expect("a list owns fewer than 2^31 values");
        self.owned.push(value);
        self.cells.push(index | OWNED);
    }

    /// Appends the next value of the record being pushed: the empty value
    /// of the field at `column` of the keys, which `empty` returns. The list
    /// keeps one copy per key for every record that lacks the field.
    pub fn push_empty(&mut self, column: usize, empty: impl FnOnce() -> Value) {
        if self.empties.len() <= column {
            self.empties.resize(column + 1, None);
        }
        let code = match self.empties[column] {
            Some(code) => code,
            None => {
                self.push_owned(empty());
                let code = self.cells.pop().expect("push_owned appends a cell");
                self.empties[column] = Some(code);
                code
            }
        };
        self.cells.push(code);
    }

    /// Ends the record whose values were pushed since the previous one, as
    /// record `id` of the table the list reads, or the record at position
    /// `id` of the kept result it reads.
    ///
    /// # Panics
    ///
    /// Panics when the count of values pushed differs from the count of
    /// keys.
    pub fn end_record(&mut self, id: i64) {
        assert_eq!(
            self.cells.len(),
            (self.ids.len() + 1) * self.keys.len(),
            "a record has one value per key"
        );
        self.ids.push(id);
    }

    /// Returns the value a cell code stands for, in the record's `row`.
    fn value_of<'a>(&'a self, code: CellCode, row: Option<&'a Arc<Row>>) -> &'a Value {
        if code & OWNED != 0 {
            return &self.owned[(code & !OWNED) as usize];
        }
        row.and_then(|row| row.get_index(code as usize))
            .expect("a stored cell points inside its record's row")
            .1
    }

    /// Appends a record with a row of its own, for a list that was not
    /// read from a table: the row is kept under the record's position.
    pub fn push_row(&mut self, row: Arc<Row>, cells: impl IntoIterator<Item = Cell>) {
        let id = i64::try_from(self.ids.len()).expect("a record list is shorter than i64::MAX");
        let RowSource::Table(rows) = &mut self.rows else {
            panic!("a list of kept rows takes no rows of its own");
        };
        rows.insert(id, row);
        self.push(id, cells);
    }

    /// Tells whether `row` is the row this list reads for the record whose
    /// key is `id` (see [`RecordList::end_record`]).
    pub fn has_row(&self, id: i64, row: &Arc<Row>) -> bool {
        self.rows.get(id).is_some_and(|kept| Arc::ptr_eq(kept, row))
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Returns each record as its (key, value) pairs.
    pub fn records(&self) -> impl Iterator<Item = impl Iterator<Item = (&str, &Value)>> {
        self.values()
            .map(|record| self.keys.iter().map(String::as_str).zip(record))
    }

    /// Returns each record's values, in the keys' order.
    pub fn values(&self) -> impl Iterator<Item = impl Iterator<Item = &Value>> {
        let width = self.keys.len();
        self.ids.iter().enumerate().map(move |(index, id)| {
            let row = self.rows.get(*id);
            self.cells[index * width..(index + 1) * width]
                .iter()
                .map(move |code| self.value_of(*code, row))
        })
    }

    /// Returns the records as dicts.
    pub fn to_dicts(&self) -> Vec<Value> {
        self.records()
            .map(|record| {
                Value::Dict(
                    record
                        .map(|(key, value)| (key.to_owned(), value.clone()))
                        .collect(),
                )
            })
            .collect()
    }
}

/// Equal when the dicts are: same keys in the same order, equal values.
impl PartialEq for RecordList {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.keys == other.keys
            && self
                .values()
                .flatten()
                .zip(other.values().flatten())
                .all(|(a, b)| a == b)
    }
}

impl Value {
    /// Returns Python's truth value: `False`, `None`, `0`, `0.0`, `""` and
    /// empty containers are falsy.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::DateTime(s) => !s.is_empty(),
            Value::Binary(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Dict(d) => !d.is_empty(),
            Value::IntMap(m) => !m.is_empty(),
            Value::Records(records) => !records.is_empty(),
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::DateTime(s) => Some(s),
            _ => None,
        }
    }

    /// Turns [`Value::Records`] into the list of dicts it stands for, and
    /// returns any other value unchanged.
    pub fn expand_records(self) -> Value {
        match self {
            Value::Records(records) => Value::List(records.to_dicts()),
            other => other,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// Returns the name of the Python type this value decodes to, for
    /// messages that mimic Python's `TypeError` texts.
    pub fn python_type(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Binary(_) => "bytes",
            Value::DateTime(_) => "datetime.datetime",
            Value::List(_) | Value::Records(_) => "list",
            Value::Dict(_) | Value::IntMap(_) => "dict",
        }
    }

    /// Renders the value as Python's `repr()` would, for error messages such
    /// as `Wrong value for res.partner.type: 'x'`.
    pub fn python_repr(&self) -> String {
        match self {
            Value::None => "None".to_owned(),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => python_float_repr(*f),
            Value::Str(s) => python_str_repr(s),
            Value::Binary(b) => format!("b{}", python_str_repr(&String::from_utf8_lossy(b))),
            Value::DateTime(s) => format!("datetime({s})"),
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(Value::python_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Dict(d) => {
                let inner: Vec<String> = d
                    .iter()
                    .map(|(k, v)| format!("{}: {}", python_str_repr(k), v.python_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::IntMap(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.python_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Records(records) => Value::List(records.to_dicts()).python_repr(),
        }
    }
}

/// Formats a float as Python's `repr()`: always with a decimal point or an
/// exponent, so `1.0` does not print as `1`.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// Quotes a string as Python's `repr()`: single quotes unless the text contains
/// a single quote and no double quote.
pub fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(l: Vec<Value>) -> Self {
        Value::List(l)
    }
}

impl From<Dict> for Value {
    fn from(d: Dict) -> Self {
        Value::Dict(d)
    }
}

/// Converts JSON into a value. JSON has no binary or datetime, so those never
/// appear; integers beyond `i64` become floats as in Python's `json`.
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::None,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(a) => Value::List(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => {
                Value::Dict(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

/// Reads JSON straight into a value, as [`From<serde_json::Value>`] would
/// convert it, without building the `serde_json::Value` tree first.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Int(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(i64::try_from(value).map_or(Value::Float(value as f64), Value::Int))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::Str(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::Str(value))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut dict =
            Dict::with_capacity_and_hasher(map.size_hint().unwrap_or(0), Default::default());
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            dict.insert(key, value);
        }
        Ok(Value::Dict(dict))
    }
}

/// Converts a value into JSON as Odoo's JSON encoder does: binaries as base64
/// text and datetimes as their text.
impl From<&Value> for serde_json::Value {
    fn from(value: &Value) -> Self {
        use base64::Engine as _;
        match value {
            Value::None => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) | Value::DateTime(s) => serde_json::Value::String(s.clone()),
            Value::Binary(b) => {
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::List(l) => serde_json::Value::Array(l.iter().map(Into::into).collect()),
            Value::Records(records) => serde_json::Value::Array(
                records
                    .records()
                    .map(|record| {
                        serde_json::Value::Object(
                            record
                                .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
                                .collect(),
                        )
                    })
                    .collect(),
            ),
            Value::IntMap(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(v)))
                    .collect(),
            ),
            Value::Dict(d) => serde_json::Value::Object(
                d.iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::from(v)))
                    .collect(),
            ),
        }
    }
}

/// Builds a list of two records, one value of each shared with a row,
/// for the codecs' tests.
#[cfg(test)]
pub(crate) fn sample_records() -> RecordList {
    let row: Row = [
        ("name".to_owned(), Value::from("Ada <Lovelace> & co")),
        ("city".to_owned(), Value::from("Brussels")),
    ]
    .into_iter()
    .collect();
    let mut records = RecordList::new(vec!["id".into(), "name".into(), "parent_id".into()]);
    records.push_row(
        Arc::new(row),
        [
            Cell::Owned(Value::Int(7)),
            Cell::Stored(0),
            Cell::Owned(Value::List(vec![Value::Int(1), Value::from("Acme")])),
        ],
    );
    records.push_row(
        Arc::default(),
        [
            Cell::Owned(Value::Int(8)),
            Cell::Owned(Value::Bool(false)),
            Cell::Owned(Value::Bool(false)),
        ],
    );
    records
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A kept list remembers the text each codec wrote, at the depth
    /// written, and gives the same text again. A list that is not kept,
    /// and a copy of a kept one, remember nothing.
    #[test]
    fn kept_lists_remember_their_text() {
        let xml = |records: &Arc<RecordList>| {
            crate::wire::xmlrpc::encode_response(&Value::Records(Arc::clone(records)))
                .expect("records encode")
        };
        let json = |records: &Arc<RecordList>| {
            crate::wire::jsonrpc::result_body(&Value::Int(1), &Value::Records(Arc::clone(records)))
        };
        let unkept = Arc::new(sample_records());
        let (unkept_xml, unkept_json) = (xml(&unkept), json(&unkept));
        assert_eq!(unkept.encoded(WireFormat::XmlRpc, 0), None);
        assert_eq!(unkept.encoded(WireFormat::Json, 1), None);

        let mut kept = sample_records();
        kept.keep_encodings();
        let kept = Arc::new(kept);
        for _ in 0..2 {
            assert_eq!(xml(&kept), unkept_xml);
            assert_eq!(json(&kept), unkept_json);
        }
        let remembered = kept.encoded(WireFormat::XmlRpc, 0).expect("remembered");
        assert!(unkept_xml.contains(remembered));
        assert!(remembered.starts_with("<value><array>"), "{remembered}");
        assert_eq!(kept.encoded(WireFormat::XmlRpc, 1), None);
        let remembered = kept.encoded(WireFormat::Json, 1).expect("remembered");
        assert!(remembered.starts_with("[{\"id\": 7"), "{remembered}");

        let mut copy = RecordList::clone(&kept);
        assert_eq!(copy.encoded(WireFormat::XmlRpc, 0), None);
        copy.push_row(
            Arc::default(),
            [
                Cell::Owned(Value::Int(9)),
                Cell::Owned(Value::Bool(false)),
                Cell::Owned(Value::Bool(false)),
            ],
        );
        assert!(xml(&Arc::new(copy)).contains("<int>9</int>"));
    }

    #[test]
    fn records_expand_to_dicts() {
        let expanded = Value::Records(Arc::new(sample_records())).expand_records();
        let first = Dict::from_iter([
            ("id".to_owned(), Value::Int(7)),
            ("name".to_owned(), Value::from("Ada <Lovelace> & co")),
            (
                "parent_id".to_owned(),
                Value::List(vec![Value::Int(1), Value::from("Acme")]),
            ),
        ]);
        let second = Dict::from_iter([
            ("id".to_owned(), Value::Int(8)),
            ("name".to_owned(), Value::Bool(false)),
            ("parent_id".to_owned(), Value::Bool(false)),
        ]);
        assert_eq!(
            expanded,
            Value::List(vec![Value::Dict(first), Value::Dict(second)])
        );
    }

    /// A value that a read may return: a scalar or a list of scalars.
    fn cell_value() -> impl Strategy<Value = Value> {
        let scalar = prop_oneof![
            Just(Value::Bool(false)),
            Just(Value::Bool(true)),
            any::<i32>().prop_map(|number| Value::Int(number.into())),
            (-1e9f64..1e9).prop_map(Value::Float),
            "[\\x00-\\x7f<>&\"\u{e9}\u{1f600}]{0,12}".prop_map(Value::Str),
        ];
        prop_oneof![
            3 => scalar.clone(),
            1 => prop::collection::vec(scalar, 0..3).prop_map(Value::List),
        ]
    }

    proptest! {
        #[test]
        fn records_encode_as_their_dicts(
            keys in prop::collection::btree_set("[a-z_<&]{1,10}", 0..4),
            values in prop::collection::vec(cell_value(), 0..12),
            shared in any::<bool>(),
        ) {
            let keys: Vec<String> = keys.into_iter().collect();
            let mut records = RecordList::new(keys.clone());
            if !keys.is_empty() {
                for chunk in values.chunks_exact(keys.len()) {
                    let row: Row = keys.iter().cloned().zip(chunk.iter().cloned()).collect();
                    records.push_row(Arc::new(row), chunk.iter().enumerate().map(|(position, value)| {
                        if shared {
                            Cell::Stored(position)
                        } else {
                            Cell::Owned(value.clone())
                        }
                    }));
                }
            }
            let records = Value::Records(Arc::new(records));
            let expanded = records.clone().expand_records();
            prop_assert_eq!(
                crate::wire::xmlrpc::encode_response(&records),
                crate::wire::xmlrpc::encode_response(&expanded)
            );
            prop_assert_eq!(
                crate::wire::pyjson::to_json_text(&records),
                crate::wire::pyjson::to_json_text(&expanded)
            );
        }
    }

    #[test]
    fn records_without_keys_keep_their_count() {
        let mut records = RecordList::new(Vec::new());
        records.push_row(Arc::default(), []);
        records.push_row(Arc::default(), []);
        assert_eq!(records.len(), 2);
        assert_eq!(
            Value::Records(Arc::new(records)).expand_records(),
            Value::List(vec![
                Value::Dict(Dict::default()),
                Value::Dict(Dict::default())
            ])
        );
    }

    #[test]
    fn repr_matches_python() {
        assert_eq!(Value::from("it's").python_repr(), "\"it's\"");
        assert_eq!(Value::from("a'b\"c").python_repr(), "'a\\'b\"c'");
        assert_eq!(Value::Float(1.0).python_repr(), "1.0");
        assert_eq!(Value::Float(0.1).python_repr(), "0.1");
        assert_eq!(
            Value::List(vec![Value::Int(1), Value::Bool(false)]).python_repr(),
            "[1, False]"
        );
    }

    #[test]
    fn truthiness_matches_python() {
        assert!(!Value::Int(0).is_truthy());
        assert!(!Value::Str(String::new()).is_truthy());
        assert!(!Value::List(vec![]).is_truthy());
        assert!(Value::Int(-1).is_truthy());
    }
}
