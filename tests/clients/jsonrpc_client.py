"""Drive the server with raw JSON-RPC over urllib, on both the stateless
/jsonrpc route and the session routes (/web/session/authenticate then
/web/dataset/call_kw with the session_id cookie).

Expected values are Odoo 17.0's. odoo/http.py (JsonRPCDispatcher) sends
every JSON-RPC error with HTTP status 200 and an error object
{code, message, data: {name, debug, message, arguments, context}}: code 200
"Odoo Server Error" for exceptions, 100 "Odoo Session Expired" for a missing
or expired session, and 404 "404: Not Found" for unknown routes.
"""

import http.cookiejar
import json
import urllib.error
import urllib.request

from e2e import CheckFailed, check, check_equal, check_in, check_type, run, scenario

ADMIN_UID = 2


class Client:
    """A JSON-RPC client with a cookie jar, like a browser session."""

    def __init__(self, settings):
        self.settings = settings
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.next_id = 1

    def post(self, path, params, request_id=None):
        """POST a JSON-RPC call and return (HTTP status, decoded body)."""
        if request_id is None:
            request_id = self.next_id
            self.next_id += 1
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "call", "params": params, "id": request_id}
        ).encode()
        request = urllib.request.Request(
            self.settings.url + path, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise CheckFailed(f"POST {path}: HTTP {error.code} {error.read()[:500]!r}") from None

    def result(self, path, params):
        status, reply = self.post(path, params)
        check_equal(status, 200, f"HTTP status of {path}")
        if "error" in reply:
            raise CheckFailed(f"POST {path}: unexpected error {json.dumps(reply['error'])[:2000]}")
        return reply["result"]

    def error(self, path, params, echoes_id=True):
        """POST a call that must fail and return its error object.

        The reply carries the request id when the failure happened after
        the body was parsed, and null when it happened before (echoes_id).
        """
        request_id = self.next_id
        status, reply = self.post(path, params, request_id)
        check_equal(status, 200, f"HTTP status of an error from {path}")
        check_equal(reply.get("jsonrpc"), "2.0", "jsonrpc member")
        check_in("id", reply, "reply members")
        check_equal(reply["id"], request_id if echoes_id else None, "id member")
        check("result" not in reply, f"an error reply with a result: {reply!r}")
        check_in("error", reply, "reply members")
        return reply["error"]

    def execute_kw(self, model, method, args, kwargs=None, password=None):
        return self.result(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.settings.db,
                    ADMIN_UID,
                    self.settings.password if password is None else password,
                    model,
                    method,
                    args,
                    kwargs or {},
                ],
            },
        )

    def login(self):
        return self.result(
            "/web/session/authenticate",
            {
                "db": self.settings.db,
                "login": self.settings.username,
                "password": self.settings.password,
            },
        )

    def session_id(self):
        return next((cookie.value for cookie in self.cookies if cookie.name == "session_id"), None)

    def call_kw(self, model, method, args, kwargs=None):
        return self.result(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )


def check_error_shape(error, code, message, name):
    check_equal(error.get("code"), code, "error code")
    check_equal(error.get("message"), message, "error message")
    data = error.get("data")
    check_type(data, dict, "error data")
    check_equal(data.get("name"), name, "error data name")
    for member in ["debug", "message", "arguments", "context"]:
        check_in(member, data, "error data members")
    check_type(data["arguments"], list, "error data arguments")
    check_type(data["context"], dict, "error data context")
    return data


@scenario
def jsonrpc_version(settings):
    client = Client(settings)
    info = client.result("/jsonrpc", {"service": "common", "method": "version", "args": []})
    # RPC_VERSION_1 in odoo/service/common.py. JSON keeps the tuple as a list.
    check_equal(info["server_version"], "17.0", "server_version")
    check_equal(info["server_version_info"], [17, 0, 0, "final", 0, ""], "server_version_info")
    check_equal(info["protocol_version"], 1, "protocol_version")
    # /web/webclient/version_info returns the same dictionary
    # (addons/web/controllers/webclient.py).
    check_equal(client.result("/web/webclient/version_info", {}), info, "version_info")


@scenario
def jsonrpc_database_list(settings):
    client = Client(settings)
    databases = client.result("/jsonrpc", {"service": "db", "method": "list", "args": []})
    check_in(settings.db, databases, "db.list")
    # /web/database/list returns http.db_list(), the same list
    # (addons/web/controllers/database.py), without a session.
    check_equal(client.result("/web/database/list", {}), databases, "/web/database/list")


