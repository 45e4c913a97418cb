//! `create` and `write`: value conversion, x2many commands, delegation
//! through `_inherits`, defaults, sequences, audit fields and the checks
//! PostgreSQL would make (NOT NULL, unique, foreign keys).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::{ErrorKind, OdooError, OdooResult};
use crate::orm::access::Operation;
use crate::orm::commands::{self, Command};
use crate::orm::company;
use crate::orm::convert::{self, not_null_violation};
use crate::orm::env::{ids_of, invalid_field, is_user_password, reads_row_value, record_id, Env};
use crate::orm::order_lines;
use crate::orm::product;
use crate::orm::schema::{Constraint, DefaultValue, Field, FieldType, Model};
use crate::orm::store::Row;
use crate::orm::stored_names;
use crate::orm::unlink;
use crate::value::{Dict, Value};

/// Creates records and returns their ids, in order.
pub fn create(env: &mut Env<'_>, model: &Arc<Model>, vals_list: &[Dict]) -> OdooResult<Vec<i64>> {
    if vals_list.is_empty() {
        return Ok(Vec::new());
    }
    env.check_access_rights(model, Operation::Create)?;
    let company = model.name == company::COMPANY_MODEL;
    let completed;
    let vals_list = if company {
        completed = company::complete_values(env, vals_list)?;
        &completed[..]
    } else {
        vals_list
    };
    let mut ids = Vec::with_capacity(vals_list.len());
    for vals in vals_list {
        ids.push(create_one(env, model, vals)?);
    }
    env.check_access_rule(model, &ids, Operation::Create)?;
    check_constraints(env, model, &ids)?;
    if company {
        company::after_create(env, model, &ids)?;
    }
    if model.name == product::TEMPLATE_MODEL {
        product::create_variants(env, &ids)?;
    }
    Ok(ids)
}

/// Creates one record without access checks, for the ORM's own use
/// (delegated parents, `(0, 0, vals)` lines, `name_create`).
pub fn create_one(env: &mut Env<'_>, model: &Arc<Model>, vals: &Dict) -> OdooResult<i64> {
    create_with_id(env, model, None, vals)
}

/// Creates one record, with a fixed id when given (seed records whose
/// external id was reserved before their values were known).
pub fn create_with_id(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    fixed: Option<i64>,
    vals: &Dict,
) -> OdooResult<i64> {
    let mut vals = vals.clone();
    if order_lines::applies_to_model(model) {
        order_lines::prepare_create(env, model, &mut vals)?;
    }
    let mut vals = with_defaults(env, model, &vals)?;
    let password = take_password(model, &mut vals);
    create_delegated_parents(env, model, &mut vals)?;
    let id = match fixed {
        Some(id) => {
            env.state.table_mut(&model.name).reserve_id(id);
            id
        }
        None => env.state.table_mut(&model.name).allocate_id(),
    };
    let mut row = Row::default();
    let audit = [
        ("create_uid", Value::Int(env.uid)),
        ("create_date", Value::Str(env.now.clone())),
        ("write_uid", Value::Int(env.uid)),
        ("write_date", Value::Str(env.now.clone())),
    ];
    for (name, value) in audit {
        if model.has_field(name) {
            row.insert(name.to_owned(), value);
        }
    }
    let x2many = apply_columns(env, model, &vals, &mut row)?;
    fill_sequences(env, model, &mut row);
    check_required(env, model, &row)?;
    env.state
        .table_mut(&model.name)
        .insert_row(id, Arc::new(row));
    stored_names::refresh(env, model, id, None);
    sync_xmlid_index(env, model, id, None);
    apply_x2many(env, model, id, x2many)?;
    if let Some(password) = password {
        set_password(env, model, id, &password)?;
    }
    write_related(env, model, id, &vals)?;
    Ok(id)
}

/// Removes and returns the `password` of `res.users` values. Odoo 17
/// turns it into the hash that logins check (`_set_password`) rather than
/// a readable column, and the emulator keeps it with the user's
/// credentials instead.
fn take_password(model: &Model, vals: &mut Dict) -> Option<Value> {
    let field = model.field("password")?;
    if !is_user_password(model, field) {
        return None;
    }
    vals.shift_remove("password")
}

