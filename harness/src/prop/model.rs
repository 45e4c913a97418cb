//! The reference model of a generated history: the SaaS records with
//! their versions, the drift in force and the models with fault rules that
//! raise Odoo exceptions.
//!
//! Its preconditions keep every history meaningful, also after shrinking
//! removed steps. A record is updated, deleted or replayed only after its
//! create, and an order refers only to live customers and products. A
//! drift is undone only while it is active.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just, Union};
use proptest_state_machine::ReferenceStateMachine;
use serde_json::{json, Map, Value};

use super::catalog::Catalog;
use super::transition::{
    ClockMove, Drift, DriftTarget, FaultChoice, FaultEffect, FaultSchedule, Transition,
};
use crate::saas::Entity;
use crate::scenario::SaasChange;

thread_local! {
    /// The catalog that `init_state` hands to new histories. The state
    /// machine trait takes no arguments there, so [`with_catalog`] sets it
    /// around tree generation.
    static CATALOG: RefCell<Option<Arc<Catalog>>> = const { RefCell::new(None) };
}

/// Runs `generate` with `catalog` as the catalog of new histories.
pub fn with_catalog<T>(catalog: &Arc<Catalog>, generate: impl FnOnce() -> T) -> T {
    CATALOG.with(|slot| *slot.borrow_mut() = Some(catalog.clone()));
    let generated = generate();
    CATALOG.with(|slot| slot.borrow_mut().take());
    generated
}

/// The state of a history after some steps.
#[derive(Debug, Clone)]
pub struct History {
    pub catalog: Arc<Catalog>,
    /// Every record created so far, deleted ones included.
    pub records: BTreeMap<(Entity, String), RecordState>,
    /// How many records of each entity the history created, for new ids.
    created: BTreeMap<Entity, usize>,
    /// The drift in force.
    pub drift: BTreeSet<DriftTarget>,
    /// The models on which a fault rule raises Odoo exceptions.
    pub domain_faults: BTreeSet<String>,
}

/// One SaaS record as the model tracks it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordState {
    pub version: u64,
    pub deleted: bool,
    pub data: Map<String, Value>,
}

impl History {
    pub fn new(catalog: Arc<Catalog>) -> History {
        History {
            catalog,
            records: BTreeMap::new(),
            created: BTreeMap::new(),
            drift: BTreeSet::new(),
            domain_faults: BTreeSet::new(),
        }
    }

    fn live(&self, entity: Entity) -> Vec<String> {
        self.records
            .iter()
            .filter(|((e, _), record)| *e == entity && !record.deleted)
            .map(|((_, id), _)| id.clone())
            .collect()
    }

    /// Returns the SKUs of the products that are not deleted.
    fn live_skus(&self) -> Vec<String> {
        self.records
            .iter()
            .filter(|((entity, _), record)| *entity == Entity::Product && !record.deleted)
            .filter_map(|(_, record)| record.data.get("sku")?.as_str().map(str::to_owned))
            .collect()
    }

    /// Checks whether a live order refers to the record: its customer, or
    /// the product of one of its lines.
    fn is_referenced(&self, entity: Entity, id: &str) -> bool {
        let sku = self
            .records
            .get(&(entity, id.to_owned()))
            .and_then(|record| record.data.get("sku"));
        self.records
            .iter()
            .filter(|((e, _), record)| *e == Entity::Order && !record.deleted)
            .any(|(_, order)| match entity {
                Entity::Customer => order.data.get("customer_id") == Some(&json!(id)),
                Entity::Product => order_skus(&order.data).any(|s| Some(s) == sku),
                Entity::Order => false,
            })
    }

    /// Returns the live records of an entity that no live order refers
    /// to, which a history may delete.
    fn deletable(&self, entity: Entity) -> Vec<String> {
        self.live(entity)
            .into_iter()
            .filter(|id| !self.is_referenced(entity, id))
            .collect()
    }

    /// Returns the models whose records the active drift or a domain
    /// fault may keep from syncing.
    pub fn blocking_models(&self) -> BTreeSet<String> {
        let drifting = self.drift.iter().map(|target| match target {
            DriftTarget::Required(model)
            | DriftTarget::Access(model)
            | DriftTarget::Selection(model, _, _) => model.clone(),
        });
        drifting.chain(self.domain_faults.iter().cloned()).collect()
    }

    fn next_id(&self, entity: Entity) -> String {
        let prefix = match entity {
            Entity::Customer => "c",
            Entity::Product => "p",
            Entity::Order => "o",
        };
        let number = self.created.get(&entity).copied().unwrap_or(0) + 1;
        format!("{prefix}{number}")
    }
}

/// The state machine that generates histories.
#[derive(Debug)]
pub struct HistoryMachine;

