"""The demo kitchen (docs/domain.md): counters, machines, cooks and four recipes."""

from __future__ import annotations

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.recipes import RecipeStep

COUNTERS = {"fryer": 4, "microwave": 2, "griller": 6, "beverage": 2, "adhoc": 99}
MACHINES = {
    "grill-1": ("griller", 6),
    "fryer-1": ("fryer", 4),
    "blender-1": ("beverage", 2),
    "micro-1": ("microwave", 2),
    "packing-1": ("adhoc", 99),
}
STAFF = [
    ("Asha", 3, 1.10, ["griller", "fryer"]),
    ("Ravi", 2, 0.95, ["beverage", "adhoc"]),
    ("Noah", 2, 1.00, ["microwave", "adhoc", "griller"]),
]
Step = tuple[int, str, str, str | None, float, float]
RECIPES: dict[str, tuple[list[Step], list[tuple[int, int]]]] = {
    "burger_combo": (
        [
            (1, "grill patty", "griller", "grill-1", 80, 20),
            (2, "toast bun", "griller", "grill-1", 25, 16),
            (3, "fry fries", "fryer", "fryer-1", 90, 18),
            (4, "assemble burger", "adhoc", "packing-1", 35, 14),
        ],
        [(4, 1), (4, 2), (4, 3)],
    ),
    "wrap": (
        [
            (1, "warm tortilla", "microwave", "micro-1", 20, 16),
            (2, "grill filling", "griller", "grill-1", 60, 17),
            (3, "assemble wrap", "adhoc", "packing-1", 45, 15),
        ],
        [(3, 1), (3, 2)],
    ),
    "cold_coffee": (
        [
            (1, "blend coffee", "beverage", "blender-1", 55, 16),
            (2, "cup assembly", "beverage", "blender-1", 30, 12),
        ],
        [(2, 1)],
    ),
    "dip_cup": ([(1, "fill dip cup", "adhoc", "packing-1", 12, 6)], []),
}


def recipe_steps(item_key: str) -> list[RecipeStep]:
    steps, _ = RECIPES[item_key]
    return [RecipeStep(n, d, c, m, float(e), float(p)) for n, d, c, m, e, p in steps]


def seed_demo_kitchen(kitchen: Kitchen) -> bool:
    """Seed the demo kitchen into an empty store; returns False if anything existed."""
    if kitchen.stations() or kitchen.all_staff():
        return False
    for name, capacity in COUNTERS.items():
        kitchen.add_counter(name, capacity)
    for name, (counter, capacity) in MACHINES.items():
        kitchen.add_machine(name, counter, capacity)
    for name, max_parallel, efficiency, skills in STAFF:
        # Demo shifts cover the whole day, every day.
        kitchen.hire_staff(name, skills, max_parallel, efficiency, "00:00", "00:00")
    for item_key, (_, deps) in RECIPES.items():
        kitchen.define_recipe(item_key, recipe_steps(item_key), deps)
    return True