/// Sets the password that logins check for user `id`. An empty one
/// leaves the user with no password that a login can match.
fn set_password(env: &mut Env<'_>, model: &Model, id: i64, value: &Value) -> OdooResult<()> {
    let field = model
        .field("password")
        .ok_or_else(|| invalid_field("password", &model.name))?;
    let text = match convert::to_stored(env, model, field, value)? {
        Value::Str(text) if !text.is_empty() => Some(text),
        _ => None,
    };
    let mut credentials = env.state.credentials.get(&id).cloned().unwrap_or_default();
    credentials.password = text;
    env.state.credentials.insert(id, credentials);
    Ok(())
}

/// Keeps the external-id index in step with `ir.model.data` rows, which
/// clients may create, change and delete like any other records.
pub fn sync_xmlid_index(env: &mut Env<'_>, model: &Model, id: i64, previous: Option<&Row>) {
    if model.name != "ir.model.data" {
        return;
    }
    let key_of = |row: &Row| -> Option<(String, (String, i64))> {
        let module = row.get("module")?.as_str()?;
        let name = row.get("name")?.as_str()?;
        let target = row.get("model")?.as_str()?.to_owned();
        let res_id = row.get("res_id").and_then(Value::as_i64).unwrap_or(0);
        Some((format!("{module}.{name}"), (target, res_id)))
    };
    if let Some((old_key, _)) = previous.and_then(key_of) {
        env.state.remove_xmlid(&old_key);
    }
    let current = env.state.row(&model.name, id).and_then(|row| key_of(row));
    if let Some((key, (target, res_id))) = current {
        env.state.insert_xmlid(key, target, res_id);
    }
}

/// Writes the same values on every record, with Odoo 17's checks in its
/// order: access rights, field `groups`, record rules (which fail on a
/// deleted record when they read a field), then deleted records.
pub fn write(env: &mut Env<'_>, model: &Arc<Model>, ids: &[i64], vals: &Dict) -> OdooResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    if order_lines::applies_to_model(model) {
        order_lines::check_write(env, model, ids, vals)?;
    }
    env.check_access_rights(model, Operation::Write)?;
    let names: Vec<String> = vals.keys().cloned().collect();
    env.check_field_access(model, &names, Operation::Write)?;
    env.check_access_rule(model, ids, Operation::Write)?;
    check_deleted(env, model, ids)?;
    for &id in ids {
        write_completed(env, model, id, vals)?;
    }
    if model.name == company::COMPANY_MODEL {
        company::after_write(env, model, ids, vals)?;
    }
    if model.name == product::TEMPLATE_MODEL {
        product::after_write(env, ids, vals)?;
    }
    check_constraints(env, model, ids)
}

/// Raises the `MissingError` of Odoo 17's SQL update when some records no
/// longer exist. Its text lists every id written, in ascending order.
fn check_deleted(env: &Env<'_>, model: &Model, ids: &[i64]) -> OdooResult<()> {
    if ids.iter().all(|id| env.exists(&model.name, *id)) {
        return Ok(());
    }
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    let listed: Vec<String> = unique.iter().take(6).map(i64::to_string).collect();
    let records = match listed.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", listed.join(", ")),
    };
    Err(crate::error::OdooError::missing(format!(
        "One of the records you are trying to modify has already been deleted (Document type: \
         {}).\n\n(Records: {records}, User: {})",
        model.description, env.uid
    )))
}

/// Writes on one record without access checks, with the fields the
/// values make Odoo recompute (see [`order_lines`]).
fn write_completed(env: &mut Env<'_>, model: &Arc<Model>, id: i64, vals: &Dict) -> OdooResult<()> {
    if order_lines::applies(env, model) {
        let completed = order_lines::complete_write(env, model, id, vals)?;
        return write_one(env, model, id, &completed);
    }
    write_one(env, model, id, vals)
}

