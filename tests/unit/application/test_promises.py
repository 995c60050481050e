"""Promised ready time through the Kitchen: the snapshot of the live kitchen, the promise an
order gets, and whether the kitchen keeps it when it runs as the forecast assumes."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from kangaroo_paw.application.promises import shift_window
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.forecast import ForecastParams, Phase
from kangaroo_paw.domain.shifts import Shift
from unit.application.kitchen_harness import Harness, build_harness

REACTION = timedelta(seconds=5)  # the policy's default promise_reaction_secs
HORIZON = ForecastParams().horizon_secs
LUNCH = [
    {"burger_combo": 1, "cold_coffee": 1},
    {"wrap": 1, "cold_coffee": 1},
    {"burger_combo": 1, "dip_cup": 1},
    {"wrap": 2, "dip_cup": 1},
    {"cold_coffee": 2},
]


@pytest.fixture
def kp(tmp_path: Path) -> Iterator[Harness]:
    harness = build_harness("popo", tmp_path, promise_margin=0.0)
    yield harness
    harness.close()


class Cooks:
    """Plays the cooks as the forecast assumes: each assignment is started ``REACTION`` after
    it was made, and its completion timer fires after its estimate."""

    def __init__(self, kp: Harness) -> None:
        self.kp = kp

    def step(self) -> bool:
        """Move the clock to the next start or completion and settle; False when idle."""
        kp = self.kp
        kp.settle()
        due = self._next()
        if due is None:
            return False
        kp.clock.set(max(kp.clock.now(), due))
        for task in kp.kitchen.list_tasks("ASSIGNED", limit=10_000):
            assert task.assigned_at is not None
            if task.assigned_at + REACTION <= kp.clock.now():
                kp.kitchen.start_task(task.task_id)
        kp.settle()
        return True

    def until(self, when: datetime) -> None:
        while (due := self._next()) is not None and due <= when:
            self.step()
        self.kp.clock.set(max(self.kp.clock.now(), when))
        self.kp.settle()

    def _next(self) -> datetime | None:
        due = []
        for task in self.kp.kitchen.list_tasks("ASSIGNED", limit=10_000):
            assert task.assigned_at is not None
            due.append(task.assigned_at + REACTION)
        for task in self.kp.kitchen.list_tasks("STARTED", limit=10_000):
            assert task.started_at is not None
            due.append(task.started_at + timedelta(seconds=task.estimate_secs))
        return min(due, default=None)

    def clean_instant(self) -> bool:
        """No assignment is waiting for its start: the forecast's ``ASSIGNED`` assumption
        (a start one reaction delay from now) is then exactly what the cooks do."""
        now = self.kp.clock.now()
        return all(t.assigned_at == now for t in self.kp.kitchen.list_tasks("ASSIGNED"))


def open_task_ids(kp: Harness, orders: int) -> set[UUID]:
    """Every unfinished task of orders ``o-0`` … from the aggregates (the slow, sure way)."""
    found = set()
    for n in range(orders):
        for task in kp.kitchen.get_order(ids.order_id(f"o-{n}")).tasks:
            if task.status not in ("COMPLETED", "CANCELLED"):
                found.add(task.task_id)
    return found


def snapshot_ids(kp: Harness) -> set[UUID]:
    snapshot = kp.kitchen.kitchen_snapshot([], kp.clock.now())
    return {t.task_id for t in snapshot.tasks}


# -- an empty kitchen --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "secs"),
    [
        ({"burger_combo": 1}, 5 + 90 + 5 + 35),  # fries, then assemble
        ({"wrap": 1}, 5 + 60 + 5 + 45),  # grill filling, then assemble
        ({"cold_coffee": 1}, 5 + 55 + 5 + 30),
        ({"dip_cup": 1}, 5 + 12),
    ],
)
def test_in_an_empty_kitchen_the_promise_is_the_critical_path(
    kp: Harness, items: dict[str, int], secs: float
) -> None:
    promised_at, promised_secs = kp.kitchen.quote_order(items)
    assert promised_secs == secs
    assert promised_at == kp.clock.now() + timedelta(seconds=secs)


def test_a_down_machine_is_expected_back_after_the_repair_time(kp: Harness) -> None:
    repair = kp.kitchen.policy.promise_repair_secs
    kp.kitchen.set_machine_up("fryer-1", False)
    # Fries wait for the fryer (repair), then 5 + 90; assemble 5 + 35 after them.
    assert kp.kitchen.quote_order({"burger_combo": 1})[1] == repair + 5 + 90 + 5 + 35
    kp.clock.advance(200)
    assert kp.kitchen.quote_order({"burger_combo": 1})[1] == repair - 200 + 135
    _, other = kp.kitchen.quote_order({"wrap": 1})
    assert other == 115  # nothing of a wrap needs the fryer
    kp.clock.advance(repair)  # overdue: the best guess is that it is about to come back
    assert kp.kitchen.quote_order({"burger_combo": 1})[1] == 135


def test_a_machine_down_with_no_repair_expected_gives_the_horizon(tmp_path: Path) -> None:
    kp = build_harness("popo", tmp_path, promise_margin=0.0)
    kp.kitchen.policy = replace(kp.kitchen.policy, promise_repair_secs=math.inf)
    kp.kitchen.set_machine_up("fryer-1", False)
    assert kp.kitchen.quote_order({"burger_combo": 1})[1] == HORIZON


def test_the_only_cook_of_a_counter_on_break_is_expected_back(kp: Harness) -> None:
    length = kp.kitchen.policy.promise_break_secs
    kp.kitchen.set_break(ids.staff_id("Ravi"), True)  # the only beverage cook
    assert kp.kitchen.quote_order({"cold_coffee": 1})[1] == length + 95
    kp.clock.advance(300)
    assert kp.kitchen.quote_order({"cold_coffee": 1})[1] == length - 300 + 95
    kp.kitchen.set_break(ids.staff_id("Ravi"), False)
    assert kp.kitchen.quote_order({"cold_coffee": 1})[1] == 95


# -- the snapshot ------------------------------------------------------------------------------


def test_the_snapshot_holds_every_open_task_as_the_kitchen_moves(kp: Harness) -> None:
    cooks = Cooks(kp)
    for n, items in enumerate(LUNCH * 3):
        kp.confirm(items, f"o-{n}")
        assert snapshot_ids(kp) == open_task_ids(kp, n + 1)  # before the queue caught up
        kp.clock.advance(7)
        cooks.step()
        assert snapshot_ids(kp) == open_task_ids(kp, n + 1)
    kp.kitchen.cancel_order(ids.order_id("o-4"))
    for _ in range(40):
        cooks.step()
        assert snapshot_ids(kp) == open_task_ids(kp, 15)
    snapshot = kp.kitchen.kitchen_snapshot([], kp.clock.now())
    phases = {t.phase for t in snapshot.tasks}
    assert phases <= set(Phase)
    assert Phase.STARTED in phases


def test_a_restarted_kitchen_finds_its_open_work(tmp_path: Path) -> None:
    kp = build_harness("sqlite", tmp_path, promise_margin=0.0)
    cooks = Cooks(kp)
    for n, items in enumerate(LUNCH * 2):
        kp.confirm(items, f"o-{n}")
        kp.clock.advance(10)
        cooks.step()
    before = open_task_ids(kp, 10)
    clock = kp.clock
    kp.close()
    again = build_harness("sqlite", tmp_path, clock, settle=False, promise_margin=0.0)
    try:
        assert snapshot_ids(again) == before
    finally:
        again.close()


# -- the promise -------------------------------------------------------------------------------


def test_a_quote_then_a_confirm_of_the_same_body_give_the_same_promise(kp: Harness) -> None:
    cooks = Cooks(kp)
    for n, items in enumerate(LUNCH * 2):
        kp.confirm(items, f"o-{n}")
        kp.clock.advance(11)
        cooks.step()
    body = {"burger_combo": 2, "cold_coffee": 1}
    quoted_at, quoted_secs = kp.kitchen.quote_order(body, "normal", "next")
    again = kp.kitchen.quote_order(body, "normal", "next")
    order, _ = kp.kitchen.confirm_order(body, "next")
    assert again == (quoted_at, quoted_secs)
    assert order.promised_ready_at == quoted_at
    assert quoted_secs > 135  # it waits behind ten orders


def test_the_kitchen_keeps_the_promise_when_it_runs_as_assumed(kp: Harness) -> None:
    """Durations equal to the estimates, every start one reaction delay after its assignment,
    nothing else arriving: the promise is then the very instant the order completes."""
    cooks = Cooks(kp)
    for n, items in enumerate(LUNCH * 3):
        kp.confirm(items, f"o-{n}")
        cooks.until(kp.clock.now() + timedelta(seconds=9))
    while not cooks.clean_instant():
        assert cooks.step()
    order, _ = kp.kitchen.confirm_order({"burger_combo": 1, "wrap": 1}, "promised")
    assert order.promised_ready_at is not None
    assert order.promised_secs is not None
    assert order.promised_secs > 115
    while kp.order(order.order_id).status != "COMPLETED":
        assert cooks.step()
    done = kp.order(order.order_id).completed_at
    assert done is not None
    assert abs((done - order.promised_ready_at).total_seconds()) < 1e-3


def test_a_rushed_order_is_promised_sooner(kp: Harness) -> None:
    cooks = Cooks(kp)
    for n, items in enumerate(LUNCH * 2):
        kp.confirm(items, f"o-{n}")
        kp.clock.advance(5)
        cooks.step()
    body = {"burger_combo": 1}
    _, normal = kp.kitchen.quote_order(body, "normal")
    _, rushed = kp.kitchen.quote_order(body, "rush")
    assert 135 <= rushed < normal


# -- shifts ------------------------------------------------------------------------------------

NOON = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "window"),
    [
        ("09:00", "17:00", (-3 * 3600, 5 * 3600)),  # on shift
        ("18:00", "02:00", (6 * 3600, 14 * 3600)),  # later today, past midnight
        ("08:00", "11:00", (20 * 3600, 23 * 3600)),  # over: tomorrow's
        ("00:00", "00:00", (-12 * 3600, math.inf)),  # all day, every day: never ends
        ("2026-01-01T13:00:00+00:00", "2026-01-01T15:00:00+00:00", (3600, 3 * 3600)),
        ("2026-01-01T10:00:00+00:00", "2026-01-01T11:00:00+00:00", None),  # over, for good
    ],
)
def test_shift_windows_count_from_now(
    start: str, end: str, window: tuple[float, float] | None
) -> None:
    assert shift_window(Shift.parse(start, end), NOON) == window


def test_a_start_sees_a_task_that_became_ready_after_the_queue_position(kp: Harness) -> None:
    coffee = kp.confirm({"cold_coffee": 1}, "o-0")
    kp.settle()
    blend = coffee.tasks[0]
    kp.kitchen.start_task(blend.task_id)
    kp.clock.advance(55)
    kp.kitchen.complete_task(blend.task_id)  # the queue has not seen the cup become ready
    kp.kitchen.reload_open_work()
    assert snapshot_ids(kp) == {coffee.tasks[1].task_id} == open_task_ids(kp, 1)


def test_the_promise_is_the_forecast_plus_the_margin(tmp_path: Path) -> None:
    kp = build_harness("popo", tmp_path, promise_margin=0.25)
    now = kp.clock.now()
    forecast = kp.kitchen.forecast_ready_secs(
        kp.kitchen._explode_tasks(ids.order_id("m"), {"burger_combo": 1}, "normal", now), now
    )
    assert forecast == 135
    _, secs = kp.kitchen.quote_order({"burger_combo": 1}, "normal", "m")
    assert secs == 135 * 1.25
    order = kp.confirm({"burger_combo": 1}, "m")
    assert order.promised_secs == secs
