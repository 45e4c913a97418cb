//! Python's `xmlrpc.client` against `/xmlrpc/2` and the legacy `/xmlrpc`
//! routes: one emulator and one run of `clients/xmlrpc_client.py` per
//! scenario.

odoo_e2e::client_scenarios!("xmlrpc_client.py":
    version,
    authenticate_admin,
    authenticate_wrong_password,
    execute_kw_wrong_password,
    uid_not_integer,
    partner_crud,
    deleted_record_access,
    fields_get_attributes,
    required_field_missing,
    unknown_field,
    unknown_model,
    unknown_method,
    positional_args_misuse,
    selection_invalid,
    legacy_string_faults,
    many2one_read,
    empty_values_false,
    datetimes_naive_utc,
    x2many_commands,
    name_get_present,
    private_method_rejected,
    search_count,
    name_search_pairs,
    default_get_values,
    read_group_counts,
    copy_record,
    load_external_ids,
    sale_order_confirm,
);
