"""The ``kangaroo-paw`` command line: one subcommand per module in ``entrypoints.commands``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from kangaroo_paw._version import __version__
from kangaroo_paw.entrypoints import commands
from kangaroo_paw.entrypoints.logs import configure_logging
from kangaroo_paw.settings import Settings, SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kangaroo-paw", description="Kangaroo Paw: a kitchen scheduling engine."
    )
    parser.add_argument("--version", action="version", version=f"kangaroo-paw {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"kangaroo-paw: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    result: int = args.handler(args, settings)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
