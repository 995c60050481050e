"""What each event makes the scheduler do: one map, reached from a domain event in this
process and from its wire envelope in the Kafka consumer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from kangaroo_paw.application.envelopes import EVENT_TYPES, WIRE_NAMES
from kangaroo_paw.application.reactions import react, react_to_envelope
from kangaroo_paw.composition import build_embedded
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.settings import Settings

ALLOCATING = {
    "TASK_READY",
    "TASK_COMPLETED",
    "TASK_REQUEUED",
    "TASK_REROUTED",
    "TASK_HANDED_BACK",
    "TASK_CANCELLED",
    "TASK_REFIRED",
    "TASK_DEPENDENCY_REOPENED",
    "STATION_UP",
    "STATION_REGISTERED",
    "STATION_CAPACITY_CHANGED",
    "STAFF_BREAK_ENDED",
    "STAFF_HIRED",
    "STAFF_UPDATED",
}


class Calls(list[tuple[Any, ...]]):
    """A scheduler that records what it is asked to do."""

    def request_allocation(self) -> None:
        self.append(("allocate",))

    def schedule_completion(self, task_id: UUID, start_no: int, due_at: datetime) -> None:
        self.append(("complete", task_id, start_no, due_at))

    def schedule_timeout(self, task_id: UUID, assignment_no: int, deadline: datetime) -> None:
        self.append(("timeout", task_id, assignment_no, deadline))

    def schedule_release(self, order_id: UUID, release_at: datetime) -> None:
        self.append(("release", order_id, release_at))

    def close(self) -> None:
        self.append(("close",))


def envelope(kind: str, task_id: UUID | None, **data: Any) -> Envelope:
    return Envelope(
        event_id=uuid4(),
        type=kind,
        aggregate_type="Task",
        aggregate_id=task_id or uuid4(),
        aggregate_version=2,
        notification_id=9,
        occurred_at="2026-01-01T12:00:00Z",
        order_id=None,
        task_id=task_id,
        data=data,
    )


def test_wire_names_and_event_classes_map_one_to_one() -> None:
    assert len(EVENT_TYPES) == len(WIRE_NAMES) == 51
    for event_type, wire in WIRE_NAMES.items():
        assert EVENT_TYPES[wire] is event_type


def test_allocation_is_requested_after_exactly_the_triggering_events() -> None:
    allocating = set()
    for wire in [*EVENT_TYPES, "SOMETHING_ELSE"]:
        calls = Calls()
        react_to_envelope(envelope(wire, None), calls, 60.0)
        if calls:
            assert calls == [("allocate",)]
            allocating.add(wire)
    assert allocating == ALLOCATING


def test_an_assignment_arms_its_timeout_and_a_start_its_completion() -> None:
    task = uuid4()
    calls = Calls()
    assigned = envelope("TASK_ASSIGNED", task, assigned_at="2026-01-01T12:00:00Z", assignment_no=2)
    react_to_envelope(assigned, calls, 90.0)
    started = envelope("TASK_STARTED", task, due_at="2026-01-01T12:05:00Z", start_no=1)
    react_to_envelope(started, calls, 90.0)
    assert calls == [
        ("timeout", task, 2, datetime(2026, 1, 1, 12, 1, 30, tzinfo=UTC)),
        ("complete", task, 1, datetime(2026, 1, 1, 12, 5, tzinfo=UTC)),
    ]


def test_a_recall_arms_a_completion_under_its_new_start_number() -> None:
    task = uuid4()
    calls = Calls()
    recalled = envelope(
        "TASK_RECALLED",
        task,
        start_no=2,
        due_at="2026-01-01T12:07:00Z",
        recalled_at="2026-01-01T12:06:00Z",
    )
    react_to_envelope(recalled, calls, 90.0)
    assert calls == [("complete", task, 2, datetime(2026, 1, 1, 12, 7, tzinfo=UTC))]


def test_a_start_from_before_starts_were_numbered_is_the_first() -> None:
    task = uuid4()
    calls = Calls()
    react_to_envelope(envelope("TASK_STARTED", task, due_at="2026-01-01T12:05:00Z"), calls, 9.0)
    assert calls == [("complete", task, 1, datetime(2026, 1, 1, 12, 5, tzinfo=UTC))]


def test_a_domain_event_and_its_envelope_make_the_same_calls() -> None:
    embedded = build_embedded(Settings(store="memory"), seed=True)
    kitchen = embedded.kitchen
    try:
        kitchen.confirm_order({"burger_combo": 1}, "react-both-ways")
        kitchen.confirm_order({"burger_combo": 1, "dip_cup": 1}, "paced", pace="together")
        embedded.drain()
        assigned = kitchen.allocate().assigned
        assert assigned
        kitchen.start_task(assigned[0].task_id)
        kitchen.add_counter("pastry", 2)
        log = kitchen.recorded(0, 100_000)
        by_event, by_envelope = Calls(), Calls()
        for recorded in log:
            react(recorded.event, by_event, 45.0)
            react_to_envelope(recorded.envelope(), by_envelope, 45.0)
        assert by_event == by_envelope
        kinds = {call[0] for call in by_event}
        assert kinds == {"allocate", "timeout", "complete", "release"}
    finally:
        embedded.close()


def test_planned_releases_arm_one_timer_per_instant() -> None:
    order = uuid4()
    calls = Calls()
    planned = Envelope(
        event_id=uuid4(),
        type="ORDER_RELEASES_PLANNED",
        aggregate_type="Order",
        aggregate_id=order,
        aggregate_version=3,
        notification_id=9,
        occurred_at="2026-01-01T12:00:00Z",
        order_id=order,
        task_id=None,
        data={
            "releases": {
                "dip": "2026-01-01T12:01:00Z",
                "fries": "2026-01-01T12:00:30Z",
                "salad": "2026-01-01T12:01:00Z",
            }
        },
    )
    react_to_envelope(planned, calls, 45.0)
    assert calls == [
        ("release", order, datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)),
        ("release", order, datetime(2026, 1, 1, 12, 1, tzinfo=UTC)),
    ]
