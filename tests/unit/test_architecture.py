"""The domain layer imports only the standard library and ``eventsourcing.domain``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import kangaroo_paw.domain

DOMAIN = Path(kangaroo_paw.domain.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_only_stdlib_and_eventsourcing_domain() -> None:
    offenders = {}
    for path in sorted(DOMAIN.glob("*.py")):
        bad = {
            name
            for name in _imports(path)
            if name.split(".")[0] not in sys.stdlib_module_names
            and name != "eventsourcing.domain"
            and not name.startswith("kangaroo_paw.domain")
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_scan_sees_imports() -> None:
    # Guard against a scan that finds nothing and so passes vacuously.
    assert "eventsourcing.domain" in _imports(DOMAIN / "task.py")
