"""The embedded kitchen on a manual clock, driven synchronously (no threads started).

``Harness.settle()`` plays what the runtime's threads would do: follow the log (projections and
reactions), then run the scheduler's due work (allocation, timers), until nothing moves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.application.views import OrderView, StaffView, TaskView
from kangaroo_paw.composition import EmbeddedKitchen, build_embedded
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.settings import Settings, Store

STORES: dict[str, Store] = {"popo": "memory", "sqlite": "sqlite", "postgres": "postgres"}
# The schemas harnesses on PostgreSQL created, for the PostgreSQL tests to drop afterwards.
POSTGRES_SCHEMAS: list[Settings] = []


def harness_settings(persistence: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings that put the kitchen on ``persistence``: popo (in memory), sqlite (a file in
    ``data_dir``) or postgres (a freshly migrated schema of its own, from ``KP_DATABASE_URL``)."""
    store = STORES[persistence]
    if store != "postgres":
        return Settings(data_dir=data_dir, store=store, **overrides)
    from uuid import uuid4

    from kangaroo_paw.adapters.postgres.migrate import migrate

    settings = Settings.from_env(
        data_dir=data_dir,
        store=store,
        postgres_schema=f"kp_sc_{uuid4().hex[:10]}",
        postgres_pool_size=3,
        **overrides,
    )
    migrate(settings)
    POSTGRES_SCHEMAS.append(settings)
    return settings


@dataclass
class Harness:
    embedded: EmbeddedKitchen
    clock: ManualClock

    @property
    def kitchen(self) -> Kitchen:
        return self.embedded.kitchen

    def drain(self) -> None:
        self.embedded.runtime.drain()

    def settle(self, rounds: int = 100) -> None:
        """Follow the log and run due scheduler work until both are quiet."""
        self.drain()
        for _ in range(rounds):
            if not self.embedded.scheduler.run_due():
                return
            self.drain()
        raise AssertionError("the kitchen did not settle")

    def advance(self, seconds: float) -> None:
        """Let time pass and fire whatever came due (timers are re-checked each settle)."""
        self.clock.advance(seconds)
        self.settle()

    def confirm(
        self, items: dict[str, int], external: str | None = None, priority: str = "normal"
    ) -> OrderView:
        order, _ = self.kitchen.confirm_order(items, external, priority)
        return order

    def order(self, order_id: UUID) -> OrderView:
        return self.kitchen.get_order(order_id)

    def tasks(self, order_id: UUID) -> list[TaskView]:
        return self.order(order_id).tasks

    def step(self, order_id: UUID, step_no: int, unit: int = 1, line: int = 0) -> TaskView:
        tasks = [t for t in self.tasks(order_id) if t.step_no == step_no and t.unit == unit]
        items = sorted(self.order(order_id).items)
        return next(t for t in tasks if t.item_key == items[line])

    def staff(self, name: str) -> StaffView:
        return next(s for s in self.kitchen.list_staff() if s.name == name)

    def events(self) -> list[Envelope]:
        result: list[Envelope] = []
        while True:
            batch = self.kitchen.event_log(result[-1].notification_id if result else 0, 1000)
            if not batch:
                return result
            result.extend(batch)

    def event_types(self, after: int = 0) -> Counter[str]:
        return Counter(e.type for e in self.events() if e.notification_id > after)

    def state(self) -> dict[str, Any]:
        """Everything observable, for comparing two kitchens over the same store."""
        kitchen = self.kitchen
        orders = sorted(
            (
                kitchen.get_order(row.order_id)
                for row in kitchen.read_model.list_orders(None, 1_000_000, None)
            ),
            key=lambda o: str(o.order_id),
        )
        return {
            "orders": orders,
            "stations": kitchen.list_stations("counter") + kitchen.list_stations("machine"),
            "staff": kitchen.list_staff(),
            "recipes": kitchen.list_recipes(include_retired=True),
            "queue": [(e.task_id, e.key) for e in kitchen.queue.top(1_000_000)],
            "head": kitchen.head_position(),
        }

    def close(self) -> None:
        self.embedded.close()


def build_harness(
    persistence: str,
    data_dir: Path,
    clock: ManualClock | None = None,
    *,
    seed: bool = True,
    settle: bool = True,
    **overrides: Any,
) -> Harness:
    """The demo kitchen (unless ``seed`` is False) on ``persistence``, recovered (projections
    rebuilt, timers re-armed) and, unless ``settle`` is False, settled."""
    clock = clock or ManualClock()
    settings = harness_settings(persistence, data_dir, **overrides)
    embedded = build_embedded(settings, clock=clock, seed=seed)
    embedded.runtime.recover()
    harness = Harness(embedded, clock)
    if settle:
        harness.settle()
    return harness
