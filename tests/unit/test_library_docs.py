"""docs/library.md is executable: its python blocks run in order in one namespace, and the
package's public names are what the docs and ``__all__`` say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import kangaroo_paw

DOC = Path(__file__).resolve().parents[2] / "docs" / "library.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_the_library_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)  # the default data dir, if an example forgot one
    namespace: dict[str, object] = {"__name__": "library_guide"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
    assert not (tmp_path / "var").exists()


def test_every_public_name_resolves() -> None:
    for name in kangaroo_paw.__all__:
        assert getattr(kangaroo_paw, name) is not None, name
    assert "open_kitchen" in dir(kangaroo_paw)
    with pytest.raises(AttributeError):
        _ = kangaroo_paw.no_such_name  # type: ignore[attr-defined]


def test_importing_the_domain_does_not_load_the_wiring() -> None:
    code = (
        "import sys, kangaroo_paw.domain.order; "
        "print('kangaroo_paw.composition' in sys.modules, 'litestar' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kangaroo_paw", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"kangaroo-paw {kangaroo_paw.__version__}"
