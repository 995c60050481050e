"""``kangaroo-paw token``: issue, list and revoke API tokens (either mode, beside a running
server: the server sees a new or revoked token on its next request)."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from kangaroo_paw.application.actor import acting_as
from kangaroo_paw.domain.errors import KitchenError
from kangaroo_paw.domain.token import Role
from kangaroo_paw.entrypoints.processes import explained
from kangaroo_paw.settings import Settings

DURATION = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "token", help="API tokens: create, list, revoke"
    )
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="issue a token; its secret is printed once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, help="a unique name, e.g. grill-screen")
    create.add_argument("--counters", default="", help="station tokens: counters, a,b")
    create.add_argument(
        "--expires", help="when it stops working: an ISO time, or a duration (90m, 12h, 30d)"
    )
    create.set_defaults(handler=explained(run_create))
    listing = actions.add_parser("list", help="every token: name, role, counters, state")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=explained(run_list))
    revoke = actions.add_parser("revoke", help="revoke a token now")
    revoke.add_argument("name")
    revoke.set_defaults(handler=explained(run_revoke))


def parse_expiry(raw: str | None, now: datetime) -> datetime | None:
    if raw is None:
        return None
    match = DURATION.match(raw.strip())
    if match:
        return now + timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--expires {raw!r} is neither an ISO time nor a duration") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_create(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.composition import open_store

    kitchen = open_store(settings)
    try:
        expires = parse_expiry(args.expires, kitchen.clock.now())
        counters = [c.strip() for c in args.counters.split(",") if c.strip()]
        with acting_as(f"cli:{getpass.getuser()}", Role.MANAGER):
            view, secret = kitchen.issue_token(args.name, args.role, counters, expires)
    except (KitchenError, ValueError) as exc:
        print(f"kangaroo-paw token create: {exc}", file=sys.stderr)
        return 2
    finally:
        kitchen.close()
    print(f"token {view.name} ({view.role}) created; its secret, shown only now:", file=sys.stderr)
    print(secret)
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.composition import open_store

    kitchen = open_store(settings)
    try:
        tokens = kitchen.list_tokens()
    finally:
        kitchen.close()
    if args.json:
        print(json.dumps(msgspec.to_builtins(tokens)))
        return 0
    for t in tokens:
        counters = ",".join(t.counters) or "-"
        expires = t.expires_at.isoformat() if t.expires_at else "never"
        print(f"{t.name:<24} {t.role:<12} {t.state:<8} counters={counters} expires={expires}")
    return 0


def run_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.composition import open_store

    kitchen = open_store(settings)
    try:
        with acting_as(f"cli:{getpass.getuser()}", Role.MANAGER):
            view = kitchen.revoke_token(args.name)
    except KitchenError as exc:
        print(f"kangaroo-paw token revoke: {exc}", file=sys.stderr)
        return 2
    finally:
        kitchen.close()
    print(f"token {view.name} revoked at {view.revoked_at}")
    return 0
