"""``kangaroo-paw simulate`` and ``kangaroo-paw demo`` end to end, in process."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kangaroo_paw.entrypoints.cli import main
from kangaroo_paw.simulation import POLICIES


def test_simulate_compares_policies_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim.json"
    code = main(
        ["simulate", "--minutes", "8", "--load", "0.6", "--policy", "all", "--json", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "ticket p90 (9 in 10 faster)" in printed
    assert "Policies: ours = oldest order first;" in printed
    assert "original" in printed
    data = json.loads(out.read_text())
    assert [r["policy"] for r in data["runs"]] == list(POLICIES)
    assert len({r["workload_digest"] for r in data["runs"]}) == 1
    assert data["config"]["minutes"] == 8


def test_simulate_by_rate_with_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "coffee.json"
    scenario.write_text('{"mix": [{"items": {"cold_coffee": 1}}], "disruptions": {}}')
    out = tmp_path / "r.json"
    args = ["--minutes", "5", "--rate", "0.5", "--scenario", str(scenario), "--json", str(out)]
    assert main(["simulate", *args]) == 0
    run = json.loads(out.read_text())["runs"][0]
    assert run["rate_per_min"] == pytest.approx(0.5)


def test_simulate_refuses_a_bad_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--scenario", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read scenario" in capsys.readouterr().err


def test_plots_are_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    assert main(["simulate", "--minutes", "5", "--plot", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "queue_length.png",
        "ticket_time.png",
        "utilization.png",
    ]


def test_a_missing_matplotlib_is_said_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["simulate", "--minutes", "3", "--plot", str(tmp_path)]) == 1
    assert "needs matplotlib" in capsys.readouterr().err


def test_demo_runs_a_short_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--minutes", "5"]) == 0
    printed = capsys.readouterr().out
    assert "Lunch service" in printed
    assert "ticket mean" in printed
