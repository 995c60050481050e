"""Kangaroo Paw: an event-sourced scheduling engine for restaurant kitchens.

The front door for other Python services::

    from kangaroo_paw import Settings, open_kitchen

    with open_kitchen(Settings(store="memory")) as runtime:
        order = runtime.kitchen.confirm_order({"burger_combo": 1})
        runtime.kitchen.allocate()

Names are imported on first use, so ``import kangaroo_paw.domain`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kangaroo_paw._version import __version__

if TYPE_CHECKING:
    from kangaroo_paw.application.kitchen import Kitchen
    from kangaroo_paw.application.views import *  # noqa: F403 - every view is public
    from kangaroo_paw.composition import (
        DataDirLocked,
        EmbeddedKitchen,
        ServicesRuntime,
        open_kitchen,
    )
    from kangaroo_paw.domain.errors import *  # noqa: F403 - every error is public
    from kangaroo_paw.domain.recipes import RecipeStep
    from kangaroo_paw.domain.ticket import Channel, Ticket
    from kangaroo_paw.settings import Settings, SettingsError

# Where the names of ``__all__`` live, searched in this order on first use.
_HOMES = (
    "kangaroo_paw.composition",
    "kangaroo_paw.application.kitchen",
    "kangaroo_paw.application.views",
    "kangaroo_paw.domain.errors",
    "kangaroo_paw.domain.recipes",
    "kangaroo_paw.domain.ticket",
    "kangaroo_paw.settings",
)

__all__ = [
    "AllDayCounter",
    "AllDayItem",
    "AllDayStep",
    "AllocationResult",
    "AssignmentView",
    "CapacityExceeded",
    "Channel",
    "Conflict",
    "DataDirLocked",
    "EmbeddedKitchen",
    "Forbidden",
    "InvalidOrder",
    "InvalidQuantity",
    "InvalidResource",
    "InvalidTicket",
    "InvalidTransition",
    "ItemUnavailable",
    "Kitchen",
    "KitchenError",
    "NoEligibleStaff",
    "NotFound",
    "OrderView",
    "QueuedTask",
    "RecipeInvalid",
    "RecipeStep",
    "RecipeView",
    "ServicesRuntime",
    "Settings",
    "SettingsError",
    "StaffView",
    "StationDown",
    "StationView",
    "TaskView",
    "Ticket",
    "UnknownItem",
    "__version__",
    "open_kitchen",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        for home in _HOMES:
            module = importlib.import_module(home)
            if name in vars(module):
                value = vars(module)[name]
                globals()[name] = value
                return value
    raise AttributeError(f"module 'kangaroo_paw' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
