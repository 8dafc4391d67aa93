"""The SQLite cache ``.beads/beads.db``: a rebuildable view of the JSONL for fast queries.

Freshness is decided by a content signature: a cheap stat tuple first, then a SHA-256 of the
bytes when the stat changed.  Refresh is incremental: only lines whose hash changed are
parsed and upserted (``ON CONFLICT DO UPDATE``, never ``REPLACE``, which would delete the row
and cascade into applications' tables); a row leaves only when its issue left the JSONL.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

from bd import jsonl, schema
from bd.errors import DataError

_COLS = [c for c, _ in schema.ISSUE_COLUMNS]
_UPSERT = (
    "INSERT INTO issues (id, content_hash, " + ", ".join(_COLS)
    + ", bd_line, bd_line_hash, bd_created_ns, bd_updated_ns, bd_closed_ns, bd_due_ns,"
    " bd_defer_ns) VALUES (" + ", ".join("?" * (len(_COLS) + 9)) + ") ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ["content_hash", *_COLS, "bd_line", "bd_line_hash",
                                                  "bd_created_ns", "bd_updated_ns", "bd_closed_ns",
                                                  "bd_due_ns", "bd_defer_ns"])
)
_BOOL_COLS = frozenset({"ephemeral", "pinned", "is_template"})


def line_hash(line: bytes) -> str:
    import hashlib  # lazily: ~2 ms, and only writes and refreshes need it

    return hashlib.blake2b(line, digest_size=12).hexdigest()


def stat_sig(path: str) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return int(value) if isinstance(value, bool) else value
    return json.dumps(value, ensure_ascii=False)


def _ts(value: Any) -> int | None:
    if not value or not isinstance(value, str):
        return None
    from bd.timeutil import ts_key

    return ts_key(value)


_TEXT_NOT_NULL = frozenset({"title", "description", "design", "acceptance_criteria", "notes",
                            "created_at", "updated_at"})
_PLAN = tuple((key, 1 if col in _BOOL_COLS else 2 if col in _TEXT_NOT_NULL else 0)
              for col, key in schema.ISSUE_COLUMNS)
_PLAIN = (str, int, float)


def issue_row(rec: Mapping[str, Any], line: bytes, lhash: str) -> tuple[Any, ...]:
    """The ``issues`` row of a record (hot on cold builds: kept to one pass, no branches per type)."""
    values: list[Any] = [rec["id"], None]
    get = rec.get
    for key, kind in _PLAN:
        value = get(key)
        if kind == 1:
            value = 1 if value else 0
        elif value is None:
            value = "" if kind == 2 else None
        elif type(value) not in _PLAIN:
            value = int(value) if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
        values.append(value)
    # Read-side defaults for the columns queries filter on (status, type, priority).
    if not values[7]:
        values[7] = "open"
    if type(values[8]) is not int:
        values[8] = 2
    if not values[9]:
        values[9] = "task"
    values += [line.decode("utf-8", "replace"), lhash, _ts(get("created_at")),
               _ts(get("updated_at")), _ts(get("closed_at")), _ts(get("due_at")),
               _ts(get("defer_until"))]
    return tuple(values)


class Cache:
    """An open connection to the cache database."""

    def __init__(self, db_path: str) -> None:
        self.path = db_path
        self.notices: list[str] = []
        self.conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    # -- schema and versioning -------------------------------------------------------------

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
                "SELECT key, value FROM metadata WHERE key IN ('bd_cache_version', 'bd_jsonl_sig')"))
        except sqlite3.DatabaseError:
            return None, None
        return rows.get("bd_cache_version"), rows.get("bd_jsonl_sig")

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
            self.conn.executescript(schema.DDL)
        except sqlite3.DatabaseError as exc:
            self._recover_corrupt(str(exc))
            self.conn.executescript(schema.DDL)
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
        self.set_meta("bd_jsonl_hash", "")
        self.conn.execute("COMMIT")

    def _clear_bd_rows(self) -> None:
        # Only bd's own rows go; the tables (and any application table) stay.
        self.conn.execute("BEGIN IMMEDIATE")
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

    # -- refresh ----------------------------------------------------------------------------

    def is_fresh(self, jsonl_path: str) -> bool:
        version, sig = self.quick_sig()
        return version == schema.CACHE_VERSION and sig == stat_sig(jsonl_path)

    def refresh(self, jsonl_path: str) -> bool:
        """Bring the cache in line with the JSONL. Returns True if rows changed."""
        self.ensure_schema()
        for _ in range(5):
            before = stat_sig(jsonl_path)
            raw = jsonl.read_bytes(jsonl_path)
            if stat_sig(jsonl_path) == before:
                break
        else:  # pragma: no cover - a file rewritten continuously
            raise DataError("file kept changing while being read", path=jsonl_path)
        import hashlib

        digest = hashlib.sha256(raw).hexdigest()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if self.meta("bd_jsonl_hash") == digest:
                changed = False
            else:
                changed = self._sync_lines(jsonl.Lines(jsonl_path, raw))
                self.set_meta("bd_jsonl_hash", digest)
            self.set_meta("bd_jsonl_sig", before)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return changed

    def _sync_lines(self, lines: jsonl.Lines) -> bool:
        stored = dict(self.conn.execute("SELECT id, bd_line_hash FROM issues"))
        pending: list[tuple[bytes, int, str]] = []
        for rid, line, lineno in zip(lines.ids, lines.lines, lines.linenos):
            h = line_hash(line)
            if stored.pop(rid, None) != h:
                pending.append((line, lineno, h))
        loads = None
        if len(pending) > 2000:  # orjson costs ~20 ms to import; worth it only for bulk parses
            try:
                import orjson

                loads = orjson.loads
            except ImportError:  # pragma: no cover - orjson is a dependency
                pass
        upserts = [(jsonl.parse_line(line, lines.path, n, loads), line, h)
                   for line, n, h in pending]
        removed = list(stored)
        self.apply(upserts, removed, recompute=bool(upserts or removed), in_tx=True)
        return bool(upserts or removed)

    def apply(self, upserts: Iterable[tuple[Mapping[str, Any], bytes, str]],
              removed: Iterable[str] = (), *, recompute: bool = True, in_tx: bool = False) -> None:
        """Upsert records (with their lines) and delete removed ids; keep relations in step."""
        conn = self.conn
        if not in_tx:
            conn.execute("BEGIN IMMEDIATE")
        try:
            upserts = list(upserts)
            if upserts:
                conn.executemany(_UPSERT, (issue_row(r, line, h) for r, line, h in upserts))
                self._sync_relations([r for r, _, _ in upserts])
            removed = list(removed)
            if removed:
                self._delete(removed)
            if recompute:
                self.recompute_blocked()
            if not in_tx:
                conn.execute("COMMIT")
        except BaseException:
            if not in_tx:
                conn.execute("ROLLBACK")
            raise

    def _delete(self, removed: list[str]) -> None:
        """Delete rows of issues that left the JSONL.

        An application table may reference ``issues(id)`` without ``ON DELETE``; SQLite then
        refuses the delete.  Such a row is kept but hidden (status tombstone, no line), with
        a notice, and retried on the next refresh, instead of failing the command.
        """
        conn = self.conn
        conn.execute("SAVEPOINT bd_delete")
        try:
            conn.executemany("DELETE FROM issues WHERE id = ?", ((r,) for r in removed))
            conn.execute("RELEASE bd_delete")
            return
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO bd_delete")
            conn.execute("RELEASE bd_delete")
        for rid in removed:
            conn.execute("SAVEPOINT bd_delete_one")
            try:
                conn.execute("DELETE FROM issues WHERE id = ?", (rid,))
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK TO bd_delete_one")
                conn.execute("UPDATE issues SET status = 'tombstone', bd_line_hash = '' "
                             "WHERE id = ?", (rid,))
                conn.execute("DELETE FROM blocked_issues_cache WHERE issue_id = ?", (rid,))
                self.notices.append(
                    f"bd: {rid} left the JSONL, but an application table references it without "
                    "ON DELETE; its cache row is kept hidden")
            conn.execute("RELEASE bd_delete_one")

    def _sync_relations(self, records: list[Mapping[str, Any]]) -> None:
        """Diff each record's labels, dependencies and comments against its rows."""
        conn = self.conn
        ids = [r["id"] for r in records]
        have_labels: set[tuple[str, str]] = set()
        have_deps: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        have_comments: dict[tuple[Any, ...], int] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            have_labels.update(conn.execute(
                f"SELECT issue_id, label FROM labels WHERE issue_id IN ({marks})", chunk))
            for row in conn.execute(
                    "SELECT issue_id, depends_on_id, type, created_at, created_by, metadata, "
                    f"thread_id FROM dependencies WHERE issue_id IN ({marks})", chunk):
                have_deps[row[:3]] = row
            for row in conn.execute(
                    "SELECT id, issue_id, author, text, created_at, bd_comment_id FROM comments "
                    f"WHERE issue_id IN ({marks})", chunk):
                have_comments[row[1:]] = row[0]
        want_labels: set[tuple[str, str]] = set()
        want_deps: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        want_comments: list[tuple[Any, ...]] = []
        for rec in records:
            rid = rec["id"]
            for label in rec.get("labels") or ():
                if isinstance(label, str):
                    want_labels.add((rid, label))
            for dep in rec.get("dependencies") or ():
                if not isinstance(dep, Mapping) or not dep.get("depends_on_id"):
                    continue
                row = (rid, str(dep["depends_on_id"]), str(dep.get("type") or "blocks"),
                       _scalar(dep.get("created_at")), _scalar(dep.get("created_by")) or "",
                       _scalar(dep.get("metadata")), _scalar(dep.get("thread_id")))
                want_deps[row[:3]] = row
            for c in rec.get("comments") or ():
                if isinstance(c, Mapping):
                    want_comments.append((rid, _scalar(c.get("author")) or "",
                                          _scalar(c.get("text")) or "",
                                          _scalar(c.get("created_at")) or "",
                                          c.get("id") if isinstance(c.get("id"), int) else None))
        conn.executemany("DELETE FROM labels WHERE issue_id = ? AND label = ?",
                         have_labels - want_labels)
        conn.executemany("INSERT INTO labels(issue_id, label) VALUES (?, ?)",
                         want_labels - have_labels)
        gone = [k for k in have_deps if k not in want_deps]
        conn.executemany("DELETE FROM dependencies WHERE issue_id = ? AND depends_on_id = ? "
                         "AND type = ?", gone)
        conn.executemany(
            "INSERT INTO dependencies(issue_id, depends_on_id, type, created_at, created_by, "
            "metadata, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "created_at = excluded.created_at, created_by = excluded.created_by, "
            "metadata = excluded.metadata, thread_id = excluded.thread_id",
            [row for key, row in want_deps.items() if have_deps.get(key) != row])
        keep = {row for row in want_comments if row in have_comments}
        conn.executemany("INSERT INTO comments(issue_id, author, text, created_at, "
                         "bd_comment_id) VALUES (?, ?, ?, ?, ?)",
                         [row for row in want_comments if row not in keep])
        conn.executemany("DELETE FROM comments WHERE id = ?",
                         [(cid,) for key, cid in have_comments.items() if key not in keep])

    def recompute_blocked(self) -> None:
        """Re-derive the dependency-blocked set and apply it as a diff."""
        conn = self.conn
        new = {row[0] for row in conn.execute(schema.BLOCKED_SQL)}
        old = {row[0] for row in conn.execute("SELECT issue_id FROM blocked_issues_cache")}
        if old - new:
            conn.executemany("DELETE FROM blocked_issues_cache WHERE issue_id = ?",
                             ((i,) for i in old - new))
        if new - old:
            conn.executemany("INSERT INTO blocked_issues_cache(issue_id) VALUES (?)",
                             ((i,) for i in new - old))

    def record_written(self, sig: str, digest: str) -> None:
        """After bd itself wrote the JSONL (inside the caller's transaction)."""
        self.set_meta("bd_jsonl_sig", sig)
        self.set_meta("bd_jsonl_hash", digest)

    def close(self) -> None:
        self.conn.close()


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
