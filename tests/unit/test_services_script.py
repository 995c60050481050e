"""``scripts/services`` finds the project's interpreter, and a check whose own tool is missing
(kafka-python, the temporal CLI, psql) falls back to a plain protocol exchange instead of
declaring a healthy service dead; ``up`` never restarts a service it cannot check. Nothing
here starts or stops a server: the checks run against the servers already up."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The script as a module, with its state dir in ``tmp_path``."""
    monkeypatch.setenv("KP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KP_SERVICES_PORT_OFFSET", raising=False)
    monkeypatch.delenv("KP_PYTHON", raising=False)
    monkeypatch.delenv("KP_TEMPORAL_BIN", raising=False)
    name = f"kp_services_{uuid.uuid4().hex}"
    loader = SourceFileLoader(name, str(ROOT / "scripts" / "services"))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while decorating
    try:
        loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


def test_the_interpreter_is_kp_python_then_the_project_venv(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(script, "REPO", tmp_path)
    venv_python = tmp_path / ".venv" / "bin" / "python"
    assert script.find_python() != str(venv_python)
    venv_python.parent.mkdir(parents=True)
    venv_python.touch()
    assert script.find_python() == str(venv_python)
    monkeypatch.setenv("KP_PYTHON", "/opt/other/python")
    assert script.find_python() == "/opt/other/python"


def python_without_kafka(tmp_path: Path) -> Path:
    """An interpreter (a wrapper of this one) in which kafka-python cannot be imported."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Blocker:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'kafka':\n"
        "            raise ModuleNotFoundError(name, name=name)\n"
        "sys.meta_path.insert(0, _Blocker())\n"
    )
    wrapper = tmp_path / "python-without-kafka"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={blocker} exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.kafka
def test_kafka_without_kafka_python_is_checked_by_protocol(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KP_PYTHON", str(python_without_kafka(tmp_path)))
    ok, detail = script.Kafka().check(provision=True)
    assert ok, detail
    assert detail.startswith("ApiVersions ok (plain protocol check: no kafka-python in")


@pytest.mark.temporal
def test_temporal_without_its_cli_is_checked_by_protocol(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(script, "temporal_bin", lambda: None)
    ok, detail = script.Temporal().check()
    assert ok, detail
    assert "plain protocol check: the temporal CLI is not installed" in detail


@pytest.mark.postgres
def test_postgres_without_psql_is_checked_by_protocol(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(script.Postgres, "psql_bin", staticmethod(lambda: None))
    ok, detail = script.Postgres().check()
    assert ok, detail
    assert "plain protocol check: psql is not installed" in detail


@pytest.fixture
def wrong_server() -> Iterator[int]:
    """A TCP server that answers anything with an HTTP/1.1 error."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def test_plain_checks_fail_on_another_protocol(
    script: ModuleType, wrong_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(script, "KAFKA_PORT", wrong_server)
    monkeypatch.setattr(script, "TEMPORAL_PORT", wrong_server)
    monkeypatch.setattr(script, "PG_PORT", wrong_server)
    monkeypatch.setattr(script, "temporal_bin", lambda: None)
    monkeypatch.setattr(script.Postgres, "psql_bin", staticmethod(lambda: None))
    assert not script.kafka_api_versions()[0]
    assert not script.Temporal().check()[0]
    assert not script.Postgres().check()[0]


def test_up_never_restarts_a_running_service_it_cannot_check(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []

    class Running(script.Service):  # type: ignore[name-defined,misc]
        def pid(self) -> int:
            return 4242

        def check(self, provision: bool = False) -> tuple[bool, str]:
            raise script.ServiceError("the check tool crashed")

        def start(self) -> int:
            calls.append("start")
            return 4243

        def stop(self) -> str:
            calls.append("stop")
            return "stopped"

    monkeypatch.setattr(script, "SERVICES", {"fake": Running("fake", 1, ("fake",), 1.0)})
    assert script.cmd_up(["fake"]) == 1
    assert calls == []
    assert (
        "cannot check it, left running as it is - the check tool crashed" in capsys.readouterr().out
    )
