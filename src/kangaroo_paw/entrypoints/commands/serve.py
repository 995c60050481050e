"""``kangaroo-paw serve``: the HTTP API over the embedded runtime, with a graceful shutdown."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import threading
from pathlib import Path
from typing import Any

from kangaroo_paw.composition import DataDirLocked, EmbeddedKitchen, ServicesRuntime, open_kitchen
from kangaroo_paw.entrypoints.access import prepare_access
from kangaroo_paw.entrypoints.metrics import api_metrics
from kangaroo_paw.entrypoints.readiness import readiness_checks
from kangaroo_paw.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="serve the HTTP API (embedded runtime: SQLite store, in-process timers)"
    )
    parser.add_argument("--host", help="bind address (KP_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (KP_PORT)")
    parser.add_argument("--data-dir", type=Path, help="embedded store folder (KP_DATA_DIR)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    overrides = {"host": args.host, "port": args.port, "data_dir": args.data_dir}
    try:
        settings = dataclasses.replace(
            settings, **{k: v for k, v in overrides.items() if v is not None}
        )
        settings.validate()
    except SettingsError as exc:
        print(f"kangaroo-paw serve: {exc}", file=sys.stderr)
        return 2
    from kangaroo_paw.adapters.postgres.migrate import NotMigrated

    try:
        runtime = open_kitchen(settings)
    except (NotMigrated, DataDirLocked) as exc:
        print(f"kangaroo-paw serve: {exc}", file=sys.stderr)
        return 2
    try:
        prepare_access(settings, runtime.kitchen)
    except SettingsError as exc:
        runtime.close()
        print(f"kangaroo-paw serve: {exc}", file=sys.stderr)
        return 2
    return serve_runtime(settings, runtime)


def serve_runtime(settings: Settings, runtime: EmbeddedKitchen | ServicesRuntime) -> int:
    """Start ``runtime``, serve until SIGTERM/SIGINT, let in-flight requests finish, then
    close the runtime."""
    from kangaroo_paw.adapters.http.app import create_app
    from kangaroo_paw.adapters.http.server import serve

    stopping = threading.Event()
    try:
        metrics = api_metrics(runtime)  # before start: re-armed timers report too
        runtime.start()
        app = create_app(
            settings,
            runtime.kitchen,
            runtime.bus,
            checks=readiness_checks(runtime),
            stopping=stopping,
            unavailable=getattr(runtime, "unavailable", ()),
            metrics=metrics,
        )
        log.info(
            "serving Kangaroo Paw (%s mode) on http://%s:%d",
            settings.mode,
            settings.host,
            settings.port,
        )
        log.info(
            "kitchen screens on http://%s:%d/screens/ (station, expo, manager)",
            settings.host,
            settings.port,
        )
        return serve(app, settings, stopping)
    finally:
        runtime.close()
        log.info("kitchen closed")
