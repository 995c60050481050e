"""Every event class names itself twice: by its stored ``TOPIC`` and by its wire name
(``WIRE``). The wire name is a class constant, not a field, so it never reaches the stored
state, and a stored event decodes through its topic wherever its class is defined."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

from domain_builders import at, make_order, make_staff, make_station, make_task
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import resolve_topic

from kangaroo_paw.domain.directory import Directory
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.recipes import RecipeStep
from kangaroo_paw.domain.shifts import Shift
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import HandBackReason, Task
from kangaroo_paw.domain.token import Token

AGGREGATES = (Order, Task, Station, Staff, Recipe, Directory, Token)


def event_classes() -> list[type]:
    """The event classes of every aggregate (not the generated ``Event`` base)."""
    return [
        value
        for aggregate in AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name != "Event"
    ]


def mapper() -> Mapper[uuid.UUID]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def one_of_each() -> list[Any]:
    """At least one event of every class, from ordinary commands."""
    task = make_task()
    task.assign(uuid.uuid4(), "Asha", at(1))
    task.requeue(5.0, at(2))
    task.assign(uuid.uuid4(), "Ravi", at(3))
    task.start(at(4))
    task.complete(at(10))
    child = make_task(depends_on=[task.id])
    child.dependency_met(task.id, at(10))
    child.reprioritise(180.0, 5.0, at(11))
    child.reopen_dependency(task.id, at(11))
    child.cancel(at(12))
    pooled = make_task(machine=None, machine_kind="fryer")
    pooled.assign(uuid.uuid4(), "Asha", at(1), "fryer-1")
    pooled.machine_down("fryer-1", at(2))  # rerouted
    barista = uuid.uuid4()
    pooled.assign(barista, "Ben", at(2), "fryer-2")
    pooled.hand_back(barista, HandBackReason.BREAK, 0.0, at(2))  # the cook went on break
    pooled.assign(uuid.uuid4(), "Asha", at(3), "fryer-2")
    pooled.start(at(4))
    pooled.machine_down("fryer-2", at(5))  # interrupted
    task.recall(at(20), 120.0)
    task.refire(at(21), "dropped")
    task.assign(uuid.uuid4(), "Asha", at(22))
    task.start(at(23))
    task.void(at(24), "guest left")

    order = make_order([task.id, child.id])
    order.task_assigned(at(1))
    order.task_completed(task.id, at(10))
    order.task_reopened(task.id, at(20))
    order.reprioritise("rush", 180.0, at(11))
    order.void_line("burger_combo", "guest left", [task.id, child.id], at(24))

    held_task = make_task(ready=False)
    held_task.hold(2)
    held_task.fire(at(3))
    coursed = make_order([held_task.id])
    coursed.plan_courses({"burger_combo": 2}, [2], "together")
    coursed.fire(2, at(3))
    coursed.plan_releases({"burger_combo": at(5)})
    coursed.release_items(["burger_combo"], at(5))

    station = make_station()
    station.change_capacity(3)
    station.reserve(task.id)
    station.release(task.id)
    station.go_down(at(5))
    station.come_up(at(6))

    cook = make_staff()
    cook.update(skills=["fryer"], max_parallel=3, efficiency=1.2, shift=Shift("00:00", "00:00"))
    cook.start_break(at(1))
    cook.end_break(at(2))
    cook.take(task.id, "fryer", at(3))
    cook.finish(task.id, 80.0, 60.0, at(4))
    cook.take(child.id, "fryer", at(5))
    cook.drop(child.id)

    step = RecipeStep(1, "fry fries", "fryer", None, 90.0, 18.0)
    recipe = Recipe(id=uuid.uuid4(), item_key="fries", steps=[step.to_dict()], dependencies=[])
    recipe.revise([step], [])
    recipe.mark_available(False, at(7))
    recipe.mark_available(True, at(8))
    recipe.retire()

    directory = Directory(id=uuid.uuid4(), kind="recipes")
    directory.add("fries", recipe.id)

    token = Token(
        id=uuid.uuid4(),
        name="pos",
        role="integration",
        counters=[],
        digest="0" * 64,
        issued_at=at(1),
        expires_at=None,
    )
    token.revoke(at(2))

    aggregates = (
        task, child, pooled, order, held_task, coursed, station, cook, recipe, directory, token
    )  # fmt: skip
    return [event for aggregate in aggregates for event in aggregate.collect_events()]


def test_every_event_class_has_a_wire_name_of_its_own() -> None:
    classes = event_classes()
    wires = [cls.WIRE for cls in classes]  # type: ignore[attr-defined]
    assert len(classes) == 51  # 34 + pools 2, 86 2, recall/re-fire/void 6, hold/fire 6, hand-back 1
    assert all(isinstance(wire, str) and wire.isupper() for wire in wires)
    assert len(set(wires)) == len(wires)


def test_the_wire_name_is_not_part_of_the_stored_state() -> None:
    events = one_of_each()
    assert {type(e) for e in events} == set(event_classes())
    store = mapper()
    for event in events:
        assert "WIRE" not in vars(event)
        fields = {f.name for f in dataclasses.fields(event)}
        assert "WIRE" not in fields
        stored = store.to_stored_event(event)
        state = json.loads(stored.state)
        state.pop("class_version", None)  # the mapper's own, for upcasting
        assert set(state) == set(vars(event)) - {"originator_id", "originator_version"}
        assert stored.topic == type(event).TOPIC


def test_every_stored_event_decodes_through_its_topic() -> None:
    store = mapper()
    for event in one_of_each():
        stored = store.to_stored_event(event)
        decoded = store.to_domain_event(stored)
        assert type(decoded) is type(event)
        assert decoded == event


def test_a_directory_event_stored_before_its_module_moved_still_loads() -> None:
    # Directory lived in domain/recipe.py; stored events name it by topic, never by module.
    member = uuid.UUID("6a3c1c52-9c2b-4ea0-8a55-1f4dd1f2b1aa")
    stored = StoredEvent(
        originator_id=uuid.UUID("0b0e3c4e-2f44-4f8e-9a51-3f3e1a4c8d21"),
        originator_version=2,
        topic="kangaroo_paw.directory.member_added.v1",
        state=(
            b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T12:00:00+00:00"},'
            b'"name":"fries","member_id":{"_type_":"uuid_hex","_data_":"' + member.hex.encode()
            + b'"}}'
        ),
    )  # fmt: skip
    event = mapper().to_domain_event(stored)
    assert isinstance(event, Directory.MemberAdded)
    assert (event.name, event.member_id) == ("fries", member)
    assert resolve_topic("kangaroo_paw.directory.v1") is Directory
    assert resolve_topic("kangaroo_paw.directory.opened.v1") is Directory.Created
