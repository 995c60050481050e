"""Shared test wiring: hypothesis profiles and the service markers.

A test marked ``postgres``/``redis``/``kafka``/``temporal`` needs that server on loopback, one
marked ``browser`` Playwright and Debian's chromium.
In a developer's quick run an absent server skips those tests; with ``KP_REQUIRE_SERVICES=1``
(set by ``make test`` and ``.ci/run``) an absent server (or browser) fails them instead.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from functools import cache
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, settings

from kangaroo_paw.settings import Settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SERVICE_MARKERS = ("postgres", "redis", "kafka", "temporal")


def _endpoint(name: str, kp: Settings) -> tuple[str, int]:
    if name == "postgres":
        url = urlparse(kp.database_url)
        return url.hostname or "127.0.0.1", url.port or 5432
    if name == "redis":
        url = urlparse(kp.redis_url)
        return url.hostname or "127.0.0.1", url.port or 6379
    address = kp.kafka_bootstrap.split(",")[0] if name == "kafka" else kp.temporal_address
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


@cache
def service_up(name: str) -> bool:
    """Whether the named server accepts TCP connections right now."""
    host, port = _endpoint(name, Settings.from_env())
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def services_required() -> bool:
    return os.environ.get("KP_REQUIRE_SERVICES", "") not in {"", "0", "false", "no"}


def browser_missing() -> str | None:
    """Why the ``browser`` tests cannot run here (Playwright or Debian's chromium absent)."""
    from browser.screens_support import CHROMIUM  # only when a browser test runs

    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = [
        f"{name} is not reachable (start it with `scripts/services up`)"
        for name in SERVICE_MARKERS
        if item.get_closest_marker(name) is not None and not service_up(name)
    ]
    if item.get_closest_marker("browser") is not None:
        missing.append(browser_missing() or "")
    for message in filter(None, missing):
        if services_required():
            pytest.fail(f"KP_REQUIRE_SERVICES=1 and {message}", pytrace=False)
        pytest.skip(message)
