"""Drive the three customer profiles, served from one process, with
Python's xmlrpc.client and odoorpc (pinned in requirements.txt).

The databases are acme (Studio fields and a Studio model), globex (an
integration user kept to one company by record rules) and initech (an
in-house module that removed a selection value and made the Tax ID
required). Each is an Odoo 17.0 database as its profile in
fixtures/profiles/ describes it. Every expected value is what Odoo 17.0
returns, and the comment above each check names the part of Odoo that
produces it. File paths are those of the odoo/odoo repository at 17.0.
"""

import sys
import xmlrpc.client

from e2e import CheckFailed, check, check_equal, check_in, check_type, run, scenario

try:
    import odoorpc
except ImportError:
    sys.exit(
        "odoorpc is not installed: run `pip install -r tests/requirements.txt` (scripts/test does it)"
    )

# XML-RPC fault codes of /xmlrpc/2 (xmlrpc_handle_exception_int in
# odoo/addons/base/controllers/rpc.py): 1 is any other exception with the
# traceback as faultString, 2 a UserError or ValidationError, 4 an
# AccessError.
APPLICATION_ERROR = 1
USER_ERROR = 2
ACCESS_ERROR = 4

# Every profile extends the built-in base, whose administrator logs in
# with admin / admin.
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"

# Globex's integration user, its API key and its password
# (restricted-globex.yaml).
GLOBEX_SYNC_LOGIN = "sync@globex.test"
GLOBEX_SYNC_API_KEY = "globex-eu-sync-api-key"
GLOBEX_SYNC_PASSWORD = "globex-sync-password"

# NOT_NULL_VIOLATION_MESSAGE in odoo/service/model.py, which Odoo raises as
# a ValidationError when PostgreSQL rejects a row without a required value.
MANDATORY_FIELD_MESSAGE = (
    "The operation cannot be completed:\n"
    "- Create/update: a mandatory field is not set.\n"
    "- Delete: another model requires the record being deleted. If possible, archive it "
    "instead.\n\n"
    "Model: {model}\n"
    "Field: {field}\n"
)

# IrRule._make_access_error in odoo/addons/base/models/ir_rule.py: the text
# of an AccessError raised by a record rule, without the debug-mode details.
RECORD_RULE_MESSAGE = (
    "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n"
    "Sorry, {user} (id={uid}) doesn't have '{operation}' access to:\n"
    "- {model}\n\n"
    "If you really, really need access, perhaps you can win over your friendly "
    "administrator with a batch of freshly baked cookies."
)


class Database:
    """One database of the server, called over /xmlrpc/2 as one user."""

    def __init__(self, settings, name, login=ADMIN_LOGIN, secret=ADMIN_PASSWORD):
        self.name = name
        self.secret = secret
        common = xmlrpc.client.ServerProxy(f"{settings.url}/xmlrpc/2/common")
        self.models = xmlrpc.client.ServerProxy(f"{settings.url}/xmlrpc/2/object")
        self.uid = common.authenticate(name, login, secret, {})
        check_type(self.uid, int, f"authenticate result for {login} on {name}")

    def execute_kw(self, model, method, args, kwargs=None):
        return self.models.execute_kw(
            self.name, self.uid, self.secret, model, method, args, kwargs or {}
        )

    def find(self, model, domain):
        """Return the one id matching domain, with archived records."""
        ids = self.execute_kw(model, "search", [domain], {"context": {"active_test": False}})
        check_equal(len(ids), 1, f"{model} records matching {domain!r} in {self.name}")
        return ids[0]


def connect_odoorpc(settings, database, login=ADMIN_LOGIN, secret=ADMIN_PASSWORD):
    odoo = odoorpc.ODOO(settings.host, port=settings.port, timeout=60)
    odoo.login(database, login, secret)
    return odoo


def expect_fault(code, call, *args):
    """Run a call that must fail and return its Fault after checking the code."""
    try:
        result = call(*args)
    except xmlrpc.client.Fault as fault:
        if fault.faultCode != code:
            raise CheckFailed(
                f"fault code: expected {code!r}, got {fault.faultCode!r} "
                f"with faultString {fault.faultString!r}"
            ) from None
        return fault
    raise CheckFailed(f"expected a fault with code {code!r}, got the result {result!r}")


def expect_rpc_error(call, *args):
    """Run an odoorpc call that must fail and return its RPCError."""
    try:
        result = call(*args)
    except odoorpc.error.RPCError as error:
        return error
    raise CheckFailed(f"expected an RPCError, got the result {result!r}")


def last_line(traceback_text):
    lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def selection_keys(description):
    return [key for key, _label in description["selection"]]


@scenario
def db_list_names_customers(settings):
    db = xmlrpc.client.ServerProxy(f"{settings.url}/xmlrpc/2/db")
    # list_dbs in odoo/service/db.py selects the databases "order by
    # datname", so the names come sorted.
    check_equal(db.list(), ["acme", "globex", "initech"], "db.list")


