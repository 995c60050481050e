"""Request bodies of HTTP API v1: msgspec Structs that forbid unknown fields.

A body that breaks what these Structs declare (JSON syntax, types, enums, string lengths, the
sanity bounds on floats) is a 400 ``invalid_request``; one that fits them but breaks a kitchen
rule (unknown item, quantity out of range, recipe cycle, ...) is a 422 raised by the Kitchen.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

Name = Annotated[str, Meta(min_length=1, max_length=64, description="a counter/machine name")]
Description = Annotated[str, Meta(max_length=200)]
ShiftEnd = Annotated[
    str,
    Meta(max_length=40, description="daily 'HH:MM' (UTC) or an RFC 3339 datetime with offset"),
]
# Sanity bounds, not kitchen rules: they keep timers and priorities finite.
EstimateSecs = Annotated[float, Meta(le=86_400, description="> 0 and at most one day")]
Priority = Annotated[float, Meta(ge=-1_000_000, le=1_000_000)]
StepNo = Annotated[int, Meta(le=10_000, description=">= 1")]
Course = Annotated[int, Meta(ge=1, le=9, description="a course number, 1-9")]


class Body(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are rejected."""


class ConfirmOrderRequest(Body):
    """Items by menu key with quantities; the external id makes the confirm idempotent."""

    items: dict[str, int]
    external_order_id: Annotated[str, Meta(min_length=1, max_length=128)] | None = None
    priority: Literal["normal", "rush"] = "normal"
    # Hold and fire: items' courses (default 1), the courses confirmed on hold (true: all)
    # and the pace (default: the kitchen's KP_PACE).
    courses: Annotated[dict[str, Course], Meta(max_length=100)] | None = None
    hold: Annotated[list[Course], Meta(max_length=9)] | bool | None = None
    pace: Literal["asap", "together"] | None = None


class FireOrderRequest(Body):
    """Fire one held course, or every held course when ``course`` is left out."""

    course: Course | None = None


class RushOrderRequest(Body):
    """Rush an open order (true) or take the rush back (false)."""

    rush: bool


class StartTaskRequest(Body):
    """Optional: the cook who starts the task (must be the assigned cook)."""

    staff_id: UUID | None = None


class CounterCreate(Body):
    """A new counter: a station where steps run, with its capacity."""

    name: Name
    capacity: int


class CounterPatch(Body):
    """A counter's new capacity."""

    capacity: int


class MachineCreate(Body):
    """A new machine on a counter, with its capacity."""

    name: Name
    counter: Name
    capacity: int


class StaffCreate(Body):
    """A new cook: skills are counter names; a shift is daily HH:MM or explicit."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]
    skills: Annotated[list[Name], Meta(max_length=64)]
    max_parallel: int = 2
    efficiency_multiplier: float = 1.0
    shift_start: ShiftEnd = "00:00"
    shift_end: ShiftEnd = "00:00"


class StaffPatch(Body):
    """Only the fields given change."""

    skills: Annotated[list[Name], Meta(max_length=64)] | None = None
    max_parallel: int | None = None
    efficiency_multiplier: float | None = None
    shift_start: ShiftEnd | None = None
    shift_end: ShiftEnd | None = None


class RecipeStepIn(Body):
    """One step of a recipe."""

    step_no: StepNo
    description: Description
    counter: Name
    estimate_secs: EstimateSecs
    machine: Name | None = None
    base_priority: Priority = 0.0


class DependencyIn(Body):
    """``step_no`` waits for ``depends_on`` (within one unit of the item)."""

    step_no: StepNo
    depends_on: StepNo


class RecipePut(Body):
    """Without dependencies, assembly fan-in and single-capacity machine chains are inferred."""

    steps: Annotated[list[RecipeStepIn], Meta(max_length=1000)]
    dependencies: Annotated[list[DependencyIn], Meta(max_length=10_000)] = []
