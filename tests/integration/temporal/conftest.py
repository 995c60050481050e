"""Temporal fixtures: the dev server at KP_TEMPORAL_ADDRESS, a worker in this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.temporal.temporal_support import TemporalHarness


@pytest.fixture
def temporal() -> Iterator[TemporalHarness]:
    harness = TemporalHarness()
    yield harness
    harness.close()
