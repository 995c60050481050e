"""Temporal adapters (temporalio, imported lazily by the processes that need them): the
allocation and timer workflows, their activities, the worker and ``TemporalScheduler``."""
