"""bd.store.cache.lazy: what a warm cache builds on first need, once, never waiting for a
cache another process is writing."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bd.store.cache import lazy


def test_build_once_skips_a_busy_cache_at_once_and_builds_exactly_once(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    mine = sqlite3.connect(db, timeout=30.0, isolation_level=None)
    mine.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    other = sqlite3.connect(db, timeout=30.0, isolation_level=None)
    builds: list[int] = []

    def build() -> None:
        builds.append(1)
        lazy.set_flag(mine, "k", "1")

    def done() -> bool:
        return lazy.flag(mine, "k") is not None

    other.execute("BEGIN IMMEDIATE")
    start = time.monotonic()
    assert lazy.build_once(mine, done, build) is False
    assert time.monotonic() - start < 5 and builds == []
    assert mine.execute("PRAGMA busy_timeout").fetchone()[0] == lazy.BUSY_TIMEOUT_MS
    other.execute("ROLLBACK")
    assert lazy.build_once(mine, done, build) is True
    assert lazy.build_once(mine, done, build) is True
    assert builds == [1] and lazy.flag(mine, "k") == "1"
    assert not mine.in_transaction


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    conn = sqlite3.connect(str(tmp_path / "c.db"), isolation_level=None)
    conn.execute("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def build() -> None:
        lazy.set_flag(conn, "k", "1")
        raise RuntimeError("half way")

    try:
        lazy.build_once(conn, lambda: lazy.flag(conn, "k") is not None, build)
    except RuntimeError:
        pass
    assert lazy.flag(conn, "k") is None and not conn.in_transaction
