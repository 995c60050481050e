"""The forward simulation behind a promise, on hand-made kitchens whose answer is worked out
by hand: a reaction delay of 5 s before every new start, estimates as durations."""

from __future__ import annotations

import itertools
import math
import random
import uuid
from collections.abc import Sequence
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from kangaroo_paw.domain.forecast import (
    Cook,
    ForecastParams,
    KitchenSnapshot,
    OpenTask,
    Phase,
    StationSlots,
    forecast,
)

P = ForecastParams(reaction_secs=5.0, horizon_secs=3600.0)
STATIONS = (
    StationSlots("griller", 6),
    StationSlots("grill-1", 6),
    StationSlots("fryer", 4),
    StationSlots("fryer-1", 4),
    StationSlots("adhoc", 99),
    StationSlots("packing-1", 99),
)
_order = itertools.count(1)


def task(
    estimate: float,
    *,
    order: int | None = None,
    counter: str = "griller",
    machine: str | None = "grill-1",
    phase: Phase = Phase.READY,
    depends_on: Sequence[OpenTask] = (),
    staff: Cook | None = None,
    since: float = 0.0,
) -> OpenTask:
    """A task of order number ``order`` (lower = older = picked first)."""
    task_id = uuid.uuid4()
    return OpenTask(
        task_id=task_id,
        key=(float(order if order is not None else next(_order)), str(task_id)),
        counter=counter,
        machine=machine,
        estimate_secs=estimate,
        phase=phase if not depends_on else Phase.WAITING,
        depends_on=tuple(t.task_id for t in depends_on),
        staff_id=staff.staff_id if staff else None,
        since_secs=since,
    )


def linked(tasks: list[OpenTask]) -> list[OpenTask]:
    """Fill in ``dependents`` from ``depends_on``."""
    children: dict[UUID, list[UUID]] = {t.task_id: [] for t in tasks}
    for t in tasks:
        for parent in t.depends_on:
            children[parent].append(t.task_id)
    return [
        OpenTask(
            t.task_id,
            t.key,
            t.counter,
            t.machine,
            t.estimate_secs,
            t.phase,
            t.depends_on,
            tuple(children[t.task_id]),
            t.staff_id,
            t.since_secs,
        )
        for t in tasks
    ]


def cook(
    name: str = "Asha",
    skills: Sequence[str] = ("griller", "fryer", "adhoc"),
    max_parallel: int = 1,
    **kwargs: float | bool,
) -> Cook:
    return Cook(
        staff_id=uuid.uuid5(uuid.NAMESPACE_URL, name),
        name=name,
        skills=frozenset(skills),
        max_parallel=max_parallel,
        efficiency=1.0,
        **kwargs,  # type: ignore[arg-type]
    )


def ready_secs(
    tasks: list[OpenTask],
    cooks: Sequence[Cook],
    targets: Sequence[OpenTask],
    stations: Sequence[StationSlots] = STATIONS,
    params: ForecastParams = P,
) -> float:
    result = forecast(
        KitchenSnapshot(linked(tasks), cooks, stations), {t.task_id for t in targets}, params
    )
    assert result.complete
    return result.ready_secs


def burger(order: int) -> list[OpenTask]:
    """The demo burger: patty 80 and bun 25 on the grill, fries 90, then assemble 35."""
    patty = task(80, order=order)
    bun = task(25, order=order)
    fries = task(90, order=order, counter="fryer", machine="fryer-1")
    assemble = task(
        35, order=order, counter="adhoc", machine="packing-1", depends_on=[patty, bun, fries]
    )
    return [patty, bun, fries, assemble]


# -- by hand ---------------------------------------------------------------------------------


def test_nothing_open_gives_the_critical_path_plus_reaction_delays() -> None:
    new = burger(1)
    # fries 5 + 90, then assemble 5 + 35 (patty and bun finish earlier, in parallel).
    assert ready_secs(new, [cook(max_parallel=3)], new) == 135.0


def test_no_targets_is_ready_now() -> None:
    assert forecast(KitchenSnapshot([], [cook()], STATIONS), set()).ready_secs == 0.0


def test_one_cook_serves_the_older_order_first() -> None:
    older, newer = task(80, order=1), task(60, order=2)
    # The cook takes the older task at 0 (done 85), the new one at 85: 85 + 5 + 60.
    assert ready_secs([older, newer], [cook()], [newer]) == 150.0
    # A rush credit makes the new order the older one: it goes first.
    rushed = task(60, order=0)
    assert ready_secs([older, rushed], [cook()], [rushed]) == 65.0


