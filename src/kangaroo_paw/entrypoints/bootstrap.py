"""Composition root: builds the whole kitchen from one Settings object."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.adapters.memory.bus import InProcessEventBus
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.adapters.memory.runtime import EmbeddedRuntime
from kangaroo_paw.adapters.memory.scheduler import InProcessScheduler
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.policy import Policy
from kangaroo_paw.domain.scoring import Weights
from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)


def policy_from(settings: Settings) -> Policy:
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
    )


def sqlite_env(path: Path) -> dict[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "30",
    }


@dataclass
class EmbeddedKitchen:
    """Everything the embedded mode runs, wired together."""

    settings: Settings
    kitchen: Kitchen
    queue: InMemoryReadyQueue
    read_model: InMemoryReadModel
    bus: InProcessEventBus
    scheduler: InProcessScheduler
    runtime: EmbeddedRuntime

    def start(self) -> None:
        self.runtime.start()
        self.scheduler.start()

    def close(self) -> None:
        self.runtime.stop()
        self.kitchen.close()


def build_embedded(
    settings: Settings,
    *,
    clock: Clock | None = None,
    persistence: str = "sqlite",
    seed: bool | None = None,
) -> EmbeddedKitchen:
    """Build (not start) the embedded kitchen; ``persistence`` is ``sqlite`` or ``popo``."""
    clock = clock or SystemClock()
    env = sqlite_env(settings.sqlite_path) if persistence == "sqlite" else {}
    env["PERSISTENCE_MODULE"] = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
    queue = InMemoryReadyQueue()
    read_model = InMemoryReadModel()
    kitchen = Kitchen(
        policy=policy_from(settings),
        clock=clock,
        queue=queue,
        read_model=read_model,
        env=env,
        snapshot_every=settings.snapshot_every,
    )
    should_seed = settings.seed_demo if seed is None else seed
    if should_seed and seed_demo_kitchen(kitchen):
        log.info("seeded the demo kitchen into an empty store")
    bus = InProcessEventBus()
    scheduler = InProcessScheduler(kitchen, clock)
    runtime = EmbeddedRuntime(
        kitchen, queue, read_model, bus, scheduler, poll_secs=settings.follower_poll_secs
    )
    return EmbeddedKitchen(settings, kitchen, queue, read_model, bus, scheduler, runtime)
