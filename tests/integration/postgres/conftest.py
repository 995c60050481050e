"""PostgreSQL fixtures: every test gets a migrated schema of its own (dropped afterwards), so
parallel runs against the shared server never see each other's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from kangaroo_paw.settings import Settings


def schema_settings(prefix: str = "kp_pg") -> Settings:
    return Settings.from_env(
        postgres_schema=f"{prefix}_{uuid.uuid4().hex[:10]}", postgres_pool_size=2
    )


@pytest.fixture
def pg_settings() -> Iterator[Settings]:
    """A fresh, migrated schema."""
    from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate

    settings = schema_settings()
    migrate(settings)
    yield settings
    drop_schema(settings)


@pytest.fixture
def empty_pg_settings() -> Iterator[Settings]:
    """A schema name nobody created yet (dropped afterwards if a test created it)."""
    from kangaroo_paw.adapters.postgres.migrate import drop_schema

    settings = schema_settings()
    yield settings
    drop_schema(settings)
