"""The projector process: follows the PostgreSQL event log into the Redis ready queue and the
PostgreSQL read model, woken by LISTEN/NOTIFY with a polling fallback, taking turns with any
other projector on an advisory lock. (The rebuild is ``composition.rebuild_projections``.)"""

from __future__ import annotations

import logging
import threading

from kangaroo_paw.adapters.postgres.connection import connect, schema_of
from kangaroo_paw.adapters.postgres.listen import DEFAULT_CHANNEL, PostgresNotificationListener
from kangaroo_paw.adapters.postgres.turns import ProjectionTurn
from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
from kangaroo_paw.composition import build_services, make_projector
from kangaroo_paw.entrypoints.metrics import add_projection_lag, add_queue_depth, export
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)


class ProjectorProcess:
    """Runs until ``stop()``. Any number may run: passes take turns on an advisory lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self._listener: PostgresNotificationListener | None = None

    def stop(self) -> None:
        self.stopping.set()
        if self._listener is not None:
            self._listener.wake()

    def run(self) -> None:
        settings = self.settings
        services = build_services(settings)
        channel = getattr(services.kitchen.recorder, "channel_name", DEFAULT_CHANNEL)
        self._listener = PostgresNotificationListener(
            lambda: connect(settings, "projector-listen"), channel
        ).start()
        turn = ProjectionTurn(settings, "projector")
        projector = make_projector(services)
        metrics = PrometheusMetrics()
        add_projection_lag(metrics, projector.status)
        add_queue_depth(metrics, services.queue)
        stop_metrics = export(settings, metrics)
        log.info(
            "projector started: schema %s, redis prefix %r, positions %s",
            schema_of(settings),
            settings.redis_prefix,
            {s.name: s.position for s in projector.status()},
        )
        try:
            projector.follower.run(self.stopping, self._listener.wait, turn.pass_turn)
        finally:
            for close in (self._listener.stop, turn.close, stop_metrics, services.close):
                try:
                    close()
                except Exception:  # release everything else even if one part is broken
                    log.warning("projector shutdown: %r failed", close, exc_info=True)
            log.info("projector stopped")
