"""PostgresReadModel answers every list query exactly as the in-memory twin does, saves rows
atomically with its position, and shrugs off a dropped connection."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from contract.read_model_contract import ReadModelContract
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.adapters.postgres.connection import connect
from kangaroo_paw.adapters.postgres.read_model import PostgresReadModel
from kangaroo_paw.ports.read_model import OrderRow, ReadModel, TaskRow
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.postgres

ORDER_STATUSES = ("CONFIRMED", "IN_PROGRESS", "PART_COMPLETED", "COMPLETED", "CANCELLED")
TASK_STATUSES = ("WAITING", "READY", "ASSIGNED", "STARTED", "COMPLETED", "CANCELLED")
COUNTERS = ("fryer", "griller", "beverage", "adhoc")
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def read_model(pg_settings: Settings) -> Iterator[PostgresReadModel]:
    model = PostgresReadModel.from_settings(pg_settings)
    yield model
    model.close()


def rows(seed: int, orders: int = 120) -> tuple[list[OrderRow], list[TaskRow]]:
    rng = random.Random(seed)
    staff = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(4)]
    order_rows: list[OrderRow] = []
    task_rows: list[TaskRow] = []
    for i in range(orders):
        # Several orders share a created_at: the tie-break on the id must agree.
        created = T0 + timedelta(seconds=i // 3, microseconds=rng.choice((0, 1, 999_999)))
        order_id = uuid.UUID(int=rng.getrandbits(128))
        order_rows.append(OrderRow(order_id, f"ext-{i}", rng.choice(ORDER_STATUSES), created))
        for step in range(1, rng.randint(1, 5)):
            status = rng.choice(TASK_STATUSES)
            task_rows.append(
                TaskRow(
                    task_id=uuid.UUID(int=rng.getrandbits(128)),
                    order_id=order_id,
                    status=status,
                    counter=rng.choice(COUNTERS),
                    staff_id=rng.choice(staff) if status in ("ASSIGNED", "STARTED") else None,
                    created_at=created,
                    step_no=step,
                )
            )
    return order_rows, task_rows


def test_every_query_agrees_with_the_in_memory_twin(read_model: PostgresReadModel) -> None:
    twin = InMemoryReadModel()
    orders, tasks = rows(seed=1)
    for start in range(0, len(orders), 40):  # several batches, like a projector
        chunk = orders[start : start + 40]
        ids = {o.order_id for o in chunk}
        chunk_tasks = [t for t in tasks if t.order_id in ids]
        read_model.save(chunk, chunk_tasks, start + 40)
        twin.save(chunk, chunk_tasks, start + 40)
    assert read_model.position() == twin.position() == 120

    for status in (None, *ORDER_STATUSES, "NOPE"):
        for limit in (1, 7, 500):
            assert read_model.list_orders(status, limit, None) == twin.list_orders(
                status, limit, None
            )
    # Keyset pagination walks the whole list without gaps or repeats.
    for status in (None, "CONFIRMED"):
        seen: list[UUID] = []
        before = None
        while True:
            page = read_model.list_orders(status, 9, before)
            assert page == twin.list_orders(status, 9, before)
            if not page:
                break
            seen += [r.order_id for r in page]
            before = (page[-1].created_at, page[-1].order_id)
        assert seen == [r.order_id for r in twin.list_orders(status, 1000, None)]

    staff_ids = {t.staff_id for t in tasks if t.staff_id is not None}
    for status in (None, "UNASSIGNED", *TASK_STATUSES):
        for counter in (None, *COUNTERS):
            assert read_model.list_tasks(status, counter, None, 1000) == twin.list_tasks(
                status, counter, None, 1000
            )
    for staff_id in staff_ids:
        for status in (None, "ASSIGNED", "STARTED"):
            assert read_model.list_tasks(status, None, staff_id, 1000) == twin.list_tasks(
                status, None, staff_id, 1000
            )
    assert read_model.list_tasks(None, None, None, 5) == twin.list_tasks(None, None, None, 5)


def test_save_is_an_idempotent_upsert_and_the_position_only_moves_forward(
    read_model: PostgresReadModel,
) -> None:
    orders, tasks = rows(seed=2, orders=10)
    read_model.save(orders, tasks, 50)
    read_model.save(orders, tasks, 50)
    assert len(read_model.list_orders(None, 100, None)) == 10
    assert len(read_model.list_tasks(None, None, None, 1000)) == len(tasks)
    changed = OrderRow(
        orders[0].order_id, orders[0].external_order_id, "CANCELLED", orders[0].created_at
    )
    read_model.save([changed], [], 40)  # a replayed, older batch
    assert read_model.position() == 50
    assert changed in read_model.list_orders("CANCELLED", 100, None)


def test_a_failed_save_changes_neither_rows_nor_position(read_model: PostgresReadModel) -> None:
    orders, _ = rows(seed=3, orders=5)
    read_model.save(orders[:2], [], 10)
    broken = TaskRow(uuid.uuid4(), orders[3].order_id, "READY", None, None, T0, 1)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="null value"):
        read_model.save(orders[2:], [broken], 20)
    assert read_model.position() == 10
    assert {r.order_id for r in read_model.list_orders(None, 100, None)} == {
        o.order_id for o in orders[:2]
    }


def test_clear_drops_rows_and_position(read_model: PostgresReadModel) -> None:
    orders, tasks = rows(seed=4, orders=5)
    read_model.save(orders, tasks, 33)
    read_model.clear()
    assert read_model.position() == 0
    assert read_model.list_orders(None, 100, None) == []
    assert read_model.list_tasks(None, None, None, 100) == []


def test_a_terminated_connection_is_replaced(pg_settings: Settings) -> None:
    model = PostgresReadModel.from_settings(pg_settings)
    try:
        orders, tasks = rows(seed=5, orders=3)
        model.save(orders, tasks, 3)
        with model._pool.connection() as pooled:  # the pool's own session
            pid = pooled.info.backend_pid
        with connect(pg_settings, "test") as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert model.position() == 3
        assert len(model.list_orders(None, 10, None)) == 3
    finally:
        model.close()


class TestPostgresReadModelContract(ReadModelContract):
    """The ReadModel contract every adapter passes (tests/contract), on PostgreSQL."""

    @pytest.fixture
    def read_model(self, pg_settings: Settings) -> Iterator[ReadModel]:
        model = PostgresReadModel.from_settings(pg_settings)
        yield model
        model.close()
