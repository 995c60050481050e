"""What the kitchen screens show, shaped from the application's views.

The browser gets one board per screen, already joined (a ticket with its order's reference and
promise) and ordered, so the page only draws it. Every board carries ``now`` (the server's
clock: the page corrects its own by it) and ``head`` (the event log position read *before*
the board): the page follows the event stream from ``head``, so a change made while the
board was read is replayed, never missed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.schemas import Task
from kangaroo_paw.application.views import OrderView, QueuedTask, TaskView

OPEN_ORDER_STATUSES = ("CONFIRMED", "IN_PROGRESS", "PART_COMPLETED")
# Order fields a ticket shows when the order carries them (the confirm body's table, guest,
# channel and note); absent fields are simply not drawn.
ORDER_EXTRAS = ("table", "guest", "channel", "note")


class ScreenConfig(msgspec.Struct, kw_only=True):
    """The screens' settings and where the event log stands now."""

    warn_secs: float
    late_secs: float
    now: datetime
    head: int


class OrderRef(msgspec.Struct, kw_only=True):
    """What a ticket says about its order."""

    order_id: UUID
    external_order_id: str
    status: str
    priority: str
    created_at: datetime
    completed_at: datetime | None
    promised_ready_at: datetime | None
    late: bool
    extras: dict[str, Any]


class Card(msgspec.Struct, kw_only=True):
    """One ticket on a station screen: a task and its order; ``queued`` while it waits in
    the ready queue for a cook (it cannot be started yet)."""

    task: Task
    order: OrderRef
    queued: bool


class StationBoard(msgspec.Struct, kw_only=True):
    """A station's tickets in dispatch order: the cooks' tickets by when they were given,
    then the ready queue in pick order."""

    now: datetime
    head: int
    counter: str | None
    staff_id: UUID | None
    cards: list[Card]


class ExpoItem(msgspec.Struct, kw_only=True):
    """One line of an order: its steps (over all units) and how many are done; its course,
    whether that course is on hold, and whether the line was voided (with the reason)."""

    item_key: str
    quantity: int
    steps: int
    steps_done: int
    steps_started: int
    course: int
    held: bool
    voided: bool
    void_reason: str | None
    modifiers: list[str]
    allergens: list[str]


class ExpoTicket(msgspec.Struct, kw_only=True):
    """An order on the expo screen; ``ready`` once it is COMPLETED; ``held_courses`` wait
    for the expo to fire them."""

    order: OrderRef
    items: list[ExpoItem]
    held_courses: list[int]
    ready: bool


class ExpoBoard(msgspec.Struct, kw_only=True):
    """Open orders and the recently completed ones, oldest first."""

    now: datetime
    head: int
    orders: list[ExpoTicket]


class HistoryBucket(msgspec.Struct, kw_only=True):
    """One slice of the last hour: tasks waiting for a cook and orders open at its end,
    and the ticket times (confirm → completed) of the orders completed within it."""

    start: datetime
    end: datetime
    waiting_tasks: int
    open_orders: int
    completed: int
    avg_ticket_secs: float | None
    max_ticket_secs: float | None


class History(msgspec.Struct, kw_only=True):
    """The last ``minutes`` in equal buckets, oldest first."""

    now: datetime
    minutes: int
    buckets: list[HistoryBucket]


def order_ref(view: OrderView) -> OrderRef:
    extras = {name: getattr(view, name) for name in ORDER_EXTRAS if getattr(view, name, None)}
    return OrderRef(
        order_id=view.order_id,
        external_order_id=view.external_order_id,
        status=view.status,
        priority=view.priority,
        created_at=view.created_at,
        completed_at=view.completed_at,
        promised_ready_at=view.promised_ready_at,
        late=view.late,
        extras=extras,
    )


def station_cards(
    active: Iterable[TaskView], queued: Iterable[QueuedTask], orders: dict[UUID, OrderView]
) -> list[Card]:
    """The active (ASSIGNED, STARTED) tasks by assignment time — a ticket keeps its place
    when it is started — then the queued ones in the queue's order."""

    def assigned(view: TaskView) -> tuple[float, str]:
        at = view.assigned_at
        return (at.timestamp() if at is not None else math.inf, str(view.task_id))

    cards = [
        Card(task=present.task(v), order=order_ref(orders[v.order_id]), queued=False)
        for v in sorted(active, key=assigned)
    ]
    cards.extend(
        Card(task=present.task(q.task), order=order_ref(orders[q.task.order_id]), queued=True)
        for q in queued
    )
    return cards


def expo_ticket(view: OrderView) -> ExpoTicket:
    """Every line the order was confirmed with: a voided line stays (marked)
    even when all its tasks were cancelled, so the pass sees what was taken off."""
    lines: dict[str, list[TaskView]] = defaultdict(list)
    for task in view.tasks:
        if task.status != "CANCELLED":
            lines[task.item_key].append(task)
    held = set(view.held_courses)
    items = [
        ExpoItem(
            item_key=item_key,
            quantity=quantity,
            steps=len(lines[item_key]),
            steps_done=sum(t.status == "COMPLETED" for t in lines[item_key]),
            steps_started=sum(t.status == "STARTED" for t in lines[item_key]),
            course=view.courses.get(item_key, 1),
            held=view.courses.get(item_key, 1) in held,
            voided=item_key in view.voided_items,
            void_reason=view.voided_items.get(item_key),
            modifiers=view.modifiers.get(item_key, []),
            allergens=view.allergens.get(item_key, []),
        )
        for item_key, quantity in view.items.items()
    ]
    return ExpoTicket(
        order=order_ref(view),
        items=items,
        held_courses=sorted(view.held_courses),
        ready=view.status == "COMPLETED",
    )


def history(orders: Iterable[OrderView], now: datetime, minutes: int, buckets: int) -> History:
    """Waiting tasks and open orders at each bucket's end; ticket times of completions."""
    width = timedelta(minutes=minutes) / buckets
    start = now - timedelta(minutes=minutes)
    views = list(orders)
    out = []
    for n in range(buckets):
        lo, hi = start + width * n, start + width * (n + 1)
        tickets = [
            (v.completed_at - v.created_at).total_seconds()
            for v in views
            if v.completed_at is not None and lo < v.completed_at <= hi
        ]
        out.append(
            HistoryBucket(
                start=lo,
                end=hi,
                waiting_tasks=sum(_waiting_at(v, hi) for v in views),
                open_orders=sum(_open_at(v, hi) for v in views),
                completed=len(tickets),
                avg_ticket_secs=sum(tickets) / len(tickets) if tickets else None,
                max_ticket_secs=max(tickets) if tickets else None,
            )
        )
    return History(now=now, minutes=minutes, buckets=out)


def _open_at(view: OrderView, at: datetime) -> bool:
    closed = view.completed_at or view.cancelled_at
    return view.created_at <= at and (closed is None or closed > at)


def _waiting_at(view: OrderView, at: datetime) -> int:
    """Tasks of ``view`` that were ready but not yet started at ``at``."""
    if view.cancelled_at is not None and view.cancelled_at <= at:
        return 0
    return sum(
        t.ready_at is not None
        and t.ready_at <= at
        and (t.started_at is None or t.started_at > at)
        and t.status != "CANCELLED"
        for t in view.tasks
    )
