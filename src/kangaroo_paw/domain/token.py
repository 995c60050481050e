"""The Token aggregate: who may call the kitchen, as what role, until when.

A token's secret is shown once, when it is issued; the store keeps only its SHA-256 digest
(``PRIVATE``: never published with the event), and the token's id derives from that digest,
so checking a secret is one read by id and a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kangaroo_paw.domain.errors import InvalidResource, InvalidTransition

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Role(StrEnum):
    MANAGER = "manager"  # everything
    STATION = "station"  # read; start and complete tasks on its counters
    INTEGRATION = "integration"  # read; confirm, quote, cancel and rush orders
    VIEWER = "viewer"  # read and stream


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_token(name: str, role: str, counters: list[str]) -> None:
    """The rules of a token's profile, before anything is written."""
    if not NAME.match(name):
        raise InvalidResource(
            "a token name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
            f"digit: {name!r}"
        )
    if role not in set(Role):
        raise InvalidResource(f"role must be one of {[r.value for r in Role]}, not {role!r}")
    if role == Role.STATION and not counters:
        raise InvalidResource("a station token names the counters it works (--counters)")
    if role != Role.STATION and counters:
        raise InvalidResource(f"only a station token names counters, not a {role} token")


class Token(Aggregate):
    """An API token: a name, a role, the counters a station token works, an expiry."""

    TOPIC = "kangaroo_paw.token.v1"

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.token.issued.v1"
        WIRE: ClassVar[str] = "TOKEN_ISSUED"
        PRIVATE: ClassVar[tuple[str, ...]] = ("digest",)
        name: str
        role: str
        counters: list[str]
        digest: str
        issued_at: datetime
        expires_at: datetime | None

    class Revoked(Aggregate.Event):
        TOPIC = "kangaroo_paw.token.revoked.v1"
        WIRE: ClassVar[str] = "TOKEN_REVOKED"
        name: str
        revoked_at: datetime

    @event(Created)
    def __init__(
        self,
        *,
        id: UUID,
        name: str,
        role: str,
        counters: list[str],
        digest: str,
        issued_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        self.name = name
        self.role = Role(role)
        self.counters = list(counters)
        self.digest = digest
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.revoked_at: datetime | None = None

    def revoke(self, at: datetime) -> None:
        if self.revoked_at is not None:
            raise InvalidTransition(f"token {self.name} is already revoked")
        self._revoked(name=self.name, revoked_at=at)

    @event(Revoked)
    def _revoked(self, name: str, revoked_at: datetime) -> None:
        self.revoked_at = revoked_at

    def accepts(self, digest: str, now: datetime) -> bool:
        """The secret behind ``digest`` is this token's, and the token is still good."""
        if not hmac.compare_digest(self.digest, digest):
            return False
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"
