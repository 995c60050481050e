"""The simulator's charts and summary read without help: a target line, % axes, labelled
lines, legend colours that are the bars' colours, plain words for policies and the
bottleneck, and no matplotlib notice in ``simulate``'s output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kangaroo_paw.simulation import POLICIES, SimConfig, SimReport, Simulation, demo_scenario
from kangaroo_paw.simulation.report import bottleneck_words, policy_words

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgba
from matplotlib.ticker import PercentFormatter

from kangaroo_paw.simulation import plots

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture(scope="module")
def reports() -> list[SimReport]:
    config = SimConfig(minutes=6, load=0.8, seed=3)
    first = Simulation(demo_scenario(), config)
    second = Simulation(demo_scenario(), SimConfig(minutes=6, load=0.8, seed=3, policy="fifo"))
    return [first.run(), second.run()]


def labels(ax: Any) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_ticket_chart_has_the_target_and_plain_policy_names(reports: list[SimReport]) -> None:
    fig = plots.ticket_figure(plots.pyplot(), reports, target_minutes=4)
    (ax,) = fig.axes
    target = [line for line in ax.get_lines() if line.get_label() == "target: 4 min"]
    assert len(target) == 1
    assert list(target[0].get_ydata()) == [4, 4]
    legend = labels(ax)
    assert legend[0].startswith("oldest order first: average ")
    assert legend[1].startswith("ticket rail: first ready, first cooked: average ")
    assert all("over target" in text for text in legend[:2])
    assert "last order arrives" in [t.get_text() for t in ax.texts]


def test_utilization_is_in_percent_with_the_planned_load_and_true_legend_colours(
    reports: list[SimReport],
) -> None:
    fig = plots.utilization_figure(plots.pyplot(), reports)
    (ax,) = fig.axes
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert ax.get_ylim()[1] <= 1.1  # shares, shown as %
    planned = [line for line in ax.get_lines() if "planned load" in str(line.get_label())]
    assert [list(line.get_ydata()) for line in planned] == [[0.8, 0.8]]
    legend = ax.get_legend()
    by_label = dict(zip(labels(ax), legend.legend_handles, strict=True))
    bars = len(ax.patches) // len(reports)  # per policy: a solid and a pale bar per resource
    for k, report in enumerate(reports):
        solid = ax.patches[k * bars]
        patch = by_label[policy_words(report.policy)]
        assert to_rgba(patch.get_facecolor()) == to_rgba(solid.get_facecolor())


def test_queue_chart_marks_the_end_of_arrivals(reports: list[SimReport]) -> None:
    fig = plots.queue_figure(plots.pyplot(), reports)
    (ax,) = fig.axes
    assert "last order arrives" in [t.get_text() for t in ax.texts]
    ends = [line for line in ax.get_lines() if list(line.get_xdata()) == [6, 6]]
    assert len(ends) == 1
    assert any(text.endswith(": tasks waiting") for text in labels(ax))


def test_policies_and_bottlenecks_in_plain_words() -> None:
    for name in POLICIES:
        assert policy_words(name) != name
    assert bottleneck_words("counter fryer") == "the fryer counter"
    assert bottleneck_words("machine grill-1") == "the machine grill-1"
    assert bottleneck_words("cooks for fryer") == "the cooks who work fryer"
    assert (
        bottleneck_words("cooks for adhoc+fryer+griller")
        == "the cooks who work adhoc, fryer and griller"
    )


def test_simulate_prints_no_matplotlib_notice(tmp_path: Path) -> None:
    """A fresh matplotlib config dir makes matplotlib build its font cache and say so."""
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "KP_DATA_DIR": str(tmp_path / "var"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kangaroo_paw",
            "simulate",
            "--minutes",
            "2",
            "--quiet",
            "--plot",
            str(tmp_path / "charts"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mpl").exists(), "matplotlib did not use the fresh config dir"
    output = proc.stdout + proc.stderr
    assert "font cache" not in output
    assert "Matplotlib" not in output
    assert "fontManager" not in output  # matplotlib 3.9+: "generated new fontManager"
    assert "over the 5:00 target" in proc.stdout
