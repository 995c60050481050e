"""Tokens in services mode: a token issued or revoked by one process (the ``token`` command)
is seen on the very next check by another (an API process), through PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest

from kangaroo_paw.composition import build_services, open_store
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.postgres


def test_a_revoke_in_one_process_is_refused_at_once_in_another(pg_settings: Settings) -> None:
    settings = dataclasses.replace(pg_settings, mode="services")
    api = build_services(settings, with_queue=False)  # what an API process checks with
    cli = open_store(settings)  # `kangaroo-paw token ...` beside it
    try:
        _, secret = cli.issue_token("pos", "integration")
        principal = api.kitchen.authenticate(secret)
        assert principal is not None
        assert principal.name == "pos"
        cli.revoke_token("pos")
        assert api.kitchen.authenticate(secret) is None
        assert [(t.name, t.state) for t in api.kitchen.list_tokens()] == [("pos", "revoked")]
    finally:
        cli.close()
        api.close()
