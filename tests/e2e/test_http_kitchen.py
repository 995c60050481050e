"""Counters, machines and cooks over HTTP, and how they steer allocation."""

from __future__ import annotations

from typing import Any

from conftest import KitchenClient
from kangaroo_paw.adapters.clock import ManualClock


def _staff(client: KitchenClient, name: str) -> Any:
    return next(s for s in client.get("/api/v1/staff").json()["staff"] if s["name"] == name)


def test_counters_list_add_and_resize(client: KitchenClient) -> None:
    counters = {c["name"]: c for c in client.get("/api/v1/counters").json()["counters"]}
    assert counters["fryer"] == {"name": "fryer", "capacity": 4, "up": True, "in_use": 0}
    assert set(counters) == {"fryer", "microwave", "griller", "beverage", "adhoc"}
    added = client.post("/api/v1/counters", json={"name": "pastry", "capacity": 2})
    assert added.status_code == 201
    assert added.json() == {"name": "pastry", "capacity": 2, "up": True, "in_use": 0}
    resized = client.patch("/api/v1/counters/pastry", json={"capacity": 3})
    assert resized.status_code == 200
    assert resized.json()["capacity"] == 3


def test_machine_down_blocks_new_work_until_it_is_up(client: KitchenClient) -> None:
    added = client.post(
        "/api/v1/machines", json={"name": "fryer-2", "counter": "fryer", "capacity": 2}
    )
    assert added.status_code == 201
    assert added.json() == {
        "name": "fryer-2",
        "counter": "fryer",
        "capacity": 2,
        "up": True,
        "in_use": 0,
        "kind": "fryer-2",
    }
    down = client.post("/api/v1/machines/fryer-1/down")
    assert down.status_code == 200
    assert down.json()["up"] is False
    order = client.confirm({"burger_combo": 1})
    fries = next(t["task_id"] for t in order["tasks"] if t["step_no"] == 3)
    run = client.run_once()
    assert fries not in {a["task_id"] for a in run["assigned"]}
    assert run["blocked"]["machine_down_or_full"] == 1
    assert len(run["assigned"]) == 2  # the grill is not held up by the fryer
    assert client.task(fries)["status"] == "UNASSIGNED"
    up = client.post("/api/v1/machines/fryer-1/up")
    assert up.json()["up"] is True
    run = client.run_once()
    assert [a["task_id"] for a in run["assigned"]] == [fries]
    machines = {m["name"]: m for m in client.get("/api/v1/machines").json()["machines"]}
    assert machines["fryer-1"]["in_use"] == 1
    assert machines["grill-1"]["in_use"] == 2


def test_staff_break_keeps_work_away_from_the_cook(client: KitchenClient) -> None:
    ravi = _staff(client, "Ravi")
    on_break = client.post(f"/api/v1/staff/{ravi['staff_id']}/break/start")
    assert on_break.status_code == 200
    assert on_break.json()["on_break"] is True
    order = client.confirm({"cold_coffee": 1})
    run = client.run_once()
    assert run["assigned"] == []
    assert run["blocked"]["no_staff"] == 1  # only Ravi works the beverage counter
    back = client.post(f"/api/v1/staff/{ravi['staff_id']}/break/end")
    assert back.json()["on_break"] is False
    run = client.run_once()
    assert [a["task_id"] for a in run["assigned"]] == order["ready_task_ids"]
    assert run["assigned"][0]["staff_id"] == ravi["staff_id"]
    assert run["assigned"][0]["staff_name"] == "Ravi"


def test_a_break_hands_back_unstarted_tasks_at_their_place(
    client: KitchenClient, clock: ManualClock
) -> None:
    ravi = _staff(client, "Ravi")  # the only beverage cook, two tasks at a time
    older = client.confirm({"cold_coffee": 1})["ready_task_ids"]
    clock.advance(1)
    younger = client.confirm({"cold_coffee": 1})["ready_task_ids"]
    run = client.run_once()
    assert sorted(a["task_id"] for a in run["assigned"]) == sorted(older + younger)
    started = client.post(f"/api/v1/tasks/{younger[0]}/start")
    assert started.status_code == 200
    mark = client.log_head()
    on_break = client.post(f"/api/v1/staff/{ravi['staff_id']}/break/start")
    assert on_break.status_code == 200
    cook = on_break.json()
    assert (cook["on_break"], cook["active_tasks"]) == (True, younger)  # started: kept
    handed = client.task(older[0])
    assert (handed["status"], handed["assigned_staff_id"]) == ("UNASSIGNED", None)
    queue = client.get("/api/v1/queue").json()["tasks"]
    assert [t["task_id"] for t in queue] == older  # READY again, at the head
    machines = {m["name"]: m for m in client.get("/api/v1/machines").json()["machines"]}
    assert machines["blender-1"]["in_use"] == 1  # only the started one
    events = client.get("/api/v1/events", params={"after": mark}).json()["events"]
    assert [(e["type"], e["task_id"]) for e in events if e["type"].startswith("TASK_")] == [
        ("TASK_HANDED_BACK", older[0])
    ]
    assert "STAFF_BREAK_STARTED" in {e["type"] for e in events}


def test_hire_read_and_update_a_cook(client: KitchenClient) -> None:
    hired = client.post(
        "/api/v1/staff",
        json={
            "name": "Mia",
            "skills": ["beverage"],
            "max_parallel": 1,
            "efficiency_multiplier": 1.2,
            "shift_start": "00:00",
            "shift_end": "00:00",
        },
    )
    assert hired.status_code == 201
    mia = hired.json()
    assert mia["name"] == "Mia"
    assert mia["on_shift"] is True
    assert mia["on_break"] is False
    assert mia["active_tasks"] == []
    assert client.get(f"/api/v1/staff/{mia['staff_id']}").json() == mia
    changed = client.patch(
        f"/api/v1/staff/{mia['staff_id']}",
        json={"skills": ["beverage", "adhoc"], "max_parallel": 3},
    )
    assert changed.status_code == 200
    assert changed.json()["skills"] == ["beverage", "adhoc"]
    assert changed.json()["max_parallel"] == 3
    assert changed.json()["efficiency_multiplier"] == 1.2
    off = client.patch(
        f"/api/v1/staff/{mia['staff_id']}",
        json={"shift_start": "2020-01-01T08:00:00Z", "shift_end": "2020-01-01T16:00:00Z"},
    )
    assert off.status_code == 200
    assert off.json()["on_shift"] is False
    assert "Mia" in [s["name"] for s in client.get("/api/v1/staff").json()["staff"]]