@scenario
def acme_segment_required(settings):
    acme = Database(settings, "acme")
    expected = MANDATORY_FIELD_MESSAGE.format(
        model="Contact (res.partner)", field="Segment (x_studio_segment)"
    )
    fault = expect_fault(
        USER_ERROR, acme.execute_kw, "res.partner", "create", [{"name": "E2E Bugs Bunny"}]
    )
    check_equal(fault.faultString, expected, "faultString without the Studio field")

    # JSON-RPC carries the same ValidationError as error.data
    # (serialize_exception in odoo/http.py), and odoorpc raises its message.
    odoo = connect_odoorpc(settings, "acme")
    error = expect_rpc_error(odoo.env["res.partner"].create, {"name": "E2E Bugs Bunny"})
    check_equal(str(error), expected, "odoorpc RPCError message")
    check_equal(error.info["data"]["name"], "odoo.exceptions.ValidationError", "error name")

    created = acme.execute_kw(
        "res.partner", "create", [{"name": "E2E Bugs Bunny", "x_studio_segment": "smb"}]
    )
    check_type(created, int, "create with a segment")


@scenario
def acme_fields_get_studio(settings):
    acme = Database(settings, "acme")
    fields = acme.execute_kw(
        "res.partner",
        "fields_get",
        [["x_studio_segment", "x_studio_delivery_slot_ids"]],
        {"attributes": ["type", "string", "required", "selection", "relation", "manual"]},
    )
    segment = fields["x_studio_segment"]
    # fields_get reports Studio fields as manual (Field.get_description in
    # odoo/fields.py), with the customer's label, keys and required flag.
    check_equal(segment["type"], "selection", "x_studio_segment type")
    check_equal(segment["string"], "Segment", "x_studio_segment string")
    check_equal(segment["required"], True, "x_studio_segment required")
    check_equal(segment["manual"], True, "x_studio_segment manual")
    check_equal(selection_keys(segment), ["smb", "mid", "ent"], "x_studio_segment keys")
    slots = fields["x_studio_delivery_slot_ids"]
    check_equal(slots["type"], "one2many", "x_studio_delivery_slot_ids type")
    check_equal(slots["relation"], "x_delivery.slot", "x_studio_delivery_slot_ids relation")

    # The Studio model is a model like any other for odoorpc, which builds
    # its model classes from fields_get.
    odoo = connect_odoorpc(settings, "acme")
    check_in("x_delivery.slot", odoo.env, "models odoorpc finds in acme")
    slot_fields = odoo.env["x_delivery.slot"].fields_get(attributes=["type"])
    for name, field_type in [
        ("x_name", "char"),
        ("x_studio_partner_id", "many2one"),
        ("x_studio_start", "datetime"),
        ("x_studio_zone", "selection"),
    ]:
        check_in(name, slot_fields, "fields of x_delivery.slot")
        check_equal(slot_fields[name]["type"], field_type, f"x_delivery.slot.{name} type")

    # The same field does not exist in a database without the Studio change.
    globex = Database(settings, "globex")
    other = globex.execute_kw("res.partner", "fields_get", [["x_studio_segment"]], {})
    check_equal(other, {}, "x_studio_segment in globex")


@scenario
def initech_fields_get_module(settings):
    initech = Database(settings, "initech")
    fields = initech.execute_kw(
        "res.partner",
        "fields_get",
        [["type", "vat", "x_credit_tier"]],
        {"attributes": ["string", "required", "selection", "help"]},
    )
    check_equal(fields["vat"]["required"], True, "vat required in initech")
    check_equal(fields["vat"]["string"], "Tax ID", "vat string")
    check_equal(
        selection_keys(fields["type"]), ["contact", "invoice", "delivery"], "type keys in initech"
    )
    check_equal(fields["x_credit_tier"]["required"], True, "x_credit_tier required")
    check_equal(
        selection_keys(fields["x_credit_tier"]),
        ["standard", "watch", "prepay"],
        "x_credit_tier keys",
    )
    check_equal(
        fields["x_credit_tier"]["help"],
        "Set by the credit team. Prepayment-only customers get no payment terms.",
        "x_credit_tier help",
    )

    # The base keeps the fourth address type and an optional Tax ID.
    acme = Database(settings, "acme")
    base_fields = acme.execute_kw(
        "res.partner", "fields_get", [["type", "vat"]], {"attributes": ["required", "selection"]}
    )
    check_equal(
        selection_keys(base_fields["type"]),
        ["contact", "invoice", "delivery", "other"],
        "type keys in acme",
    )
    check_equal(base_fields["vat"]["required"], False, "vat required in acme")


