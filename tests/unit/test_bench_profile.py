"""The confirm profile runs and names where the time goes; the report appends the
hand-written sections of bench/notes after the measured suites. No timing is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import profile_confirm, report


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