impl ReferenceStateMachine for HistoryMachine {
    type State = History;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<History> {
        let catalog = CATALOG.with(|slot| slot.borrow().clone());
        let catalog = catalog.expect("histories are generated inside with_catalog");
        Just(History::new(catalog)).boxed()
    }

    fn transitions(state: &History) -> BoxedStrategy<Transition> {
        let mut options: Vec<(u32, BoxedStrategy<Transition>)> =
            vec![(4, Just(Transition::Sync).boxed())];
        for entity in state.catalog.entities.clone() {
            if let Some(create) = create(state, entity) {
                options.push((4, create));
            }
            let live = state.live(entity);
            if !live.is_empty() {
                options.push((4, update(entity, live)));
            }
            let deletable = state.deletable(entity);
            if !deletable.is_empty() {
                options.push((1, delete(entity, deletable)));
            }
        }
        if let Some(replay) = replay(state) {
            options.push((3, replay));
        }
        options.push((3, fault(&state.catalog)));
        if let Some(drift) = drift(state) {
            options.push((1, drift));
        }
        options.push((1, clock()));
        Union::new_weighted(options).boxed()
    }

    fn preconditions(state: &History, transition: &Transition) -> bool {
        match transition {
            Transition::Saas(change) => saas_preconditions(state, change),
            Transition::Drift(drift) => {
                let (target, starts) = drift.target();
                state.drift.contains(&target) != starts
            }
            Transition::Fault(_) | Transition::Clock(_) | Transition::Sync => true,
        }
    }

    fn apply(mut state: History, transition: &Transition) -> History {
        match transition {
            Transition::Saas(change) => apply_saas(&mut state, change),
            Transition::Drift(drift) => {
                let (target, starts) = drift.target();
                if starts {
                    state.drift.insert(target);
                } else {
                    state.drift.remove(&target);
                }
            }
            Transition::Fault(fault) if fault.effect.is_domain_error() => {
                state.domain_faults.insert(fault.model.clone());
            }
            Transition::Fault(_) | Transition::Clock(_) | Transition::Sync => {}
        }
        state
    }
}

fn saas_preconditions(state: &History, change: &SaasChange) -> bool {
    let live = |entity: Entity, id: &str| {
        state
            .records
            .get(&(entity, id.to_owned()))
            .is_some_and(|record| !record.deleted)
    };
    match change {
        SaasChange::Create { entity, id, data } => {
            !state.records.contains_key(&(*entity, id.clone())) && references_live(state, data)
        }
        SaasChange::Update { entity, id, .. } => live(*entity, id),
        SaasChange::Delete { entity, id } => live(*entity, id) && !state.is_referenced(*entity, id),
        SaasChange::Replay {
            entity,
            id,
            version,
        } => state
            .records
            .get(&(*entity, id.clone()))
            .is_some_and(|record| version.is_none_or(|v| (1..=record.version).contains(&v))),
    }
}

fn apply_saas(state: &mut History, change: &SaasChange) {
    match change {
        SaasChange::Create { entity, id, data } => {
            *state.created.entry(*entity).or_default() += 1;
            let record = RecordState {
                version: 1,
                deleted: false,
                data: data.clone(),
            };
            state.records.insert((*entity, id.clone()), record);
        }
        SaasChange::Update { entity, id, set } => {
            if let Some(record) = state.records.get_mut(&(*entity, id.clone())) {
                record.version += 1;
                for (field, value) in set {
                    record.data.insert(field.clone(), value.clone());
                }
            }
        }
        SaasChange::Delete { entity, id } => {
            if let Some(record) = state.records.get_mut(&(*entity, id.clone())) {
                record.version += 1;
                record.deleted = true;
            }
        }
        SaasChange::Replay { .. } => {}
    }
}

/// Checks that an order's customer and products are live; other entities
/// refer to nothing.
///
/// NOTE: orders never refer to deleted records, and a record a live order
/// refers to is never deleted. The checks derive an order's references
/// from the final SaaS state. A deleted customer that the spec archives
/// still resolves, as the scenario `deleted-customer-keeps-orders` shows.
/// Under other policies the order must be reported, even when it synced
/// while the record was live, and it is unsettled whether the contract
/// should demand that, so such histories are not generated.
fn references_live(state: &History, data: &Map<String, Value>) -> bool {
    let customer_live = data
        .get("customer_id")
        .and_then(Value::as_str)
        .is_none_or(|id| {
            state
                .records
                .get(&(Entity::Customer, id.to_owned()))
                .is_some_and(|record| !record.deleted)
        });
    let skus = state.live_skus();
    let products_live = order_skus(data).all(|sku| skus.iter().any(|known| known == sku));
    customer_live && products_live
}

