"""``kangaroo-paw db migrate``: apply the packaged SQL migrations to the services-mode schema
(idempotent)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kangaroo_paw.entrypoints.processes import explained
from kangaroo_paw.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db", help="services-mode database: migrate the PostgreSQL schema"
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate", help="create or update the event store, relay and read-model tables"
    )
    migrate.add_argument(
        "--dir",
        type=Path,
        help="folder of *.sql files (default: the migrations shipped in the package)",
    )
    migrate.set_defaults(handler=run)


@explained
def run(args: argparse.Namespace, settings: Settings) -> int:
    from kangaroo_paw.adapters.postgres.migrate import migrate

    report = migrate(settings, args.dir)
    print(f"schema {report.schema}: ", end="")
    parts = [
        f"{len(report.applied)} applied"
        + (f" ({', '.join(report.applied)})" if report.applied else ""),
        f"{len(report.changed)} changed"
        + (f" ({', '.join(report.changed)})" if report.changed else ""),
        f"{len(report.unchanged)} up to date",
    ]
    print(", ".join(parts))
    return 0
