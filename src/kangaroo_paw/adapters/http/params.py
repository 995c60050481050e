"""Path, query and dependency parameters shared by the controllers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain import order
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.forecast import Phase
from kangaroo_paw.domain.task import TaskStatus

KitchenDep = NamedDependency[Kitchen]

# Path ids are declared as strings: a path id that is not a UUID names nothing, so it is a
# 404 ``not_found`` like any other unknown id (documented in docs/http.md), not a 400.
_UUID = {"format": "uuid"}
OrderIdPath = Annotated[str, PathParameter(description="order id (UUID)", schema_extra=_UUID)]
TaskIdPath = Annotated[str, PathParameter(description="task id (UUID)", schema_extra=_UUID)]
StaffIdPath = Annotated[str, PathParameter(description="staff id (UUID)", schema_extra=_UUID)]
NamePath = Annotated[str, PathParameter(max_length=200, description="a name or item key")]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size")]
# A page cursor as list_orders makes it: microseconds since the epoch, '_', the last order id.
# Anything else is refused (400) before the kitchen is asked, as the schema says.
CURSOR_PATTERN = (
    r"^[0-9]{1,17}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
Cursor = Annotated[
    str | None,
    QueryParameter(pattern=CURSOR_PATTERN, description="next_cursor of the last page"),
]


def _one_of(*values: str) -> Any:
    """``Literal`` of ``values``: Litestar validates a query value against it and documents
    the choices as an enum. Built at run time, so type checkers see plain ``str``."""
    return Literal.__getitem__(tuple(str(v) for v in values))


if TYPE_CHECKING:
    OrderStatus = str
    TaskFilter = str
else:
    OrderStatus = _one_of(*order.OrderStatus)
    # The read model splits UNASSIGNED into READY and WAITING; UNASSIGNED asks for both.
    TaskFilter = _one_of(Phase.READY, Phase.WAITING, *TaskStatus)


def parse_id(raw: str, what: str) -> UUID:
    """The UUID in a path, or ``NotFound`` naming what was looked for."""
    try:
        return UUID(raw)
    except ValueError:
        raise NotFound(f"{what} {raw!r} not found", id=raw) from None
