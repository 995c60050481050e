"""One settings object, built once from ``KP_*`` environment variables and passed down."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

Mode = Literal["embedded", "services"]
Store = Literal["sqlite", "memory", "postgres"]
LogFormat = Literal["text", "json"]
Pace = Literal["asap", "together"]

PREFIX = "KP_"

# A browser origin (scheme://host[:port], no path) and a host name or IP (no port) for the
# comma-separated HTTP guard settings; ``*`` allows any host.
_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")
_HOST = re.compile(r"\*|[A-Za-z0-9.-]+|\[?[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\]?")


class SettingsError(ValueError):
    """A ``KP_*`` variable holds a value that cannot be used."""


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of the process; the README documents each one."""

    mode: Mode = "embedded"
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8080
    kitchen: str = "main"
    log_format: LogFormat = "text"
    log_level: str = "INFO"
    # Scheduling policy.
    assignment_ttl_secs: float = 45.0
    aging_factor: float = 0.14
    requeue_boost: float = 10.0
    rush_boost: float = 25.0
    rush_credit_secs: float = 180.0
    promise_reaction_secs: float = 5.0
    promise_on_confirm: bool = True
    promise_margin: float = 0.1
    promise_break_secs: float = 900.0
    promise_repair_secs: float = 600.0
    weight_load: float = 1.2
    weight_util: float = 0.9
    weight_eff: float = 1.1
    efficiency_min: float = 0.25
    efficiency_max: float = 4.0
    # Input limits.
    max_qty_per_line: int = 50
    max_lines_per_order: int = 100
    max_body_bytes: int = 1_048_576
    # Access: bearer tokens on every route but the health probes and the API docs.
    auth: bool = True
    bootstrap_token: str = dataclasses.field(default="", repr=False)
    # Embedded runtime.
    store: Store = "sqlite"
    follower_poll_secs: float = 0.5
    seed_demo: bool = True
    snapshot_every: int = 50
    # Services mode.
    database_url: str = "postgresql://kangaroo:kangaroo@127.0.0.1:5432/kangaroo_paw"
    postgres_schema: str = "public"
    postgres_pool_size: int = 5
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = ""
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_topic: str = "kitchen.domain.events"
    kafka_dlq_topic: str = "kitchen.domain.events.dlq"
    kafka_consumer_group: str = "kitchen-topic-consumer"
    relay_batch_size: int = 500
    relay_poll_secs: float = 1.0
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "kitchen-allocation"
    # HTTP browser guards (comma-separated): origins allowed cross-origin (CORS is off when
    # empty) and Host names served beside the local ones (DNS rebinding); ``*`` allows any.
    cors_origins: str = ""
    allowed_hosts: str = ""
    # Abuse limits (HTTP): per-caller request rates (0 = off), open streams, slow requests.
    rate_limit_writes_per_sec: float = 20.0
    rate_limit_writes_burst: int = 200
    rate_limit_reads_per_sec: float = 100.0
    rate_limit_reads_burst: int = 500
    max_streams_per_caller: int = 4
    header_timeout_secs: float = 10.0
    body_timeout_secs: float = 30.0
    # Kitchen screens: a ticket's age colour turns to warn, then late, after these seconds.
    screen_warn_secs: float = 300.0
    screen_late_secs: float = 480.0
    # Metrics of the processes without an HTTP API (relay, projector, consumer, worker):
    # /metrics on this address and port, 0 = off (``serve`` answers /metrics on its own port).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    # Recall: how long after a completion it may still be undone (seconds).
    recall_window_secs: float = 120.0
    # Hold and fire: an order's pace when its confirm names none ("asap" or "together").
    pace: Pace = "asap"
    # Cores: ``serve`` in services mode runs this many API worker processes on one listening
    # socket (embedded mode has one writer and refuses more than 1).
    workers: int = 1
    # Embedded writes: concurrent saves to the SQLite store share one transaction (group
    # commit); off by default until it measurably speeds up HTTP confirms (docs/architecture.md).
    sqlite_group_commit: bool = False
    # Temporal timers: every timer of a task (or order) is held by one of this many
    # long-running shard workflows ``timers-<k>@<kitchen>`` (k = the id's number mod this).
    # Changing it moves timers to other shards: pending ones still fire in their old shard.
    temporal_timer_shards: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from ``KP_<FIELD>``; explicit ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _parse(field.name, field.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject values no kitchen could run with, naming the variable."""
        choices: dict[str, Any] = {
            "mode": Mode,
            "store": Store,
            "log_format": LogFormat,
            "pace": Pace,
        }
        for name, kind in choices.items():
            value = getattr(self, name)
            if value not in get_args(kind):
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must be one of {get_args(kind)}, not {value!r}"
                )
        _check_secret("KP_BOOTSTRAP_TOKEN", self.bootstrap_token)
        positive = {
            "assignment_ttl_secs": self.assignment_ttl_secs,
            "max_qty_per_line": self.max_qty_per_line,
            "max_lines_per_order": self.max_lines_per_order,
            "max_body_bytes": self.max_body_bytes,
            "follower_poll_secs": self.follower_poll_secs,
            "snapshot_every": self.snapshot_every,
            "rate_limit_writes_burst": self.rate_limit_writes_burst,
            "rate_limit_reads_burst": self.rate_limit_reads_burst,
            "header_timeout_secs": self.header_timeout_secs,
            "body_timeout_secs": self.body_timeout_secs,
            "recall_window_secs": self.recall_window_secs,
            "workers": self.workers,
            "temporal_timer_shards": self.temporal_timer_shards,
        }
        for name, value in positive.items():
            if value <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be > 0, got {value}")
        self._validate_ports()
        if self.aging_factor < 0:
            raise SettingsError(f"KP_AGING_FACTOR must be >= 0, got {self.aging_factor}")
        if not 0 <= self.rush_credit_secs <= 86_400:
            raise SettingsError(
                f"KP_RUSH_CREDIT_SECS must be from 0 to 86400, got {self.rush_credit_secs}"
            )
        if not 0 <= self.promise_margin <= 1:
            raise SettingsError(f"KP_PROMISE_MARGIN must be from 0 to 1, got {self.promise_margin}")
        for name in ("promise_break_secs", "promise_repair_secs"):
            if not 0 <= getattr(self, name) <= 86_400:
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must be from 0 to 86400, got {getattr(self, name)}"
                )
        if not 0 <= self.promise_reaction_secs <= 3600:
            raise SettingsError(
                f"KP_PROMISE_REACTION_SECS must be from 0 to 3600, got {self.promise_reaction_secs}"
            )
        if not 0 < self.efficiency_min <= self.efficiency_max:
            raise SettingsError("KP_EFFICIENCY_MIN must be > 0 and <= KP_EFFICIENCY_MAX")
        self._validate_http_guards()
        self._validate_screens()
        self._off_or_positive(
            "rate_limit_writes_per_sec", "rate_limit_reads_per_sec", "max_streams_per_caller"
        )

    def _validate_ports(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError(f"KP_PORT must be a TCP port, got {self.port}")
        if not 0 <= self.metrics_port < 65536:
            raise SettingsError(
                f"KP_METRICS_PORT must be a TCP port or 0 (off), got {self.metrics_port}"
            )

    def _off_or_positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) < 0:
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must be >= 0 (0 = off), got {getattr(self, name)}"
                )

    def _validate_screens(self) -> None:
        if not 0 < self.screen_warn_secs <= self.screen_late_secs:
            raise SettingsError("KP_SCREEN_WARN_SECS must be > 0 and <= KP_SCREEN_LATE_SECS")

    def _validate_http_guards(self) -> None:
        for origin in split_list(self.cors_origins):
            if not _ORIGIN.fullmatch(origin):
                raise SettingsError(
                    f"KP_CORS_ORIGINS takes origins like https://app.example.com, not {origin!r}"
                )
        for host in split_list(self.allowed_hosts):
            if not _HOST.fullmatch(host):
                raise SettingsError(
                    f"KP_ALLOWED_HOSTS takes host names or IPs without a port, not {host!r}"
                )

    @property
    def sqlite_path(self) -> Path:
        """Where the embedded event store lives."""
        return self.data_dir / "kitchen.sqlite"


def split_list(raw: str) -> tuple[str, ...]:
    """The entries of a comma-separated setting, stripped, empty ones dropped."""
    return tuple(entry for entry in (part.strip() for part in raw.split(",")) if entry)


def _check_secret(variable: str, secret: str) -> None:
    """An empty secret is "not set"; a set one must be usable as a bearer token."""
    if secret and not re.fullmatch(r"[A-Za-z0-9._~+/=-]{16,256}", secret):
        raise SettingsError(f"{variable} must be 16-256 characters of A-Z a-z 0-9 . _ ~ + / = -")


def _parse(name: str, annotation: object, raw: str) -> Any:
    kind = str(annotation)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return lowered in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw
