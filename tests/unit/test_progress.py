"""The progress reporters: the silent base counts, the terminal one draws with a fake clock."""

from __future__ import annotations

import io

import pytest

from bd.cli.progress import TerminalProgress, status_line, wanted
from bd.core.progress import SILENT, Progress, Task


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_silent_reporter_counts_and_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with SILENT.task("Importing", total=3) as task:
        task.advance()
        task.advance(2)
        assert (task.done, task.total) == (3, 3)
        task.update(5, total=10)
        assert (task.done, task.total) == (5, 10)
    assert capsys.readouterr() == ("", "")


def test_status_line_has_count_percent_rate_and_eta() -> None:
    task = Task(Progress(), "Importing", 50_000)
    task.done = 12_500
    assert status_line(task, 2.0) == "Importing: 12,500/50,000 (25%) 6,250/s ETA 6s"
    task.total = None
    assert status_line(task, 2.0) == "Importing: 12,500 6,250/s"
    task.done = 0
    assert status_line(task, 0.0) == "Importing: 0"


def test_terminal_redraws_at_most_every_interval_and_summarises() -> None:
    clock, stream = Clock(), io.StringIO()
    reporter = TerminalProgress(stream, clock, every=0.1)
    with reporter.task("Exporting", total=1000) as task:
        task.advance(10)          # no time has passed: nothing drawn yet
        assert stream.getvalue() == ""
        clock.now += 0.2
        task.advance(90)
        assert stream.getvalue() == "\r\x1b[KExporting: 100/1,000 (10%) 500/s ETA 2s"
        clock.now += 0.05         # under the interval: not redrawn
        task.advance(100)
        assert stream.getvalue().count("\r") == 1
        clock.now += 1.0
        task.update(1000)
    assert stream.getvalue().endswith("\r\x1b[KExporting: 1,000 done in 1.2s\n")


def test_quick_or_failed_task_leaves_no_line() -> None:
    clock, stream = Clock(), io.StringIO()
    reporter = TerminalProgress(stream, clock, every=0.0)
    with reporter.task("Reading", total=2) as task:
        clock.now += 0.01
        task.advance()
    assert stream.getvalue().endswith("\r\x1b[K")     # drawn, then erased
    assert "done" not in stream.getvalue()
    stream.seek(0), stream.truncate()
    with pytest.raises(RuntimeError), reporter.task("Reading", total=2) as task:
        clock.now += 5
        task.advance()
        raise RuntimeError("boom")
    assert stream.getvalue().endswith("\r\x1b[K") and "done" not in stream.getvalue()


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wanted_only_on_a_terminal_without_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wanted(False, FakeTTY())
    assert not wanted(True, FakeTTY())
    assert not wanted(False, io.StringIO())
    monkeypatch.setenv("BD_NO_PROGRESS", "1")
    assert not wanted(False, FakeTTY())