@scenario
def jsonrpc_authenticate(settings):
    client = Client(settings)
    uid = client.result(
        "/jsonrpc",
        {
            "service": "common",
            "method": "authenticate",
            "args": [settings.db, settings.username, settings.password, {}],
        },
    )
    check_equal(uid, ADMIN_UID, "authenticate result")
    # A wrong password is a False result, not an error (odoo/service/common.py).
    uid = client.result(
        "/jsonrpc",
        {
            "service": "common",
            "method": "authenticate",
            "args": [settings.db, settings.username, "wrong-password", {}],
        },
    )
    check(uid is False, f"authenticate with a wrong password: expected false, got {uid!r}")


@scenario
def jsonrpc_crud(settings):
    client = Client(settings)
    partner_id = client.execute_kw(
        "res.partner", "create", [{"name": "E2E Json Ada", "email": "ada@json.example.com"}]
    )
    check_type(partner_id, int, "create result")
    rows = client.execute_kw(
        "res.partner",
        "search_read",
        [[["email", "=", "ada@json.example.com"]]],
        {"fields": ["name", "parent_id"]},
    )
    # Empty values are false in JSON too, never null (odoo/fields.py).
    check_equal(
        rows, [{"id": partner_id, "name": "E2E Json Ada", "parent_id": False}], "search_read rows"
    )
    check(
        client.execute_kw("res.partner", "write", [[partner_id], {"phone": "+32 2 555 03 03"}])
        is True,
        "write result",
    )
    check(client.execute_kw("res.partner", "unlink", [[partner_id]]) is True, "unlink result")
    check_equal(
        client.execute_kw("res.partner", "search", [[["id", "=", partner_id]]]),
        [],
        "search after unlink",
    )


@scenario
def jsonrpc_none_result(settings):
    client = Client(settings)
    partner_id = client.execute_kw("res.partner", "create", [{"name": "E2E Json Toggle"}])
    # toggle_active returns None, which JSON can carry, but
    # JsonRPCDispatcher._response leaves the result member out for None
    # (odoo/http.py), and the change is applied.
    params = {
        "service": "object",
        "method": "execute_kw",
        "args": [
            settings.db,
            ADMIN_UID,
            settings.password,
            "res.partner",
            "toggle_active",
            [[partner_id]],
            {},
        ],
    }
    status, reply = client.post("/jsonrpc", params)
    check_equal(status, 200, "HTTP status")
    check("error" not in reply, f"toggle_active failed: {reply!r}")
    check("result" not in reply, f"a reply with a result member for None: {reply!r}")
    rows = client.execute_kw("res.partner", "read", [[partner_id]], {"fields": ["active"]})
    check_equal(rows, [{"id": partner_id, "active": False}], "active after toggle_active")


@scenario
def jsonrpc_int_keys(settings):
    client = Client(settings)
    partner_id = client.execute_kw("res.partner", "create", [{"name": "E2E Json External Id"}])
    # The dict keyed by record id that get_external_id returns travels as a
    # JSON object, whose keys are strings.
    result = client.execute_kw("res.partner", "get_external_id", [[partner_id]])
    check_equal(result, {str(partner_id): ""}, "get_external_id result")


@scenario
def jsonrpc_access_denied(settings):
    client = Client(settings)
    params = {
        "service": "object",
        "method": "execute_kw",
        "args": [settings.db, ADMIN_UID, "wrong-password", "res.partner", "search", [[]], {}],
    }
    error = client.error("/jsonrpc", params)
    # AccessDenied's message is fixed in odoo/exceptions.py.
    data = check_error_shape(error, 200, "Odoo Server Error", "odoo.exceptions.AccessDenied")
    check_equal(data["message"], "Access Denied", "error data message")


@scenario
def jsonrpc_user_error(settings):
    client = Client(settings)
    params = {
        "service": "object",
        "method": "execute_kw",
        "args": [settings.db, ADMIN_UID, settings.password, "res.parter", "search", [[]], {}],
    }
    error = client.error("/jsonrpc", params)
    # execute_cr in odoo/service/model.py raises a UserError for an unknown
    # model. serialize_exception in odoo/http.py copies its args, and a
    # UserError has no context so the member is {}.
    data = check_error_shape(error, 200, "Odoo Server Error", "odoo.exceptions.UserError")
    check_equal(data["message"], "Object res.parter doesn't exist", "error data message")
    check_equal(data["arguments"], ["Object res.parter doesn't exist"], "error data arguments")
    check_equal(data["context"], {}, "error data context")