/// Writes on one record without access checks.
pub fn write_one(env: &mut Env<'_>, model: &Arc<Model>, id: i64, vals: &Dict) -> OdooResult<()> {
    let mut own = Dict::default();
    for (name, value) in vals {
        let field = model
            .field(name)
            .ok_or_else(|| invalid_field(name, &model.name))?;
        match &field.delegated {
            Some((parent, link)) => {
                let parent_model = env.model(parent)?;
                if let Some(parent_id) = env
                    .state
                    .stored(&model.name, id, link)
                    .and_then(Value::as_i64)
                {
                    let parent_vals = Dict::from_iter([(name.clone(), value.clone())]);
                    write_one(env, &parent_model, parent_id, &parent_vals)?;
                }
            }
            None => {
                own.insert(name.clone(), value.clone());
            }
        }
    }
    let password = take_password(model, &mut own);
    let Some(current) = env.state.row(&model.name, id).cloned() else {
        return Ok(());
    };
    let mut row = (*current).clone();
    if model.has_field("write_uid") {
        row.insert("write_uid".into(), Value::Int(env.uid));
        row.insert("write_date".into(), Value::Str(env.now.clone()));
    }
    let x2many = apply_columns(env, model, &own, &mut row)?;
    check_required(env, model, &row)?;
    env.state
        .table_mut(&model.name)
        .insert_row(id, Arc::new(row));
    stored_names::refresh(env, model, id, Some(&current));
    sync_xmlid_index(env, model, id, Some(&current));
    apply_x2many(env, model, id, x2many)?;
    if let Some(password) = password {
        set_password(env, model, id, &password)?;
    }
    write_related(env, model, id, &own)
}

/// Writes the values of related fields that are not read-only on the
/// records they relate to, as Odoo's `_inverse_related` does: writing
/// `city` on a company writes it on the company's partner. A record whose
/// path ends early (an empty many2one) changes nothing, as in Odoo. The
/// related record is written with the caller's rights, as Odoo assigns
/// it in the caller's environment: the access right and the record rules
/// of its model apply.
fn write_related(env: &mut Env<'_>, model: &Model, id: i64, vals: &Dict) -> OdooResult<()> {
    for (name, value) in vals {
        let Some(field) = model.field(name) else {
            continue;
        };
        let Some(path) = &field.related else {
            continue;
        };
        if !field.is_writable() || field.field_type.is_x2many() {
            continue;
        }
        let Some((last, hops)) = path.split_last() else {
            continue;
        };
        let mut target_model = env.model(&model.name)?;
        let mut target_id = id;
        let mut reached = true;
        for hop in hops {
            let next = target_model
                .field(hop)
                .filter(|f| f.field_type == FieldType::Many2one);
            let next_id = env
                .state
                .stored(&target_model.name, target_id, hop)
                .and_then(record_id);
            match (next, next_id) {
                (Some(next), Some(next_id)) => {
                    target_model = env.model(next.comodel())?;
                    target_id = next_id;
                }
                _ => {
                    reached = false;
                    break;
                }
            }
        }
        if reached {
            env.check_access_rights(&target_model, Operation::Write)?;
            env.check_access_rule(&target_model, &[target_id], Operation::Write)?;
            let target_vals = Dict::from_iter([(last.clone(), value.clone())]);
            write_one(env, &target_model, target_id, &target_vals)?;
        }
    }
    Ok(())
}

/// Adds defaults for fields the values leave out: `default_<field>` keys
/// of the context first, then the field's own default.
fn with_defaults(env: &Env<'_>, model: &Model, vals: &Dict) -> OdooResult<Dict> {
    let mut result = vals.clone();
    for field in model.fields.values() {
        // Delegated fields take their defaults when the parent record is
        // created, and must not overwrite an existing parent's values.
        if result.contains_key(&field.name) || field.automatic || field.delegated.is_some() {
            continue;
        }
        if let Some(value) = env.context.get(&format!("default_{}", field.name)) {
            result.insert(field.name.clone(), value.clone());
        } else if let Some(default) = &field.default {
            result.insert(field.name.clone(), default_value(env, default)?);
        }
    }
    Ok(result)
}

/// Evaluates a field default for the calling user. The company default
/// raises `AccessError` for an unauthorized `allowed_company_ids`.
pub fn default_value(env: &Env<'_>, default: &DefaultValue) -> OdooResult<Value> {
    Ok(match default {
        DefaultValue::Literal(value) => value.clone(),
        DefaultValue::Now => Value::Str(env.now.clone()),
        DefaultValue::Today => Value::Str(env.today()),
        DefaultValue::Uid => Value::Int(env.uid),
        DefaultValue::Company => env.company_id()?.map_or(Value::Bool(false), Value::Int),
        DefaultValue::CompanyCurrency => company::user_company_currency(env),
        DefaultValue::UserPartner => env.user_partner_id().map_or(Value::Bool(false), Value::Int),
    })
}

