"""The kitchen's metric reports on PostgreSQL: the same scenarios, a fresh schema each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kangaroo_paw.adapters.postgres.migrate import drop_schema
from unit.application import kitchen_harness
from unit.application.test_kitchen_telemetry import KitchenTelemetry

pytestmark = pytest.mark.postgres


class TestKitchenTelemetryPostgres(KitchenTelemetry):
    persistence = "postgres"

    @pytest.fixture(autouse=True)
    def _drop_schemas(self) -> Iterator[None]:
        yield
        while kitchen_harness.POSTGRES_SCHEMAS:
            drop_schema(kitchen_harness.POSTGRES_SCHEMAS.pop())
