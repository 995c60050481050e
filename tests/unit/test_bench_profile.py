"""The confirm profile runs and names where the time goes; the group-commit bench prints its
variants side by side; the report appends the hand-written sections of bench/notes after the
measured suites. No timing is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import group_commit, profile_confirm, report


@pytest.mark.parametrize("promise", [False, True])
def test_the_profile_prints_the_confirm_and_its_top_functions(promise: bool) -> None:
    text = profile_confirm.profile("memory", promise, orders=3, top=40, seed=1)
    assert f"memory, promise {'on' if promise else 'off'}: 3 confirms" in text
    assert "confirm_order" in text
    assert ("forecast" in text) is promise


def test_the_page_ends_with_the_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "b.md").write_text("## Second note\n\ntext b\n")
    (notes / "a.md").write_text("## First note\n")
    monkeypatch.setattr(report, "NOTES", notes)
    page = report.render([])
    assert page.index("## First note") < page.index("## Second note") < page.index("text b")
    assert page.endswith("text b\n")


def test_the_group_commit_bench_prints_on_and_off_side_by_side(
    capsys: pytest.CaptureFixture[str],
) -> None:
    group_commit.main(
        ["--rounds", "1", "--orders", "3", "--store-saves", "16", "--threads", "1,4", "--skip-http"]
    )
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    levels = {(row[0], row[1], row[2]) for row in rows if row and row[0] in ("library", "store")}
    assert levels == {
        *(("library", promise, n) for promise in ("off", "on") for n in ("1", "4")),
        ("store", "-", "1"),
        ("store", "-", "4"),
    }
