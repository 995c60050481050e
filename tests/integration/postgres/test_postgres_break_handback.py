"""The break hand-back scenarios of tests/unit/application, on PostgreSQL (a fresh schema per
harness, dropped afterwards)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kangaroo_paw.adapters.postgres.migrate import drop_schema
from unit.application import kitchen_harness
from unit.application.test_break_handback import BreakHandBackScenarios

pytestmark = pytest.mark.postgres


class TestBreakHandBackPostgres(BreakHandBackScenarios):
    persistence = "postgres"

    @pytest.fixture(autouse=True)
    def _drop_schemas(self) -> Iterator[None]:
        yield
        while kitchen_harness.POSTGRES_SCHEMAS:
            drop_schema(kitchen_harness.POSTGRES_SCHEMAS.pop())
