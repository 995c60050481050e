"""Group commit for the embedded SQLite event store: concurrent saves share one transaction.

The embedded kitchen has one writer (eventsourcing's pool hands out one writing connection),
so every save used to be its own ``BEGIN ... COMMIT`` with its own WAL sync, one after the
other, while the HTTP handler threads that made them queued for the writer. Here a save that
finds a group being committed queues its events instead; when that commit ends, one waiting
caller becomes the leader, takes every queued save and writes them all in ONE transaction,
each inside its own ``SAVEPOINT``, then commits once.

Each caller keeps its own outcome:

* its notification ids (SQLite rowids, handed out in insertion order inside the single
  writer's transaction, so they stay gapless and in commit order across groups);
* its own ``IntegrityError`` (an aggregate version already taken, a duplicate), which rolls
  back only its savepoint; the rest of the group commits without it and, because a rolled
  back insert gives its rowids back, with no gap in the notification ids;
* any other failure - the commit itself, a disk or lock error, an unexpected exception -
  rolls the whole transaction back and is raised in every caller of the group: a group is
  committed whole or not at all.

Selected with ``APPLICATION_RECORDER_TOPIC`` (eventsourcing's SQLite factory resolves it);
``KP_SQLITE_GROUP_COMMIT=true`` turns it on; the default keeps eventsourcing's one
transaction per save.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic

_SAVEPOINT = "kp_caller"


@dataclass(eq=False)
class _Save:
    """One caller's ``insert_events``, waiting for (or being) its group's commit."""

    stored_events: Sequence[StoredEvent]
    kwargs: dict[str, Any]
    done: bool = False
    ids: Sequence[int] | None = None
    error: BaseException | None = field(default=None)

    def outcome(self) -> Sequence[int] | None:
        if self.error is not None:
            raise self.error
        return self.ids


class GroupCommitApplicationRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder whose concurrent ``insert_events`` calls
    are committed together, each caller still getting its own ids or its own error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = threading.Condition()
        self._queued: list[_Save] = []
        self._leading = False

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        save = _Save(stored_events, kwargs)
        with self._turn:
            self._queued.append(save)
            while self._leading and not save.done:
                self._turn.wait()
            if save.done:  # a leader committed (or failed) it while this caller waited
                return save.outcome()
            self._leading = True
            group, self._queued = self._queued, []
        try:
            self._commit(group)
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()
        return save.outcome()

    def _commit(self, group: list[_Save]) -> None:
        """Write ``group`` in one transaction, a savepoint per caller (none for a caller alone:
        its error rolls the whole transaction back, as eventsourcing's does); settle every
        save."""
        try:
            with self.datastore.get_connection(commit=True) as connection:
                try:
                    with connection.transaction(commit=True) as cursor:
                        if len(group) == 1:  # alone, the transaction is its savepoint
                            alone = group[0]
                            alone.ids = self._insert_events(
                                cursor, alone.stored_events, **alone.kwargs
                            )
                        else:
                            for save in group:
                                self._insert_one(cursor, save)
                except BaseException:
                    # A COMMIT that failed (busy, I/O) leaves the transaction open on the
                    # pooled connection; end it before the next group gets the connection.
                    with contextlib.suppress(sqlite3.Error):
                        connection.rollback()
                    raise
        except BaseException as error:
            # Nothing of the group was written: every caller fails, each with its own copy.
            for save in group:
                save.ids, save.error = None, _copy(error)
            raise
        finally:
            for save in group:
                save.done = True

    def _insert_one(self, cursor: SQLiteCursor, save: _Save) -> None:
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            save.ids = self._insert_events(cursor, save.stored_events, **save.kwargs)
        except (sqlite3.IntegrityError, IntegrityError) as error:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            save.error = error if isinstance(error, IntegrityError) else _integrity(error)
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")


def _integrity(error: sqlite3.IntegrityError) -> IntegrityError:
    """The exception eventsourcing's SQLite transaction raises for a constraint violation."""
    converted = IntegrityError(error)
    converted.__cause__ = error
    return converted


def _copy(error: BaseException) -> BaseException:
    """An exception of the same type for another thread to raise (an exception object raised
    in several threads at once would share, and garble, one traceback)."""
    try:
        copied = type(error)(*error.args)
    except TypeError:  # a type whose constructor does not take its own args back
        copied = PersistenceError(repr(error))
    copied.__cause__ = error
    return copied


RECORDER_TOPIC = get_topic(GroupCommitApplicationRecorder)
