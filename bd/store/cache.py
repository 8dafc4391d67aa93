"""The SQLite cache ``.beads/beads.db``: a rebuildable view of the JSONL for fast queries.

Freshness is decided by the file's stat signature (size, mtime, ctime, inode) stored with
the rows; when it differs, every line is hashed (SHA-1) and only the lines whose hash is
not in the cache are parsed and upserted (``ON CONFLICT DO UPDATE``, never ``REPLACE``, which
would delete the row and cascade into applications' tables); a row leaves only when its
issue left the JSONL.  The blocked set is maintained incrementally: only the issues a change
can affect are re-evaluated (``schema.AFFECTED_SQL``).

The database runs in WAL mode with ``synchronous=NORMAL``: a commit appends to the log
instead of writing a rollback journal with three fsyncs (about 1 ms instead of 15-25 ms).
A power cut can lose the last commits but not corrupt the file, and a lost commit leaves
the previous JSONL signature behind, so the next command refreshes from the JSONL.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

from bd.core import codec as jsonl
from bd.store import schema
from bd.errors import DataError

_COLS = [c for c, _ in schema.ISSUE_COLUMNS]
_BD_COLS = ["bd_line", "bd_line_hash", "bd_created_ns", "bd_updated_ns", "bd_closed_ns",
            "bd_due_ns", "bd_defer_ns", "bd_lead_us"]
_UPSERT = (
    "INSERT INTO issues (id, content_hash, " + ", ".join(_COLS + _BD_COLS) + ") VALUES ("
    + ", ".join("?" * (len(_COLS) + len(_BD_COLS) + 2)) + ") ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ["content_hash", *_COLS, *_BD_COLS])
)
_INSERT = _UPSERT[:_UPSERT.index(" ON CONFLICT")]
_INSERT_LABEL = "INSERT INTO labels(issue_id, label) VALUES (?, ?)"
_INSERT_DEP = ("INSERT INTO dependencies(issue_id, depends_on_id, type, created_at, created_by, "
               "metadata, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
_DEP_UPSERT = (" ON CONFLICT DO UPDATE SET created_at = excluded.created_at, "
               "created_by = excluded.created_by, metadata = excluded.metadata, "
               "thread_id = excluded.thread_id")
_INSERT_COMMENT = ("INSERT INTO comments(issue_id, author, text, created_at, bd_comment_id) "
                   "VALUES (?, ?, ?, ?, ?)")
_BOOL_COLS = frozenset({"ephemeral", "pinned", "is_template"})
# Changes touching more issues than this recompute the whole blocked set instead.
_INCREMENTAL_MAX = 2000


def line_hash(line: bytes) -> bytes:
    """The SHA-1 of a line: what a refresh compares to find the lines that changed.

    A few lines (a write) are hashed by the builtin module, which imports in 0.3 ms where
    hashlib loads OpenSSL (2-3 ms); whole files by OpenSSL's, twice as fast per byte."""
    try:
        from _sha1 import sha1
    except ImportError:  # pragma: no cover - an interpreter without the builtin module
        from hashlib import sha1
    return sha1(line).digest()


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


# Go's RFC3339Nano in UTC (YYYY-MM-DDTHH:MM:SS[.fffffffff]Z), what bd and the original
# write: a cold build converts tens of thousands of these, so they skip ts_key's checks.
_EPOCH: Any = None


def _ts(value: Any) -> int | None:
    """Epoch nanoseconds of a timestamp, exactly as timeutil.ts_key computes them."""
    if not value or not isinstance(value, str):
        return None
    ns = _ts_go(value)
    if ns is None:
        from bd.core.timeutil import ts_key

        ns = ts_key(value)
    # SQLite integers are 64-bit: an instant outside 1677-2262 (a due date in 2300, year
    # 9999) is stored at the nearest end, so it still sorts after (or before) the others.
    return ns if ns is None or -_NS_MAX <= ns <= _NS_MAX else max(-_NS_MAX, min(_NS_MAX, ns))


_NS_MAX = (1 << 63) - 1


def _lead_us(created: Any, closed: Any) -> int | None:
    """closed_at - created_at in microseconds, as graph.Graph.stats measures a lead time
    (None when it does not count one)."""
    if not closed:
        return None
    start = _ts_go(created) if isinstance(created, str) else None
    end = _ts_go(closed) if isinstance(closed, str) else None
    if start is not None and end is not None:  # graph.py parses these to the microsecond
        return end // 1000 - start // 1000
    from datetime import timedelta

    from bd.core.graph import _parse_ts

    begin, finish = _parse_ts(created), _parse_ts(closed)
    if begin is None or finish is None:
        return None
    return (finish - begin) // timedelta(microseconds=1)


