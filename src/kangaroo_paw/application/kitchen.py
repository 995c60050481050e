"""The Kitchen application: every command and query of the scheduling engine."""

from __future__ import annotations

from kangaroo_paw.application.access import AccessCommands
from kangaroo_paw.application.all_day import AllDayQueries
from kangaroo_paw.application.corrections import CorrectionCommands
from kangaroo_paw.application.orders import OrderCommands
from kangaroo_paw.application.recipes import RecipeCommands
from kangaroo_paw.application.staff import StaffCommands
from kangaroo_paw.application.stations import StationCommands
from kangaroo_paw.application.tasks import TaskCommands


class Kitchen(
    OrderCommands,
    TaskCommands,
    CorrectionCommands,
    StationCommands,
    StaffCommands,
    RecipeCommands,
    AccessCommands,
    AllDayQueries,
):
    """One event-sourced application; adapters drive it, it never calls them back except
    through its ports (clock, ready queue, read model). Its commands come by subject, as the
    HTTP resources do: orders, tasks, stations, staff, recipes, all-day counts; and who may call
    it (tokens)."""
