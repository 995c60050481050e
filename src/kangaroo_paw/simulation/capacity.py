"""Offered load: how much slot-time an average ticket asks of each resource, and the arrival
rate that puts the bottleneck at a given utilization.

A task holds one slot of its counter, of its machine (if any) and of one cook from assignment
to completion, i.e. for the cook's reaction delay plus its duration. Counters and machines
are plain pools (capacity = slots). Cooks are a flexible pool: a task on counter ``c`` can go
to any cook skilled in ``c``, each cook offering ``max_parallel`` slots. By max-flow/min-cut,
the crew can carry a demand exactly when, for every set ``S`` of counters, the work on ``S``
fits in the slots of the cooks skilled in at least one counter of ``S``. So the load of a mix
at rate λ is

    max( λ·work(r) / capacity(r)  over counters and machines r,
         λ·work(S) / slots(cooks skilled in S)  over non-empty counter sets S )

and the rate for a target load L is L divided by that maximum at λ = 1.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from kangaroo_paw.simulation.scenario import Scenario


@dataclass(frozen=True, slots=True)
class LoadProfile:
    """Utilization per resource caused by one order per second (utilization = rate · per_order)."""

    work_per_order: dict[str, float]  # slot-seconds per order, by counter / machine
    per_order: dict[str, float]  # resource (or "cooks:{a,b}") → utilization at λ = 1/s
    bottleneck: str
    tasks_per_order: float

    @property
    def max_per_order(self) -> float:
        return self.per_order[self.bottleneck]

    def rate_for(self, load: float) -> float:
        """Orders per second that put the bottleneck at utilization ``load``."""
        return load / self.max_per_order

    def load_at(self, rate_per_sec: float) -> float:
        return rate_per_sec * self.max_per_order


def load_profile(scenario: Scenario, reaction_mean_secs: float = 0.0) -> LoadProfile:
    """Offered slot-seconds per order (estimate + mean reaction delay per task) against the
    capacity of every resource and every cook cut; the largest ratio is the bottleneck."""
    total_weight = sum(t.weight for t in scenario.mix)
    counter_work: dict[str, float] = defaultdict(float)
    machine_work: dict[str, float] = defaultdict(float)
    pool_work: dict[tuple[str, str], float] = defaultdict(float)  # (counter, kind)
    tasks = 0.0
    for template in scenario.mix:
        share = template.weight / total_weight
        for key, qty in template.items.items():
            for step in scenario.recipes[key].steps:
                hold = (step.estimate_secs + reaction_mean_secs) * qty * share
                counter_work[step.counter] += hold
                if step.machine is not None:
                    machine_work[step.machine] += hold
                elif step.machine_kind is not None:
                    pool_work[(step.counter, step.machine_kind)] += hold
                tasks += qty * share
    per_order: dict[str, float] = {}
    for name, work in counter_work.items():
        per_order[f"counter {name}"] = work / scenario.counters[name]
    for name, work in machine_work.items():
        per_order[f"machine {name}"] = work / scenario.machines[name][1]
    for (counter, kind), work in pool_work.items():
        slots = sum(
            capacity
            for name, (owner, capacity) in scenario.machines.items()
            if owner == counter and scenario.machine_kinds.get(name, name) == kind
        )
        per_order[f"pool {kind}"] = float("inf") if slots == 0 else work / slots
    used = sorted(counter_work)
    for size in range(1, len(used) + 1):
        for subset in combinations(used, size):
            chosen = set(subset)
            slots = sum(c.max_parallel for c in scenario.cooks if chosen & set(c.skills))
            work = sum(counter_work[c] for c in subset)
            label = "cooks for " + "+".join(subset)
            per_order[label] = float("inf") if slots == 0 else work / slots
    bottleneck = max(sorted(per_order), key=lambda k: per_order[k])
    by_resource = {f"counter {k}": v for k, v in counter_work.items()}
    by_resource.update({f"machine {k}": v for k, v in machine_work.items()})
    by_resource.update({f"pool {kind}": v for (_, kind), v in pool_work.items()})
    return LoadProfile(by_resource, per_order, bottleneck, tasks)
