"""``python -m bench [suite ...]``: run benchmark suites, save JSON, print tables."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import bench
from bench.common import SIZES, Skipped, down, figures, fmt, machine, unreachable

RESULTS = Path(__file__).parent / "results"


def suites() -> list[str]:
    """Every ``bench/suite_<name>.py``, by name."""
    found = [m.name for m in pkgutil.iter_modules(bench.__path__)]
    return sorted(n.removeprefix("suite_") for n in found if n.startswith("suite_"))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("suites", nargs="*", help=f"suites to run (all: {', '.join(suites())})")
    parser.add_argument("--size", choices=SIZES, default="full", help="tiny = smoke test")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--list", action="store_true", help="list the suites and exit")
    return parser.parse_args(argv)


def run_suite(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one suite and wrap its result with the context a reader needs."""
    started = time.perf_counter()
    header = {
        "suite": name,
        "size": args.size,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f"python -m bench {name}"
        + ("" if args.size == "full" else f" --size {args.size}"),
        "machine": machine(),
    }
    try:
        module = importlib.import_module(f"bench.suite_{name}")
        missing = down(getattr(module, "SERVICES", ()))
        if missing:
            raise Skipped("; ".join(missing))
        body = module.run(args)
    except Skipped as exc:
        body = {"status": "skipped", "reason": str(exc)}
    except ImportError as exc:
        body = {"status": "skipped", "reason": f"missing package: {exc.name or exc}"}
    except Exception as exc:  # noqa: BLE001 - one failing suite must not hide the others
        status = "skipped" if unreachable(exc) else "failed"
        body = {"status": status, "reason": repr(exc), "traceback": traceback.format_exc()}
    result = {**header, "status": "ok", **body}
    result["wall_secs"] = round(time.perf_counter() - started, 2)
    return result


def show(result: dict[str, Any], console: Console) -> None:
    title = f"{result['suite']} ({result['size']}, {result['wall_secs']} s)"
    if result["status"] != "ok":
        console.print(f"[yellow]{title}: {result['status']}: {result.get('reason', '')}")
        return
    metrics = result.get("metrics", [])
    if metrics:
        table = Table(title=title)
        for col in ("metric", "unit", "n", "median", "p90", "p99"):
            table.add_column(col, justify="left" if col in ("metric", "unit") else "right")
        for m in metrics:
            table.add_row(
                m["name"],
                m["unit"],
                str(m.get("n", "")),
                *(fmt(m.get(k)) for k in ("median", "p90", "p99")),
            )
        console.print(table)
    flat = figures(result)
    if flat:
        table = Table(title=title)
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in flat.items():
            table.add_row(key, fmt(value))
        console.print(table)
    for caption, data in result.get("tables", {}).items():
        table = Table(title=caption)
        for col in data["columns"]:
            table.add_column(str(col), justify="right")
        for row in data["rows"]:
            table.add_row(*(fmt(v) for v in row))
        console.print(table)
    for note in result.get("notes", []):
        console.print(f"- {note}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    console = Console()
    if args.list:
        console.print("\n".join(suites()))
        return 0
    chosen = args.suites or suites()
    unknown = [s for s in chosen if s not in suites()]
    if unknown:
        console.print(f"[red]unknown suite(s): {', '.join(unknown)}; have {', '.join(suites())}")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in chosen:
        console.print(f"[bold]running {name} ({args.size})...")
        result = run_suite(name, args)
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        show(result, console)
        failed += result["status"] == "failed"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
