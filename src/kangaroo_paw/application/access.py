"""Who may call the kitchen: issue, list and revoke API tokens, and check a presented secret.

Tokens are aggregates like any other, so an issue or a revoke is an event: it replays, and a
revoke takes effect on the next request in every process (each check reads the token by id,
and the aggregate cache fast-forwards to the newest event).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec

from kangaroo_paw.application.core import KitchenCore, retried
from kangaroo_paw.domain import ids
from kangaroo_paw.domain.errors import Conflict, InvalidResource, NotFound
from kangaroo_paw.domain.station import COUNTER
from kangaroo_paw.domain.token import Role, Token, check_token, digest_of

TOKENS = "tokens"
SECRET_PREFIX = "kp_"  # noqa: S105 - a prefix that secret scanners know, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a valid token stands for."""

    name: str
    role: Role
    counters: frozenset[str]


class TokenView(msgspec.Struct, frozen=True, kw_only=True):
    """A token as its owner may see it: never its secret nor its digest."""

    name: str
    role: str
    counters: list[str]
    state: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: Token, now: datetime) -> TokenView:
        return cls(
            name=token.name,
            role=str(token.role),
            counters=list(token.counters),
            state=token.state(now),
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


def new_secret() -> str:
    """256 random bits, URL-safe, with a prefix that secret scanners can recognise."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class AccessCommands(KitchenCore):
    """Issue, list and revoke tokens; authenticate a presented secret."""

    def issue_token(
        self,
        name: str,
        role: str,
        counters: Sequence[str] = (),
        expires_at: datetime | None = None,
        secret: str | None = None,
    ) -> tuple[TokenView, str]:
        """A new token; returns its view and its secret, which is shown only this once.
        ``secret`` is for automation that brings its own (``KP_BOOTSTRAP_TOKEN``)."""
        secret = secret or new_secret()
        if len(secret) < 16:
            raise InvalidResource("a token secret is at least 16 characters")
        return self._record_token(name, role, list(dict.fromkeys(counters)), expires_at, secret)

    @retried
    def _record_token(
        self,
        name: str,
        role: str,
        counters: list[str],
        expires_at: datetime | None,
        secret: str,
    ) -> tuple[TokenView, str]:
        check_token(name, role, counters)
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidResource(f"token {name} would expire in the past ({expires_at})")
        stations = self.stations()
        unknown = [c for c in counters if c not in stations or stations[c].kind != COUNTER]
        if unknown:
            raise InvalidResource(f"unknown counter(s): {', '.join(unknown)}")
        directory = self.directory(TOKENS)
        if name in directory.members:
            raise Conflict(f"a token named {name!r} already exists", name=name)
        digest = digest_of(secret)
        token_id = ids.token_id(digest)
        if self.exists(token_id):
            raise Conflict("that secret already belongs to a token")
        token = Token(
            id=token_id,
            name=name,
            role=role,
            counters=counters,
            digest=digest,
            issued_at=now,
            expires_at=expires_at,
        )
        directory.add(name, token.id)
        self.save(directory, token)
        return TokenView.of(token, now), secret

    @retried
    def revoke_token(self, name: str) -> TokenView:
        token = self._token(name)
        token.revoke(self.clock.now())
        self.save(token)
        return TokenView.of(token, self.clock.now())

    def list_tokens(self) -> list[TokenView]:
        now = self.clock.now()
        members = self.directory(TOKENS).members
        return [TokenView.of(self.load(Token, tid), now) for tid in members.values()]

    def has_tokens(self) -> bool:
        return bool(self.directory(TOKENS).members)

    def authenticate(self, secret: str) -> Principal | None:
        """The caller behind ``secret``, or None for an unknown, revoked or expired one."""
        digest = digest_of(secret)
        try:
            token = self.load(Token, ids.token_id(digest))
        except NotFound:
            return None
        if not token.accepts(digest, self.clock.now()):
            return None
        return Principal(token.name, token.role, frozenset(token.counters))

    def _token(self, name: str) -> Token:
        token_id = self.directory(TOKENS).members.get(name)
        if token_id is None:
            raise NotFound(f"token {name} not found")
        return self.load(Token, token_id)
