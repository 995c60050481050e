"""The benchmark suites run on tiny sizes and return the structure the harness and the report
expect. No timing is asserted: these machines are shared and noisy."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import types
from pathlib import Path

import pytest
from bench import __main__ as harness
from bench import report
from bench.common import Skipped

TINY = argparse.Namespace(size="tiny", seed=1)


def _check_metrics(result: dict[str, object]) -> None:
    metrics = result["metrics"]
    assert isinstance(metrics, list)
    assert metrics
    for m in metrics:
        assert {"name", "unit", "n", "median", "p90", "p99"} <= set(m)


def test_the_harness_finds_the_suites() -> None:
    assert {"core", "sim", "store", "relay", "http", "e2e"} <= set(harness.suites())


def test_core_suite_on_tiny_sizes() -> None:
    result = harness.run_suite("core", TINY)
    assert result["status"] == "ok", result.get("traceback")
    _check_metrics(result)
    names = " ".join(m["name"] for m in result["metrics"])
    for expected in ("confirm popo", "confirm sqlite", "allocation pass", "start_task",
                     "complete_task", "with snapshots", "no snapshots",
                     "quote with 100 open orders"):  # fmt: skip
        assert expected in names
    growth = result["tables"]["One allocation pass against the ready-queue size"]
    assert len(growth["rows"]) == 2
    json.dumps(result)


def test_sim_suite_on_tiny_sizes() -> None:
    result = harness.run_suite("sim", TINY)
    assert result["status"] == "ok", result.get("traceback")
    _check_metrics(result)
    policies = {"ours", "age", "v1", "original", "fifo", "srpt", "lst"}
    assert {r["policy"] for r in result["policies"]} == policies
    assert {r["load"] for r in result["policies"]} == {0.5, 0.7, 0.9}
    for row in result["policies"]:
        assert len(row["workloads"]) == 1  # one seed, one workload per row
    optimum = result["optimum"]
    if "skipped" not in optimum:
        assert len(optimum["batches"]) == 2
        assert set(optimum["summary"]) == policies
        for batch in optimum["batches"]:
            assert all(r > 0 for r in batch["ratios"].values())
            # Only a proven optimum bounds every policy: on a busy machine the tiny size's 2 s
            # solver limit can stop at a schedule that a policy beats.
            if batch["proven_optimal"]:
                assert all(r >= 1.0 - 1e-9 for r in batch["ratios"].values())
    json.dumps(result)


def test_a_suite_that_cannot_run_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    def run(args: argparse.Namespace) -> dict[str, object]:
        raise Skipped("postgres is down on 127.0.0.1:5432")

    fake = types.ModuleType("bench.suite_fake")
    fake.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.suite_fake", fake)
    result = harness.run_suite("fake", TINY)
    assert result["status"] == "skipped"
    assert "postgres is down" in result["reason"]


def test_a_suite_whose_server_is_down_is_skipped_without_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KP_DATABASE_URL", "postgresql://kp@127.0.0.1:1/kp")
    ran = []
    fake = types.ModuleType("bench.suite_fakedb")
    fake.SERVICES = ("postgres",)  # type: ignore[attr-defined]
    fake.run = lambda args: ran.append(args) or {}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.suite_fakedb", fake)
    result = harness.run_suite("fakedb", TINY)
    assert result["status"] == "skipped"
    assert result["reason"] == "postgres is not reachable at 127.0.0.1:1"
    assert ran == []


def test_flat_figures_are_shown_as_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("bench.suite_flat")
    fake.run = lambda args: {"events_per_s": 1234.5, "ratio": 0.8}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.suite_flat", fake)
    result = harness.run_suite("flat", TINY)
    page = "\n".join(report.section(result))
    assert "| events_per_s | 1,234 |" in page
    assert "| ratio | 0.8 |" in page


def test_results_become_the_performance_page(tmp_path: Path) -> None:
    results = tmp_path / "results"
    assert harness.main(["core", "--size", "tiny", "--out", str(results)]) == 0
    page = tmp_path / "performance.md"
    assert report.main(["--results", str(results), "--out", str(page)]) == 0
    text = page.read_text()
    assert "## core" in text
    assert "Machine:" in text
    assert "python -m bench" in text


def test_the_readme_block_is_rewritten_between_its_markers(tmp_path: Path) -> None:
    results = tmp_path / "results"
    assert harness.main(["core", "--size", "tiny", "--out", str(results)]) == 0
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{report.README_START}\nold figures\n{report.README_END}\nTail\n")
    page = tmp_path / "performance.md"
    args = ["--results", str(results), "--out", str(page), "--readme", str(readme)]
    assert report.main(args) == 0
    text = readme.read_text()
    assert "old figures" not in text
    assert text.startswith("# Title")
    assert text.endswith("Tail\n")
    assert "One allocation pass" in text


def test_a_report_to_another_page_leaves_our_readme_alone(tmp_path: Path) -> None:
    ours = Path(report.ROOT / "README.md")
    before = ours.read_text()
    results = tmp_path / "results"
    assert harness.main(["core", "--size", "tiny", "--out", str(results)]) == 0
    assert report.main(["--results", str(results), "--out", str(tmp_path / "p.md")]) == 0
    assert ours.read_text() == before


@pytest.mark.e2e
def test_http_suite_on_tiny_sizes() -> None:
    result = harness.run_suite("http", TINY)
    assert result["status"] == "ok", result.get("traceback")
    rows = result["tables"]["HTTP over loopback"]["rows"]
    embedded = [r for r in rows if r[0] == "embedded"]
    assert "embedded, promise off" in {r[0] for r in rows}
    assert {(r[1], r[2]) for r in embedded} == {
        ("confirm", 1),
        ("get_task", 1),
        ("confirm", 4),
        ("get_task", 4),
    }
    assert all(r[3] > 0 and r[4] == 0 for r in rows)  # requests served, none failed
    modes = {r[0] for r in rows}
    if "services" in modes:  # PostgreSQL and Redis up: 2 workers and the floor beside them
        assert {
            "services, 2 workers",
            "services, promise off",
            "floor (psycopg)",
            "floor (psycopg), 2 workers",
        } <= modes
        against = result["tables"]["Confirm rate over the floor (same run)"]["rows"]
        assert {(r[0], r[1]) for r in against} == {
            (mode, clients)
            for mode in ("embedded", "services", "services, promise off", "services, 2 workers")
            for clients in (1, 4)
        }
        assert all(r[4] > 0 for r in against)
    scaling = result["tables"]["Confirm rate at N clients over 1 client"]["rows"]
    assert {r[0] for r in scaling} == modes
    assert {r[1] for r in scaling} == {4}
    json.dumps(result)


def test_the_e2e_suite_runs_5_and_20_orders_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("kafka")
    from bench import suite_e2e

    calls = []

    def one_rate(orders: int, rate: float, estimate: float) -> dict[str, object]:
        calls.append((orders, rate))
        ramp = [float(n) for n in range(9)]  # a backlog: later tasks wait longer
        stages = {
            "  READY: store → Kafka (relay)": [1.0],
            "  STARTED: due → COMPLETED saved (timer shard, activity)": [],  # none measured
        }
        cpu = dict.fromkeys(suite_e2e.CPU_GROUPS, 0.0) | {"worker": orders * 0.01}
        failures = {"ReadTimeout": 2} if rate == 20.0 else {}
        return {"rate": rate, "orders": orders, "failed": sum(failures.values()),
                "failures": failures, "completed": orders, "wall": 1.0,
                "to_assigned": ramp, "lateness": [5.0], "stages": stages,
                "executions": 5, "cpu": cpu}  # fmt: skip

    monkeypatch.setattr(suite_e2e, "_one_rate", one_rate)
    result = suite_e2e.run(argparse.Namespace(size="full"))
    assert calls == [(300, 5.0), (1200, 20.0)]
    by_name = {m["name"]: m for m in result["metrics"]}
    assert by_name["20/s   READY → ASSIGNED, first third of the tasks"]["median"] == 1.0
    assert by_name["20/s   READY → ASSIGNED, last third of the tasks"]["median"] == 7.0
    rows = result["tables"]["Did the stack keep up?"]["rows"]
    assert [r[:4] for r in rows] == [["5/s", 300, 0, 300], ["20/s", 1200, 2, 1200]]
    assert "20/s: failed confirms by kind: ReadTimeout: 2." in result["notes"]
    assert not any(note.startswith("5/s: failed") for note in result["notes"])
    assert [r[5] for r in rows] == [0.02, 0.0]  # workflow executions per order
    assert "5/s   READY: store → Kafka (relay)" in by_name
    assert not any("due → COMPLETED" in name for name in by_name)  # empty: left out
    cpu = result["tables"]["CPU ms per order, by process"]
    worker = cpu["columns"].index("worker")
    assert [r[worker] for r in cpu["rows"]] == [10.0, 10.0]  # 0.01 s per order
    assert [r[-1] for r in cpu["rows"]] == [10.0, 10.0]
    json.dumps(result)


def test_the_e2e_cpu_table_reads_this_process_from_proc() -> None:
    from bench import suite_e2e

    before = suite_e2e._processes()[os.getpid()]
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # burn some CPU
        pass
    parent, _, secs = suite_e2e._processes()[os.getpid()]
    assert parent == os.getppid()
    assert secs >= before[2] + 0.2
