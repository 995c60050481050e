"""The whole services stack as real processes (``serve``, ``relay``, ``projector``,
``consumer``, ``worker``) on the servers of ``scripts/services``, isolated per run by its own
schema, Redis prefix, Kafka topic and group, kitchen name and Temporal task queue; plus the
cooks, the history readers and the invariant checks the full-stack tests and the latency
benchmark share."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from kangaroo_paw.settings import Settings

TOKEN = "kp_full-stack-test-manager"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLI = [sys.executable, "-m", "kangaroo_paw.entrypoints.cli"]
PROCESSES = ("serve", "projector", "relay", "consumer", "worker")
PARTITIONS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Callable[[], Any], timeout: float, what: str, poll: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)


def moment(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


class FullStack:
    """Start, kill, restart and stop the processes; ``close`` removes every trace."""

    def __init__(self, logs: Path, **overrides: Any) -> None:
        tag = uuid.uuid4().hex[:10]
        self.tag = tag
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.settings = Settings.from_env(
            mode="services",
            postgres_schema=f"kp_fs_{tag}",
            redis_prefix=f"kp-fs-{tag}:",
            kafka_topic=f"kp-fs-{tag}",
            kafka_dlq_topic=f"kp-fs-{tag}.dlq",
            kafka_consumer_group=f"kp-fs-{tag}",
            kitchen=f"fs-{tag}",
            temporal_task_queue=f"kp-fs-{tag}",
            port=free_port(),
            relay_poll_secs=0.2,
            postgres_pool_size=3,
            **overrides,
        )
        s = self.settings
        self.env = dict(os.environ)
        self.env.update(
            {
                "KP_MODE": "services",
                "KP_BOOTSTRAP_TOKEN": TOKEN,
                "KP_POSTGRES_SCHEMA": s.postgres_schema,
                "KP_REDIS_PREFIX": s.redis_prefix,
                "KP_KAFKA_TOPIC": s.kafka_topic,
                "KP_KAFKA_DLQ_TOPIC": s.kafka_dlq_topic,
                "KP_KAFKA_CONSUMER_GROUP": s.kafka_consumer_group,
                "KP_KITCHEN": s.kitchen,
                "KP_TEMPORAL_TASK_QUEUE": s.temporal_task_queue,
                "KP_PORT": str(s.port),
                "KP_RELAY_POLL_SECS": str(s.relay_poll_secs),
                "KP_POSTGRES_POOL_SIZE": str(s.postgres_pool_size),
                "KP_ASSIGNMENT_TTL_SECS": str(s.assignment_ttl_secs),
                "KP_SEED_DEMO": "true",
                # One test client polls every order: it is no caller to rate-limit.
                "KP_RATE_LIMIT_READS_PER_SEC": "0",
                "KP_RATE_LIMIT_WRITES_PER_SEC": "0",
            }
        )
        self.base = f"http://127.0.0.1:{s.port}"
        self.api = httpx.Client(base_url=f"{self.base}/api/v1", timeout=30, headers=AUTH)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: Counter[str] = Counter()
        self._prepared = False

    # -- lifecycle ------------------------------------------------------------------------

    def prepare(self) -> None:
        from kafka.admin import KafkaAdminClient, NewTopic

        from kangaroo_paw.adapters.postgres.migrate import migrate

        migrate(self.settings)
        admin = KafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap, request_timeout_ms=15000
        )
        try:
            admin.create_topics(
                [
                    NewTopic(self.settings.kafka_topic, PARTITIONS, 1),
                    NewTopic(self.settings.kafka_dlq_topic, 1, 1),
                ],
                timeout_ms=15000,
            )
        finally:
            admin.close()
        self._prepared = True

    def start(self, *names: str) -> None:
        for name in names or PROCESSES:
            self.starts[name] += 1
            log = (self.logs / f"{name}.{self.starts[name]}.log").open("wb")
            self.procs[name] = subprocess.Popen(
                [*CLI, name], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if "serve" in (names or PROCESSES):
            wait_for(self._up, 60, "the API", poll=0.3)

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, *names: str) -> None:
        """SIGKILL: no shutdown code runs (no commit, no graceful worker stop)."""
        for name in names:
            proc = self.procs[name]
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> dict[str, int | None]:
        """SIGTERM everything, wait; the exit codes (None if it had to be killed)."""
        codes: dict[str, int | None] = {}
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
                codes[name] = None
        return codes

    def close(self) -> None:
        self.stop()
        self.api.close()
        if not self._prepared:
            return
        for cleanup in (self._drop_schema, self._drop_redis, self._drop_topics, self._end_flows):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - clean up the rest regardless
                print(f"cleanup {cleanup.__name__} failed: {exc!r}", file=sys.stderr)

    def _drop_schema(self) -> None:
        from kangaroo_paw.adapters.postgres.migrate import drop_schema

        drop_schema(self.settings)

    def _drop_redis(self) -> None:
        from kangaroo_paw.adapters.redis.queue import connect

        client = connect(self.settings.redis_url)
        keys = list(client.scan_iter(match=f"{self.settings.redis_prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()

    def _drop_topics(self) -> None:
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        try:
            admin.delete_topics(
                [self.settings.kafka_topic, self.settings.kafka_dlq_topic], timeout_ms=15000
            )
        finally:
            admin.close()

    def _end_flows(self) -> None:
        """Terminate what still runs on this run's task queue (the allocation workflow)."""

        async def end() -> None:
            client = await self.temporal()
            query = (
                f"TaskQueue = '{self.settings.temporal_task_queue}' AND ExecutionStatus = 'Running'"
            )
            async for flow in client.list_workflows(query):
                await client.get_workflow_handle(flow.id, run_id=flow.run_id).terminate(
                    reason="test run finished"
                )

        asyncio.run(end())

    def log_text(self) -> str:
        return "".join(
            f"\n----- {p.name}\n{p.read_text(errors='replace')[-6000:]}"
            for p in sorted(self.logs.glob("*.log"))
        )

    # -- the kitchen, over HTTP -----------------------------------------------------------

    def put_recipe(self, item_key: str, estimates: dict[int, float]) -> None:
        recipe = self.api.get(f"/recipes/{item_key}").json()
        steps = [
            {
                "step_no": s["step_no"],
                "description": s["description"],
                "counter": s["counter"],
                "machine": s.get("machine"),
                "estimate_secs": estimates.get(s["step_no"], s["estimate_secs"]),
                "base_priority": s["base_priority"],
            }
            for s in recipe["steps"]
        ]
        dependencies = recipe.get("dependencies", [])
        response = self.api.put(
            f"/recipes/{item_key}", json={"steps": steps, "dependencies": dependencies}
        )
        assert response.status_code in (200, 201), response.text

    def confirm(self, items: dict[str, int], external: str) -> dict[str, Any]:
        response = self.api.post(
            "/orders/confirm", json={"items": items, "external_order_id": external}
        )
        assert response.status_code in (200, 201), f"{response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def confirm_many(self, orders: list[dict[str, int]], threads: int = 8) -> list[str]:
        """Confirm concurrently (several HTTP clients at once); the order ids, in order."""
        from concurrent.futures import ThreadPoolExecutor

        externals = [f"{self.tag}-{n}" for n in range(len(orders))]
        with ThreadPoolExecutor(threads) as pool:
            bodies = list(pool.map(self.confirm, orders, externals))
        return [b["order_id"] for b in bodies]

    def order_statuses(self, order_ids: Iterable[str]) -> dict[str, str]:
        return {o: self.api.get(f"/orders/{o}").json()["status"] for o in order_ids}

    def events(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.api.get("/events", params={"after": after, "limit": 1000}).json()
            found.extend(page["events"])
            if not page["events"]:
                return found
            after = page["next_after"]

    def topic_records(self, expected: int, timeout: float = 60) -> list[dict[str, Any]]:
        """Every record on the topic (no group), once ``expected`` are there."""
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap.split(","),
            group_id=None,
            enable_auto_commit=False,
        )
        try:
            partitions = [TopicPartition(self.settings.kafka_topic, p) for p in range(PARTITIONS)]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            records: list[dict[str, Any]] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                records.extend(_decoded(consumer.poll(timeout_ms=500)))
                if len(records) >= expected:
                    time.sleep(0.5)  # anything beyond would be a duplicate: catch it too
                    records.extend(_decoded(consumer.poll(timeout_ms=500)))
                    break
            return records
        finally:
            consumer.close()

    async def temporal(self) -> Any:
        from temporalio.client import Client

        return await Client.connect(
            self.settings.temporal_address, namespace=self.settings.temporal_namespace
        )

    def executions(self) -> list[Any]:
        """Every workflow execution on this run's task queue (id, type, start/close time)."""

        async def collect() -> list[Any]:
            client = await self.temporal()
            query = f"TaskQueue = '{self.settings.temporal_task_queue}'"
            return [w async for w in client.list_workflows(query)]

        return asyncio.run(collect())

    def timer_ids(self) -> set[str]:
        """Every timer the kitchen's shard workflows hold or fired (``complete-<task>-<n>``,
        ``timeout-<task>-<n>``, ``release-...``), by their ``status`` queries."""
        from kangaroo_paw.adapters.temporal.common import timer_shard_workflow_id

        async def collect() -> set[str]:
            client = await self.temporal()
            found: set[str] = set()
            for shard in range(self.settings.temporal_timer_shards):
                workflow_id = timer_shard_workflow_id(self.settings.kitchen, shard)
                status = await client.get_workflow_handle(workflow_id).query("status")
                found |= set(status["pending"]) | set(status["fired"])
            return found

        return asyncio.run(collect())

    def workflows(self) -> Counter[str]:
        """Workflow executions on this run's task queue, by type."""

        async def count() -> Counter[str]:
            client = await self.temporal()
            query = f"TaskQueue = '{self.settings.temporal_task_queue}'"
            return Counter([w.workflow_type async for w in client.list_workflows(query)])

        return asyncio.run(count())


