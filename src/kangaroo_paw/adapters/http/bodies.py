"""Request bodies of HTTP API v1: msgspec Structs that forbid unknown fields.

A body that breaks what these Structs declare (JSON syntax, types, enums, string lengths, the
sanity bounds on floats) is a 400 ``invalid_request``; one that fits them but breaks a kitchen
rule (unknown item, quantity out of range, recipe cycle, ...) is a 422 raised by the Kitchen.

The published OpenAPI schema of each body is msgspec's JSON Schema of these Structs (see
``openapi.py``), so it states exactly what the decoder enforces. The kitchen rules that need no
state and no other field are stated there too, with ``Rule``: the schema says them, the Kitchen
checks them (422 with its own code). What no JSON Schema can say (a counter that must exist, a
dependency cycle, a shift's end after its start) is listed in docs/http.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from kangaroo_paw.domain.recipes import MAX_STEP_NO, MAX_STEPS
from kangaroo_paw.domain.staff import MAX_PARALLEL
from kangaroo_paw.domain.station import MAX_CAPACITY
from kangaroo_paw.domain.ticket import (
    ALLERGEN_MAX,
    ALLERGENS_PER_LINE,
    GUEST_MAX,
    MODIFIER_MAX,
    MODIFIERS_PER_LINE,
    NOTE_MAX,
    TABLE_MAX,
    Ticket,
)


def Rule(**schema: Any) -> Meta:  # noqa: N802 - reads as a type annotation, like Meta
    """A kitchen rule stated in the schema only: the Kitchen checks it and answers 422 with
    its own code, so the decoder must not (that would turn it into a 400)."""
    return Meta(extra_json_schema=schema)


# A string with something other than whitespace in it (Python's str.strip() set, spelled
# out so that ECMA-262 and Python regular expressions agree on it).
NOT_BLANK = "[^\\t-\\r\\x1c- \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
# A new counter or machine: letters, digits, '-' and '_', with at least one letter or digit
# (ASCII here; the Kitchen also accepts other Unicode letters and digits).
STATION_NAME = "^[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*$"

Name = Annotated[str, Meta(min_length=1, max_length=64, description="a counter/machine name")]
NewStationName = Annotated[Name, Rule(pattern=STATION_NAME)]
Description = Annotated[str, Meta(max_length=200)]
ShiftEnd = Annotated[
    str,
    Meta(max_length=40, description="daily 'HH:MM' (UTC) or an RFC 3339 datetime with offset"),
]
# Sanity bounds, not kitchen rules: they keep timers and priorities finite.
EstimateSecs = Annotated[
    float, Meta(le=86_400, description="> 0 and at most one day"), Rule(exclusiveMinimum=0)
]
Priority = Annotated[float, Meta(ge=-1_000_000, le=1_000_000)]
StepNo = Annotated[int, Meta(le=MAX_STEP_NO), Rule(minimum=1)]
Capacity = Annotated[int, Rule(minimum=1, maximum=MAX_CAPACITY)]
MaxParallel = Annotated[int, Rule(minimum=1, maximum=MAX_PARALLEL)]
Efficiency = Annotated[float, Rule(minimum=0.1, maximum=10)]
Skills = Annotated[list[Name], Meta(max_length=64), Rule(minItems=1)]
# The upper bounds of a line's quantity and of an order's lines are settings
# (KP_MAX_QTY_PER_LINE, KP_MAX_LINES_PER_ORDER); openapi.py adds them to the schema.
Quantity = Annotated[int, Rule(minimum=1)]
Items = Annotated[dict[str, Quantity], Rule(minProperties=1)]
Course = Annotated[int, Meta(ge=1, le=9, description="a course number, 1-9")]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are rejected."""


Modifiers = Annotated[
    list[Annotated[str, Meta(max_length=MODIFIER_MAX), Rule(pattern=NOT_BLANK)]],
    Meta(max_length=MODIFIERS_PER_LINE, description='e.g. "no onion"'),
]
Allergens = Annotated[
    list[Annotated[str, Meta(max_length=ALLERGEN_MAX), Rule(pattern=NOT_BLANK)]],
    Meta(max_length=ALLERGENS_PER_LINE, description='allergen flags, e.g. "sesame"'),
]


