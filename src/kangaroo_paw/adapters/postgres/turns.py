"""Projection turns: projectors that share sinks (the read model of one schema and the ready
queue of one Redis prefix) take turns on a PostgreSQL advisory lock, and a rebuild holds it
throughout."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kangaroo_paw.adapters.postgres.connection import connect, schema_of
from kangaroo_paw.adapters.postgres.leadership import lock_key
from kangaroo_paw.settings import Settings

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

log = logging.getLogger(__name__)

REBUILD_WAIT_SECS = 60


def projector_lock_name(settings: Settings) -> str:
    """One turn per set of sinks: the schema (read model) and the Redis prefix (queue)."""
    return f"kangaroo-paw projector {schema_of(settings)} {settings.redis_prefix}"


class ProjectionTurn:
    """Takes turns on a PostgreSQL advisory lock: a projector pass holds it only while it
    runs (``pg_try_advisory_lock``, skipped when busy), a rebuild holds it throughout
    (``pg_advisory_lock``, waiting for the pass in flight). A crashed holder's session ends
    and PostgreSQL releases the lock with it."""

    def __init__(self, settings: Settings, purpose: str) -> None:
        self.settings = settings
        self.purpose = purpose
        self.key = lock_key(projector_lock_name(settings))
        self._conn: psycopg.Connection[TupleRow] | None = None

    def _connection(self) -> psycopg.Connection[TupleRow]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            self._conn = connect(self.settings, self.purpose)
        return self._conn

    @contextmanager
    def pass_turn(self) -> Iterator[bool]:
        """``True`` while this pass holds the lock; ``False`` when another holder has it."""
        conn = self._connection()
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except Exception:
            self.close()
            raise
        mine = bool(row and row[0])
        try:
            yield mine
        finally:
            if mine:
                self._unlock()

    @contextmanager
    def exclusive(self, wait_secs: float = REBUILD_WAIT_SECS) -> Iterator[None]:
        """Hold the lock for a whole rebuild (waits for a pass in flight to finish)."""
        from psycopg import sql

        conn = self._connection()
        timeout = sql.Literal(f"{int(wait_secs * 1000)}ms")
        conn.execute(sql.SQL("SET lock_timeout = {}").format(timeout))
        conn.execute("SELECT pg_advisory_lock(%s)", (self.key,))
        try:
            yield
        finally:
            self._unlock()

    def _unlock(self) -> None:
        try:
            self._connection().execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except Exception:  # a dead session has released the lock already
            log.debug("advisory unlock failed; the session is gone", exc_info=True)
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection must not mask anything
                log.debug("closing the projector lock connection failed", exc_info=True)
