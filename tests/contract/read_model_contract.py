"""The ReadModel contract: behaviour every read-model adapter must show.

How to reuse it for another adapter (PostgreSQL, ...)::

    from contract.read_model_contract import ReadModelContract

    class TestPostgresReadModel(ReadModelContract):
        @pytest.fixture
        def read_model(self, migrated_schema) -> Iterator[ReadModel]:
            model = PostgresReadModel.from_settings(migrated_schema)
            model.clear()
            yield model
            model.close()

A subclass either overrides ``make_read_model()`` or the ``read_model`` fixture (when it needs
other fixtures). Every test gets a new, empty read model.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from kangaroo_paw.ports.read_model import OrderRow, ReadModel, TaskRow

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def order_row(n: int, status: str = "CONFIRMED", created: datetime | None = None) -> OrderRow:
    return OrderRow(uuid.uuid4(), f"ext-{n}", status, created or T0 + timedelta(seconds=n))


def task_row(
    order: OrderRow,
    step_no: int,
    status: str = "READY",
    counter: str = "griller",
    staff_id: UUID | None = None,
) -> TaskRow:
    return TaskRow(
        uuid.uuid4(), order.order_id, status, counter, staff_id, order.created_at, step_no
    )


class ReadModelContract:
    """Upserts keyed by id, filters, newest-first pagination of orders, creation-ordered
    tasks, a forward-only position, clear. Override ``make_read_model`` or the fixture."""

    def make_read_model(self) -> ReadModel:
        raise NotImplementedError("a ReadModelContract subclass must provide a read model")

    @pytest.fixture
    def read_model(self) -> Iterator[ReadModel]:
        model = self.make_read_model()
        yield model
        model.clear()

    def test_a_new_read_model_is_empty(self, read_model: ReadModel) -> None:
        assert read_model.position() == 0
        assert read_model.list_orders(None, 10, None) == []
        assert read_model.list_tasks(None, None, None, 10) == []

    # -- orders --------------------------------------------------------------------------------

    def test_orders_come_newest_first(self, read_model: ReadModel) -> None:
        rows = [order_row(n) for n in range(5)]
        read_model.save(rows, [], 1)
        assert read_model.list_orders(None, 10, None) == rows[::-1]
        assert read_model.list_orders(None, 2, None) == [rows[4], rows[3]]
        assert read_model.list_orders(None, 0, None) == []

    def test_orders_created_together_are_ordered_by_id(self, read_model: ReadModel) -> None:
        rows = [order_row(n, created=T0) for n in range(4)]
        read_model.save(rows, [], 1)
        expected = sorted(rows, key=lambda r: str(r.order_id), reverse=True)
        assert read_model.list_orders(None, 10, None) == expected

    def test_orders_filter_by_status(self, read_model: ReadModel) -> None:
        confirmed = order_row(1)
        done = order_row(2, "COMPLETED")
        cancelled = order_row(3, "CANCELLED")
        read_model.save([confirmed, done, cancelled], [], 1)
        assert read_model.list_orders("COMPLETED", 10, None) == [done]
        assert read_model.list_orders("CONFIRMED", 10, None) == [confirmed]
        assert read_model.list_orders("IN_PROGRESS", 10, None) == []

    def test_orders_paginate_by_cursor_without_gaps_or_repeats(self, read_model: ReadModel) -> None:
        # Some share a creation time, so the cursor must break ties by id.
        rows = [order_row(n, created=T0 + timedelta(seconds=n // 3)) for n in range(11)]
        read_model.save(rows, [], 1)
        expected = sorted(rows, key=lambda r: (r.created_at, str(r.order_id)), reverse=True)
        pages: list[list[OrderRow]] = []
        before: tuple[datetime, UUID] | None = None
        while True:
            page = read_model.list_orders(None, 4, before)
            if not page:
                break
            pages.append(page)
            before = (page[-1].created_at, page[-1].order_id)
        assert [len(p) for p in pages] == [4, 4, 3]
        assert [row for page in pages for row in page] == expected

    def test_cursor_and_status_combine(self, read_model: ReadModel) -> None:
        rows = [order_row(n, "COMPLETED" if n % 2 else "CONFIRMED") for n in range(8)]
        read_model.save(rows, [], 1)
        newest_done = rows[7]
        page = read_model.list_orders(
            "COMPLETED", 2, (newest_done.created_at, newest_done.order_id)
        )
        assert page == [rows[5], rows[3]]

    def test_saving_an_order_again_updates_it(self, read_model: ReadModel) -> None:
        row = order_row(1)
        read_model.save([row], [], 1)
        moved = OrderRow(row.order_id, row.external_order_id, "IN_PROGRESS", row.created_at)
        read_model.save([moved], [], 2)
        assert read_model.list_orders(None, 10, None) == [moved]
        assert read_model.list_orders("CONFIRMED", 10, None) == []

    # -- tasks ---------------------------------------------------------------------------------

    def test_tasks_come_in_creation_order_then_step(self, read_model: ReadModel) -> None:
        first, second = order_row(1), order_row(2)
        tasks = [task_row(second, 1), task_row(first, 2), task_row(first, 1)]
        read_model.save([first, second], tasks, 1)
        assert read_model.list_tasks(None, None, None, 10) == [tasks[2], tasks[1], tasks[0]]
        assert read_model.list_tasks(None, None, None, 1) == [tasks[2]]

    def test_tasks_filter_by_status_counter_and_cook(self, read_model: ReadModel) -> None:
        order = order_row(1)
        cook, other_cook = uuid.uuid4(), uuid.uuid4()
        ready = task_row(order, 1, "READY", "griller")
        waiting = task_row(order, 2, "WAITING", "adhoc")
        assigned = task_row(order, 3, "ASSIGNED", "griller", cook)
        started = task_row(order, 4, "STARTED", "fryer", cook)
        other = task_row(order, 5, "ASSIGNED", "fryer", other_cook)
        read_model.save([order], [ready, waiting, assigned, started, other], 1)
        assert read_model.list_tasks("READY", None, None, 10) == [ready]
        assert read_model.list_tasks("ASSIGNED", None, None, 10) == [assigned, other]
        assert read_model.list_tasks(None, "griller", None, 10) == [ready, assigned]
        assert read_model.list_tasks(None, None, cook, 10) == [assigned, started]
        assert read_model.list_tasks("ASSIGNED", "fryer", None, 10) == [other]
        assert read_model.list_tasks("STARTED", "griller", cook, 10) == []
        assert read_model.list_tasks("COMPLETED", None, None, 10) == []

    def test_unassigned_means_ready_or_waiting(self, read_model: ReadModel) -> None:
        order = order_row(1)
        ready = task_row(order, 1, "READY")
        waiting = task_row(order, 2, "WAITING")
        assigned = task_row(order, 3, "ASSIGNED", staff_id=uuid.uuid4())
        read_model.save([order], [ready, waiting, assigned], 1)
        assert read_model.list_tasks("UNASSIGNED", None, None, 10) == [ready, waiting]

    def test_open_tasks_are_every_unfinished_one_without_a_limit(
        self, read_model: ReadModel
    ) -> None:
        first, second = order_row(1), order_row(2)
        cook = uuid.uuid4()
        waiting = task_row(second, 2, "WAITING", "adhoc")
        ready = task_row(second, 1, "READY", "griller")
        assigned = task_row(first, 1, "ASSIGNED", "griller", cook)
        started = task_row(first, 2, "STARTED", "fryer", cook)
        done = task_row(first, 3, "COMPLETED", "griller", cook)
        cancelled = task_row(second, 3, "CANCELLED", "griller")
        many = [task_row(order_row(10 + n), 1, "READY", "beverage") for n in range(250)]
        read_model.save(
            [first, second], [waiting, ready, assigned, started, done, cancelled, *many], 1
        )
        assert read_model.open_tasks(None)[:4] == [assigned, started, ready, waiting]
        assert len(read_model.open_tasks(None)) == 254
        assert read_model.open_tasks("griller") == [assigned, ready]
        assert read_model.open_tasks("fryer") == [started]
        assert read_model.open_tasks("nowhere") == []
        finished = TaskRow(
            started.task_id, started.order_id, "COMPLETED", "fryer", cook, started.created_at, 2
        )
        read_model.save([], [finished], 2)
        assert read_model.open_tasks("fryer") == []

    def test_saving_a_task_again_updates_it(self, read_model: ReadModel) -> None:
        order = order_row(1)
        task = task_row(order, 1, "READY")
        read_model.save([order], [task], 1)
        cook = uuid.uuid4()
        assigned = TaskRow(
            task.task_id, task.order_id, "ASSIGNED", task.counter, cook, task.created_at, 1
        )
        read_model.save([], [assigned], 2)
        assert read_model.list_tasks(None, None, None, 10) == [assigned]
        assert read_model.list_tasks("READY", None, None, 10) == []

    # -- batches and position ------------------------------------------------------------------

    def test_saving_the_same_batch_twice_is_harmless(self, read_model: ReadModel) -> None:
        order = order_row(1)
        tasks = [task_row(order, n) for n in (1, 2)]
        read_model.save([order], tasks, 5)
        state = (
            read_model.list_orders(None, 10, None),
            read_model.list_tasks(None, None, None, 10),
            read_model.position(),
        )
        read_model.save([order], tasks, 5)
        assert (
            read_model.list_orders(None, 10, None),
            read_model.list_tasks(None, None, None, 10),
            read_model.position(),
        ) == state

    def test_position_never_goes_back(self, read_model: ReadModel) -> None:
        read_model.save([], [], 4)
        assert read_model.position() == 4
        read_model.save([order_row(1)], [], 9)
        assert read_model.position() == 9
        read_model.save([], [], 2)
        assert read_model.position() == 9

    def test_clear_drops_everything_position_included(self, read_model: ReadModel) -> None:
        order = order_row(1)
        read_model.save([order], [task_row(order, 1)], 7)
        read_model.clear()
        assert read_model.position() == 0
        assert read_model.list_orders(None, 10, None) == []
        assert read_model.list_tasks(None, None, None, 10) == []
        read_model.save([order], [], 1)
        assert read_model.position() == 1
