//! Raw JSON-RPC from Python's `urllib` on `/jsonrpc` and on the session
//! routes: one emulator and one run of `clients/jsonrpc_client.py` per
//! scenario.

odoo_e2e::client_scenarios!("jsonrpc_client.py":
    jsonrpc_version,
    jsonrpc_database_list,
    jsonrpc_authenticate,
    jsonrpc_crud,
    jsonrpc_none_result,
    jsonrpc_int_keys,
    jsonrpc_access_denied,
    jsonrpc_user_error,
    jsonrpc_application_error,
    session_authenticate,
    session_wrong_password,
    session_call_kw,
    session_missing_expired,
    session_destroyed_expired,
    session_access_error,
    session_validation_error,
    session_web_read,
    call_kw_without_kwargs,
);
