"""The Recipe aggregate: a menu item's steps and dependencies, revised over time."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import InvalidTransition
from kangaroo_paw.domain.recipes import Dependency, RecipeStep


class Recipe(Aggregate):
    """Steps and dependencies of a menu item. Orders copy what they need at confirm time, so a
    revision never changes an order already confirmed. Being 86'd (out of stock for now) is
    apart from being retired (off the menu): either keeps new orders away."""

    TOPIC = "kangaroo_paw.recipe.v1"
    class_version = 2  # snapshots: availability (v2)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Recipes snapshotted before 86 existed were available."""
        state["available"] = True

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.recipe.defined.v1"
        WIRE: ClassVar[str] = "RECIPE_DEFINED"
        item_key: str
        steps: list[dict[str, Any]]
        dependencies: list[list[int]]

    class Revised(Aggregate.Event):
        TOPIC = "kangaroo_paw.recipe.revised.v1"
        WIRE: ClassVar[str] = "RECIPE_REVISED"
        steps: list[dict[str, Any]]
        dependencies: list[list[int]]
        revision: int

    class Retired(Aggregate.Event):
        TOPIC = "kangaroo_paw.recipe.retired.v1"
        WIRE: ClassVar[str] = "RECIPE_RETIRED"
        revision: int

    class MarkedUnavailable(Aggregate.Event):
        TOPIC = "kangaroo_paw.recipe.marked_unavailable.v1"
        WIRE: ClassVar[str] = "RECIPE_86ED"
        marked_at: datetime

    class MarkedAvailable(Aggregate.Event):
        TOPIC = "kangaroo_paw.recipe.marked_available.v1"
        WIRE: ClassVar[str] = "RECIPE_AVAILABLE"
        marked_at: datetime

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        item_key: str,
        steps: list[dict[str, Any]],
        dependencies: list[list[int]],
    ) -> None:
        self.item_key = item_key
        self.step_data = [dict(s) for s in steps]
        self.dependency_data = [list(d) for d in dependencies]
        self.revision = 1
        self.retired = False
        self.available = True

    @property
    def steps(self) -> list[RecipeStep]:
        return [RecipeStep.from_dict(s) for s in self.step_data]

    @property
    def dependencies(self) -> list[Dependency]:
        return [(int(a), int(b)) for a, b in self.dependency_data]

    def revise(self, steps: list[RecipeStep], dependencies: list[Dependency]) -> None:
        """Validated by the caller (it needs the kitchen's counters and machines)."""
        self._revised(
            steps=[s.to_dict() for s in steps],
            dependencies=[[a, b] for a, b in dependencies],
            revision=self.revision + 1,
        )

    def retire(self) -> None:
        if self.retired:
            raise InvalidTransition(f"recipe {self.item_key!r} is already retired")
        self._retired(revision=self.revision + 1)

    def mark_available(self, available: bool, at: datetime) -> bool:
        """86 the item (False) or bring it back (True); False when it already was."""
        if available == self.available:
            return False
        if available:
            self._marked_available(marked_at=at)
        else:
            self._marked_unavailable(marked_at=at)
        return True

    @event(Revised)
    def _revised(
        self, steps: list[dict[str, Any]], dependencies: list[list[int]], revision: int
    ) -> None:
        self.step_data = [dict(s) for s in steps]
        self.dependency_data = [list(d) for d in dependencies]
        self.revision = revision
        self.retired = False

    @event(Retired)
    def _retired(self, revision: int) -> None:
        self.revision = revision
        self.retired = True

    @event(MarkedUnavailable)
    def _marked_unavailable(self, marked_at: datetime) -> None:
        self.available = False

    @event(MarkedAvailable)
    def _marked_available(self, marked_at: datetime) -> None:
        self.available = True
