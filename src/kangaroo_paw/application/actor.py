"""Who did it: the actor of the command being run (a token's name and role), stored with
every event that command records, so the event log says who changed what.

The HTTP layer sets the actor for a request (``acting_as``); the event store's mapper stamps it
into each event's stored state (``ActorMapper``, installed by ``MAPPER_TOPIC``), and a stored
event comes back with an ``actor`` attribute that the envelope carries in its ``data``. What
the kitchen does by itself (timers, allocation passes of its scheduler) has no actor.
Aggregates never see it: eventsourcing applies an event with the arguments its method takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

current_actor: ContextVar[Mapping[str, str] | None] = ContextVar("kitchen_actor", default=None)


def set_actor(name: str, role: str) -> None:
    """The actor of everything recorded from here on in this context (one HTTP request)."""
    current_actor.set({"name": name, "role": role})


@contextmanager
def acting_as(name: str, role: str) -> Iterator[None]:
    token = current_actor.set({"name": name, "role": role})
    try:
        yield
    finally:
        current_actor.reset(token)


class ActorMapper(Mapper[UUID]):
    """The library's mapper, plus the current actor in the stored state of every event."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        actor = current_actor.get()
        if actor is None or isinstance(domain_event, Snapshot) or "actor" in vars(domain_event):
            return super().to_stored_event(domain_event)
        stamped = object.__new__(type(domain_event))
        object.__setattr__(stamped, "__dict__", {**vars(domain_event), "actor": dict(actor)})
        return super().to_stored_event(stamped)
