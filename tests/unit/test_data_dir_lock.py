"""One writer per embedded data dir (issue 12, item 7): a SQLite kitchen locks its data dir
from wiring to close, a second open is refused with ``DataDirLocked`` naming the dir and the
holder's pid, and the lock goes with the process that held it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kangaroo_paw
from kangaroo_paw import DataDirLocked, Settings, open_kitchen
from kangaroo_paw.adapters.data_dir_lock import LOCK_FILE, DataDirLock
from kangaroo_paw.composition import build_embedded
from kangaroo_paw.entrypoints.cli import main


def test_a_second_open_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    with open_kitchen(settings) as first:
        order, _ = first.kitchen.confirm_order({"burger_combo": 1}, external_order_id="one")
        with pytest.raises(DataDirLocked) as refused:
            open_kitchen(settings)
        assert refused.value.pid == os.getpid()
        assert refused.value.data_dir == (tmp_path / "var").resolve()
        assert str((tmp_path / "var").resolve()) in str(refused.value)
        assert f"pid {os.getpid()}" in str(refused.value)
        assert first.kitchen.get_order(order.order_id).external_order_id == "one"
    with open_kitchen(settings) as again:
        assert again.kitchen.get_order(order.order_id).external_order_id == "one"
    assert kangaroo_paw.DataDirLocked is DataDirLocked


def test_the_lock_file_names_its_holder_while_held(tmp_path: Path) -> None:
    lock = DataDirLock.acquire(tmp_path)
    assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())
    lock.release()
    lock.release()  # idempotent
    assert (tmp_path / LOCK_FILE).read_text() == ""
    DataDirLock.acquire(tmp_path).release()


def test_a_memory_store_takes_no_lock(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store="memory")
    with open_kitchen(settings), open_kitchen(settings):
        pass
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_failed_wiring_gives_the_lock_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_kitchen: object) -> bool:
        raise RuntimeError("seeding failed")

    monkeypatch.setattr("kangaroo_paw.composition.embedded.seed_demo_kitchen", broken)
    with pytest.raises(RuntimeError, match="seeding failed"):
        build_embedded(Settings(data_dir=tmp_path))
    build_embedded(Settings(data_dir=tmp_path), seed=False).close()


def test_the_lock_goes_with_a_killed_process(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path; "
        "from kangaroo_paw.adapters.data_dir_lock import DataDirLock; "
        "DataDirLock.acquire(Path(sys.argv[1])); print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DataDirLocked) as refused:
            DataDirLock.acquire(tmp_path)
        assert refused.value.pid == holder.pid
    finally:
        holder.kill()
        holder.communicate()
    DataDirLock.acquire(tmp_path).release()  # no stale lock after a crash


def test_seed_refuses_a_locked_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = DataDirLock.acquire(tmp_path)
    try:
        assert main(["seed", "--data-dir", str(tmp_path)]) == 2
    finally:
        lock.release()
    assert (
        f"is in use by another Kangaroo Paw kitchen (pid {os.getpid()})" in capsys.readouterr().err
    )
    assert main(["seed", "--data-dir", str(tmp_path)]) == 0
