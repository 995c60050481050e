"""Prometheus: the process registry, the ``Metrics`` port over it, and its exposition."""
