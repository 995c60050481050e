"""The pieces every wiring shares: the policy and the event store the settings describe, the
one place a ``Kitchen`` is constructed, and the context-manager shape of a runtime."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Self

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.policy import Policy
from kangaroo_paw.domain.scoring import Weights
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.ports.read_model import ReadModel
from kangaroo_paw.settings import Settings, Store

log = logging.getLogger(__name__)


def policy_from(settings: Settings) -> Policy:
    """The scheduling policy the settings describe."""
    return Policy(
        assignment_ttl_secs=settings.assignment_ttl_secs,
        aging_factor=settings.aging_factor,
        requeue_boost=settings.requeue_boost,
        rush_boost=settings.rush_boost,
        rush_credit_secs=settings.rush_credit_secs,
        promise_reaction_secs=settings.promise_reaction_secs,
        promise_on_confirm=settings.promise_on_confirm,
        promise_margin=settings.promise_margin,
        promise_break_secs=settings.promise_break_secs,
        promise_repair_secs=settings.promise_repair_secs,
        weights=Weights(settings.weight_load, settings.weight_util, settings.weight_eff),
        efficiency_min=settings.efficiency_min,
        efficiency_max=settings.efficiency_max,
        max_qty_per_line=settings.max_qty_per_line,
        max_lines_per_order=settings.max_lines_per_order,
        recall_window_secs=settings.recall_window_secs,
        pace=settings.pace,
    )


def store_env(settings: Settings, store: Store | None = None) -> dict[str, str]:
    """The eventsourcing environment of the event store: ``store`` if given, PostgreSQL in
    services mode, otherwise the store ``settings.store`` names."""
    store = store or ("postgres" if settings.mode == "services" else settings.store)
    if store == "postgres":
        from kangaroo_paw.adapters.postgres.connection import eventsourcing_env

        return eventsourcing_env(settings)
    if store == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "30",
    }
    if settings.sqlite_group_commit:
        from kangaroo_paw.adapters.sqlite.group_commit import RECORDER_TOPIC

        env["APPLICATION_RECORDER_TOPIC"] = RECORDER_TOPIC
    return env


def build_kitchen(
    settings: Settings,
    *,
    queue: ReadyQueue,
    read_model: ReadModel,
    clock: Clock | None = None,
    policy: Policy | None = None,
    store: Store | None = None,
) -> Kitchen:
    """The Kitchen application on ``store`` (default: the settings'); the only place one is
    constructed."""
    return Kitchen(
        policy=policy or policy_from(settings),
        clock=clock or SystemClock(),
        queue=queue,
        read_model=read_model,
        env=store_env(settings, store),
        snapshot_every=settings.snapshot_every,
    )


class Runtime(ABC):
    """What both runtimes share: a context manager that starts and closes them."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def close_all(what: str, closers: list[Callable[[], object]]) -> None:
    for close in closers:
        try:
            close()
        except Exception:  # close everything even if one part is already broken
            log.warning("closing %s: %r failed", what, close, exc_info=True)


def open_store(settings: Settings) -> Kitchen:
    """The kitchen on the settings' event store with no runtime and no projections: for
    commands that write and read aggregates by id (tokens) beside a running server."""
    from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
    from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel

    return build_kitchen(settings, queue=InMemoryReadyQueue(), read_model=InMemoryReadModel())
