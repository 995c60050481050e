"""The read-only loads a confirm uses instead of deep copies (``peek``, ``members``,
``machine_capacities``): they see every saved change, hand out copies where a caller could
change what it holds, and never let a caller's read reach the stored state."""

from __future__ import annotations

from pathlib import Path

import pytest

from kangaroo_paw.application.core import RECIPES, STATIONS
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.directory import Directory
from kangaroo_paw.domain.errors import NotFound
from kangaroo_paw.domain.station import Station
from unit.application.kitchen_harness import build_harness


@pytest.mark.parametrize("persistence", ["popo", "sqlite"])
def test_machine_capacities_follow_saved_changes(persistence: str, tmp_path: Path) -> None:
    harness = build_harness(persistence, tmp_path)
    try:
        kitchen = harness.kitchen
        before = kitchen.machine_capacities()
        expected = {
            name: station.capacity
            for name, station in kitchen.stations().items()
            if station.kind == "machine"
        }
        assert before == expected
        assert before
        harness.confirm({"burger_combo": 1}, "first")
        counter = next(n for n, s in kitchen.stations().items() if s.kind == "counter")
        kitchen.add_machine("salamander", counter, 3)
        assert kitchen.machine_capacities() == {**before, "salamander": 3}
        assert "salamander" in kitchen.members(STATIONS)
        # A confirm after the change still explodes with the same recipes.
        assert harness.confirm({"burger_combo": 1}, "second").tasks
    finally:
        harness.close()


def test_members_is_a_copy_and_peek_checks_the_kind(tmp_path: Path) -> None:
    harness = build_harness("popo", tmp_path)
    try:
        kitchen = harness.kitchen
        recipes = kitchen.members(RECIPES)
        recipes["ghost"] = ids.directory_id("ghost")
        assert "ghost" not in kitchen.members(RECIPES)
        assert kitchen.members("no-such-kind") == {}
        directory_id = ids.directory_id(STATIONS)
        assert isinstance(kitchen.peek(Directory, directory_id), Directory)
        with pytest.raises(NotFound):
            kitchen.peek(Station, directory_id)
        with pytest.raises(NotFound):
            kitchen.peek(Station, ids.directory_id("no-such-kind"))
    finally:
        harness.close()
