"""Opening the cache, its schema and version, recovery from a corrupt file, and the cold
build (every line parsed, rows bulk-inserted, indexes made after).  bd creates its tables
IF NOT EXISTS and clears only its own rows: applications' tables in the same file stay.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence

from bd.core.progress import SILENT, Progress
from bd.store.cache import counts, lazy, orderidx, schema, search
from bd.store.cache.rows import (
    _INSERT_COMMENT,
    _INSERT_DEP,
    _INSERT_LABEL,
    _bulk_rows,
    _insert_sql,
    _relation_rows,
)

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


class CacheBase:
    """An open connection to the cache database: metadata, schema, cold build."""

    def __init__(self, db_path: str, wisps_path: str | None = None) -> None:
        self.path = db_path
        # The git-ignored file of ephemeral records (None: leave their rows alone).
        self.wisps_path = wisps_path
        self.wisps_sig: str | None = None
        self.notices: list[str] = []
        self.progress: Progress = SILENT  # a cold build of a large file reports through this
        self.duplicates_seen = ""  # bd_duplicates as quick_sig last read it
        self.cold_built = False  # this process filled the cache from scratch (_load)
        self.lazy_indexes = False  # bd_lazy_indexes as quick_sig last read it
        self.conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode (see the docstring)
        except sqlite3.DatabaseError:
            pass  # not a database: ensure_schema moves it aside
        return conn

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM metadata WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO metadata(key, value) VALUES (?, ?) ON CONFLICT(key) "
                          "DO UPDATE SET value = excluded.value", (key, value))

    def quick_sig(self) -> tuple[str | None, str | None]:
        """(cache version, stored stat signature), or (None, None) if the cache is unusable."""
        try:
            rows = dict(self.conn.execute(
                "SELECT key, value FROM metadata "
                "WHERE key IN ('bd_cache_version', 'bd_jsonl_sig', 'bd_wisps_sig', "
                "'bd_duplicates', 'bd_lazy_indexes')"))
        except sqlite3.DatabaseError:
            return None, None
        self.wisps_sig = rows.get("bd_wisps_sig")
        self.lazy_indexes = rows.get("bd_lazy_indexes") == "1"
        self.duplicates_seen = rows.get("bd_duplicates") or ""  # read with it, for free
        return rows.get("bd_cache_version"), rows.get("bd_jsonl_sig")

    def close(self) -> None:
        self.conn.close()

    def ensure_schema(self) -> None:
        """Create missing tables; rebuild bd's own tables on corruption or a version change."""
        try:
            version = self.meta("bd_cache_version")
        except sqlite3.DatabaseError as exc:
            if "no such table" not in str(exc):
                self._recover_corrupt(str(exc))
            version = None
        if version == schema.CACHE_VERSION:
            return
        try:
            self._create()
        except sqlite3.DatabaseError as exc:
            self._recover_corrupt(str(exc))
            self._create()
        if version is not None:
            self.notices.append(f"bd: cache format {version} is not {schema.CACHE_VERSION}; "
                                f"rebuilding {self.path} from the JSONL")
            # Re-derive every row in place: forgetting the line hashes makes the next refresh
            # upsert all records, so applications' rows keyed on issues(id) survive.
            try:
                self.conn.execute("UPDATE issues SET bd_line_hash = ''")
            except sqlite3.OperationalError:
                self._clear_bd_rows()
        self.conn.execute("BEGIN IMMEDIATE")
        self.set_meta("bd_cache_version", schema.CACHE_VERSION)
        self.set_meta("bd_jsonl_sig", "")
        self.set_meta("bd_wisps_sig", "")
        self.set_meta("bd_jsonl_plain", "")
        self.conn.execute("DELETE FROM bd_blocks")
        self.conn.execute("COMMIT")

    def _create(self) -> None:
        """bd's tables, columns and indexes, in one transaction (in a new file's rollback
        journal mode each statement alone would be a commit with its fsyncs)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql in schema.DDL.split(";\n"):
                if sql.strip():
                    conn.execute(sql)
            for table, column, kind in schema.ADDED_COLUMNS:  # an older table keeps its own
                if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            for name in schema.OLD_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            for sql in schema.INDEXES:
                conn.execute(sql)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def build_lazy_indexes(self) -> None:
        """Create the indexes a cold build left out (schema.LAZY_INDEXES), unless another
        process holds the cache: then a later command does it."""
        conn = self.conn

        def create() -> None:
            for sql in schema.INDEXES:
                conn.execute(sql)
            conn.execute("DELETE FROM metadata WHERE key = 'bd_lazy_indexes'")

        if lazy.build_once(conn, lambda: self.meta("bd_lazy_indexes") != "1", create):
            self.lazy_indexes = False

    def _clear_bd_rows(self) -> None:
        # Only bd's own rows go; the tables (and any application table) stay.
        self.conn.execute("BEGIN IMMEDIATE")
        search.drop(self.conn)  # bd's search index: rebuilt by the next search
        orderidx.drop(self.conn)  # and the order indexes, by the next warm ready or list
        counts.drop(self.conn)  # and the kept counts, by the next warm stats
        for table in schema.BD_TABLES:
            try:
                self.conn.execute(f"DELETE FROM {table}")
            except sqlite3.OperationalError:
                pass
        self.conn.execute("COMMIT")

    def _recover_corrupt(self, why: str) -> None:
        """A cache SQLite cannot read is moved aside and started afresh (it holds no truth)."""
        self.conn.close()
        aside = self.path + ".corrupt"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.replace(self.path + suffix, aside + suffix)
        self.notices.append(f"bd: cache {self.path} was unreadable ({why}); moved to "
                            f"{os.path.basename(aside)} and rebuilt from the JSONL")
        self.conn = self._connect()

    def _load(self, upserts: Sequence[tuple[Mapping[str, Any], bytes, bytes]]) -> None:
        """Fill an empty cache: plain inserts, then bd's indexes and the blocked set, once."""
        conn = self.conn
        search.drop(conn)  # no row-by-row index upkeep while filling; the next search builds it
        orderidx.drop(conn)  # the next warm `ready` or `list` builds them
        counts.drop(conn)  # no trigger per inserted row; the next warm `stats` counts once
        self.cold_built = True
        for name in schema.BULK_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        for (present, ns), rows in _bulk_rows(upserts).items():
            conn.executemany(_insert_sql(present, ns), rows)
        labels, deps, comments = _relation_rows([r for r, _, _ in upserts])
        conn.executemany(_INSERT_LABEL, labels)
        plain = [row[:5] for row in deps if row[3] is not None and row[5] is None
                 and row[6] is None]  # the usual edge: no metadata, no thread
        conn.executemany(_INSERT_DEP.replace("?, ?)", "NULL, NULL)"), plain)
        if len(plain) < len(deps):
            conn.executemany(_INSERT_DEP, [row for row in deps if not (
                row[3] is not None and row[5] is None and row[6] is None)])
        conn.executemany(_INSERT_COMMENT, comments)
        for sql in schema.INDEXES:
            if sql.split()[5] not in schema.LAZY_INDEXES:
                conn.execute(sql)
        self.set_meta("bd_lazy_indexes", "1")
        fill_blocked(conn)
        conn.execute("DELETE FROM bd_done_parents")
        conn.execute(f"INSERT INTO bd_done_parents(issue_id) {schema.DONE_PARENTS_SQL}")


def fill_blocked(conn: Any) -> None:
    """The blocked set and why each issue is in it, from scratch (every dependency-blocked
    issue has at least one row in bd_blockers, so its ids are the blocked set)."""
    conn.execute("DELETE FROM bd_blockers")
    conn.execute(f"INSERT INTO bd_blockers(issue_id, who) {schema.BLOCKERS_SQL}")
    conn.execute("DELETE FROM blocked_issues_cache")
    conn.execute("INSERT INTO blocked_issues_cache(issue_id) SELECT DISTINCT issue_id "
                 "FROM bd_blockers")
