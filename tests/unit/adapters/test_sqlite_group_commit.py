"""The group-commit SQLite recorder: eventsourcing's recorder contract, callers of one group
each getting their own ids and their own error, a group committed whole or not at all, and a
writer killed mid-group leaving only whole saves with gapless notification ids."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteConnection, SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from kangaroo_paw.adapters.sqlite.group_commit import GroupCommitApplicationRecorder

SRC = Path(__file__).resolve().parents[3] / "src"


def open_recorder(path: Path) -> GroupCommitApplicationRecorder:
    recorder = GroupCommitApplicationRecorder(SQLiteDatastore(str(path), lock_timeout=30))
    recorder.create_table()
    return recorder


class _OnAFile:
    """The contract runs on a database file (WAL, a real commit), fresh for each test."""

    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self._dir.cleanup()

    def create_recorder(self) -> GroupCommitApplicationRecorder:
        return open_recorder(Path(self._dir.name) / "events.sqlite")


class TestGroupCommitRecorderContract(_OnAFile, ApplicationRecorderTestCase[Any]):
    pass


class TestGroupCommitNonInterleaving(_OnAFile, NonInterleavingNotificationIDsBaseCase):
    pass


def save(originator: UUID, *versions: int) -> list[StoredEvent]:
    return [StoredEvent(originator, v, "topic", f"{originator}-{v}".encode()) for v in versions]


class Gate:
    """Holds the next writer connection until released, so that saves made meanwhile queue
    up into one group; counts the write transactions."""

    def __init__(self, recorder: GroupCommitApplicationRecorder) -> None:
        self.recorder = recorder
        self.entered = threading.Event()
        self.release = threading.Event()
        self.transactions = 0
        self._get: Callable[..., AbstractContextManager[SQLiteConnection]] = (
            recorder.datastore.get_connection
        )

    @contextmanager
    def get_connection(self, *, commit: bool) -> Iterator[SQLiteConnection]:
        with self._get(commit=commit) as connection:
            if commit:
                self.transactions += 1
                if not self.entered.is_set():
                    self.entered.set()
                    assert self.release.wait(10)
            yield connection

    def queue_behind(
        self, pool: ThreadPoolExecutor, saves: list[list[StoredEvent]]
    ) -> tuple[Future[Any], list[Future[Any]]]:
        """Start a first save that holds the transaction, queue ``saves`` behind it, then let
        the first one commit: ``saves`` are then committed as one group."""
        first = pool.submit(self.recorder.insert_events, save(uuid4(), 1))
        assert self.entered.wait(10)
        queued = [pool.submit(self.recorder.insert_events, s) for s in saves]
        deadline = time.monotonic() + 10
        while len(self.recorder._queued) < len(saves):
            assert time.monotonic() < deadline, "the saves did not queue up"
            time.sleep(0.001)
        self.release.set()
        return first, queued


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GroupCommitApplicationRecorder:
    return open_recorder(tmp_path / "events.sqlite")


def test_callers_of_one_group_get_their_own_ids_and_errors(
    recorder: GroupCommitApplicationRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = uuid4()
    recorder.insert_events(save(taken, 1, 2))
    gate = Gate(recorder)
    monkeypatch.setattr(recorder.datastore, "get_connection", gate.get_connection)
    good = [save(uuid4(), 1, 2, 3) for _ in range(6)]
    conflicting = save(taken, 2, 3)  # version 2 is already stored
    duplicate = [*save(uuid4(), 1), *save(uuid4(), 1)]
    duplicate[1] = StoredEvent(duplicate[0].originator_id, 1, "topic", b"again")
    saves = [good[0], conflicting, *good[1:4], duplicate, *good[4:]]
    with ThreadPoolExecutor(len(saves) + 1) as pool:
        first, queued = gate.queue_behind(pool, saves)
        assert first.result() == [3]
        outcomes = [f.exception() or f.result() for f in queued]

    assert gate.transactions == 2  # the first save alone, then all the queued ones together
    assert isinstance(outcomes[1], IntegrityError)
    assert isinstance(outcomes[5], IntegrityError)
    ids = [o for i, o in enumerate(outcomes) if i not in (1, 5)]
    assert ids == [[4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18], [19, 20, 21]]
    stored = recorder.select_notifications(start=None, limit=100)
    assert [n.id for n in stored] == list(range(1, 22))
    assert [n.originator_version for n in recorder.select_events(taken)] == [1, 2]
    assert recorder.select_events(duplicate[0].originator_id) == []
    for s, got in zip(good, ids, strict=True):
        by_id = {n.id: n for n in stored}
        assert [by_id[i].state for i in got] == [e.state for e in s]


def test_a_failed_commit_fails_every_caller_and_writes_nothing(
    recorder: GroupCommitApplicationRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(recorder)
    monkeypatch.setattr(recorder.datastore, "get_connection", gate.get_connection)
    commit = SQLiteConnection.commit
    commits = 0

    def failing_second_commit(connection: SQLiteConnection) -> None:
        nonlocal commits
        commits += 1
        if commits == 2:
            raise sqlite3.OperationalError("disk I/O error")
        commit(connection)

    monkeypatch.setattr(SQLiteConnection, "commit", failing_second_commit)
    saves = [save(uuid4(), 1, 2) for _ in range(5)]
    with ThreadPoolExecutor(len(saves) + 1) as pool:
        first, queued = gate.queue_behind(pool, saves)
        assert first.result() == [1]
        errors = [f.exception() for f in queued]

    assert all(isinstance(e, OperationalError) for e in errors), errors
    assert len({id(e) for e in errors}) == len(errors)  # each thread raised its own
    assert [n.id for n in recorder.select_notifications(start=None, limit=100)] == [1]
    assert recorder.insert_events(save(uuid4(), 1)) == [2]  # the next group carries on


def test_an_unexpected_error_in_one_save_fails_its_whole_group(
    recorder: GroupCommitApplicationRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(recorder)
    monkeypatch.setattr(recorder.datastore, "get_connection", gate.get_connection)
    unbindable = [StoredEvent(uuid4(), 1, "topic", object())]  # type: ignore[arg-type]
    saves = [save(uuid4(), 1), unbindable, save(uuid4(), 1)]
    with ThreadPoolExecutor(len(saves) + 1) as pool:
        first, queued = gate.queue_behind(pool, saves)
        first.result()
        errors = [f.exception() for f in queued]

    assert all(e is not None and not isinstance(e, IntegrityError) for e in errors), errors
    assert len(recorder.select_notifications(start=None, limit=100)) == 1


def test_racing_saves_each_get_their_own_ids_or_their_own_conflict(
    recorder: GroupCommitApplicationRecorder,
) -> None:
    hot = uuid4()  # every third save races the others for the next version of one aggregate
    start = threading.Barrier(8)

    def caller(n: int) -> list[tuple[list[StoredEvent], object]]:
        start.wait()
        outcomes: list[tuple[list[StoredEvent], object]] = []
        for k in range(25):
            if k % 3 == 0:
                taken = len(recorder.select_events(hot))
                events = [StoredEvent(hot, taken + 1, "topic", f"hot-{n}-{k}".encode())]
            else:
                events = save(uuid4(), 1, 2)
            try:
                outcomes.append((events, recorder.insert_events(events)))
            except IntegrityError as error:
                outcomes.append((events, error))
        return outcomes

    with ThreadPoolExecutor(8) as pool:
        outcomes = [o for per in pool.map(caller, range(8)) for o in per]

    stored = {n.id: n for n in recorder.select_notifications(start=None, limit=10_000)}
    assert sorted(stored) == list(range(1, len(stored) + 1))
    written = [(events, ids) for events, ids in outcomes if isinstance(ids, list)]
    conflicts = [events for events, error in outcomes if isinstance(error, IntegrityError)]
    assert len(written) + len(conflicts) == len(outcomes)
    assert sum(len(ids) for _, ids in written) == len(stored)
    for events, ids in written:
        assert [stored[i].state for i in ids] == [e.state for e in events]
    states = {n.state for n in stored.values()}
    assert all(e.state not in states for events in conflicts for e in events)
    assert all(e.originator_id == hot for events in conflicts for e in events)
    hot_versions = [e.originator_version for e in recorder.select_events(hot)]
    assert hot_versions == list(range(1, len(hot_versions) + 1))


WRITER = textwrap.dedent(
    """
    import sys, threading
    from uuid import uuid4
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteDatastore
    from kangaroo_paw.adapters.sqlite.group_commit import GroupCommitApplicationRecorder

    recorder = GroupCommitApplicationRecorder(SQLiteDatastore(sys.argv[1], lock_timeout=30))
    recorder.create_table()
    lock = threading.Lock()

    def write():
        while True:
            oid = uuid4()
            ids = recorder.insert_events(
                [StoredEvent(oid, v, "topic", b"x" * 200) for v in range(1, 6)]
            )
            with lock:
                print(oid.hex, *ids, flush=True)

    for _ in range(8):
        threading.Thread(target=write, daemon=True).start()
    threading.Event().wait()
    """
)


def test_a_writer_killed_mid_group_leaves_whole_saves_and_gapless_ids(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().split() for _ in range(300)]
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    rest = writer.stdout.read().splitlines()
    acknowledged += [line.split() for line in rest if len(line.split()) == 6]

    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version FROM stored_events ORDER BY rowid"
        ).fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    versions: dict[str, list[int]] = {}
    for _, originator, version in rows:
        versions.setdefault(originator, []).append(version)
    assert all(v == [1, 2, 3, 4, 5] for v in versions.values())
    by_rowid = {r[0]: (r[1], r[2]) for r in rows}
    for originator, *ids in acknowledged:
        assert [by_rowid[int(i)] for i in ids] == [(originator, v) for v in range(1, 6)]
