"""A burger_combo from confirm to COMPLETED over HTTP, on each persistence backend."""

from __future__ import annotations

import pytest

from conftest import KitchenClient

BURGER = {1: "grill patty", 2: "toast bun", 3: "fry fries", 4: "assemble burger"}


@pytest.mark.parametrize("persistence", ["sqlite", "popo"])
def test_burger_combo_lifecycle(client: KitchenClient) -> None:
    confirmed = client.confirm({"burger_combo": 1}, "ord-1001")
    assert confirmed["status"] == "CONFIRMED"
    assert confirmed["external_order_id"] == "ord-1001"
    assert confirmed["priority"] == "normal"
    tasks = {t["step_no"]: t for t in confirmed["tasks"]}
    assert {n: t["description"] for n, t in tasks.items()} == BURGER
    assemble = tasks[4]
    assert sorted(assemble["depends_on"]) == sorted(tasks[n]["task_id"] for n in (1, 2, 3))
    assert assemble["pending_deps"] == 3
    assert sorted(confirmed["ready_task_ids"]) == sorted(tasks[n]["task_id"] for n in (1, 2, 3))
    for t in confirmed["tasks"]:
        assert t["status"] == "UNASSIGNED"
        assert t["order_id"] == confirmed["order_id"]
        assert t["assigned_staff_id"] is None
        assert t["requeue_count"] == 0

    queue = client.get("/api/v1/queue").json()["tasks"]
    # Longest remaining path first: fries 90+35, patty 80+35, bun 25+35.
    assert [q["step_no"] for q in queue] == [3, 1, 2]
    assert [q["tail_secs"] for q in queue] == [125, 115, 60]
    assert all(q["dispatch_age_secs"] >= 0 for q in queue)
    assert all(q["aged_priority"] >= q["base_priority"] for q in queue)

    run = client.run_once()
    assert {a["task_id"] for a in run["assigned"]} == set(confirmed["ready_task_ids"])
    assert run["blocked"] == {"no_staff": 0, "counter_full": 0, "machine_down_or_full": 0}
    order_id = confirmed["order_id"]
    assert client.order(order_id)["status"] == "IN_PROGRESS"

    for step in (1, 2, 3):
        task = client.task(tasks[step]["task_id"])
        assert task["status"] == "ASSIGNED"
        assert task["assigned_staff"] in {"Asha", "Noah"}
        started = client.post(
            f"/api/v1/tasks/{task['task_id']}/start", json={"staff_id": task["assigned_staff_id"]}
        )
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "STARTED"
        assert started.json()["started_at"] is not None

    client.clock.advance(10)
    done = client.post(f"/api/v1/tasks/{tasks[1]['task_id']}/complete")
    assert done.status_code == 200
    assert done.json()["status"] == "COMPLETED"
    assert done.json()["completed_at"] is not None
    assert client.order(order_id)["status"] == "PART_COMPLETED"
    assert client.task(assemble["task_id"])["pending_deps"] == 2
    assert client.run_once()["assigned"] == []  # assembly still waits for bun and fries

    for step in (2, 3):
        assert client.post(f"/api/v1/tasks/{tasks[step]['task_id']}/complete").status_code == 200
    ready = client.get("/api/v1/tasks", params={"status": "READY"}).json()["tasks"]
    assert [t["task_id"] for t in ready] == [assemble["task_id"]]

    run = client.run_once()
    assert [a["task_id"] for a in run["assigned"]] == [assemble["task_id"]]
    assert run["assigned"][0]["counter"] == "adhoc"
    assert run["assigned"][0]["machine"] == "packing-1"
    assert client.post(f"/api/v1/tasks/{assemble['task_id']}/start").status_code == 200
    assert client.post(f"/api/v1/tasks/{assemble['task_id']}/complete").status_code == 200

    final = client.order(order_id)
    assert final["status"] == "COMPLETED"
    assert final["completed_at"] is not None
    assert {t["status"] for t in final["tasks"]} == {"COMPLETED"}
    staff = client.get("/api/v1/staff").json()["staff"]
    assert all(s["active_tasks"] == [] for s in staff)
    machines = client.get("/api/v1/machines").json()["machines"]
    assert all(m["in_use"] == 0 for m in machines)


def test_timer_completes_a_started_task(client: KitchenClient) -> None:
    confirmed = client.confirm({"dip_cup": 1})
    (task_id,) = confirmed["ready_task_ids"]
    client.run_once()
    client.post(f"/api/v1/tasks/{task_id}/start")
    client.advance(5)
    assert client.task(task_id)["status"] == "STARTED"
    client.advance(8)  # the dip cup's estimate is 12 s
    assert client.task(task_id)["status"] == "COMPLETED"
    assert client.order(confirmed["order_id"])["status"] == "COMPLETED"


def test_stale_assignment_is_requeued_with_a_boost(client: KitchenClient) -> None:
    confirmed = client.confirm({"dip_cup": 1})
    (task_id,) = confirmed["ready_task_ids"]
    client.run_once()
    client.advance(46)  # the assignment TTL is 45 s
    task = client.task(task_id)
    assert task["status"] == "UNASSIGNED"
    assert task["requeue_count"] == 1
    assert task["priority"] == task["base_priority"] + 10
    assert [t["task_id"] for t in client.get("/api/v1/queue").json()["tasks"]] == [task_id]


def test_rush_orders_jump_the_queue(client: KitchenClient) -> None:
    client.confirm({"dip_cup": 1}, "normal-1")
    rush = client.confirm({"dip_cup": 1}, "rush-1", priority="rush")
    assert rush["priority"] == "rush"
    queue = client.get("/api/v1/queue").json()["tasks"]
    assert queue[0]["order_id"] == rush["order_id"]
    assert queue[0]["priority"] == queue[0]["base_priority"] + 25
