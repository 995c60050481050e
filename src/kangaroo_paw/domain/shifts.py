"""Shift windows: a recurring daily window ("HH:MM"-"HH:MM", UTC) or an explicit one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from kangaroo_paw.domain.errors import InvalidResource

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


@dataclass(frozen=True, slots=True)
class Shift:
    """When a cook works. Daily windows may wrap midnight; equal ends mean all day."""

    start: str
    end: str

    @classmethod
    def parse(cls, start: str, end: str) -> Shift:
        """Validate both ends (both daily or both explicit) and build the shift."""
        daily = [_HHMM.match(start) is not None, _HHMM.match(end) is not None]
        if all(daily):
            return cls(start, end)
        if any(daily):
            raise InvalidResource("shift_start and shift_end must both be HH:MM or both datetimes")
        begin, finish = _parse_datetime(start), _parse_datetime(end)
        if finish <= begin:
            raise InvalidResource("shift_end must be after shift_start")
        return cls(begin.isoformat(), finish.isoformat())

    @property
    def is_daily(self) -> bool:
        return _HHMM.match(self.start) is not None

    def window_at(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The shift window containing ``now``, or ``None`` when the cook is off shift."""
        if not self.is_daily:
            begin, finish = _parse_datetime(self.start), _parse_datetime(self.end)
            return (begin, finish) if begin <= now < finish else None
        start_t, end_t = _parse_time(self.start), _parse_time(self.end)
        length = _seconds(end_t) - _seconds(start_t)
        if length <= 0:
            length += 86_400
        for day_offset in (0, -1):
            day = (now + timedelta(days=day_offset)).date()
            begin = datetime.combine(day, start_t, tzinfo=UTC)
            finish = begin + timedelta(seconds=length)
            if begin <= now < finish:
                return begin, finish
        return None

    def on_shift(self, now: datetime) -> bool:
        return self.window_at(now) is not None


ALL_DAY = Shift("00:00", "00:00")


def _parse_time(text: str) -> time:
    match = _HHMM.match(text)
    if match is None:  # pragma: no cover - guarded by Shift.parse
        raise InvalidResource(f"bad time {text!r}")
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _parse_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResource(f"{text!r} is neither HH:MM nor an RFC 3339 datetime") from None
    if value.tzinfo is None:
        raise InvalidResource(f"datetime {text!r} needs a UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by the offset
        raise InvalidResource(f"datetime {text!r} is out of range") from None
