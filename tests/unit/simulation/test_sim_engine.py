"""The simulator drives the real Kitchen: deterministic for a seed, every order served at low
load, no ticket beats its lower bound, and every policy sees the same arrivals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kangaroo_paw.domain.order import OrderStatus
from kangaroo_paw.domain.task import TaskStatus
from kangaroo_paw.simulation import POLICIES, SimConfig, Simulation, demo_scenario, load_scenario
from kangaroo_paw.simulation.study import same_arrivals
from kangaroo_paw.simulation.workload import Arrival, Outage, Workload

SHORT = SimConfig(minutes=20, load=0.6, seed=3)


def test_a_seed_gives_the_same_run_twice() -> None:
    first = Simulation(demo_scenario(), SHORT).run()
    second = Simulation(demo_scenario(), SHORT).run()
    assert first.figures() == second.figures()
    assert first.tickets == second.tickets
    assert first.timeline == second.timeline


def test_another_seed_gives_other_arrivals() -> None:
    a = Simulation(demo_scenario(), SHORT).workload
    b = Simulation(demo_scenario(), replace(SHORT, seed=4)).workload
    assert a.digest() != b.digest()


def test_every_order_completes_at_low_load_and_the_kitchen_agrees() -> None:
    sim = Simulation(demo_scenario(), SimConfig(minutes=30, load=0.3, seed=5))
    report = sim.run()
    assert report.orders_arrived > 0
    assert report.orders_unfinished == 0
    assert report.orders_completed == len(sim.workload.arrivals)
    for order_id in sim.observer.confirmed_at:
        assert sim.kitchen.get_order(order_id).status == OrderStatus.COMPLETED
    # Nothing is left held: every slot, cook and queue entry was given back.
    assert all(not holders for holders in sim.kitchen.station_holders().values())
    assert all(not s.active_tasks for s in sim.kitchen.list_staff())
    assert sim.queue.size() == 0


def test_no_ticket_beats_the_critical_path_of_its_actual_durations() -> None:
    report = Simulation(demo_scenario(), replace(SHORT, load=0.8)).run()
    assert report.tickets
    for t in report.tickets:
        assert t.secs >= t.realized_bound - 1e-6


def test_with_exact_durations_no_ticket_beats_the_estimate_bound() -> None:
    config = replace(SHORT, duration_sigma=0.0)
    report = Simulation(demo_scenario(), config).run()
    assert report.tickets
    for t in report.tickets:
        assert t.realized_bound == pytest.approx(t.bound)
        assert t.secs >= t.bound - 1e-6
    assert report.ticket_to_bound >= 1.0


def test_policies_run_on_identical_arrivals() -> None:
    reports = same_arrivals(demo_scenario(), replace(SHORT, minutes=15, load=0.8))
    assert [r.policy for r in reports] == list(POLICIES)
    assert len({r.workload_digest for r in reports}) == 1
    assert len({r.orders_arrived for r in reports}) == 1
    assert all(r.orders_unfinished == 0 for r in reports)


def test_a_policy_draws_the_workload_a_fresh_run_would() -> None:
    ours = Simulation(demo_scenario(), SHORT).workload
    fifo = Simulation(demo_scenario(), replace(SHORT, policy="fifo")).workload
    assert ours == fifo


def test_breaks_and_failures_cause_requeues_not_lost_work() -> None:
    scenario = demo_scenario()
    scenario = replace(
        scenario,
        disruptions=replace(
            scenario.disruptions,
            break_every_minutes=10,
            machine_mtbf_minutes=10,
            machine_repair_minutes=2,
        ),
    )
    sim = Simulation(scenario, SimConfig(minutes=20, load=0.5, seed=2, reaction_mean_secs=20))
    report = sim.run()
    assert sim.workload.breaks
    assert sim.workload.failures
    assert report.orders_unfinished == 0
    assert any(u.out_of_service > 0 for u in report.utilization.values())
    tasks = [sim.kitchen.get_task(t) for t in sim.observer.tasks]
    assert all(t.status == TaskStatus.COMPLETED for t in tasks)
    assert report.requeues == sum(t.requeue_count for t in tasks)


def test_the_report_is_consistent() -> None:
    report = Simulation(demo_scenario(), SHORT).run()
    assert report.ticket.n == report.orders_completed
    assert report.ticket.p50 <= report.ticket.p90 <= report.ticket.p99 <= report.ticket.max
    # One wait per assignment: every task once, plus once more per return to the queue.
    assert report.tasks_completed == report.ready_wait.n - report.requeues - report.hand_backs
    for use in report.utilization.values():
        assert 0.0 <= use.busy <= use.held <= 1.0
    assert report.to_dict()["orders_unfinished"] == 0


def test_ours_records_a_promise_per_order_and_other_policies_none() -> None:
    reports = same_arrivals(demo_scenario(), replace(SHORT, minutes=10), ("ours", "fifo"))
    ours, fifo = reports
    assert ours.promise.n == ours.orders_completed > 0
    assert all(t.promised_secs is not None and t.promised_secs > 0 for t in ours.tickets)
    assert 0.0 <= ours.promise.error_p50 <= ours.promise.error_p90
    assert 0.0 <= ours.promise.late_share <= 1.0
    # The promise forecasts the production key's schedule: not made under another policy.
    assert fifo.promise.n == 0
    assert all(t.promised_secs is None for t in fifo.tickets)


def test_a_kitchen_that_promises_nothing_reports_no_accuracy() -> None:
    from kangaroo_paw.application.policy import Policy

    sim = Simulation(demo_scenario(), SHORT, Policy(promise_on_confirm=False))
    report = sim.run()
    assert report.promise.n == 0
    assert report.to_dict()["promise"]["n"] == 0


def test_a_break_gives_back_the_machine_slot_at_once_and_voids_the_start() -> None:
    """A barista going on break before starting a shot hands it back in the break's save: the
    espresso machine's slot is free that instant (not after the stale timeout), the other
    barista takes the shot on the next pass, and the first barista's pending start is void."""
    scenario = load_scenario(Path(__file__).parents[3] / "bench/scenarios/espresso_bar.toml")
    latte = Arrival(0.0, "latte-1", {"latte": 1}, "normal")
    workload = Workload(arrivals=(latte,), breaks=(), failures=())
    sim = Simulation(scenario, SimConfig(minutes=1, disruptions=False), workload=workload)
    sim._arrive(latte)
    sim.runtime.drain()
    sim._allocate()
    [shot] = sim.kitchen.station_holders()["espresso-1"]
    barista = sim.observer.tasks[shot].staff
    assert barista in ("Mia", "Theo")
    assert sim.current[shot] == 1
    sim._advance(1.0)
    sim._break(Outage(barista, 1.0, 600.0))
    assert sim.kitchen.station_holders()["espresso-1"] == []
    assert shot not in sim.current
    sim.runtime.drain()
    assert (sim.observer.hand_backs, sim.observer.requeues) == (1, 0)
    assert sim.observer.usage.held["machine espresso-1"] == 0
    assert sim.scheduler.take_allocation_request()  # the hand-back asked for a pass
    sim._allocate()
    other = ({"Mia", "Theo"} - {barista}).pop()
    assert sim.kitchen.station_holders()["espresso-1"] == [shot]
    assert (sim.observer.tasks[shot].staff, sim.current[shot]) == (other, 2)
    sim._start((shot, 1))  # the first barista's start, due after their reaction delay
    assert sim.kitchen.get_task(shot).status == TaskStatus.ASSIGNED  # void: not started
