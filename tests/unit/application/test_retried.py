"""``@retried``: a command re-runs whole on a version conflict, a bounded number of times."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import RecordConflictError
from kitchen_harness import Harness, build_harness

from kangaroo_paw.application import core
from kangaroo_paw.domain.order import Order


@pytest.fixture
def kp(tmp_path: Path) -> Iterator[Harness]:
    harness = build_harness("popo", tmp_path)
    yield harness
    harness.close()


@pytest.fixture
def naps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(core.time, "sleep", slept.append)
    return slept


def test_a_command_that_always_conflicts_gives_up_after_the_policy_s_attempts(
    kp: Harness, monkeypatch: pytest.MonkeyPatch, naps: list[float]
) -> None:
    saves: list[tuple[Any, ...]] = []

    def conflicting_save(*objs: Any, **kwargs: Any) -> Any:
        saves.append(objs)
        raise RecordConflictError("another writer won")

    monkeypatch.setattr(kp.kitchen, "save", conflicting_save)
    with pytest.raises(RecordConflictError):
        kp.kitchen.add_counter("pass", 2)
    attempts = kp.kitchen.policy.conflict_retries
    assert len(saves) == attempts
    assert len(naps) == attempts - 1  # a jittered pause between attempts, none after the last
    assert all(0 <= nap <= 0.2 for nap in naps)
    assert core.conflict_attempt() == 1  # outside any command


def test_only_a_version_conflict_is_retried(
    kp: Harness, monkeypatch: pytest.MonkeyPatch, naps: list[float]
) -> None:
    saves = 0

    def failing_save(*objs: Any, **kwargs: Any) -> Any:
        nonlocal saves
        saves += 1
        raise OSError("disk full")

    monkeypatch.setattr(kp.kitchen, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        kp.kitchen.add_counter("pass", 2)
    assert (saves, naps) == (1, [])


def test_a_retried_confirm_without_an_external_id_records_the_id_drawn_first(
    kp: Harness, monkeypatch: pytest.MonkeyPatch, naps: list[float]
) -> None:
    """The fresh external id is drawn once per call, not per attempt: the retry records the
    order the first attempt tried to."""
    kitchen = kp.kitchen
    real_save = kitchen.save
    tried: list[Order] = []

    def conflict_once(*objs: Any, **kwargs: Any) -> Any:
        tried.extend(o for o in objs if isinstance(o, Order))
        if len(tried) == 1:
            raise RecordConflictError("another writer won")
        return real_save(*objs, **kwargs)

    monkeypatch.setattr(kitchen, "save", conflict_once)
    view, created = kitchen.confirm_order({"dip_cup": 1})
    monkeypatch.undo()
    assert created
    assert len(naps) == 1
    assert [o.id for o in tried] == [view.order_id, view.order_id]
    assert tried[0].external_order_id == tried[1].external_order_id
    assert kitchen.get_order(view.order_id).external_order_id == tried[0].external_order_id
