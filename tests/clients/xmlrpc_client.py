"""Drive the server with Python's own xmlrpc.client, as integrations do.

Every expected value is what Odoo 17.0 returns, and the comment above each
check names the part of Odoo that produces it. File paths are those of the
odoo/odoo repository at 17.0.
"""

import re
import xmlrpc.client

from e2e import (
    CheckFailed,
    check,
    check_equal,
    check_in,
    check_type,
    run,
    scenario,
)

# XML-RPC fault codes of /xmlrpc/2 (odoo/addons/base/controllers/rpc.py).
# 1 is any other exception with the traceback as faultString, 2 a UserError
# (ValidationError and MissingError included), 3 AccessDenied, 4 AccessError.
APPLICATION_ERROR = 1
USER_ERROR = 2
ACCESS_DENIED = 3
ACCESS_ERROR = 4


def missing_record_messages(model, description, record_id):
    """Return the two MissingError texts that Odoo 17.0 gives for a write on
    a deleted record.

    The base ORM rejects the write in check_access_rule (odoo/models.py).
    A database with sale also has the mail module, whose mail.thread
    override of write first reads the tracked fields. That read fails in
    Field.__get__ (odoo/fields.py) with the shorter text.

    NOTE: both paths were read from the code, and no report shows which
    text a 17.0 database with sale returns, so either is accepted.
    """
    return (
        "Record does not exist or has been deleted.\n"
        f"(Record: {model}({record_id},), User: {ADMIN_UID})",
        "One of the records you are trying to modify has already been deleted "
        f"(Document type: {description}).\n\n(Records: [{record_id}], User: {ADMIN_UID})",
    )


# The admin user (base.user_admin) of a fresh database is id 2, because id 1
# is the __system__ user (base.user_root) that base creates first.
ADMIN_UID = 2


class Odoo:
    """The /xmlrpc/2 endpoints plus the logged-in uid."""

    def __init__(self, settings, prefix="/xmlrpc/2"):
        self.settings = settings
        self.common = xmlrpc.client.ServerProxy(f"{settings.url}{prefix}/common")
        self.models = xmlrpc.client.ServerProxy(f"{settings.url}{prefix}/object")
        self.uid = ADMIN_UID

    def execute_kw(self, model, method, args, kwargs=None, password=None):
        return self.models.execute_kw(
            self.settings.db,
            self.uid,
            self.settings.password if password is None else password,
            model,
            method,
            args,
            kwargs or {},
        )

    def partner(self, name, **values):
        return self.execute_kw("res.partner", "create", [{"name": name, **values}])

    def country(self, code):
        ids = self.execute_kw("res.country", "search", [[("code", "=", code)]])
        check_equal(len(ids), 1, f"res.country records with code {code}")
        return ids[0]


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


def last_line(traceback_text):
    lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@scenario
def version(settings):
    odoo = Odoo(settings)
    info = odoo.common.version()
    # RPC_VERSION_1 in odoo/service/common.py, from odoo/release.py at 17.0.
    check_equal(info["server_version"], "17.0", "server_version")
    check_equal(info["server_version_info"], [17, 0, 0, "final", 0, ""], "server_version_info")
    check_equal(info["server_serie"], "17.0", "server_serie")
    check_equal(info["protocol_version"], 1, "protocol_version")


@scenario
def authenticate_admin(settings):
    odoo = Odoo(settings)
    uid = odoo.common.authenticate(settings.db, settings.username, settings.password, {})
    check_type(uid, int, "authenticate result")
    check_equal(uid, ADMIN_UID, "authenticate result")
    # common.login is authenticate without the user agent environment
    # (exp_login in odoo/service/common.py).
    check_equal(
        odoo.common.login(settings.db, settings.username, settings.password),
        ADMIN_UID,
        "login result",
    )


@scenario
def authenticate_wrong_password(settings):
    odoo = Odoo(settings)
    # exp_authenticate catches AccessDenied and returns False, so a client
    # gets a boolean and no fault (odoo/service/common.py).
    uid = odoo.common.authenticate(settings.db, settings.username, "wrong-password", {})
    check(uid is False, f"authenticate with a wrong password: expected False, got {uid!r}")
    uid = odoo.common.login(settings.db, settings.username, "wrong-password")
    check(uid is False, f"login with a wrong password: expected False, got {uid!r}")
    uid = odoo.common.authenticate(settings.db, "nobody@example.com", "admin", {})
    check(uid is False, f"authenticate with an unknown login: expected False, got {uid!r}")


@scenario
def execute_kw_wrong_password(settings):
    odoo = Odoo(settings)
    # odoo/service/model.py checks the password on every call
    # (security.check), and AccessDenied's message is fixed in
    # odoo/exceptions.py.
    fault = expect_fault(
        ACCESS_DENIED, odoo.execute_kw, "res.partner", "search", [[]], {}, "wrong-password"
    )
    check_equal(fault.faultString, "Access Denied", "faultString")


