"""OutboxLog (the relay's fast reader) gives exactly the envelopes ``to_envelope`` gives,
for every kind of event a kitchen records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.kafka.publisher import encode_envelope
from kangaroo_paw.adapters.postgres.outbox_log import OutboxLog
from kangaroo_paw.composition import EmbeddedKitchen, build_embedded
from kangaroo_paw.domain.ticket import Ticket
from kangaroo_paw.settings import Settings


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedKitchen]:
    kitchen = build_embedded(
        Settings(data_dir=tmp_path, store="memory"), clock=ManualClock(), seed=True
    )
    yield kitchen
    kitchen.kitchen.close()


def lifecycle(embedded: EmbeddedKitchen, clock: ManualClock) -> None:
    """Confirm, allocate, start, complete, requeue, cancel, machines and cooks changing."""
    kitchen = embedded.kitchen
    _ = [
        kitchen.confirm_order({"burger_combo": 2, "cold_coffee": 1}, "fast-1")[0],
        kitchen.confirm_order({"wrap": 1, "dip_cup": 3}, "fast-2", "rush")[0],
        kitchen.confirm_order(
            {"burger_combo": 1},
            "fast-ticket",
            ticket=Ticket(
                table="12",
                channel="takeaway",
                note="birthday",
                modifiers={"burger_combo": ["no onion"]},
                allergens={"burger_combo": ["sesame"]},
            ),
        )[0],
    ]
    for _ in range(6):
        embedded.runtime.drain()
        assigned = kitchen.allocate().assigned
        for n, a in enumerate(assigned):
            if n % 3 == 0:
                task = kitchen.get_task(a.task_id)
                kitchen.requeue_stale(a.task_id, task.assignment_no)
            else:
                kitchen.start_task(a.task_id)
                clock.advance(30)
                kitchen.complete_task(a.task_id)
    late = kitchen.confirm_order({"burger_combo": 3}, "fast-3")[0]
    embedded.runtime.drain()
    kitchen.allocate()
    kitchen.cancel_order(late.order_id, "changed their mind")
    kitchen.cancel_order(kitchen.confirm_order({"wrap": 2}, "fast-4")[0].order_id)
    kitchen.set_machine_up("grill-1", False)
    kitchen.set_machine_up("grill-1", True)
    kitchen.change_counter_capacity("fryer", 5)
    staff = kitchen.list_staff()[0]
    kitchen.set_break(staff.staff_id, True)
    kitchen.set_break(staff.staff_id, False)
    kitchen.update_staff(staff.staff_id, max_parallel=3)
    kitchen.hire_staff("Mia", ["fryer"], 1, 1.2, "06:00", "14:00")
    kitchen.set_available("wrap", False)
    kitchen.set_available("wrap", True)
    kitchen.retire_recipe("dip_cup")
    embedded.runtime.drain()


def test_fast_envelopes_equal_to_envelope_for_every_event(embedded: EmbeddedKitchen) -> None:
    clock = embedded.kitchen.clock
    assert isinstance(clock, ManualClock)
    lifecycle(embedded, clock)
    kitchen = embedded.kitchen
    expected = kitchen.event_log(0, 1_000_000)
    outbox = OutboxLog(kitchen)
    assert outbox._fast
    got = outbox.event_log(0, 1_000_000)
    assert got == expected
    kinds = {e.type for e in expected}
    for wire in (
        "ORDER_CONFIRMED", "ORDER_STATUS_CHANGED", "ORDER_CANCELLED", "TASK_CREATED",
        "TASK_READY", "TASK_ASSIGNED", "TASK_STARTED", "TASK_COMPLETED", "TASK_REQUEUED",
        "TASK_CANCELLED", "STATION_DOWN", "STATION_UP", "STAFF_BREAK_STARTED",
        "STAFF_BREAK_ENDED", "RECIPE_RETIRED", "RECIPE_86ED", "RECIPE_AVAILABLE",
    ):  # fmt: skip
        assert wire in kinds
    # Paging agrees too, and nothing went through the slow path.
    assert outbox.event_log(10, 7) == kitchen.event_log(10, 7)
    assert outbox.head_position() == kitchen.head_position()
    assert all(kind is not None for kind in outbox._kinds.values())
    # The Kafka value: the dataclass encoded directly is byte for byte to_dict() as JSON.
    for envelope in got:
        assert encode_envelope(envelope) == msgspec.json.encode(envelope.to_dict())


def test_unrecognised_state_falls_back_to_the_domain_event(embedded: EmbeddedKitchen) -> None:
    from kangaroo_paw.application.envelopes import to_envelope

    kitchen = embedded.kitchen
    outbox = OutboxLog(kitchen)
    registered = next(
        n
        for n in kitchen.recorder.select_notifications(start=1, limit=100)
        if n.topic == "kangaroo_paw.station.registered.v1"
    )
    # Python's json accepts Infinity (msgspec does not): the general path must take over.
    odd = type(registered)(
        id=registered.id,
        originator_id=registered.originator_id,
        originator_version=registered.originator_version,
        topic=registered.topic,
        state=registered.state.replace(b'"capacity":', b'"capacity":Infinity,"was":'),
    )
    envelope = outbox._envelope(odd)
    assert envelope == to_envelope(kitchen.mapper.to_domain_event(odd), odd.id)
    assert envelope.data["capacity"] == float("inf")
    assert outbox._envelope(registered) == to_envelope(
        kitchen.mapper.to_domain_event(registered), registered.id
    )


def test_token_events_reach_the_wire_without_their_digest(embedded: EmbeddedKitchen) -> None:
    kitchen = embedded.kitchen
    head = kitchen.head_position()
    kitchen.issue_token("pos", "integration")
    kitchen.revoke_token("pos")
    outbox = OutboxLog(kitchen)
    got = outbox.event_log(head, 100)
    assert got == kitchen.event_log(head, 100)
    issued = [e for e in got if e.type == "TOKEN_ISSUED"]
    assert [e.data["name"] for e in issued] == ["pos"]
    assert "digest" not in issued[0].data
    assert [e.type for e in got if e.aggregate_type == "Token"] == ["TOKEN_ISSUED", "TOKEN_REVOKED"]
