"""Drive the server with the odoorpc library (pinned in requirements.txt).

odoorpc 0.10 speaks JSON-RPC: it reads the version from
/web/webclient/version_info, logs in with common.login on /jsonrpc, loads
the user context with res.users.context_get and builds each model class
from fields_get. Expected values are Odoo 17.0's.
"""

import sys

from e2e import CheckFailed, check, check_equal, check_type, run, scenario

try:
    import odoorpc
except ImportError:
    sys.exit(
        "odoorpc is not installed: run `pip install -r tests/requirements.txt` (scripts/test does it)"
    )

ADMIN_UID = 2


def connect(settings):
    odoo = odoorpc.ODOO(settings.host, port=settings.port, timeout=60)
    odoo.login(settings.db, settings.username, settings.password)
    return odoo


@scenario
def login_user(settings):
    odoo = connect(settings)
    # odoorpc takes the version from /web/webclient/version_info, which
    # returns common.version (addons/web/controllers/webclient.py).
    check_equal(odoo.version, "17.0", "server version")
    check_equal(odoo.env.uid, ADMIN_UID, "uid")
    # The admin's name in the demo data is Mitchell Admin.
    check_equal(odoo.env.user.name, "Mitchell Admin", "env.user.name")
    check_equal(odoo.env.user.login, settings.username, "env.user.login")
    # context_get returns the user's language (res.users in
    # odoo/addons/base/models/res_users.py), en_US for the demo admin.
    check_equal(odoo.env.context.get("lang"), "en_US", "context lang")


@scenario
def login_wrong_password(settings):
    odoo = odoorpc.ODOO(settings.host, port=settings.port, timeout=60)
    # common.login returns False for a wrong password, and odoorpc turns
    # that into its own RPCError.
    try:
        odoo.login(settings.db, settings.username, "wrong-password")
    except odoorpc.error.RPCError as error:
        check_equal(str(error), "Wrong login ID or password", "odoorpc error")
        return
    raise CheckFailed("login with a wrong password succeeded")


@scenario
def partner_search_browse(settings):
    odoo = connect(settings)
    Partner = odoo.env["res.partner"]
    belgium_ids = odoo.env["res.country"].search([("code", "=", "BE")])
    check_equal(len(belgium_ids), 1, "countries with code BE")

    partner_id = Partner.create(
        {
            "name": "E2E Odoorpc Ada",
            "email": "ada@odoorpc.example.com",
            "country_id": belgium_ids[0],
        }
    )
    check_type(partner_id, int, "create result")
    found = Partner.search([("email", "=", "ada@odoorpc.example.com")])
    check_equal(found, [partner_id], "search result")

    partner = Partner.browse(partner_id)
    check_equal(partner.name, "E2E Odoorpc Ada", "partner.name")
    # odoorpc reads the many2one and browses the country through it.
    check_equal(partner.country_id.id, belgium_ids[0], "partner.country_id.id")
    check_equal(partner.country_id.name, "Belgium", "partner.country_id.name")
    check_equal(partner.country_id.code, "BE", "partner.country_id.code")
    # An empty many2one browses to an empty record set.
    check(
        not partner.parent_id,
        f"partner.parent_id: expected an empty record set, got {partner.parent_id!r}",
    )
    # An empty char field is False, not None or "" (convert_to_read in
    # odoo/fields.py).
    check(partner.phone is False, f"partner.phone: expected False, got {partner.phone!r}")


@scenario
def partner_write_unlink(settings):
    odoo = connect(settings)
    Partner = odoo.env["res.partner"]
    partner = Partner.browse(Partner.create({"name": "E2E Odoorpc Write"}))

    # Assigning a field writes it at once.
    partner.email = "write@odoorpc.example.com"
    row = Partner.read([partner.id], ["email"])[0]
    check_equal(row["email"], "write@odoorpc.example.com", "email after assignment")

    partner.write({"phone": "+32 2 555 02 02", "function": "Tester"})
    fresh = Partner.browse(partner.id)
    check_equal(fresh.phone, "+32 2 555 02 02", "phone after write")
    check_equal(fresh.function, "Tester", "function after write")

    partner.unlink()
    check_equal(Partner.search([("id", "=", partner.id)]), [], "search after unlink")


@scenario
def partner_name_get(settings):
    odoo = connect(settings)
    Partner = odoo.env["res.partner"]
    partner_id = Partner.create({"name": "E2E Odoorpc Name"})
    # name_get is deprecated in 17.0 but still served, and JSON turns the
    # (id, name) tuples into arrays.
    check_equal(
        Partner.name_get([partner_id]), [[partner_id, "E2E Odoorpc Name"]], "name_get result"
    )


@scenario
def ref_external_id(settings):
    odoo = connect(settings)
    # odoorpc resolves external ids with ir.model.data.check_object_reference
    # on servers from 15.0 on. base.user_admin is the admin user, id 2.
    admin = odoo.env.ref("base.user_admin")
    check_equal(admin.id, ADMIN_UID, "base.user_admin id")
    check_equal(admin.name, "Mitchell Admin", "base.user_admin name")


@scenario
def server_error_raised(settings):
    odoo = connect(settings)
    # A server error reaches odoorpc as RPCError with the JSON-RPC error
    # object as info, and its message is data.message (odoo/http.py
    # serialize_exception).
    try:
        odoo.execute_kw("res.partner", "read", [[1]], {"fields": ["x"]})
    except odoorpc.error.RPCError as error:
        check_equal(str(error), "Invalid field 'x' on model 'res.partner'", "RPCError message")
        check_equal(error.info["code"], 200, "error code")
        check_equal(error.info["data"]["name"], "builtins.ValueError", "error data name")
        return
    raise CheckFailed("reading an unknown field succeeded")


if __name__ == "__main__":
    run()
