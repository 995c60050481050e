"""Projector fixtures: a migrated schema and a Redis prefix of the test's own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kangaroo_paw.settings import Settings

# The helpers module sits beside this file; make it importable under any --import-mode.
sys.path.insert(0, str(Path(__file__).parent))
from projector_support import drop, migrated, unique_settings


@pytest.fixture
def services_settings() -> Iterator[Settings]:
    """A migrated, empty schema plus a Redis prefix; both dropped afterwards."""
    settings = migrated(unique_settings())
    yield settings
    drop(settings)


@pytest.fixture
def fresh_target() -> Iterator[Settings]:
    """Another migrated schema and Redis prefix (to rebuild into)."""
    settings = migrated(unique_settings())
    yield settings
    drop(settings)
