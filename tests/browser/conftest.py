"""Browser tests: Debian's Chromium, driven by Playwright, against a real ``kangaroo-paw serve``.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` by path (``make
test`` installs the package when it is missing). Like the service markers in
tests/conftest.py, a missing browser skips these tests in a quick run and fails them under
``KP_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.screens_support import CHROMIUM, Server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser carries the ``browser`` marker."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra KP_* settings for the test's server (override in a test module)."""
    return {}


@pytest.fixture
def server(tmp_path: Path, server_env: dict[str, str]) -> Iterator[Server]:
    served = Server(tmp_path / "data", **server_env)
    served.start()
    yield served
    served.stop()


# Per module, not per session: Playwright's sync API runs an event loop on this thread while it
# is open, so tests after the browser modules (asyncio.run, anyio portals) would find a loop
# already running.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield launched
        launched.close()
