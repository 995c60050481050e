"""End-to-end latency through Kafka and Temporal: how late allocation and timed completion
run behind the ideal, on the whole services stack as real processes.

    python -m bench e2e             (the harness; --size tiny|small|full)
    python -m bench.suite_e2e [--rate 10] [--seconds 60 | --orders 300] [--estimate 2]

Arrivals at 5 and then 20 orders/s (the full size: 60 s each), each on a fresh stack.

A stack of its own (``serve``, ``relay``, ``projector``, ``consumer``, ``worker``; see
``tests/e2e/full_stack_support.py``) gets extra cooks so that capacity never makes a task
wait; orders of one ``dip_cup`` arrive at a steady rate; simulated cooks start each task as
soon as it is ASSIGNED; Temporal timers complete them. From the recorded history:

- READY → ASSIGNED: ``assigned_at - ready_at`` (the ideal is 0: a cook and a slot are free),
  i.e. relay → Kafka → consumer → signal → allocation pass → save.
- STARTED → COMPLETED lateness: ``actual - estimate`` (the ideal is 0), i.e. relay → Kafka →
  consumer → timer start → durable sleep → activity → save.

Benchmarks report; they assert nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.common import metric, pick

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from full_stack_support import Cooks, FullStack, by_type, moment, wait_for  # noqa: E402

SERVICES = ("postgres", "redis", "kafka", "temporal")
EXTRA_COOKS = 10
COOK_PARALLEL = 20


def hire_cooks(stack: FullStack) -> None:
    for n in range(EXTRA_COOKS):
        response = stack.api.post(
            "/staff",
            json={
                "name": f"bench-cook-{n}",
                "skills": ["adhoc"],
                "max_parallel": COOK_PARALLEL,
                "efficiency_multiplier": 1.0,
                "shift_start": "00:00",
                "shift_end": "00:00",
            },
        )
        assert response.status_code in (200, 201), response.text


def arrive(stack: FullStack, orders: int, rate: float) -> tuple[list[str], Counter[str]]:
    """Confirm one-dip orders at ``rate`` per second (each on its own thread, on time); the
    confirmed order ids and the failed confirms by kind — the HTTP status, or the client
    error's class (an overloaded API is a finding)."""
    order_ids: list[str] = []
    failed: Counter[str] = Counter()
    lock = threading.Lock()

    def confirm(n: int) -> None:
        try:
            body = stack.confirm({"dip_cup": 1}, f"{stack.tag}-{n}")
        except (httpx.HTTPError, AssertionError) as exc:
            kind = type(exc).__name__
            if isinstance(exc, AssertionError):  # the stack's check of the status code
                kind = f"HTTP {str(exc)[:60]}"
            with lock:
                failed[kind] += 1
            return
        with lock:
            order_ids.append(body["order_id"])

    threads = []
    started = time.monotonic()
    for n in range(orders):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=confirm, args=(n,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(60)
    return order_ids, failed


def measure(events: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    ready = {e["task_id"]: moment(e["data"]["ready_at"]) for e in by_type(events, "TASK_READY")}
    to_assigned = [
        (moment(e["data"]["assigned_at"]) - ready[e["task_id"]]).total_seconds() * 1000
        for e in by_type(events, "TASK_ASSIGNED")
        if e["data"]["assignment_no"] == 1 and e["task_id"] in ready
    ]
    estimate = {e["task_id"]: e["data"]["estimate_secs"] for e in by_type(events, "TASK_CREATED")}
    lateness = [
        (e["data"]["actual_secs"] - estimate[e["task_id"]]) * 1000
        for e in by_type(events, "TASK_COMPLETED")
    ]
    return to_assigned, lateness


def breakdown(
    events: list[dict[str, Any]], records: list[dict[str, Any]]
) -> dict[str, list[float]]:
    """Where the time goes: the record's Kafka timestamp (set by the relay's producer) splits
    both paths into stages (ms)."""
    published = {r["event_id"]: r["_kafka_ts_ms"] / 1000 for r in records}
    stages: dict[str, list[float]] = {
        "  READY: store → Kafka (relay)": [],
        "  READY: Kafka → ASSIGNED saved (consumer, signal, pass)": [],
        "  STARTED: store → Kafka (relay)": [],
        "  STARTED: due → COMPLETED saved (timer shard, activity)": [],
    }
    names = list(stages)
    assigned = {
        e["task_id"]: moment(e["data"]["assigned_at"]).timestamp()
        for e in by_type(events, "TASK_ASSIGNED")
        if e["data"]["assignment_no"] == 1
    }
    completed = {
        e["task_id"]: moment(e["data"]["completed_at"]).timestamp()
        for e in by_type(events, "TASK_COMPLETED")
    }
    for e in by_type(events, "TASK_READY"):
        at, sent = moment(e["data"]["ready_at"]).timestamp(), published.get(e["event_id"])
        if sent is not None and e["task_id"] in assigned:
            stages[names[0]].append((sent - at) * 1000)
            stages[names[1]].append((assigned[e["task_id"]] - sent) * 1000)
    for e in by_type(events, "TASK_STARTED"):
        at, sent = moment(e["data"]["started_at"]).timestamp(), published.get(e["event_id"])
        if sent is None or e["task_id"] not in completed:
            continue
        due = moment(e["data"]["due_at"]).timestamp()
        stages[names[2]].append((sent - at) * 1000)
        stages[names[3]].append((completed[e["task_id"]] - due) * 1000)
    return stages


# Servers of the stack by process name (/proc/<pid>/comm), for the CPU table.
SERVERS = {
    "postgres": "PostgreSQL",
    "java": "Kafka",
    "temporal": "Temporal",
    "redis-server": "Redis",
}
CPU_GROUPS = ("serve", "relay", "projector", "consumer", "worker", *SERVERS.values(), "bench")


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every live process: pid → (parent pid, name, CPU seconds so far, user + system)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = (entry / "stat").read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            secs = (int(fields[11]) + int(fields[12])) / ticks
            found[int(entry.name)] = (int(fields[1]), name, secs)
    return found


def cpu_snapshot(stack: FullStack) -> dict[str, float]:
    """CPU seconds used so far by each stack process (with its children), each server (all
    its processes) and this process (the clients and simulated cooks)."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in procs.items():
        children.setdefault(parent, []).append(pid)

    def tree(pid: int) -> float:
        return procs.get(pid, (0, "", 0.0))[2] + sum(tree(c) for c in children.get(pid, []))

    snap = {name: tree(proc.pid) for name, proc in stack.procs.items()}
    for _, name, secs in procs.values():
        if name in SERVERS:
            snap[SERVERS[name]] = snap.get(SERVERS[name], 0.0) + secs
    snap["bench"] = time.process_time()
    return snap


def _one_rate(orders: int, rate: float, estimate: float) -> dict[str, Any]:
    """One stack of its own, ``orders`` one-dip orders at ``rate``/s; the samples, and whether
    the work kept up (a stack that falls behind leaves orders open at the deadline: reported,
    not raised, since that is the finding)."""
    with tempfile.TemporaryDirectory(prefix="kp-bench-e2e-") as logs:
        stack = FullStack(Path(logs))
        try:
            stack.prepare()
            stack.start()
            stack.put_recipe("dip_cup", {1: estimate})
            hire_cooks(stack)
            time.sleep(1)  # the consumer and worker settle (group join, first poll)
            with Cooks(stack, poll_secs=0.1):
                before = cpu_snapshot(stack)
                began = time.monotonic()
                order_ids, failed = arrive(stack, orders, rate)
                with contextlib.suppress(TimeoutError):
                    wait_for(
                        lambda: set(stack.order_statuses(order_ids).values()) == {"COMPLETED"},
                        120 + orders / rate,
                        "every order to complete",
                        poll=1.0,
                    )
                wall = time.monotonic() - began
                after = cpu_snapshot(stack)
                statuses = stack.order_statuses(order_ids)
            events = stack.events()
            records = stack.topic_records(len(events))
            executions = stack.executions()
        finally:
            stack.close()
    to_assigned, lateness = measure(events)
    return {
        "rate": rate,
        "orders": orders,
        "failed": sum(failed.values()),
        "failures": dict(failed),
        "completed": sum(1 for s in statuses.values() if s == "COMPLETED"),
        "wall": round(wall, 1),
        "to_assigned": to_assigned,
        "lateness": lateness,
        "stages": breakdown(events, records),
        "executions": len(executions),
        "cpu": {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in CPU_GROUPS},
    }


def _thirds(samples: list[float]) -> tuple[list[float], list[float]]:
    """The first and last third (in recording order): a growing backlog shows as a later
    third slower than the first."""
    third = max(1, len(samples) // 3)
    return samples[:third], samples[-third:]


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = getattr(args, "size", "full")
    rate_arg = getattr(args, "rate", None)
    rates = [rate_arg] if rate_arg else pick(size, [5.0], [5.0, 20.0], [5.0, 20.0])
    seconds = getattr(args, "seconds", None) or pick(size, 4.0, 10.0, 60.0)
    orders_arg = getattr(args, "orders", None)
    estimate = getattr(args, "estimate", None) or 2.0
    metrics: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    cpu_rows: list[list[Any]] = []
    failure_notes: list[str] = []
    for rate in rates:
        orders = orders_arg or int(rate * seconds)
        found = _one_rate(orders, rate, estimate)
        label = f"{rate:g}/s"
        first, last = _thirds(found["to_assigned"])
        metrics += [
            metric(f"{label} READY → ASSIGNED (Kafka + Temporal allocation)", found["to_assigned"]),
            metric(f"{label} STARTED → COMPLETED lateness (actual - estimate)", found["lateness"]),
            metric(f"{label}   READY → ASSIGNED, first third of the tasks", first),
            metric(f"{label}   READY → ASSIGNED, last third of the tasks", last),
            *(
                metric(f"{label} {name}", samples)
                for name, samples in found["stages"].items()
                if samples
            ),
        ]
        per_order = found["executions"] / max(1, found["orders"])
        row = [
            label,
            found["orders"],
            found["failed"],
            found["completed"],
            found["wall"],
            round(per_order, 2),
        ]
        rows.append(row)
        if found.get("failures"):
            kinds = ", ".join(f"{k}: {n}" for k, n in sorted(found["failures"].items()))
            failure_notes.append(f"{label}: failed confirms by kind: {kinds}.")
        cpu = found.get("cpu", {})
        per_order = [round(cpu.get(k, 0.0) * 1000 / max(1, found["orders"]), 1) for k in CPU_GROUPS]
        cpu_rows.append([label, *per_order, round(sum(per_order), 1)])
    return {
        "metrics": metrics,
        "tables": {
            "Did the stack keep up?": {
                "columns": [
                    "arrivals",
                    "orders",
                    "confirm errors",
                    "completed",
                    "wall s (first confirm → done)",
                    "workflow executions per order",
                ],
                "rows": rows,
            },
            "CPU ms per order, by process": {
                "columns": ["arrivals", *CPU_GROUPS, "total"],
                "rows": cpu_rows,
            },
        },
        "arrival_rates_per_s": rates,
        "estimate_secs": estimate,
        "notes": [
            *failure_notes,
            f"{seconds:g} s of one-dip orders at each rate, each rate on a fresh stack; estimate "
            f"{estimate} s; {EXTRA_COOKS} extra cooks of {COOK_PARALLEL} parallel tasks each, "
            "so no task waits for capacity. A stack that falls behind is stopped 120 s after "
            "the expected end: 'completed' then counts what finished.",
            "CPU ms per order: user + system CPU from /proc over the arrivals and the wait for "
            "completion, divided by the orders; a stack process counts its children, a server "
            "all its processes alive at the end (PostgreSQL backends that exited meanwhile are "
            "missed), bench = this process (clients and simulated cooks). Two cores give "
            "2,000 ms of CPU per second: the total times the rate says how close to saturation "
            "the run was.",
            "Times are the kitchen's recorded times (ready_at, assigned_at, actual_secs), one "
            "clock; every process and server shares this machine's 2 cores (and other "
            "engineers' work: noisy).",
        ],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", choices=("tiny", "small", "full"), default="full")
    parser.add_argument("--orders", type=int, help="orders per rate (default: rate x seconds)")
    parser.add_argument("--rate", type=float, help="one rate, orders per second (default 5, 20)")
    parser.add_argument("--seconds", type=float, help="seconds of arrivals per rate")
    parser.add_argument("--estimate", type=float, help="dip_cup estimate, seconds")
    print(json.dumps(run(parser.parse_args(argv)), indent=2))


if __name__ == "__main__":
    main()
