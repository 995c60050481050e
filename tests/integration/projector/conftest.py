"""Projector fixtures: a migrated schema and a Redis prefix of the test's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.projector.projector_support import drop, migrated, unique_settings
from kangaroo_paw.settings import Settings


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
