"""``GET /metrics`` on the API: public (no token), Prometheus text, request latency by route
template and status, the kitchen's own series, and never a 5xx when a source is down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from e2e.conftest import KitchenClient
from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.adapters.http.app import create_app
from kangaroo_paw.composition import EmbeddedKitchen
from kangaroo_paw.entrypoints.metrics import api_metrics
from kangaroo_paw.settings import Settings


@pytest.fixture
def metered(
    settings: Settings, embedded: EmbeddedKitchen, clock: ManualClock
) -> Iterator[KitchenClient]:
    """The API as ``serve`` builds it: the kitchen reports to the registry behind /metrics."""
    app = create_app(settings, embedded.kitchen, embedded.bus, metrics=api_metrics(embedded))
    _, secret = embedded.kitchen.issue_token("metrics-manager", "manager")
    with KitchenClient(app, base_url="http://127.0.0.1") as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        client.embedded = embedded
        client.clock = clock
        yield client


def scrape(client: KitchenClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def count(page: dict[Any, float], route: str, method: str, status: str) -> float:
    labels = frozenset({"route": route, "method": method, "status": status}.items())
    return page.get(("kangaroo_paw_http_request_duration_seconds_count", labels), 0.0)


def test_metrics_needs_no_token_and_carries_no_secret(metered: KitchenClient) -> None:
    response = metered.get("/metrics", headers={"Authorization": ""})
    assert response.status_code == 200
    assert "metrics-manager" not in response.text
    assert metered.get("/api/v1/orders", headers={"Authorization": ""}).status_code == 401


def test_requests_are_timed_by_route_template_and_status(metered: KitchenClient) -> None:
    order = metered.confirm({"dip_cup": 1}, "metrics-1")
    metered.order(order["order_id"])
    assert metered.get(f"/api/v1/orders/{order['order_id'][:-1]}0").status_code == 404
    assert metered.get("/no/such/route").status_code == 404
    assert metered.request("BREW", "/api/v1/orders").status_code in (400, 405)
    page = scrape(metered)
    assert count(page, "/api/v1/orders/confirm", "POST", "201") == 1
    assert count(page, "/api/v1/orders/{order_id}", "GET", "200") == 1
    assert count(page, "/api/v1/orders/{order_id}", "GET", "404") == 1
    assert count(page, "unmatched", "GET", "404") == 1
    assert not any("no/such" in str(labels) for _, labels in page)
    assert not any("BREW" in str(labels) for _, labels in page)
    assert any(("method", "other") in labels for _, labels in page)


def test_the_kitchens_series_follow_its_work(metered: KitchenClient) -> None:
    order = metered.confirm({"dip_cup": 1}, "metrics-2")
    metered.confirm({"dip_cup": 1}, "metrics-2")  # an idempotent repeat: not a new order
    metered.embedded.scheduler.run_due()  # the allocation pass the confirm asked for
    metered.embedded.runtime.drain()
    task = metered.order(order["order_id"])["tasks"][0]
    assert metered.post(f"/api/v1/tasks/{task['task_id']}/start").status_code == 200
    metered.advance(13)  # the 12 s estimate ran out a second ago
    assert metered.order(order["order_id"])["status"] == "COMPLETED"
    page = scrape(metered)
    assert page[("kangaroo_paw_orders_confirmed_total", frozenset())] == 1
    assert page[("kangaroo_paw_ticket_seconds_count", frozenset())] == 1
    assert page[("kangaroo_paw_ticket_seconds_sum", frozenset())] == pytest.approx(13)
    assert page[("kangaroo_paw_allocation_pass_seconds_count", frozenset())] >= 1
    lateness = ("kangaroo_paw_timer_lateness_seconds_sum", frozenset({("kind", "complete")}))
    assert page[lateness] == pytest.approx(1)
    lag = ("kangaroo_paw_projector_lag_events", frozenset({("sink", "queue")}))
    assert page[lag] == 0


def test_a_source_that_fails_leaves_its_gauges_out_not_a_5xx(
    metered: KitchenClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[Any, int]:
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(metered.embedded.queue, "groups", broken)
    page = scrape(metered)
    assert not any(name == "kangaroo_paw_ready_queue_depth" for name, _ in page)
    assert ("kangaroo_paw_orders_confirmed_total", frozenset()) in page
