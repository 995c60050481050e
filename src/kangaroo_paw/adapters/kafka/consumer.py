"""KafkaTopicConsumer: reads the domain event topic in a consumer group and hands each record
to the ``EventReactor``; offsets are committed only after the records before them were
handled (or parked on the dead-letter topic) and the batch's allocation request was sent."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kangaroo_paw.application.reactor import (
    CoalescingScheduler,
    EventReactor,
    Outcome,
    Unavailable,
    Verdict,
)
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

BACKOFF_MAX_SECS = 10.0


class ParkFailed(RuntimeError):
    """The dead-letter topic did not acknowledge a parked record."""


@dataclass
class ConsumerStats:
    """Counts since start (logged, and read by tests)."""

    handled: int = 0
    duplicates: int = 0
    parked: int = 0
    batches: int = 0
    commits: int = 0
    stalls: int = 0


class KafkaDeadLetters:
    """Parks poison records on the dead-letter topic: same key and value, and headers saying
    where the record came from and why it was parked."""

    def __init__(self, bootstrap: str, topic: str, timeout_secs: float = 30.0) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout_secs = timeout_secs
        self._producer: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaDeadLetters:
        return cls(settings.kafka_bootstrap, settings.kafka_dlq_topic)

    def park(self, record: Any, error: str) -> None:
        from kafka import KafkaProducer

        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap.split(","),
                client_id="kangaroo-paw-consumer-dlq",
                acks="all",
            )
        headers = [
            ("kp-error", error.encode("utf-8", "replace")[:4000]),
            ("kp-source-topic", str(record.topic).encode()),
            ("kp-source-partition", str(record.partition).encode()),
            ("kp-source-offset", str(record.offset).encode()),
        ]
        try:
            self._producer.send(
                self.topic, key=record.key, value=record.value or b"", headers=headers
            ).get(timeout=self.timeout_secs)
        except Exception as exc:
            raise ParkFailed(f"could not park a record on {self.topic}: {exc!r}") from exc

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self.timeout_secs)
            self._producer = None


class KafkaTopicConsumer:
    """One member of the consumer group. ``run`` polls until ``stopping`` is set; a stop
    finishes the batch in hand, commits it and leaves the group."""

    def __init__(
        self,
        consumer: Any,
        reactor: EventReactor,
        scheduler: CoalescingScheduler,
        dead_letters: KafkaDeadLetters,
        *,
        poll_timeout_ms: int = 500,
        max_records: int = 500,
        backoff_max_secs: float = BACKOFF_MAX_SECS,
    ) -> None:
        self.consumer = consumer
        self.reactor = reactor
        self.scheduler = scheduler
        self.dead_letters = dead_letters
        self.poll_timeout_ms = poll_timeout_ms
        self.max_records = max_records
        self.backoff_max_secs = backoff_max_secs
        self.stats = ConsumerStats()
        self._failures = 0

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        reactor: EventReactor,
        scheduler: CoalescingScheduler,
        dead_letters: KafkaDeadLetters,
        **config: Any,
    ) -> KafkaTopicConsumer:
        from kafka import KafkaConsumer

        options: dict[str, Any] = {
            "bootstrap_servers": settings.kafka_bootstrap.split(","),
            "group_id": settings.kafka_consumer_group,
            "client_id": "kangaroo-paw-consumer",
            "auto_offset_reset": "earliest",  # a new group reads the topic from the start
            "enable_auto_commit": False,  # commit after handling, never before
            "max_poll_records": 500,
            "session_timeout_ms": 10_000,  # a killed member's partitions move on in ~10 s
            "heartbeat_interval_ms": 3_000,
        }
        options.update(config)
        consumer = KafkaConsumer(settings.kafka_topic, **options)
        return cls(consumer, reactor, scheduler, dead_letters)

    def run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            if not self.poll_once():
                self._failures += 1
                self.stats.stalls += 1
                stopping.wait(min(0.25 * 2**self._failures, self.backoff_max_secs))
            else:
                self._failures = 0

    def poll_once(self) -> bool:
        """Handle one polled batch; False when it could not be settled (the backend is
        unavailable): nothing unsettled is committed, and it is polled again."""
        batch: Mapping[Any, list[Any]] = self.consumer.poll(
            timeout_ms=self.poll_timeout_ms, max_records=self.max_records
        )
        if not batch:
            return self._settle({}, {}, [])
        self.stats.batches += 1
        first = {tp: records[0].offset for tp, records in batch.items()}
        done: dict[Any, int] = {}  # partition -> next offset to handle
        outcomes: list[Outcome] = []
        try:
            for tp, records in batch.items():
                for record in records:
                    outcomes.append(self._handle(record))
                    done[tp] = record.offset + 1
        except (Unavailable, ParkFailed) as exc:
            log.warning("consumer stalled, will retry: %s", exc)
            for tp in batch:  # poll the rest again after the backoff
                self.consumer.seek(tp, done.get(tp, first[tp]))
            self._settle(done, first, outcomes)
            return False
        return self._settle(done, first, outcomes)

    def _handle(self, record: Any) -> Outcome:
        outcome = self.reactor.handle(record.value)
        if outcome.verdict is Verdict.POISON:
            log.error(
                "parking poison record %s[%d]@%d on %s: %s",
                record.topic,
                record.partition,
                record.offset,
                self.dead_letters.topic,
                outcome.error,
            )
            self.dead_letters.park(record, outcome.error or "poison")
        return outcome

    def _settle(
        self, done: Mapping[Any, int], first: Mapping[Any, int], outcomes: list[Outcome]
    ) -> bool:
        """Send the held allocation request, wait until every scheduler call of the batch
        landed, then remember the events and commit their offsets. If that fails, none of
        it counts: the batch's partitions go back to where the batch began."""
        from kafka.errors import CommitFailedError, KafkaError
        from kafka.structs import OffsetAndMetadata

        try:
            self.scheduler.flush()
        except Exception as exc:  # noqa: BLE001 - whatever it is, the batch is retried
            self.reactor.forget()
            if self.reactor.is_transient(exc):
                log.warning("scheduler calls not acknowledged (%s); retrying the batch", exc)
            else:  # a misconfiguration, most likely: loud, but never a reason to drop events
                log.error("scheduler calls failed (%r); retrying the batch", exc)
            for tp, offset in first.items():
                self.consumer.seek(tp, offset)
            return False
        self.reactor.remember(outcomes)
        for outcome in outcomes:
            verdict = outcome.verdict
            self.stats.handled += verdict is Verdict.HANDLED
            self.stats.duplicates += verdict is Verdict.DUPLICATE
            self.stats.parked += verdict is Verdict.POISON
        if not done:
            return True
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in done.items()}
        try:
            self.consumer.commit(offsets)
            self.stats.commits += 1
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: their new owner sees these records again,
            # and handling them twice is harmless.
            log.warning("offset commit failed (%r); records will be redelivered", exc)
        return True

    def close(self) -> None:
        try:
            self.consumer.close(autocommit=False)
        finally:
            self.dead_letters.close()
