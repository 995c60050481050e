"""What a ticket says besides its items: who it is for, how it leaves, and per line what the
cook must change or watch for. Screens show it; scheduling ignores it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kangaroo_paw.domain.errors import InvalidTicket


class Channel(StrEnum):
    DINE_IN = "dine_in"
    TAKEAWAY = "takeaway"
    DELIVERY = "delivery"


TABLE_MAX = 32
GUEST_MAX = 64
NOTE_MAX = 280
MODIFIER_MAX = 64
MODIFIERS_PER_LINE = 10
ALLERGEN_MAX = 32
ALLERGENS_PER_LINE = 14

CHANNELS = frozenset(c.value for c in Channel)

# Per line: (longest text, most entries), by field name.
LINE_LIMITS = {
    "modifiers": (MODIFIER_MAX, MODIFIERS_PER_LINE),
    "allergens": (ALLERGEN_MAX, ALLERGENS_PER_LINE),
}


@dataclass(frozen=True, slots=True)
class Ticket:
    """Order-level table, guest, channel and note; per item line its modifiers ("no onion")
    and allergen flags ("sesame"). ``checked`` gives the normalised copy an order records."""

    table: str | None = None
    guest: str | None = None
    channel: str = Channel.DINE_IN
    note: str | None = None
    modifiers: Mapping[str, list[str]] = field(default_factory=dict)
    allergens: Mapping[str, list[str]] = field(default_factory=dict)

    def checked(self, items: Iterable[str]) -> Ticket:
        """Texts trimmed, lines sorted by item and empty lines dropped, so that two requests
        meaning the same ticket compare equal (an idempotent confirm relies on it). Raises
        ``InvalidTicket`` for a blank or over-long text, too many entries per line, a line
        for an item not in the order, or an unknown channel."""
        if not isinstance(self.channel, str) or self.channel not in CHANNELS:
            choices = ", ".join(repr(str(c)) for c in Channel)
            raise InvalidTicket(
                f"channel must be one of {choices}, not {self.channel!r}", field="channel"
            )
        keys = set(items)
        return Ticket(
            table=_optional_text("table", self.table, TABLE_MAX),
            guest=_optional_text("guest", self.guest, GUEST_MAX),
            channel=str(Channel(self.channel)),
            note=_optional_text("note", self.note, NOTE_MAX),
            modifiers=_lines("modifiers", self.modifiers, keys),
            allergens=_lines("allergens", self.allergens, keys),
        )

    def line(self, item_key: str) -> tuple[list[str], list[str]]:
        """The modifiers and allergens of one item line (copies)."""
        return list(self.modifiers.get(item_key, [])), list(self.allergens.get(item_key, []))

    def fields(self) -> dict[str, Any]:
        """As the order's event records it (plain dicts and lists)."""
        return {
            "table": self.table,
            "guest": self.guest,
            "channel": str(self.channel),
            "note": self.note,
            "modifiers": {k: list(v) for k, v in self.modifiers.items()},
            "allergens": {k: list(v) for k, v in self.allergens.items()},
        }


def _text(label: str, value: object, limit: int, **details: Any) -> str:
    """``value`` trimmed; ``label`` says where it was in the message, ``details`` in the
    error's details."""
    if not isinstance(value, str):
        raise InvalidTicket(f"{label} must be text, not {type(value).__name__}", **details)
    text = value.strip()
    if not text:
        raise InvalidTicket(f"{label} must not be blank", **details)
    if len(text) > limit:
        raise InvalidTicket(
            f"{label} must be at most {limit} characters, got {len(text)}", limit=limit, **details
        )
    return text


def _optional_text(name: str, value: object, limit: int) -> str | None:
    return None if value is None else _text(name, value, limit, field=name)


def _lines(name: str, lines: object, items: set[str]) -> dict[str, list[str]]:
    if not isinstance(lines, Mapping):
        raise InvalidTicket(f"{name} must map item keys to lists of text", field=name)
    limit, most = LINE_LIMITS[name]
    strays = sorted(str(k) for k in lines if k not in items)
    if strays:
        listed = ", ".join(repr(k) for k in strays)
        raise InvalidTicket(
            f"{name} name items that are not in the order: {listed}", field=name, items=strays
        )
    result: dict[str, list[str]] = {}
    for key in sorted(lines):
        entries = lines[key]
        if isinstance(entries, str) or not isinstance(entries, list | tuple):
            raise InvalidTicket(f"{name} of {key!r} must be a list of text", field=name)
        if len(entries) > most:
            raise InvalidTicket(
                f"{name} of {key!r} may have at most {most} entries, got {len(entries)}",
                field=name,
                item=key,
                limit=most,
            )
        texts = [
            _text(f"{name} of {key!r}", entry, limit, field=name, item=key) for entry in entries
        ]
        if texts:
            result[key] = texts
    return result
