"""The browser guards' policy from settings, and what the guard settings refuse."""

from __future__ import annotations

import pytest

from kangaroo_paw.adapters.http.access import redact_query
from kangaroo_paw.adapters.http.guards import BrowserPolicy, host_name
from kangaroo_paw.settings import Settings, SettingsError


def test_by_default_only_local_names_and_the_bound_host_are_served() -> None:
    policy = BrowserPolicy.from_settings(Settings.from_env({}))
    assert policy.hosts == {"localhost", "127.0.0.1", "::1"}
    assert policy.origins == frozenset()
    named = BrowserPolicy.from_settings(Settings.from_env({"KP_HOST": "Kitchen.LAN"}))
    assert named.serves("kitchen.lan:8080")
    assert not BrowserPolicy.from_settings(Settings.from_env({"KP_HOST": "::"})).serves("::")
    assert not BrowserPolicy.from_settings(Settings.from_env({})).serves(None)


@pytest.mark.parametrize(
    ("value", "host"),
    [("[::1]:8080", "::1"), ("::1", "::1"), ("Example.COM.:80", "example.com"), ("a", "a")],
)
def test_host_names_drop_port_brackets_and_case(value: str, host: str) -> None:
    assert host_name(value) == host


def test_writes_are_allowed_from_the_own_origin_and_the_cors_origins() -> None:
    env = {
        "KP_CORS_ORIGINS": " https://app.example.com , http://[::1]:3000",
        "KP_ALLOWED_HOSTS": "",
    }
    policy = BrowserPolicy.from_settings(Settings.from_env(env))
    assert policy.may_write("http://localhost:8080", "http", "localhost:8080")
    assert policy.may_write("https://kitchen.lan", "https", "kitchen.lan:443")
    assert policy.may_write("https://app.example.com:443", "http", "localhost:8080")
    assert policy.may_write("http://[::1]:3000", "http", "localhost:8080")
    for foreign in ("http://localhost:8081", "https://localhost:8080", "null", "http://x/y", ""):
        assert not policy.may_write(foreign, "http", "localhost:8080"), foreign


def test_a_star_serves_any_host() -> None:
    policy = BrowserPolicy.from_settings(Settings.from_env({"KP_ALLOWED_HOSTS": "a.example,*"}))
    assert policy.hosts is None
    assert policy.serves("anything.example")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KP_CORS_ORIGINS", "*"),
        ("KP_CORS_ORIGINS", "https://app.example.com/"),
        ("KP_CORS_ORIGINS", "app.example.com"),
        ("KP_ALLOWED_HOSTS", "example.com:8080"),
        ("KP_ALLOWED_HOSTS", "https://example.com"),
    ],
)
def test_malformed_guard_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("token=abc&limit=5", "token=REDACTED&limit=5"),
        ("limit=5&access%5Ftoken=abc&Token=x", "limit=5&access%5Ftoken=REDACTED&Token=REDACTED"),
        ("status=READY&token", "status=READY&token"),
        ("", ""),
    ],
)
def test_token_parameters_are_redacted_in_the_access_line(query: str, logged: str) -> None:
    assert redact_query(query) == logged
