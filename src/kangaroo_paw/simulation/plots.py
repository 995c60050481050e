"""PNG charts of simulation runs (matplotlib, an optional dependency imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kangaroo_paw.simulation.report import SimReport


class PlottingUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlottingUnavailable(
            "--plot needs matplotlib, which is not installed: pip install matplotlib "
            "(or the 'sim' extra: pip install 'kangaroo-paw[sim]')"
        ) from exc
    return plt


def write_charts(reports: Sequence[SimReport], folder: Path) -> list[Path]:
    """Queue length and ticket time over time, and utilization per resource; one line (or
    bar group) per policy. Returns the files written."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _queue(plt, reports, folder / "queue_length.png"),
        _tickets(plt, reports, folder / "ticket_time.png"),
        _utilization(plt, reports, folder / "utilization.png"),
    ]
    plt.close("all")
    return written


def _title(reports: Sequence[SimReport], what: str) -> str:
    r = reports[0]
    return f"{what} — {r.scenario}, load {r.load:.0%}, seed {r.seed}"


def _queue(plt: Any, reports: Sequence[SimReport], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for r in reports:
        minutes = [t / 60 for t, _, _ in r.timeline]
        ax.step(minutes, [q for _, q, _ in r.timeline], where="post", label=f"{r.policy} ready")
        ax.step(
            minutes,
            [o for _, _, o in r.timeline],
            where="post",
            linestyle=":",
            label=f"{r.policy} open orders",
        )
    ax.axvline(reports[0].minutes, color="grey", linewidth=0.8)
    ax.set_xlabel("simulated minutes")
    ax.set_ylabel("count")
    ax.set_title(_title(reports, "Ready queue length and open orders"))
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _tickets(plt: Any, reports: Sequence[SimReport], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for r in reports:
        ax.plot(
            [t.completed_at / 60 for t in r.tickets],
            [t.secs / 60 for t in r.tickets],
            marker=".",
            linewidth=0.8,
            label=f"{r.policy} (mean {r.ticket.mean / 60:.1f} min)",
        )
    first = reports[0]
    ax.plot(
        [t.completed_at / 60 for t in first.tickets],
        [t.bound / 60 for t in first.tickets],
        color="black",
        linestyle="--",
        linewidth=0.8,
        label="lower bound (critical path)",
    )
    ax.set_xlabel("completed at (simulated minutes)")
    ax.set_ylabel("ticket time (minutes)")
    ax.set_title(_title(reports, "Ticket time (confirm → completed)"))
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _utilization(plt: Any, reports: Sequence[SimReport], path: Path) -> Path:
    names = [n for n, u in reports[0].utilization.items() if u.capacity < 50]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    width = 0.8 / len(reports)
    for k, r in enumerate(reports):
        xs = [i + k * width for i in range(len(names))]
        ax.bar(xs, [r.utilization[n].held for n in names], width, label=f"{r.policy} held")
        ax.bar(
            xs,
            [r.utilization[n].busy for n in names],
            width * 0.5,
            color="black",
            alpha=0.35,
            label="busy (started)" if k == 0 else None,
        )
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))])
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize="small")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of capacity over the arrival window")
    ax.set_title(_title(reports, "Utilization per resource"))
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
