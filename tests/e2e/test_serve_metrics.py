"""A real ``kangaroo-paw serve`` process answers ``/metrics``: confirming an order moves the
confirmed-orders counter and the request-latency histogram."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from e2e.test_http_serve import Served

TOKEN = "kp_serve-metrics-e2e-token"


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{url}/metrics", timeout=10)  # no token: the route is public
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_serve_exports_confirmed_orders_and_request_latency(tmp_path: Path) -> None:
    served = Served(tmp_path / "var", KP_BOOTSTRAP_TOKEN=TOKEN)
    try:
        served.wait_ready()
        before = scrape(served.url)
        assert before[("kangaroo_paw_orders_confirmed_total", frozenset())] == 0
        response = httpx.post(
            f"{served.url}/api/v1/orders/confirm",
            json={"external_order_id": "metrics-e2e-1", "items": {"burger_combo": 1}},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        after = scrape(served.url)
    finally:
        code, _ = served.stop()
    assert code == 0
    assert after[("kangaroo_paw_orders_confirmed_total", frozenset())] == 1
    confirm = frozenset(
        {"route": "/api/v1/orders/confirm", "method": "POST", "status": "201"}.items()
    )
    assert after[("kangaroo_paw_http_request_duration_seconds_count", confirm)] == 1
    assert after[("kangaroo_paw_http_request_duration_seconds_sum", confirm)] > 0
    assert after[("kangaroo_paw_allocation_pass_seconds_count", frozenset())] >= 1
    assert ("kangaroo_paw_projector_lag_events", frozenset({("sink", "queue")})) in after