@scenario
def uid_not_integer(settings):
    odoo = Odoo(settings)
    odoo.uid = settings.username
    # odoo/service/model.py dispatch() converts the uid with int(), so a
    # login passed as uid is a ValueError with a traceback.
    fault = expect_fault(APPLICATION_ERROR, odoo.execute_kw, "res.partner", "search", [[]])
    check_equal(
        last_line(fault.faultString),
        f"ValueError: invalid literal for int() with base 10: '{settings.username}'",
        "last line of the traceback",
    )


@scenario
def partner_crud(settings):
    odoo = Odoo(settings)
    # create with one dict returns an id, with a list of dicts a list of ids
    # (_call_kw_model_create in odoo/api.py).
    partner_id = odoo.partner("E2E Ada Lovelace", email="ada@example.com")
    check_type(partner_id, int, "create result")
    more = odoo.execute_kw(
        "res.partner", "create", [[{"name": "E2E Batch One"}, {"name": "E2E Batch Two"}]]
    )
    check_type(more, list, "create result for a list")
    check_equal(len(more), 2, "ids created from a list")

    rows = odoo.execute_kw(
        "res.partner",
        "search_read",
        [[("email", "=", "ada@example.com")]],
        {"fields": ["name", "email"]},
    )
    check_equal(
        rows,
        [{"id": partner_id, "name": "E2E Ada Lovelace", "email": "ada@example.com"}],
        "search_read rows",
    )

    # write returns True (BaseModel.write in odoo/models.py).
    written = odoo.execute_kw(
        "res.partner",
        "write",
        [[partner_id], {"email": "ada@new.example.com", "phone": "+32 2 555 01 01"}],
    )
    check(written is True, f"write result: expected True, got {written!r}")
    rows = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["email", "phone"]})
    check_equal(
        rows,
        [{"id": partner_id, "email": "ada@new.example.com", "phone": "+32 2 555 01 01"}],
        "read after write",
    )

    unlinked = odoo.execute_kw("res.partner", "unlink", [[partner_id]])
    check(unlinked is True, f"unlink result: expected True, got {unlinked!r}")
    found = odoo.execute_kw("res.partner", "search", [[("id", "=", partner_id)]])
    check_equal(found, [], "search after unlink")
    others = odoo.execute_kw("res.partner", "search", [[("id", "in", more)]], {"order": "id"})
    check_equal(others, sorted(more), "partners created from a list")


@scenario
def deleted_record_access(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Deleted Soon")
    odoo.execute_kw("res.partner", "unlink", [[partner_id]])

    # read drops missing records from its result instead of failing
    # (BaseModel._read_format in odoo/models.py).
    rows = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["name"]})
    check_equal(rows, [], "read of a deleted record")

    # write raises MissingError, a UserError.
    fault = expect_fault(
        USER_ERROR, odoo.execute_kw, "res.partner", "write", [[partner_id], {"name": "Back"}]
    )
    check_in(
        fault.faultString,
        missing_record_messages("res.partner", "Contact", partner_id),
        "faultString of a write on a deleted record",
    )

    # A second unlink checks the record rules in Python (check_access_rule
    # calls _filter_access_rules_python in 17.0's odoo/models.py), and the
    # global company rule of res.partner reads company_id of the deleted
    # record, which raises MissingError.
    fault = expect_fault(USER_ERROR, odoo.execute_kw, "res.partner", "unlink", [[partner_id]])
    check_equal(
        fault.faultString,
        "Record does not exist or has been deleted.\n"
        f"(Record: res.partner({partner_id},), User: {ADMIN_UID})",
        "faultString of a second unlink",
    )


@scenario
def fields_get_attributes(settings):
    odoo = Odoo(settings)
    attributes = ["string", "type", "required", "relation"]
    fields = odoo.execute_kw(
        "res.partner", "fields_get", [["name", "country_id", "type"]], {"attributes": attributes}
    )
    check_equal(sorted(fields), ["country_id", "name", "type"], "fields described")
    # Field.get_description in odoo/fields.py keeps only the requested
    # attributes, and a char field has no relation attribute at all.
    check_equal(
        fields["name"], {"string": "Name", "type": "char", "required": False}, "name description"
    )
    check_equal(
        fields["country_id"],
        {"string": "Country", "type": "many2one", "required": False, "relation": "res.country"},
        "country_id description",
    )
    # The labels come from odoo/addons/base/models/res_partner.py.
    check_equal(
        fields["type"],
        {"string": "Address Type", "type": "selection", "required": False},
        "type description",
    )

    selection = odoo.execute_kw(
        "res.partner", "fields_get", [["type"]], {"attributes": ["selection"]}
    )
    check_in(["contact", "Contact"], selection["type"]["selection"], "type selection")
    check_in(["invoice", "Invoice Address"], selection["type"]["selection"], "type selection")
    check_in(["delivery", "Delivery Address"], selection["type"]["selection"], "type selection")


