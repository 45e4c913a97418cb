#!/usr/bin/env python3
"""A deliberately naive sync pass, to show what the harness catches.

It follows the built-in odoo-17 spec on the happy path, the way a quick
first integration often does, and has three bugs on purpose:

* it creates a record without checking whether an earlier, failed-looking
  call already created it, so a lost response leaves a duplicate partner;
* it retries every failed call at once, up to three times, whatever the
  error, ignoring ``Retry-After``;
* it swallows errors: a change that still fails is printed and skipped,
  never reported to the SaaS, and the cursor moves past it.

It also applies changes in feed order without comparing versions, so an
older version delivered late overwrites a newer one (a lost update).

Run one pass with the harness's environment::

    odoo-harness run scenarios --integration "python3 harness/examples/naive_sync.py"
"""

import json
import os
import sys
import urllib.request
import xmlrpc.client

ODOO_URL = os.environ["ODOO_URL"]
DB = os.environ["ODOO_DB"]
USERNAME = os.environ["ODOO_USERNAME"]
SECRET = os.environ.get("ODOO_API_KEY") or os.environ["ODOO_PASSWORD"]
SAAS_URL = os.environ["SAAS_URL"]
STATE_FILE = os.path.join(os.environ["SYNC_STATE_DIR"], "naive.json")

ATTEMPTS = 3


def load_state():
    try:
        with open(STATE_FILE) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {"cursor": 0, "ids": {}}


def save_state(state):
    with open(STATE_FILE, "w") as handle:
        json.dump(state, handle)


def saas_get(path):
    with urllib.request.urlopen(SAAS_URL + path, timeout=30) as response:
        return json.load(response)


class Odoo:
    def __init__(self):
        common = xmlrpc.client.ServerProxy(ODOO_URL + "/xmlrpc/2/common")
        self.uid = common.authenticate(DB, USERNAME, SECRET, {})
        self.models = xmlrpc.client.ServerProxy(ODOO_URL + "/xmlrpc/2/object", allow_none=True)

    def call(self, model, method, *args, **kwargs):
        """Run a call, retrying blindly; return None when it keeps failing (bug)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self.models.execute_kw(DB, self.uid, SECRET, model, method, list(args), kwargs)
            except Exception as error:  # noqa: BLE001 - the bug on show
                print(f"{model}.{method} failed (attempt {attempt}): {error}", file=sys.stderr)
        return None


def country_id(odoo, code):
    if not code:
        return False
    found = odoo.call("res.country", "search", [["code", "=", code]], limit=1)
    return found[0] if found else False


def customer_values(odoo, data):
    return {
        "name": data.get("name"),
        "email": data.get("email") or False,
        "phone": data.get("phone") or False,
        "is_company": bool(data.get("company")),
        "country_id": country_id(odoo, data.get("country_code")),
        "customer_rank": 1,
    }


def product_values(data):
    return {
        "default_code": data.get("sku"),
        "name": data.get("name"),
        "list_price": data.get("price") or 0.0,
        "active": data.get("active", True) is not False,
    }


def order_values(odoo, state, data):
    partner = state["ids"].get("customer:" + data.get("customer_id", ""))
    lines = []
    for line in data.get("lines") or []:
        product = odoo.call("product.product", "search", [["default_code", "=", line["sku"]]], limit=1)
        lines.append((0, 0, {
            "product_id": product[0] if product else False,
            "product_uom_qty": line["quantity"],
            "price_unit": line.get("unit_price", 0.0),
        }))
    values = {"client_order_ref": data.get("number"), "partner_id": partner or False}
    if data.get("date"):
        values["date_order"] = data["date"] + " 00:00:00"
    values["order_line"] = [(5, 0, 0)] + lines
    return values


MODELS = {"customer": "res.partner", "product": "product.product", "order": "sale.order"}


def upsert(odoo, state, change):
    entity, data = change["entity"], change["data"]
    key = entity + ":" + change["id"]
    if entity == "customer":
        values = customer_values(odoo, data)
    elif entity == "product":
        values = product_values(data)
    else:
        values = order_values(odoo, state, data)
    model = MODELS[entity]
    known = state["ids"].get(key)
    if known:
        odoo.call(model, "write", [known], values)
    else:
        # Bug: no check whether an earlier attempt already created it.
        created = odoo.call(model, "create", values)
        if created is None:
            return
        state["ids"][key] = created
        if entity == "customer":
            odoo.call("ir.model.data", "create", {
                "module": "saas", "name": "customer_" + change["id"],
                "model": model, "res_id": created,
            })
        known = created
    if entity == "order" and data.get("state") == "confirmed":
        odoo.call(model, "action_confirm", [known])


def delete(odoo, state, change):
    entity = change["entity"]
    known = state["ids"].get(entity + ":" + change["id"])
    if not known:
        return
    if entity == "order":
        odoo.call(MODELS[entity], "unlink", [known])
        del state["ids"][entity + ":" + change["id"]]
    else:
        odoo.call(MODELS[entity], "write", [known], {"active": False})


def main():
    state = load_state()
    odoo = Odoo()
    if not odoo.uid:
        print("authentication failed", file=sys.stderr)
        return 1
    while True:
        page = saas_get(f"/v1/changes?after={state['cursor']}&limit=100")
        if not page["changes"]:
            break
        for change in page["changes"]:
            # Bug: no version check, so a late older version wins.
            if change["op"] == "upsert":
                upsert(odoo, state, change)
            else:
                delete(odoo, state, change)
        state["cursor"] = page["changes"][-1]["seq"]
    save_state(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
