"""The workspace write lock.

POSIX ``flock`` is used directly: importing the filelock package costs ~27 ms per process
(measured: `python -X importtime -c "import filelock"`), a tax every write would pay.
filelock remains the portable fallback where fcntl is missing (Windows).
"""

from __future__ import annotations

import os
import time

from bd.errors import LockTimeoutError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any


class WorkspaceLock:
    """An exclusive, re-entrant (per object) inter-process lock on ``path``."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0
        self._fallback: Any = None

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            import filelock

            self._fallback = filelock.FileLock(self.path, timeout=self.timeout)
            try:
                self._fallback.acquire()
            except filelock.Timeout:
                raise LockTimeoutError(f"timed out waiting for the lock {self.path}") from None
            self._depth = 1
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeoutError(
                        f"timed out after {self.timeout:g}s waiting for the lock {self.path}"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth:
            return
        if self._fallback is not None:
            self._fallback.release()
            self._fallback = None
            return
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
