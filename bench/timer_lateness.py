"""How late the timer shards fire, on the Temporal dev server alone: a worker of this
process whose handlers only record when each timer's command ran, and timers armed through
the production scheduler at a steady rate (``--rate`` per second over ``--seconds``), each
due ``--due`` seconds after it is armed, spread over the shards. Lateness = when the
command ran - the timer's due time. No kitchen, store or Kafka: this isolates the workflow
and the server from the rest of the stack (``python -m bench e2e`` measures everything).

    python -m bench.timer_lateness                        # 5/s for 30 s, due in 2 s
    python -m bench.timer_lateness --rate 20 --due 1.5

Compare two versions of the workflow side by side by running this once per version in
interleaved rounds (e.g. ``PYTHONPATH=<old checkout>/src``). Writes nothing under
bench/results; benchmarks report, they assert nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from temporalio.client import Client

from kangaroo_paw.adapters.temporal.loop import LoopThread
from kangaroo_paw.adapters.temporal.scheduler import TemporalScheduler
from kangaroo_paw.adapters.temporal.worker import KitchenWorker
from kangaroo_paw.ports.scheduler import Timer
from kangaroo_paw.settings import Settings


class Recorder:
    """TimerHandlers that only note when each completion ran."""

    def __init__(self) -> None:
        self.ran: dict[UUID, float] = {}
        self._lock = threading.Lock()

    def allocate_now(self) -> int:
        return 0

    def auto_complete(self, task_id: UUID, start_no: int) -> bool:
        with self._lock:
            self.ran.setdefault(task_id, time.time())
        return True

    def requeue_stale(self, task_id: UUID, assignment_no: int) -> bool:
        return False


def measure(rate: float, seconds: float, due_secs: float, shards: int) -> list[float]:
    """Lateness in ms of every timer armed (a timer that never ran is left out and
    reported by the caller as missing)."""
    settings = Settings.from_env()
    loop = LoopThread("kp-bench-timers")
    client: Client = loop.run(
        Client.connect(settings.temporal_address, namespace=settings.temporal_namespace), 30
    )
    suffix = uuid.uuid4().hex[:10]
    kitchen, queue = f"bench-{suffix}", f"kp-bench-{suffix}"
    recorder = Recorder()
    stop = asyncio.Event()

    async def serve() -> None:  # a Temporal worker is built on its running loop
        await KitchenWorker(client, queue, recorder, None).run_until(stop)

    worker = loop.submit(serve())
    scheduler = TemporalScheduler(
        client, kitchen=kitchen, task_queue=queue, loop=loop, owns_loop=False, timer_shards=shards
    )
    due: dict[UUID, float] = {}
    began = time.monotonic()
    for n in range(int(rate * seconds)):
        time.sleep(max(0.0, began + n / rate - time.monotonic()))
        task_id = uuid.uuid4()
        at = datetime.now(UTC) + timedelta(seconds=due_secs)
        due[task_id] = at.timestamp()
        scheduler.schedule_timers([Timer.completion(task_id, 1, at)])
    deadline = time.monotonic() + due_secs + 30
    while len(recorder.ran) < len(due) and time.monotonic() < deadline:
        time.sleep(0.2)
    loop.loop.call_soon_threadsafe(stop.set)
    worker.result(60)
    loop.stop()
    return [(recorder.ran[t] - at) * 1000 for t, at in due.items() if t in recorder.ran]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5.0, help="timers armed per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--due", type=float, default=2.0, help="seconds from arming to due")
    parser.add_argument("--shards", type=int, default=Settings.from_env().temporal_timer_shards)
    args = parser.parse_args(argv)
    late = sorted(measure(args.rate, args.seconds, args.due, args.shards))
    armed = int(args.rate * args.seconds)
    if not late:
        print(f"no timer ran of {armed}")
        return
    q = statistics.quantiles(late, n=100, method="inclusive")
    print(
        f"{len(late)}/{armed} timers ran; lateness ms: median {statistics.median(late):.0f}, "
        f"p90 {q[89]:.0f}, p99 {q[98]:.0f}, max {late[-1]:.0f}"
    )


if __name__ == "__main__":
    main()