def _decoded(batches: dict[Any, list[Any]]) -> list[dict[str, Any]]:
    """Record values as envelopes, each with the record's timestamp (``_kafka_ts_ms``)."""
    found = []
    for batch in batches.values():
        for record in batch:
            value = json.loads(record.value)
            value["_kafka_ts_ms"] = record.timestamp
            found.append(value)
    return found


class Cooks:
    """Start every ASSIGNED task as soon as it shows up (what the cooks' tablets would do),
    once per attempt (a re-fired task is started again); ``skip`` leaves tasks alone (to let
    them go stale)."""

    def __init__(self, stack: FullStack, poll_secs: float = 0.2) -> None:
        self.stack = stack
        self.poll_secs = poll_secs
        self.started: set[tuple[str, int]] = set()  # (task, attempt)
        self.skip: Callable[[dict[str, Any]], bool] = lambda task: False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cooks", daemon=True)
        self.errors: list[str] = []

    def __enter__(self) -> Cooks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        api = httpx.Client(base_url=self.stack.api.base_url, timeout=30, headers=AUTH)
        while not self._stop.is_set():
            try:
                tasks = api.get("/tasks", params={"status": "ASSIGNED", "limit": 1000}).json()
                for task in tasks["tasks"]:
                    run = (task["task_id"], task["attempt"])
                    if run in self.started or self.skip(task):
                        continue
                    response = api.post(f"/tasks/{task['task_id']}/start")
                    if response.status_code == 200:
                        self.started.add(run)
                    elif response.status_code != 409:  # 409: the read model lagged
                        self.errors.append(response.text)
            except httpx.HTTPError as exc:
                self.errors.append(repr(exc))
            self._stop.wait(self.poll_secs)
        api.close()


