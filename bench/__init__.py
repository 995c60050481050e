"""Kangaroo Paw benchmarks: ``python -m bench [suite ...]``.

A suite is a module ``bench/suite_<name>.py`` with ``run(args) -> dict``. ``args`` carries
``size`` ("tiny" for the smoke test, "small", "full") and ``seed``. The dict it returns may
hold:

- ``metrics``: a list of ``bench.common.metric(...)`` / ``rate(...)`` rows (median, p90, p99
  of repeated measurements; ratios are measured side by side in the same run);
- ``tables``: ``{title: {"columns": [...], "rows": [[...], ...]}}`` for anything else;
- ``notes``: a list of sentences for the reader;
- or, simplest, flat scalar figures (``{"events_per_s": 1234, ...}``), shown as a table;
- ``status``: "skipped" with a ``reason`` when a service it needs is down (or raise
  ``bench.common.Skipped``).

A suite that needs servers declares them, ``SERVICES = ("postgres", "kafka")``: the harness
checks each (``KP_*`` addresses) and reports "skipped: <service> is not reachable at ..."
instead of running it. A connection error raised by a suite is also reported as skipped.

The harness adds the machine description, timings and the command, writes
``bench/results/<suite>.json`` and prints the tables; ``python -m bench.report`` turns the
results into ``docs/performance.md``.
"""
