"""The promise decomposition study (scoring saved records offline, one short service) and
the sim suite's promise table."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from bench import promise_study
from bench.suite_sim import _promise_table

from kangaroo_paw.simulation.report import Ticket, promise_accuracy


def test_a_margin_is_scored_as_the_promise_forecast_times_one_plus_margin() -> None:
    records = [{"forecast": 100.0, "actual": 110.0}, {"forecast": 200.0, "actual": 220.0}]
    assert promise_study.accuracy(records, 0.0).bias_mean == pytest.approx(1 / 11)
    assert promise_study.accuracy(records, 0.1).error_p90 == pytest.approx(0.0)
    margin, best = promise_study.best_margin(records)
    assert margin == pytest.approx(0.1)
    assert best.late_share == 0.0


def test_the_table_pools_seeds_per_variant_and_load() -> None:
    results = {
        "base|1|0.7": [{"forecast": 100.0, "actual": 150.0}],
        "base|2|0.7": [{"forecast": 100.0, "actual": 100.0}],
        "all_off|1|0.7": [{"forecast": 100.0, "actual": 100.0}],
    }
    lines = promise_study.table(results, 0.1)
    rows = lines[2:]
    assert [r.split("|")[1].strip() for r in rows] == ["base", "all_off"]  # variant order
    assert rows[0].split("|")[3].strip() == "2"  # both seeds' orders


def test_a_short_service_records_every_completed_order() -> None:
    records = promise_study.run_one("oracle_durations", seed=1, load=0.5, minutes=4.0)
    assert records
    assert all(r["forecast"] > 0 and r["actual"] > 0 for r in records)


def test_the_sim_promise_table_has_a_row_per_kitchen_and_load_of_ours() -> None:
    tickets = [Ticket(0.0, 120.0, 0.0, 0.0, 100.0), Ticket(0.0, 240.0, 0.0, 0.0, 200.0)]
    promise = asdict(promise_accuracy(tickets))  # 20 % late: a 1.2 rescale is exact
    rows = {
        "demo kitchen": [
            {"policy": "ours", "load": 0.5, "promise": promise},
            {"policy": "fifo", "load": 0.5, "promise": promise},  # no promise under others
        ],
        "fryer down": [{"policy": "ours", "load": 0.9, "promise": promise}],
    }
    table = _promise_table(rows)
    assert [r[:2] for r in table["rows"]] == [["demo kitchen", "50%"], ["fryer down", "90%"]]
    best = table["columns"].index("best constant rescale")
    assert table["rows"][0][best] == "1.20"
    assert len(table["columns"]) == len(table["rows"][0])
