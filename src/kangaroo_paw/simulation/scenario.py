"""What a simulated kitchen is made of: counters, machines, cooks, recipes, the order mix and
the disruptions (the demo kitchen by default, or a JSON/TOML file)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kangaroo_paw.application import demo_kitchen
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.recipes import Dependency, RecipeStep, build_dependencies
from kangaroo_paw.domain.recipes import critical_path_secs as _critical_path


class ScenarioError(ValueError):
    """A scenario file that cannot describe a kitchen."""


@dataclass(frozen=True, slots=True)
class CookSpec:
    """A cook to hire: skills (counter names), parallel limit, efficiency."""

    name: str
    skills: tuple[str, ...]
    max_parallel: int
    efficiency: float = 1.0


@dataclass(frozen=True, slots=True)
class RecipeSpec:
    """A menu item's steps and explicit dependencies, as the kitchen defines it."""

    item_key: str
    steps: tuple[RecipeStep, ...]
    dependencies: tuple[Dependency, ...]


@dataclass(frozen=True, slots=True)
class OrderTemplate:
    """One kind of ticket in the menu mix, drawn with probability ∝ ``weight``."""

    items: Mapping[str, int]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class PlannedOutage:
    """A machine down or a cook on break from ``at_minute`` for ``minutes`` (every run)."""

    name: str
    at_minute: float
    minutes: float


@dataclass(frozen=True, slots=True)
class Disruptions:
    """Breaks (each cook takes a ``break_minutes`` break per ``break_every_minutes`` of service,
    at a random time) and machine failures (Poisson with a mean time between failures per
    machine; exponential repair times, capped at three times their mean)."""

    break_every_minutes: float = 90.0
    break_minutes: float = 5.0
    machine_mtbf_minutes: float = 180.0
    machine_repair_minutes: float = 3.0
    machines: tuple[str, ...] | None = None  # None: every machine can fail
    planned: tuple[PlannedOutage, ...] = ()

    @classmethod
    def none(cls) -> Disruptions:
        return cls(break_every_minutes=0.0, machine_mtbf_minutes=0.0, planned=())


@dataclass(frozen=True, slots=True)
class Scenario:
    """A kitchen to simulate, the orders it gets and what goes wrong in it."""

    name: str
    counters: Mapping[str, int]
    machines: Mapping[str, tuple[str, int]]
    cooks: tuple[CookSpec, ...]
    recipes: Mapping[str, RecipeSpec]
    mix: tuple[OrderTemplate, ...]
    rush_share: float = 0.1
    disruptions: Disruptions = field(default_factory=Disruptions)
    machine_kinds: Mapping[str, str] = field(default_factory=dict)  # machine → kind (pool)

    def unit_dependencies(self, item_key: str) -> dict[int, list[int]]:
        """The per-unit dependency graph the kitchen will build for ``item_key``."""
        recipe = self.recipes[item_key]
        capacities = {name: cap for name, (_, cap) in self.machines.items()}
        return build_dependencies(recipe.steps, recipe.dependencies, capacities)

    def critical_path_secs(self, items: Mapping[str, int]) -> float:
        """Ticket-time lower bound of an order: its longest unit critical path (estimates)."""
        return max(
            (_critical_path(self.recipes[key].steps, self.unit_dependencies(key)) for key in items),
            default=0.0,
        )

    def without_disruptions(self) -> Scenario:
        return _replace(self, disruptions=Disruptions.none())


def _replace(scenario: Scenario, **changes: Any) -> Scenario:
    values = {name: getattr(scenario, name) for name in Scenario.__slots__}
    values.update(changes)
    return Scenario(**values)


# A lunch-peak mix over the demo menu: meals with a drink, wraps, drinks alone, a family order.
DEMO_MIX = (
    OrderTemplate({"burger_combo": 1, "cold_coffee": 1}, 3),
    OrderTemplate({"burger_combo": 1, "dip_cup": 1}, 2),
    OrderTemplate({"wrap": 1, "cold_coffee": 1}, 2),
    OrderTemplate({"wrap": 2, "dip_cup": 1}, 1),
    OrderTemplate({"cold_coffee": 2}, 1),
    OrderTemplate({"burger_combo": 2, "cold_coffee": 2, "dip_cup": 2}, 1),
)


def demo_scenario() -> Scenario:
    """The demo kitchen (docs/domain.md) with a lunch-peak order mix."""
    recipes = {
        key: RecipeSpec(key, tuple(demo_kitchen.recipe_steps(key)), tuple(deps))
        for key, (_, deps) in demo_kitchen.RECIPES.items()
    }
    cooks = tuple(
        CookSpec(name, tuple(skills), max_parallel, efficiency)
        for name, max_parallel, efficiency, skills in demo_kitchen.STAFF
    )
    return Scenario(
        name="demo kitchen",
        counters=dict(demo_kitchen.COUNTERS),
        machines=dict(demo_kitchen.MACHINES),
        cooks=cooks,
        recipes=recipes,
        mix=DEMO_MIX,
    )