@scenario
def required_field_missing(settings):
    odoo = Odoo(settings)
    # res.partner has the SQL constraint check_name "Contacts require a
    # name" (odoo/addons/base/models/res_partner.py). odoo/service/model.py
    # turns the IntegrityError into a ValidationError with this prefix.
    fault = expect_fault(
        USER_ERROR, odoo.execute_kw, "res.partner", "create", [{"email": "nameless@example.com"}]
    )
    check_equal(
        fault.faultString,
        "The operation cannot be completed: Contacts require a name",
        "faultString",
    )
    # The call is one transaction, so nothing was created.
    count = odoo.execute_kw(
        "res.partner", "search_count", [[("email", "=", "nameless@example.com")]]
    )
    check_equal(count, 0, "partners created by the failed call")

    # A NOT NULL column gives the longer template of _as_validation_error
    # in odoo/service/model.py, with the model and field names.
    fault = expect_fault(
        USER_ERROR, odoo.execute_kw, "res.partner.category", "create", [{"color": 3}]
    )
    expected_start = (
        "The operation cannot be completed:\n"
        "- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted. If possible, archive it instead.\n"
        "\n"
        "Model: Partner Tags (res.partner.category)\n"
        "Field: "
    )
    check(
        fault.faultString.startswith(expected_start),
        f"faultString: expected to start with {expected_start!r}, got {fault.faultString!r}",
    )
    # NOTE: the label of res.partner.category.name in 17.0 ("Tag Name" in
    # older releases, "Name" in 18.0) is not pinned, only its technical name.
    check(
        fault.faultString.rstrip("\n").endswith(" (name)"),
        f"faultString: expected the field line to end with ' (name)', got {fault.faultString!r}",
    )


