"""The forecast's specialised pass against the pass it replaced: ``plan_pass`` itself.

The oracle below is the previous ``_Run._pass``/``_place`` verbatim, which handed each pass to
the allocator's ``plan_pass``; the forecast now plans inline (no candidate or plan objects,
tie-break strings formatted once). Promises are recorded and quoted, so the two must agree
exactly (every field of the result) on random kitchens: machines and pools, down stations,
breaks, shift ends, work in progress, dependencies, equal-key ties.
"""

from __future__ import annotations

import random
import uuid
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from kangaroo_paw.domain import forecast as fc
from kangaroo_paw.domain.allocation import Candidate, GroupKey, machine_slots, plan_pass
from kangaroo_paw.domain.forecast import (
    Cook,
    Forecast,
    ForecastParams,
    KitchenSnapshot,
    OpenTask,
    Phase,
    StationSlots,
)
from kangaroo_paw.domain.scoring import Weights

COUNTERS = ("grill", "fry", "cold")


class _OracleRun(fc._Run):
    """The forecast with the previous pass: every pass planned by ``plan_pass``."""

    def _pass(self, now: float) -> None:
        spare = self._spare_slots(now)
        free = self.free
        groups: dict[GroupKey, list[Candidate]] = {}
        for gkey, queue in self.groups.items():
            bound = spare.get(gkey[0], 0)
            if bound <= 0:
                continue
            bound = min(bound, len(queue), free.get(gkey[0], 0))
            on_machines = machine_slots(gkey, free, self.pools)
            if on_machines is not None:
                bound = min(bound, on_machines)
            if bound > 0:
                groups[gkey] = [_candidate(self.tasks[i]) for _, i in queue[:bound]]
        if groups:
            self._oracle_place(groups, now)

    def _oracle_place(self, groups: dict[GroupKey, list[Candidate]], now: float) -> None:
        self.passes += 1
        cooks = []
        for k, state in enumerate(self.cooks):
            if state.available and state.active < state.max_parallel:
                elapsed = self.plans[k].shift_elapsed_secs + now
                state.utilization = self.worked[k] / max(1.0, elapsed)
                cooks.append(state)
        placed = plan_pass(groups, self.free, cooks, self.p.weights, pools=self.pools)
        start = now + self.p.reaction_secs
        for a in placed.assignments:
            i = self.index[a.task_id]
            k = self.cook_at[a.staff_id]
            self.cooks[k].active -= 1
            self.on[i] = a.machine
            self._hold(i, k)
            self.started[i] = start
            self._push(start + self.tasks[i].estimate_secs, fc._DONE, i)
            group = self.tasks[i].group
            queue = self.groups[group]
            del queue[0]
            if not queue:
                del self.groups[group]
            self.ready -= 1


def _candidate(t: OpenTask) -> Candidate:
    return Candidate(t.task_id, t.counter, t.group[1], t.key, t.machine_kind)


def oracle(snapshot: KitchenSnapshot, targets: set[UUID], params: ForecastParams) -> Forecast:
    return _OracleRun(snapshot, targets, params).run()


def random_kitchen(seed: int) -> tuple[KitchenSnapshot, set[UUID], ForecastParams]:
    """A kitchen with open orders, work in progress and disruptions, plus one new order."""
    rng = random.Random(seed)
    stations = [StationSlots(c, rng.randint(1, 4)) for c in COUNTERS]
    stations += [
        StationSlots(
            "grill-1",
            rng.randint(1, 3),
            up=rng.random() > 0.2,
            back_in_secs=rng.choice([0.0, 300.0, float("inf")]),
        )
    ]
    stations += [
        StationSlots(
            f"fryer-{n}",
            rng.randint(1, 2),
            up=rng.random() > 0.2,
            back_in_secs=rng.choice([60.0, float("inf")]),
            counter="fry",
            machine_kind="fryer",
        )
        for n in range(rng.randint(0, 3))
    ]
    cooks = []
    for n in range(rng.randint(1, 5)):
        on_break = rng.random() < 0.15
        cooks.append(
            Cook(
                staff_id=uuid.UUID(int=rng.getrandbits(128)),
                name=f"cook-{n}",
                skills=frozenset(rng.sample(COUNTERS, rng.randint(1, 3))),
                max_parallel=rng.randint(1, 3),
                efficiency=rng.choice([0.8, 1.0, 1.3]),
                active_secs=rng.choice([0.0, 600.0]),
                shift_elapsed_secs=rng.choice([0.0, 1800.0]),
                available_from=rng.choice([0.0, 0.0, 120.0]),
                available_until=rng.choice([float("inf"), float("inf"), 900.0]),
                on_break=on_break,
            )
        )
    steps = [("grill", "grill-1", None), ("fry", None, "fryer"), ("cold", None, None)]
    tasks: list[OpenTask] = []
    order_tasks: list[list[OpenTask]] = []
    for order in range(rng.randint(0, 40) + 1):
        # Some orders share a key prefix: ties fall to the task id, as in production keys.
        score = float(order if rng.random() > 0.1 else max(0, order - 1))
        items = []
        for _ in range(rng.randint(1, 4)):
            counter, machine, kind = rng.choice(steps)
            task_id = uuid.UUID(int=rng.getrandbits(128))
            items.append((task_id, counter, machine, kind))
        ids = [i[0] for i in items]
        last = ids[-1] if len(ids) > 1 and rng.random() < 0.5 else None
        made = []
        for task_id, counter, machine, kind in items:
            deps = tuple(i for i in ids if i != last) if task_id == last else ()
            phase, staff, since = Phase.WAITING if deps else Phase.READY, None, 0.0
            held_on = machine
            if not deps and order < 5 and rng.random() < 0.5:
                phase = rng.choice([Phase.ASSIGNED, Phase.STARTED])
                staff = rng.choice(cooks).staff_id
                since = rng.choice([0.0, 20.0, 50.0, 200.0])
                if kind is not None:
                    machines = [s.name for s in stations if s.machine_kind == kind]
                    held_on = rng.choice(machines) if machines else None
            made.append(
                OpenTask(
                    task_id,
                    (score, str(task_id)),
                    counter,
                    held_on,
                    rng.choice([20.0, 45.0, 90.0]),
                    phase,
                    deps,
                    (last,) if last is not None and task_id != last else (),
                    staff,
                    since,
                    kind,
                )
            )
        order_tasks.append(made)
        tasks += made
    params = ForecastParams(
        reaction_secs=rng.choice([0.0, 5.0]),
        horizon_secs=rng.choice([3600.0, 4 * 3600.0]),
        weights=rng.choice([Weights(), Weights(load=1.0, util=0.0, eff=0.0)]),
        max_events=rng.choice([20_000, 150]),
    )
    rng.shuffle(tasks)
    return KitchenSnapshot(tasks, cooks, stations), {t.task_id for t in order_tasks[-1]}, params


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_the_forecast_equals_the_plan_pass_oracle_on_random_kitchens(seed: int) -> None:
    snapshot, targets, params = random_kitchen(seed)
    assert fc.forecast(snapshot, targets, params) == oracle(snapshot, targets, params)


def test_the_oracle_sees_real_work_in_these_kitchens() -> None:
    """The generator is not degenerate: most kitchens finish, some hit a bound."""
    results = [oracle(*random_kitchen(seed)) for seed in range(200)]
    assert sum(r.complete for r in results) > 100
    assert any(not r.complete for r in results)
    assert sum(r.passes > 5 for r in results) > 50
