"""The relay process: one active relay per topic (a PostgreSQL advisory lock), any number of
hot standbys, LISTEN/NOTIFY wake-up with a polling fallback, and a graceful stop."""

from __future__ import annotations

import logging
import threading

from kangaroo_paw.adapters.kafka.publisher import KafkaEventPublisher
from kangaroo_paw.adapters.postgres.connection import connect, schema_of
from kangaroo_paw.adapters.postgres.leadership import AdvisoryLock, LeadershipLost
from kangaroo_paw.adapters.postgres.listen import DEFAULT_CHANNEL, PostgresNotificationListener
from kangaroo_paw.adapters.postgres.outbox_log import OutboxLog
from kangaroo_paw.adapters.postgres.tracking import PostgresPositionStore
from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
from kangaroo_paw.application.relay import NotificationLog, Relay, describe
from kangaroo_paw.composition import build_services
from kangaroo_paw.entrypoints.metrics import add_relay_progress, export
from kangaroo_paw.entrypoints.relay_reader import ReaderProcessLog
from kangaroo_paw.ports.publisher import EventPublisher
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

RECONNECT_MAX_SECS = 10.0


def relay_name(settings: Settings) -> str:
    """The tracking row of the relay that feeds ``KP_KAFKA_TOPIC``."""
    return f"kafka:{settings.kafka_topic}"


def relay_lock_name(settings: Settings) -> str:
    """Advisory locks are database-wide: the schema makes parallel deployments independent."""
    return f"kangaroo-paw relay {schema_of(settings)} {relay_name(settings)}"


class RelayProcess:
    """Runs until ``stop()``: waits as standby while another process holds the lock, relays
    while it holds it, and goes back to waiting (after a short backoff) when its database
    session is lost. Broker failures are the Relay's business (recorded, ``min(n², 300)`` s)."""

    def __init__(
        self,
        settings: Settings,
        *,
        publisher: EventPublisher | None = None,
        reader_process: bool = True,
    ) -> None:
        # kafka-python narrates every (re)connection at INFO; the relay logs what matters.
        kafka_log = logging.getLogger("kafka")
        kafka_log.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
        self.settings = settings
        self.publisher = publisher or KafkaEventPublisher.from_settings(settings)
        self.stopping = threading.Event()
        self.role = "starting"
        # Read, decode and encode in a process of its own (see relay_reader).
        self.reader_process = reader_process
        self.relay: Relay | None = None
        self._listener: PostgresNotificationListener | None = None

    def stop(self) -> None:
        """Finish the batch in flight, release the lock and return from ``run``."""
        self.stopping.set()
        if self._listener is not None:
            self._listener.wake()  # an idle relay is waiting on the listener

    def _become(self, role: str) -> None:
        if role != self.role:
            self.role = role
            log.info("relay is %s (topic %s)", role, self.settings.kafka_topic)

    def run(self) -> None:
        import psycopg
        from eventsourcing.persistence import PersistenceError

        settings = self.settings
        services = build_services(settings, with_queue=False)
        metrics = PrometheusMetrics()
        add_relay_progress(metrics, settings, services.kitchen)
        stop_metrics = export(settings, metrics)
        channel = getattr(services.kitchen.recorder, "channel_name", DEFAULT_CHANNEL)
        listener = PostgresNotificationListener(
            lambda: connect(settings, "relay-listen"), channel
        ).start()
        self._listener = listener
        lock = AdvisoryLock(lambda: connect(settings, "relay"), relay_lock_name(settings))
        events: NotificationLog = OutboxLog(services.kitchen)
        reader: ReaderProcessLog | None = None
        if self.reader_process:
            reader = ReaderProcessLog(settings, OutboxLog(services.kitchen))
            events = reader
        failures = 0
        try:
            while not self.stopping.is_set():
                try:
                    if not lock.try_acquire():
                        self._become("standby")
                        self.stopping.wait(settings.relay_poll_secs)
                        continue
                    self._become("active")
                    failures = 0
                    if reader is not None:
                        reader.start()
                    self.relay = Relay(
                        events,
                        self.publisher,
                        PostgresPositionStore(lock.connection, relay_name(settings)),
                        batch_size=settings.relay_batch_size,
                        poll_secs=settings.relay_poll_secs,
                    )
                    self.relay.run(self.stopping, listener.wait, lock.check)
                except (psycopg.Error, PersistenceError, LeadershipLost) as exc:
                    failures += 1
                    lock.reset()
                    self._become("reconnecting")
                    delay = min(float(failures), RECONNECT_MAX_SECS)
                    log.warning(
                        "relay lost its database session (%s); retry in %.0f s",
                        describe(exc),
                        delay,
                    )
                    self.stopping.wait(delay)
        finally:
            self._become("stopping")
            closing = [
                lock.release,
                listener.stop,
                self.publisher.close,
                stop_metrics,
                services.close,
            ]
            if reader is not None:
                closing.insert(0, reader.stop)
            for close in closing:
                try:
                    close()
                except Exception:  # release everything else even if one part is broken
                    log.warning("relay shutdown: %r failed", close, exc_info=True)
            self._become("stopped")