@scenario
def initech_removed_address_type(settings):
    initech = Database(settings, "initech")
    # Selection.convert_to_cache in odoo/fields.py raises "Wrong value for
    # %s: %r" with the field as model.field, an application error whose
    # traceback ends with the ValueError.
    fault = expect_fault(
        APPLICATION_ERROR,
        initech.execute_kw,
        "res.partner",
        "create",
        [{"name": "E2E Penetrode", "vat": "US-99-0000001", "type": "other"}],
    )
    check_equal(
        last_line(fault.faultString),
        "ValueError: Wrong value for res.partner.type: 'other'",
        "last line of the traceback",
    )

    odoo = connect_odoorpc(settings, "initech")
    error = expect_rpc_error(
        odoo.env["res.partner"].create,
        {"name": "E2E Penetrode", "vat": "US-99-0000001", "type": "other"},
    )
    check_equal(str(error), "Wrong value for res.partner.type: 'other'", "odoorpc message")
    check_equal(error.info["data"]["name"], "builtins.ValueError", "error name")

    count = initech.execute_kw("res.partner", "search_count", [[("name", "=", "E2E Penetrode")]])
    check_equal(count, 0, "partners created by the failed calls")
    # Acme did not remove the value, so the same create succeeds there.
    acme = Database(settings, "acme")
    created = acme.execute_kw(
        "res.partner",
        "create",
        [{"name": "E2E Penetrode", "type": "other", "x_studio_segment": "smb"}],
    )
    check_type(created, int, "create with type other in acme")


@scenario
def globex_sync_search_read(settings):
    admin = Database(settings, "globex")
    # API keys replace the password on XML-RPC (res.users._check_credentials
    # in odoo/addons/base/models/res_users.py tries the key on the "rpc"
    # scope), so both log in as the same user.
    sync = Database(settings, "globex", GLOBEX_SYNC_LOGIN, GLOBEX_SYNC_API_KEY)
    with_password = Database(settings, "globex", GLOBEX_SYNC_LOGIN, GLOBEX_SYNC_PASSWORD)
    check_equal(sync.uid, with_password.uid, "uid of the API key login")
    own = sync.execute_kw("res.users", "read", [[sync.uid]], {"fields": ["company_id"]})
    europe = own[0]["company_id"]
    check_equal(europe[1], "Globex Europe", "the sync user's company")

    # Record rules filter search results silently (ir.rule._compute_domain
    # in odoo/addons/base/models/ir_rule.py): the sync user's group rule
    # keeps it to contacts of its company.
    partners = sync.execute_kw(
        "res.partner", "search_read", [[]], {"fields": ["name", "company_id"], "order": "id"}
    )
    names = sorted(partner["name"] for partner in partners)
    check_equal(
        names,
        ["Anna Müller", "Dupont et Fils", "Globex EU Sync", "Müller Maschinenbau GmbH"],
        "partners the sync user finds",
    )
    for partner in partners:
        check_equal(partner["company_id"], europe, f"company of {partner['name']}")
    every_partner = admin.execute_kw("res.partner", "search_count", [[]])
    check(every_partner > len(partners), f"the admin finds only {every_partner} partners")


@scenario
def globex_sync_read_other_company(settings):
    admin = Database(settings, "globex")
    cypress = admin.find("res.partner", [("name", "=", "Cypress Creek Holdings")])
    sync = Database(settings, "globex", GLOBEX_SYNC_LOGIN, GLOBEX_SYNC_API_KEY)
    expected = RECORD_RULE_MESSAGE.format(
        user="Globex EU Sync", uid=sync.uid, operation="read", model="Contact (res.partner)"
    )

    fault = expect_fault(
        ACCESS_ERROR, sync.execute_kw, "res.partner", "read", [[cypress]], {"fields": ["name"]}
    )
    check_equal(fault.faultString, expected, "faultString for a US contact")

    odoo = connect_odoorpc(settings, "globex", GLOBEX_SYNC_LOGIN, GLOBEX_SYNC_API_KEY)
    check_equal(odoo.env.uid, sync.uid, "odoorpc uid of the API key login")
    error = expect_rpc_error(
        odoo.execute_kw, "res.partner", "read", [[cypress]], {"fields": ["name"]}
    )
    check_equal(str(error), expected, "odoorpc RPCError message")
    check_equal(error.info["data"]["name"], "odoo.exceptions.AccessError", "error name")


@scenario
def databases_isolated(settings):
    acme = Database(settings, "acme")
    globex = Database(settings, "globex")
    initech = Database(settings, "initech")
    name = "E2E Isolation Probe"

    # Each database is its own PostgreSQL database in Odoo, so a record
    # created in one is absent from the others.
    acme_id = acme.execute_kw(
        "res.partner", "create", [{"name": name, "x_studio_segment": "ent"}]
    )
    check_equal(
        acme.execute_kw("res.partner", "search", [[("name", "=", name)]]), [acme_id], "acme"
    )
    for other in (globex, initech):
        found = other.execute_kw("res.partner", "search", [[("name", "=", name)]])
        check_equal(found, [], f"{name} in {other.name}")

    odoo = connect_odoorpc(settings, "initech")
    initech_id = odoo.env["res.partner"].create({"name": name, "vat": "US-99-0000002"})
    check_type(initech_id, int, "create in initech")
    check_equal(
        acme.execute_kw("res.partner", "search", [[("name", "=", name)]]),
        [acme_id],
        "acme after the initech create",
    )
    check_equal(
        globex.execute_kw("res.partner", "search_count", [[("name", "=", name)]]), 0, "globex"
    )


if __name__ == "__main__":
    run()
