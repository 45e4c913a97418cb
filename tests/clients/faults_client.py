"""Inject faults through the control API and check what real clients see:
Python's xmlrpc.client, odoorpc and raw JSON-RPC over urllib.

Each scenario installs its rules with POST /_emulator/faults, makes the
calls, and checks both the client's exception and the journal
(GET /_emulator/journal), which must name the rule behind every injected
fault.

Two client facts shape the rules below. xmlrpc.client's Transport.request
sends a request a second time when the first attempt ends in
ECONNRESET, ECONNABORTED, EPIPE or RemoteDisconnected, so a rule that must
reach the caller as a connection error fires on two calls (`times: 2`).
And http.client's read(amt), which xmlrpc.client uses, returns what
arrived without raising IncompleteRead when the connection closes early,
so a truncated XML-RPC body surfaces as an ExpatError.
"""

import http.client
import json
import socket
import sys
import urllib.error
import urllib.request
import xml.parsers.expat
import xmlrpc.client

from e2e import CheckFailed, check, check_equal, check_in, run, scenario

try:
    import odoorpc
except ImportError:
    sys.exit(
        "odoorpc is not installed: run `pip install -r tests/requirements.txt` (scripts/test does it)"
    )

ADMIN_UID = 2
SERIALIZATION_TEXT = "could not serialize access due to concurrent update"


class Control:
    """The emulator's control API."""

    def __init__(self, settings):
        self.base = settings.url + "/_emulator"

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else None

    def add_fault(self, rule):
        return self.request("POST", "/faults", rule)

    def journal(self):
        return self.request("GET", "/journal")["entries"]


def object_proxy(settings, prefix="/xmlrpc/2", timeout=None):
    transport = None
    if timeout is not None:
        transport = TimeoutTransport(timeout)
    return xmlrpc.client.ServerProxy(f"{settings.url}{prefix}/object", transport=transport)


