"""AdvisoryLock: exactly one active holder per name, on a dedicated PostgreSQL session."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

log = logging.getLogger(__name__)


class LeadershipLost(RuntimeError):
    """The session that held the lock is gone; another process may be active now."""


def lock_key(name: str) -> int:
    """A stable, non-negative 63-bit key for ``pg_try_advisory_lock(bigint)``."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class AdvisoryLock:
    """A session-level advisory lock: held for as long as its connection lives, released by
    PostgreSQL the moment the holder's session ends (crash, SIGKILL, network loss), so a
    standby polling ``try_acquire`` takes over within one poll interval."""

    def __init__(self, connect: Callable[[], psycopg.Connection[TupleRow]], name: str) -> None:
        self._connect = connect
        self.name = name
        self.key = lock_key(name)
        self._conn: psycopg.Connection[TupleRow] | None = None
        self.held = False

    @property
    def connection(self) -> psycopg.Connection[TupleRow]:
        """The holder's session (write the fenced state through it)."""
        if self._conn is None or not self.held:
            raise LeadershipLost(f"lock {self.name!r} is not held")
        return self._conn

    def try_acquire(self) -> bool:
        """Take the lock if free; reconnects first when the session was lost."""
        if self._conn is None or self._conn.closed:
            self.held = False
            self._conn = self._connect()
        if not self.held:
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self.held = bool(row and row[0])
        return self.held

    def check(self) -> None:
        """Raise ``LeadershipLost`` unless the holding session is still alive."""
        import psycopg

        if self._conn is None or self._conn.closed or not self.held:
            self.held = False
            raise LeadershipLost(f"lock {self.name!r} is not held")
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error as exc:
            self.reset()
            raise LeadershipLost(f"lock {self.name!r} lost: {exc}") from exc

    def reset(self) -> None:
        """Forget the session (after an error); the next ``try_acquire`` reconnects."""
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection must not mask the real error
                log.debug("closing a broken lock connection failed", exc_info=True)

    def release(self) -> None:
        """Give the lock back (graceful stop) and close the session."""
        import psycopg

        if self._conn is not None and not self._conn.closed and self.held:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                log.debug("unlock failed; closing the session releases it", exc_info=True)
        self.reset()


def lock_holder(conn: psycopg.Connection[TupleRow], name: str) -> dict[str, object] | None:
    """Who holds the lock ``name`` (pid, application name, client, since), if anyone."""
    key = lock_key(name)
    row = conn.execute(
        "SELECT a.pid, a.application_name, a.client_addr::text, a.backend_start"
        " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.classid = %s::bigint::oid AND l.objid = %s::bigint::oid",
        (key >> 32, key & 0xFFFF_FFFF),
    ).fetchone()
    if row is None:
        return None
    pid, application_name, client, since = row
    return {"pid": pid, "application_name": application_name, "client": client, "since": since}
