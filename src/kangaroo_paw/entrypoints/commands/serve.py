"""``kangaroo-paw serve``: the HTTP API over the embedded or services runtime, with a graceful
shutdown; in services mode optionally as ``KP_WORKERS`` worker processes."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from kangaroo_paw.composition import DataDirLocked, EmbeddedKitchen, ServicesRuntime, open_kitchen
from kangaroo_paw.entrypoints.access import prepare_access
from kangaroo_paw.entrypoints.metrics import api_metrics
from kangaroo_paw.entrypoints.readiness import readiness_checks
from kangaroo_paw.entrypoints.workers import LISTEN_FD_OPTION, supervise
from kangaroo_paw.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="serve the HTTP API (embedded runtime: SQLite store, in-process timers)"
    )
    parser.add_argument("--host", help="bind address (KP_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (KP_PORT)")
    parser.add_argument("--data-dir", type=Path, help="embedded store folder (KP_DATA_DIR)")
    # A worker of a ``KP_WORKERS`` supervisor serves on the socket it inherited.
    parser.add_argument(LISTEN_FD_OPTION, type=int, dest="listen_fd", help=argparse.SUPPRESS)
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
    if settings.workers > 1:
        if settings.mode == "embedded":
            print(
                f"kangaroo-paw serve: KP_WORKERS={settings.workers}, but the embedded mode runs "
                "ONE process (one writer of its data dir); use KP_WORKERS=1, or the services "
                "mode to run several workers",
                file=sys.stderr,
            )
            return 2
        return supervise(settings)
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
    listening = None if args.listen_fd is None else socket.socket(fileno=args.listen_fd)
    return serve_runtime(settings, runtime, listening)


def serve_runtime(
    settings: Settings,
    runtime: EmbeddedKitchen | ServicesRuntime,
    listening: socket.socket | None = None,
) -> int:
    """Start ``runtime``, serve until SIGTERM/SIGINT, let in-flight requests finish, then
    close the runtime. ``listening``: the socket of a worker (else bind KP_HOST:KP_PORT)."""
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
        return serve(app, settings, stopping, listening)
    finally:
        runtime.close()
        log.info("kitchen closed")