class ConfirmOrderRequest(Body):
    """Items by menu key with quantities; the external id makes the confirm idempotent. The
    ticket content (table, guest, channel, note; per item line modifiers and allergens) is
    trimmed, must not be blank, and may name only items of the order (the Kitchen checks
    both: 422 invalid_ticket)."""

    items: Items
    external_order_id: (
        Annotated[str, Meta(min_length=1, max_length=128), Rule(pattern=NOT_BLANK)] | None
    ) = None
    priority: Literal["normal", "rush"] = "normal"
    table: Annotated[str, Meta(max_length=TABLE_MAX), Rule(pattern=NOT_BLANK)] | None = None
    guest: Annotated[str, Meta(max_length=GUEST_MAX), Rule(pattern=NOT_BLANK)] | None = None
    channel: Literal["dine_in", "takeaway", "delivery"] = "dine_in"
    note: Annotated[str, Meta(max_length=NOTE_MAX), Rule(pattern=NOT_BLANK)] | None = None
    modifiers: dict[str, Modifiers] = {}
    allergens: dict[str, Allergens] = {}
    # Hold and fire: items' courses (default 1), the courses confirmed on hold (true: all)
    # and the pace (default: the kitchen's KP_PACE).
    courses: Annotated[dict[str, Course], Meta(max_length=100)] | None = None
    hold: Annotated[list[Course], Meta(max_length=9)] | bool | None = None
    pace: Literal["asap", "together"] | None = None

    def ticket(self) -> Ticket:
        return Ticket(
            table=self.table,
            guest=self.guest,
            channel=self.channel,
            note=self.note,
            modifiers=self.modifiers,
            allergens=self.allergens,
        )


class FireOrderRequest(Body):
    """Fire one held course, or every held course when ``course`` is left out."""

    course: Course | None = None


class RushOrderRequest(Body):
    """Rush an open order (true) or take the rush back (false)."""

    rush: bool


Reason = Annotated[str, Meta(max_length=280, description="free text for the record")]


class RefireTaskRequest(Body):
    """Optional: why the step is done again (a dropped plate)."""

    reason: Reason = ""


class VoidLineRequest(Body):
    """The item line to take off the order, and why."""

    item_key: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Reason = ""


class StartTaskRequest(Body):
    """Optional: the cook who starts the task (must be the assigned cook)."""

    staff_id: UUID | None = None


class CounterCreate(Body):
    """A new counter: a station where steps run, with its capacity."""

    name: NewStationName
    capacity: Capacity


class CounterPatch(Body):
    """A counter's new capacity."""

    capacity: Capacity


class MachineCreate(Body):
    """A new machine on a counter, with its capacity and its kind (its pool: steps that name
    the kind run on any live machine of it at the counter); the kind defaults to the name."""

    name: NewStationName
    counter: Name
    capacity: Capacity
    kind: NewStationName | None = None


class StaffCreate(Body):
    """A new cook: skills are counter names; a shift is daily HH:MM or explicit."""

    name: Annotated[str, Meta(min_length=1, max_length=100), Rule(pattern=NOT_BLANK)]
    skills: Skills
    max_parallel: MaxParallel = 2
    efficiency_multiplier: Efficiency = 1.0
    shift_start: ShiftEnd = "00:00"
    shift_end: ShiftEnd = "00:00"


class StaffPatch(Body):
    """Only the fields given change."""

    skills: Skills | None = None
    max_parallel: MaxParallel | None = None
    efficiency_multiplier: Efficiency | None = None
    shift_start: ShiftEnd | None = None
    shift_end: ShiftEnd | None = None


class RecipeStepIn(Body):
    """One step of a recipe."""

    step_no: StepNo
    description: Annotated[Description, Rule(pattern=NOT_BLANK)]
    counter: Name
    estimate_secs: EstimateSecs
    machine: Name | None = None
    base_priority: Priority = 0.0
    machine_kind: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=64,
                description="instead of machine: any machine of this kind at the counter",
            ),
        ]
        | None
    ) = None


class DependencyIn(Body):
    """``step_no`` waits for ``depends_on`` (within one unit of the item)."""

    step_no: StepNo
    depends_on: StepNo


class RecipePut(Body):
    """Without dependencies, assembly fan-in and single-capacity machine chains are inferred."""

    steps: Annotated[list[RecipeStepIn], Meta(max_length=MAX_STEPS), Rule(minItems=1)]
    dependencies: Annotated[
        list[DependencyIn], Meta(max_length=10_000), Rule(uniqueItems=True)
    ] = []