@scenario
def jsonrpc_application_error(settings):
    client = Client(settings)
    params = {
        "service": "object",
        "method": "execute_kw",
        "args": [
            settings.db,
            ADMIN_UID,
            settings.password,
            "res.partner",
            "search_read",
            [[]],
            {"fields": ["x"]},
        ],
    }
    error = client.error("/jsonrpc", params)
    # Python exceptions are named with their module: builtins.ValueError.
    data = check_error_shape(error, 200, "Odoo Server Error", "builtins.ValueError")
    check_equal(data["message"], "Invalid field 'x' on model 'res.partner'", "error data message")
    check(
        data["debug"].startswith("Traceback (most recent call last):"),
        f"error data debug: {data['debug'][:200]!r}",
    )


@scenario
def session_authenticate(settings):
    client = Client(settings)
    info = client.login()
    # /web/session/authenticate returns ir.http.session_info() and sets the
    # session_id cookie (addons/web/controllers/session.py).
    check_equal(info["uid"], ADMIN_UID, "session uid")
    check_equal(info["db"], settings.db, "session db")
    check_equal(info["username"], settings.username, "session username")
    check_equal(info["name"], "Mitchell Admin", "session name")
    check(info["is_admin"] is True, f"session is_admin: {info['is_admin']!r}")
    check_equal(info["server_version"], "17.0", "session server_version")
    check_equal(info["user_context"]["uid"], ADMIN_UID, "user_context uid")
    check(client.session_id(), "no session_id cookie after /web/session/authenticate")

    again = client.result("/web/session/get_session_info", {})
    check_equal(again["uid"], ADMIN_UID, "get_session_info uid")


@scenario
def session_wrong_password(settings):
    client = Client(settings)
    error = client.error(
        "/web/session/authenticate",
        {"db": settings.db, "login": settings.username, "password": "wrong-password"},
    )
    data = check_error_shape(error, 200, "Odoo Server Error", "odoo.exceptions.AccessDenied")
    check_equal(data["message"], "Access Denied", "error data message")


@scenario
def session_call_kw(settings):
    client = Client(settings)
    client.login()
    partner_id = client.call_kw("res.partner", "create", [{"name": "E2E Session Ada"}])
    check_type(partner_id, int, "create result")
    rows = client.call_kw("res.partner", "read", [[partner_id], ["name", "country_id"]])
    check_equal(
        rows, [{"id": partner_id, "name": "E2E Session Ada", "country_id": False}], "read rows"
    )
    # The route with the model and method in the path serves the same call.
    count = client.result(
        "/web/dataset/call_kw/res.partner/search_count",
        {
            "model": "res.partner",
            "method": "search_count",
            "args": [[["id", "=", partner_id]]],
            "kwargs": {},
        },
    )
    check_equal(count, 1, "search_count through /web/dataset/call_kw/<model>/<method>")


@scenario
def session_missing_expired(settings):
    client = Client(settings)
    # Without a session, auth="user" routes raise SessionExpiredException
    # ("Session expired"), which JsonRPCDispatcher sends as code 100. The
    # check runs in ir.http._authenticate, before the dispatcher reads the
    # body, so the reply's id is null (Request._serve_ir_http in
    # odoo/http.py).
    for path, params in [
        (
            "/web/dataset/call_kw",
            {"model": "res.partner", "method": "search", "args": [[]], "kwargs": {}},
        ),
        ("/web/session/get_session_info", {}),
    ]:
        error = client.error(path, params, echoes_id=False)
        data = check_error_shape(
            error, 100, "Odoo Session Expired", "odoo.http.SessionExpiredException"
        )
        check_equal(data["message"], "Session expired", f"error data message from {path}")
        check_equal(data["arguments"], ["Session expired"], f"error data arguments from {path}")


@scenario
def session_destroyed_expired(settings):
    client = Client(settings)
    client.login()
    check_equal(
        client.call_kw("res.partner", "search_count", [[]]) >= 0,
        True,
        "search_count while logged in",
    )
    status, reply = client.post("/web/session/destroy", {})
    check_equal(status, 200, "HTTP status of /web/session/destroy")
    check("error" not in reply, f"/web/session/destroy failed: {reply!r}")
    # The route returns None, and JsonRPCDispatcher._response leaves the
    # result member out for None (odoo/http.py).
    check("result" not in reply, f"/web/session/destroy reply has a result member: {reply!r}")
    error = client.error(
        "/web/dataset/call_kw",
        {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}},
        echoes_id=False,
    )
    check_error_shape(error, 100, "Odoo Session Expired", "odoo.http.SessionExpiredException")


