"""API tokens in the application: what an issue checks, what the store keeps, and a revoke
seen at once by another process on the same store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kangaroo_paw.adapters.clock import ManualClock
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.composition import build_embedded, open_store
from kangaroo_paw.domain.errors import Conflict, InvalidResource, InvalidTransition, NotFound
from kangaroo_paw.domain.token import Role, digest_of
from kangaroo_paw.entrypoints.access import prepare_access
from kangaroo_paw.settings import Settings, SettingsError


@pytest.fixture
def kitchen(tmp_path: Path) -> Iterator[Kitchen]:
    embedded = build_embedded(Settings(data_dir=tmp_path, store="memory"), clock=ManualClock())
    yield embedded.kitchen
    embedded.close()


@pytest.mark.parametrize(
    ("name", "role", "counters", "message"),
    [
        ("", "manager", [], "token name"),
        ("has space", "manager", [], "token name"),
        ("x" * 65, "manager", [], "token name"),
        ("pos", "chef", [], "role must be one of"),
        ("grill", "station", [], "names the counters"),
        ("wall", "viewer", ["griller"], "only a station token"),
        ("grill", "station", ["nowhere"], "unknown counter"),
        ("grill", "station", ["grill-1"], "unknown counter"),  # a machine, not a counter
    ],
)
def test_a_bad_token_is_refused_and_writes_nothing(
    kitchen: Kitchen, name: str, role: str, counters: list[str], message: str
) -> None:
    head = kitchen.head_position()
    with pytest.raises(InvalidResource, match=message):
        kitchen.issue_token(name, role, counters)
    assert kitchen.head_position() == head


def test_names_are_unique_and_expiry_is_in_the_future(kitchen: Kitchen) -> None:
    kitchen.issue_token("pos", "integration")
    with pytest.raises(Conflict):
        kitchen.issue_token("pos", "viewer")
    past = kitchen.clock.now() - timedelta(seconds=1)
    with pytest.raises(InvalidResource, match="past"):
        kitchen.issue_token("late", "viewer", expires_at=past)
    with pytest.raises(InvalidResource, match="16 characters"):
        kitchen.issue_token("short", "viewer", secret="too-short")


def test_the_store_keeps_only_a_digest_and_the_secret_authenticates(kitchen: Kitchen) -> None:
    view, secret = kitchen.issue_token("grill", "station", ["griller", "griller"])
    assert view.counters == ["griller"]
    assert secret.startswith("kp_")
    assert len(secret) > 40
    stored = b"".join(n.state for n in kitchen.recorder.select_notifications(start=1, limit=10_000))
    assert secret.encode() not in stored
    assert digest_of(secret).encode() in stored
    principal = kitchen.authenticate(secret)
    assert principal is not None
    assert (principal.name, principal.role, principal.counters) == (
        "grill",
        Role.STATION,
        frozenset({"griller"}),
    )
    assert kitchen.authenticate(secret + "x") is None
    assert kitchen.authenticate("kp_" + "A" * 43) is None


def test_revoke_and_expiry(kitchen: Kitchen) -> None:
    clock = kitchen.clock
    assert isinstance(clock, ManualClock)
    _, soon = kitchen.issue_token("soon", "viewer", expires_at=clock.now() + timedelta(hours=1))
    _, pos = kitchen.issue_token("pos", "integration")
    kitchen.revoke_token("pos")
    assert kitchen.authenticate(pos) is None
    with pytest.raises(InvalidTransition):
        kitchen.revoke_token("pos")
    with pytest.raises(NotFound):
        kitchen.revoke_token("nobody")
    assert kitchen.authenticate(soon) is not None
    clock.advance(3600)
    assert kitchen.authenticate(soon) is None
    states = {t.name: t.state for t in kitchen.list_tokens()}
    assert states == {"soon": "expired", "pos": "revoked"}


def test_a_revoke_by_another_process_takes_effect_at_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    server = open_store(settings)  # the serving process: it has read (and cached) the token
    cli = open_store(settings)  # `kangaroo-paw token revoke` beside it
    try:
        _, secret = cli.issue_token("pos", "integration")
        assert server.authenticate(secret) is not None
        cli.revoke_token("pos")
        assert server.authenticate(secret) is None
    finally:
        server.close()
        cli.close()


def test_first_start_writes_one_manager_token_for_its_owner(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store="memory")
    embedded = build_embedded(settings)
    try:
        prepare_access(settings, embedded.kitchen)
        secret = (tmp_path / "manager.token").read_text().strip()
        assert (tmp_path / "manager.token").stat().st_mode & 0o777 == 0o600
        principal = embedded.kitchen.authenticate(secret)
        assert principal is not None
        assert principal.role == Role.MANAGER
        prepare_access(settings, embedded.kitchen)  # a restart issues no second one
        assert [t.name for t in embedded.kitchen.list_tokens()] == ["first-manager"]
    finally:
        embedded.close()


def test_the_bootstrap_token_is_created_once(tmp_path: Path) -> None:
    secret = "kp_automation-secret-0123456789"
    settings = Settings(data_dir=tmp_path, store="memory", bootstrap_token=secret)
    embedded = build_embedded(settings)
    try:
        prepare_access(settings, embedded.kitchen)
        prepare_access(settings, embedded.kitchen)
        assert [t.name for t in embedded.kitchen.list_tokens()] == ["bootstrap"]
        assert embedded.kitchen.authenticate(secret) is not None
        assert not (tmp_path / "manager.token").exists()
        embedded.kitchen.revoke_token("bootstrap")
        prepare_access(settings, embedded.kitchen)  # a revoked one is not brought back
        assert embedded.kitchen.authenticate(secret) is None
    finally:
        embedded.close()


def test_auth_off_serves_only_on_loopback(tmp_path: Path) -> None:
    embedded = build_embedded(Settings(data_dir=tmp_path, store="memory"))
    try:
        prepare_access(Settings(auth=False, host="127.0.0.1"), embedded.kitchen)
        with pytest.raises(SettingsError, match="KP_AUTH=off"):
            prepare_access(Settings(auth=False, host="0.0.0.0"), embedded.kitchen)
        assert not embedded.kitchen.has_tokens()
    finally:
        embedded.close()
    with pytest.raises(SettingsError, match="KP_BOOTSTRAP_TOKEN"):
        Settings.from_env({"KP_BOOTSTRAP_TOKEN": "short"})
