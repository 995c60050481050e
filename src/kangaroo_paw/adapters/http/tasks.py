"""Tasks: read, list, start, complete, recall, re-fire."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.bodies import RefireTaskRequest, StartTaskRequest
from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep, TaskFilter, TaskIdPath, parse_id
from kangaroo_paw.adapters.http.schemas import Task, TaskList


class TaskController(Controller):
    """Read tasks and drive their execution."""

    path = "/api/v1/tasks"
    tags = ["tasks"]

    @get(
        "/{task_id:str}",
        operation_id="getTask",
        sync_to_thread=True,
        responses=responses(400, 404, 503),
    )
    def get_task(self, kitchen: KitchenDep, task_id: TaskIdPath) -> Task:
        """Read one task."""
        return present.task(kitchen.get_task(parse_id(task_id, "task")))

    @get("/", operation_id="listTasks", sync_to_thread=True, responses=responses(400, 503))
    def list_tasks(
        self,
        kitchen: KitchenDep,
        status: FromQuery[TaskFilter | None] = None,
        counter: Annotated[str | None, QueryParameter(max_length=64)] = None,
        staff_id: FromQuery[UUID | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> TaskList:
        """List tasks by status (READY, WAITING, ASSIGNED, ...), counter and cook."""
        views = kitchen.list_tasks(status, counter, staff_id, limit)
        return TaskList(tasks=[present.task(v) for v in views])

    @post(
        "/{task_id:str}/start",
        operation_id="startTask",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 403, 404, 409, 413, 503),
    )
    def start(
        self,
        kitchen: KitchenDep,
        task_id: TaskIdPath,
        data: JSONBody[StartTaskRequest | None] = None,
    ) -> Task:
        """Start an ASSIGNED task; a given staff_id must be the assigned cook."""
        staff_id = data.staff_id if data is not None else None
        return present.task(kitchen.start_task(parse_id(task_id, "task"), staff_id))

    @post(
        "/{task_id:str}/complete",
        operation_id="completeTask",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def complete(self, kitchen: KitchenDep, task_id: TaskIdPath) -> Task:
        """Complete a STARTED task: free its resources and unlock the next steps."""
        return present.task(kitchen.complete_task(parse_id(task_id, "task")))

    @post(
        "/{task_id:str}/recall",
        operation_id="recallTask",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 403, 404, 409, 503),
    )
    def recall(self, kitchen: KitchenDep, task_id: TaskIdPath) -> Task:
        """Undo a completion within KP_RECALL_WINDOW_SECS: the task is STARTED again on its
        counter, machine and cook, with a fresh estimate; the order counts it open again."""
        return present.task(kitchen.recall_task(parse_id(task_id, "task")))

    @post(
        "/{task_id:str}/refire",
        operation_id="refireTask",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 403, 404, 409, 413, 503),
    )
    def refire(
        self,
        kitchen: KitchenDep,
        task_id: TaskIdPath,
        data: JSONBody[RefireTaskRequest | None] = None,
    ) -> Task:
        """Do a STARTED or COMPLETED step again as a new attempt, queued at its order's
        place; dependants that have not started wait for it again."""
        reason = data.reason if data is not None else ""
        return present.task(kitchen.refire_task(parse_id(task_id, "task"), reason))
