"""The compared policies as planners: the original's head-of-line blocking, FIFO order, and
the simulated scheduler's timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.simulation.policies import FifoPlanner, TopNPlanner, policy
from kangaroo_paw.adapters.simulation.scheduler import SimulatedScheduler
from kangaroo_paw.domain.allocation import CookState, plan_pass
from kangaroo_paw.domain.scoring import Weights, queue_key
from kangaroo_paw.ports.queue import QueueEntry, Upsert

WEIGHTS = Weights()


def _entry(counter: str, machine: str | None, priority: float, ready_at: float) -> QueueEntry:
    return QueueEntry(
        uuid4(), counter, machine, priority, ready_at, queue_key(priority, ready_at, 0.14)
    )


def _cooks() -> list[CookState]:
    return [
        CookState(UUID(int=1), "Asha", frozenset({"fryer", "griller"}), 0, 3, 0.0, 1.0, True),
    ]


def _always(_task: UUID) -> bool:
    return True


def test_the_original_pass_is_blocked_by_twenty_tasks_ahead() -> None:
    queue = InMemoryReadyQueue()
    fryer = [_entry("fryer", "fryer-1", 30, float(i)) for i in range(20)]
    grill = _entry("griller", "grill-1", 10, 0.0)
    queue.apply([Upsert(e) for e in [*fryer, grill]], 1)
    free = {"fryer": 0, "fryer-1": 0, "griller": 6, "grill-1": 6}
    plan = TopNPlanner(20)(queue, free, _cooks(), WEIGHTS, _always)
    assert plan.assignments == []  # the idle grill gets nothing: head-of-line blocking
    assert sum(plan.blocked.values()) == 20


def test_our_pass_looks_past_the_blocked_group() -> None:
    queue = InMemoryReadyQueue()
    fryer = [_entry("fryer", "fryer-1", 30, float(i)) for i in range(20)]
    grill = _entry("griller", "grill-1", 10, 0.0)
    queue.apply([Upsert(e) for e in [*fryer, grill]], 1)
    free = {"fryer": 0, "fryer-1": 0, "griller": 6, "grill-1": 6}
    groups = {g: queue.head(g, 10) for g in queue.groups()}
    from kangaroo_paw.domain.allocation import Candidate

    candidates = {
        g: [Candidate(e.task_id, e.counter, e.machine, e.key) for e in entries]
        for g, entries in groups.items()
    }
    plan = plan_pass(candidates, free, _cooks(), WEIGHTS, queue.groups())
    assert [a.task_id for a in plan.assignments] == [grill.task_id]


def test_fifo_takes_the_oldest_ready_task_whatever_its_priority() -> None:
    queue = InMemoryReadyQueue()
    urgent_late = _entry("griller", "grill-1", 90, 100.0)
    plain_early = _entry("griller", "grill-1", 1, 10.0)
    queue.apply([Upsert(urgent_late), Upsert(plain_early)], 1)
    free = {"griller": 1, "grill-1": 1}
    plan = FifoPlanner()(queue, free, _cooks(), WEIGHTS, _always)
    assert [a.task_id for a in plan.assignments] == [plain_early.task_id]


def test_a_planner_skips_entries_that_are_no_longer_ready() -> None:
    queue = InMemoryReadyQueue()
    stale = _entry("griller", "grill-1", 50, 0.0)
    fresh = _entry("griller", "grill-1", 10, 0.0)
    queue.apply([Upsert(stale), Upsert(fresh)], 1)
    free = {"griller": 6, "grill-1": 6}
    plan = TopNPlanner(20)(queue, free, _cooks(), WEIGHTS, lambda t: t != stale.task_id)
    assert [a.task_id for a in plan.assignments] == [fresh.task_id]


def test_policies_by_name() -> None:
    assert policy("ours").planner is None
    assert not policy("original").complete_pass
    assert isinstance(policy("fifo").planner, FifoPlanner)


def test_the_simulated_scheduler_arms_each_timeout_once() -> None:
    pushed: list[tuple[datetime, str, tuple[UUID, int]]] = []
    scheduler = SimulatedScheduler(lambda due, kind, payload: pushed.append((due, kind, payload)))
    task = uuid4()
    due = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=45)
    scheduler.schedule_timeout(task, 1, due)
    scheduler.schedule_timeout(task, 1, due)
    scheduler.schedule_timeout(task, 2, due)
    assert [p[2] for p in pushed] == [(task, 1), (task, 2)]
    scheduler.schedule_completion(task, due)
    assert scheduler.completion_timers == 1
    assert len(pushed) == 2  # cooks complete tasks themselves in the simulation
    scheduler.request_allocation()
    assert scheduler.take_allocation_request()
    assert not scheduler.take_allocation_request()
