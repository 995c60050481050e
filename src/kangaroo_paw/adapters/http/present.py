"""Application views → transport schemas (the only place the two shapes meet)."""

from __future__ import annotations

from typing import Any

from kangaroo_paw.adapters.http import schemas as s
from kangaroo_paw.application.views import (
    AllocationResult,
    OrderView,
    QueuedTask,
    RecipeView,
    StaffView,
    StationView,
    TaskView,
)
from kangaroo_paw.ports.envelope import Envelope


def _task_fields(view: TaskView) -> dict[str, Any]:
    return {
        "task_id": view.task_id,
        "order_id": view.order_id,
        "item_key": view.item_key,
        "unit": view.unit,
        "step_no": view.step_no,
        "description": view.description,
        "counter": view.counter,
        "machine": view.machine,
        "estimate_secs": view.estimate_secs,
        "base_priority": view.base_priority,
        "priority": view.priority,
        "rush_credit_secs": view.rush_credit_secs,
        "tail_secs": view.tail_secs,
        "status": view.status,
        "pending_deps": view.pending_deps,
        "depends_on": list(view.depends_on),
        "ready_at": view.ready_at,
        "assigned_staff_id": view.assigned_staff_id,
        "assigned_staff": view.assigned_staff,
        "assigned_machine": view.assigned_machine,
        "assigned_at": view.assigned_at,
        "started_at": view.started_at,
        "completed_at": view.completed_at,
        "requeue_count": view.requeue_count,
    }


def task(view: TaskView) -> s.Task:
    return s.Task(**_task_fields(view))


def queued(entry: QueuedTask) -> s.QueuedTask:
    return s.QueuedTask(
        **_task_fields(entry.task),
        aged_priority=entry.aged_priority,
        dispatch_age_secs=entry.dispatch_age_secs,
    )


def order(view: OrderView) -> s.Order:
    return s.Order(
        order_id=view.order_id,
        external_order_id=view.external_order_id,
        status=view.status,
        priority=view.priority,
        items=dict(view.items),
        created_at=view.created_at,
        completed_at=view.completed_at,
        cancelled_at=view.cancelled_at,
        rush_credit_secs=view.rush_credit_secs,
        promised_ready_at=view.promised_ready_at,
        promised_secs=view.promised_secs,
        late=view.late,
        ready_task_ids=view.ready_task_ids,
        tasks=[task(t) for t in view.tasks],
    )


def allocation(result: AllocationResult) -> s.AllocationRun:
    blocked = result.blocked
    return s.AllocationRun(
        assigned=[
            s.Assignment(
                task_id=a.task_id,
                staff_id=a.staff_id,
                staff_name=a.staff_name,
                counter=a.counter,
                machine=a.machine,
            )
            for a in result.assigned
        ],
        blocked=s.Blocked(
            no_staff=blocked.get("no_staff", 0),
            counter_full=blocked.get("counter_full", 0),
            machine_down_or_full=blocked.get("machine_down_or_full", 0),
        ),
    )


def counter(view: StationView) -> s.Counter:
    return s.Counter(name=view.name, capacity=view.capacity, up=view.up, in_use=view.in_use)


def machine(view: StationView) -> s.Machine:
    return s.Machine(
        name=view.name,
        counter=view.counter or "",
        capacity=view.capacity,
        up=view.up,
        in_use=view.in_use,
    )


def staff(view: StaffView) -> s.Staff:
    return s.Staff(
        staff_id=view.staff_id,
        name=view.name,
        skills=list(view.skills),
        max_parallel=view.max_parallel,
        efficiency_multiplier=view.efficiency_multiplier,
        shift_start=view.shift_start,
        shift_end=view.shift_end,
        on_break=view.on_break,
        on_shift=view.on_shift,
        active_tasks=list(view.active_tasks),
        active_secs=view.active_secs,
    )


def recipe(view: RecipeView) -> s.Recipe:
    return s.Recipe(
        item_key=view.item_key,
        revision=view.revision,
        retired=view.retired,
        steps=[_step(raw) for raw in view.steps],
        dependencies=[s.Dependency(step_no=a, depends_on=b) for a, b in view.dependencies],
        explicit_dependencies=view.explicit_dependencies,
        effective_dependencies=[
            s.Dependency(step_no=step_no, depends_on=parent)
            for step_no, parents in sorted(view.effective_dependencies.items())
            for parent in parents
        ],
    )


def _step(raw: dict[str, object]) -> s.RecipeStep:
    machine_name = raw.get("machine")
    return s.RecipeStep(
        step_no=int(str(raw["step_no"])),
        description=str(raw["description"]),
        counter=str(raw["counter"]),
        machine=None if machine_name is None else str(machine_name),
        estimate_secs=float(str(raw["estimate_secs"])),
        base_priority=float(str(raw["base_priority"])),
    )


def event(envelope: Envelope) -> s.Event:
    return s.Event(
        event_id=envelope.event_id,
        type=envelope.type,
        aggregate_type=envelope.aggregate_type,
        aggregate_id=envelope.aggregate_id,
        aggregate_version=envelope.aggregate_version,
        notification_id=envelope.notification_id,
        occurred_at=envelope.occurred_at,
        order_id=envelope.order_id,
        task_id=envelope.task_id,
        data=dict(envelope.data),
    )
