"""The built distribution works outside the source tree: the wheel carries the SQL migrations
and the license, and ``kangaroo-paw db migrate`` from a scratch virtualenv migrates a fresh
schema. The sdist is built first and the wheel from it, so both are checked."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import uuid
import zipfile
from pathlib import Path

import pytest

from kangaroo_paw.adapters.postgres.migrate import drop_schema, load_migrations
from kangaroo_paw.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(  # noqa: PLW1510 - checked below with the output in the message
        cmd, capture_output=True, text=True, timeout=600, **kwargs
    )
    assert proc.returncode == 0, f"{cmd}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist")
    proc = run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    (built,) = out.glob("kangaroo_paw-*.whl")
    return built, proc.stdout + proc.stderr


def test_the_wheel_carries_migrations_screens_license_and_metadata(wheel: tuple[Path, str]) -> None:
    built, log = wheel
    assert "SetuptoolsDeprecationWarning" not in log
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
    shipped = sorted(
        Path(n).stem for n in names if n.startswith("kangaroo_paw/adapters/postgres/migrations/")
    )
    assert shipped == [m.version for m in load_migrations()]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # The kitchen screens are served from package files: every one of them must ship.
    static = ROOT / "src/kangaroo_paw/adapters/http/screens/static"
    wanted = {f"kangaroo_paw/adapters/http/screens/static/{p.name}" for p in static.iterdir()}
    assert wanted
    assert wanted <= set(names)
    assert "License-Expression: Apache-2.0" in text
    assert "Classifier: Typing :: Typed" in text


def test_db_migrate_from_an_installed_wheel(wheel: tuple[Path, str], tmp_path: Path) -> None:
    """A scratch venv gets the wheel alone (no deps, nothing else visible to pip); then a .pth
    file lends it the test interpreter's site-packages for the dependencies. Directories added
    by a .pth are not scanned for .pth files, so this checkout's editable install stays
    invisible and the wheel's copy is the one imported."""
    built, _ = wheel
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python, cli = str(venv / "bin" / "python"), str(venv / "bin" / "kangaroo-paw")
    settings = Settings.from_env(postgres_schema=f"kp_wheel_{uuid.uuid4().hex[:10]}")
    # Without PYTHONPATH: pip must not see this checkout (its src/*.egg-info) as installed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["KP_POSTGRES_SCHEMA"] = settings.postgres_schema
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps"]
    run([*pip, str(built)], env=env)
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    (Path(purelib.stdout.strip()) / "test-deps.pth").write_text(sysconfig.get_path("purelib"))
    where = run([python, "-c", "import kangaroo_paw; print(kangaroo_paw.__file__)"], env=env)
    assert where.stdout.startswith(purelib.stdout.strip()), "the wheel's copy is imported"
    try:
        first = run([cli, "db", "migrate"], cwd=tmp_path, env=env)
        assert f"schema {settings.postgres_schema}: 3 applied" in first.stdout
        again = run([cli, "db", "migrate"], cwd=tmp_path, env=env)
        assert "0 applied, 0 changed, 3 up to date" in again.stdout
    finally:
        drop_schema(settings)
