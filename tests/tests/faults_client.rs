//! Fault injection as real clients see it: one emulator and one run of
//! `clients/faults_client.py` per scenario. Each scenario installs its
//! rules through `POST /_emulator/faults` and checks the client's
//! exception and the journal.

odoo_e2e::client_scenarios!("faults_client.py":
    proxy_502_protocol_error,
    gateway_timeout_reason,
    rate_limited_retry_after,
    response_lost_after_commit,
    reset_before_call,
    hang_until_client_timeout,
    hang_then_connection_closed,
    domain_error_fault_codes,
    serialization_failure_texts,
    odoorpc_serialization_error,
    marshal_none_after_commit,
    session_expired_web,
    result_missing_replies,
    wrong_content_type_body,
    truncated_and_malformed_bodies,
    delay_then_served,
);
