"""One writer per embedded data dir: an exclusive OS lock on ``<data_dir>/kitchen.lock``.

Two embedded runtimes on one SQLite file would each follow the log, arm the same timers and
allocate the same tasks. SQLite itself would let them, so the runtime takes a non-blocking
``flock`` on a lock file in the data dir for as long as it is open. The kernel drops the lock
when the process dies, so a crash leaves nothing to clean up; the file itself stays (removing
it would let a third process lock a new file while a second still waits on the old one). The
holder writes its pid into the file, so the refusal can say who holds the dir.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "kitchen.lock"


class DataDirLocked(Exception):
    """Another process (or another open kitchen in this one) holds the data dir."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        holder = f"pid {pid}" if pid is not None else "another process"
        super().__init__(
            f"the data dir {data_dir} is in use by another Kangaroo Paw kitchen ({holder}); "
            "stop it or choose another data dir"
        )
        self.data_dir = data_dir
        self.pid = pid


class DataDirLock:
    """The held lock; ``release()`` (idempotent) gives it back."""

    def __init__(self, data_dir: Path, fd: int) -> None:
        self.data_dir = data_dir
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """Lock ``data_dir`` (created if missing) or raise ``DataDirLocked`` at once."""
        data_dir = data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise DataDirLocked(data_dir, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(data_dir, fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        os.ftruncate(fd, 0)  # no stale pid for the next holder's rivals to name
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    """The pid the holder wrote, if it has written one yet."""
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