/// Returns the SKUs of an order's lines.
fn order_skus(data: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    let lines = data.get("lines").and_then(Value::as_array);
    lines
        .into_iter()
        .flatten()
        .filter_map(|line| line.get("sku"))
}

const NAMES: &[&str] = &[
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
];
const EMAILS: &[&str] = &["ada@example.com", "grace@example.com", "team@example.com"];
const PHONES: &[&str] = &["+32 2 555 01 01", "+33 1 555 02 02"];
const COUNTRIES: &[&str] = &["BE", "FR"];
const PRODUCT_NAMES: &[&str] = &["Widget", "Gadget", "Sprocket"];
const PRICES: &[f64] = &[9.5, 12.0, 100.0];
const DATES: &[&str] = &["2024-01-15", "2024-02-29"];

/// Generates a value from `options`, or `null`, which clears the field.
fn optional(options: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![Just(Value::Null), select(options).prop_map(|v| json!(v))].boxed()
}

fn create(state: &History, entity: Entity) -> Option<BoxedStrategy<Transition>> {
    let id = state.next_id(entity);
    let data = match entity {
        Entity::Customer => customer_data(),
        Entity::Product => product_data(&id),
        Entity::Order => order_data(state, &id)?,
    };
    Some(
        data.prop_map(move |data| {
            Transition::Saas(SaasChange::Create {
                entity,
                id: id.clone(),
                data,
            })
        })
        .boxed(),
    )
}

fn customer_data() -> BoxedStrategy<Map<String, Value>> {
    (
        select(NAMES),
        optional(EMAILS),
        optional(PHONES),
        any::<bool>(),
        optional(COUNTRIES),
    )
        .prop_map(|(name, email, phone, company, country)| {
            let mut data = Map::new();
            data.insert("name".into(), json!(name));
            for (field, value) in [
                ("email", email),
                ("phone", phone),
                ("country_code", country),
            ] {
                if !value.is_null() {
                    data.insert(field.into(), value);
                }
            }
            data.insert("company".into(), json!(company));
            data
        })
        .boxed()
}

/// Generates a product's data. The SKU is the product's key in Odoo, so it
/// comes from the id and never changes, and two products never share one.
fn product_data(id: &str) -> BoxedStrategy<Map<String, Value>> {
    let sku = format!("SKU-{}", id.to_ascii_uppercase());
    (select(PRODUCT_NAMES), select(PRICES))
        .prop_map(move |(name, price)| {
            let mut data = Map::new();
            data.insert("sku".into(), json!(sku));
            data.insert("name".into(), json!(name));
            data.insert("price".into(), json!(price));
            data.insert("active".into(), json!(true));
            data
        })
        .boxed()
}

/// Generates an order of a live customer, with up to two lines of live
/// products.
fn order_data(state: &History, id: &str) -> Option<BoxedStrategy<Map<String, Value>>> {
    let customers = state.live(Entity::Customer);
    if customers.is_empty() {
        return None;
    }
    let skus = state.live_skus();
    let line = if skus.is_empty() {
        Just(None).boxed()
    } else {
        (select(skus), 1..4_u32)
            .prop_map(|(sku, quantity)| {
                Some(json!({"sku": sku, "quantity": quantity, "unit_price": 9.5}))
            })
            .boxed()
    };
    let number = format!("SO-{}", id.to_ascii_uppercase());
    Some(
        (
            select(customers),
            select(DATES),
            prop::collection::vec(line, 0..3),
            select(&["draft", "confirmed"][..]),
        )
            .prop_map(move |(customer, date, lines, order_state)| {
                let lines: Vec<Value> = lines.into_iter().flatten().collect();
                let mut data = Map::new();
                data.insert("number".into(), json!(number));
                data.insert("customer_id".into(), json!(customer));
                data.insert("date".into(), json!(date));
                data.insert("lines".into(), json!(lines));
                data.insert("state".into(), json!(order_state));
                data
            })
            .boxed(),
    )
}

fn update(entity: Entity, live: Vec<String>) -> BoxedStrategy<Transition> {
    let set = match entity {
        Entity::Customer => prop_oneof![
            select(NAMES).prop_map(|v| ("name", json!(v))),
            optional(EMAILS).prop_map(|v| ("email", v)),
            optional(PHONES).prop_map(|v| ("phone", v)),
            any::<bool>().prop_map(|v| ("company", json!(v))),
            optional(COUNTRIES).prop_map(|v| ("country_code", v)),
        ]
        .boxed(),
        Entity::Product => prop_oneof![
            select(PRODUCT_NAMES).prop_map(|v| ("name", json!(v))),
            select(PRICES).prop_map(|v| ("price", json!(v))),
            any::<bool>().prop_map(|v| ("active", json!(v))),
        ]
        .boxed(),
        Entity::Order => prop_oneof![
            select(DATES).prop_map(|v| ("date", json!(v))),
            Just(("state", json!("confirmed"))),
        ]
        .boxed(),
    };
    (select(live), set)
        .prop_map(move |(id, (field, value))| {
            let mut set = Map::new();
            set.insert(field.to_owned(), value);
            Transition::Saas(SaasChange::Update { entity, id, set })
        })
        .boxed()
}