@scenario
def session_access_error(settings):
    client = Client(settings)
    client.login()
    error = client.error(
        "/web/dataset/call_kw",
        {"model": "res.partner", "method": "_search", "args": [[]], "kwargs": {}},
    )
    # DataSet._call_kw checks the method name like the RPC service does
    # (check_method_name in odoo/models.py).
    data = check_error_shape(error, 200, "Odoo Server Error", "odoo.exceptions.AccessError")
    check_equal(
        data["message"],
        "Private methods (such as _search) cannot be called remotely.",
        "error data message",
    )
    check_equal(
        data["arguments"],
        ["Private methods (such as _search) cannot be called remotely."],
        "error data arguments",
    )


@scenario
def session_validation_error(settings):
    client = Client(settings)
    client.login()
    error = client.error(
        "/web/dataset/call_kw",
        {
            "model": "res.partner",
            "method": "create",
            "args": [{"email": "nameless@json.example.com"}],
            "kwargs": {},
        },
    )
    # The check_name constraint of res.partner, translated by
    # odoo/service/model.py, which wraps every request that uses a database.
    data = check_error_shape(error, 200, "Odoo Server Error", "odoo.exceptions.ValidationError")
    check_equal(
        data["message"],
        "The operation cannot be completed: Contacts require a name",
        "error data message",
    )


@scenario
def session_web_read(settings):
    client = Client(settings)
    client.login()

    def only_id(model, name):
        ids = client.call_kw(model, "search", [[["name", "=", name]]])
        check_equal(len(ids), 1, f"{model} records named {name!r}")
        return ids[0]

    azure = only_id("res.partner", "Azure Interior")
    deco = only_id("res.partner", "Deco Addict")
    nicole = only_id("res.partner", "Nicole Ford")
    colleen = only_id("res.partner", "Colleen Diaz")
    brandon = only_id("res.partner", "Brandon Freeman")
    floyd = only_id("res.partner", "Floyd Steward")
    douglas = only_id("res.partner", "Douglas Fletcher")
    united_states = only_id("res.country", "United States")
    services = only_id("res.partner.category", "Services")

    # The web client's search in 17.0 (Base.web_search_read in
    # addons/web/models/models.py): the records as web_read returns them,
    # and a length that counts the matches up to count_limit when the
    # page is full.
    page = client.call_kw(
        "res.partner",
        "web_search_read",
        [],
        {
            "domain": [["is_company", "=", True]],
            "specification": {
                "name": {},
                "country_id": {"fields": {"display_name": {}}},
                "child_ids": {"fields": {"name": {}}, "order": "name desc", "limit": 1},
            },
            "limit": 2,
            "count_limit": 5,
            "context": {"lang": "en_US"},
        },
    )
    country = {"id": united_states, "display_name": "United States"}
    expected = {
        "length": 5,
        "records": [
            {
                "id": azure,
                "name": "Azure Interior",
                "country_id": country,
                "child_ids": [
                    {"id": nicole, "name": "Nicole Ford"},
                    {"id": colleen},
                    {"id": brandon},
                ],
            },
            {
                "id": deco,
                "name": "Deco Addict",
                "country_id": country,
                "child_ids": [{"id": floyd, "name": "Floyd Steward"}, {"id": douglas}],
            },
        ],
    }
    check_equal(page, expected, "web_search_read result")
    check_equal(list(page), ["length", "records"], "web_search_read keys")
    check_equal(
        list(page["records"][0]), ["id", "name", "country_id", "child_ids"], "record keys"
    )

    # Base.web_read on the records given as the first argument.
    rows = client.call_kw(
        "res.partner",
        "web_read",
        [[azure]],
        {"specification": {"display_name": {}, "category_id": {"fields": {"display_name": {}}}}},
    )
    check_equal(
        rows,
        [
            {
                "id": azure,
                "display_name": "Azure Interior",
                "category_id": [{"id": services, "display_name": "Services"}],
            }
        ],
        "web_read result",
    )


@scenario
def call_kw_without_kwargs(settings):
    client = Client(settings)
    client.login()
    # The call_kw route takes kwargs as a required argument
    # (addons/web/controllers/dataset.py), so leaving it out is a TypeError.
    error = client.error(
        "/web/dataset/call_kw", {"model": "res.partner", "method": "search_count", "args": [[]]}
    )
    data = check_error_shape(error, 200, "Odoo Server Error", "builtins.TypeError")
    check(
        data["message"].endswith("missing 1 required positional argument: 'kwargs'"),
        f"error data message: {data['message']!r}",
    )


if __name__ == "__main__":
    run()
