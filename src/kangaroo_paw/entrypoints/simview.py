"""Terminal rendering of simulation runs (rich): a progress bar and the report tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kangaroo_paw.simulation import Progress as SimProgress
from kangaroo_paw.simulation import SimReport


def mmss(secs: float) -> str:
    secs = max(0.0, secs)
    return f"{int(secs // 60)}:{int(secs % 60):02d}"


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[Callable[[SimProgress], None]]:
    """A bar over the arrival window; after it, the run shows the orders still open."""
    if not console.is_terminal:
        yield lambda _p: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TextColumn("orders {task.fields[done]}/{task.fields[arrived]}"),
        TextColumn("queue {task.fields[queue]:>3}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=1.0, clock="0:00", done=0, arrived=0, queue=0)

        def update(p: SimProgress) -> None:
            past = p.now_secs > p.window_secs
            bar.update(
                task,
                completed=min(1.0, p.now_secs / p.window_secs) if p.window_secs else 1.0,
                description=f"{label} (finishing {p.open_orders} open)" if past else label,
                clock=mmss(p.now_secs),
                done=p.completed,
                arrived=p.arrived,
                queue=p.queue_length,
            )

        yield update


def headline(reports: Sequence[SimReport]) -> Table:
    """Ticket times and the other figures, one column per run (policy)."""
    first = reports[0]
    table = Table(
        title=(
            f"{first.scenario}: {first.minutes:g} simulated min at load {first.load:.0%} "
            f"({first.rate_per_min:.2f} orders/min), seed {first.seed}"
        ),
        caption=f"bottleneck: {first.bottleneck}; times in min:s",
    )
    table.add_column("")
    for r in reports:
        table.add_column(r.policy, justify="right")
    rows: list[tuple[str, Callable[[SimReport], str]]] = [
        ("orders arrived / completed", lambda r: f"{r.orders_arrived} / {r.orders_completed}"),
        ("ticket mean", lambda r: mmss(r.ticket.mean)),
        ("ticket p50", lambda r: mmss(r.ticket.p50)),
        ("ticket p90", lambda r: mmss(r.ticket.p90)),
        ("ticket p99", lambda r: mmss(r.ticket.p99)),
        ("lower bound mean (critical path)", lambda r: mmss(r.bound.mean)),
        ("mean ticket / mean bound", lambda r: f"{r.ticket_to_bound:.2f}"),
        ("bound with actual durations, mean", lambda r: mmss(r.realized_bound.mean)),
        ("ready-queue wait mean", lambda r: mmss(r.ready_wait.mean)),
        ("ready-queue wait p90", lambda r: mmss(r.ready_wait.p90)),
        ("mean ready-queue length", lambda r: f"{r.mean_queue_length:.1f}"),
        ("throughput (orders/min in window)", lambda r: f"{r.throughput_per_min:.2f}"),
        ("requeues", lambda r: str(r.requeues)),
        ("allocation passes", lambda r: str(r.passes)),
        ("last order done at", lambda r: mmss(r.makespan_secs)),
        ("wall time (s)", lambda r: f"{r.wall_secs:.1f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in reports))
    return table


def utilization(reports: Sequence[SimReport]) -> Table:
    table = Table(title="Utilization over the arrival window: held (busy) / out of service")
    table.add_column("resource")
    table.add_column("slots", justify="right")
    for r in reports:
        table.add_column(r.policy, justify="right")
    for name, use in reports[0].utilization.items():
        cells = []
        for r in reports:
            u = r.utilization[name]
            text = f"{u.held:.0%} ({u.busy:.0%})"
            if u.out_of_service:
                text += f" / {u.out_of_service:.0%}"
            cells.append(text)
        table.add_row(name, str(use.capacity), *cells)
    return table
