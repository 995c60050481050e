"""Recipe validation and per-unit dependency building (docs/domain.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kangaroo_paw.domain.errors import RecipeInvalid
from kangaroo_paw.domain.recipes import (
    Dependency,
    RecipeStep,
    build_dependencies,
    critical_path_secs,
    find_cycle,
    is_assembly,
    validate_recipe,
)

COUNTERS = ["griller", "fryer", "beverage", "adhoc", "microwave"]
MACHINES = {
    "grill-1": "griller",
    "fryer-1": "fryer",
    "blender-1": "beverage",
    "packing-1": "adhoc",
    "micro-1": "microwave",
}
DEMO_CAPACITY = {"grill-1": 6, "fryer-1": 4, "blender-1": 2, "micro-1": 2, "packing-1": 99}


def step(
    n: int,
    description: str,
    counter: str = "griller",
    machine: str | None = None,
    estimate: float = 30.0,
    priority: float = 10.0,
) -> RecipeStep:
    return RecipeStep(n, description, counter, machine, estimate, priority)


BURGER = [
    step(1, "grill patty", "griller", "grill-1", 80, 20),
    step(2, "toast bun", "griller", "grill-1", 25, 16),
    step(3, "fry fries", "fryer", "fryer-1", 90, 18),
    step(4, "assemble burger", "adhoc", "packing-1", 35, 14),
]


# -- assembly vocabulary ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "description",
    [
        "assemble burger",
        "cup assembly",
        "Final touch",
        "FINISH the dish",
        "pack the order",
        "plating",
        "plate it",
        "serve",
        "blend, then serve.",
    ],
)
def test_assembly_words_match_whole_words_case_insensitively(description: str) -> None:
    assert is_assembly(description)


@pytest.mark.parametrize(
    "description",
    ["template", "fry fries", "packet of sauce", "finished", "preserve lemons", "plated", ""],
)
def test_words_merely_containing_an_assembly_word_do_not_count(description: str) -> None:
    assert not is_assembly(description)


# -- inferred dependencies -------------------------------------------------------------------


def test_fallback_burger_assembly_fans_in_from_every_earlier_step() -> None:
    deps = build_dependencies(BURGER, [], DEMO_CAPACITY)
    assert deps == {1: [], 2: [], 3: [], 4: [1, 2, 3]}


def test_single_slot_machine_chains_its_steps_and_serve_fans_in() -> None:
    steps = [
        step(1, "blend", "beverage", "blender-1"),
        step(2, "pour", "beverage", "blender-1"),
        step(3, "serve", "adhoc", None),
    ]
    deps = build_dependencies(steps, [], {"blender-1": 1})
    assert deps == {1: [], 2: [1], 3: [1, 2]}


def test_same_steps_on_a_two_slot_machine_run_in_parallel() -> None:
    steps = [step(1, "blend", "beverage", "blender-1"), step(2, "pour", "beverage", "blender-1")]
    assert build_dependencies(steps, [], {"blender-1": 2}) == {1: [], 2: []}


def test_single_slot_chain_links_consecutive_users_only() -> None:
    steps = [
        step(1, "a", "griller", "grill-1"),
        step(2, "b", "fryer", "fryer-1"),
        step(3, "c", "griller", "grill-1"),
        step(4, "d", "griller", "grill-1"),
    ]
    deps = build_dependencies(steps, [], {"grill-1": 1, "fryer-1": 1})
    assert deps == {1: [], 2: [], 3: [1], 4: [3]}


def test_assembly_waits_only_for_earlier_non_assembly_steps() -> None:
    steps = [
        step(1, "grill patty"),
        step(2, "assemble burger", "adhoc"),
        step(3, "fry fries", "fryer"),
        step(4, "pack the bag", "adhoc"),
    ]
    deps = build_dependencies(steps, [], {})
    assert deps == {1: [], 2: [1], 3: [], 4: [1, 3]}


def test_inference_follows_step_numbers_not_list_order() -> None:
    steps = [step(3, "serve", "adhoc"), step(1, "grill patty"), step(2, "toast bun")]
    assert build_dependencies(steps, [], {}) == {1: [], 2: [], 3: [1, 2]}


def test_explicit_dependencies_win_over_inference() -> None:
    deps = build_dependencies(BURGER, [(2, 1)], DEMO_CAPACITY)
    # "assemble burger" would fan in; the explicit list says only 2 waits for 1.
    assert deps == {1: [], 2: [1], 3: [], 4: []}


def test_explicit_dependencies_are_deduplicated_and_sorted() -> None:
    deps = build_dependencies(BURGER, [(4, 3), (4, 1), (4, 2)], DEMO_CAPACITY)
    assert deps == {1: [], 2: [], 3: [], 4: [1, 2, 3]}


descriptions = st.sampled_from(["grill", "toast", "fry", "assemble", "serve", "template", "pack"])
machines = st.sampled_from([None, "m1", "m2", "m3"])


@given(
    spec=st.lists(st.tuples(descriptions, machines), min_size=1, max_size=12),
    capacities=st.fixed_dictionaries(
        {"m1": st.integers(1, 3), "m2": st.integers(1, 3), "m3": st.integers(1, 3)}
    ),
)
def test_inferred_edges_point_backwards_so_never_form_a_cycle(
    spec: list[tuple[str, str | None]], capacities: dict[str, int]
) -> None:
    steps = [step(n, d, "griller", m) for n, (d, m) in enumerate(spec, start=1)]
    deps = build_dependencies(steps, [], capacities)
    assert set(deps) == {s.step_no for s in steps}
    edges = [(child, parent) for child, parents in deps.items() for parent in parents]
    assert all(parent < child for child, parent in edges)
    assert find_cycle(deps.keys(), edges) == []
    for s in steps:
        if is_assembly(s.description):
            earlier = {p.step_no for p in steps if p.step_no < s.step_no}
            assert {p for p in earlier if not is_assembly(steps[p - 1].description)} <= set(
                deps[s.step_no]
            )


# -- validation ------------------------------------------------------------------------------


def validate(steps: list[RecipeStep], deps: list[Dependency], item_key: str = "burger") -> None:
    validate_recipe(item_key, steps, deps, COUNTERS, MACHINES)


def verdict(steps: list[RecipeStep], deps: list[Dependency], item_key: str = "burger") -> str:
    """What the validator says of a recipe: ``valid``, or the first problem it names."""
    try:
        validate(steps, deps, item_key)
    except RecipeInvalid as exc:
        return str(exc)
    return "valid"


def test_the_demo_burger_and_recipes_at_each_limit_are_valid() -> None:
    verdicts = {
        "demo burger": verdict(BURGER, [(4, 1), (4, 2), (4, 3)]),
        "64-character key": verdict(BURGER, [], item_key="k" * 64),
        "100 steps": verdict([step(n, "grill") for n in range(1, 101)], []),
        "step 10000 of a whole day": verdict([step(10_000, "grill", estimate=86_400)], []),
    }
    assert verdicts == dict.fromkeys(verdicts, "valid")


@pytest.mark.parametrize(
    ("steps", "deps", "match"),
    [
        pytest.param(BURGER, [(1, 2), (2, 3), (3, 1)], r"dependencies form a cycle", id="cycle"),
        pytest.param(BURGER, [(4, 9)], r"missing step 9", id="dangling-parent"),
        pytest.param(BURGER, [(7, 1)], r"missing step 7", id="dangling-child"),
        pytest.param(BURGER, [(2, 2)], r"step 2 depends on itself", id="self-loop"),
        pytest.param(BURGER, [(4, 1), (4, 1)], r"listed twice", id="duplicate-dependency"),
        pytest.param(
            [step(1, "bake", "oven")], [], r"unknown counter 'oven'", id="unknown-counter"
        ),
        pytest.param(
            [step(1, "bake", "griller", "oven-1")], [], r"unknown machine 'oven-1'", id="unknown"
        ),
        pytest.param(
            [step(1, "fry", "griller", "fryer-1")],
            [],
            r"machine 'fryer-1' belongs to counter 'fryer', not 'griller'",
            id="machine-on-another-counter",
        ),
        pytest.param(
            [step(1, "grill", estimate=0)], [], r"estimate_secs must be > 0", id="estimate-zero"
        ),
        pytest.param(
            [step(1, "grill", estimate=-3)], [], r"estimate_secs must be > 0", id="estimate-neg"
        ),
        pytest.param(
            [step(1, "grill", estimate=float("nan"))],
            [],
            r"estimate_secs must be > 0",
            id="estimate-nan",
        ),
        pytest.param(
            [step(1, "grill", estimate=float("inf"))],
            [],
            r"estimate_secs must be > 0 and at most",
            id="estimate-inf",
        ),
        pytest.param(
            [step(1, "grill", estimate=86_401)], [], r"at most 86400", id="estimate-over-a-day"
        ),
        pytest.param(
            [step(1, "grill", priority=float("nan"))], [], r"base_priority", id="priority-nan"
        ),
        pytest.param(
            [step(1, "grill", priority=float("-inf"))], [], r"base_priority", id="priority-inf"
        ),
        pytest.param(
            [step(1, "grill"), step(1, "toast")], [], r"step 1: step_no is used twice", id="dup"
        ),
        pytest.param([step(0, "grill")], [], r"step 0: step_no must be from 1", id="step-zero"),
        pytest.param([step(10_001, "grill")], [], r"step_no must be from 1 to 10000", id="huge"),
        pytest.param([step(1, "   ")], [], r"description is empty", id="no-description"),
        pytest.param([], [], r"has no steps", id="no-steps"),
    ],
)
def test_invalid_recipes_are_rejected_naming_the_problem(
    steps: list[RecipeStep], deps: list[Dependency], match: str
) -> None:
    with pytest.raises(RecipeInvalid, match=match) as info:
        validate(steps, deps)
    assert info.value.code == "invalid_recipe"


def test_cycle_error_carries_the_cycle_path() -> None:
    with pytest.raises(RecipeInvalid) as info:
        validate(BURGER, [(1, 2), (2, 3), (3, 1)])
    cycle = info.value.details["cycle"]
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {1, 2, 3}


@pytest.mark.parametrize("item_key", ["", "Burger", "has space", "x" * 65, "-lead"])
def test_bad_item_keys_are_rejected(item_key: str) -> None:
    with pytest.raises(RecipeInvalid, match="item key"):
        validate(BURGER, [], item_key=item_key)


def test_too_many_steps_are_rejected() -> None:
    with pytest.raises(RecipeInvalid, match="more than 100 steps"):
        validate([step(n, "grill") for n in range(1, 102)], [])


def test_find_cycle_on_acyclic_graph_is_empty() -> None:
    assert find_cycle([1, 2, 3, 4], [(4, 1), (4, 2), (4, 3), (2, 1)]) == []


def test_step_round_trips_through_its_dict() -> None:
    for s in BURGER:
        assert RecipeStep.from_dict(s.to_dict()) == s


def test_critical_path_of_the_burger_is_the_fries_then_assembly() -> None:
    deps = build_dependencies(BURGER, [(4, 1), (4, 2), (4, 3)], DEMO_CAPACITY)
    assert critical_path_secs(BURGER, deps) == 90 + 35
