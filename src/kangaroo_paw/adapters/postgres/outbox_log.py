"""OutboxLog: the notification log as wire envelopes, decoded straight from the stored JSON.

The relay reads every event once and only needs its envelope, so materialising the domain
event (stdlib JSON with an object hook per dict, then ``to_envelope`` turning UUIDs and
datetimes back into strings) is wasted work on its hot path. This reader turns the stored
state of eventsourcing's JSON transcoder into the envelope's plain data in one pass with
msgspec, and produces exactly what ``to_envelope`` would (a test holds the two equal over
every event type). Anything it does not recognise — an event stored under an older class
version (upcast by the mapper), a cipher or
compressor, an unknown transcoding, non-standard JSON — goes through ``to_envelope``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Notification,
    UUIDAsHex,
)
from eventsourcing.utils import resolve_topic

from kangaroo_paw.application.core import KitchenCore
from kangaroo_paw.application.envelopes import AGGREGATE_TYPES, WIRE_NAMES, event_id, to_envelope
from kangaroo_paw.domain.order import Order
from kangaroo_paw.domain.task import Task
from kangaroo_paw.ports.envelope import Envelope

_STANDARD = {"uuid_hex": UUIDAsHex, "decimal_str": DecimalAsStr, "datetime_iso": DatetimeAsISO}
_decode = msgspec.json.Decoder().decode


class _Unrecognised(Exception):
    """This stored event needs the general path."""


class _Kind:
    """What the envelope needs to know about one event class."""

    __slots__ = ("aggregate_type", "class_version", "order_id_default", "owner", "wire_name")

    def __init__(self, cls: type) -> None:
        # A stored event of an older class version is upcast by the mapper (general path).
        self.class_version: int = getattr(cls, "class_version", 1)
        owner = next(
            (agg for agg in AGGREGATE_TYPES if any(v is cls for v in vars(agg).values())),
            None,
        )
        self.owner = owner
        wire_name = WIRE_NAMES.get(cls)
        if wire_name is None:
            raise _Unrecognised  # not a kitchen event: the general path says what it is
        self.wire_name = wire_name
        if getattr(cls, "PRIVATE", ()):
            raise _Unrecognised  # rare (tokens); to_envelope leaves the private fields out
        self.aggregate_type = AGGREGATE_TYPES.get(owner, owner.__name__) if owner else "Unknown"
        default = getattr(cls, "order_id", None)
        if default is not None and not isinstance(default, UUID):
            raise _Unrecognised  # a property or descriptor: let the event object answer
        self.order_id_default = default


def _dashed(hex_: str) -> str:
    if len(hex_) != 32:
        raise _Unrecognised
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Stored JSON value → the value ``envelopes._plain`` gives for the decoded object."""
    kind = type(value)
    if kind is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            name, data = value["_type_"], value["_data_"]
            if name == "uuid_hex":
                return _dashed(data)
            if name == "datetime_iso":
                return data.replace("+00:00", "Z")
            if name == "decimal_str":
                return Decimal(data)
            raise _Unrecognised
        return {k: v if type(v) in _SCALARS else _plain(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    return value


class OutboxLog:
    """The ``NotificationLog`` the relay reads: ``event_log(after, limit)`` and
    ``head_position()``, as the Kitchen offers them, only cheaper per event."""

    def __init__(self, kitchen: KitchenCore) -> None:
        self.kitchen = kitchen
        self._kinds: dict[str, _Kind | None] = {}
        mapper = kitchen.mapper
        transcoder = mapper.transcoder
        self._fast = (
            mapper.cipher is None
            and mapper.compressor is None
            and isinstance(transcoder, JSONTranscoder)
            and all(
                type(t) is _STANDARD.get(name, type(None)) for name, t in transcoder.names.items()
            )
        )

    def head_position(self) -> int:
        return self.kitchen.head_position()

    def event_log(self, after: int = 0, limit: int = 100) -> list[Envelope]:
        notifications = self.kitchen.recorder.select_notifications(
            start=max(0, after) + 1, limit=limit
        )
        return [self._envelope(n) for n in notifications]

    def _envelope(self, notification: Notification) -> Envelope:
        if self._fast:
            try:
                return self._decode(notification)
            except (_Unrecognised, msgspec.DecodeError, KeyError, TypeError, ValueError):
                pass
        event = self.kitchen.mapper.to_domain_event(notification)
        return to_envelope(event, notification.id)

    def _kind(self, topic: str) -> _Kind:
        try:
            kind = self._kinds[topic]
        except KeyError:
            try:
                kind = _Kind(resolve_topic(topic))
            except _Unrecognised:
                kind = None
            self._kinds[topic] = kind
        if kind is None:
            raise _Unrecognised
        return kind

    def _decode(self, n: Notification) -> Envelope:
        kind = self._kind(n.topic)
        state = _decode(n.state)
        if not isinstance(state, dict) or state.pop("class_version", 1) != kind.class_version:
            raise _Unrecognised
        aggregate_id = n.originator_id
        if not isinstance(aggregate_id, UUID):
            raise _Unrecognised
        occurred_at = _plain(state["timestamp"])
        data = {
            k: v if type(v) in _SCALARS else _plain(v)
            for k, v in state.items()
            if k not in _ENVELOPE_KEYS
        }
        order_id: UUID | None = None
        task_id: UUID | None = None
        if kind.owner is Order:
            order_id = aggregate_id
        elif kind.owner is Task:
            task_id = aggregate_id
            raw_order = data.get("order_id", _MISSING)
            order_id = kind.order_id_default if raw_order is _MISSING else _uuid(raw_order)
        elif "task_id" in data:
            task_id = UUID(data["task_id"])
        return Envelope(
            event_id=event_id(aggregate_id, n.originator_version),
            type=kind.wire_name,
            aggregate_type=kind.aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=n.originator_version,
            notification_id=n.id,
            occurred_at=occurred_at,
            order_id=order_id,
            task_id=task_id,
            data=data,
        )


_ENVELOPE_KEYS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})
_MISSING = object()


def _uuid(value: object) -> UUID | None:
    if value is None:
        return None
    if isinstance(value, str):
        return UUID(value)
    raise _Unrecognised
