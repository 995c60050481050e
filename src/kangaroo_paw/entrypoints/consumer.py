"""The consumer process: the Kafka event topic in, Temporal workflow calls out
(docs/temporal.md). Needs Kafka and Temporal only — no database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from kangaroo_paw.adapters.kafka.consumer import KafkaDeadLetters, KafkaTopicConsumer
from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
from kangaroo_paw.adapters.temporal.scheduler import TemporalScheduler, is_transient
from kangaroo_paw.application.reactor import CoalescingScheduler, EventReactor
from kangaroo_paw.entrypoints.metrics import add_consumer_lag, export
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_RETRY_MAX_SECS = 10.0


class ConsumerProcess:
    """Runs until ``stop()``: connects to Temporal and joins the consumer group (waiting while
    either is down), then handles batches; a stop finishes and commits the batch in hand."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self.consumer: KafkaTopicConsumer | None = None

    def stop(self) -> None:
        self.stopping.set()

    def _until_connected(self, what: str, connect: Callable[[], T]) -> T | None:
        """``connect()``, retried with a growing pause while the server is unreachable;
        None if the process is stopped first."""
        from kafka.errors import KafkaError

        attempt = 0
        while not self.stopping.is_set():
            try:
                return connect()
            # What a failed connect raises: RuntimeError (temporalio), NoBrokersAvailable, ...
            except (RuntimeError, OSError, TimeoutError, KafkaError) as exc:
                attempt += 1
                delay = min(float(attempt), CONNECT_RETRY_MAX_SECS)
                log.warning("%s unreachable (%r); retry in %.0f s", what, exc, delay)
                self.stopping.wait(delay)
        return None

    def run(self) -> None:
        metrics = PrometheusMetrics()  # timer shards started, and the group's lag at scrape
        close_lag = add_consumer_lag(metrics, self.settings)
        stop_metrics = export(self.settings, metrics)
        try:
            self._consume(metrics)
        finally:
            stop_metrics()
            close_lag()

    def _consume(self, metrics: PrometheusMetrics) -> None:
        settings = self.settings
        scheduler = self._until_connected(
            f"temporal at {settings.temporal_address}",
            lambda: TemporalScheduler.from_settings(settings, deferred=True, metrics=metrics),
        )
        if scheduler is None:
            return
        try:  # a warm-up only: a shard not open yet is started by its first timer
            scheduler.open_shards()
            scheduler.wait_all()
        except Exception as exc:  # noqa: BLE001 - never a reason not to consume
            log.warning("timer shard workflows not opened ahead (%r)", exc)
        # A batch's timers go out as one signal per timer shard, its allocation requests as
        # one signal, all concurrently; the flush before the commit waits for every one.
        coalescing = CoalescingScheduler(scheduler, barrier=scheduler.wait_all)
        reactor = EventReactor(coalescing, settings.assignment_ttl_secs, is_transient=is_transient)
        dead_letters = KafkaDeadLetters.from_settings(settings)
        try:
            self.consumer = self._until_connected(
                f"kafka at {settings.kafka_bootstrap}",
                lambda: KafkaTopicConsumer.from_settings(
                    settings, reactor, coalescing, dead_letters
                ),
            )
            if self.consumer is None:
                return
            log.info(
                "consumer joined group %s on %s (kitchen %s, task queue %s)",
                settings.kafka_consumer_group,
                settings.kafka_topic,
                settings.kitchen,
                settings.temporal_task_queue,
            )
            self.consumer.run(self.stopping)
        finally:
            log.info("consumer stopping: %s", self.consumer.stats if self.consumer else None)
            closers = (
                self.consumer.close if self.consumer else dead_letters.close,
                coalescing.close,
            )
            for close in closers:
                try:
                    close()
                except Exception:  # release everything else even if one part is broken
                    log.warning("consumer shutdown: %r failed", close, exc_info=True)