def _ts_go(value: str) -> int | None:
    """_ts of a timestamp in Go's UTC shape, else None."""
    global _EPOCH
    n = len(value)
    if (20 <= n <= 30 and value[4:17:3] == "--T::" and value[-1] == "Z"
            and (n == 20 or (n >= 22 and value[19] == "."))):
        frac = value[20:-1]
        if _EPOCH is None:
            from datetime import datetime, timezone

            _EPOCH = (datetime.fromisoformat, datetime(1970, 1, 1, tzinfo=timezone.utc))
        if not frac or (frac.isdigit() and frac.isascii()):
            try:
                delta = _EPOCH[0](value) - _EPOCH[1]  # validates digits and ranges
            except ValueError:
                pass
            else:
                ns = (delta.days * 86400 + delta.seconds) * 1_000_000_000
                return ns + int(frac.ljust(9, "0")) if frac else ns
    return None


_TEXT_NOT_NULL = frozenset({"title", "description", "design", "acceptance_criteria", "notes",
                            "created_at", "updated_at"})
# Record key -> (position in the row, kind): 1 a boolean column, 2 text NOT NULL, 0 other.
_SLOTS = {key: (pos, 1 if col in _BOOL_COLS else 2 if col in _TEXT_NOT_NULL else 0)
          for pos, (col, key) in enumerate(schema.ISSUE_COLUMNS, start=2)}
_EMPTY_ROW: list[Any] = [
    None, None, *(0 if col in _BOOL_COLS else "" if col in _TEXT_NOT_NULL else None
                  for col, _ in schema.ISSUE_COLUMNS)]
_PLAIN = (str, int, float)


def issue_row(rec: Mapping[str, Any], line: bytes, lhash: bytes) -> tuple[Any, ...]:
    """The ``issues`` row of a record (hot on cold builds: one pass over the record's own
    keys, not over every column)."""
    values = _EMPTY_ROW.copy()
    values[0] = rec["id"]
    slots = _SLOTS
    for key, value in rec.items():
        slot = slots.get(key)
        if slot is None:
            continue
        pos, kind = slot
        if kind == 1:
            value = 1 if value else 0
        elif value is None:
            value = "" if kind == 2 else None
        elif type(value) not in _PLAIN:
            value = int(value) if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
        values[pos] = value
    # Read-side defaults for the columns queries filter on (status, type, priority).
    if not values[7]:
        values[7] = "open"
    if type(values[8]) is not int:
        values[8] = 2
    if not values[9]:
        values[9] = "task"
    get = rec.get
    values += [line.decode("utf-8", "replace"), lhash, _ts(get("created_at")),
               _ts(get("updated_at")), _ts(get("closed_at")), _ts(get("due_at")),
               _ts(get("defer_until")),
               None if values[7] == "tombstone" else _lead_us(get("created_at"),
                                                                get("closed_at"))]
    return tuple(values)


# Filling an empty cache binds only the values a record has: absent columns are SQL literals
# (NULL, '' or 0, what issue_row would bind), because binding None in the sqlite3 module
# goes through its adapter lookup (0.3 us a value, 40-odd absent columns a row).
_COLUMN = {pos: col for pos, (col, _) in enumerate(schema.ISSUE_COLUMNS, start=2)}
_ABSENT = {pos: "0" if kind == 1 else "''" if kind == 2 else "NULL"
           for pos, kind in _SLOTS.values()}
_ABSENT.update({7: "'open'", 8: "2", 9: "'task'"})  # the read-side defaults, as issue_row
_NS_COLUMNS = ("bd_created_ns", "bd_updated_ns", "bd_closed_ns", "bd_due_ns", "bd_defer_ns",
               "bd_lead_us")
_NS_KEYS = ("created_at", "updated_at", "closed_at", "due_at", "defer_until")


