"""86 and back: a recipe's availability is apart from its revision and retirement."""

from __future__ import annotations

import uuid
from typing import Any

from domain_builders import at, replayed

from kangaroo_paw.domain.recipe import Recipe
from kangaroo_paw.domain.recipes import RecipeStep

STEP = RecipeStep(1, "fry fries", "fryer", None, 90.0, 18.0)


def make_recipe() -> Recipe:
    return Recipe(id=uuid.uuid4(), item_key="fries", steps=[STEP.to_dict()], dependencies=[])


def test_a_new_recipe_is_available_and_86_and_back_record_one_event_each() -> None:
    recipe = make_recipe()
    assert recipe.available
    assert recipe.mark_available(False, at(1))
    assert not recipe.mark_available(False, at(2))  # already 86'd: nothing recorded
    assert not recipe.available
    assert recipe.mark_available(True, at(3))
    assert not recipe.mark_available(True, at(4))
    events = recipe.collect_events()
    kinds = [type(e) for e in events]
    assert kinds == [Recipe.Created, Recipe.MarkedUnavailable, Recipe.MarkedAvailable]
    assert [getattr(e, "marked_at", None) for e in events[1:]] == [at(1), at(3)]


def test_revision_and_retirement_leave_availability_alone() -> None:
    recipe = make_recipe()
    recipe.mark_available(False, at(1))
    recipe.revise([STEP], [])
    assert not recipe.available
    assert recipe.revision == 2
    recipe.retire()
    recipe.mark_available(True, at(2))
    assert recipe.available
    assert recipe.retired
    assert replayed(recipe) == dict(vars(recipe))


def test_a_snapshot_from_before_86_is_available() -> None:
    state: dict[str, Any] = {"item_key": "fries"}
    Recipe.upcast_v1_v2(state)
    assert state == {"item_key": "fries", "available": True}
