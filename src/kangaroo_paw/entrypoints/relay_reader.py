"""The relay's reader process: reads the notification log, decodes it and encodes the wire
records (key and JSON value) in a process of its own, so the relay process spends its CPU
(and its GIL) on kafka-python alone.

The reader only reads: the relay process alone publishes and records its position. It
answers ``(after, limit)`` requests with the encoded batch after ``after`` (exactly what
``envelope_key``/``encode_envelope`` give for ``OutboxLog.event_log(after, limit)``), and the
relay asks for the next batch before it publishes the current one, so reading overlaps
publishing. A reply that does not answer the current question is dropped. If the reader dies,
hangs or cannot start, the batch is read in-process instead and the reader is started again
on the next batch; a read failure inside the reader is raised like an in-process one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from kangaroo_paw.adapters.kafka.publisher import encode_envelope, envelope_key
from kangaroo_paw.adapters.postgres.outbox_log import OutboxLog
from kangaroo_paw.application.relay import EncodedRecord, describe
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)


class ReaderFailed(RuntimeError):
    """The reader process could not read a batch (e.g. the database failed)."""


class _ReaderGone(Exception):
    """The reader process is dead, hung or unreachable."""


def encode_records(envelopes: list[Envelope]) -> list[EncodedRecord]:
    return [(e.notification_id, envelope_key(e), encode_envelope(e)) for e in envelopes]


def serve(settings: Settings, conn: Connection) -> None:
    """The reader process: answers ``(after, limit)`` until ``None`` or the relay is gone."""
    from kangaroo_paw.composition import build_services

    services = build_services(settings, with_queue=False)
    outbox = OutboxLog(services.kitchen)
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return  # the relay process is gone
            if request is None:
                return
            after, limit = request
            reply: tuple[str, int, Any]
            try:
                reply = ("ok", after, encode_records(outbox.event_log(after, limit)))
            except Exception as exc:  # noqa: BLE001 - reported to the relay, which backs off
                reply = ("error", after, describe(exc))
            try:
                conn.send(reply)
            except OSError:
                return
    finally:
        services.close()


class ReaderProcessLog:
    """The ``NotificationLog`` of the relay, plus ``records()`` from a reader process.
    ``event_log`` and ``head_position`` are the in-process ``OutboxLog``'s."""

    def __init__(
        self,
        settings: Settings,
        outbox: OutboxLog,
        *,
        timeout_secs: float = 60.0,
        start_method: str = "spawn",
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.timeout_secs = timeout_secs
        self._context: Any = multiprocessing.get_context(start_method)
        self._process: Any = None
        self._conn: Connection | None = None
        self._pending: tuple[int, int] | None = None
        self.restarts = 0  # reader processes started after the first (diagnostics, tests)
        self.fallbacks = 0  # batches read in-process because the reader failed

    def event_log(self, after: int = 0, limit: int = 100) -> list[Envelope]:
        return self.outbox.event_log(after, limit)

    def head_position(self) -> int:
        return self.outbox.head_position()

    def start(self) -> None:
        """Start the reader process now (it bootstraps while the relay gets ready)."""
        if self._process is not None and self._process.is_alive():
            return
        if self._process is not None:
            self.restarts += 1
        self.stop()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=serve, args=(self.settings, child), name="kp-relay-reader", daemon=True
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    def records(self, after: int, limit: int) -> list[EncodedRecord]:
        try:
            records = self._read(after, limit)
        except _ReaderGone as exc:
            log.warning("relay reader process failed (%s); reading in-process", exc)
            self.fallbacks += 1
            self._abandon()
            return encode_records(self.outbox.event_log(after, limit))
        if len(records) == limit:  # read the next batch while this one is published
            try:
                self._request(records[-1][0], limit)
            except _ReaderGone:
                self._abandon()
        return records

    def _read(self, after: int, limit: int) -> list[EncodedRecord]:
        if self._process is None or not self._process.is_alive():
            self._pending = None
            self.start()
        pending, self._pending = self._pending, None
        if pending != (after, limit):
            if pending is not None:
                self._receive()  # a read ahead nobody wants any more
            self._request(after, limit)
        kind, answered, payload = self._receive()
        if answered != after:
            raise _ReaderGone(f"answer after {answered}, asked after {after}")
        if kind == "error":
            raise ReaderFailed(str(payload))
        return list(payload)

    def _request(self, after: int, limit: int) -> None:
        assert self._conn is not None
        try:
            self._conn.send((after, limit))
        except OSError as exc:
            raise _ReaderGone(describe(exc)) from exc
        self._pending = (after, limit)

    def _receive(self) -> tuple[str, int, Any]:
        assert self._conn is not None
        self._pending = None
        try:
            if not self._conn.poll(self.timeout_secs):
                raise _ReaderGone(f"no answer within {self.timeout_secs} s")
            reply: tuple[str, int, Any] = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise _ReaderGone(describe(exc)) from exc
        return reply

    def _abandon(self) -> None:
        """Forget a broken reader (started again on the next batch)."""
        self._pending = None
        process, self._process = self._process, None
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        if process is not None:
            process.kill()
            process.join(5)
            self._process = process  # so that start() counts the restart

    def stop(self) -> None:
        """Stop the reader process (idempotent)."""
        self._pending = None
        process, self._process = self._process, None
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        if process is not None:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