def _insert_sql(present: tuple[int, ...], ns: tuple[bool, ...]) -> str:
    absent = [pos for pos in _COLUMN if pos not in present]
    cols = ["id", *(_COLUMN[p] for p in present), "bd_line", "bd_line_hash",
            *(c for c, on in zip(_NS_COLUMNS, ns, strict=True) if on),
            *(_COLUMN[p] for p in absent),
            *(c for c, on in zip(_NS_COLUMNS, ns, strict=True) if not on)]
    vals = ["?"] * (3 + len(present) + sum(ns))
    vals += [_ABSENT[p] for p in absent] + ["NULL"] * (len(ns) - sum(ns))
    return f"INSERT INTO issues ({', '.join(cols)}) VALUES ({', '.join(vals)})"


def _general_row(rec: Mapping[str, Any]) -> tuple[list[int], list[Any]]:
    """(positions, values) of the columns a record binds: issue_row's rules, absent and null
    columns left out (their literals are in the statement)."""
    present: list[int] = []
    values: list[Any] = []
    for key, value in rec.items():
        slot = _SLOTS.get(key)
        if slot is None:
            continue
        pos, kind = slot
        if kind == 1:
            value = 1 if value else 0
        elif value is None:
            if kind != 2:
                continue
            value = ""
        elif type(value) not in _PLAIN:
            value = int(value) if isinstance(value, bool) else json.dumps(value,
                                                                          ensure_ascii=False)
        if 7 <= pos <= 9:
            if pos == 8:
                if type(value) is not int:
                    continue
            elif not value:
                continue
        present.append(pos)
        values.append(value)
    return present, values


_PLAIN_TYPES = frozenset(_PLAIN)
# A record key order -> (its column values' getter, their positions); None when one of the
# keys is a boolean column (such records take _general_row).
_PLANS: dict[tuple[str, ...], Any] = {}


def _plan(keys: tuple[str, ...]) -> Any:
    from operator import itemgetter

    cols = [k for k in keys if k in _SLOTS]
    plan = None
    if len(cols) > 1 and all(_SLOTS[k][1] != 1 for k in cols):
        plan = (itemgetter(*cols), tuple(_SLOTS[k][0] for k in cols),
                tuple(i for i, k in enumerate(cols) if _SLOTS[k][0] in (7, 8, 9)))
    if len(_PLANS) < 1000:
        _PLANS[keys] = plan
    return plan


def _bulk_rows(upserts: Iterable[tuple[Mapping[str, Any], bytes, bytes]]
               ) -> dict[tuple[tuple[int, ...], tuple[bool, ...]], list[tuple[Any, ...]]]:
    """The rows of issue_row grouped by which columns they bind (see _insert_sql).

    Records with the same keys in the same order (most of a file) share a plan: their
    column values are taken in one call and bound as they are when all are plain strings
    and numbers, with a status, priority and type that need no default."""
    groups: dict[tuple[tuple[int, ...], tuple[bool, ...]], list[tuple[Any, ...]]] = {}
    plans, plain_types = _PLANS, _PLAIN_TYPES
    for rec, line, lhash in upserts:
        keys = tuple(rec)
        plan = plans[keys] if keys in plans else _plan(keys)
        got = None
        if plan is not None:
            got = plan[0](rec)
            if None in got or not plain_types.issuperset(map(type, got)) or not all(
                    got[i] if plan[1][i] != 8 else type(got[i]) is int for i in plan[2]):
                got = None
        if got is not None:
            positions = plan[1]
            values = [rec["id"], *got]
        else:
            general, values = _general_row(rec)
            positions = tuple(general)
            values.insert(0, rec["id"])
        values.append(line.decode("utf-8", "replace"))
        values.append(lhash)
        get = rec.get
        stamps = []
        last = last_ns = None
        last_go = False
        go = {}  # the stamps in Go's shape, for the lead time
        for key in _NS_KEYS:
            text = get(key)
            if not text or type(text) is not str:
                stamps.append(False)
                continue
            if text == last:  # updated_at is often created_at, closed_at updated_at
                ns, is_go = last_ns, last_go
            else:
                ns = _ts_go(text)
                is_go = ns is not None
                if not is_go:
                    ns = _ts(text)
            if is_go:
                go[key] = ns
            last, last_ns, last_go = text, ns, is_go
            if ns is None:
                stamps.append(False)
            else:
                stamps.append(True)
                values.append(ns)
        lead = None
        if get("closed_at") and get("status") != "tombstone":
            start, end = go.get("created_at"), go.get("closed_at")
            if start is not None and end is not None:
                lead = end // 1000 - start // 1000
            else:
                lead = _lead_us(get("created_at"), get("closed_at"))
        stamps.append(lead is not None)
        if lead is not None:
            values.append(lead)
        sig = (positions, tuple(stamps))
        group = groups.get(sig)
        if group is None:
            groups[sig] = group = []
        group.append(tuple(values))
    return groups


