"""Every services-mode process exports its metrics: the relay, projector, consumer and worker
on ``KP_METRICS_PORT`` (one port each), ``serve`` on its own ``/metrics``. One order goes
through the whole stack; each process's series must then show it, with its lag back at 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from e2e.full_stack_support import FullStack, free_port, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.kafka,
    pytest.mark.temporal,
    pytest.mark.slow,
]

SERVICE_PROCESSES = ("relay", "projector", "consumer", "worker")
Page = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Page:
    try:
        response = httpx.get(url, timeout=10)
    except httpx.TransportError:
        return {}  # not listening yet
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def labelled(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[FullStack]:
    made = FullStack(tmp_path / "stack")
    yield made
    made.close()


def test_each_service_process_exports_its_progress(stack: FullStack) -> None:
    ports = {name: free_port() for name in SERVICE_PROCESSES}
    url = {name: f"http://127.0.0.1:{port}/metrics" for name, port in ports.items()}
    stack.prepare()
    stack.start("serve")
    for name, port in ports.items():
        stack.env["KP_METRICS_PORT"] = str(port)
        stack.start(name)
    del stack.env["KP_METRICS_PORT"]
    stack.put_recipe("dip_cup", {1: 1.0})

    order = stack.confirm({"dip_cup": 1}, f"{stack.tag}-metrics")
    task_id = order["tasks"][0]["task_id"]
    task = f"/tasks/{task_id}"
    wait_for(lambda: stack.api.get(task).json()["status"] == "ASSIGNED", 90, "an assignment")
    assert stack.api.post(f"{task}/start").status_code == 200
    wait_for(
        lambda: stack.api.get(f"/orders/{order['order_id']}").json()["status"] == "COMPLETED",
        90,
        "the completion timer",
    )
    ready = httpx.get(f"{stack.base}/health/ready", timeout=10).json()
    head = ready["components"]["projections"]["detail"]["head"]

    def relay_caught_up() -> Page | None:
        page = scrape(url["relay"])
        lag = page.get(("kangaroo_paw_relay_lag_events", frozenset()))
        return page if lag == 0 else None

    relay = wait_for(relay_caught_up, 60, "the relay's lag to reach 0")
    assert relay[("kangaroo_paw_relay_position", frozenset())] >= head
    assert relay[("kangaroo_paw_relay_failed_attempts", frozenset())] == 0

    def projector_caught_up() -> Page | None:
        page = scrape(url["projector"])
        lags = [
            page.get(("kangaroo_paw_projector_lag_events", labelled(sink=s)))
            for s in ("queue", "sql")
        ]
        return page if lags == [0, 0] else None

    projector = wait_for(projector_caught_up, 60, "the projector's lag to reach 0")
    assert projector[("kangaroo_paw_projector_position", labelled(sink="queue"))] >= head

    def consumer_caught_up() -> Page | None:
        page = scrape(url["consumer"])
        lags = [v for (name, _), v in page.items() if name == "kangaroo_paw_consumer_lag_messages"]
        return page if len(lags) == 3 and sum(lags) == 0 else None  # 3 partitions, all read

    consumer = wait_for(consumer_caught_up, 60, "the consumer group's lag to reach 0")
    started = "kangaroo_paw_workflows_started_total"
    # Timers no longer start a workflow each: the consumer opened the kitchen's shards.
    shards = stack.settings.temporal_timer_shards
    assert consumer[(started, labelled(workflow="TimerShardWorkflow"))] == shards
    assert (started, labelled(workflow="AutoCompleteWorkflow")) not in consumer

    worker = scrape(url["worker"])
    assert worker[("kangaroo_paw_allocation_pass_seconds_count", frozenset())] >= 1
    lateness = worker[("kangaroo_paw_timer_lateness_seconds_count", labelled(kind="complete"))]
    assert lateness == 1
    assert worker[("kangaroo_paw_ticket_seconds_count", frozenset())] == 1

    api = scrape(f"{stack.base}/metrics")
    assert api[("kangaroo_paw_orders_confirmed_total", frozenset())] == 1
    assert stack.stop() == dict.fromkeys(("serve", *SERVICE_PROCESSES), 0)
