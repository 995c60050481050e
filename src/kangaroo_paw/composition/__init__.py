"""The one wiring point: every process, every test and the simulator get their kitchen here,
from one ``Settings``.

- ``open_kitchen(settings)`` is the front door (re-exported by ``kangaroo_paw``): the embedded
  runtime or, with ``KP_MODE=services``, the services-mode API runtime, as a context manager.
- ``build_embedded`` wires the embedded runtime on the store ``settings.store`` names
  (SQLite file, in memory, or PostgreSQL), without starting it. On SQLite it locks the data
  dir until closed and raises ``DataDirLocked`` if another kitchen holds it.
- ``build_services`` wires the kitchen on PostgreSQL and Redis for the services processes
  (api, relay, projector, worker, CLI commands); ``build_services_runtime`` adds the live
  event feed the API serves.

Service clients (psycopg, redis) are imported only when the services mode is wired, so the
base install runs the embedded mode without them.
"""

from __future__ import annotations

from kangaroo_paw.adapters.data_dir_lock import DataDirLocked
from kangaroo_paw.composition.embedded import EmbeddedKitchen, build_embedded
from kangaroo_paw.composition.kitchen import (
    Runtime,
    build_kitchen,
    open_store,
    policy_from,
    store_env,
)
from kangaroo_paw.composition.projections import RebuildReport, make_projector, replay_projections
from kangaroo_paw.composition.services import (
    Services,
    ServicesRuntime,
    build_services,
    build_services_runtime,
    explain_startup_error,
    redis_queue,
    unavailable_errors,
)
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.settings import Settings

__all__ = [
    "DataDirLocked",
    "EmbeddedKitchen",
    "RebuildReport",
    "Runtime",
    "Services",
    "ServicesRuntime",
    "build_embedded",
    "build_kitchen",
    "build_services",
    "build_services_runtime",
    "explain_startup_error",
    "make_projector",
    "open_kitchen",
    "open_store",
    "policy_from",
    "redis_queue",
    "replay_projections",
    "store_env",
    "unavailable_errors",
]


def open_kitchen(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    seed: bool | None = None,
) -> EmbeddedKitchen | ServicesRuntime:
    """Open the kitchen the settings describe (``Settings.from_env()`` by default), ready to
    be started: use it as a context manager, which starts it and closes it at the end::

        with open_kitchen() as runtime:
            order = runtime.kitchen.confirm_order({"burger_combo": 1})
            runtime.kitchen.allocate()
    """
    settings = settings or Settings.from_env()
    if settings.mode == "services":
        return build_services_runtime(settings)
    return build_embedded(settings, clock=clock, seed=seed)