def test_each_target_has_its_own_finish() -> None:
    """Finish-together pacing releases by these: each target's predicted completion."""
    older, newer = task(80, order=1), task(60, order=2)
    result = forecast(
        KitchenSnapshot([older, newer], [cook()], STATIONS), {older.task_id, newer.task_id}, P
    )
    assert result.finishes == {older.task_id: 85.0, newer.task_id: 150.0}
    assert result.ready_secs == max(result.finishes.values())


def test_a_machine_of_capacity_one_serialises_two_cooks() -> None:
    first, second = task(80, order=1), task(80, order=2)
    stations = [StationSlots("griller", 6), StationSlots("grill-1", 1)]
    cooks = [cook("Asha"), cook("Noah")]
    assert ready_secs([first, second], cooks, [second], stations) == 170.0
    roomy = [StationSlots("griller", 6), StationSlots("grill-1", 2)]
    assert ready_secs([first, second], cooks, [second], roomy) == 85.0


def test_a_started_task_holds_the_cook_for_its_remaining_time() -> None:
    asha = cook()
    started = task(80, order=1, phase=Phase.STARTED, staff=asha, since=30)
    new = task(60, order=2)
    assert ready_secs([started, new], [asha], [new]) == 50 + 5 + 60
    overdue = task(80, order=1, phase=Phase.STARTED, staff=asha, since=100)
    assert ready_secs([overdue, new], [asha], [new]) == P.min_remaining_secs + 5 + 60


def test_an_assigned_task_starts_after_the_reaction_delay() -> None:
    asha = cook()
    assigned = task(80, order=1, phase=Phase.ASSIGNED, staff=asha, since=3)
    new = task(60, order=2)
    assert ready_secs([assigned, new], [asha], [new]) == 85 + 5 + 60


def test_a_cook_on_break_takes_nothing_new() -> None:
    asha = cook("Asha", on_break=True, available_from=math.inf)
    noah = cook("Noah")
    busy = task(80, order=1, phase=Phase.STARTED, staff=noah, since=40)
    new = task(60, order=2)
    # Asha is away: the new task waits for Noah (free at 40).
    assert ready_secs([busy, new], [asha, noah], [new]) == 40 + 5 + 60
    # A break with a known end (at 20) lets Asha take it first.
    back_soon = cook("Asha", on_break=True, available_from=20.0)
    assert ready_secs([busy, new], [back_soon, noah], [new]) == 20 + 5 + 60


def test_an_assignment_held_by_a_cook_on_break_is_requeued_after_the_ttl() -> None:
    asha = cook("Asha", on_break=True, available_from=math.inf)
    noah = cook("Noah")
    stuck = task(80, order=1, phase=Phase.ASSIGNED, staff=asha, since=10)
    # The stale sweep gives it back at 45 - 10 = 35; Noah takes it then.
    assert ready_secs([stuck], [asha, noah], [stuck]) == 35 + 5 + 80


def test_a_shift_end_stops_new_work() -> None:
    leaving = cook("Asha", available_until=50.0)
    noah = cook("Noah", available_from=200.0)
    first, second = task(30, order=1), task(30, order=2)
    # Asha finishes the first at 35, still on shift: she takes the second, 35 + 5 + 30.
    assert ready_secs([first, second], [leaving, noah], [second]) == 70.0
    longer = task(60, order=1)
    # Now the first ends at 65, after her shift: the second waits for Noah at 200.
    assert ready_secs([longer, second], [leaving, noah], [second]) == 235.0


# -- no answer within the horizon --------------------------------------------------------------


def _capped(tasks: list[OpenTask], cooks: Sequence[Cook], stations: Sequence[StationSlots]) -> None:
    new = tasks[-1]
    result = forecast(KitchenSnapshot(linked(tasks), cooks, stations), {new.task_id}, P)
    assert not result.complete
    assert result.ready_secs == P.horizon_secs


def test_a_down_machine_caps_the_forecast_at_the_horizon() -> None:
    down = [StationSlots("griller", 6), StationSlots("grill-1", 6, up=False)]
    _capped([task(80)], [cook()], down)


