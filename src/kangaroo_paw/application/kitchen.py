"""The Kitchen application: every command and query of the scheduling engine."""

from __future__ import annotations

from kangaroo_paw.application.orders import OrderCommands
from kangaroo_paw.application.resources import ResourceCommands
from kangaroo_paw.application.tasks import TaskCommands


class Kitchen(OrderCommands, TaskCommands, ResourceCommands):
    """One event-sourced application; adapters drive it, it never calls them back except
    through its ports (clock, ready queue, read model)."""
