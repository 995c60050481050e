"""Terminal rendering of simulation runs (rich): a progress bar and the report tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kangaroo_paw.simulation import Progress as SimProgress
from kangaroo_paw.simulation import SimReport
from kangaroo_paw.simulation.report import bottleneck_words, policy_words


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


WORDY_COLUMNS = 2  # up to this many runs, a column's header says what its policy does


def column(policy: str, runs: int) -> str:
    """A table column's header: what the policy does and its ``--policy`` name, or only the
    name when many columns share the width (``policies`` then spells them out)."""
    return f"{policy_words(policy)} ({policy})" if runs <= WORDY_COLUMNS else policy


def policies(reports: Sequence[SimReport]) -> str:
    """The caption line that names the policies of narrow columns in plain words."""
    if len(reports) <= WORDY_COLUMNS:
        return ""
    return "\nPolicies: " + "; ".join(f"{r.policy} = {policy_words(r.policy)}" for r in reports)


def headline(reports: Sequence[SimReport], target_secs: float) -> Table:
    """Ticket times and the other figures, one column per run (policy), in a manager's
    words: what was ordered, how long tickets took against the target, where work waited."""
    first = reports[0]
    table = Table(
        title=(
            f"{first.scenario}: {first.minutes:g} minutes of orders, "
            f"{first.rate_per_min:.2f} a minute (seed {first.seed})"
        ),
        caption=(
            f"Busiest part of the kitchen: {bottleneck_words(first.bottleneck)}, planned at "
            f"{first.load:.0%} of its capacity. Times in min:s." + policies(reports)
        ),
    )
    table.add_column("", no_wrap=True)
    for r in reports:
        table.add_column(column(r.policy, len(reports)), justify="right")

    def over_target(r: SimReport) -> str:
        over = sum(1 for t in r.tickets if t.secs > target_secs)
        return f"{over} ({over / len(r.tickets):.0%})" if r.tickets else "-"

    rows: list[tuple[str, Callable[[SimReport], str]]] = [
        ("orders in / ready", lambda r: f"{r.orders_arrived} / {r.orders_completed}"),
        ("ticket mean", lambda r: mmss(r.ticket.mean)),
        ("ticket median", lambda r: mmss(r.ticket.p50)),
        ("ticket p90 (9 in 10 faster)", lambda r: mmss(r.ticket.p90)),
        ("ticket p99", lambda r: mmss(r.ticket.p99)),
        (f"over the {mmss(target_secs)} target", over_target),
        ("fastest possible, mean", lambda r: mmss(r.bound.mean)),
        ("mean ticket / fastest possible", lambda r: f"{r.ticket_to_bound:.2f}"),
        ("fastest with actual cook times", lambda r: mmss(r.realized_bound.mean)),
        ("waiting to be assigned, mean", lambda r: mmss(r.ready_wait.mean)),
        ("waiting to be assigned, p90", lambda r: mmss(r.ready_wait.p90)),
        ("tasks waiting, on average", lambda r: f"{r.mean_queue_length:.1f}"),
        ("orders ready per minute", lambda r: f"{r.throughput_per_min:.2f}"),
        ("tasks taken back (not started)", lambda r: str(r.requeues)),
        ("allocation passes", lambda r: str(r.passes)),
        ("last order ready at", lambda r: mmss(r.makespan_secs)),
        ("computer time (s)", lambda r: f"{r.wall_secs:.1f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in reports))
    return table


def utilization(reports: Sequence[SimReport]) -> Table:
    table = Table(
        title="How busy each cook, counter and machine was while orders arrived",
        caption=(
            "held = assigned or cooking; (busy) = cooking; after a slash: time out of "
            "service (a machine down, a cook on break)" + policies(reports)
        ),
    )
    table.add_column("resource", no_wrap=True)
    table.add_column("slots", justify="right")
    for r in reports:
        table.add_column(column(r.policy, len(reports)), justify="right")
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
