"""Helpers shared by the client scripts: connection settings, checks that
explain their failures, and a runner that executes one named scenario.

A script registers scenarios with @scenario and ends with run(). It is
started as `python3 SCRIPT SCENARIO` (or `--list`) with ODOO_URL, ODOO_DB,
ODOO_USERNAME and ODOO_PASSWORD set, and exits 0 when every check of the
scenario held, 1 when one failed and 2 on a usage error.
"""

import os
import sys
import traceback
from urllib.parse import urlsplit

SCENARIOS = {}


class CheckFailed(Exception):
    """A check of the scenario did not hold."""


class Settings:
    """Where the server is and how to log in, from the environment."""

    def __init__(self):
        missing = [
            name
            for name in ("ODOO_URL", "ODOO_DB", "ODOO_USERNAME", "ODOO_PASSWORD")
            if not os.environ.get(name)
        ]
        if missing:
            sys.exit(f"missing environment variables: {', '.join(missing)}")
        self.url = os.environ["ODOO_URL"].rstrip("/")
        self.db = os.environ["ODOO_DB"]
        self.username = os.environ["ODOO_USERNAME"]
        self.password = os.environ["ODOO_PASSWORD"]
        parts = urlsplit(self.url)
        self.host = parts.hostname
        self.port = parts.port or 80


def scenario(function):
    """Register a function as a scenario under its own name."""
    SCENARIOS[function.__name__] = function
    return function


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def check_type(value, expected_type, what):
    # bool is a subclass of int, so an int check must reject True and False.
    if isinstance(value, bool) and expected_type is not bool:
        raise CheckFailed(f"{what}: expected {expected_type.__name__}, got {value!r}")
    if not isinstance(value, expected_type):
        raise CheckFailed(
            f"{what}: expected {expected_type.__name__}, " f"got {type(value).__name__} {value!r}"
        )


def check_in(needle, haystack, what):
    if needle not in haystack:
        raise CheckFailed(f"{what}: expected to find {needle!r} in {haystack!r}")


def run():
    """Run the scenario named on the command line and exit with its outcome."""
    arguments = sys.argv[1:]
    if arguments == ["--list"]:
        for name in SCENARIOS:
            print(name)
        sys.exit(0)
    if len(arguments) != 1 or arguments[0] not in SCENARIOS:
        print(
            f"usage: {sys.argv[0]} SCENARIO | --list\n" f"scenarios: {', '.join(SCENARIOS)}",
            file=sys.stderr,
        )
        sys.exit(2)

    name = arguments[0]
    try:
        SCENARIOS[name](Settings())
    except CheckFailed as failure:
        print(f"FAIL {name}: {failure}", file=sys.stderr)
        sys.exit(1)
    except Exception:  # noqa: BLE001 - any other error fails the scenario too
        traceback.print_exc()
        print(f"FAIL {name}: unexpected {sys.exc_info()[0].__name__}, see above", file=sys.stderr)
        sys.exit(1)
    print(f"ok {name}")