@scenario
def unknown_field(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Field Check")
    expected = "ValueError: Invalid field 'x' on model 'res.partner'"
    # read, write and create reject unknown field names with the same
    # ValueError (odoo/models.py), a fault with the traceback.
    fault = expect_fault(
        APPLICATION_ERROR, odoo.execute_kw, "res.partner", "read", [[partner_id], ["x"]]
    )
    check_equal(last_line(fault.faultString), expected, "read: last line of the traceback")
    fault = expect_fault(
        APPLICATION_ERROR, odoo.execute_kw, "res.partner", "write", [[partner_id], {"x": 1}]
    )
    check_equal(last_line(fault.faultString), expected, "write: last line of the traceback")
    fault = expect_fault(
        APPLICATION_ERROR, odoo.execute_kw, "res.partner", "create", [{"name": "E2E", "x": 1}]
    )
    check_equal(last_line(fault.faultString), expected, "create: last line of the traceback")
    check_in("Traceback (most recent call last):", fault.faultString, "faultString")


@scenario
def negative_limit(settings):
    odoo = Odoo(settings)
    # Odoo's Query.select (odoo/tools/query.py) adds "LIMIT -1" and
    # "OFFSET -1" to the SQL, and PostgreSQL rejects them when the query
    # runs, OFFSET first. psycopg2's exception reaches the client unchanged,
    # a fault with the traceback.
    fault = expect_fault(
        APPLICATION_ERROR, odoo.execute_kw, "res.partner", "search", [[]], {"limit": -1}
    )
    check_equal(
        last_line(fault.faultString),
        "psycopg2.errors.InvalidRowCountInLimitClause: LIMIT must not be negative",
        "search with limit=-1: last line of the traceback",
    )

    fault = expect_fault(
        APPLICATION_ERROR,
        odoo.execute_kw,
        "res.partner",
        "search_read",
        [[]],
        {"offset": -1, "limit": -1},
    )
    check_equal(
        last_line(fault.faultString),
        "psycopg2.errors.InvalidRowCountInResultOffsetClause: OFFSET must not be negative",
        "search_read with offset=-1: last line of the traceback",
    )

    # A domain that expression.is_false finds false returns before the query
    # is built (BaseModel._search in odoo/models.py).
    found = odoo.execute_kw("res.partner", "search", [[["id", "in", []]]], {"limit": -1})
    check_equal(found, [], "search of id in [] with limit=-1")


@scenario
def unknown_model(settings):
    odoo = Odoo(settings)
    # execute_cr in odoo/service/model.py raises a UserError before any
    # method runs, so raise_exception=False cannot hide it.
    fault = expect_fault(USER_ERROR, odoo.execute_kw, "res.parter", "search", [[]])
    check_equal(fault.faultString, "Object res.parter doesn't exist", "faultString")
    fault = expect_fault(
        USER_ERROR,
        odoo.execute_kw,
        "res.parter",
        "check_access_rights",
        ["read"],
        {"raise_exception": False},
    )
    check_equal(fault.faultString, "Object res.parter doesn't exist", "faultString")


@scenario
def unknown_method(settings):
    odoo = Odoo(settings)
    # odoo.api.call_kw looks the method up on the model class, so a missing
    # one is an AttributeError with a traceback that names it.
    fault = expect_fault(APPLICATION_ERROR, odoo.execute_kw, "res.partner", "frobnicate", [[]])
    check(
        last_line(fault.faultString).startswith("AttributeError: "),
        f"last line of the traceback: {last_line(fault.faultString)!r}",
    )
    check_in("frobnicate", last_line(fault.faultString), "last line of the traceback")


@scenario
def positional_args_misuse(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Positional")
    # _call_kw_multi in odoo/api.py takes args[0] as the ids and passes
    # the rest on, so a second positional list lands in `fields` and clashes
    # with the keyword argument, which Python reports as a TypeError.
    fault = expect_fault(
        APPLICATION_ERROR,
        odoo.execute_kw,
        "res.partner",
        "read",
        [[partner_id], ["name"]],
        {"fields": ["name"]},
    )
    line = last_line(fault.faultString)
    check(line.startswith("TypeError: "), f"last line of the traceback: {line!r}")
    check(
        line.endswith("read() got multiple values for argument 'fields'"),
        f"last line of the traceback: {line!r}",
    )


@scenario
def selection_invalid(settings):
    odoo = Odoo(settings)
    # Selection.convert_to_cache in odoo/fields.py: "Wrong value for %s: %r"
    # with the field as model.field.
    fault = expect_fault(
        APPLICATION_ERROR,
        odoo.execute_kw,
        "res.partner",
        "create",
        [{"name": "E2E Bad Type", "type": "bogus"}],
    )
    check_equal(
        last_line(fault.faultString),
        "ValueError: Wrong value for res.partner.type: 'bogus'",
        "last line of the traceback",
    )
    count = odoo.execute_kw("res.partner", "search_count", [[("name", "=", "E2E Bad Type")]])
    check_equal(count, 0, "partners created by the failed call")


@scenario
def legacy_string_faults(settings):
    odoo = Odoo(settings)
    legacy = Odoo(settings, prefix="/xmlrpc")
    check_equal(legacy.common.version(), odoo.common.version(), "legacy common.version")

    # xmlrpc_handle_exception_string in odoo/addons/base/controllers/rpc.py:
    # the faultCode is a string, and for Odoo's own exceptions it carries the
    # message while faultString is empty.
    fault = expect_fault(
        "AccessDenied", legacy.execute_kw, "res.partner", "search", [[]], {}, "wrong-password"
    )
    check_equal(fault.faultString, "Access Denied", "AccessDenied faultString")

    fault = expect_fault(
        "warning -- UserError\n\nObject res.parter doesn't exist",
        legacy.execute_kw,
        "res.parter",
        "search",
        [[]],
    )
    check_equal(fault.faultString, "", "UserError faultString")

    fault = expect_fault(
        "warning -- AccessError\n\nPrivate methods (such as _search) cannot be called remotely.",
        legacy.execute_kw,
        "res.partner",
        "_search",
        [[]],
    )
    check_equal(fault.faultString, "", "AccessError faultString")

    partner_id = odoo.partner("E2E Legacy")
    odoo.execute_kw("res.partner", "unlink", [[partner_id]])
    try:
        legacy.execute_kw("res.partner", "write", [[partner_id], {"name": "Back"}])
        raise CheckFailed("write on a deleted record over /xmlrpc/object did not fault")
    except xmlrpc.client.Fault as fault:
        check_type(fault.faultCode, str, "MissingError faultCode")
        expected = tuple(
            f"warning -- MissingError\n\n{message}"
            for message in missing_record_messages("res.partner", "Contact", partner_id)
        )
        check(
            fault.faultCode in expected,
            f"MissingError faultCode: expected one of {expected!r}, got {fault.faultCode!r}",
        )

    # Other exceptions: the faultCode is the message and the faultString the
    # traceback.
    fault = expect_fault(
        "Invalid field 'x' on model 'res.partner'",
        legacy.execute_kw,
        "res.partner",
        "search_read",
        [[]],
        {"fields": ["x"]},
    )
    check_in("Traceback (most recent call last):", fault.faultString, "ValueError faultString")


@scenario
def many2one_read(settings):
    odoo = Odoo(settings)
    belgium = odoo.country("BE")
    partner_id = odoo.partner("E2E Many2one", country_id=belgium)
    # A many2one reads as [id, display_name] (Many2one.convert_to_read in
    # odoo/fields.py). XML-RPC turns the tuple into an array.
    row = odoo.execute_kw(
        "res.partner", "read", [[partner_id]], {"fields": ["country_id", "create_uid"]}
    )[0]
    check_equal(row["country_id"], [belgium, "Belgium"], "country_id")
    # The admin's name in the demo data is Mitchell Admin.
    check_equal(row["create_uid"], [ADMIN_UID, "Mitchell Admin"], "create_uid")

    # Any other load than the default '_classic_read' leaves the bare id
    # (BaseModel._read_format in odoo/models.py). odoorpc relies on it.
    row = odoo.execute_kw(
        "res.partner", "read", [[partner_id]], {"fields": ["country_id"], "load": "_classic_write"}
    )[0]
    check_equal(row["country_id"], belgium, "country_id with load='_classic_write'")

    rows = odoo.execute_kw(
        "res.partner",
        "search_read",
        [[("country_id.code", "=", "BE"), ("id", "=", partner_id)]],
        {"fields": ["country_id"]},
    )
    check_equal(
        rows,
        [{"id": partner_id, "country_id": [belgium, "Belgium"]}],
        "search_read through a dotted path",
    )


@scenario
def empty_values_false(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Empty")
    fields = [
        "email",
        "phone",
        "mobile",
        "comment",
        "date",
        "parent_id",
        "country_id",
        "category_id",
        "child_ids",
        "color",
        "partner_latitude",
    ]
    row = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": fields})[0]
    # Empty scalars, dates and many2ones read as False, integers as 0,
    # floats as 0.0 and x2many fields as [] (convert_to_read in
    # odoo/fields.py).
    for name in ["email", "phone", "mobile", "comment", "date", "parent_id", "country_id"]:
        check(row[name] is False, f"{name}: expected False, got {row[name]!r}")
    check_equal(row["category_id"], [], "category_id")
    check_equal(row["child_ids"], [], "child_ids")
    check_type(row["color"], int, "color")
    check_equal(row["color"], 0, "color")
    check_type(row["partner_latitude"], float, "partner_latitude")
    check_equal(row["partner_latitude"], 0.0, "partner_latitude")


@scenario
def datetimes_naive_utc(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Dates")
    pattern = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    plain = odoo.execute_kw(
        "res.partner", "read", [[partner_id]], {"fields": ["create_date", "write_date"]}
    )[0]
    # Datetimes are UTC strings without an offset, in Odoo's server format
    # "%Y-%m-%d %H:%M:%S", and the tz of the context does not convert them.
    for name in ["create_date", "write_date"]:
        check_type(plain[name], str, name)
        check(
            pattern.match(plain[name]),
            f"{name}: expected 'YYYY-MM-DD HH:MM:SS', got {plain[name]!r}",
        )
    shanghai = odoo.execute_kw(
        "res.partner",
        "read",
        [[partner_id]],
        {"fields": ["create_date", "write_date"], "context": {"tz": "Asia/Shanghai"}},
    )[0]
    check_equal(shanghai, plain, "read with tz=Asia/Shanghai")


@scenario
def x2many_commands(settings):
    odoo = Odoo(settings)
    # Command triples from odoo/fields.py (Command): (0, 0, vals) creates,
    # (4, id, 0) links, (3, id, 0) unlinks, (6, 0, ids) replaces, (5, 0, 0)
    # clears and (2, id, 0) deletes the target record.
    partner_id = odoo.partner("E2E Commands", category_id=[(0, 0, {"name": "E2E Tag A"})])
    tag_a = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["category_id"]})[0][
        "category_id"
    ]
    check_equal(len(tag_a), 1, "tags after (0, 0, vals)")
    tag_a = tag_a[0]
    tag_b = odoo.execute_kw("res.partner.category", "create", [{"name": "E2E Tag B"}])

    def tags():
        return sorted(
            odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["category_id"]})[0][
                "category_id"
            ]
        )

    odoo.execute_kw("res.partner", "write", [[partner_id], {"category_id": [(4, tag_b, 0)]}])
    check_equal(tags(), sorted([tag_a, tag_b]), "tags after (4, id, 0)")
    odoo.execute_kw("res.partner", "write", [[partner_id], {"category_id": [(3, tag_a, 0)]}])
    check_equal(tags(), [tag_b], "tags after (3, id, 0)")
    still_there = odoo.execute_kw("res.partner.category", "search_count", [[("id", "=", tag_a)]])
    check_equal(still_there, 1, "tag records left after (3, id, 0)")
    odoo.execute_kw(
        "res.partner", "write", [[partner_id], {"category_id": [(6, 0, [tag_a, tag_b])]}]
    )
    check_equal(tags(), sorted([tag_a, tag_b]), "tags after (6, 0, ids)")
    odoo.execute_kw("res.partner", "write", [[partner_id], {"category_id": [(5, 0, 0)]}])
    check_equal(tags(), [], "tags after (5, 0, 0)")

    # A plain list of ids replaces the set like (6, 0, ids), and a value that
    # is neither is a ValueError (_RelationalMulti.write_batch in
    # odoo/fields.py, which formats the value with %s).
    odoo.execute_kw("res.partner", "write", [[partner_id], {"category_id": [tag_b]}])
    check_equal(tags(), [tag_b], "tags after a plain list of ids")
    fault = expect_fault(
        APPLICATION_ERROR,
        odoo.execute_kw,
        "res.partner",
        "write",
        [[partner_id], {"category_id": f"{tag_a},{tag_b}"}],
    )
    check_equal(
        last_line(fault.faultString),
        f"ValueError: Wrong value for res.partner.category_id: {tag_a},{tag_b}",
        "last line of the traceback",
    )
    check_equal(tags(), [tag_b], "tags after the rejected write")

    odoo.execute_kw(
        "res.partner", "write", [[partner_id], {"child_ids": [(0, 0, {"name": "E2E Child"})]}]
    )
    children = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["child_ids"]})[0][
        "child_ids"
    ]
    check_equal(len(children), 1, "children after (0, 0, vals)")
    child = odoo.execute_kw("res.partner", "read", [children], {"fields": ["parent_id"]})[0]
    check_equal(child["parent_id"], [partner_id, "E2E Commands"], "parent_id of the new child")
    odoo.execute_kw("res.partner", "write", [[partner_id], {"child_ids": [(2, children[0], 0)]}])
    left = odoo.execute_kw("res.partner", "search_count", [[("id", "=", children[0])]])
    check_equal(left, 0, "child records left after (2, id, 0)")


