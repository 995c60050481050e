"""PostgresReadModel: order and task rows for the list routes, saved atomically with the
projection's tracking position (tables in ``migrations/003_read_models.sql``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from kangaroo_paw.adapters.postgres.connection import open_pool
from kangaroo_paw.ports.read_model import OPEN_TASK_STATUSES, OrderRow, ReadModel, TaskRow
from kangaroo_paw.settings import Settings

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

TRACKING_NAME = "read_model"

_UPSERT_ORDER = (
    "INSERT INTO order_rows (order_id, external_order_id, status, created_at)"
    " VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (order_id) DO UPDATE SET external_order_id = EXCLUDED.external_order_id,"
    " status = EXCLUDED.status, created_at = EXCLUDED.created_at"
)
_UPSERT_TASK = (
    "INSERT INTO task_rows (task_id, order_id, status, counter, staff_id, created_at, step_no)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (task_id) DO UPDATE SET order_id = EXCLUDED.order_id,"
    " status = EXCLUDED.status, counter = EXCLUDED.counter, staff_id = EXCLUDED.staff_id,"
    " created_at = EXCLUDED.created_at, step_no = EXCLUDED.step_no"
)
_ADVANCE = (
    "INSERT INTO projection_tracking (name, position) VALUES (%s, %s)"
    " ON CONFLICT (name) DO UPDATE"
    " SET position = GREATEST(projection_tracking.position, EXCLUDED.position),"
    " updated_at = now()"
)
_ORDER_COLUMNS = "order_id, external_order_id, status, created_at"
_TASK_COLUMNS = "task_id, order_id, status, counter, staff_id, created_at, step_no"


class PostgresReadModel(ReadModel):
    """Rows keyed by id and upserted from current aggregate state, so a replayed batch
    changes nothing; the position only moves forward."""

    def __init__(self, pool: ConnectionPool, name: str = TRACKING_NAME) -> None:
        self._pool = pool
        self.name = name

    @classmethod
    def from_settings(cls, settings: Settings, name: str = TRACKING_NAME) -> PostgresReadModel:
        return cls(open_pool(settings, "read-model"), name)

    def _ensure_open(self) -> ConnectionPool:
        self._pool.open(wait=False)
        return self._pool

    def save(self, orders: Sequence[OrderRow], tasks: Sequence[TaskRow], position: int) -> None:
        with self._ensure_open().connection() as conn, conn.transaction(), conn.cursor() as cur:
            if orders:
                cur.executemany(
                    _UPSERT_ORDER,
                    [(o.order_id, o.external_order_id, o.status, o.created_at) for o in orders],
                )
            if tasks:
                cur.executemany(
                    _UPSERT_TASK,
                    [
                        (
                            t.task_id,
                            t.order_id,
                            t.status,
                            t.counter,
                            t.staff_id,
                            t.created_at,
                            t.step_no,
                        )
                        for t in tasks
                    ],
                )
            cur.execute(_ADVANCE, (self.name, position))

    def position(self) -> int:
        with self._ensure_open().connection() as conn:
            row = conn.execute(
                "SELECT position FROM projection_tracking WHERE name = %s", (self.name,)
            ).fetchone()
        return int(row[0]) if row else 0

    def list_orders(
        self, status: str | None, limit: int, before: tuple[datetime, UUID] | None
    ) -> list[OrderRow]:
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = %s")
            params.append(status)
        if before is not None:
            where.append("(created_at, order_id) < (%s, %s)")
            params.extend(before)
        # Only constant fragments are spliced; every value is a bound parameter.
        query = f"SELECT {_ORDER_COLUMNS} FROM order_rows"  # noqa: S608
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY created_at DESC, order_id DESC LIMIT %s"
        params.append(max(0, limit))
        with self._ensure_open().connection() as conn:
            rows = conn.execute(query.encode(), params).fetchall()
        return [OrderRow(*row) for row in rows]

    def list_tasks(
        self,
        status: str | None,
        counter: str | None,
        staff_id: UUID | None,
        limit: int,
    ) -> list[TaskRow]:
        where: list[str] = []
        params: list[Any] = []
        if status == "UNASSIGNED":  # the API's word for "not yet assigned": ready or waiting
            where.append("status IN ('READY', 'WAITING')")
        elif status is not None:
            where.append("status = %s")
            params.append(status)
        if staff_id is not None:
            where.append("staff_id = %s")
            params.append(staff_id)
        return self._tasks(where, params, counter, limit)

    def open_tasks(self, counter: str | None) -> list[TaskRow]:
        # Served by task_rows_status_counter_idx, one range per open status.
        return self._tasks(["status = ANY(%s)"], [list(OPEN_TASK_STATUSES)], counter, None)

    def _tasks(
        self, where: list[str], params: list[Any], counter: str | None, limit: int | None
    ) -> list[TaskRow]:
        if counter is not None:
            where.append("counter = %s")
            params.append(counter)
        query = f"SELECT {_TASK_COLUMNS} FROM task_rows"  # noqa: S608 (constant fragments)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY created_at, order_id, step_no, task_id"
        if limit is not None:
            query += " LIMIT %s"
            params.append(max(0, limit))
        with self._ensure_open().connection() as conn:
            rows = conn.execute(query.encode(), params).fetchall()
        return [TaskRow(*row) for row in rows]

    def clear(self) -> None:
        with self._ensure_open().connection() as conn, conn.transaction():
            conn.execute("TRUNCATE order_rows, task_rows")
            conn.execute("DELETE FROM projection_tracking WHERE name = %s", (self.name,))

    def close(self) -> None:
        self._pool.close()
