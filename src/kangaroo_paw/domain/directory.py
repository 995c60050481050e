"""The Directory aggregate: the name → id of every member of one kind (stations, staff, recipes)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Directory(Aggregate):
    """Names → ids of every member of one kind (stations, staff, recipes), for listing."""

    TOPIC = "kangaroo_paw.directory.v1"

    class Created(Aggregate.Created):
        TOPIC = "kangaroo_paw.directory.opened.v1"
        WIRE: ClassVar[str] = "DIRECTORY_OPENED"
        kind: str

    class MemberAdded(Aggregate.Event):
        TOPIC = "kangaroo_paw.directory.member_added.v1"
        WIRE: ClassVar[str] = "DIRECTORY_MEMBER_ADDED"
        name: str
        member_id: UUID

    @event(Created)
    def __init__(self, *, id: UUID, kind: str) -> None:
        self.kind = kind
        self.members: dict[str, UUID] = {}

    def add(self, name: str, member_id: UUID) -> None:
        if self.members.get(name) != member_id:
            self._member_added(name=name, member_id=member_id)

    @event(MemberAdded)
    def _member_added(self, name: str, member_id: UUID) -> None:
        self.members[name] = member_id
