"""Recipe steps, recipe validation and per-unit dependency building (docs/domain.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kangaroo_paw.domain.errors import RecipeInvalid

ASSEMBLY_WORDS = ("assemble", "assembly", "final", "finish", "pack", "plating", "plate", "serve")
_ASSEMBLY_RE = re.compile(r"\b(" + "|".join(ASSEMBLY_WORDS) + r")\b", re.IGNORECASE)

MAX_STEPS = 100
MAX_STEP_NO = 10_000
MAX_ESTIMATE_SECS = 86_400.0  # one day: no kitchen step takes longer


@dataclass(frozen=True, slots=True)
class RecipeStep:
    """One step of a recipe: where it runs, on what, for how long, how urgent.

    ``machine`` names one machine; ``machine_kind`` instead names a pool (any machine of that
    kind at the step's counter). At most one of the two is set."""

    step_no: int
    description: str
    counter: str
    machine: str | None
    estimate_secs: float
    base_priority: float
    machine_kind: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "step_no": self.step_no,
            "description": self.description,
            "counter": self.counter,
            "machine": self.machine,
            "estimate_secs": self.estimate_secs,
            "base_priority": self.base_priority,
            "machine_kind": self.machine_kind,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RecipeStep:
        """Steps stored before pools have no ``machine_kind``."""
        machine = data.get("machine")
        kind = data.get("machine_kind")
        return cls(
            step_no=int(str(data["step_no"])),
            description=str(data["description"]),
            counter=str(data["counter"]),
            machine=None if machine is None else str(machine),
            estimate_secs=float(str(data["estimate_secs"])),
            base_priority=float(str(data["base_priority"])),
            machine_kind=None if kind is None else str(kind),
        )


Dependency = tuple[int, int]  # (step_no, depends_on)


def is_assembly(description: str) -> bool:
    """Whole-word, case-insensitive match of the assembly vocabulary ("template" is not)."""
    return _ASSEMBLY_RE.search(description) is not None


def validate_recipe(
    item_key: str,
    steps: Sequence[RecipeStep],
    dependencies: Iterable[Dependency],
    counters: Iterable[str],
    machines: Mapping[str, str],
    kinds: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Raise ``RecipeInvalid`` naming the first problem; ``machines`` maps machine → counter,
    ``kinds`` counter → the machine kinds at it."""
    if not item_key or not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,63}", item_key):
        raise RecipeInvalid(
            f"item key {item_key!r} must be 1-64 lowercase letters, digits, '_' or '-'",
            item_key=item_key,
        )
    if not steps:
        raise RecipeInvalid(f"recipe {item_key!r} has no steps", item_key=item_key)
    if len(steps) > MAX_STEPS:
        raise RecipeInvalid(f"recipe {item_key!r} has more than {MAX_STEPS} steps")
    known_counters = set(counters)
    numbers: set[int] = set()
    for step in steps:
        _validate_step(item_key, step, numbers, known_counters, machines)
        _validate_kind(item_key, step, kinds or {})
        numbers.add(step.step_no)
    deps = list(dependencies)
    for step_no, depends_on in deps:
        for number in (step_no, depends_on):
            if number not in numbers:
                raise RecipeInvalid(
                    f"dependency {step_no}<-{depends_on} names missing step {number}",
                    step_no=step_no,
                    depends_on=depends_on,
                )
        if step_no == depends_on:
            raise RecipeInvalid(f"step {step_no} depends on itself", step_no=step_no)
    if len(set(deps)) != len(deps):
        raise RecipeInvalid("a dependency is listed twice")
    cycle = find_cycle(numbers, deps)
    if cycle:
        path = " -> ".join(str(n) for n in cycle)
        raise RecipeInvalid(f"dependencies form a cycle: {path}", cycle=cycle)


def _validate_step(
    item_key: str,
    step: RecipeStep,
    seen: set[int],
    counters: set[str],
    machines: Mapping[str, str],
) -> None:
    where = f"recipe {item_key!r} step {step.step_no}"
    if not 1 <= step.step_no <= MAX_STEP_NO:
        raise RecipeInvalid(
            f"{where}: step_no must be from 1 to {MAX_STEP_NO}", step_no=step.step_no
        )
    if step.step_no in seen:
        raise RecipeInvalid(f"{where}: step_no is used twice", step_no=step.step_no)
    if not step.description.strip():
        raise RecipeInvalid(f"{where}: description is empty", step_no=step.step_no)
    if not 0 < step.estimate_secs <= MAX_ESTIMATE_SECS:
        raise RecipeInvalid(
            f"{where}: estimate_secs must be > 0 and at most {MAX_ESTIMATE_SECS:.0f}",
            step_no=step.step_no,
        )
    if not math.isfinite(step.base_priority) or abs(step.base_priority) > 1e6:
        raise RecipeInvalid(
            f"{where}: base_priority must be a finite number within ±1e6", step_no=step.step_no
        )
    if step.counter not in counters:
        raise RecipeInvalid(
            f"{where}: unknown counter {step.counter!r}",
            step_no=step.step_no,
            counter=step.counter,
        )
    if step.machine is not None:
        owner = machines.get(step.machine)
        if owner is None:
            raise RecipeInvalid(
                f"{where}: unknown machine {step.machine!r}",
                step_no=step.step_no,
                machine=step.machine,
            )
        if owner != step.counter:
            raise RecipeInvalid(
                f"{where}: machine {step.machine!r} belongs to counter {owner!r}, "
                f"not {step.counter!r}",
                step_no=step.step_no,
                machine=step.machine,
            )


def _validate_kind(item_key: str, step: RecipeStep, kinds: Mapping[str, Collection[str]]) -> None:
    """A pool step names a kind that some machine of its counter has (checked at recipe
    time: a machine added later is used, one retired later leaves the pool smaller)."""
    if step.machine_kind is None:
        return
    where = f"recipe {item_key!r} step {step.step_no}"
    if step.machine is not None:
        raise RecipeInvalid(
            f"{where}: give either machine or machine_kind, not both", step_no=step.step_no
        )
    if step.machine_kind not in kinds.get(step.counter, ()):
        raise RecipeInvalid(
            f"{where}: counter {step.counter!r} has no machine of kind {step.machine_kind!r}",
            step_no=step.step_no,
            machine_kind=step.machine_kind,
        )


def find_cycle(nodes: Iterable[int], deps: Iterable[Dependency]) -> list[int]:
    """Return one dependency cycle as a path of step numbers, or ``[]`` if there is none."""
    parents: dict[int, list[int]] = {n: [] for n in nodes}
    for step_no, depends_on in deps:
        parents.setdefault(step_no, []).append(depends_on)
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(parents, white)
    for root in sorted(parents):
        if colour[root] != white:
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        path = [root]
        colour[root] = grey
        while stack:
            node, index = stack[-1]
            children = parents.get(node, [])
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if colour.get(child, white) == grey:
                    return [*path[path.index(child) :], child]
                if colour.get(child, white) == white:
                    colour[child] = grey
                    stack.append((child, 0))
                    path.append(child)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return []


def build_dependencies(
    steps: Sequence[RecipeStep],
    explicit: Sequence[Dependency],
    machine_capacity: Mapping[str, int],
) -> dict[int, list[int]]:
    """Map each step_no to the step_nos it waits for, within one unit of one item.

    Explicit dependencies win. Otherwise infer assembly fan-in (an assembly step waits for every
    earlier non-assembly step) and single-capacity machine chains (a step on a machine of
    capacity 1 waits for the previous step on that machine).
    """
    result: dict[int, list[int]] = {step.step_no: [] for step in steps}
    if explicit:
        for step_no, depends_on in explicit:
            result[step_no].append(depends_on)
        return {k: sorted(set(v)) for k, v in result.items()}
    ordered = sorted(steps, key=lambda s: s.step_no)
    last_on_machine: dict[str, int] = {}
    for index, step in enumerate(ordered):
        parents: set[int] = set()
        if is_assembly(step.description):
            parents.update(p.step_no for p in ordered[:index] if not is_assembly(p.description))
        if step.machine is not None and machine_capacity.get(step.machine, 0) == 1:
            previous = last_on_machine.get(step.machine)
            if previous is not None:
                parents.add(previous)
            last_on_machine[step.machine] = step.step_no
        result[step.step_no] = sorted(parents)
    return result


def critical_path_secs(steps: Sequence[RecipeStep], deps: Mapping[int, Sequence[int]]) -> float:
    """Longest estimate-weighted path through one unit's step graph (a ticket-time bound)."""
    by_no = {s.step_no: s for s in steps}
    finish: dict[int, float] = {}

    def finish_of(step_no: int) -> float:
        if step_no not in finish:
            start = max((finish_of(p) for p in deps.get(step_no, ())), default=0.0)
            finish[step_no] = start + by_no[step_no].estimate_secs
        return finish[step_no]

    return max((finish_of(n) for n in by_no), default=0.0)


def tail_secs(steps: Sequence[RecipeStep], deps: Mapping[int, Sequence[int]]) -> dict[int, float]:
    """Per step: its estimate plus the longest estimate-weighted path after it to the end of
    the unit (the step's remaining path; the dispatcher starts the long branch first)."""
    by_no = {s.step_no: s for s in steps}
    children: dict[int, list[int]] = {n: [] for n in by_no}
    for step_no, parents in deps.items():
        for parent in parents:
            children[parent].append(step_no)
    tail: dict[int, float] = {}

    def tail_of(step_no: int) -> float:
        if step_no not in tail:
            after = max((tail_of(c) for c in children[step_no]), default=0.0)
            tail[step_no] = by_no[step_no].estimate_secs + after
        return tail[step_no]

    return {n: tail_of(n) for n in by_no}