def test_a_down_machine_expected_back_opens_its_slots_then() -> None:
    down = [StationSlots("griller", 6), StationSlots("grill-1", 1, up=False, back_in_secs=100)]
    first, second = task(80, order=1), task(80, order=2)
    cooks = [cook("Asha"), cook("Noah")]
    # Nothing until 100; then one slot: 100 + 85, then the second 185 + 85.
    assert ready_secs([first, second], cooks, [second], down) == 270.0
    # Work in progress on the machine while it is down keeps holding its slot after it is up.
    busy = task(150, order=0, phase=Phase.STARTED, staff=cooks[0], since=0)
    assert ready_secs([busy, first], cooks, [first], down) == 150 + 5 + 80


def test_a_step_no_cook_can_do_caps_the_forecast() -> None:
    _capped([task(55, counter="beverage", machine=None)], [cook()], [*STATIONS])


def test_an_endless_break_of_the_only_cook_caps_the_forecast() -> None:
    _capped([task(80)], [cook(on_break=True, available_from=math.inf)], STATIONS)


def test_an_unknown_station_caps_the_forecast() -> None:
    _capped([task(80, machine="grill-9")], [cook()], STATIONS)


def test_the_work_cap_stops_a_huge_forecast() -> None:
    tasks = [task(10, order=n) for n in range(500)]
    params = ForecastParams(max_events=50)
    result = forecast(KitchenSnapshot(tasks, [cook()], STATIONS), {tasks[-1].task_id}, params)
    assert (result.complete, result.ready_secs, result.events) == (False, params.horizon_secs, 51)


def test_a_big_order_completes() -> None:
    tasks = [t for _ in range(20) for t in burger(1)]
    result = forecast(
        KitchenSnapshot(linked(tasks), [cook(max_parallel=3)], STATIONS),
        {t.task_id for t in tasks},
        P,
    )
    assert result.complete
    work = 20 * (80 + 25 + 90 + 35 + 4 * P.reaction_secs)
    assert work / 3 <= result.ready_secs <= work  # one cook, three tasks at a time


# -- determinism and bounds --------------------------------------------------------------------


def _kitchen(seed: int) -> tuple[KitchenSnapshot, set[UUID]]:
    rng = random.Random(seed)
    asha, noah = cook("Asha", max_parallel=3), cook("Noah", ["griller", "adhoc"], 2)
    tasks = [t for order in range(1, 30) for t in burger(order)]
    busy = [t for t in tasks if not t.depends_on][:4]
    held = [
        task(t.estimate_secs, order=0, phase=Phase.STARTED, staff=asha, since=rng.random() * 60)
        for t in busy[:3]
    ]
    new = burger(99)
    return KitchenSnapshot(linked(tasks + held + new), [asha, noah], STATIONS), {
        t.task_id for t in new
    }


def test_the_same_snapshot_gives_the_same_answer_in_any_order() -> None:
    snapshot, targets = _kitchen(7)
    first = forecast(snapshot, targets, P)
    shuffled = list(snapshot.tasks)
    random.Random(1).shuffle(shuffled)
    again = forecast(
        KitchenSnapshot(shuffled, list(reversed(snapshot.cooks)), snapshot.stations), targets, P
    )
    assert first == again
    assert first.complete
    assert first.ready_secs > 29 * 80 / 3  # 29 older burgers' patties before ours


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.sampled_from(["griller", "fryer", "adhoc"]),
            st.integers(5, 120),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 3),
)
def test_never_below_the_critical_path_and_equal_to_it_with_ample_resources(
    spec: list[tuple[int, str, int, bool]], max_parallel: int
) -> None:
    tasks: list[OpenTask] = []
    for order, counter, estimate, chained in spec:
        parents = [tasks[-1]] if chained and tasks else []
        tasks.append(task(estimate, order=order, counter=counter, machine=None, depends_on=parents))
    tasks = linked(tasks)
    by_id = {t.task_id: t for t in tasks}
    finish: dict[UUID, float] = {}
    for t in tasks:  # parents come first
        start = max((finish[p] for p in t.depends_on), default=0.0)
        finish[t.task_id] = start + P.reaction_secs + t.estimate_secs
    bound = max(finish.values())
    targets = set(by_id)
    tight = forecast(KitchenSnapshot(tasks, [cook(max_parallel=max_parallel)], STATIONS), targets)
    assert tight.complete
    assert tight.ready_secs >= bound - 1e-9
    cooks = [cook("Asha", max_parallel=20), cook("Noah", max_parallel=20)]
    roomy = [StationSlots(name, 99) for name in ("griller", "fryer", "adhoc")]
    ample = forecast(KitchenSnapshot(tasks, cooks, roomy), targets)
    assert math.isclose(ample.ready_secs, bound)
