"""Settings: parsed from KP_* variables, validated, and every one documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kangaroo_paw.settings import Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_match_the_design() -> None:
    s = Settings.from_env({})
    assert (s.mode, s.port, s.assignment_ttl_secs, s.aging_factor) == ("embedded", 8080, 45, 0.14)
    assert (s.weight_load, s.weight_util, s.weight_eff) == (1.2, 0.9, 1.1)
    assert s.max_qty_per_line == 50
    assert s.data_dir == Path("./var")


def test_values_are_parsed_by_type() -> None:
    s = Settings.from_env(
        {"KP_PORT": "9000", "KP_AGING_FACTOR": "0.5", "KP_SEED_DEMO": "no", "KP_MODE": "services"}
    )
    assert (s.port, s.aging_factor, s.seed_demo, s.mode) == (9000, 0.5, False, "services")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KP_PORT", "eighty"),
        ("KP_PORT", "70000"),
        ("KP_MODE", "cloud"),
        ("KP_SEED_DEMO", "maybe"),
        ("KP_MAX_QTY_PER_LINE", "0"),
        ("KP_AGING_FACTOR", "-1"),
        ("KP_RUSH_CREDIT_SECS", "-5"),
        ("KP_RUSH_CREDIT_SECS", "100000"),
        ("KP_PROMISE_REACTION_SECS", "-1"),
        ("KP_PROMISE_ON_CONFIRM", "sometimes"),
        ("KP_PROMISE_BREAK_SECS", "-1"),
        ("KP_PROMISE_MARGIN", "2"),
        ("KP_PROMISE_REPAIR_SECS", "1e9"),
        ("KP_LOG_FORMAT", "xml"),
        ("KP_METRICS_PORT", "-1"),
        ("KP_METRICS_PORT", "70000"),
        ("KP_RECALL_WINDOW_SECS", "0"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_scheduling_settings_reach_the_policy() -> None:
    from kangaroo_paw.composition import policy_from

    s = Settings.from_env(
        {
            "KP_RUSH_CREDIT_SECS": "300",
            "KP_PROMISE_REACTION_SECS": "8",
            "KP_PROMISE_ON_CONFIRM": "false",
            "KP_PROMISE_BREAK_SECS": "1200",
            "KP_PROMISE_REPAIR_SECS": "300",
            "KP_RECALL_WINDOW_SECS": "45",
        }
    )
    policy = policy_from(s)
    assert policy.recall_window_secs == 45
    assert Settings.from_env({}).recall_window_secs == 120
    assert (policy.promise_break_secs, policy.promise_repair_secs) == (1200, 300)
    assert (policy.rush_credit_secs, policy.promise_reaction_secs) == (300, 8)
    assert policy.promise_on_confirm is False
    assert Settings.from_env({}).rush_credit_secs == 180


def test_overrides_win_over_the_environment() -> None:
    s = Settings.from_env({"KP_PORT": "9000"}, port=9100)
    assert s.port == 9100


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    missing = [
        f"KP_{f.name.upper()}"
        for f in dataclasses.fields(Settings)
        if f"`KP_{f.name.upper()}`" not in text
    ]
    assert missing == []