# -- what the history must show --------------------------------------------------------------


def by_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def check_dependencies(events: list[dict[str, Any]]) -> int:
    """Every task started only after all the tasks it depends on completed (by the recorded
    times, and by the order of the log). Returns how many dependent tasks were checked."""
    created = {e["task_id"]: e["data"] for e in by_type(events, "TASK_CREATED")}
    completed = {e["task_id"]: e for e in by_type(events, "TASK_COMPLETED")}
    checked = 0
    for start in by_type(events, "TASK_STARTED"):
        parents = created[start["task_id"]]["depends_on"]
        for parent in parents:
            done = completed[parent]
            assert done["notification_id"] < start["notification_id"], (parent, start)
            assert moment(done["data"]["completed_at"]) <= moment(start["data"]["started_at"])
        checked += bool(parents)
    return checked


def check_capacity(
    events: list[dict[str, Any]],
    stations: dict[str, int],
    staff: dict[str, int],
) -> dict[str, int]:
    """Replay the history: at no point does a counter, a machine or a cook hold more tasks
    than its capacity (max_parallel). Returns the peak load of each."""
    counter_of = {e["task_id"]: e["data"]["counter"] for e in by_type(events, "TASK_CREATED")}
    held: dict[str, tuple[str, ...]] = {}
    load: Counter[str] = Counter()
    peak: dict[str, int] = defaultdict(int)
    limits = {**stations, **{f"staff:{k}": v for k, v in staff.items()}}
    for event in sorted(events, key=lambda e: e["notification_id"]):
        task = event["task_id"]
        if event["type"] == "TASK_ASSIGNED":
            assert task not in held, f"{task} assigned twice without a release"
            machine = event["data"].get("machine")
            holders = (counter_of[task], f"staff:{event['data']['staff_id']}")
            held[task] = (*holders, machine) if machine else holders
            for name in held[task]:
                load[name] += 1
                peak[name] = max(peak[name], load[name])
                assert load[name] <= limits[name], f"{name} over capacity at {event}"
        elif event["type"] in (
            "TASK_COMPLETED",
            "TASK_REQUEUED",
            "TASK_REROUTED",
            "TASK_HANDED_BACK",
            "TASK_CANCELLED",
        ):
            for name in held.pop(task, ()):
                load[name] -= 1
    return dict(peak)


def capacities(stack: FullStack) -> tuple[dict[str, int], dict[str, int]]:
    stations = {}
    for kind in ("counters", "machines"):
        body = stack.api.get(f"/{kind}").json()
        rows = body[kind] if isinstance(body, dict) else body
        stations.update({r["name"]: r["capacity"] for r in rows})
    body = stack.api.get("/staff").json()
    rows = body["staff"] if isinstance(body, dict) else body
    return stations, {r["staff_id"]: r["max_parallel"] for r in rows}


def check_once(events: list[dict[str, Any]], kinds: Iterable[str]) -> None:
    """Nothing twice: each task started and completed exactly once."""
    for kind in kinds:
        counts = Counter(e["task_id"] for e in by_type(events, kind))
        twice = {t: n for t, n in counts.items() if n > 1}
        assert not twice, f"{kind} more than once: {twice}"
