"""The Prometheus adapter: the port's reports become ``kangaroo_paw_*`` series, gauges are
read at scrape time, a failing source is left out of the page (never an error), and the
processes without HTTP answer scrapes on ``KP_METRICS_PORT``."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.prometheus.registry import SHARED_DIR_ENV, PrometheusMetrics
from kangaroo_paw.adapters.prometheus.sampled import GaugeSpec, Reading, single
from kangaroo_paw.application.following import SinkStatus
from kangaroo_paw.entrypoints.metrics import add_projection_lag, add_queue_depth, export
from kangaroo_paw.ports.queue import QueueEntry, Upsert
from kangaroo_paw.settings import Settings


def samples(metrics: PrometheusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the text exposition, keyed by name and sorted labels."""
    page = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def value(metrics: PrometheusMetrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def test_the_kitchens_reports_become_series() -> None:
    metrics = PrometheusMetrics(process=False)
    metrics.order_confirmed()
    metrics.order_confirmed()
    metrics.ticket_completed(400.0)
    metrics.allocation_pass(0.004, {"counter_full": 3, "no_staff": 0})
    metrics.allocation_pass(0.002, {"counter_full": 2})
    metrics.timer_fired("complete", 0.3)
    metrics.timer_fired("complete", -0.2)  # early: counted as on time
    metrics.workflow_started("AutoCompleteWorkflow")

    assert value(metrics, "kangaroo_paw_orders_confirmed_total") == 2
    assert value(metrics, "kangaroo_paw_ticket_seconds_count") == 1
    assert value(metrics, "kangaroo_paw_ticket_seconds_sum") == 400
    assert value(metrics, "kangaroo_paw_ticket_seconds_bucket", le="300.0") == 0
    assert value(metrics, "kangaroo_paw_ticket_seconds_bucket", le="420.0") == 1
    assert value(metrics, "kangaroo_paw_allocation_pass_seconds_count") == 2
    assert value(metrics, "kangaroo_paw_allocation_blocked_tasks_total", reason="counter_full") == 5
    assert value(metrics, "kangaroo_paw_allocation_blocked_tasks_total", reason="no_staff") is None
    lateness = "kangaroo_paw_timer_lateness_seconds"
    assert value(metrics, f"{lateness}_count", kind="complete") == 2
    assert value(metrics, f"{lateness}_bucket", kind="complete", le="0.05") == 1
    assert value(metrics, f"{lateness}_sum", kind="complete") == pytest.approx(0.3)
    started = value(
        metrics, "kangaroo_paw_workflows_started_total", workflow="AutoCompleteWorkflow"
    )
    assert started == 1


def test_every_series_but_the_process_ones_is_prefixed() -> None:
    metrics = PrometheusMetrics()
    names = {name for name, _ in samples(metrics)}
    assert any(name.startswith("process_") for name in names)
    assert all(name.startswith(("kangaroo_paw_", "process_")) for name in names)


def test_gauges_are_read_at_each_scrape() -> None:
    metrics = PrometheusMetrics(process=False)
    queue = InMemoryReadyQueue()
    add_queue_depth(metrics, queue)
    depth = "kangaroo_paw_ready_queue_depth"
    assert value(metrics, depth, counter="grill", machine="grill-1", kind="") is None
    entries = [
        QueueEntry(uuid4(), "grill", "grill-1", 0.0, 0.0, float(n), f"r{n}") for n in range(3)
    ]
    entries.append(QueueEntry(uuid4(), "prep", None, 0.0, 0.0, 9.0, "r9"))
    entries.append(QueueEntry(uuid4(), "fry", None, 0.0, 0.0, 10.0, "r10", machine_kind="fryer"))
    queue.apply([Upsert(e) for e in entries], position=5)
    assert value(metrics, depth, counter="grill", machine="grill-1", kind="") == 3
    assert value(metrics, depth, counter="prep", machine="", kind="") == 1
    assert value(metrics, depth, counter="fry", machine="", kind="fryer") == 1  # a pool


def test_a_failing_source_is_left_out_and_counted_and_the_page_still_renders(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = PrometheusMetrics(process=False)
    reads: list[str] = []

    def down() -> Reading:
        reads.append("down")
        raise ConnectionError("redis is away")

    metrics.add_gauges("ready_queue", [GaugeSpec("kangaroo_paw_ready_queue_depth", "d")], down)
    assert reads == []  # registering reads nothing
    add_projection_lag(metrics, lambda: [SinkStatus("queue", 7, 10)])
    with caplog.at_level(logging.WARNING):
        page = samples(metrics)
    assert reads == ["down"]
    assert not any(name == "kangaroo_paw_ready_queue_depth" for name, _ in page)
    assert page[("kangaroo_paw_projector_lag_events", (("sink", "queue"),))] == 3
    assert page[("kangaroo_paw_projector_position", (("sink", "queue"),))] == 7
    # The error counter was written out before the failing source was read: the next page.
    errors = ("kangaroo_paw_metrics_collect_errors_total", (("source", "ready_queue"),))
    assert samples(metrics)[errors] == 1
    assert "ready_queue unavailable (ConnectionError: redis is away)" in caplog.text


def test_a_gauge_the_reading_leaves_out_is_not_exposed() -> None:
    metrics = PrometheusMetrics(process=False)
    specs = [GaugeSpec("kangaroo_paw_a", "a"), GaugeSpec("kangaroo_paw_b", "b")]
    metrics.add_gauges("two", specs, lambda: {"kangaroo_paw_a": single(4)})
    assert value(metrics, "kangaroo_paw_a") == 4
    assert not any(name == "kangaroo_paw_b" for name, _ in samples(metrics))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_export_serves_scrapes_on_the_metrics_port_and_stops() -> None:
    metrics = PrometheusMetrics(process=False)
    metrics.order_confirmed()
    port = _free_port()
    close = export(Settings(metrics_port=port), metrics)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert response.status_code == 200
        assert "kangaroo_paw_orders_confirmed_total 1.0" in response.text
    finally:
        close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_export_is_off_by_default_and_a_taken_port_does_not_stop_the_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = PrometheusMetrics(process=False)
    assert Settings().metrics_port == 0
    export(Settings(), metrics)()  # nothing to serve, nothing to close
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.ERROR):
            close = export(Settings(metrics_port=port), metrics)
        close()
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text


WORKER_SCRIPT = """
import sys
from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
metrics = PrometheusMetrics()
for _ in range(int(sys.argv[1])):
    metrics.order_confirmed()
metrics.ticket_completed(float(sys.argv[2]))
sys.stdout.write(metrics.exposition().decode())
"""


def test_worker_processes_sharing_a_directory_each_expose_the_sum(tmp_path: Path) -> None:
    """What ``KP_WORKERS`` relies on: a scrape answered by any one worker counts every
    worker's confirms and tickets, and no per-process ``process_*`` series stands for all."""
    env = {**os.environ, SHARED_DIR_ENV: str(tmp_path)}
    pages = [
        subprocess.run(
            [sys.executable, "-c", WORKER_SCRIPT, str(confirms), str(ticket)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        for confirms, ticket in ((3, 100.0), (4, 200.0))
    ]
    first, last = (parse(page) for page in pages)
    assert first[("kangaroo_paw_orders_confirmed_total", ())] == 3
    assert last[("kangaroo_paw_orders_confirmed_total", ())] == 7  # 3 of the first process
    assert last[("kangaroo_paw_ticket_seconds_count", ())] == 2
    assert last[("kangaroo_paw_ticket_seconds_sum", ())] == 300
    assert not any(name.startswith("process_") for name, _ in last)


def parse(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }
