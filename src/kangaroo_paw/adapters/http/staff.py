"""Staff: hire, change, breaks."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.bodies import StaffCreate, StaffPatch
from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep, StaffIdPath, parse_id
from kangaroo_paw.adapters.http.schemas import Staff, StaffList


class StaffController(Controller):
    """The cooks: skills, parallelism, efficiency, shifts and breaks."""

    path = "/api/v1/staff"
    tags = ["kitchen"]

    @get("/", operation_id="listStaff", sync_to_thread=True, responses=responses(503))
    def list_staff(self, kitchen: KitchenDep) -> StaffList:
        """List the cooks."""
        return StaffList(staff=[present.staff(v) for v in kitchen.list_staff()])

    @post(
        "/",
        operation_id="hireStaff",
        status_code=201,
        sync_to_thread=True,
        responses=responses(400, 409, 413, 422, 503),
    )
    def hire(self, kitchen: KitchenDep, data: JSONBody[StaffCreate]) -> Staff:
        """Hire a cook."""
        view = kitchen.hire_staff(
            data.name,
            data.skills,
            data.max_parallel,
            data.efficiency_multiplier,
            data.shift_start,
            data.shift_end,
        )
        return present.staff(view)

    @get(
        "/{staff_id:str}",
        operation_id="getStaff",
        sync_to_thread=True,
        responses=responses(400, 404, 503),
    )
    def get_staff(self, kitchen: KitchenDep, staff_id: StaffIdPath) -> Staff:
        """Read one cook."""
        return present.staff(kitchen.get_staff(parse_id(staff_id, "cook")))

    @patch(
        "/{staff_id:str}",
        operation_id="updateStaff",
        sync_to_thread=True,
        responses=responses(400, 404, 409, 413, 422, 503),
    )
    def update(
        self, kitchen: KitchenDep, staff_id: StaffIdPath, data: JSONBody[StaffPatch]
    ) -> Staff:
        """Change a cook's skills, parallelism, efficiency or shift (fields given only). A
        shift changed so that the cook is now off shift hands back their unstarted tasks, as a
        break does."""
        view = kitchen.update_staff(
            parse_id(staff_id, "cook"),
            skills=data.skills,
            max_parallel=data.max_parallel,
            efficiency_multiplier=data.efficiency_multiplier,
            shift_start=data.shift_start,
            shift_end=data.shift_end,
        )
        return present.staff(view)

    @post(
        "/{staff_id:str}/break/start",
        operation_id="startBreak",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def start_break(self, kitchen: KitchenDep, staff_id: StaffIdPath) -> Staff:
        """Send a cook on break: nothing new is assigned to them until it ends, and the tasks
        assigned to them and not started go back to the queue at their place at once
        (`TASK_HANDED_BACK`); what they started stays theirs."""
        return present.staff(kitchen.set_break(parse_id(staff_id, "cook"), True))

    @post(
        "/{staff_id:str}/break/end",
        operation_id="endBreak",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def end_break(self, kitchen: KitchenDep, staff_id: StaffIdPath) -> Staff:
        """End a cook's break."""
        return present.staff(kitchen.set_break(parse_id(staff_id, "cook"), False))
