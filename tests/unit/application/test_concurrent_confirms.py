"""Many confirms racing on one embedded kitchen (the HTTP handler threads of ``serve``): each
caller gets its own order, its own idempotent retry result and its own error, the shared
stations and directories read in place (``peek``) stay consistent, and nothing is lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kangaroo_paw.adapters.sqlite.group_commit import GroupCommitApplicationRecorder
from kangaroo_paw.application.views import OrderView
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import Conflict, UnknownItem
from unit.application.kitchen_harness import build_harness

THREADS = 8
PER_THREAD = 4


@pytest.mark.parametrize(
    ("persistence", "group_commit"),
    [("popo", False), ("sqlite", False), ("sqlite", True)],
    ids=["popo", "sqlite", "sqlite-group-commit"],
)
def test_racing_confirms_each_get_their_own_result(
    persistence: str, group_commit: bool, tmp_path: Path
) -> None:
    harness = build_harness(persistence, tmp_path, sqlite_group_commit=group_commit)
    kitchen = harness.kitchen
    grouped = isinstance(kitchen.recorder, GroupCommitApplicationRecorder)
    assert grouped == group_commit
    start = threading.Barrier(THREADS)

    def caller(n: int) -> list[tuple[str, object]]:
        start.wait()
        seen: list[tuple[str, object]] = []
        for k in range(PER_THREAD):
            external = f"race-{n}-{k}"
            items = {"burger_combo": 1 + (n + k) % 3}
            view, created = kitchen.confirm_order(items, external)
            again, created_again = kitchen.confirm_order(items, external)
            seen.append((external, (view, created, again, created_again, items)))
            try:
                kitchen.confirm_order({"burger_combo": 1, "no_such_dish": 1}, f"bad-{n}-{k}")
            except UnknownItem as error:
                seen.append(("unknown", error))
            try:
                kitchen.confirm_order({"burger_combo": 9}, external)
            except Conflict as error:
                seen.append(("conflict", error))
        return seen

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = [r for rs in pool.map(caller, range(THREADS)) for r in rs]
        orders = [(e, v) for e, v in results if e.startswith("race-")]
        assert len(orders) == THREADS * PER_THREAD
        assert sum(e == "unknown" for e, _ in results) == THREADS * PER_THREAD
        assert sum(e == "conflict" for e, _ in results) == THREADS * PER_THREAD
        for external, outcome in orders:
            assert isinstance(outcome, tuple)
            view, created, again, created_again, items = outcome
            assert isinstance(view, OrderView)
            assert isinstance(again, OrderView)
            assert created
            assert not created_again
            assert view.order_id == again.order_id == ids.order_id(external)
            assert view.external_order_id == external
            assert {t.task_id for t in view.tasks} == {t.task_id for t in again.tasks}
            stored = kitchen.get_order(view.order_id)
            assert stored.items == items
            assert len(stored.tasks) == len(view.tasks)
        for n in range(THREADS):
            for k in range(PER_THREAD):
                assert not kitchen.exists(ids.order_id(f"bad-{n}-{k}"))
        harness.drain()
        listed, _ = kitchen.list_orders(limit=10 * THREADS * PER_THREAD)
        assert {o.external_order_id for o in listed} >= {e for e, _ in orders}
    finally:
        harness.close()
