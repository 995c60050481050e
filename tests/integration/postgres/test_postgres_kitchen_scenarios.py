"""The Kitchen scenarios of tests/unit/application, on PostgreSQL.

Same scenario class, only the settings change (as in eventsourcing's own examples): every
harness the scenarios build gets a freshly migrated schema of its own, with the library's table
creation off, and the schema is dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kangaroo_paw.adapters.postgres.migrate import drop_schema
from unit.application import kitchen_harness
from unit.application.test_kitchen_scenarios import KitchenScenarios

pytestmark = pytest.mark.postgres


class TestKitchenPostgres(KitchenScenarios):
    """Every scenario with ``persistence = "postgres"``: the harness selects the store by
    settings (``KP_STORE=postgres``, a fresh schema per harness); the schemas are dropped."""

    persistence = "postgres"

    @pytest.fixture(autouse=True)
    def _drop_schemas(self) -> Iterator[None]:
        yield
        while kitchen_harness.POSTGRES_SCHEMAS:
            drop_schema(kitchen_harness.POSTGRES_SCHEMAS.pop())

    def test_the_harness_runs_on_postgres(self, tmp_path: Path) -> None:
        harness = kitchen_harness.build_harness(self.persistence, tmp_path)
        try:
            assert type(harness.kitchen.recorder).__name__ == "PostgresApplicationRecorder"
        finally:
            harness.close()
