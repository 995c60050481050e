"""Corrections on the line: recall a task bumped by mistake, re-fire a dropped plate, void
an order line. Each keeps the order, the dependants and what is held consistent in one save.

Rules (docs/http.md, "Recall, re-fire and void"):

- A recall (COMPLETED → STARTED, within ``policy.recall_window_secs``) takes back the task's
  counter and machine slots and its cook; when one of them cannot take it (full, down, on
  break, off shift) the recall is refused and nothing changes: re-fire it instead. It runs on
  a fresh estimate from the recall. The cook's learned efficiency keeps what the early bump
  taught it.
- A re-fire starts a STARTED or COMPLETED task over as a new attempt, ready at once with its
  order's dispatch key; a STARTED one gives back its slots and cook first.
- After either, the order no longer counts the task as completed (a COMPLETED order is in
  progress again), and a dependant that had seen it complete but has not started (ready or
  assigned) waits for it again, giving back its assignment; one that started goes on.
- A void takes an item line off an open order: its unstarted tasks are cancelled, its started
  and finished ones flagged ``voided`` (they may finish; that no longer counts), and the
  order is COMPLETED when everything left is done. Voiding the last line cancels the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from kangaroo_paw.application.core import KitchenCore, Touched, retried
from kangaroo_paw.application.views import OrderView, TaskView
from kangaroo_paw.domain.errors import InvalidTransition
from kangaroo_paw.domain.order import OrderStatus
from kangaroo_paw.domain.staff import Staff
from kangaroo_paw.domain.station import Station
from kangaroo_paw.domain.task import Task, TaskStatus


class CorrectionCommands(KitchenCore):
    """Recall, re-fire and void."""

    @retried
    def recall_task(self, task_id: UUID) -> TaskView:
        """Undo a completion within the recall window: the task is STARTED again, holding
        its slots and cook, and its completion timer is armed anew (``TASK_RECALLED``)."""
        task = self.task(task_id)
        now = self.clock.now()
        order = self.order(task.order_id)
        task.recall(now, self.policy.recall_window_secs)
        order.task_reopened(task.id, now)
        touched: Touched = {task.id: task, order.id: order}
        stations = self.stations()
        for name in task.held_stations():
            stations[name].reserve(task.id)
            touched[stations[name].id] = stations[name]
        if task.assigned_staff_id is not None:
            cook = self.load(Staff, task.assigned_staff_id)
            cook.take(task.id, task.counter, now)
            touched[cook.id] = cook
        self._reopen_dependants(task, stations, touched, now)
        self.save(*touched.values())
        return TaskView.of(task)

    @retried
    def refire_task(self, task_id: UUID, reason: str = "") -> TaskView:
        """Do a STARTED or COMPLETED step again as a new attempt (``TASK_REFIRED``): it goes
        back to the ready queue at its order's place."""
        task = self.task(task_id)
        now = self.clock.now()
        order = self.order(task.order_id)
        if order.status == OrderStatus.CANCELLED:
            raise InvalidTransition(
                f"order {order.id} is cancelled; its tasks are not re-fired",
                order_id=str(order.id),
                task_id=str(task.id),
            )
        touched: Touched = {task.id: task}
        stations = self.stations()
        was_completed = task.status == TaskStatus.COMPLETED
        if task.status == TaskStatus.STARTED:  # a refused re-fire saves nothing
            cook = self.release(task, stations, touched)
            if cook is not None:
                cook.drop(task.id)
        task.refire(now, reason)
        if was_completed:
            order.task_reopened(task.id, now)
            touched[order.id] = order
            self._reopen_dependants(task, stations, touched, now)
        self.save(*touched.values())
        return TaskView.of(task)

    def _reopen_dependants(
        self, task: Task, stations: Mapping[str, Station], touched: Touched, now: datetime
    ) -> None:
        for child_id in task.dependents:
            child: Task = touched.get(child_id) or self.task(child_id)
            if not child.waits_again_for(task.id):
                continue
            if child.status == TaskStatus.ASSIGNED:
                cook = self.release(child, stations, touched)
                if cook is not None:
                    cook.drop(child.id)
            child.reopen_dependency(task.id, now)
            touched[child.id] = child

    @retried
    def void_line(self, order_id: UUID, item_key: str, reason: str = "") -> OrderView:
        """Take the ``item_key`` line off an open order (``ORDER_LINE_VOIDED``)."""
        order = self.order(order_id)
        now = self.clock.now()
        tasks = [self.task(t) for t in order.task_ids]
        line = [t for t in tasks if t.item_key == item_key]
        line_ids = {t.id for t in line}
        order.void_line(item_key, reason, [t.id for t in line], now)
        touched: Touched = {order.id: order}
        stations = self.stations()
        cancelled = order.status == OrderStatus.CANCELLED  # the last line: a cancel
        for task in tasks if cancelled else line:
            # A done (or, unless the order is cancelled, cooking) task of this line stays as it
            # is, flagged; the rest is withdrawn (a cancel withdraws what still cooks, too).
            done = task.status == TaskStatus.COMPLETED
            cooking = task.status == TaskStatus.STARTED and not cancelled
            if task.id in line_ids and (done or cooking):
                task.void(now, reason)
                touched[task.id] = task
            elif not task.is_final:
                self.withdraw(task, stations, touched, now)
        self.save(*touched.values())
        return OrderView.of(order, tasks, now)