@scenario
def name_get_present(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Name Get")
    # name_get is deprecated in 17.0 but still served. It returns
    # (id, display_name) pairs, which XML-RPC sends as arrays.
    pairs = odoo.execute_kw("res.partner", "name_get", [[partner_id]])
    check_equal(pairs, [[partner_id, "E2E Name Get"]], "name_get result")
    rows = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["display_name"]})
    check_equal(rows, [{"id": partner_id, "display_name": "E2E Name Get"}], "display_name")


@scenario
def private_method_rejected(settings):
    odoo = Odoo(settings)
    # check_method_name in odoo/models.py rejects names matching
    # ^(_.*|init)$ with an AccessError before the model is looked up.
    for method in ["_search", "init"]:
        fault = expect_fault(ACCESS_ERROR, odoo.execute_kw, "res.partner", method, [[]])
        check_equal(
            fault.faultString,
            f"Private methods (such as {method}) cannot be called remotely.",
            f"faultString for {method}",
        )


@scenario
def none_result_fault(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Toggle")
    # toggle_active returns None (odoo/models.py). The method commits first,
    # then the XML-RPC marshaller, created with allow_none=False in
    # odoo/addons/base/controllers/rpc.py, fails on the result.
    fault = expect_fault(
        APPLICATION_ERROR, odoo.execute_kw, "res.partner", "toggle_active", [[partner_id]]
    )
    check_equal(
        last_line(fault.faultString),
        "TypeError: cannot marshal None unless allow_none is enabled",
        "last line of the traceback",
    )
    active = odoo.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["active"]})[0][
        "active"
    ]
    check(
        active is False, f"active after the faulted toggle_active: expected False, got {active!r}"
    )


