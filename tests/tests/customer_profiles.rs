//! The three customer profiles of `fixtures/profiles/`, served from one
//! process as the databases acme, globex and initech, and driven with
//! Python's `xmlrpc.client` and `odoorpc` by `clients/customer_profiles.py`:
//! one emulator and one run of the script per scenario.

use odoo_e2e::emulator::fixture_path;
use odoo_e2e::python::Connection;
use odoo_e2e::Emulator;

/// The script's default database and login: Acme's administrator. The
/// scenarios name the other databases and users themselves.
const ACME_ADMIN: Connection = Connection {
    database: "acme",
    username: "admin",
    password: "admin",
};

fn serve_customers() -> Emulator {
    let profile = |database: &str, file: &str| {
        let path = fixture_path(&format!("profiles/{file}"));
        format!("{database}={}", path.display())
    };
    Emulator::builder()
        .profile(profile("acme", "studio-acme.yaml"))
        .profile(profile("globex", "restricted-globex.yaml"))
        .profile(profile("initech", "legacy-initech.yaml"))
        .start()
}

odoo_e2e::client_scenarios!("customer_profiles.py", serve_customers, ACME_ADMIN;
    db_list_names_customers,
    acme_segment_required,
    acme_fields_get_studio,
    initech_fields_get_module,
    initech_removed_address_type,
    globex_sync_search_read,
    globex_sync_read_other_company,
    databases_isolated,
);
