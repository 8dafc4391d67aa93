"""Progress lines on a terminal: ``Importing: 12,345/50,000 (24%) 8,210/s ETA 5s``.

``for_cli(ctx)`` gives the reporter a command passes to the library: a ``TerminalProgress``
when stderr is a terminal, else the silent ``SILENT`` (agents, pipes, ``-q``,
``BD_NO_PROGRESS``), so non-interactive runs never see a byte.  The line is redrawn in place
at most ten times a second; when a task ends it is replaced by a summary, or erased if the
task was quick.
"""

from __future__ import annotations

import os
import sys
import time

from bd.core.progress import SILENT, Progress, Task

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO

REDRAW_EVERY = 0.1   # seconds between redraws
QUICK = 0.5          # tasks shorter than this leave no line behind
_ERASE = "\r\x1b[K"


def _count(n: float) -> str:
    return f"{round(n):,}"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def status_line(task: Task, elapsed: float) -> str:
    """The in-progress line: count (of total, percent), rate, time left."""
    text = f"{task.label}: {_count(task.done)}"
    if task.total:
        text += f"/{_count(task.total)} ({min(100, task.done * 100 // task.total)}%)"
    if elapsed > 0 and task.done:
        rate = task.done / elapsed
        text += f" {_count(rate)}/s"
        if task.total and task.done < task.total:
            text += f" ETA {_duration((task.total - task.done) / rate)}"
    return text


class TerminalProgress(Progress):
    """Draws each task on one line of ``stream`` (a terminal)."""

    def __init__(self, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 every: float | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        if every is None:  # BD_PROGRESS_REDRAW: seconds between redraws (tests use 0)
            try:
                every = float(os.environ.get("BD_PROGRESS_REDRAW") or REDRAW_EVERY)
            except ValueError:
                every = REDRAW_EVERY
        self.every = every
        self._start = 0.0
        self._drawn = 0.0
        self._shown = False

    def started(self, task: Task) -> None:
        self._start = self._drawn = self.clock()
        self._shown = False

    def changed(self, task: Task) -> None:
        now = self.clock()
        if now - self._drawn < self.every:
            return
        self._drawn = now
        self._write(_ERASE + status_line(task, now - self._start))
        self._shown = True

    def finished(self, task: Task, failed: bool = False) -> None:
        elapsed = self.clock() - self._start
        if failed or elapsed < QUICK:
            if self._shown:
                self._write(_ERASE)
        else:
            self._write(f"{_ERASE}{task.label}: {_count(task.done)} done in "
                        f"{elapsed:.1f}s\n")
        self._shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not fail the work
            pass


def wanted(quiet: bool, stream: Any = None) -> bool:
    """Progress is drawn only on a terminal, and not with -q or BD_NO_PROGRESS."""
    stream = sys.stderr if stream is None else stream
    if quiet or os.environ.get("BD_NO_PROGRESS"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def for_cli(ctx: Any) -> Progress:
    """The reporter for a command's long work: drawn on a terminal, else silent."""
    return TerminalProgress() if wanted(bool(getattr(ctx, "quiet", False))) else SILENT
