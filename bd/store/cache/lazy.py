"""What a warm cache builds the first time a command needs it (the search index, the order
indexes, the kept counts): in one write transaction, checked again inside it, and skipped
when another process holds the cache, so that command answers the slow way and a later one
builds."""

from __future__ import annotations

import sqlite3

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


BUSY_TIMEOUT_MS = 30000  # the cache connection's own (bd.store.cache.build: timeout=30.0)


def build_once(conn: Any, done: Callable[[], bool], build: Callable[[], None]) -> bool:
    """True once ``done()`` holds, after running ``build()`` when it did not; False when
    the cache is busy."""
    if done():
        return True
    conn.execute("PRAGMA busy_timeout = 0")  # another writer: do not wait 30 s for it
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        if not done():
            build()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def flag(conn: Any, key: str) -> str | None:
    """The metadata value a built structure records, or None."""
    row = conn.execute("SELECT value FROM metadata WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_flag(conn: Any, key: str, value: str) -> None:
    conn.execute("INSERT INTO metadata(key, value) VALUES (?, ?) ON CONFLICT(key) "
                 "DO UPDATE SET value = excluded.value", (key, value))
