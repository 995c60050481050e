"""Two ``kangaroo-paw serve`` processes on one embedded data dir (issue 12, item 7): the second
exits with status 2 and one line naming the dir and the pid that holds it; the first serves on."""

from __future__ import annotations

from pathlib import Path

import httpx

from e2e.test_http_serve import Served


def test_a_second_server_on_the_same_data_dir_exits_2(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    first = Served(data_dir)
    second: Served | None = None
    try:
        first.wait_ready()
        second = Served(data_dir)
        _, stderr = second.proc.communicate(timeout=30)
        assert second.proc.returncode == 2
        assert stderr.splitlines() == [
            f"kangaroo-paw serve: the data dir {data_dir.resolve()} is in use by another "
            f"Kangaroo Paw kitchen (pid {first.proc.pid}); stop it or choose another data dir"
        ]
        assert httpx.get(f"{first.url}/health/ready", timeout=5).status_code == 200
        code, _ = first.stop()
        assert code == 0
    finally:
        for served in (first, second):
            if served is not None and served.proc.poll() is None:
                served.proc.kill()
                served.proc.communicate()
