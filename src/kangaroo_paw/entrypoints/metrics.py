"""Which metrics each process exports, and where.

Every process builds one ``PrometheusMetrics``; the kitchen in it reports to that registry
(``kitchen.metrics``), and the gauges that describe a backend's state (the ready queue, the
relay's and the projector's positions, the consumer group's offsets) are read at scrape
time. ``serve`` answers ``GET /metrics`` on its own port; the relay, projector, consumer and
worker answer on ``KP_METRICS_HOST:KP_METRICS_PORT`` when the port is set (docs/metrics.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kangaroo_paw.adapters.prometheus.registry import PREFIX, PrometheusMetrics
from kangaroo_paw.adapters.prometheus.sampled import GaugeSpec, Reading, single
from kangaroo_paw.application.following import SinkStatus
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.composition import EmbeddedKitchen, ServicesRuntime
from kangaroo_paw.ports.queue import ReadyQueue
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

Close = Callable[[], None]

QUEUE_DEPTH = GaugeSpec(
    f"{PREFIX}ready_queue_depth",
    "Ready tasks waiting in the queue, per (counter, machine, machine kind) group "
    "('' = none: a step names one machine, a machine kind (a pool), or neither)",
    ("counter", "machine", "kind"),
)
PROJECTION_POSITION = GaugeSpec(
    f"{PREFIX}projector_position", "Last event applied to the projection", ("sink",)
)
PROJECTION_LAG = GaugeSpec(
    f"{PREFIX}projector_lag_events", "Events recorded but not yet applied", ("sink",)
)
RELAY_POSITION = GaugeSpec(f"{PREFIX}relay_position", "Last event the broker acknowledged")
RELAY_LAG = GaugeSpec(f"{PREFIX}relay_lag_events", "Events recorded but not yet on Kafka")
RELAY_ATTEMPTS = GaugeSpec(
    f"{PREFIX}relay_failed_attempts", "Consecutive failed relay attempts (0 when healthy)"
)
CONSUMER_LAG = GaugeSpec(
    f"{PREFIX}consumer_lag_messages",
    "Records on the topic after the consumer group's committed offset, per partition",
    ("topic", "partition"),
)


def api_metrics(runtime: EmbeddedKitchen | ServicesRuntime) -> PrometheusMetrics:
    """``serve``'s registry: what its kitchen does (confirms; in embedded mode passes and
    timers too), the ready queue, and in embedded mode the in-process projections' lag."""
    metrics = PrometheusMetrics()
    runtime.kitchen.metrics = metrics
    if isinstance(runtime, EmbeddedKitchen):
        add_queue_depth(metrics, runtime.queue)
        add_projection_lag(metrics, runtime.runtime.projector.status)
    else:
        add_queue_depth(metrics, runtime.services.queue)
    return metrics


def add_queue_depth(metrics: PrometheusMetrics, queue: ReadyQueue) -> None:
    def read() -> Reading:
        groups = queue.groups()
        depths = [((c, m or "", k or ""), n) for (c, m, k), n in groups.items()]
        return {QUEUE_DEPTH.name: depths}

    metrics.add_gauges("ready_queue", [QUEUE_DEPTH], read)


def add_projection_lag(metrics: PrometheusMetrics, status: Callable[[], list[SinkStatus]]) -> None:
    """``status()`` is a projector's: one entry per sink (``queue``, ``sql``)."""

    def read() -> Reading:
        sinks = status()
        return {
            PROJECTION_POSITION.name: [((s.name,), s.position) for s in sinks],
            PROJECTION_LAG.name: [((s.name,), s.lag) for s in sinks],
        }

    metrics.add_gauges("projector", [PROJECTION_POSITION, PROJECTION_LAG], read)


def add_relay_progress(metrics: PrometheusMetrics, settings: Settings, kitchen: Kitchen) -> None:
    """The relay's tracking row (the one ``outbox status`` prints), read on a connection of
    its own: every relay, active or standby, shows the topic's progress."""
    from kangaroo_paw.adapters.postgres.connection import connect
    from kangaroo_paw.adapters.postgres.tracking import PostgresPositionStore
    from kangaroo_paw.application.relay import relay_status
    from kangaroo_paw.entrypoints.relay import relay_name

    def read() -> Reading:
        with connect(settings, "relay-metrics") as conn:
            status = relay_status(kitchen, PostgresPositionStore(conn, relay_name(settings)))
        return {
            RELAY_POSITION.name: single(status.position),
            RELAY_LAG.name: single(status.lag),
            RELAY_ATTEMPTS.name: single(status.attempts),
        }

    metrics.add_gauges("relay", [RELAY_POSITION, RELAY_LAG, RELAY_ATTEMPTS], read)


def add_consumer_lag(metrics: PrometheusMetrics, settings: Settings) -> Close:
    """The group's lag as Kafka sees it (end offset - committed offset), read by a client of
    its own that never joins the group: the consumer's client is not thread-safe, and the
    committed offset is what a restart would resume from."""
    from kafka import KafkaConsumer, TopicPartition

    clients: list[Any] = []  # made on the first scrape, so a broker that is down delays nothing

    def read() -> Reading:
        if not clients:
            clients.append(
                KafkaConsumer(
                    bootstrap_servers=settings.kafka_bootstrap.split(","),
                    group_id=settings.kafka_consumer_group,
                    client_id="kangaroo-paw-consumer-metrics",
                    enable_auto_commit=False,
                    request_timeout_ms=5000,
                )
            )
        client = clients[0]
        topic = settings.kafka_topic
        partitions = sorted(client.partitions_for_topic(topic) or ())
        tps = [TopicPartition(topic, p) for p in partitions]
        ends = client.end_offsets(tps)
        starts = client.beginning_offsets(tps)
        samples = []
        for tp in tps:
            committed = client.committed(tp)
            resume = starts[tp] if committed is None else committed
            samples.append(((topic, str(tp.partition)), max(0, ends[tp] - resume)))
        return {CONSUMER_LAG.name: samples}

    metrics.add_gauges("consumer", [CONSUMER_LAG], read)

    def close() -> None:
        for client in clients:
            client.close(autocommit=False)

    return close


def export(settings: Settings, metrics: PrometheusMetrics) -> Close:
    """Answer scrapes on ``KP_METRICS_HOST:KP_METRICS_PORT`` (nothing when the port is 0).
    A port that cannot be bound is logged and the process runs on without metrics: its work
    matters more than its telemetry."""
    if not settings.metrics_port:
        return lambda: None
    try:
        server = metrics.serve(settings.metrics_host, settings.metrics_port)
    except OSError as exc:
        log.error(
            "metrics: cannot listen on %s:%d (%s); running without /metrics",
            settings.metrics_host,
            settings.metrics_port,
            exc,
        )
        return lambda: None
    return server.close
