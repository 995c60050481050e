"""Helpers every suite shares: timing, robust summaries, skipping, the machine description."""

from __future__ import annotations

import math
import os
import platform
import socket
import statistics
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

SIZES = ("tiny", "small", "full")


class Skipped(Exception):
    """Raised by a suite that cannot run here (a service is down, a package is missing)."""


def pick(size: str, tiny: Any, small: Any, full: Any) -> Any:
    """The parameter for this run's size."""
    return {"tiny": tiny, "small": small, "full": full}[size]


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median first (these machines are noisy), then the tail."""
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "p90": percentile(samples, 0.9),
        "p99": percentile(samples, 0.99),
        "mean": statistics.fmean(samples),
        "min": min(samples),
        "max": max(samples),
    }


def metric(name: str, samples: Sequence[float], unit: str = "ms", **extra: Any) -> dict[str, Any]:
    """A row of the results table from raw samples (already in ``unit``)."""
    return {"name": name, "unit": unit, **summary(samples), **extra}


def timed(fn: Callable[[], Any], repeat: int, scale: float = 1000.0) -> list[float]:
    """Run ``fn`` ``repeat`` times; samples in ms (``scale`` = 1000) or seconds (1)."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * scale)
    return samples


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def endpoint(service: str) -> tuple[str, int]:
    """Host and port of a services-mode server, from the ``KP_*`` settings."""
    from urllib.parse import urlparse

    from kangaroo_paw.settings import Settings

    settings = Settings.from_env()
    if service in ("postgres", "redis"):
        url = urlparse(settings.database_url if service == "postgres" else settings.redis_url)
        return url.hostname or "127.0.0.1", url.port or (5432 if service == "postgres" else 6379)
    if service in ("kafka", "temporal"):
        raw = settings.kafka_bootstrap.split(",")[0] if service == "kafka" else None
        address = raw or settings.temporal_address
        host, _, port = address.rpartition(":")
        return host or "127.0.0.1", int(port)
    raise ValueError(f"unknown service {service!r}")


def down(services: Sequence[str]) -> list[str]:
    """The services (of postgres, redis, kafka, temporal) that do not accept connections."""
    missing = []
    for service in services:
        host, port = endpoint(service)
        if not port_open(host, port):
            missing.append(f"{service} is not reachable at {host}:{port}")
    return missing


# Exceptions that mean "a server is not there" rather than "the suite is broken".
UNREACHABLE = ("OperationalError", "NoBrokersAvailable", "KafkaConnectionError", "RPCError")


def unreachable(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError) or type(exc).__name__ in UNREACHABLE


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = None
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for package in ("eventsourcing", "ortools", "matplotlib"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": versions,
    }


def fmt(value: Any) -> str:
    """A number as a table shows it: three significant digits, thousands separated."""
    if isinstance(value, bool) or not isinstance(value, float):
        return "" if value is None else str(value)
    if math.isnan(value):
        return "-"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"


HEADER = frozenset({"suite", "size", "started_at", "command", "machine", "status", "wall_secs"})


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The flat scalar figures of a suite that reports no ``metrics`` or ``tables``."""
    if result.get("metrics") or result.get("tables"):
        return {}
    return {
        k: v
        for k, v in result.items()
        if k not in HEADER and isinstance(v, int | float | str) and not isinstance(v, bool)
    }