/// `_inherits`: creates the parent record from the delegated values when
/// the link is not given, and drops those values from the child's.
fn create_delegated_parents(env: &mut Env<'_>, model: &Model, vals: &mut Dict) -> OdooResult<()> {
    for (parent, link) in &model.inherits {
        let parent_model = env.model(parent)?;
        let mut parent_vals = Dict::default();
        let delegated: Vec<String> = vals
            .keys()
            .filter(|name| {
                model
                    .field(name)
                    .and_then(|f| f.delegated.as_ref())
                    .is_some_and(|(p, _)| p == parent)
            })
            .cloned()
            .collect();
        for name in delegated {
            if let Some(value) = vals.shift_remove(&name) {
                parent_vals.insert(name, value);
            }
        }
        if vals.get(link).is_none_or(|v| !v.is_truthy()) {
            let parent_id = create_one(env, &parent_model, &parent_vals)?;
            vals.insert(link.clone(), Value::Int(parent_id));
        } else if let Some(parent_id) = vals.get(link).and_then(Value::as_i64) {
            write_one(env, &parent_model, parent_id, &parent_vals)?;
        }
    }
    Ok(())
}

/// Applies column values to a row and returns the x2many commands to run
/// once the record exists.
fn apply_columns(
    env: &mut Env<'_>,
    model: &Model,
    vals: &Dict,
    row: &mut Row,
) -> OdooResult<Vec<(Arc<Field>, Vec<Command>)>> {
    let mut x2many = Vec::new();
    for (name, value) in vals {
        let field = model
            .field(name)
            .cloned()
            .ok_or_else(|| invalid_field(name, &model.name))?;
        if field.field_type.is_x2many() {
            x2many.push((field.clone(), commands::parse(model, &field, value)?));
            continue;
        }
        // Odoo silently ignores writes to computed fields without an
        // inverse and to the magic columns.
        if !field.is_writable() || !field.is_column() {
            continue;
        }
        let stored = convert::to_stored(env, model, &field, value)?;
        row.insert(name.clone(), stored);
    }
    Ok(x2many)
}

fn fill_sequences(env: &mut Env<'_>, model: &Model, row: &mut Row) {
    for field in model.fields.values() {
        let Some(sequence) = &field.sequence else {
            continue;
        };
        let current = row.get(&field.name);
        let empty = current.is_none_or(|v| !v.is_truthy() || v.as_str() == Some("New"));
        if !empty {
            continue;
        }
        let table = env.state.table_mut(&model.name);
        let next = table.sequences.get(&field.name).copied().unwrap_or(1);
        table.sequences.insert(field.name.clone(), next + 1);
        let text = format!(
            "{}{:0width$}",
            sequence.prefix,
            next,
            width = sequence.padding
        );
        row.insert(field.name.clone(), Value::Str(text));
    }
}

/// Raises the NOT NULL violation for the first required column left
/// empty, unless the call defers the check (seeding a profile).
fn check_required(env: &Env<'_>, model: &Model, row: &Row) -> OdooResult<()> {
    if env.defer_foreign_keys {
        return Ok(());
    }
    match missing_required(model, row) {
        Some(field) => Err(not_null_violation(model, field)),
        None => Ok(()),
    }
}

/// Returns the first required column a row leaves empty.
pub fn missing_required<'m>(model: &'m Model, row: &Row) -> Option<&'m Field> {
    for field in model.fields.values() {
        if !field.required || !field.is_column() || field.field_type == FieldType::Boolean {
            continue;
        }
        let set = row
            .get(&field.name)
            .is_some_and(|v| !matches!(v, Value::Bool(false) | Value::None));
        let numeric = matches!(
            field.field_type,
            FieldType::Integer | FieldType::Float | FieldType::Monetary
        );
        if !(set || numeric && row.contains_key(&field.name)) {
            return Some(field);
        }
    }
    None
}

