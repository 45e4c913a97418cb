"""The command that the `odoo-emulator exec` tests run.

It prints the connection variables as one JSON line, logs in over XML-RPC
with them, and exits with the code given as its only argument, so the tests
can check what exec passed on and what it returned.
"""

import json
import os
import sys
import xmlrpc.client


def main():
    names = ("ODOO_URL", "ODOO_DB", "ODOO_USERNAME", "ODOO_PASSWORD")
    settings = {name: os.environ.get(name) for name in names}
    common = xmlrpc.client.ServerProxy(settings["ODOO_URL"] + "/xmlrpc/2/common")
    settings["uid"] = common.authenticate(
        settings["ODOO_DB"], settings["ODOO_USERNAME"], settings["ODOO_PASSWORD"], {}
    )
    print(json.dumps(settings), flush=True)
    sys.exit(int(sys.argv[1]))


if __name__ == "__main__":
    main()
