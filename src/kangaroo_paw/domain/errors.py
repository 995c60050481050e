"""Domain errors: each names the rule that a command broke, and none writes an event."""

from __future__ import annotations

from typing import Any


class KitchenError(Exception):
    """Base of every rule violation; ``code`` is the stable machine-readable name."""

    code = "kitchen_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(KitchenError):
    """The named order, task, station, cook or recipe does not exist."""

    code = "not_found"


class UnknownItem(KitchenError):
    """An order names a menu item that has no (live) recipe."""

    code = "unknown_item"


class InvalidQuantity(KitchenError):
    """A quantity is below one, above the per-line limit, or the order is too large."""

    code = "invalid_quantity"


class InvalidOrder(KitchenError):
    """An order is malformed in a way other than quantity (no items, too many lines)."""

    code = "invalid_order"


class InvalidTransition(KitchenError):
    """The command does not fit the current state (start an unassigned task, ...)."""

    code = "invalid_state"


class NotHeld(KitchenError):
    """A fire names a course that is not on hold (never held, or fired already)."""

    code = "not_held"


class Conflict(KitchenError):
    """The command contradicts what is already recorded (same id, other payload)."""

    code = "conflict"


class RecipeInvalid(KitchenError):
    """A recipe has a cycle, a dangling step, an unknown counter or machine, ..."""

    code = "invalid_recipe"


class InvalidResource(KitchenError):
    """A counter, machine or cook definition breaks a rule (capacity < 1, no skills, ...)."""

    code = "invalid_resource"


class CapacityExceeded(KitchenError):
    """A station is full, or a cook is at their parallel limit."""

    code = "capacity_exceeded"


class StationDown(KitchenError):
    """Nothing new may be reserved on a machine that is down."""

    code = "station_down"


class NoEligibleStaff(KitchenError):
    """No cook has the skill, is on shift, off break and below their parallel limit."""

    code = "no_eligible_staff"


class Forbidden(KitchenError):
    """The caller may not act on this task (a cook starting another cook's task)."""

    code = "forbidden"


class Unauthorized(KitchenError):
    """The request carries no valid token (missing, unknown, revoked or expired)."""

    code = "unauthorized"
