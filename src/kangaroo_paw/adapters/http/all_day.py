"""All-day counts: per counter, items and steps waiting and in progress."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep
from kangaroo_paw.adapters.http.schemas import AllDay


class AllDayController(Controller):
    """What each counter has to make: the numbers a kitchen screen shows."""

    path = "/api/v1/all-day"
    tags = ["kitchen"]

    @get("/", operation_id="getAllDay", sync_to_thread=True, responses=responses(400, 404, 503))
    def all_day(
        self,
        kitchen: KitchenDep,
        counter: Annotated[
            str | None, QueryParameter(max_length=64, description="one counter only")
        ] = None,
    ) -> AllDay:
        """Every counter (or one; 404 for an unknown counter) with its open tasks: waiting
        (unassigned or assigned), in progress (started), by item (units with a step there)
        and by recipe step."""
        return present.all_day(kitchen.all_day(counter))