def seed_kitchen(kitchen: Kitchen, scenario: Scenario) -> None:
    """Define the scenario's counters, machines, cooks (on shift all day) and recipes."""
    for name, capacity in scenario.counters.items():
        kitchen.add_counter(name, capacity)
    for name, (counter, capacity) in scenario.machines.items():
        kitchen.add_machine(name, counter, capacity, scenario.machine_kinds.get(name))
    for cook in scenario.cooks:
        kitchen.hire_staff(cook.name, cook.skills, cook.max_parallel, cook.efficiency)
    for recipe in scenario.recipes.values():
        kitchen.define_recipe(recipe.item_key, recipe.steps, recipe.dependencies)


# -- files -------------------------------------------------------------------------------------


def load_scenario(path: Path) -> Scenario:
    """Read a JSON or TOML scenario; every section it leaves out comes from the demo kitchen.

    Sections: ``name``, ``counters`` {name: capacity}, ``machines`` {name: {counter,
    capacity, kind}}, ``cooks`` [{name, skills, max_parallel, efficiency}], ``recipes`` {item:
    {steps: [{step_no, description, counter, machine or machine_kind, estimate_secs,
    base_priority}],
    dependencies: [[step, depends_on]]}}, ``mix`` [{items: {item: qty}, weight}],
    ``rush_share``, ``disruptions`` {break_every_minutes, break_minutes,
    machine_mtbf_minutes, machine_repair_minutes, machines, planned: [{name, at_minute,
    minutes}]}; 0 turns a random disruption off; a planned outage names a machine or a cook.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"scenario {path} is not valid {path.suffix[1:]}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ScenarioError(f"scenario {path} must be an object at the top level")
    try:
        return scenario_from_dict(raw, default_name=path.stem)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"scenario {path}: {exc!r}") from exc


def scenario_from_dict(raw: Mapping[str, Any], default_name: str = "custom") -> Scenario:
    base = demo_scenario()
    counters = {str(k): int(v) for k, v in raw.get("counters", base.counters).items()}
    machines, kinds = base.machines, base.machine_kinds
    if "machines" in raw:
        machines = {
            str(k): (str(v["counter"]), int(v["capacity"])) for k, v in raw["machines"].items()
        }
        kinds = {str(k): str(v["kind"]) for k, v in raw["machines"].items() if "kind" in v}
    cooks = base.cooks
    if "cooks" in raw:
        cooks = tuple(
            CookSpec(
                str(c["name"]),
                tuple(str(s) for s in c["skills"]),
                int(c.get("max_parallel", 2)),
                float(c.get("efficiency", 1.0)),
            )
            for c in raw["cooks"]
        )
    recipes = base.recipes
    if "recipes" in raw:
        recipes = {str(k): _recipe(str(k), v) for k, v in raw["recipes"].items()}
    mix = base.mix if "recipes" not in raw else tuple(OrderTemplate({k: 1}) for k in recipes)
    if "mix" in raw:
        mix = tuple(
            OrderTemplate(
                {str(k): int(q) for k, q in m["items"].items()}, float(m.get("weight", 1))
            )
            for m in raw["mix"]
        )
    disruptions = base.disruptions
    if "disruptions" in raw:
        d = dict(raw["disruptions"])
        if "machines" in d and d["machines"] is not None:
            d["machines"] = tuple(str(m) for m in d["machines"])
        d["planned"] = tuple(
            PlannedOutage(str(o["name"]), float(o["at_minute"]), float(o["minutes"]))
            for o in d.get("planned", ())
        )
        disruptions = Disruptions(**d)
    scenario = Scenario(
        name=str(raw.get("name", default_name)),
        counters=counters,
        machines=machines,
        cooks=cooks,
        recipes=recipes,
        mix=mix,
        rush_share=float(raw.get("rush_share", base.rush_share)),
        disruptions=disruptions,
        machine_kinds=kinds,
    )
    check_scenario(scenario)
    return scenario


def _recipe(item_key: str, raw: Mapping[str, Any]) -> RecipeSpec:
    steps = tuple(RecipeStep.from_dict(s) for s in raw["steps"])
    deps = tuple((int(a), int(b)) for a, b in raw.get("dependencies", []))
    return RecipeSpec(item_key, steps, deps)


def check_scenario(scenario: Scenario) -> None:
    """The checks the kitchen cannot make for us: the mix names known items, weights > 0."""
    if not scenario.mix:
        raise ScenarioError("the order mix is empty")
    for template in scenario.mix:
        unknown = [k for k in template.items if k not in scenario.recipes]
        if unknown:
            raise ScenarioError(f"the mix names items without a recipe: {', '.join(unknown)}")
        if template.weight <= 0 or not template.items:
            raise ScenarioError("every mix entry needs items and a weight > 0")
    if not 0 <= scenario.rush_share <= 1:
        raise ScenarioError("rush_share must be from 0 to 1")
    for name in scenario.disruptions.machines or ():
        if name not in scenario.machines:
            raise ScenarioError(f"disruptions name unknown machine {name!r}")
    cooks = {c.name for c in scenario.cooks}
    for outage in scenario.disruptions.planned:
        if outage.name not in scenario.machines and outage.name not in cooks:
            raise ScenarioError(f"planned outage names no machine or cook: {outage.name!r}")
