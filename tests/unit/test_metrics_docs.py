"""docs/metrics.md lists every metric the processes export, and the Grafana dashboard
queries only metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kangaroo_paw.adapters.prometheus.registry import PrometheusMetrics
from kangaroo_paw.adapters.prometheus.sampled import GaugeSpec
from kangaroo_paw.entrypoints import metrics as process_metrics

DOCS = Path(__file__).resolve().parents[2] / "docs"
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def exported() -> set[str]:
    """Every kangaroo_paw_* family: the registry's own and the scrape-time gauges."""
    registry = PrometheusMetrics(process=False).registry
    names = {family.name for family in registry.collect()}
    names |= {spec.name for spec in vars(process_metrics).values() if isinstance(spec, GaugeSpec)}
    return names


def test_every_exported_metric_is_documented() -> None:
    names = exported()
    assert len(names) >= 15
    documented = set(re.findall(r"`(kangaroo_paw_[a-z_]+)`", (DOCS / "metrics.md").read_text()))
    base = {_family(name) for name in documented}
    assert names <= base, names - base
    assert base <= names, base - names  # and nothing documented that does not exist


def test_the_dashboard_queries_only_exported_metrics() -> None:
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {_family(m) for e in exprs for m in re.findall(r"kangaroo_paw_[a-z_]+", e)}
    names = exported()
    assert used <= names, used - names
    assert names - used <= {"kangaroo_paw_relay_position", "kangaroo_paw_projector_position"}


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name
