"""The compared policies as planners, each on a tiny situation where its order differs from the
queue's own (order-age-first): the original's head-of-line blocking, v1's aged priority, FIFO,
srpt and lst; and the simulated scheduler's timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.domain.allocation import Candidate, CookState, plan_pass
from kangaroo_paw.domain.scoring import ORDER_PATH_WEIGHT, Weights
from kangaroo_paw.ports.queue import QueueEntry, Upsert
from kangaroo_paw.simulation.orderbook import OrderBook
from kangaroo_paw.simulation.policies import (
    POLICIES,
    SortedPlanner,
    TopNPlanner,
    lst_key,
    policy,
    srpt_key,
    tilted_key,
    v1_key,
)
from kangaroo_paw.simulation.scheduler import SimulatedScheduler

WEIGHTS = Weights()
GRILL = ("griller", "grill-1", None)


def _entry(
    group: tuple[str, str | None, str | None],
    age: float,
    priority: float = 10.0,
    ready_at: float = 0.0,
    task_id: UUID | None = None,
) -> QueueEntry:
    """A queued task whose order was confirmed at ``age`` (the queue's order-age-first score)."""
    tid = task_id or uuid4()
    counter, machine, kind = group
    return QueueEntry(tid, counter, machine, priority, ready_at, age, f"{age:017.3f}|{tid}", kind)


def _queue(*entries: QueueEntry) -> InMemoryReadyQueue:
    queue = InMemoryReadyQueue()
    queue.apply([Upsert(e) for e in entries], 1)
    return queue


def _cooks(slots: int = 3) -> list[CookState]:
    skills = frozenset({"fryer", "griller"})
    return [CookState(UUID(int=1), "Asha", skills, 0, slots, 0.0, 1.0, True)]


def _always(_task: UUID) -> bool:
    return True


def _one_slot_pick(planner: SortedPlanner, queue: InMemoryReadyQueue) -> UUID:
    """What the planner places when the grill has room for exactly one task."""
    plan = planner(queue, {"griller": 1, "grill-1": 1}, _cooks(), WEIGHTS, _always)
    assert len(plan.assignments) == 1
    return plan.assignments[0].task_id


def test_the_policies_in_report_order() -> None:
    assert POLICIES == ("ours", "age", "v1", "original", "fifo", "srpt", "lst")
    assert policy("ours").planner is None
    assert not policy("original").complete_pass
    assert isinstance(policy("v1").planner, SortedPlanner)
    book = OrderBook(lambda: 0.0)
    names = (
        "age",
        "v1",
        "fifo",
        "srpt",
        "lst",
        "tilt:1:0",
        "machines-first",
        "bottleneck:1",
    )
    assert all(policy(name, book).complete_pass for name in names)
    for name in ("srpt", "age", "tilt:0.5:0.5"):
        with pytest.raises(ValueError, match="order book"):
            policy(name)
    with pytest.raises(ValueError, match="unknown policy"):
        policy("edf")


def test_the_original_pass_is_blocked_by_twenty_tasks_ahead() -> None:
    fryer = [
        _entry(("fryer", "fryer-1", None), 100.0 + i, priority=30, ready_at=float(i))
        for i in range(20)
    ]
    # The oldest order by far: first in the queue's order, last by the v1 aged priority.
    grill = _entry(GRILL, 0.0, priority=10, ready_at=0.0)
    queue = _queue(*fryer, grill)
    assert queue.top(1)[0].task_id == grill.task_id
    free = {"fryer": 0, "fryer-1": 0, "griller": 6, "grill-1": 6}
    plan = TopNPlanner(20)(queue, free, _cooks(), WEIGHTS, _always)
    assert plan.assignments == []  # the idle grill gets nothing: head-of-line blocking
    assert sum(plan.blocked.values()) == 20


def test_a_group_skipping_pass_looks_past_the_blocked_group() -> None:
    fryer = [
        _entry(("fryer", "fryer-1", None), 100.0 + i, priority=30, ready_at=float(i))
        for i in range(20)
    ]
    grill = _entry(GRILL, 200.0, priority=10, ready_at=0.0)
    queue = _queue(*fryer, grill)
    free = {"fryer": 0, "fryer-1": 0, "griller": 6, "grill-1": 6}
    candidates = {
        g: [Candidate(e.task_id, e.counter, e.machine, e.key) for e in queue.head(g, 10)]
        for g in queue.groups()
    }
    plan = plan_pass(candidates, free, _cooks(), WEIGHTS, queue.groups())
    assert [a.task_id for a in plan.assignments] == [grill.task_id]
    plan = SortedPlanner(v1_key())(queue, free, _cooks(), WEIGHTS, _always)
    assert [a.task_id for a in plan.assignments] == [grill.task_id]


def test_v1_ages_a_task_from_its_own_ready_time_and_adds_its_step_priority() -> None:
    # An older order's finishing step (priority 12) ready 60 s after a newer order's first
    # step (priority 20) was: v1 prefers the newer order, as the issue measured it did.
    finishing = _entry(GRILL, 0.0, priority=12, ready_at=1000.0)
    first_step = _entry(GRILL, 30.0, priority=20, ready_at=940.0)
    queue = _queue(finishing, first_step)
    assert queue.top(1)[0].task_id == finishing.task_id  # order-age-first
    assert _one_slot_pick(SortedPlanner(v1_key(0.14)), queue) == first_step.task_id
    # With enough waiting the older one wins again: 0.14/s * 100 s > 8 points of priority.
    much_later = _entry(GRILL, 30.0, priority=20, ready_at=1100.0)
    assert _one_slot_pick(SortedPlanner(v1_key(0.14)), _queue(finishing, much_later)) == (
        finishing.task_id
    )


def test_fifo_takes_the_oldest_ready_task_whatever_its_order_or_priority() -> None:
    urgent_late = _entry(GRILL, 0.0, priority=90, ready_at=100.0)
    plain_early = _entry(GRILL, 50.0, priority=1, ready_at=10.0)
    planner = policy("fifo").planner
    assert isinstance(planner, SortedPlanner)
    assert _one_slot_pick(planner, _queue(urgent_late, plain_early)) == plain_early.task_id


def _book_with_two_orders(now: float = 0.0) -> tuple[OrderBook, UUID, UUID]:
    """Order A (confirmed at 0) has a long way to go: a ready task with 300 s of path. Order B
    (confirmed at 100) is nearly done: one ready 50-s task is all that is left."""
    book = OrderBook(lambda: now)
    order_a, order_b = uuid4(), uuid4()
    book.add_order(order_a, 0.0)
    book.add_order(order_b, 100.0)
    task_a, task_b = uuid4(), uuid4()
    book.add_task(task_a, order_a, 60.0, 300.0)
    book.add_task(task_b, order_b, 50.0, 50.0)
    return book, task_a, task_b


def test_srpt_serves_the_order_closest_to_done_first() -> None:
    book, task_a, task_b = _book_with_two_orders()
    queue = _queue(_entry(GRILL, 0.0, task_id=task_a), _entry(GRILL, 100.0, task_id=task_b))
    assert queue.top(1)[0].task_id == task_a  # the older order first in the queue
    assert _one_slot_pick(SortedPlanner(srpt_key(book)), queue) == task_b


def test_srpt_breaks_a_tie_by_order_age() -> None:
    book = OrderBook(lambda: 0.0)
    older, newer = uuid4(), uuid4()
    book.add_order(newer, 50.0)
    book.add_order(older, 10.0)
    t_newer, t_older = uuid4(), uuid4()
    book.add_task(t_newer, newer, 40.0, 40.0)
    book.add_task(t_older, older, 40.0, 40.0)
    # Queue order puts the newer order first: only the tie-break can pick the older.
    queue = _queue(_entry(GRILL, 0.0, task_id=t_newer), _entry(GRILL, 1.0, task_id=t_older))
    assert _one_slot_pick(SortedPlanner(srpt_key(book)), queue) == t_older


def test_the_remaining_path_counts_what_is_left_of_started_and_open_tasks() -> None:
    book = OrderBook(lambda: 100.0)
    order = uuid4()
    book.add_order(order, 0.0)
    long_root, short_root, assembly = uuid4(), uuid4(), uuid4()
    book.add_task(long_root, order, 80.0, 120.0)  # 80 s of its own, then the 40-s assembly
    book.add_task(short_root, order, 30.0, 70.0)
    book.add_task(assembly, order, 40.0, 40.0)
    assert book.orders[order].critical_path_secs == 120.0
    assert book.remaining_secs(order) == 120.0
    book.started(long_root, at=70.0)  # ran 30 s of its 80
    assert book.remaining_secs(order) == 90.0
    book.started(long_root, at=0.0)  # overran its estimate: assumed to finish now
    assert book.remaining_secs(order) == 70.0
    book.completed(long_root)
    book.completed(short_root)
    assert book.remaining_secs(order) == 40.0
    assert book.latest_start(assembly) == 0.0 + 120.0 - 40.0


def test_lst_starts_the_task_with_the_least_slack_first() -> None:
    # A (confirmed 0, critical path 300): its 100-s-tail task may start as late as 200.
    # B (confirmed 100, critical path 60): its only task must start at 100 for B to be on time.
    book = OrderBook(lambda: 0.0)
    order_a, order_b = uuid4(), uuid4()
    book.add_order(order_a, 0.0)
    book.add_order(order_b, 100.0)
    root_a, late_a, only_b = uuid4(), uuid4(), uuid4()
    book.add_task(root_a, order_a, 200.0, 300.0)
    book.add_task(late_a, order_a, 100.0, 100.0)
    book.add_task(only_b, order_b, 60.0, 60.0)
    assert book.latest_start(late_a) == 200.0
    assert book.latest_start(only_b) == 100.0
    queue = _queue(_entry(GRILL, 0.0, task_id=late_a), _entry(GRILL, 100.0, task_id=only_b))
    assert _one_slot_pick(SortedPlanner(lst_key(book)), queue) == only_b
    # srpt would pick the same here; with slack on B's side lst keeps A first.
    book.add_task(uuid4(), order_b, 400.0, 400.0)  # B's critical path grows to 400
    assert book.latest_start(only_b) == 100.0 + 400.0 - 60.0
    assert _one_slot_pick(SortedPlanner(lst_key(book)), queue) == late_a


def test_a_planner_skips_entries_that_are_no_longer_ready() -> None:
    stale = _entry(GRILL, 0.0, priority=50)
    fresh = _entry(GRILL, 1.0, priority=10)
    queue = _queue(stale, fresh)
    free = {"griller": 6, "grill-1": 6}
    for planner in (TopNPlanner(20), SortedPlanner(v1_key())):
        plan = planner(queue, free, _cooks(), WEIGHTS, lambda t: t != stale.task_id)
        assert [a.task_id for a in plan.assignments] == [fresh.task_id]


def test_the_simulated_scheduler_arms_each_timeout_once() -> None:
    pushed: list[tuple[datetime, str, tuple[UUID, int]]] = []
    scheduler = SimulatedScheduler(lambda due, kind, payload: pushed.append((due, kind, payload)))
    task = uuid4()
    due = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=45)
    scheduler.schedule_timeout(task, 1, due)
    scheduler.schedule_timeout(task, 1, due)
    scheduler.schedule_timeout(task, 2, due)
    assert [p[2] for p in pushed] == [(task, 1), (task, 2)]
    scheduler.schedule_completion(task, 1, due)
    assert scheduler.completion_timers == 1
    assert len(pushed) == 2  # cooks complete tasks themselves in the simulation
    scheduler.request_allocation()
    assert scheduler.take_allocation_request()
    assert not scheduler.take_allocation_request()


