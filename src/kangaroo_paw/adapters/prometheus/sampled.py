"""Gauges read at scrape time from a live source (the ready queue, the relay's tracking row,
the consumer group's offsets), so a scrape always shows the present, not the last change.

A source that fails (a backend is down) must never turn a scrape into an error: its gauges
are left out of that scrape, the failure is logged and counted under
``kangaroo_paw_metrics_collect_errors_total{source}``, and the rest of the page is served."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LabelValues = tuple[str, ...]
# gauge name → its samples (label values in the spec's label order, value); a gauge the
# reading leaves out is not exposed in that scrape.
Reading = Mapping[str, Iterable[tuple[LabelValues, float]]]


@dataclass(frozen=True, slots=True)
class GaugeSpec:
    """One gauge a source provides."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()


def single(value: float) -> list[tuple[LabelValues, float]]:
    """The one sample of an unlabelled gauge."""
    return [((), float(value))]


class SampledGauges(Collector):
    """The gauges of one ``source``, all read by one call of ``read`` per scrape. Scrapes
    may come concurrently (one thread per request); reads of one source are serialised, since
    a source may hold a client that is not thread-safe."""

    def __init__(
        self,
        source: str,
        specs: Sequence[GaugeSpec],
        read: Callable[[], Reading],
        errors: Counter,
    ) -> None:
        self.source = source
        self.specs = tuple(specs)
        self._read = read
        self._errors = errors
        self._lock = threading.Lock()

    def describe(self) -> list[GaugeMetricFamily]:
        """The names, without reading the source (registration must not touch a backend)."""
        return [GaugeMetricFamily(s.name, s.documentation, labels=s.labels) for s in self.specs]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self._lock:
                reading = {name: list(samples) for name, samples in self._read().items()}
        except Exception as exc:  # noqa: BLE001 - any failure: omit the gauges, keep the page
            log.warning("metrics: %s unavailable (%s: %s)", self.source, type(exc).__name__, exc)
            self._errors.labels(source=self.source).inc()
            return
        for spec in self.specs:
            if spec.name not in reading:
                continue
            family = GaugeMetricFamily(spec.name, spec.documentation, labels=spec.labels)
            for values, value in reading[spec.name]:
                family.add_metric(list(values), value)
            yield family
