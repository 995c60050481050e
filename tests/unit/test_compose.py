"""compose.yaml: the Docker stack has every process, healthchecks, ordering and the native ports.

The native stack (`scripts/services`) and compose must be interchangeable for a process on the
host, so both are held to the same ports, which are also the defaults of ``Settings``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from functools import cache
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from kangaroo_paw.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BACKING = ("postgres", "redis", "kafka", "temporal", "temporal-ui")
APP_COMMANDS = {
    "api": ["kangaroo-paw", "serve", "--host", "0.0.0.0"],
    "relay": ["kangaroo-paw", "relay"],
    "projector": ["kangaroo-paw", "projector"],
    "consumer": ["kangaroo-paw", "consumer"],
    "worker": ["kangaroo-paw", "worker"],
}
HOST_PORTS = {
    "postgres": 5432,
    "redis": 6379,
    "kafka": 9092,
    "temporal": 7233,
    "temporal-ui": 8233,
    "api": 8080,
}
ADDRESS_VARS = ("KP_DATABASE_URL", "KP_REDIS_URL", "KP_KAFKA_BOOTSTRAP", "KP_TEMPORAL_ADDRESS")


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def host_ports(service: dict[str, Any]) -> set[int]:
    """Published host ports from short ("8233:8080") or long ({published: ...}) syntax."""
    ports: set[int] = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.add(int(entry["published"]))
        else:
            parts = str(entry).split("/")[0].split(":")
            ports.add(int(parts[-2] if len(parts) > 1 else parts[-1]))
    return ports


def test_every_backing_service_and_app_process_is_present() -> None:
    missing = (set(BACKING) | set(APP_COMMANDS)) - set(services())
    assert not missing, f"compose.yaml lacks {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(set(BACKING) | set(APP_COMMANDS) | {"migrate"}))
def test_every_service_has_a_healthcheck_and_a_restart_policy(name: str) -> None:
    service = services()[name]
    test = service.get("healthcheck", {}).get("test")
    assert test, f"{name} has no healthcheck test"
    assert not service["healthcheck"].get("disable", False)
    assert service.get("restart") in {"unless-stopped", "always", "on-failure", "no"}


@pytest.mark.parametrize("name", sorted(APP_COMMANDS))
def test_app_processes_share_one_image_and_their_command(name: str) -> None:
    service = services()[name]
    assert service["build"]["dockerfile"] == "Dockerfile"
    assert service["build"]["context"] == "."
    assert service["command"][: len(APP_COMMANDS[name])] == APP_COMMANDS[name]
    assert service["restart"] == "unless-stopped"
    env = service["environment"]
    assert env["KP_MODE"] == "services"
    assert all(env.get(var) for var in ADDRESS_VARS)


@pytest.mark.parametrize("name", sorted(APP_COMMANDS))
def test_app_processes_start_only_after_their_dependencies_are_healthy(name: str) -> None:
    depends = services()[name]["depends_on"]
    for backing in ("postgres", "redis", "kafka", "temporal"):
        assert depends[backing]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_depends_on_names_real_services_with_valid_conditions() -> None:
    conditions = {"service_healthy", "service_completed_successfully", "service_started"}
    for name, service in services().items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs the long form"
        for target, spec in depends.items():
            assert target in services(), f"{name} depends on unknown {target}"
            assert spec["condition"] in conditions
            if spec["condition"] == "service_completed_successfully":
                assert services()[target]["restart"] == "no", f"{target} is a one-shot job"


def test_dependency_graph_has_no_cycle() -> None:
    graph = {name: set(s.get("depends_on", {})) for name, s in services().items()}
    done: set[str] = set()
    while graph.keys() - done:
        ready = {n for n in graph.keys() - done if graph[n] <= done}
        assert ready, f"cycle among {sorted(graph.keys() - done)}"
        done |= ready


def test_documented_ports_are_published() -> None:
    for name, port in HOST_PORTS.items():
        assert port in host_ports(services()[name]), f"{name} must publish {port}"


def test_app_addresses_point_at_the_compose_services() -> None:
    env = services()["api"]["environment"]
    assert urlparse(env["KP_DATABASE_URL"]).hostname == "postgres"
    assert urlparse(env["KP_REDIS_URL"]).hostname == "redis"
    assert env["KP_KAFKA_BOOTSTRAP"].split(":")[0] == "kafka"
    assert env["KP_TEMPORAL_ADDRESS"] == "temporal:7233"
    postgres_env = services()["postgres"]["environment"]
    url = urlparse(env["KP_DATABASE_URL"])
    assert (url.username, url.password, url.path.lstrip("/")) == (
        postgres_env["POSTGRES_USER"],
        postgres_env["POSTGRES_PASSWORD"],
        postgres_env["POSTGRES_DB"],
    )


def test_app_environment_names_only_real_settings() -> None:
    fields = {"KP_" + f.name.upper() for f in dataclasses.fields(Settings)}
    for name in APP_COMMANDS:
        unknown = {k for k in services()[name]["environment"] if k.startswith("KP_")} - fields
        assert not unknown, f"{name} sets unknown settings {sorted(unknown)}"


def test_kafka_advertises_a_host_listener_on_9092_and_creates_the_domain_topic() -> None:
    env = services()["kafka"]["environment"]
    assert "127.0.0.1:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert str(env["KAFKA_NUM_PARTITIONS"]) == "3"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", str(env["CLUSTER_ID"])), "a base64 UUID"
    init = services()["kafka-init"]["command"]
    topic = init[init.index("--topic") + 1]
    assert topic == Settings().kafka_topic
    assert init[init.index("--partitions") + 1] == "3"


def test_dockerfile_builds_the_services_extra_on_python_311_slim() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert ".[services]" in dockerfile
    assert "kp-healthcheck" in dockerfile
    helper = ROOT / "scripts" / "container-healthcheck"
    assert helper.is_file()
    assert os.access(helper, os.X_OK)


# --------------------------------------------------------------------------- native parity


@cache
def native_stack() -> ModuleType:
    """``scripts/services`` loaded as a module (it has no .py suffix); nothing is started."""
    loader = SourceFileLoader("kp_services_script", str(ROOT / "scripts" / "services"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up while decorating
    # The defaults are what is compared: a second stack's port offset must not leak in.
    offset = os.environ.pop("KP_SERVICES_PORT_OFFSET", None)
    try:
        loader.exec_module(module)
    finally:
        if offset is not None:
            os.environ["KP_SERVICES_PORT_OFFSET"] = offset
    return module


def test_native_stack_uses_the_same_ports_and_names_as_compose_and_settings() -> None:
    native = native_stack()
    defaults = Settings()
    assert defaults.database_url == native.DSN
    assert f"redis://{native.HOST}:{native.REDIS_PORT}/0" == defaults.redis_url
    assert f"{native.HOST}:{native.KAFKA_PORT}" == defaults.kafka_bootstrap
    assert f"{native.HOST}:{native.TEMPORAL_PORT}" == defaults.temporal_address
    assert defaults.kafka_topic == native.KAFKA_TOPIC
    native_ports = {
        "postgres": native.PG_PORT,
        "redis": native.REDIS_PORT,
        "kafka": native.KAFKA_PORT,
        "temporal": native.TEMPORAL_PORT,
        "temporal-ui": native.TEMPORAL_UI_PORT,
        "api": defaults.port,
    }
    assert native_ports == HOST_PORTS


def test_native_stack_finds_the_pid_listening_on_a_port() -> None:
    native = native_stack()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert os.getpid() in native.listeners(port)
    assert os.getpid() not in native.listeners(port)


def test_native_stack_treats_a_zombie_as_dead() -> None:
    native = native_stack()
    child = subprocess.Popen(["sleep", "0"])
    deadline = time.monotonic() + 5
    while native.proc_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # exits at once, then lingers as a zombie until waited for
    assert not native.proc_alive(child.pid)
    assert child.wait() == 0


@pytest.mark.parametrize("name", ["relay", "projector", "consumer", "worker"])
def test_background_processes_serve_metrics_on_the_compose_network(name: str) -> None:
    """serve has /metrics on its API port; the other four only when KP_METRICS_PORT is set, and
    a scraper in another container reaches them only on a non-loopback address."""
    env = services()[name]["environment"]
    assert int(env["KP_METRICS_PORT"]) == 9100
    assert env["KP_METRICS_HOST"] == "0.0.0.0"
    assert env["KP_MODE"] == "services"
