"""``kangaroo-paw seed`` with ``KP_MODE=services`` seeds PostgreSQL, not the SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kangaroo_paw.composition import build_services
from kangaroo_paw.entrypoints.cli import main
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def services_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KP_MODE", "services")
    monkeypatch.setenv("KP_DATA_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_seed_writes_the_demo_kitchen_to_postgres(
    pg_settings: Settings,
    services_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KP_POSTGRES_SCHEMA", pg_settings.postgres_schema)
    assert main(["seed"]) == 0
    out = capsys.readouterr().out
    assert "seeded the demo kitchen into PostgreSQL" in out
    assert pg_settings.postgres_schema in out
    services = build_services(pg_settings, with_queue=False)
    try:
        assert set(services.kitchen.stations()) >= {"fryer", "griller", "grill-1"}
        assert {s.name for s in services.kitchen.all_staff()} == {"Asha", "Ravi", "Noah"}
    finally:
        services.close()
    assert not services_env.exists(), "no SQLite store may be created in services mode"
    assert main(["seed"]) == 0
    assert "is not empty; left as is" in capsys.readouterr().out


def test_seed_of_an_unmigrated_schema_says_migrate_first(
    empty_pg_settings: Settings,
    services_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KP_POSTGRES_SCHEMA", empty_pg_settings.postgres_schema)
    assert main(["seed"]) == 2
    err = capsys.readouterr().err
    assert "kangaroo-paw db migrate" in err
    assert "Traceback" not in err
