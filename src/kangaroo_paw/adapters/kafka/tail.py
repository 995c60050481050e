"""KafkaTail: reads every partition of the event topic without a consumer group, for
``kangaroo-paw tail`` (no offsets are committed, so it never disturbs the real consumers)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TailRecord:
    """One record of the topic: where it sits, and its JSON envelope (``None`` if not JSON)."""

    partition: int
    offset: int
    key: str | None
    timestamp_ms: int
    value: dict[str, Any] | None
    raw: bytes


class KafkaTail:
    """Assigns all partitions of ``topic`` and starts at the beginning or at the end."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        from_beginning: bool = False,
        client_id: str = "kangaroo-paw-tail",
        wait_for_topic_secs: float = 10.0,
    ) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.topic = topic
        self.consumer: Any = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","),
            client_id=client_id,
            group_id=None,
            enable_auto_commit=False,
        )
        deadline = time.monotonic() + wait_for_topic_secs
        partitions: set[int] = set()
        while True:
            partitions = set(self.consumer.partitions_for_topic(topic) or ())
            if partitions or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        if not partitions:
            self.consumer.close()
            raise LookupError(f"topic {topic!r} has no partitions (does it exist?)")
        self.partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self.consumer.assign(self.partitions)
        if from_beginning:
            self.consumer.seek_to_beginning(*self.partitions)
        else:
            self.consumer.seek_to_end(*self.partitions)
            for tp in self.partitions:  # resolve "the end" now, not at the first fetch
                self.consumer.position(tp)

    def records(self, idle_timeout: float | None = None) -> Iterator[TailRecord]:
        """Yield records as they arrive; stop after ``idle_timeout`` seconds without one."""
        last = time.monotonic()
        while True:
            batch: dict[Any, list[Any]] = self.consumer.poll(timeout_ms=500)
            if batch:
                last = time.monotonic()
            for tp in sorted(batch, key=lambda t: t.partition):
                for message in batch[tp]:
                    yield _record(message)
            if not batch and idle_timeout is not None and time.monotonic() - last >= idle_timeout:
                return

    def close(self) -> None:
        self.consumer.close()


def _record(message: Any) -> TailRecord:
    raw: bytes = message.value or b""
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    key = message.key.decode("utf-8", "replace") if message.key else None
    return TailRecord(
        partition=message.partition,
        offset=message.offset,
        key=key,
        timestamp_ms=int(message.timestamp or 0),
        value=value if isinstance(value, dict) else None,
        raw=raw,
    )
