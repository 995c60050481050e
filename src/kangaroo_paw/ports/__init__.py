"""Ports: what the application needs from the outside world, as small protocols."""

from kangaroo_paw.ports.clock import Clock
from kangaroo_paw.ports.envelope import Envelope
from kangaroo_paw.ports.publisher import EventPublisher
from kangaroo_paw.ports.queue import QueueEntry, QueueOp, ReadyQueue, Remove, Upsert
from kangaroo_paw.ports.read_model import OrderRow, ReadModel, TaskRow
from kangaroo_paw.ports.scheduler import Scheduler, TimerHandlers

__all__ = [
    "Clock",
    "Envelope",
    "EventPublisher",
    "OrderRow",
    "QueueEntry",
    "QueueOp",
    "ReadModel",
    "ReadyQueue",
    "Remove",
    "Scheduler",
    "TaskRow",
    "TimerHandlers",
    "Upsert",
]