class _NotEmpty(Exception):
    pass


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
        try:
            conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode (see the docstring)
        except sqlite3.DatabaseError:
            pass  # not a database: ensure_schema moves it aside
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
                "SELECT key, value FROM metadata "
                "WHERE key IN ('bd_cache_version', 'bd_jsonl_sig')"))
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
        conn = self.conn
        wal = conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        empty = conn.execute("SELECT 1 FROM issues LIMIT 1").fetchone() is None
        if empty:
            # Filling an empty cache: every relation row points at an issue inserted in the
            # same transaction, so checking each foreign key would only cost time.  A new
            # file is filled before it turns to WAL: its rollback journal stays tiny (new
            # pages need no journal) and the pages are written once, not to a log and again.
            # A page cache the size of the file keeps SQLite from spilling pages half-built,
            # and the garbage collector has nothing to find among the fresh records.
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(f"PRAGMA synchronous = {'NORMAL' if wal else 'FULL'}")
            conn.execute(f"PRAGMA cache_size = -{max(2000, 3 * len(raw) // 1024)}")
            collecting = gc.isenabled()
            gc.disable()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                quick = None if empty or not self.is_plain() else self._sync_blocks(jsonl_path,
                                                                                   raw)
                changed, plain = quick or self._sync(jsonl_path, raw, checked=not empty)
                self.record_written(before, plain)
                jsonl._step("cache:before-commit")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except _NotEmpty:  # rows appeared between the check and the transaction
            return self._refresh_again(jsonl_path)
        finally:
            if empty:
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA cache_size = -2000")
                if collecting:
                    gc.enable()
        if not wal:
            try:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent; see the docstring
            except sqlite3.OperationalError:
                pass  # another connection is open; the next refresh tries again
        return changed

    def _refresh_again(self, jsonl_path: str) -> bool:
        self.conn.execute("PRAGMA foreign_keys = ON")
        return self.refresh(jsonl_path)

    def _sync(self, path: str, raw: bytes, checked: bool = True) -> tuple[bool, bool]:
        """Upsert the lines whose hash the cache does not hold, delete ids that left the file.

        Returns (rows changed, file is plain).  Lines the cache holds were validated when they
        were loaded, so only new lines are checked (conflict markers, JSON, ids); a duplicate
        id is reported by a full scan, which names both lines.
        """
        conn = self.conn
        by_hash = dict(conn.execute("SELECT bd_line_hash, id FROM issues"))
        empty = not by_hash
        if not empty and not checked:
            raise _NotEmpty  # foreign keys are off: only an empty cache may be filled so
        # Rows without a hash (kept hidden, or to be re-derived) share the key '': list them.
        unhashed = ([row[0] for row in conn.execute(
            "SELECT id FROM issues WHERE bd_line_hash = ''")] if "" in by_hash else [])
        from hashlib import sha1  # OpenSSL's: this loop hashes the whole file

        pop, head = by_hash.pop, jsonl.ID_HEAD
        order: list[str] = []
        pending: list[tuple[int, bytes, int, bytes]] = []
        plain = raw.endswith(b"\n") or not raw
        lines = raw.split(b"\n")
        last = len(lines)
        for n, line in enumerate(lines, 1):
            h = sha1(line).digest()  # line_hash, inlined
            rid = pop(h, None)
            if rid is not None:
                order.append(rid)
                if plain and not line.startswith(head):
                    plain = False
            elif line.strip():
                jsonl.check_markers(line, path, n)
                pending.append((len(order), line, n, h))
                order.append("")
                if plain and not line.startswith(head):
                    plain = False
            elif n != last:
                plain = False  # a blank line
        loads = None
        if len(pending) > 2000:  # orjson costs ~10 ms to import; worth it only for bulk parses
            try:
                import orjson

                loads = orjson.loads
            except ImportError:  # pragma: no cover - orjson is a dependency
                pass
        upserts = []
        for i, line, n, h in pending:
            rec = jsonl.parse_line(line, path, n, loads)
            order[i] = rec["id"]
            upserts.append((rec, line, h))
        present = set(order)
        if len(present) != len(order):
            jsonl.Lines(path, raw)  # raises the duplicate-id error with both line numbers
            raise DataError("duplicate ids", path=path)  # pragma: no cover
        plain = plain and all(a < b for a, b in zip(order, order[1:], strict=False))
        by_hash.pop("", None)
        removed = [rid for rid in (*by_hash.values(), *unhashed) if rid not in present]
        if empty:
            self._load(upserts)
        elif upserts or removed:
            self.apply(upserts, removed, in_tx=True)
        if plain:
            self._write_blocks(raw, lines)
        else:
            conn.execute("DELETE FROM bd_blocks")
        return bool(upserts or removed), plain

    # -- blocks: a refresh that hashes runs of lines, not every line ---------------------------

    def _write_blocks(self, raw: bytes, lines: list[bytes] | None = None) -> None:
        """Cut a plain file into runs of schema.BLOCK_LINES lines and store their hashes."""
        from hashlib import sha256
        from itertools import accumulate

        conn = self.conn
        conn.execute("DELETE FROM bd_blocks")
        if lines is None:
            lines = raw.split(b"\n")
        count = len(lines) - 1  # a plain file ends with a newline
        starts = [0, *accumulate(len(line) + 1 for line in lines[:count])]
        view, rows = memoryview(raw), []
        for n, i in enumerate(range(0, count, schema.BLOCK_LINES)):
            first = "" if n == 0 else jsonl.fast_id(lines[i])
            if first is None:
                conn.execute("DELETE FROM bd_blocks")
                return
            end = starts[min(i + schema.BLOCK_LINES, count)]
            rows.append((n, first, sha256(view[starts[i]:end]).digest()))
        conn.executemany("INSERT INTO bd_blocks(n, first_id, hash) VALUES (?, ?, ?)", rows)

    def _sync_blocks(self, path: str, raw: bytes) -> tuple[bool, bool] | None:
        """The refresh of a plain file that was plain when last loaded: hash each stored run
        of lines where it now lies (found by its first id), and look only at the lines of
        the runs whose bytes changed.  None when the new file is not plain there (the caller
        then compares every line).

        Runs found in order and hashing as before mean the file is the old runs' bytes with
        the changed runs' lines in between, so the cache rows of every other line are right.
        """
        from hashlib import sha1, sha256

        conn = self.conn
        blocks = conn.execute("SELECT n, first_id, hash FROM bd_blocks ORDER BY n").fetchall()
        if (not blocks or blocks[0][1] != "" or not raw.endswith(b"\n")
                or not raw.startswith(jsonl.ID_HEAD)):
            return None
        found = jsonl.SortedLines(path, raw)
        try:
            starts = [0, *(found.offset(first) for _, first, _ in blocks[1:]), len(raw)]
        except jsonl.NotPlain:
            return None
        if any(a > b for a, b in zip(starts, starts[1:], strict=False)):
            return None
        view = memoryview(raw)
        stale = [k for k, (_, _, old) in enumerate(blocks)
                 if sha256(view[starts[k]:starts[k + 1]]).digest() != old]
        unhashed = [row[0] for row in conn.execute(
            "SELECT id FROM issues WHERE bd_line_hash = ''")]
        if any(found.has(rid) for rid in unhashed):
            return None  # rows to re-derive: the full comparison does that
        upserts: list[tuple[Mapping[str, Any], bytes, bytes]] = []
        removed = list(unhashed)  # rows kept hidden: try deleting them again
        loads, head = jsonl.parse_line, jsonl.ID_HEAD
        rechunk = False
        for k in stale:
            low = blocks[k][1]
            high = blocks[k + 1][1] if k + 1 < len(blocks) else None
            cached = dict(conn.execute(
                "SELECT bd_line_hash, id FROM issues WHERE id >= ?"
                + (" AND id < ?" if high is not None else ""),
                (low, high) if high is not None else (low,)))
            lines = raw[starts[k]:starts[k + 1]].split(b"\n")[:-1]
            rechunk = rechunk or len(lines) > 4 * schema.BLOCK_LINES
            seen: set[str] = set()
            last = None
            for line in lines:
                if not line.startswith(head):
                    return None
                h = sha1(line).digest()
                rid = cached.pop(h, None)
                if rid is None:
                    try:
                        rec = loads(line, path, 0)
                    except DataError:
                        return None  # the full comparison reports it with its line number
                    rid = rec["id"]
                    upserts.append((rec, line, h))
                if (last is not None and rid <= last) or rid < low or (
                        high is not None and rid >= high):
                    return None  # out of order: not plain any more
                last = rid
                seen.add(rid)
            removed += [rid for rid in cached.values() if rid and rid not in seen]
        removed = list(dict.fromkeys(removed))
        if upserts or removed:
            self.apply(upserts, removed, in_tx=True)
        if rechunk:
            self._write_blocks(raw)
        else:
            conn.executemany("UPDATE bd_blocks SET hash = ? WHERE n = ?", [
                (sha256(view[starts[k]:starts[k + 1]]).digest(), k) for k in stale])
        return bool(upserts or removed), True

    def rehash_blocks(self, data: bytes, ids: Iterable[str]) -> None:
        """After bd wrote a plain file (inside the caller's transaction): rehash the runs
        holding the records it touched."""
        import bisect

        conn = self.conn
        firsts = [row[0] for row in conn.execute("SELECT first_id FROM bd_blocks ORDER BY n")]
        ids = set(ids)
        if not firsts or firsts[0] != "" or len(ids) > schema.BLOCK_LINES:
            self._write_blocks(data)
            return
        try:
            from _sha256 import sha256  # a few runs: the builtin module imports faster
        except ImportError:  # pragma: no cover
            from hashlib import sha256
        found = jsonl.SortedLines("", data)
        view, rows = memoryview(data), []
        try:
            for k in {bisect.bisect_right(firsts, rid) - 1 for rid in ids}:
                start = found.offset(firsts[k]) if k else 0
                end = found.offset(firsts[k + 1]) if k + 1 < len(firsts) else len(data)
                rows.append((sha256(view[start:end]).digest(), k))
        except jsonl.NotPlain:
            self._write_blocks(data)
            return
        conn.executemany("UPDATE bd_blocks SET hash = ? WHERE n = ?", rows)

    def _load(self, upserts: Sequence[tuple[Mapping[str, Any], bytes, bytes]]) -> None:
        """Fill an empty cache: plain inserts, then bd's indexes and the blocked set, once."""
        conn = self.conn
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
            conn.execute(sql)
        conn.execute("DELETE FROM blocked_issues_cache")
        conn.execute(f"INSERT INTO blocked_issues_cache(issue_id) {schema.BLOCKED_SQL}")

    def apply(self, upserts: Iterable[tuple[Mapping[str, Any], bytes, bytes]],
              removed: Iterable[str] = (), *, recompute: bool = True, in_tx: bool = False) -> None:
        """Upsert records (with their lines) and delete removed ids; keep relations and the
        blocked set in step (``recompute=False``: the change cannot affect readiness)."""
        conn = self.conn
        if not in_tx:
            conn.execute("BEGIN IMMEDIATE")
        try:
            upserts = list(upserts)
            removed = list(removed)
            if len(upserts) > _INCREMENTAL_MAX and not removed and conn.execute(
                    "SELECT 1 FROM issues LIMIT 1").fetchone() is None:
                self._load(upserts)  # an import into an empty cache
                if not in_tx:
                    conn.execute("COMMIT")
                return
            touched = [r["id"] for r, _, _ in upserts] + removed
            incremental = recompute and len(touched) <= _INCREMENTAL_MAX
            if incremental:
                old_parents = [row[0] for row in conn.execute(
                    "SELECT depends_on_id FROM dependencies WHERE type = 'parent-child' "
                    "AND issue_id IN (SELECT value FROM json_each(?))", (json.dumps(touched),))]
            if upserts:
                conn.executemany(_UPSERT, (issue_row(r, line, h) for r, line, h in upserts))
                self._sync_relations([r for r, _, _ in upserts])
            if removed:
                self._delete(removed)
            if incremental:
                self.update_blocked(touched, old_parents)
            elif recompute:
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
                conn.execute("UPDATE issues SET status = 'tombstone', bd_line_hash = '', "
                             "bd_lead_us = NULL WHERE id = ?", (rid,))
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
        labels, deps, comments = _relation_rows(records)
        want_labels = set(labels)
        want_deps = {row[:3]: row for row in deps}
        want_comments = comments
        conn.executemany("DELETE FROM labels WHERE issue_id = ? AND label = ?",
                         have_labels - want_labels)
        conn.executemany("INSERT INTO labels(issue_id, label) VALUES (?, ?)",
                         want_labels - have_labels)
        gone = [k for k in have_deps if k not in want_deps]
        conn.executemany("DELETE FROM dependencies WHERE issue_id = ? AND depends_on_id = ? "
                         "AND type = ?", gone)
        conn.executemany(_INSERT_DEP + _DEP_UPSERT,
                         [row for key, row in want_deps.items() if have_deps.get(key) != row])
        keep = {row for row in want_comments if row in have_comments}
        conn.executemany(_INSERT_COMMENT, [row for row in want_comments if row not in keep])
        conn.executemany("DELETE FROM comments WHERE id = ?",
                         [(cid,) for key, cid in have_comments.items() if key not in keep])

    def recompute_blocked(self) -> None:
        """Re-derive the whole dependency-blocked set and apply it as a diff."""
        conn = self.conn
        new = {row[0] for row in conn.execute(schema.BLOCKED_SQL)}
        old = {row[0] for row in conn.execute("SELECT issue_id FROM blocked_issues_cache")}
        self._store_blocked(old - new, new - old)

    def update_blocked(self, touched: list[str], old_parents: list[str]) -> None:
        """Re-evaluate only the issues whose blockedness a change of ``touched`` can affect
        (``old_parents``: the parents the touched issues had before the change)."""
        conn = self.conn
        affected = [row[0] for row in conn.execute(
            schema.AFFECTED_SQL, (json.dumps(touched), json.dumps(old_parents)))]
        if len(affected) > _INCREMENTAL_MAX:
            self.recompute_blocked()
            return
        ids = json.dumps(affected)
        new = {row[0] for row in conn.execute(schema.BLOCKED_AMONG_SQL, (ids,))}
        old = {row[0] for row in conn.execute(
            "SELECT issue_id FROM blocked_issues_cache "
            "WHERE issue_id IN (SELECT value FROM json_each(?))", (ids,))}
        self._store_blocked(old - new, new - old)

    def _store_blocked(self, gone: set[str], added: set[str]) -> None:
        if gone:
            self.conn.executemany("DELETE FROM blocked_issues_cache WHERE issue_id = ?",
                                  ((i,) for i in gone))
        if added:
            self.conn.executemany("INSERT INTO blocked_issues_cache(issue_id) VALUES (?)",
                                  ((i,) for i in added))

    def record_written(self, sig: str, plain: bool) -> None:
        """The JSONL signature the rows now match (inside the caller's transaction), and
        whether the file is plain (:func:`bd.core.codec.is_plain`: writes may then splice it, and
        bd_blocks describes it)."""
        self.set_meta("bd_jsonl_sig", sig)
        self.set_meta("bd_jsonl_plain", "1" if plain else "0")
        if not plain:
            self.conn.execute("DELETE FROM bd_blocks")

    def is_plain(self) -> bool:
        return self.meta("bd_jsonl_plain") == "1"

    def close(self) -> None:
        self.conn.close()


