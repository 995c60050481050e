"""Deterministic ids: the same name always yields the same aggregate id."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c2a4e-8d3b-5c7a-9e0f-4b2d1a3c5e7f")


def order_id(external_order_id: str) -> UUID:
    """Idempotency by construction: a retried confirm targets the same aggregate."""
    return uuid5(NAMESPACE, f"order:{external_order_id}")


def task_id(order: UUID, line: int, unit: int, step_no: int) -> UUID:
    return uuid5(order, f"task:{line}:{unit}:{step_no}")


def station_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"station:{name}")


def staff_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"staff:{name.strip().casefold()}")


def recipe_id(item_key: str) -> UUID:
    return uuid5(NAMESPACE, f"recipe:{item_key}")


def directory_id(kind: str) -> UUID:
    """Id of a directory aggregate that lists every member of a kind (stations, staff, ...)."""
    return uuid5(NAMESPACE, f"directory:{kind}")


def token_id(digest: str) -> UUID:
    """A token is found by the digest of its secret: one read, no index to scan."""
    return uuid5(NAMESPACE, f"token:{digest}")
