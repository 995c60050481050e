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


class RecallWindowPassed(InvalidTransition):
    """A completion older than the recall window (KP_RECALL_WINDOW_SECS) stays done."""

    code = "recall_window_passed"


class TaskVoided(InvalidTransition):
    """The task's order line was voided: it is not recalled or re-fired."""

    code = "task_voided"


class LineAlreadyVoided(InvalidTransition):
    """The order line was voided already."""

    code = "line_already_voided"


class LineNotFound(NotFound):
    """The order has no line of that item."""

    code = "line_not_found"


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


class InvalidTicket(InvalidOrder):
    """A ticket's table, guest, channel, note, modifiers or allergens break a rule (blank,
    too long, too many, or a line for an item the order does not have). The request is
    malformed, so the HTTP API answers 400, not 422 like other order rules."""

    code = "invalid_ticket"


class ItemUnavailable(KitchenError):
    """An order names a menu item that is 86'd (marked unavailable) right now."""

    code = "item_unavailable"
