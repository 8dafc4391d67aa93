"""A cache another process keeps locked (a sqlite3 shell, an application reading bd's tables
in a long write transaction): bd waits its busy timeout, then never leaks SQLite's raw
"database is locked" or a traceback.  A write whose JSONL is already replaced succeeds with a
warning (the JSONL is the truth; the cache catches up on the next command); a command that
needs to refresh the cache fails with a clear bd error; once the lock is gone the cache heals.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bdj, create, read_records
from stress_support import assert_cache_heals, assert_no_leak

# bd with the cache's busy timeout cut from 30 s to 0.3 s, so the test does not wait.
SHORT_TIMEOUT = """
import sqlite3, sys
real = sqlite3.connect
sqlite3.connect = lambda *a, **k: real(*a, **{**k, "timeout": 0.3})
from bd.cli import main
sys.exit(main(sys.argv[1:]))
"""


def bd_short(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-c", SHORT_TIMEOUT, *args, "--json"], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert_no_leak(proc, " ".join(args))
    return proc


def test_a_locked_cache_gives_clear_errors_and_heals(repo: Path, tmp_path: Path) -> None:
    first = create(repo, "before the lock")
    holder = sqlite3.connect(repo / ".beads" / "beads.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # hold the write lock, as a long transaction would
    try:
        made = bd_short("create", "while locked", cwd=repo)
        assert made.returncode == 0, made.stdout + made.stderr
        assert "warning" in made.stderr and "locked" in made.stderr
        rid = json.loads(made.stdout)["id"]
        before = (repo / ".beads" / "issues.jsonl").read_bytes()
        assert rid in {r["id"] for r in read_records(repo)}

        # The cache is stale now and cannot be refreshed: clean errors, nothing written.
        for args in (("list",), ("update", first, "--notes", "n")):
            proc = bd_short(*args, cwd=repo)
            assert proc.returncode == 1, proc.stdout + proc.stderr
            assert "locked by another process" in json.loads(proc.stdout)["error"]
        assert (repo / ".beads" / "issues.jsonl").read_bytes() == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_cache_heals(repo, tmp_path / "rebuilt")
    assert bdj("show", rid, cwd=repo)[0]["title"] == "while locked"
    conn = sqlite3.connect(repo / ".beads" / "beads.db")
    try:  # the event logged while the cache was locked reached it too
        assert conn.execute("SELECT event_type FROM events WHERE issue_id = ?",
                            (rid,)).fetchall() == [("created",)]
    finally:
        conn.close()


def test_cli_reports_a_locked_database_as_a_bd_error(
        repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Any sqlite 'database is locked' left over anywhere is exit 1 with a clear message."""
    from bd.cli import main
    from bd.store import store

    def locked(*args: object, **kw: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.chdir(repo)
    monkeypatch.setattr(store.Store, "cache", locked)
    assert main(["ready", "--json"]) == 1
    out = capsys.readouterr().out
    assert json.loads(out)["error"] == ("the cache database (beads.db) is locked by another "
                                        "process; try again")
