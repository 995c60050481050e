"""The random inputs of a run, drawn up front from the seed so that every policy sees exactly
the same arrivals, breaks, failures, durations and reaction delays (common random numbers)."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from uuid import UUID

from kangaroo_paw.domain.order import Priority
from kangaroo_paw.simulation.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Arrival:
    """One order as it will be confirmed."""

    at: float  # seconds since the start of the run
    external_id: str
    items: dict[str, int]
    priority: str


@dataclass(frozen=True, slots=True)
class Outage:
    """A cook's break or a machine's failure, from ``start`` to ``end`` seconds."""

    name: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Workload:
    """Everything random about a run, fixed before it starts."""

    arrivals: tuple[Arrival, ...]
    breaks: tuple[Outage, ...]
    failures: tuple[Outage, ...]

    def digest(self) -> str:
        """A short fingerprint: equal for runs that saw the same inputs."""
        text = repr((self.arrivals, self.breaks, self.failures))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_workload(
    scenario: Scenario,
    seed: int,
    window_secs: float,
    rate_per_sec: float,
    disruptions: bool = True,
) -> Workload:
    """Poisson arrivals from the mix over ``window_secs``, plus breaks and failures."""
    rng = random.Random(f"{seed}:arrivals")
    weights = [t.weight for t in scenario.mix]
    arrivals: list[Arrival] = []
    t = 0.0
    while rate_per_sec > 0:
        t += rng.expovariate(rate_per_sec)
        if t >= window_secs:
            break
        template = rng.choices(scenario.mix, weights)[0]
        rush = rng.random() < scenario.rush_share
        arrivals.append(
            Arrival(
                round(t, 3),
                f"sim-{seed}-{len(arrivals) + 1:06d}",
                dict(template.items),
                Priority.RUSH if rush else Priority.NORMAL,
            )
        )
    breaks: list[Outage] = []
    failures: list[Outage] = []
    if disruptions:
        breaks = _breaks(scenario, seed, window_secs)
        failures = _failures(scenario, seed, window_secs)
        for o in scenario.disruptions.planned:
            outage = Outage(o.name, o.at_minute * 60, (o.at_minute + o.minutes) * 60)
            (failures if o.name in scenario.machines else breaks).append(outage)
    return Workload(tuple(arrivals), tuple(breaks), tuple(failures))


def _breaks(scenario: Scenario, seed: int, window: float) -> list[Outage]:
    d = scenario.disruptions
    rng = random.Random(f"{seed}:breaks")
    length = d.break_minutes * 60
    result: list[Outage] = []
    if d.break_every_minutes <= 0 or length <= 0:
        return result
    expected = window / (d.break_every_minutes * 60)
    for cook in scenario.cooks:
        # floor(expected) breaks, plus one more with the fractional chance.
        count = int(expected) + (rng.random() < expected - int(expected))
        if count == 0:
            continue
        # One break in each of ``count`` equal slices of the middle 80 % of the window.
        slice_len = 0.8 * window / count
        for k in range(count):
            lo = 0.1 * window + k * slice_len
            start = lo + rng.random() * max(0.0, slice_len - length)
            result.append(Outage(cook.name, round(start, 3), round(start + length, 3)))
    return result


def _failures(scenario: Scenario, seed: int, window: float) -> list[Outage]:
    d = scenario.disruptions
    if d.machine_mtbf_minutes <= 0 or d.machine_repair_minutes <= 0:
        return []
    names = d.machines if d.machines is not None else tuple(scenario.machines)
    result: list[Outage] = []
    for name in names:
        rng = random.Random(f"{seed}:failures:{name}")
        t = 0.0
        while True:
            t += rng.expovariate(1 / (d.machine_mtbf_minutes * 60))
            if t >= window:
                break
            mean = d.machine_repair_minutes * 60
            repair = min(3 * mean, rng.expovariate(1 / mean))
            result.append(Outage(name, round(t, 3), round(t + repair, 3)))
            t += repair
    return result


def duration_secs(seed: int, task_id: UUID, estimate: float, sigma: float) -> float:
    """The actual time a task takes: lognormal with mean ``estimate`` (exact when sigma=0),
    drawn from the task's own stream so it does not depend on the policy."""
    if sigma <= 0:
        return estimate
    z = random.Random(f"{seed}:duration:{task_id}").gauss(0.0, 1.0)
    return estimate * math.exp(sigma * z - sigma * sigma / 2)


def reaction_secs(seed: int, task_id: UUID, assignment_no: int, mean: float) -> float:
    """How long a cook takes to notice and start an assignment (exponential)."""
    if mean <= 0:
        return 0.0
    rng = random.Random(f"{seed}:reaction:{task_id}:{assignment_no}")
    return rng.expovariate(1 / mean)
