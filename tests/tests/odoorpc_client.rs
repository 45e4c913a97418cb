//! The `odoorpc` library (pinned in `tests/requirements.txt`): one emulator
//! and one run of `clients/odoorpc_client.py` per scenario.

odoo_e2e::client_scenarios!("odoorpc_client.py":
    login_user,
    login_wrong_password,
    partner_search_browse,
    partner_write_unlink,
    partner_name_get,
    ref_external_id,
    server_error_raised,
);