/// The deepest nesting of x2many commands that a create or write accepts.
///
/// NOTE: an estimate. Each level of nested `create` commands adds several
/// Python frames in Odoo, which stops at Python's limit of 1,000 frames
/// with a `RecursionError`. The level where that happens was not measured.
/// The emulator stops here because each level copies the values nested in
/// it, and a few thousand levels took seconds while holding the lock.
pub const MAX_X2MANY_DEPTH: usize = 100;

fn apply_x2many(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    id: i64,
    x2many: Vec<(Arc<Field>, Vec<Command>)>,
) -> OdooResult<()> {
    if x2many.is_empty() {
        return Ok(());
    }
    if env.x2many_depth >= MAX_X2MANY_DEPTH {
        return Err(OdooError::new(
            ErrorKind::RecursionError,
            "maximum recursion depth exceeded",
        ));
    }
    env.x2many_depth += 1;
    let applied = apply_commands(env, model, id, x2many);
    env.x2many_depth -= 1;
    applied
}

fn apply_commands(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    id: i64,
    x2many: Vec<(Arc<Field>, Vec<Command>)>,
) -> OdooResult<()> {
    for (field, commands) in x2many {
        let comodel = env.model(field.comodel())?;
        for command in commands {
            if field.field_type == FieldType::One2many {
                apply_one2many(env, &comodel, &field, id, command)?;
            } else {
                apply_many2many(env, model, &comodel, &field, id, command)?;
            }
        }
    }
    Ok(())
}

fn apply_one2many(
    env: &mut Env<'_>,
    comodel: &Arc<Model>,
    field: &Field,
    id: i64,
    command: Command,
) -> OdooResult<()> {
    // Odoo runs each command as a `create`, `write` or `unlink` of the
    // lines by the caller, so their access rights, record rules, checks
    // and constraints apply as if the client had called them.
    let inverse = field.inverse.clone().unwrap_or_default();
    let link = |env: &mut Env<'_>, line: i64, target: Value| -> OdooResult<()> {
        write(
            env,
            comodel,
            &[line],
            &Dict::from_iter([(inverse.clone(), target)]),
        )
    };
    match command {
        Command::Create(mut vals) => {
            vals.insert(inverse.clone(), Value::Int(id));
            create(env, comodel, &[vals])?;
        }
        Command::Update(line, vals) => write(env, comodel, &[line], &vals)?,
        Command::Delete(line) => unlink::unlink(env, comodel, &[line])?,
        Command::Unlink(line) => release_line(env, comodel, &inverse, line)?,
        Command::Link(line) => link(env, line, Value::Int(id))?,
        Command::Clear | Command::Set(_) => {
            let keep: BTreeSet<i64> = match &command {
                Command::Set(ids) => ids.iter().copied().collect(),
                _ => BTreeSet::new(),
            };
            for line in env.one2many_ids(id, field) {
                if !keep.contains(&line) {
                    release_line(env, comodel, &inverse, line)?;
                }
            }
            for line in keep {
                link(env, line, Value::Int(id))?;
            }
        }
    }
    Ok(())
}

/// Detaches a one2many line; a line whose inverse is required cannot
/// exist alone, so it is deleted, as Odoo's cascade does.
fn release_line(
    env: &mut Env<'_>,
    comodel: &Arc<Model>,
    inverse: &str,
    line: i64,
) -> OdooResult<()> {
    let required = comodel.field(inverse).is_some_and(|f| f.required);
    if required {
        return unlink::unlink(env, comodel, &[line]);
    }
    write(
        env,
        comodel,
        &[line],
        &Dict::from_iter([(inverse.to_owned(), Value::Bool(false))]),
    )
}