class TimeoutTransport(xmlrpc.client.Transport):
    """A transport whose connections give up after `timeout` seconds."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


def execute_kw(proxy, settings, model, method, args, kwargs=None):
    return proxy.execute_kw(
        settings.db, ADMIN_UID, settings.password, model, method, args, kwargs or {}
    )


def jsonrpc(settings, method, args, path="/jsonrpc"):
    """POST an object.execute_kw call and return the decoded reply."""
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 7,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [settings.db, ADMIN_UID, settings.password, "res.partner", method, args, {}],
        },
    }
    request = urllib.request.Request(
        settings.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, response.read()


def count_named(settings, name):
    proxy = object_proxy(settings)
    return execute_kw(proxy, settings, "res.partner", "search_count", [[["name", "=", name]]])


def expect_exception(kinds, call, *args):
    try:
        call(*args)
    except kinds as error:
        return error
    raise CheckFailed(f"expected {kinds}, but the call returned")


def faulted_entries(control, rule_id):
    return [entry for entry in control.journal() if entry["rule_id"] == rule_id]


NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@scenario
def proxy_502_protocol_error(settings):
    control = Control(settings)
    rule = control.add_fault(
        {"match": {"method": "create"}, "times": 2, "effect": {"type": "http", "status": 502}}
    )
    proxy = object_proxy(settings)

    error = expect_exception(
        xmlrpc.client.ProtocolError,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "create",
        [{"name": "Behind the proxy"}],
    )
    check_equal(error.errcode, 502, "ProtocolError.errcode")
    check_equal(error.errmsg, "Bad Gateway", "ProtocolError.errmsg")
    check_equal(error.headers.get("Content-Type"), "text/html", "Content-Type")
    # The same page as a raw client reads it.
    http_error = expect_exception(urllib.error.HTTPError, jsonrpc, settings, "create", [{}])
    check_equal(http_error.code, 502, "HTTP status")
    check_equal(http_error.read().decode(), NGINX_502, "502 page")

    check_equal(count_named(settings, "Behind the proxy"), 0, "records created")
    entries = faulted_entries(control, rule["id"])
    check_equal([e["outcome"] for e in entries], ["http 502", "http 502"], "journal outcomes")
    check_equal([e["protocol"] for e in entries], ["xmlrpc", "jsonrpc"], "journal protocols")


@scenario
def gateway_timeout_reason(settings):
    control = Control(settings)
    control.add_fault({"match": {"method": "read"}, "effect": {"type": "http", "status": 504}})
    proxy = object_proxy(settings)

    error = expect_exception(
        xmlrpc.client.ProtocolError, execute_kw, proxy, settings, "res.partner", "read", [[1]]
    )

    check_equal(error.errcode, 504, "ProtocolError.errcode")
    # nginx's own reason phrase, not the IANA "Gateway Timeout".
    check_equal(error.errmsg, "Gateway Time-out", "ProtocolError.errmsg")


@scenario
def rate_limited_retry_after(settings):
    control = Control(settings)
    control.add_fault(
        {
            "match": {"protocol": "xmlrpc"},
            "schedule": {"nth": 1},
            "effect": {"type": "http", "status": 429, "retry_after": 7},
        }
    )
    proxy = object_proxy(settings)

    error = expect_exception(
        xmlrpc.client.ProtocolError,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "search",
        [[]],
    )
    check_equal(error.errcode, 429, "ProtocolError.errcode")
    check_equal(error.headers.get("Retry-After"), "7", "Retry-After")
    # The rule fired on the first matching call only.
    ids = execute_kw(proxy, settings, "res.partner", "search", [[]])
    check(len(ids) > 0, f"the retry found no partners: {ids!r}")


@scenario
def response_lost_after_commit(settings):
    control = Control(settings)
    rule = control.add_fault(
        {"match": {"method": "create"}, "times": 2, "effect": {"type": "response_lost"}}
    )
    proxy = object_proxy(settings)

    expect_exception(
        (ConnectionResetError, http.client.RemoteDisconnected),
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "create",
        [{"name": "Lost reply"}],
    )

    # The server committed both attempts of xmlrpc.client's own retry,
    # which is how a retried create duplicates a record.
    check_equal(count_named(settings, "Lost reply"), 2, "records created")
    entries = faulted_entries(control, rule["id"])
    check_equal(len(entries), 2, "journal entries of the rule")
    for entry in entries:
        check_equal(entry["outcome"], "reset", "journal outcome")
        check_equal(entry["fault"], "response_lost", "journal fault")
        check_equal(entry["method"], "create", "journal method")
        check_equal(entry["login"], settings.username, "journal login")


@scenario
def reset_before_call(settings):
    control = Control(settings)
    control.add_fault({"match": {"method": "create"}, "times": 2, "effect": {"type": "reset"}})
    proxy = object_proxy(settings)

    error = expect_exception(
        ConnectionResetError,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "create",
        [{"name": "Never stored"}],
    )

    check_equal(error.errno, 104, "errno (ECONNRESET)")
    check_equal(count_named(settings, "Never stored"), 0, "records created")


@scenario
def hang_until_client_timeout(settings):
    control = Control(settings)
    control.add_fault(
        {"match": {"method": "search"}, "times": 1, "effect": {"type": "hang", "ms": 3000}}
    )
    proxy = object_proxy(settings, timeout=0.5)

    expect_exception(
        (TimeoutError, socket.timeout),
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "search",
        [[]],
    )


@scenario
def hang_then_connection_closed(settings):
    control = Control(settings)
    rule = control.add_fault(
        {"match": {"method": "search"}, "times": 2, "effect": {"type": "hang", "ms": 200}}
    )
    proxy = object_proxy(settings)

    expect_exception(
        http.client.RemoteDisconnected,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "search",
        [[]],
    )

    entries = faulted_entries(control, rule["id"])
    check_equal([e["outcome"] for e in entries], ["hang", "hang"], "journal outcomes")
    check(all(e["latency_ms"] >= 200 for e in entries), f"latencies: {entries!r}")


@scenario
def domain_error_fault_codes(settings):
    control = Control(settings)
    cases = [
        ("AccessError", 4, "No access here"),
        ("UserError", 2, "Not allowed now"),
        ("ValidationError", 2, "Invalid value"),
        ("MissingError", 2, "Record gone"),
        ("AccessDenied", 3, "Access Denied"),
    ]
    proxy = object_proxy(settings)
    for exception, code, message in cases:
        rule = {
            "match": {"method": "search"},
            "times": 1,
            "effect": {"type": "error", "exception": exception},
        }
        if exception != "AccessDenied":
            rule["effect"]["message"] = message
        control.add_fault(rule)
        fault = expect_exception(
            xmlrpc.client.Fault, execute_kw, proxy, settings, "res.partner", "search", [[]]
        )
        check_equal(fault.faultCode, code, f"faultCode of {exception}")
        check_equal(fault.faultString, message, f"faultString of {exception}")

    # The legacy route writes the class into a string faultCode.
    control.add_fault(
        {
            "match": {"protocol": "xmlrpc-legacy"},
            "times": 1,
            "effect": {"type": "error", "exception": "MissingError", "message": "Record gone"},
        }
    )
    legacy = object_proxy(settings, prefix="/xmlrpc")
    fault = expect_exception(
        xmlrpc.client.Fault, execute_kw, legacy, settings, "res.partner", "search", [[]]
    )
    check_equal(fault.faultCode, "warning -- MissingError\n\nRecord gone", "legacy faultCode")
    check_equal(fault.faultString, "", "legacy faultString")

    # JSON-RPC names the class in error.data.name.
    control.add_fault(
        {
            "match": {"protocol": "jsonrpc"},
            "times": 1,
            "effect": {"type": "error", "exception": "UserError", "message": "Not allowed now"},
        }
    )
    _, body = jsonrpc(settings, "search", [[]])
    error = json.loads(body)["error"]
    check_equal(error["code"], 200, "JSON-RPC error.code")
    check_equal(error["data"]["name"], "odoo.exceptions.UserError", "error.data.name")
    check_equal(error["data"]["message"], "Not allowed now", "error.data.message")


@scenario
def serialization_failure_texts(settings):
    control = Control(settings)
    rule = control.add_fault(
        {"match": {"method": "write"}, "times": 2, "effect": {"type": "serialization_failure"}}
    )
    proxy = object_proxy(settings)

    fault = expect_exception(
        xmlrpc.client.Fault,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "write",
        [[1], {"name": "Concurrent"}],
    )
    check_equal(fault.faultCode, 1, "faultCode")
    check(
        fault.faultString.endswith(
            f"\npsycopg2.errors.SerializationFailure: {SERIALIZATION_TEXT}\n\n"
        ),
        f"faultString: {fault.faultString!r}",
    )
    _, body = jsonrpc(settings, "write", [[1], {"name": "Concurrent"}])
    data = json.loads(body)["error"]["data"]
    check_equal(data["name"], "psycopg2.errors.SerializationFailure", "error.data.name")
    check_equal(data["message"], SERIALIZATION_TEXT + "\n", "error.data.message")

    names = execute_kw(proxy, settings, "res.partner", "read", [[1], ["name"]])
    check(names[0]["name"] != "Concurrent", "a serialization failure wrote the record")
    outcomes = [e["outcome"] for e in faulted_entries(control, rule["id"])]
    check_equal(outcomes, ["psycopg2.errors.SerializationFailure"] * 2, "journal outcomes")


@scenario
def odoorpc_serialization_error(settings):
    odoo = odoorpc.ODOO(settings.host, port=settings.port, timeout=60)
    odoo.login(settings.db, settings.username, settings.password)
    Control(settings).add_fault(
        {
            "match": {"model": "res.partner", "method": "write"},
            "times": 1,
            "effect": {"type": "serialization_failure"},
        }
    )
    partner = odoo.env["res.partner"].browse(1)

    try:
        partner.write({"name": "Concurrent"})
    except odoorpc.error.RPCError as error:
        check_in(SERIALIZATION_TEXT, str(error), "RPCError text")
        check_equal(
            error.info["data"]["name"], "psycopg2.errors.SerializationFailure", "data.name"
        )
    else:
        raise CheckFailed("odoorpc's write succeeded under a serialization failure")
    # The rule fired once: the retry goes through.
    partner.write({"name": "After retry"})
    check_equal(odoo.env["res.partner"].browse(1).read(["name"])[0]["name"], "After retry", "name")


@scenario
def marshal_none_after_commit(settings):
    control = Control(settings)
    control.add_fault(
        {"match": {"method": "create"}, "schedule": {"nth": 1}, "effect": {"type": "marshal_none"}}
    )
    proxy = object_proxy(settings)

    fault = expect_exception(
        xmlrpc.client.Fault,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "create",
        [{"name": "Marshalled"}],
    )
    check_equal(fault.faultCode, 1, "faultCode")
    check(
        fault.faultString.endswith(
            "\nTypeError: cannot marshal None unless allow_none is enabled\n"
        ),
        f"faultString: {fault.faultString!r}",
    )
    check_equal(count_named(settings, "Marshalled"), 1, "records created")

    # JSON-RPC has no marshalling fault: the same effect returns normally.
    control.add_fault(
        {"match": {"protocol": "jsonrpc"}, "times": 1, "effect": {"type": "marshal_none"}}
    )
    _, body = jsonrpc(settings, "create", [{"name": "Marshalled"}])
    check(isinstance(json.loads(body)["result"], int), f"JSON-RPC reply: {body!r}")
    check_equal(count_named(settings, "Marshalled"), 2, "records created")


@scenario
def session_expired_web(settings):
    Control(settings).add_fault(
        {
            "match": {"protocol": "web", "method": "search_read"},
            "times": 1,
            "effect": {"type": "session_expired"},
        }
    )
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def post(path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 3, "params": params})
        request = urllib.request.Request(
            settings.url + path, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    login = {"db": settings.db, "login": settings.username, "password": settings.password}
    call = {"model": "res.partner", "method": "search_read", "args": [[]], "kwargs": {"limit": 1}}
    post("/web/session/authenticate", login)

    reply = post("/web/dataset/call_kw", call)
    check_equal(reply["error"]["code"], 100, "error.code")
    check_equal(reply["error"]["message"], "Odoo Session Expired", "error.message")
    check_equal(
        reply["error"]["data"]["name"], "odoo.http.SessionExpiredException", "error.data.name"
    )
    # The session is gone, as after a real expiry, until the client logs in.
    check_equal(post("/web/dataset/call_kw", call)["error"]["code"], 100, "second call")
    post("/web/session/authenticate", login)
    check_in("result", post("/web/dataset/call_kw", call), "reply after a new login")


@scenario
def result_missing_replies(settings):
    control = Control(settings)
    control.add_fault({"match": {"method": "search_count"}, "effect": {"type": "result_missing"}})

    _, body = jsonrpc(settings, "search_count", [[]])
    check_equal(json.loads(body), {"jsonrpc": "2.0", "id": 7}, "JSON-RPC reply")
    proxy = object_proxy(settings)
    check_equal(
        execute_kw(proxy, settings, "res.partner", "search_count", [[]]),
        (),
        "XML-RPC result",
    )


@scenario
def wrong_content_type_body(settings):
    Control(settings).add_fault(
        {"match": {"method": "search_count"}, "effect": {"type": "wrong_content_type"}}
    )

    headers, body = jsonrpc(settings, "search_count", [[]])

    check_equal(headers.get("Content-Type"), "text/html; charset=utf-8", "Content-Type")
    check(isinstance(json.loads(body)["result"], int), f"body: {body!r}")


@scenario
def truncated_and_malformed_bodies(settings):
    control = Control(settings)
    control.add_fault({"match": {"method": "read"}, "effect": {"type": "truncated"}})
    control.add_fault({"match": {"method": "search"}, "effect": {"type": "malformed"}})
    proxy = object_proxy(settings)

    expect_exception(
        xml.parsers.expat.ExpatError,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "read",
        [[1], ["name"]],
    )
    # A client that reads the whole body sees it end short of its length.
    expect_exception(http.client.IncompleteRead, jsonrpc, settings, "read", [[1], ["name"]])
    expect_exception(
        xml.parsers.expat.ExpatError,
        execute_kw,
        proxy,
        settings,
        "res.partner",
        "search",
        [[]],
    )
    _, body = jsonrpc(settings, "search", [[]])
    expect_exception(json.JSONDecodeError, json.loads, body)


@scenario
def delay_then_served(settings):
    control = Control(settings)
    rule = control.add_fault(
        {"match": {"method": "search_count"}, "times": 1, "effect": {"type": "delay", "ms": 300}}
    )
    proxy = object_proxy(settings)

    count = execute_kw(proxy, settings, "res.partner", "search_count", [[]])

    check(isinstance(count, int), f"search_count returned {count!r}")
    (entry,) = faulted_entries(control, rule["id"])
    check_equal(entry["outcome"], "ok", "journal outcome")
    check(entry["latency_ms"] >= 300, f"latency {entry['latency_ms']} ms")


if __name__ == "__main__":
    run()