@scenario
def int_keys_fault(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E External Id")
    # get_external_id returns a dict keyed by record id, and Python's XML-RPC
    # marshaller only accepts string keys.
    fault = expect_fault(
        APPLICATION_ERROR, odoo.execute_kw, "res.partner", "get_external_id", [[partner_id]]
    )
    check_equal(
        last_line(fault.faultString),
        "TypeError: dictionary key must be string",
        "last line of the traceback",
    )


@scenario
def invalid_company_rejected(settings):
    odoo = Odoo(settings)
    # Environment.company in odoo/api.py rejects allowed_company_ids that are
    # not among the user's companies, and the record rules of res.partner
    # read the companies on every search.
    fault = expect_fault(
        ACCESS_ERROR,
        odoo.execute_kw,
        "res.partner",
        "search",
        [[]],
        {"context": {"allowed_company_ids": [999999]}},
    )
    check_equal(fault.faultString, "Access to unauthorized or invalid companies.", "faultString")


@scenario
def portal_rules_acl(settings):
    odoo = Odoo(settings)
    # Odoo's demo data has a portal user with login and password "portal".
    portal_uid = odoo.common.authenticate(settings.db, "portal", "portal", {})
    check_type(portal_uid, int, "authenticate result for the portal user")
    admin_partner = odoo.execute_kw("res.users", "read", [[ADMIN_UID], ["partner_id"]])[0][
        "partner_id"
    ][0]
    portal_partner = odoo.execute_kw("res.users", "read", [[portal_uid], ["partner_id"]])[0][
        "partner_id"
    ][0]
    portal = Odoo(settings)
    portal.uid = portal_uid

    def as_portal(model, method, args, kwargs=None):
        return portal.execute_kw(model, method, args, kwargs, password="portal")

    # The rule base.res_partner_portal_public_rule limits portal users to
    # their own commercial partner, so search shrinks without an error.
    visible = as_portal("res.partner", "search", [[]])
    check_in(portal_partner, visible, "partners a portal user finds")
    check(admin_partner not in visible, f"a portal user finds the admin's partner: {visible!r}")

    # Reading a hidden record directly raises the record-rule AccessError.
    # Users outside base.group_user get the message without the rule names
    # (ir.rule._make_access_error in 17.0's odoo/addons/base/models/ir_rule.py).
    fault = expect_fault(
        ACCESS_ERROR, as_portal, "res.partner", "read", [[admin_partner], ["name"]]
    )
    check_equal(
        fault.faultString,
        "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\n"
        f"Sorry, Joel Willis (id={portal_uid}) doesn't have 'read' access to:\n"
        "- Contact (res.partner)\n\n"
        "If you really, really need access, perhaps you can win over your friendly "
        "administrator with a batch of freshly baked cookies.",
        "faultString for a hidden record",
    )

    # No access row lets a portal user create tags: the model ACL error
    # (ir.model.access in odoo/addons/base/models/ir_model.py).
    fault = expect_fault(
        ACCESS_ERROR, as_portal, "res.partner.category", "create", [{"name": "E2E"}]
    )
    check(
        fault.faultString.startswith(
            "You are not allowed to create 'Partner Tags' (res.partner.category) records.\n\n"
        ),
        f"faultString for a denied create: {fault.faultString!r}",
    )
    check(
        fault.faultString.endswith("Contact your administrator to request access if necessary."),
        f"faultString for a denied create: {fault.faultString!r}",
    )


@scenario
def access_rights_admin(settings):
    odoo = Odoo(settings)
    # check_access_rights is public in 17.0 and returns True when allowed.
    for operation in ["read", "write", "create", "unlink"]:
        allowed = odoo.execute_kw(
            "res.partner", "check_access_rights", [operation], {"raise_exception": False}
        )
        check(
            allowed is True, f"check_access_rights({operation!r}): expected True, got {allowed!r}"
        )


@scenario
def search_count(settings):
    odoo = Odoo(settings)
    for name in ["E2E Count One", "E2E Count Two", "E2E Count Three"]:
        odoo.partner(name, ref="e2e-count")
    count = odoo.execute_kw("res.partner", "search_count", [[("ref", "=", "e2e-count")]])
    check_type(count, int, "search_count result")
    check_equal(count, 3, "search_count result")
    # execute takes the method's positional arguments directly.
    count = odoo.models.execute(
        settings.db,
        odoo.uid,
        settings.password,
        "res.partner",
        "search_count",
        [("ref", "=", "e2e-count")],
    )
    check_equal(count, 3, "search_count through execute")
    ids = odoo.execute_kw(
        "res.partner",
        "search",
        [[("ref", "=", "e2e-count")]],
        {"limit": 2, "offset": 1, "order": "id"},
    )
    check_equal(len(ids), 2, "search with limit 2 and offset 1")


@scenario
def name_search_pairs(settings):
    odoo = Odoo(settings)
    partner_id = odoo.partner("E2E Unique Searchable")
    # name_search returns (id, display_name) pairs.
    pairs = odoo.execute_kw("res.partner", "name_search", ["E2E Unique Searchable"])
    check_equal(pairs, [[partner_id, "E2E Unique Searchable"]], "name_search result")
    pairs = odoo.execute_kw(
        "res.partner", "name_search", [], {"name": "unique searchable", "limit": 5}
    )
    check_equal(
        pairs, [[partner_id, "E2E Unique Searchable"]], "name_search with the default ilike"
    )
    # name_create returns one such pair for the new record.
    created = odoo.execute_kw("res.partner", "name_create", ["E2E Name Create"])
    check_type(created, list, "name_create result")
    check_equal(created[1], "E2E Name Create", "name_create display name")
    check_type(created[0], int, "name_create id")


@scenario
def default_get_values(settings):
    odoo = Odoo(settings)
    # Field defaults of res.partner in odoo/addons/base/models/res_partner.py:
    # type='contact', active=True.
    defaults = odoo.execute_kw("res.partner", "default_get", [["type", "active"]])
    check_equal(defaults, {"type": "contact", "active": True}, "default_get result")


@scenario
def read_group_counts(settings):
    odoo = Odoo(settings)
    belgium = odoo.country("BE")
    united_states = odoo.country("US")
    odoo.partner("E2E Group One", ref="e2e-group", country_id=belgium)
    odoo.partner("E2E Group Two", ref="e2e-group", country_id=belgium)
    odoo.partner("E2E Group Three", ref="e2e-group", country_id=united_states)
    groups = odoo.execute_kw(
        "res.partner", "read_group", [[("ref", "=", "e2e-group")], ["country_id"], ["country_id"]]
    )
    # With lazy grouping, each group carries the many2one value as
    # [id, name], a <groupby>_count and its __domain (odoo/models.py).
    check_equal(len(groups), 2, "groups")
    by_country = {}
    for group in groups:
        check_in("__domain", group, "group keys")
        check_in("country_id_count", group, "group keys")
        by_country[tuple(group["country_id"])] = group["country_id_count"]
    check_equal(
        by_country,
        {(belgium, "Belgium"): 2, (united_states, "United States"): 1},
        "counts by country",
    )


@scenario
def copy_record(settings):
    odoo = Odoo(settings)
    source = odoo.partner("E2E Copy Source", email="copy@example.com")
    # copy returns the new id, and res.partner names the copy "<name> (copy)"
    # (Partner.copy in odoo/addons/base/models/res_partner.py).
    copy_id = odoo.execute_kw("res.partner", "copy", [source])
    check_type(copy_id, int, "copy result")
    check(copy_id != source, "copy returned the source id")
    row = odoo.execute_kw("res.partner", "read", [[copy_id]], {"fields": ["name", "email"]})[0]
    check_equal(row["name"], "E2E Copy Source (copy)", "name of the copy")
    check_equal(row["email"], "copy@example.com", "email of the copy")


@scenario
def load_external_ids(settings):
    odoo = Odoo(settings)
    fields = ["id", "name", "email"]
    rows = [
        ["e2e_load_ada", "E2E Load Ada", "ada@load.example.com"],
        ["e2e_load_bob", "E2E Load Bob", "bob@load.example.com"],
    ]
    # load returns ids, messages and nextrow (BaseModel.load in
    # odoo/models.py), and nextrow is 0 once every row was read.
    result = odoo.execute_kw("res.partner", "load", [fields, rows])
    check_equal(result["messages"], [], "load messages")
    check_equal(result["nextrow"], 0, "load nextrow")
    check_equal(len(result["ids"]), 2, "load ids")
    first_ids = result["ids"]

    # The same external ids update the same records: an upsert.
    rows[0][2] = "ada@updated.example.com"
    result = odoo.execute_kw("res.partner", "load", [fields, rows])
    check_equal(result["messages"], [], "second load messages")
    check_equal(result["ids"], first_ids, "ids of the second load")
    email = odoo.execute_kw("res.partner", "read", [[first_ids[0]]], {"fields": ["email"]})[0][
        "email"
    ]
    check_equal(email, "ada@updated.example.com", "email after the second load")
    count = odoo.execute_kw("res.partner", "search_count", [[("name", "=", "E2E Load Ada")]])
    check_equal(count, 1, "partners named E2E Load Ada")

    # An external id without a module gets the __import__ module.
    data = odoo.execute_kw(
        "ir.model.data",
        "search_read",
        [[("module", "=", "__import__"), ("name", "=", "e2e_load_ada")]],
        {"fields": ["model", "res_id"]},
    )
    check_equal(len(data), 1, "ir.model.data rows for __import__.e2e_load_ada")
    check_equal(data[0]["model"], "res.partner", "ir.model.data model")
    check_equal(data[0]["res_id"], first_ids[0], "ir.model.data res_id")


@scenario
def sale_order_confirm(settings):
    odoo = Odoo(settings)
    customer = odoo.partner("E2E Customer")
    order_id = odoo.execute_kw("sale.order", "create", [{"partner_id": customer}])
    order = odoo.execute_kw(
        "sale.order",
        "read",
        [[order_id]],
        {"fields": ["name", "state", "date_order", "partner_id"]},
    )[0]
    check_equal(order["state"], "draft", "state of a new order")
    # The sale module's sale.order sequence has prefix S and padding 5, which
    # gives references such as S00042.
    check(
        re.match(r"^S\d{5}$", order["name"]),
        f"order name: expected S followed by 5 digits, got {order['name']!r}",
    )
    check(
        re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", order["date_order"]),
        f"date_order: {order['date_order']!r}",
    )
    check_equal(order["partner_id"], [customer, "E2E Customer"], "partner_id")

    # action_confirm returns True and moves the order to state 'sale'
    # (addons/sale/models/sale_order.py).
    confirmed = odoo.execute_kw("sale.order", "action_confirm", [[order_id]])
    check(confirmed is True, f"action_confirm result: expected True, got {confirmed!r}")
    state = odoo.execute_kw("sale.order", "read", [[order_id]], {"fields": ["state"]})[0]["state"]
    check_equal(state, "sale", "state after action_confirm")

    # Only draft and sent orders can be confirmed (_can_be_confirmed), so a
    # second confirmation is a UserError that lists the orders by display
    # name. Later releases word it "Some orders are not in a state requiring
    # confirmation." instead.
    fault = expect_fault(USER_ERROR, odoo.execute_kw, "sale.order", "action_confirm", [[order_id]])
    check_equal(
        fault.faultString,
        f"The following orders are not in a state requiring confirmation: {order['name']}",
        "faultString",
    )


if __name__ == "__main__":
    run()
