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
    from kangaroo_paw.application.views import (
        AllocationResult,
        AssignmentView,
        OrderView,
        QueuedTask,
        RecipeView,
        StaffView,
        StationView,
        TaskView,
    )
    from kangaroo_paw.composition import EmbeddedKitchen, ServicesRuntime, open_kitchen
    from kangaroo_paw.domain.errors import (
        CapacityExceeded,
        Conflict,
        Forbidden,
        InvalidOrder,
        InvalidQuantity,
        InvalidResource,
        InvalidTransition,
        KitchenError,
        NoEligibleStaff,
        NotFound,
        RecipeInvalid,
        StationDown,
        UnknownItem,
    )
    from kangaroo_paw.domain.recipes import RecipeStep
    from kangaroo_paw.settings import Settings, SettingsError

_EXPORTS: dict[str, str] = {
    "open_kitchen": "kangaroo_paw.composition",
    "EmbeddedKitchen": "kangaroo_paw.composition",
    "ServicesRuntime": "kangaroo_paw.composition",
    "Kitchen": "kangaroo_paw.application.kitchen",
    "Settings": "kangaroo_paw.settings",
    "SettingsError": "kangaroo_paw.settings",
    "RecipeStep": "kangaroo_paw.domain.recipes",
    **dict.fromkeys(
        (
            "AllocationResult",
            "AssignmentView",
            "OrderView",
            "QueuedTask",
            "RecipeView",
            "StaffView",
            "StationView",
            "TaskView",
        ),
        "kangaroo_paw.application.views",
    ),
    **dict.fromkeys(
        (
            "CapacityExceeded",
            "Conflict",
            "Forbidden",
            "InvalidOrder",
            "InvalidQuantity",
            "InvalidResource",
            "InvalidTransition",
            "KitchenError",
            "NoEligibleStaff",
            "NotFound",
            "RecipeInvalid",
            "StationDown",
            "UnknownItem",
        ),
        "kangaroo_paw.domain.errors",
    ),
}

__all__ = [
    "AllocationResult",
    "AssignmentView",
    "CapacityExceeded",
    "Conflict",
    "EmbeddedKitchen",
    "Forbidden",
    "InvalidOrder",
    "InvalidQuantity",
    "InvalidResource",
    "InvalidTransition",
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
    "UnknownItem",
    "__version__",
    "open_kitchen",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kangaroo_paw' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
