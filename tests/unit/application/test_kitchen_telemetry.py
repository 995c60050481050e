"""What the kitchen reports to its ``Metrics`` port: new orders (not idempotent repeats),
ticket times of completed orders, allocation passes with what they left blocked, and the
lateness of the completion timer. Run on each persistence backend, like the scenarios."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kangaroo_paw.domain.allocation import BLOCK_REASONS
from unit.application.kitchen_harness import Harness, build_harness


class Reports:
    """A ``Metrics`` port that keeps every report."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def order_confirmed(self) -> None:
        self.calls.append(("order_confirmed",))

    def ticket_completed(self, secs: float) -> None:
        self.calls.append(("ticket_completed", secs))

    def allocation_pass(self, secs: float, blocked: Mapping[str, int]) -> None:
        self.calls.append(("allocation_pass", secs, dict(blocked)))

    def timer_fired(self, kind: str, lateness_secs: float) -> None:
        self.calls.append(("timer_fired", kind, lateness_secs))

    def workflow_started(self, workflow: str) -> None:
        self.calls.append(("workflow_started", workflow))

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == name]


class KitchenTelemetry:
    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def kp(self, tmp_path: Path) -> Iterator[Harness]:
        harness = build_harness(self.persistence, tmp_path)
        yield harness
        harness.close()

    @pytest.fixture
    def reports(self, kp: Harness) -> Reports:
        reports = Reports()
        kp.kitchen.metrics = reports
        return reports

    def test_a_new_order_is_counted_once_and_a_repeat_not_at_all(
        self, kp: Harness, reports: Reports
    ) -> None:
        kp.kitchen.confirm_order({"dip_cup": 1}, "tel-1")
        kp.kitchen.confirm_order({"dip_cup": 1}, "tel-1")  # the same request again
        kp.kitchen.confirm_order({"burger_combo": 2}, "tel-2")
        assert len(reports.of("order_confirmed")) == 2

    def test_an_order_completed_by_its_timer_reports_ticket_time_and_lateness(
        self, kp: Harness, reports: Reports
    ) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        kp.clock.advance(3)
        kp.kitchen.start_task(task.task_id)
        kp.advance(12.5)  # the 12 s estimate ran out half a second ago
        assert kp.order(order.order_id).status == "COMPLETED"
        assert reports.of("timer_fired") == [("timer_fired", "complete", pytest.approx(0.5))]
        assert reports.of("ticket_completed") == [("ticket_completed", pytest.approx(15.5))]

    def test_a_completion_by_hand_reports_the_ticket_but_no_timer(
        self, kp: Harness, reports: Reports
    ) -> None:
        order = kp.confirm({"dip_cup": 1})
        kp.settle()
        task = kp.tasks(order.order_id)[0]
        kp.kitchen.start_task(task.task_id)
        kp.clock.advance(4)
        kp.kitchen.complete_task(task.task_id)
        assert reports.of("ticket_completed") == [("ticket_completed", pytest.approx(4.0))]
        assert reports.of("timer_fired") == []
        kp.advance(60)  # the timer comes due after all: nothing left to do, nothing reported
        assert reports.of("timer_fired") == []
        assert len(reports.of("ticket_completed")) == 1

    def test_allocation_passes_report_their_duration_and_what_stayed_blocked(
        self, kp: Harness, reports: Reports
    ) -> None:
        kp.confirm({"burger_combo": 6})  # more grill work than the grill holds
        kp.settle()
        passes = reports.of("allocation_pass")
        assert passes
        assert all(secs >= 0 for _, secs, _ in passes)
        blocked: dict[str, int] = {}
        for _, _, reasons in passes:
            for reason, count in reasons.items():
                blocked[reason] = blocked.get(reason, 0) + count
        assert sum(blocked.values()) > 0
        assert set(blocked) <= set(BLOCK_REASONS)
        result = kp.kitchen.allocate()  # a pass by hand is reported too, with its result
        assert reports.calls[-1] == ("allocation_pass", pytest.approx(0, abs=5), result.blocked)


class TestKitchenTelemetryPopo(KitchenTelemetry):
    persistence = "popo"


class TestKitchenTelemetrySqlite(KitchenTelemetry):
    persistence = "sqlite"
