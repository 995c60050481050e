"""The Kitchen scenarios of tests/unit/application, on PostgreSQL.

Same scenario class, only the environment changes (as in eventsourcing's own examples): every
harness the scenarios build gets a freshly migrated schema of its own, with the library's table
creation off, and the schema is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kangaroo_paw.adapters.postgres.connection import eventsourcing_env
from kangaroo_paw.adapters.postgres.migrate import drop_schema, migrate
from kangaroo_paw.entrypoints import bootstrap
from kangaroo_paw.settings import Settings
from unit.application import kitchen_harness
from unit.application.test_kitchen_scenarios import KitchenScenarios

pytestmark = pytest.mark.postgres


class TestKitchenPostgres(KitchenScenarios):
    persistence = "postgres"

    @pytest.fixture(autouse=True)
    def _on_postgres(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """Route the harness's ``persistence="postgres"`` to a fresh schema: the embedded
        wiring stays as it is, only the event store's environment is PostgreSQL's."""
        schemas: list[Settings] = []
        build_embedded = bootstrap.build_embedded

        def build(settings: Settings, **kwargs: Any) -> bootstrap.EmbeddedKitchen:
            if kwargs.get("persistence") != "postgres":
                return build_embedded(settings, **kwargs)
            pg = Settings.from_env(
                postgres_schema=f"kp_sc_{uuid.uuid4().hex[:10]}", postgres_pool_size=3
            )
            migrate(pg)
            schemas.append(pg)
            with monkeypatch.context() as patch:
                patch.setattr(bootstrap, "sqlite_env", lambda _path: eventsourcing_env(pg))
                embedded = build_embedded(settings, **{**kwargs, "persistence": "sqlite"})
            recorder = type(embedded.kitchen.recorder).__name__
            assert recorder == "PostgresApplicationRecorder", recorder
            return embedded

        monkeypatch.setattr(kitchen_harness, "build_embedded", build)
        yield
        for pg in schemas:
            drop_schema(pg)