fn apply_many2many(
    env: &mut Env<'_>,
    model: &Arc<Model>,
    comodel: &Arc<Model>,
    field: &Field,
    id: i64,
    command: Command,
) -> OdooResult<()> {
    let mut current = ids_of(&env.get(model, id, field));
    match command {
        Command::Create(vals) => current.extend(create(env, comodel, &[vals])?),
        Command::Update(target, vals) => write(env, comodel, &[target], &vals)?,
        Command::Delete(target) => {
            unlink::unlink(env, comodel, &[target])?;
            current.retain(|t| *t != target);
        }
        Command::Unlink(target) => current.retain(|t| *t != target),
        Command::Link(target) => current.push(target),
        Command::Clear => current.clear(),
        Command::Set(targets) => current = targets,
    }
    let mut seen = BTreeSet::new();
    current.retain(|t| seen.insert(*t));
    for target in &current {
        if !env.defer_foreign_keys && !env.exists(&comodel.name, *target) {
            return Err(convert::foreign_key_violation(model, field));
        }
    }
    let mut row = env
        .state
        .row(&model.name, id)
        .map(|r| (**r).clone())
        .unwrap_or_default();
    row.insert(
        field.name.clone(),
        Value::List(current.into_iter().map(Value::Int).collect()),
    );
    env.state
        .table_mut(&model.name)
        .insert_row(id, Arc::new(row));
    Ok(())
}

/// Checks the model's SQL constraints for the given records: check
/// domains on each record, unique keys against every other record (NULL
/// values never conflict, as in SQL).
pub fn check_constraints(env: &Env<'_>, model: &Model, ids: &[i64]) -> OdooResult<()> {
    for constraint in &model.constraints {
        match &constraint.check {
            Some(check) => check_domain(env, model, constraint, check, ids)?,
            None => check_unique(env, model, constraint, ids)?,
        }
    }
    Ok(())
}

fn check_domain(
    env: &Env<'_>,
    model: &Model,
    constraint: &Constraint,
    check: &Value,
    ids: &[i64],
) -> OdooResult<()> {
    let checked: BTreeSet<i64> = ids.iter().copied().collect();
    let passing = crate::orm::domain::evaluate_within(
        env,
        model,
        &crate::orm::domain::Domain::parse(check)?,
        &checked,
    )?;
    if ids
        .iter()
        .any(|id| env.exists(&model.name, *id) && !passing.contains(id))
    {
        return Err(constraint_violation(constraint));
    }
    Ok(())
}

fn check_unique(
    env: &Env<'_>,
    model: &Model,
    constraint: &Constraint,
    ids: &[i64],
) -> OdooResult<()> {
    let key_of = |id: i64| -> Option<Vec<Value>> {
        let key: Vec<Value> = constraint
            .fields
            .iter()
            .map(|f| env.get_by_name(model, id, f))
            .collect();
        let has_null = key
            .iter()
            .any(|v| matches!(v, Value::Bool(false) | Value::None));
        (!has_null).then_some(key)
    };
    for &id in ids {
        let Some(key) = key_of(id) else { continue };
        let conflict = unique_candidates(env, model, constraint, &key)
            .into_iter()
            .any(|other| other != id && key_of(other).as_ref() == Some(&key));
        if conflict {
            return Err(constraint_violation(constraint));
        }
    }
    Ok(())
}

/// Returns the records that may hold `key`: the smallest set that the
/// index of one of the constraint's fields gives for its value, since the
/// whole key can only match where that field does. Returns every record
/// when no field is a scalar read from its row with an index and a value
/// that is not empty (0 and other empty values are not indexed).
fn unique_candidates(
    env: &Env<'_>,
    model: &Model,
    constraint: &Constraint,
    key: &[Value],
) -> Vec<i64> {
    let table = env.state.table(&model.name);
    let mut best: Option<(usize, &crate::orm::index::FieldIndex, &Value)> = None;
    for (name, value) in constraint.fields.iter().zip(key) {
        let scalar = model
            .field(name)
            .is_some_and(|field| reads_row_value(field) && !field.field_type.is_x2many());
        let Some(index) = table.and_then(|t| t.index(name)).filter(|_| scalar) else {
            continue;
        };
        let Some(count) = index.count(value) else {
            continue;
        };
        if best.is_none_or(|(smallest, _, _)| count < smallest) {
            best = Some((count, index, value));
        }
    }
    best.and_then(|(_, index, value)| index.candidates(value))
        .unwrap_or_else(|| env.all_ids(&model.name))
}

fn constraint_violation(constraint: &Constraint) -> crate::error::OdooError {
    crate::error::OdooError::validation(format!(
        "The operation cannot be completed: {}",
        constraint.message
    ))
}
