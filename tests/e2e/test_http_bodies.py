"""The bodies of tasks, orders and cooks carry exactly the API's fields, in the API's order.

Those bodies are built on the application views' field sets, so this is where a field added to
a view (or one the view keeps to itself, like ``assignment_no``) would show up on the wire.
"""

from __future__ import annotations

from datetime import datetime

from conftest import KitchenClient

TASK = [
    "task_id", "order_id", "item_key", "unit", "step_no", "description", "counter", "machine",
    "estimate_secs", "base_priority", "priority", "rush_credit_secs", "tail_secs", "status",
    "pending_deps", "depends_on", "ready_at", "assigned_staff_id", "assigned_staff",
    "assigned_machine", "assigned_at", "started_at", "completed_at", "requeue_count",
    "machine_kind", "interrupted_at",
    "modifiers", "allergens", "attempt", "start_no", "due_at", "voided", "held",
]  # fmt: skip
ORDER = [
    "order_id", "external_order_id", "status", "priority", "items", "created_at",
    "completed_at", "cancelled_at", "rush_credit_secs", "promised_ready_at",
    "table", "guest", "channel", "note", "modifiers", "allergens", "voided_items",
    "courses", "held_courses", "pace", "promised_secs",
    "late", "ready_task_ids", "tasks",
]  # fmt: skip
STAFF = [
    "staff_id", "name", "skills", "max_parallel", "efficiency_multiplier", "shift_start",
    "shift_end", "on_break", "on_shift", "active_tasks", "active_secs",
]  # fmt: skip


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def test_order_task_and_cook_bodies_have_the_api_fields(client: KitchenClient) -> None:
    order = client.confirm({"burger_combo": 1}, "bodies-1")
    assert list(order) == ORDER
    assert all(list(task) == TASK for task in order["tasks"])
    promised = _time(order["promised_ready_at"]) - _time(order["created_at"])
    assert order["promised_secs"] == promised.total_seconds()
    ready = [t["task_id"] for t in order["tasks"] if t["pending_deps"] == 0]
    assert len(ready) == 3  # grill patty, toast bun, fry fries
    assert order["ready_task_ids"] == ready
    queued = client.get("/api/v1/queue").json()["tasks"]
    assert sorted(q["task_id"] for q in queued) == sorted(ready)
    assert all(list(q) == [*TASK, "aged_priority", "dispatch_age_secs"] for q in queued)

    assigned = client.run_once()["assigned"]
    assert assigned
    task = client.task(assigned[0]["task_id"])
    assert list(task) == TASK
    assert (task["status"], task["assigned_staff_id"]) == ("ASSIGNED", assigned[0]["staff_id"])

    cooks = client.get("/api/v1/staff").json()["staff"]
    assert cooks
    assert all(list(cook) == STAFF for cook in cooks)
    holder = next(c for c in cooks if c["staff_id"] == assigned[0]["staff_id"])
    assert assigned[0]["task_id"] in holder["active_tasks"]
