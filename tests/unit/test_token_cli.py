"""``kangaroo-paw token``: create prints the secret once, list shows no secret, revoke works
on the same store a server would read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kangaroo_paw.composition import open_store
from kangaroo_paw.entrypoints.cli import main
from kangaroo_paw.entrypoints.commands.token import parse_expiry
from kangaroo_paw.settings import Settings


def test_create_list_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KP_DATA_DIR", str(tmp_path))
    store = open_store(Settings(data_dir=tmp_path))
    store.add_counter("griller", 2)
    store.close()
    argv = ["token", "create", "--role", "station", "--name", "grill", "--counters", "griller"]
    assert main([*argv, "--expires", "12h"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("kp_")
    assert main(["token", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["role"], t["counters"], t["state"]) for t in listed] == [
        ("grill", "station", ["griller"], "active")
    ]
    assert secret not in json.dumps(listed)
    assert main(["token", "revoke", "grill"]) == 0
    capsys.readouterr()
    reader = open_store(Settings(data_dir=tmp_path))
    try:
        assert reader.authenticate(secret) is None
    finally:
        reader.close()
    assert main(["token", "revoke", "grill"]) == 2
    assert "already revoked" in capsys.readouterr().err
    assert main(["token", "create", "--role", "station", "--name", "fry"]) == 2
    assert "counters" in capsys.readouterr().err


def test_expiry_is_a_duration_or_an_iso_time() -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert parse_expiry("90m", now) == now + timedelta(minutes=90)
    assert parse_expiry("30d", now) == now + timedelta(days=30)
    assert parse_expiry("2026-12-01T00:00:00Z", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_expiry(None, now) is None
    with pytest.raises(ValueError, match="neither"):
        parse_expiry("soon", now)
