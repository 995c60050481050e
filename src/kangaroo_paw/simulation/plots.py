"""PNG charts of simulation runs for a kitchen manager (matplotlib, an optional dependency
imported lazily): ticket times against a target, the queue over the service, and how busy
each cook, counter and machine was against the planned load. Shares are in %, every line is
labelled, policies are named in plain words, and the legend's colours are the bars'."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kangaroo_paw.simulation.report import SimReport, bottleneck_words, policy_words

DEFAULT_TARGET_MINUTES = 5.0  # ticket time a fast-casual kitchen aims for (--target)
TARGET_COLOR = "crimson"
END_COLOR = "dimgrey"


class PlottingUnavailable(RuntimeError):
    """matplotlib is not installed."""


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend. Its one-time notice about building
    the font cache (and a temporary cache dir) is not the simulation's output: silenced."""
    for name in ("matplotlib", "matplotlib.font_manager"):
        logging.getLogger(name).setLevel(logging.ERROR)
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


def write_charts(
    reports: Sequence[SimReport],
    folder: Path,
    target_minutes: float = DEFAULT_TARGET_MINUTES,
) -> list[Path]:
    """Ticket time, queue length and utilization charts; one line (or bar group) per policy.
    Returns the files written."""
    plt = pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    charts = {
        "queue_length.png": queue_figure(plt, reports),
        "ticket_time.png": ticket_figure(plt, reports, target_minutes),
        "utilization.png": utilization_figure(plt, reports),
    }
    written = []
    for name, fig in charts.items():
        fig.savefig(folder / name, dpi=110)
        written.append(folder / name)
    plt.close("all")
    return written


def subtitle(reports: Sequence[SimReport]) -> str:
    r = reports[0]
    return (
        f"{r.scenario}, {r.minutes:g} min of orders ({r.rate_per_min:.1f} a minute), "
        f"busiest: {bottleneck_words(r.bottleneck)} at {r.load:.0%}"
    )


def _legend(ax: Any, below: float = 0.14, **kwargs: Any) -> None:
    """The legend ``below`` (axes fractions) under the plot, where it hides no line and
    leaves the plot its width."""
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -below), ncols=2, **kwargs)


def _end_of_orders(ax: Any, minutes: float) -> None:
    """A labelled vertical line where orders stop arriving (headroom above for its label)."""
    ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
    ax.axvline(minutes, color=END_COLOR, linestyle="--", linewidth=1)
    ax.annotate(
        "last order arrives",
        xy=(minutes, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        ha="left",
        va="top",
        color=END_COLOR,
        fontsize="small",
    )


def queue_figure(plt: Any, reports: Sequence[SimReport]) -> Any:
    """Tasks waiting for a cook (solid) and orders not yet finished (dotted), same colour per
    policy, with the moment orders stop arriving marked."""
    fig, ax = plt.subplots(figsize=(11, 7))
    for r in reports:
        minutes = [t / 60 for t, _, _ in r.timeline]
        (line,) = ax.step(
            minutes,
            [q for _, q, _ in r.timeline],
            where="post",
            label=f"{policy_words(r.policy)}: tasks waiting",
        )
        ax.step(
            minutes,
            [o for _, _, o in r.timeline],
            where="post",
            linestyle=":",
            color=line.get_color(),
            label=f"{policy_words(r.policy)}: orders open",
        )
    _end_of_orders(ax, reports[0].minutes)
    ax.set_xlabel("minutes into the service")
    ax.set_ylabel("how many")
    fig.suptitle("Tasks waiting for a cook, and orders not yet finished", fontsize="large")
    ax.set_title(subtitle(reports), fontsize="small")
    _legend(ax)
    fig.tight_layout()
    return fig


def ticket_figure(plt: Any, reports: Sequence[SimReport], target_minutes: float) -> Any:
    """Each order's ticket time (confirm to ready) when it finished, the target, and the
    fastest each order could have been (its longest chain of steps on an idle kitchen)."""
    fig, ax = plt.subplots(figsize=(11, 7))
    for r in reports:
        over = sum(1 for t in r.tickets if t.secs > target_minutes * 60)
        share = over / len(r.tickets) if r.tickets else 0.0
        ax.plot(
            [t.completed_at / 60 for t in r.tickets],
            [t.secs / 60 for t in r.tickets],
            marker=".",
            linewidth=0.8,
            label=(
                f"{policy_words(r.policy)}: average {r.ticket.mean / 60:.1f} min, "
                f"{share:.0%} over target"
            ),
        )
    first = reports[0]
    ax.plot(
        [t.completed_at / 60 for t in first.tickets],
        [t.bound / 60 for t in first.tickets],
        color="black",
        linestyle=":",
        linewidth=0.8,
        label="fastest possible (longest chain of steps)",
    )
    ax.axhline(
        target_minutes,
        color=TARGET_COLOR,
        linestyle="--",
        linewidth=1.5,
        label=f"target: {target_minutes:g} min",
    )
    _end_of_orders(ax, first.minutes)
    ax.set_xlabel("minutes into the service (when the order was ready)")
    ax.set_ylabel("ticket time: order in to order ready (minutes)")
    fig.suptitle("How long each order took", fontsize="large")
    ax.set_title(subtitle(reports), fontsize="small")
    _legend(ax)
    fig.tight_layout()
    return fig


def utilization_figure(plt: Any, reports: Sequence[SimReport]) -> Any:
    """Per cook, counter and machine: the share of its capacity spent cooking (solid) and
    spent reserved for a cook who had not started yet (pale, on top), in %, one colour per
    policy, against the planned load of the busiest resource."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    names = [n for n, u in reports[0].utilization.items() if u.capacity < 50]
    fig, ax = plt.subplots(figsize=(11, 7))
    width = 0.8 / len(reports)
    handles: list[Any] = []
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, r in enumerate(reports):
        color = colors[k % len(colors)]
        xs = [i + k * width for i in range(len(names))]
        busy = [r.utilization[n].busy for n in names]
        waiting = [r.utilization[n].held - r.utilization[n].busy for n in names]
        ax.bar(xs, busy, width, color=color)
        ax.bar(xs, waiting, width, bottom=busy, color=color, alpha=0.35)
        handles.append(Patch(color=color, label=policy_words(r.policy)))
    handles += [
        Patch(color="grey", label="solid: cooking"),
        Patch(color="grey", alpha=0.35, label="pale: assigned, not started yet"),
    ]
    load = reports[0].load
    handles.append(
        ax.axhline(
            load,
            color=TARGET_COLOR,
            linestyle="--",
            linewidth=1.5,
            label=f"planned load of the busiest: {load:.0%}",
        )
    )
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))])
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize="small")
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.set_ylabel("share of capacity while orders arrive")
    fig.suptitle("How busy each cook, counter and machine was", fontsize="large")
    ax.set_title(subtitle(reports), fontsize="small")
    _legend(ax, below=0.2, handles=handles)  # under the slanted resource names
    fig.tight_layout()
    return fig
