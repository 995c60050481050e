"""The process's Prometheus registry: every ``kangaroo_paw_*`` series, the ``Metrics`` port
the kitchen reports to, and the text exposition (``/metrics``).

One ``PrometheusMetrics`` per process (each test builds its own): it owns a registry of its
own rather than prometheus_client's global one, so nothing registered elsewhere leaks in and
two instances never clash.

Several API worker processes (``KP_WORKERS``) answer ``/metrics`` on one port, and a scrape
reaches whichever worker accepts it; so the supervisor gives the workers a shared directory
(``PROMETHEUS_MULTIPROC_DIR``, prometheus_client's own multi-process mode, read when the
library is imported): every worker then writes its counters and histograms to files there
and every scrape sums all of them. The per-process ``process_*`` series are left out in that
mode (they would describe only the worker that happened to answer)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

from kangaroo_paw.adapters.prometheus.sampled import GaugeSpec, Reading, SampledGauges

log = logging.getLogger(__name__)

PREFIX = "kangaroo_paw_"
# The classic text format ``generate_latest`` writes (the HTTP layer adds the charset).
CONTENT_TYPE = "text/plain; version=0.0.4"
# prometheus_client's switch for multi-process mode (a directory shared by the workers).
SHARED_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Seconds. An API call is milliseconds, a stream minutes; a ticket minutes to an hour; a pass
# milliseconds; a timer should fire within a second of its due time.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TICKET_BUCKETS = (60, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600, 5400)
PASS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True, slots=True)
class MetricsServer:
    """A ``/metrics`` endpoint on a thread of its own (processes without an HTTP API)."""

    host: str
    port: int
    close: Callable[[], None]


class PrometheusMetrics:
    """The ``Metrics`` port over a Prometheus registry, plus the HTTP histogram and the
    gauges sampled at scrape time (``add_gauges``)."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry()
        shared = os.environ.get(SHARED_DIR_ENV)
        r: CollectorRegistry | None = self.registry
        if shared:  # values live in the shared files; the collector sums every worker's
            MultiProcessCollector(self.registry, path=shared)  # type: ignore[no-untyped-call]
            r = None
        elif process:  # process_cpu_seconds_total, process_resident_memory_bytes, ...
            ProcessCollector(registry=self.registry)
        self.http_seconds = Histogram(
            f"{PREFIX}http_request_duration_seconds",
            "HTTP requests by route template, method and status, from first byte in to last out",
            ["route", "method", "status"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.orders_confirmed = Counter(
            f"{PREFIX}orders_confirmed", "New orders recorded by this process", registry=r
        )
        self.ticket_seconds = Histogram(
            f"{PREFIX}ticket_seconds",
            "Ticket time of the orders this process completed: confirm to COMPLETED",
            buckets=TICKET_BUCKETS,
            registry=r,
        )
        self.pass_seconds = Histogram(
            f"{PREFIX}allocation_pass_seconds",
            "Duration of an allocation pass (its conflict retries included)",
            buckets=PASS_BUCKETS,
            registry=r,
        )
        self.blocked = Counter(
            f"{PREFIX}allocation_blocked_tasks",
            "Ready tasks an allocation pass could not place, by reason, summed over passes",
            ["reason"],
            registry=r,
        )
        self.workflows_started = Counter(
            f"{PREFIX}workflows_started",
            "Temporal timer workflows started: the timer shards (a signal to an open one is not)",
            ["workflow"],
            registry=r,
        )
        self.timer_lateness = Histogram(
            f"{PREFIX}timer_lateness_seconds",
            "How long after its due time a timer did its work (early counts as 0)",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.collect_errors = Counter(
            f"{PREFIX}metrics_collect_errors",
            "Scrapes that left a source's gauges out because the source failed",
            ["source"],
            registry=r,
        )

    # -- the Metrics port ---------------------------------------------------------------------

    def order_confirmed(self) -> None:
        self.orders_confirmed.inc()

    def ticket_completed(self, secs: float) -> None:
        self.ticket_seconds.observe(max(0.0, secs))

    def allocation_pass(self, secs: float, blocked: Mapping[str, int]) -> None:
        self.pass_seconds.observe(max(0.0, secs))
        for reason, count in blocked.items():
            if count > 0:
                self.blocked.labels(reason=reason).inc(count)

    def timer_fired(self, kind: str, lateness_secs: float) -> None:
        self.timer_lateness.labels(kind=kind).observe(max(0.0, lateness_secs))

    def workflow_started(self, workflow: str) -> None:
        self.workflows_started.labels(workflow=workflow).inc()

    # -- HTTP and sampled gauges --------------------------------------------------------------

    def http_request(self, route: str, method: str, status: int, secs: float) -> None:
        self.http_seconds.labels(route=route, method=method, status=str(status)).observe(secs)

    def add_gauges(
        self, source: str, specs: Sequence[GaugeSpec], read: Callable[[], Reading]
    ) -> None:
        """Expose ``specs``, read from ``read()`` at every scrape (see ``SampledGauges``)."""
        self.registry.register(SampledGauges(source, specs, read, self.collect_errors))

    # -- exposition ---------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The Prometheus text format of everything registered (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)

    def serve(self, host: str, port: int) -> MetricsServer:
        """Answer scrapes on ``host:port`` from a daemon thread (any path; ``/metrics`` by
        convention); ``OSError`` if the port cannot be bound."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)

        def close() -> None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

        bound = int(server.server_address[1])
        log.info("metrics on http://%s:%d/metrics", host, bound)
        return MetricsServer(host, bound, close)