fn delete(entity: Entity, live: Vec<String>) -> BoxedStrategy<Transition> {
    select(live)
        .prop_map(move |id| Transition::Saas(SaasChange::Delete { entity, id }))
        .boxed()
}

/// One version of one SaaS record.
type Version = (Entity, String, u64);

/// Delivers a version of a record again: an older one out of order
/// (three times as likely, since that is what loses updates), or the
/// latest one twice.
fn replay(state: &History) -> Option<BoxedStrategy<Transition>> {
    let mut older: Vec<Version> = Vec::new();
    let mut latest: Vec<Version> = Vec::new();
    for ((entity, id), record) in &state.records {
        older.extend((1..record.version).map(|version| (*entity, id.clone(), version)));
        latest.push((*entity, id.clone(), record.version));
    }
    let mut options: Vec<(u32, BoxedStrategy<Version>)> = Vec::new();
    if !older.is_empty() {
        options.push((3, select(older).boxed()));
    }
    if !latest.is_empty() {
        options.push((1, select(latest).boxed()));
    }
    if options.is_empty() {
        return None;
    }
    Some(
        Union::new_weighted(options)
            .prop_map(|(entity, id, version)| {
                Transition::Saas(SaasChange::Replay {
                    entity,
                    id,
                    version: Some(version),
                })
            })
            .boxed(),
    )
}

/// The ORM methods that write.
const WRITE_METHODS: &[&str] = &["create", "write", "load"];

/// Effects that make a call wait in real time. They get short schedules
/// so that a case stays fast.
const SLOW_EFFECTS: &[FaultEffect] = &[
    FaultEffect::RateLimited(1),
    FaultEffect::Delay(50),
    FaultEffect::Hang(300),
];

fn fault(catalog: &Catalog) -> BoxedStrategy<Transition> {
    // Writes are listed twice: a fault on a write is the one that can
    // leave a duplicate or half-applied change behind.
    let mut targets: Vec<(String, Option<String>)> = Vec::new();
    for (model, methods) in &catalog.methods {
        targets.push((model.clone(), None));
        for method in methods {
            let copies = if WRITE_METHODS.contains(&method.as_str()) {
                2
            } else {
                1
            };
            targets.extend(std::iter::repeat_n(
                (model.clone(), Some(method.clone())),
                copies,
            ));
        }
    }
    let fast = (
        prop::sample::select(vec![
            FaultEffect::ResponseLost,
            FaultEffect::ResponseLost,
            FaultEffect::ResponseLost,
            FaultEffect::MarshalNone,
            FaultEffect::SerializationFailure,
            FaultEffect::Http(502),
            FaultEffect::Http(503),
            FaultEffect::Http(504),
            FaultEffect::Reset,
            FaultEffect::Truncated,
            FaultEffect::Malformed,
            FaultEffect::ResultMissing,
            FaultEffect::Error("UserError"),
            FaultEffect::Error("ValidationError"),
        ]),
        prop_oneof![
            (1..=3_u64).prop_map(FaultSchedule::Times),
            (1..=3_u64).prop_map(FaultSchedule::Nth),
            (2..=3_u64).prop_map(FaultSchedule::Every),
        ],
    );
    let slow = (
        select(SLOW_EFFECTS),
        prop_oneof![Just(FaultSchedule::Times(1)), Just(FaultSchedule::Nth(2))],
    );
    let effect = prop_oneof![4 => fast, 1 => slow];
    (select(targets), effect)
        .prop_map(|((model, method), (effect, schedule))| {
            Transition::Fault(FaultChoice {
                model,
                method,
                schedule,
                effect,
            })
        })
        .boxed()
}

/// Starts a drift that is not active or undoes one that is.
fn drift(state: &History) -> Option<BoxedStrategy<Transition>> {
    let choices: Vec<Drift> = state
        .catalog
        .drift_starts()
        .into_iter()
        .map(|start| {
            if state.drift.contains(&start.target().0) {
                start.undo()
            } else {
                start
            }
        })
        .collect();
    if choices.is_empty() {
        return None;
    }
    Some(select(choices).prop_map(Transition::Drift).boxed())
}

fn clock() -> BoxedStrategy<Transition> {
    select(vec![
        ClockMove::Advance(3600),
        ClockMove::Advance(86_400),
        ClockMove::Freeze("2030-01-01 09:00:00"),
    ])
    .prop_map(Transition::Clock)
    .boxed()
}