def test_tilt_and_age_rank_orders_confirmed_together_by_their_paths() -> None:
    """Two orders confirmed at once (equal production scores but for the path term): ``age``
    keeps the rank order, ``tilt:1:0`` serves the shorter order first."""
    book = OrderBook(lambda: 0.0)
    long_task, short_task = uuid4(), uuid4()
    entries = []
    for order, task, path, rank in (
        (uuid4(), long_task, 300.0, "a"),
        (uuid4(), short_task, 30.0, "b"),
    ):
        book.add_order(order, 0.0)
        book.add_task(task, order, path, path)
        score = 1000.0 + ORDER_PATH_WEIGHT * path
        entries.append(QueueEntry(task, *GRILL[:2], 10.0, 0.0, score, f"{rank}|{task}"))
    queue = _queue(*entries)
    assert _one_slot_pick(SortedPlanner(tilted_key(book, 0.0, 0.0)), queue) == long_task
    assert _one_slot_pick(SortedPlanner(tilted_key(book, 1.0, 0.0)), queue) == short_task


def test_machines_first_gives_a_short_cook_to_the_machine_step() -> None:
    """One cook slot, an older order's step without a machine and a newer order's grill step:
    the production order takes the older step, machines-first the grill step."""
    older = _entry(("griller", None, None), 1.0)
    newer = _entry(GRILL, 2.0)
    queue = _queue(older, newer)
    free = {"griller": 2, "grill-1": 1}
    for planner, expected in (
        (SortedPlanner(lambda e: e.key), older),
        (policy("machines-first").planner, newer),
    ):
        assert isinstance(planner, SortedPlanner)
        plan = planner(queue, free, _cooks(1), WEIGHTS, _always)
        assert [a.task_id for a in plan.assignments] == [expected.task_id]


def test_the_bottleneck_rule_feeds_the_longest_machine_backlog_when_it_dominates() -> None:
    """One cook slot, an older order's grill step and three newer fryer steps: the production
    order takes the grill step; ``bottleneck:<ratio>`` the oldest fryer step (its backlog, 3,
    is the longest) unless ``ratio`` asks for more than 3 times the grill's 1."""
    older = _entry(GRILL, 1.0)
    fryer = [_entry(("fryer", "fryer-1", None), 2.0 + i) for i in range(3)]
    queue = _queue(older, *fryer)
    free = {"griller": 1, "grill-1": 1, "fryer": 1, "fryer-1": 1}
    for planner, expected in (
        (SortedPlanner(lambda e: e.key), older),
        (policy("bottleneck:1").planner, fryer[0]),
        (policy("bottleneck:3").planner, fryer[0]),
        (policy("bottleneck:3.5").planner, older),
    ):
        assert isinstance(planner, SortedPlanner)
        plan = planner(queue, free, _cooks(1), WEIGHTS, _always)
        assert [a.task_id for a in plan.assignments] == [expected.task_id]