def _relation_rows(records: list[Mapping[str, Any]]
                   ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The labels, dependencies and comments rows of records (edges keyed by issue, target
    and type: the last of duplicates wins, as an upsert would).  Hot on cold builds."""
    labels: dict[tuple[str, str], None] = {}
    deps: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    comments: list[tuple[Any, ...]] = []
    for rec in records:
        rid = rec["id"]
        value = rec.get("labels")
        if value and isinstance(value, list):  # a malformed field holds no rows
            for label in value:
                if isinstance(label, str):
                    labels[(rid, label)] = None
        value = rec.get("dependencies")
        if value and isinstance(value, list):
            for dep in value:
                if type(dep) is not dict and not isinstance(dep, Mapping):
                    continue
                target = dep.get("depends_on_id")
                if not target:
                    continue
                created, by = dep.get("created_at"), dep.get("created_by")
                meta, thread = dep.get("metadata"), dep.get("thread_id")
                row = (rid, str(target), str(dep.get("type") or "blocks"),
                       created if type(created) is str else _scalar(created),
                       (by if type(by) is str else _scalar(by)) or "",
                       None if meta is None else _scalar(meta),
                       None if thread is None else _scalar(thread))
                deps[row[:3]] = row
        value = rec.get("comments")
        if value and isinstance(value, list):
            for c in value:
                if isinstance(c, Mapping):
                    comments.append((rid, _scalar(c.get("author")) or "",
                                     _scalar(c.get("text")) or "",
                                     _scalar(c.get("created_at")) or "",
                                     c.get("id") if isinstance(c.get("id"), int) else None))
    return list(labels), list(deps.values()), comments


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
