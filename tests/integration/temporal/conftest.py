"""Temporal fixtures: the dev server at KP_TEMPORAL_ADDRESS, a worker in this process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from temporal_support import TemporalHarness


@pytest.fixture
def temporal() -> Iterator[TemporalHarness]:
    harness = TemporalHarness()
    yield harness
    harness.close()
