"""``kangaroo-paw serve``: the HTTP API over the embedded runtime, with a graceful shutdown."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kangaroo_paw.entrypoints.bootstrap import EmbeddedKitchen, build_embedded
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
    if settings.mode == "services":
        from kangaroo_paw.adapters.postgres.migrate import NotMigrated
        from kangaroo_paw.entrypoints.services_api import build_services_runtime

        try:
            services_runtime = build_services_runtime(settings)
        except NotMigrated as exc:
            print(f"kangaroo-paw serve: {exc}", file=sys.stderr)
            return 2
        return serve_runtime(settings, services_runtime)
    return serve_runtime(settings, build_embedded(settings))


def serve_runtime(settings: Settings, runtime: Any) -> int:
    """Start ``runtime`` (an EmbeddedKitchen, or a services runtime of the same shape:
    ``kitchen``, ``start()``, ``close()``, optional ``bus``), serve until SIGTERM/SIGINT,
    let in-flight requests finish, then close the runtime."""
    from kangaroo_paw.adapters.http.app import create_app
    from kangaroo_paw.adapters.http.server import serve

    stopping = threading.Event()
    try:
        runtime.start()
        app = create_app(
            settings,
            runtime.kitchen,
            getattr(runtime, "bus", None),
            checks=_checks(runtime),
            stopping=stopping,
            unavailable=tuple(getattr(runtime, "unavailable", ())),
        )
        log.info(
            "serving Kangaroo Paw (%s mode) on http://%s:%d",
            settings.mode,
            settings.host,
            settings.port,
        )
        return serve(app, settings.host, settings.port, stopping)
    finally:
        runtime.close()
        log.info("kitchen closed")


def _checks(runtime: Any) -> Mapping[str, Any]:
    """Readiness probes beside the event store's."""
    if not isinstance(runtime, EmbeddedKitchen):
        return dict(getattr(runtime, "readiness_checks", {}))
    embedded = runtime

    def projections() -> Mapping[str, Any]:
        head = embedded.kitchen.head_position()
        return {"head": head, "lag": max(0, head - embedded.queue.position())}

    return {"projections": projections}
