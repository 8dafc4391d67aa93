"""Progress of long work, as the library reports it: counters, never output.

Library code takes a ``progress`` argument (default ``SILENT``) and counts its work in tasks:

    with progress.task("Importing", total=len(records)) as task:
        for rec in records:
            ...
            task.advance()

``Progress`` itself is the silent reporter: every call is a counter update.  The CLI passes a
subclass that draws the counts on a terminal (``bd.cli.progress``); nothing here does I/O.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from types import TracebackType


class Task:
    """One phase of long work: ``done`` of ``total`` units (``total`` None when unknown)."""

    __slots__ = ("reporter", "label", "total", "done")

    def __init__(self, reporter: Progress, label: str, total: int | None) -> None:
        self.reporter, self.label, self.total, self.done = reporter, label, total, 0

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.reporter.changed(self)

    def update(self, done: int, total: int | None = None) -> None:
        """Set the absolute count (and the total, when it is learnt late)."""
        self.done = done
        if total is not None:
            self.total = total
        self.reporter.changed(self)

    def __enter__(self) -> Task:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.reporter.finished(self, failed=kind is not None)


class Progress:
    """The silent reporter, and the base of reporters that show something.

    Subclasses override ``started``, ``changed`` and ``finished``; tasks run one after the
    other (phases), never nested.
    """

    def task(self, label: str, total: int | None = None) -> Task:
        task = Task(self, label, total)
        self.started(task)
        return task

    def started(self, task: Task) -> None:
        """A task began."""

    def changed(self, task: Task) -> None:
        """A task's count moved (called often: keep it cheap)."""

    def finished(self, task: Task, failed: bool = False) -> None:
        """A task ended (``failed``: by an exception)."""


SILENT = Progress()
