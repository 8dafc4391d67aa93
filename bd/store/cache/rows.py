"""Records to rows: the ``issues`` row of a record (typed columns, timestamps as
nanoseconds for ordering), the bulk-insert plans of a cold build, and the relation rows
(labels, dependencies, comments).  Hot on cold builds, so written for speed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC

from bd.store.cache import schema

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

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
    """Epoch nanoseconds of a timestamp in Go's UTC shape (not held to 64 bits), else None."""
    global _EPOCH
    n = len(value)
    if (20 <= n <= 30 and value[4:17:3] == "--T::" and value[-1] == "Z"
            and (n == 20 or (n >= 22 and value[19] == "."))):
        frac = value[20:-1]
        if _EPOCH is None:
            from datetime import datetime

            _EPOCH = (datetime.fromisoformat, datetime(1970, 1, 1, tzinfo=UTC))
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
        # (getter, positions, the status/type values that need a default when empty, the
        # priority's place, and the stamps the record has: (index in _NS_KEYS, in got)).
        plan = (itemgetter(*cols), tuple(_SLOTS[k][0] for k in cols),
                tuple(i for i, k in enumerate(cols) if _SLOTS[k][0] in (7, 9)),
                next((i for i, k in enumerate(cols) if _SLOTS[k][0] == 8), None),
                tuple((n, cols.index(k)) for n, k in enumerate(_NS_KEYS) if k in cols))
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
    plans, plain_types, absent = _PLANS, _PLAIN_TYPES, (None,) * len(_NS_KEYS)
    for rec, line, lhash in upserts:
        keys = tuple(rec)
        plan = plans[keys] if keys in plans else _plan(keys)
        got = None
        if plan is not None:
            got = plan[0](rec)
            if None in got or not plain_types.issuperset(map(type, got)) or (
                    plan[3] is not None and type(got[plan[3]]) is not int):
                got = None
            else:
                for i in plan[2]:
                    if not got[i]:
                        got = None
                        break
        if got is not None:
            positions = plan[1]
            values = [rec["id"], *got]
            texts = list(absent)
            for n, i in plan[4]:
                texts[n] = got[i]
        else:
            general, values = _general_row(rec)
            positions = tuple(general)
            values.insert(0, rec["id"])
            texts = [rec.get(key) for key in _NS_KEYS]
        values.append(line.decode("utf-8", "replace"))
        values.append(lhash)
        stamps = []
        last = last_ns = None
        last_go = False
        go: list[Any] = [None, None, None]  # Go-shaped created_at, updated_at, closed_at
        for n, text in enumerate(texts):
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
            if is_go and n < 3:
                go[n] = ns
            last, last_ns, last_go = text, ns, is_go
            if ns is None:
                stamps.append(False)
            else:
                stamps.append(True)
                # Held to SQLite's 64-bit integers as _ts holds them (a due date in 9999).
                values.append(ns if -_NS_MAX <= ns <= _NS_MAX
                              else max(-_NS_MAX, min(_NS_MAX, ns)))
        lead = None
        if texts[2] and rec.get("status") != "tombstone":
            start, end = go[0], go[2]
            if start is not None and end is not None:
                lead = end // 1000 - start // 1000
            else:
                lead = _lead_us(texts[0], texts[2])
        stamps.append(lead is not None)
        if lead is not None:
            values.append(lead)
        sig = (positions, tuple(stamps))
        group = groups.get(sig)
        if group is None:
            groups[sig] = group = []
        group.append(tuple(values))
    return groups


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
