"""Orders: confirm (explode into tasks, atomically and idempotently), cancel, query."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from kangaroo_paw.application.core import RECIPES, Touched, retried
from kangaroo_paw.application.promises import PromiseQueries
from kangaroo_paw.application.views import OrderView
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import (
    Conflict,
    InvalidOrder,
    InvalidQuantity,
    ItemUnavailable,
    UnknownItem,
)
from kangaroo_paw.domain.order import Order, Pace, Priority, check_courses
from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.recipes import build_dependencies, tail_secs
from kangaroo_paw.domain.task import Task
from kangaroo_paw.domain.ticket import Ticket

log = logging.getLogger(__name__)

EXTERNAL_ID_MAX = 128
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OrderCommands(PromiseQueries):
    """Confirm, quote, rush and cancel orders; read them back. The promise of a confirm or a
    quote is ``PromiseQueries``' forward simulation."""

    def confirm_order(
        self,
        items: Mapping[str, int],
        external_order_id: str | None = None,
        priority: str = Priority.NORMAL,
        *,
        ticket: Ticket | None = None,
        courses: Mapping[str, int] | None = None,
        hold: list[int] | bool | None = None,
        pace: str | None = None,
    ) -> tuple[OrderView, bool]:
        """Explode an order into tasks in one atomic save; returns (order, created).

        The order id derives from ``external_order_id``, so an identical retry returns the
        recorded order (created=False) and a different payload (items, priority, ticket or
        course plan) under that id is a Conflict. ``ticket`` (table, guest, channel, note,
        per-line modifiers and allergens) is checked and trimmed (``InvalidTicket``); each task
        carries its line's modifiers and allergens. ``courses`` puts items in courses 1-9
        (default 1), ``hold`` holds some courses (or all, ``True``) until fired, ``pace`` is
        ``asap`` or ``together`` (default: the kitchen's).
        """
        lines = self._check_order(items, priority)
        checked = (ticket or Ticket()).checked(lines)
        plan = self._check_plan(lines, courses, hold, pace)
        # Drawn once: a retry after a version conflict must record the same order.
        external = _external_id(external_order_id)
        return self._record_order(lines, external, str(priority), checked, plan)

    def _check_plan(
        self,
        lines: dict[str, int],
        courses: Mapping[str, int] | None,
        hold: list[int] | bool | None,
        pace: str | None,
    ) -> CoursePlan:
        chosen = self.policy.pace if pace is None else pace
        if chosen not in (Pace.ASAP, Pace.TOGETHER):
            raise InvalidOrder(f"pace must be 'asap' or 'together', not {chosen!r}")
        planned, held = check_courses(lines, dict(courses or {}), hold)
        return CoursePlan(planned, held, str(chosen))

    @retried
    def _record_order(
        self,
        lines: dict[str, int],
        external: str,
        priority: str,
        ticket: Ticket,
        plan: CoursePlan,
    ) -> tuple[OrderView, bool]:
        order_id = ids.order_id(external)
        if self.exists(order_id):
            existing = self.order(order_id)
            same = existing.same_request(
                lines, priority, ticket, plan.courses, plan.held, plan.pace
            )
            if not same:
                raise Conflict(
                    f"external_order_id {external!r} was already used for another order",
                    external_order_id=external,
                    order_id=str(order_id),
                )
            return self.get_order(order_id), False
        now = self.clock.now()
        held_items = {k for k, c in plan.courses.items() if c in plan.held}
        staged = bool(held_items) or plan.pace == Pace.TOGETHER
        tasks = self._explode_tasks(order_id, lines, priority, now, ticket, ready=not staged)
        # Held work is not promised: the promise covers what starts now (or is paced).
        promised = self._promise([t for t in tasks if t.item_key not in held_items], now)
        order = Order(
            id=order_id,
            external_order_id=external,
            items=lines,
            priority=priority,
            task_ids=[t.id for t in tasks],
            confirmed_at=now,
            rush_credit_secs=self._rush_credit(priority),
            promised_ready_at=promised,
            **ticket.fields(),
        )
        order.plan_courses(plan.courses, plan.held, plan.pace)
        if staged:
            for task in tasks:
                if task.item_key in held_items:
                    task.hold(plan.courses[task.item_key])
            self._start_items(order, tasks, [k for k in lines if k not in held_items], now)
        self.save(order, *tasks)
        return OrderView.of(order, tasks, now), True

    def _start_items(
        self, order: Order, tasks: list[Task], items: list[str], now: datetime
    ) -> None:
        """Release the first steps of ``items``: at once (asap), or paced so that they finish
        together (``release_times`` over the items' forecast finishes); the later releases
        are planned on the order (``ReleasesPlanned``) for the release timer."""
        if order.pace == Pace.TOGETHER:
            releases = release_times(self._finish_spans(tasks, items, now), now)
        else:
            releases = dict.fromkeys(items, now)
        for task in tasks:
            if task.is_unreleased_root and not task.held and releases.get(task.item_key) == now:
                task.mark_ready(now)
        order.plan_releases({k: at for k, at in releases.items() if at > now})

    def _finish_spans(self, tasks: list[Task], items: list[str], now: datetime) -> dict[str, float]:
        """Seconds from ``now`` until each of ``items`` would be done if all were released
        now: the promise's forecast (queues, cooks and machines as they are), per item its
        last task's finish. A forecast that cannot finish (a machine down for good) falls
        back to the items' critical paths, which ignore the queues."""
        mine = [t for t in tasks if t.item_key in items and not t.is_final]
        ahead = self.forecast_new(mine, now)
        spans: dict[str, float] = dict.fromkeys(items, 0.0)
        for task in mine:
            if ahead.complete:
                spans[task.item_key] = max(spans[task.item_key], ahead.finishes[task.id])
            elif not task.depends_on:
                spans[task.item_key] = max(spans[task.item_key], task.tail_secs)
        return spans

    @retried
    def fire_order(self, order_id: UUID, course: int | None = None) -> OrderView:
        """Fire a held course (``None``: every held course): its tasks leave the hold and its
        items' first steps are released as the order's pace says, in one save."""
        order = self.order(order_id)
        now = self.clock.now()
        fired = order.fire(course, now)
        items = order.items_in(fired)
        tasks = [self.task(t) for t in order.task_ids]
        firing = [t for t in tasks if t.item_key in items and not t.is_final]
        for task in firing:
            if task.held:
                task.fire(now)
        self._start_items(order, firing, items, now)
        self.save(order, *firing)
        log.info("order %s fired course(s) %s", order_id, fired)
        return OrderView.of(order, tasks, now)

    @retried
    def release_due(self, order_id: UUID, release_at: datetime) -> bool:
        """Timer callback: release the paced items of an order planned at or before
        ``release_at`` (or now); False when nothing is left to release (fired twice, the
        order cancelled or unknown)."""
        if not self.exists(order_id):
            return False
        order = self.order(order_id)
        now = self.clock.now()
        items = order.due_releases(max(now, release_at))
        if not items:
            return False
        tasks = [self.task(t) for t in order.task_ids]
        touched = [t for t in tasks if t.item_key in items and t.is_unreleased_root and not t.held]
        for task in touched:
            task.mark_ready(now)
        order.release_items(items, now)
        self.save(order, *touched)
        return True

    def pending_releases(self) -> list[tuple[UUID, datetime]]:
        """Every planned release of an open order (to re-arm release timers after a restart)."""
        self.sync_reads()
        due: list[tuple[UUID, datetime]] = []
        for status in ("CONFIRMED", "IN_PROGRESS", "PART_COMPLETED"):
            for row in self.read_model.list_orders(status, 1_000_000, None):
                order = self.order(row.order_id)
                due.extend((order.id, at) for at in sorted(set(order.pending_releases.values())))
        return due

    def _check_order(self, items: Mapping[str, int], priority: str) -> dict[str, int]:
        if priority not in (Priority.NORMAL, Priority.RUSH):
            raise InvalidOrder(f"priority must be 'normal' or 'rush', not {priority!r}")
        if not items:
            raise InvalidOrder("an order needs at least one item")
        if len(items) > self.policy.max_lines_per_order:
            raise InvalidOrder(
                f"an order may have at most {self.policy.max_lines_per_order} lines",
                lines=len(items),
            )
        limit = self.policy.max_qty_per_line
        for key, qty in items.items():
            if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= limit:
                raise InvalidQuantity(
                    f"quantity of {key!r} must be an integer from 1 to {limit}, got {qty!r}",
                    item=key,
                    quantity=qty,
                    limit=limit,
                )
        return {key: items[key] for key in sorted(items)}

    def quote_order(
        self,
        items: Mapping[str, int],
        priority: str = Priority.NORMAL,
        external_order_id: str | None = None,
        *,
        ticket: Ticket | None = None,
        courses: Mapping[str, int] | None = None,
        hold: list[int] | bool | None = None,
        pace: str | None = None,
    ) -> tuple[datetime, float]:
        """When an order of ``items`` would be ready if confirmed now: (promised_ready_at,
        promised_secs). Validates like confirm and writes nothing; with the same body and the
        same state, a confirm right after records the same promise (held work is left out;
        all held: the time of an empty order, now)."""
        lines = self._check_order(items, priority)
        (ticket or Ticket()).checked(lines)
        plan = self._check_plan(lines, courses, hold, pace)
        external = _external_id(external_order_id)
        now = self.clock.now()
        tasks = self._explode_tasks(ids.order_id(external), lines, str(priority), now)
        held_items = {k for k, c in plan.courses.items() if c in plan.held}
        secs = self._promised_secs([t for t in tasks if t.item_key not in held_items], now)
        return now + timedelta(seconds=secs), secs

    def _promise(self, tasks: list[Task], now: datetime) -> datetime | None:
        if not self.policy.promise_on_confirm or not tasks:
            return None
        return now + timedelta(seconds=self._promised_secs(tasks, now))

    def _promised_secs(self, tasks: list[Task], now: datetime) -> float:
        """The forecast plus the margin. The forecast assumes nothing new arrives, every step
        takes its estimate and nothing breaks, so it runs early on average; the margin
        (KP_PROMISE_MARGIN) trades a little accuracy for fewer late promises. Rounded to
        the millisecond so the promise reads back exactly from the event."""
        secs = self.forecast_ready_secs(tasks, now) * (1 + self.policy.promise_margin)
        return round(secs, 3)

    def _rush_credit(self, priority: str) -> float:
        return self.policy.rush_credit_secs if priority == Priority.RUSH else 0.0

    def _explode_tasks(
        self,
        order_id: UUID,
        lines: dict[str, int],
        priority: str,
        now: datetime,
        ticket: Ticket | None = None,
        ready: bool = True,
    ) -> list[Task]:
        """The unsaved tasks of an order of ``lines`` confirmed at ``now``; ``ticket`` (checked)
        gives each task its line's modifiers and allergens; root tasks are ready unless
        ``ready`` is False (held or paced: the caller releases them)."""
        ticket = ticket or Ticket()
        recipes = self._live_recipes(lines)
        capacities = self.machine_capacities(
            {s.machine for r in recipes.values() for s in r.steps if s.machine is not None}
        )
        total = sum(len(recipes[key].steps) * qty for key, qty in lines.items())
        if total > self.policy.max_tasks_per_order:
            raise InvalidQuantity(
                f"order would create {total} tasks; the limit is {self.policy.max_tasks_per_order}",
                tasks=total,
            )
        boost = self.policy.rush_boost if priority == Priority.RUSH else 0.0
        credit = self._rush_credit(priority)
        plans = []
        for key in lines:
            deps = build_dependencies(recipes[key].steps, recipes[key].dependencies, capacities)
            plans.append((deps, tail_secs(recipes[key].steps, deps)))
        # The order's critical path: part of every task's dispatch key (shorter orders first
        # among orders confirmed together).
        path = max((max(tails.values(), default=0.0) for _, tails in plans), default=0.0)
        tasks: list[Task] = []
        for line, ((key, qty), (deps, tails)) in enumerate(zip(lines.items(), plans, strict=True)):
            for unit in range(1, qty + 1):
                tasks.extend(
                    self._unit_tasks(
                        order_id,
                        line,
                        unit,
                        recipes[key],
                        deps,
                        tails,
                        (boost, credit, path),
                        now,
                        ticket.line(key),
                        ready,
                    )
                )
        return tasks

    def _unit_tasks(
        self,
        order_id: UUID,
        line: int,
        unit: int,
        recipe: Recipe,
        deps: dict[int, list[int]],
        tails: dict[int, float],
        keyed: tuple[float, float, float],
        now: datetime,
        notes: tuple[list[str], list[str]],
        ready: bool,
    ) -> list[Task]:
        """One unit's tasks; ``keyed`` is the order's (rush boost, rush credit, critical path),
        ``notes`` its line's (modifiers, allergens)."""

        def tid(step_no: int) -> UUID:
            return ids.task_id(order_id, line, unit, step_no)

        children: dict[int, list[UUID]] = {s.step_no: [] for s in recipe.steps}
        for step_no, parents in deps.items():
            for parent in parents:
                children[parent].append(tid(step_no))
        tasks = []
        for step in recipe.steps:
            task = Task(
                id=tid(step.step_no),
                order_id=order_id,
                item_key=recipe.item_key,
                unit=unit,
                step_no=step.step_no,
                description=step.description,
                counter=step.counter,
                machine=step.machine,
                estimate_secs=step.estimate_secs,
                base_priority=step.base_priority,
                boost=keyed[0],
                depends_on=[tid(p) for p in deps[step.step_no]],
                dependents=children[step.step_no],
                created_at=now,
                tail_secs=tails[step.step_no],
                rush_credit_secs=keyed[1],
                order_path_secs=keyed[2],
                machine_kind=step.machine_kind,
                modifiers=list(notes[0]),
                allergens=list(notes[1]),
            )
            if ready and not task.depends_on:
                task.mark_ready(now)
            tasks.append(task)
        return tasks

    def _live_recipes(self, lines: Mapping[str, int]) -> dict[str, Recipe]:
        """The recipes of ``lines``: every item must have a live recipe (``UnknownItem``) and
        be available, not 86'd (``ItemUnavailable``); each error names all such items."""
        members = self.members(RECIPES)
        found: dict[str, Recipe] = {}
        unknown: list[str] = []
        unavailable: list[str] = []
        for key in lines:
            recipe_id = members.get(key)
            recipe = self.load(Recipe, recipe_id) if recipe_id is not None else None
            if recipe is None or recipe.retired:
                unknown.append(key)
            elif not recipe.available:
                unavailable.append(key)
            else:
                found[key] = recipe
        if unknown:
            listed = ", ".join(repr(k) for k in unknown)
            raise UnknownItem(f"no recipe for item {listed}", items=unknown)
        if unavailable:
            listed = ", ".join(repr(k) for k in unavailable)
            raise ItemUnavailable(f"item {listed} is 86'd (unavailable)", items=unavailable)
        return found

    @retried
    def rush_order(self, order_id: UUID, rush: bool = True) -> OrderView:
        """Rush (or un-rush) an open order: it counts as ``rush_credit_secs`` older, and its
        open tasks are re-keyed (ready ones move in the queue) in the same save."""
        priority = Priority.RUSH if rush else Priority.NORMAL
        order = self.order(order_id)
        now = self.clock.now()
        tasks = [self.task(t) for t in order.task_ids]
        credit = self._rush_credit(priority)
        if order.reprioritise(priority, credit, now):
            boost = self.policy.rush_boost if rush else 0.0
            touched = [t for t in tasks if not t.is_final]
            for task in touched:
                task.reprioritise(credit, boost, now)
            self.save(order, *touched)
            log.info("order %s re-prioritised to %s", order_id, priority)
        return OrderView.of(order, tasks, now)

    @retried
    def cancel_order(self, order_id: UUID, reason: str = "") -> OrderView:
        """Cancel an order: withdraw its open tasks and release what they hold."""
        order = self.order(order_id)
        now = self.clock.now()
        order.cancel(now, reason)
        tasks = [self.task(t) for t in order.task_ids]
        touched: Touched = {order.id: order}
        stations = self.stations()
        for task in tasks:
            if not task.is_final:
                self.withdraw(task, stations, touched, now)
        self.save(*touched.values())
        return OrderView.of(order, tasks, now)

    def get_order(self, order_id: UUID) -> OrderView:
        order = self.order(order_id)
        return OrderView.of(order, [self.task(t) for t in order.task_ids], self.clock.now())

    def list_orders(
        self, status: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[OrderView], str | None]:
        """Newest first; the cursor is opaque to clients (``<epoch-µs>_<order id>``)."""
        before = _decode_cursor(cursor) if cursor else None
        self.sync_reads()
        rows = self.read_model.list_orders(status, limit + 1, before)
        page = rows[:limit]
        views = [self.get_order(row.order_id) for row in page]
        next_cursor = None
        if len(rows) > limit and page:
            last = page[-1]
            micros = (last.created_at - EPOCH) // timedelta(microseconds=1)
            next_cursor = f"{micros}_{last.order_id}"
        return views, next_cursor


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """A confirm's checked course plan: every item's course, the held courses, the pace."""

    courses: dict[str, int]
    held: list[int]
    pace: str


def release_times(spans: Mapping[str, float], now: datetime) -> dict[str, datetime]:
    """Finish-together: each item (its seconds to finish if started ``now`` in ``spans``)
    starts at now plus how much longer the longest item takes than it does, so the longest
    starts at once and, if the spans hold, every item finishes with it."""
    longest = max(spans.values(), default=0.0)
    return {key: now + timedelta(seconds=round(longest - span, 3)) for key, span in spans.items()}


def _external_id(external_order_id: str | None) -> str:
    """The caller's external id (checked), or a fresh one."""
    external = external_order_id if external_order_id is not None else str(uuid.uuid4())
    if not external.strip() or len(external) > EXTERNAL_ID_MAX:
        raise InvalidOrder(f"external_order_id must be 1-{EXTERNAL_ID_MAX} characters")
    return external


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        micros, _, raw_id = cursor.partition("_")
        return EPOCH + timedelta(microseconds=int(micros)), UUID(raw_id)
    except (ValueError, OverflowError, OSError):
        raise InvalidOrder(f"cursor {cursor!r} is not valid", cursor=cursor) from None
