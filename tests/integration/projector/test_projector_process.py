"""The ``kangaroo-paw projector`` process under faults: SIGKILL mid-run and restart, a dropped
PostgreSQL connection, a flushed Redis, a rebuild while it runs, and a graceful SIGTERM."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from integration.projector.projector_support import (
    Workload,
    process_env,
    queue_snapshot,
    rows_snapshot,
    truth,
)
from kangaroo_paw.adapters.postgres.connection import connect
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.composition import Services, build_services
from kangaroo_paw.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.e2e]

CLI = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli"]


class ProjectorRun:
    """A ``kangaroo-paw projector`` child process with its log in a file."""

    def __init__(self, settings: Settings, log_dir: Path, app_name: str) -> None:
        self.settings = settings
        self.app_name = app_name
        self.log_path = log_dir / f"projector-{uuid.uuid4().hex[:6]}.log"
        self._log = self.log_path.open("w")
        env = process_env(settings, PGAPPNAME=app_name, KP_LOG_LEVEL="INFO")
        self.proc = subprocess.Popen(
            [*CLI, "projector"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 15) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._log.close()


@pytest.fixture
def services(services_settings: Settings) -> Iterator[Services]:
    services = build_services(services_settings)
    seed_demo_kitchen(services.kitchen)
    yield services
    services.close()


@pytest.fixture
def start_projector(
    services_settings: Settings, tmp_path: Path
) -> Iterator[Callable[[], ProjectorRun]]:
    runs: list[ProjectorRun] = []
    app_name = f"kp-test-projector-{uuid.uuid4().hex[:8]}"

    def start() -> ProjectorRun:
        run = ProjectorRun(services_settings, tmp_path, app_name)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, log: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = f"\n--- projector log ---\n{log()}" if log else ""
            raise AssertionError(f"timed out waiting for {what}{detail}")
        time.sleep(0.05)


def caught_up(services: Services) -> bool:
    head = services.kitchen.head_position()
    return services.queue.position() >= head and services.read_model.position() >= head


def assert_projections_true(services: Services) -> None:
    expected_queue, expected_rows = truth(services.kitchen)
    assert queue_snapshot(services.queue) == expected_queue
    assert rows_snapshot(services.read_model) == expected_rows


def test_sigkill_mid_run_then_restart_converges(
    services: Services, start_projector: Callable[[], ProjectorRun]
) -> None:
    run = start_projector()
    workload = Workload(
        services.kitchen,
        lambda: wait_until(lambda: caught_up(services), 30, "catch-up", run.log),
    )
    workload.run(orders=10)
    # A burst the projector is still working through (small batches) when it is killed.
    workload.caught_up = lambda: None
    workload.run(orders=25)
    head = services.kitchen.head_position()
    wait_until(lambda: services.queue.position() > 0, 30, "some progress", run.log)
    run.kill()
    killed_at = (services.queue.position(), services.read_model.position(), head)
    workload.run(orders=8)  # more events while no projector runs

    restarted = start_projector()
    wait_until(lambda: caught_up(services), 60, "catch-up after restart", restarted.log)
    assert {e.task_id for e in queue_snapshot(services.queue)} == workload.ready_task_ids()
    assert_projections_true(services)
    assert restarted.terminate() == 0, restarted.log()
    assert "projector stopped" in restarted.log()
    print("positions at the kill (queue, sql, head):", killed_at)


def test_a_dropped_postgres_connection_is_survived(
    services: Services, services_settings: Settings, start_projector: Callable[[], ProjectorRun]
) -> None:
    run = start_projector()
    workload = Workload(
        services.kitchen,
        lambda: wait_until(lambda: caught_up(services), 30, "catch-up", run.log),
    )
    workload.run(orders=6)
    wait_until(lambda: caught_up(services), 30, "catch-up", run.log)
    # Drop every session of the projector, again and again while a burst is projected.
    workload.caught_up = lambda: None
    terminated = 0
    with connect(services_settings, "test-terminator") as conn:
        for _ in range(3):
            workload.run(orders=3)
            terminated += len(
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = %s",
                    (run.app_name,),
                ).fetchall()
            )
            time.sleep(0.3)
    assert terminated >= 3  # event store pool, read model pool, lock, LISTEN (first round)
    workload.run(orders=6)
    wait_until(lambda: caught_up(services), 60, "catch-up after the drop", run.log)
    assert_projections_true(services)
    assert run.proc.poll() is None, run.log()
    assert run.terminate() == 0


def test_flushed_redis_and_rebuild_while_the_projector_runs(
    services: Services, services_settings: Settings, start_projector: Callable[[], ProjectorRun]
) -> None:
    run = start_projector()
    workload = Workload(
        services.kitchen,
        lambda: wait_until(lambda: caught_up(services), 30, "catch-up", run.log),
    )
    workload.run(orders=12)
    wait_until(lambda: caught_up(services), 30, "catch-up", run.log)
    before = queue_snapshot(services.queue)
    assert before

    client = services.queue.client  # type: ignore[attr-defined]
    client.delete(*client.scan_iter(match=f"{services_settings.redis_prefix}*"))
    assert services.queue.size() == 0
    env = process_env(services_settings)
    done = subprocess.run(
        [*CLI, "projections", "rebuild", "--only", "redis", "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rebuilt redis" in done.stdout
    assert queue_snapshot(services.queue) == before

    # A full rebuild while the projector keeps running and orders keep coming.
    workload.caught_up = lambda: None
    rebuild = subprocess.Popen(
        [*CLI, "projections", "rebuild", "--no-progress"], env=env, stdout=subprocess.PIPE
    )
    workload.run(orders=6)
    assert rebuild.wait(120) == 0
    wait_until(lambda: caught_up(services), 60, "catch-up after the rebuild", run.log)
    assert_projections_true(services)
    assert run.terminate() == 0
