"""``allocate_now`` (the scheduler's callback) stops after one pass that saw every task it
could place, and passes again when a group's fetch was cut short."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kangaroo_paw.application import tasks as task_module
from kangaroo_paw.application.views import AllocationResult
from unit.application.kitchen_harness import Harness, build_harness


@pytest.fixture
def kp(tmp_path: Path) -> Iterator[Harness]:
    harness = build_harness("popo", tmp_path)
    yield harness
    harness.close()


def count_passes(kp: Harness, monkeypatch: pytest.MonkeyPatch) -> list[AllocationResult]:
    """Record every pass ``allocate_now`` runs."""
    kitchen = kp.kitchen
    results: list[AllocationResult] = []
    real = kitchen.allocate

    def recording(*args: Any, **kwargs: Any) -> AllocationResult:
        result = real(*args, **kwargs)
        results.append(result)
        return result

    monkeypatch.setattr(kitchen, "allocate", recording)
    return results


def test_one_pass_that_saw_everything_is_enough(
    kp: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = kp.confirm({"burger_combo": 2})
    kp.drain()
    passes = count_passes(kp, monkeypatch)
    assigned = kp.kitchen.allocate_now()
    assert assigned > 0
    assert len(passes) == 1
    assert passes[0].saw_all
    # Nothing a second pass could have placed was left: it places nothing.
    kp.drain()
    assert kp.kitchen.allocate().assigned == []
    statuses = [t.status for t in kp.tasks(order.order_id)]
    assert statuses.count("ASSIGNED") == assigned


def test_a_group_cut_short_at_its_fetch_limit_gets_another_pass(
    kp: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no margin for stale entries, a group holding more tasks than could be placed
    is fetched only up to its free slots: the pass cannot know it saw all, so another
    runs (and, placing nothing, ends the loop)."""
    monkeypatch.setattr(task_module, "STALE_MARGIN", 0)
    kp.confirm({"burger_combo": 6})
    kp.drain()
    passes = count_passes(kp, monkeypatch)
    kp.kitchen.allocate_now()
    assert not passes[0].saw_all
    assert passes[0].assigned
    assert len(passes) == 2
    assert passes[1].assigned == []
