//! Builds the databases the benchmarks run on: the built-in `odoo-17`
//! profile with a second company, a user restricted to it, and a chosen
//! number of extra partners in the seed, split between the two companies.

use std::io::Write as _;

use odoo_emulator::orm::{write, Env, SUPERUSER_ID};
use odoo_emulator::profile::Profile;
use odoo_emulator::service::Emulator;
use odoo_emulator::value::{Dict, Value};

/// The database name of [`emulator_with_partners`].
pub const DATABASE: &str = "bench";

/// A profile on top of `odoo-17`: company B and a user of the group
/// `base.group_user` whose only company is B, so the base profile's
/// multi-company rule on `res.partner` hides company A's partners.
const PROFILE: &str = "\
name: bench
extends: odoo-17
database: bench
records:
  res.partner:
    - {xmlid: bench.partner_company_b, name: Company B, is_company: true}
  res.company:
    - {xmlid: bench.company_b, name: Company B, partner_id: bench.partner_company_b, currency_id: base.USD}
users:
  - xmlid: bench.user_restricted
    login: restricted
    password: restricted
    name: Restricted User
    groups: [base.group_user]
    company_id: bench.company_b
    company_ids: [bench.company_b]
";

/// Builds an emulator whose `bench` database starts (and resets to) the
/// bench profile plus `partners` partners, alternately of company A (id 1)
/// and company B.
pub fn emulator_with_partners(partners: usize) -> Emulator {
    let mut profile = bench_profile();
    let company_b = xmlid_id(&profile, "bench.company_b");
    let mut env = Env::new(
        &mut profile.seed,
        SUPERUSER_ID,
        Dict::default(),
        String::new(),
        profile.version,
    );
    let model = env.model("res.partner").expect("odoo-17 has res.partner");
    let vals_list: Vec<Dict> = (0..partners)
        .map(|index| partner_values(index, company_b))
        .collect();
    write::create(&mut env, &model, &vals_list).expect("creating bench partners succeeds");
    Emulator::from_profiles(vec![(None, profile)]).expect("the bench profile names one database")
}

/// Returns the id of the user whose only company is company B.
pub fn restricted_uid(emulator: &Emulator) -> i64 {
    let database = emulator
        .database(DATABASE)
        .expect("the bench database is served");
    xmlid_id(&database.profile, "bench.user_restricted")
}

/// Loads the bench profile from a temporary file, since profiles load
/// from paths.
fn bench_profile() -> Profile {
    let mut file = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .expect("a temporary file can be created");
    file.write_all(PROFILE.as_bytes())
        .expect("the temporary profile can be written");
    let path = file.path().to_str().expect("temporary paths are UTF-8");
    Profile::load(path).expect("the bench profile is valid")
}

fn xmlid_id(profile: &Profile, xmlid: &str) -> i64 {
    profile
        .seed
        .xmlid(xmlid)
        .map(|(_, id)| *id)
        .unwrap_or_else(|| panic!("the bench profile defines {xmlid}"))
}

fn partner_values(index: usize, company_b: i64) -> Dict {
    let company = if index % 2 == 0 { 1 } else { company_b };
    let mut vals = Dict::default();
    vals.insert("name".into(), Value::Str(format!("Partner {index:06}")));
    vals.insert(
        "email".into(),
        Value::Str(format!("partner{index}@bench.example")),
    );
    vals.insert("city".into(), Value::Str("Brussels".into()));
    vals.insert("is_company".into(), Value::Bool(index % 10 == 0));
    vals.insert("company_id".into(), Value::Int(company));
    vals
}

/// Returns `search_read`'s keyword arguments: five fields, at most `limit`
/// records.
pub fn search_read_kwargs(limit: i64) -> Dict {
    let fields = ["name", "email", "phone", "city", "is_company"]
        .into_iter()
        .map(Value::from)
        .collect();
    let mut kwargs = Dict::default();
    kwargs.insert("fields".into(), Value::List(fields));
    kwargs.insert("limit".into(), Value::Int(limit));
    kwargs
}

/// Writes `value` on field `field` of partner `partner`, as the
/// superuser.
pub fn write_partner(emulator: &Emulator, partner: i64, field: &str, value: Value) {
    let mut vals = Dict::default();
    vals.insert(field.to_owned(), value);
    emulator
        .execute(
            DATABASE,
            SUPERUSER_ID,
            "res.partner",
            "write",
            vec![Value::List(vec![Value::Int(partner)]), Value::Dict(vals)],
            Dict::default(),
        )
        .expect("writing a partner succeeds");
}
