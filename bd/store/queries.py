"""Read queries over the cache: ready, blocked, list, search, stale, count.

Filters are small dataclasses (part of the library API).  Rows come back as record dicts
parsed from the stored JSONL line, so every field (unknown ones too) is present.
"""

from __future__ import annotations

import json
import time

from bd.core.model import NON_WORK_TYPES
from bd.store.filters import SORT_POLICIES, ListFilter, ReadyFilter  # noqa: F401 - the API

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

_NON_WORK = "(" + ",".join(f"'{t}'" for t in sorted(NON_WORK_TYPES)) + ")"
HOUR_NS = 3_600_000_000_000


def now_ns() -> int:
    return time.time_ns()


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_I64 = (1 << 63) - 1


class _Where:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> None:
        self.parts.append(sql)
        # SQLite integers are 64-bit: a cut-off beyond them (stale --days 10**6, a date in
        # year 9999) compares like the nearest end instead of failing to bind.
        self.args.extend(max(-_I64, min(_I64, a)) if type(a) is int else a for a in args)

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1"


def _labels(w: _Where, labels: list[str], labels_any: list[str]) -> None:
    for label in labels:
        w.add("EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label = ?)", label)
    if labels_any:
        marks = ",".join("?" * len(labels_any))
        w.add(f"EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label IN ({marks}))",
              *labels_any)


_DESCENDANTS = """i.id IN (WITH RECURSIVE d(id, depth) AS (
    SELECT issue_id, 1 FROM dependencies WHERE depends_on_id = ? AND type = 'parent-child'
    UNION SELECT x.issue_id, d.depth + 1 FROM dependencies x JOIN d ON x.depends_on_id = d.id
    WHERE x.type = 'parent-child' AND d.depth < 50) SELECT id FROM d)"""


def work_where(w: _Where, *, include_deferred: bool, issue_type: str | None, now: int,
               include_ephemeral: bool = False) -> None:
    """The work set of the ONE rule (graph.py): ready and blocked partition it."""
    w.add("i.status IN ('open','in_progress','blocked') AND i.pinned = 0 "
          + ("" if include_ephemeral else "AND i.ephemeral = 0 ") + "AND i.is_template = 0")
    if issue_type:
        w.add("i.issue_type = ?", issue_type)
    else:
        w.add(f"i.issue_type NOT IN {_NON_WORK}")
    if not include_deferred:
        w.add("(i.bd_defer_ns IS NULL OR i.bd_defer_ns <= ?)", now)


_scan = json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__


def _record(line: str) -> Any:
    """``json.loads(line)`` of a stored line: the scanner straight away (2-3 us a record
    less, which counts when a command prints tens of thousands), json.loads itself for
    anything but one whole JSON text (whitespace around it, or an error to raise)."""
    try:
        obj, end = _scan(line, 0)
    except StopIteration:
        return json.loads(line)
    return obj if end == len(line) else json.loads(line)


_DEPS = ',"dependencies":['


def _row_record(line: str) -> Any:
    """The record of a stored line for printing an Issue row, which leaves out the embedded
    dependencies and comments: when they are the line's last keys (as bd and the original
    write them) they are not parsed, and the record lacks them (more than half of the
    parsing of a typical line).  Any other line is parsed whole.

    The prefix before ``,"dependencies":[`` parses as an object on its own only when the cut
    is at the top level (nested, one more container would be left open), and every
    top-level key after that array follows the end of an array (``],"``; such a pair is
    never inside a string), so the rest holds nothing but the dependencies and comments
    when its only ``],"`` is the one that starts the comments."""
    k = line.find(_DEPS)
    if k > 0:
        rest = line[k:]
        after = rest.count('],"')
        if (after == 0 or after == 1 and '],"comments":[' in rest) and rest.endswith("]}"):
            try:
                obj, end = _scan(line[:k] + "}", 0)
            except (StopIteration, ValueError):
                pass
            else:
                if end == k + 1:
                    return obj
    return _record(line)


def _rows(conn: Any, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    return [_record(row[0]) for row in conn.execute(sql, args)]


def _iter_rows(conn: Any, sql: str, args: list[Any], parse: Any = _record
               ) -> Iterator[dict[str, Any]]:
    """The records of a query one at a time (a cursor, never the whole result)."""
    for row in conn.execute(sql, args):
        yield parse(row[0])


_BATCH = 500
_LINES = "SELECT rowid, bd_line FROM issues WHERE rowid IN (SELECT value FROM json_each(?))"


def _iter_sorted(conn: Any, sql: str, args: list[Any], *, extra: bool = True,
                 parse: Any = _record) -> Iterator[Any]:
    """The rows of ``sql`` (``SELECT i.rowid, ... ORDER BY ...``) in its order, each with
    the issue's record in place of its rowid.  For long results: SQLite's sort then carries
    the rowids instead of the lines (at 100,000 issues a sort of 30,000 lines with them
    takes 3 times as long), and the lines are read after it, a batch at a time by rowid.
    A statement left open on the side keeps the read transaction, so the lines are the ones
    of the snapshot that was sorted even when a write commits in between.  ``extra``
    False: the query selects the rowid alone, and the records come as they are."""
    hold = conn.execute("SELECT 1 FROM issues")  # never stepped past its first row
    try:
        cur = conn.execute(sql, args)
        while batch := cur.fetchmany(_BATCH):
            lines = dict(conn.execute(_LINES, (json.dumps([row[0] for row in batch]),)))
            if extra:
                for row in batch:
                    yield (parse(lines[row[0]]), *row[1:])
            else:
                yield from map(parse, [lines[row[0]] for row in batch])
    finally:
        hold.close()


def _sorted_not_walked(order: str) -> str:
    """``order`` as an expression no index can serve: a long result is sorted after a scan
    (at 100,000 issues, walking an order index for 50,000 rows reads the table in random
    order: twice as slow as scanning and sorting)."""
    return "+" + order if order.startswith("i.") else order


def _sorted_records(conn: Any, sql: str, args: list[Any], limit: int, parse: Any
                    ) -> Iterator[dict[str, Any]]:
    """``SELECT i.bd_line ...``'s records; a long result through :func:`_iter_sorted`."""
    if limit and limit <= _BATCH:
        return _iter_rows(conn, sql, args, parse)
    by_rowid = sql.replace("SELECT i.bd_line", "SELECT i.rowid", 1)
    return _iter_sorted(conn, by_rowid, args, extra=False, parse=parse)


def ready(conn: Any, f: ReadyFilter, now: int | None = None) -> list[dict[str, Any]]:
    return list(iter_ready(conn, f, now))


def iter_ready(conn: Any, f: ReadyFilter, now: int | None = None, *,
               ordered: bool = False, relations: bool = True) -> Iterator[dict[str, Any]]:
    """The ready records in ``f.sort``'s order.  ``ordered``: the order indexes exist
    (bd.store.cache.orderidx), so an unfiltered query with a limit walks them and stops
    there instead of sorting the whole work set.  ``relations`` False: the records are for printing Issue rows and may lack their
    embedded dependencies and comments (see :func:`_row_record`)."""
    now = now_ns() if now is None else now
    w = _Where()
    work_where(w, include_deferred=f.include_deferred, issue_type=f.issue_type, now=now,
               include_ephemeral=f.include_ephemeral)
    w.add("i.status != 'blocked' AND NOT EXISTS "
          "(SELECT 1 FROM blocked_issues_cache b WHERE b.issue_id = i.id)")
    if f.priority is not None:
        w.add("i.priority = ?", f.priority)
    if f.unassigned:
        w.add("(i.assignee IS NULL OR i.assignee = '')")
    elif f.assignee:
        w.add("i.assignee = ?", f.assignee)
    _labels(w, f.labels, f.labels_any)
    if f.parent:
        w.add(_DESCENDANTS, f.parent)
    if f.mol_type:
        w.add("i.mol_type = ?", f.mol_type)
    limit = int(f.limit) if f.limit and f.limit > 0 else 0
    # Most ready issues pass an unfiltered query, so walking the created order finds the
    # first rows at once; a filter may match few rows, and then sorting the matches wins,
    # as it does for the whole set (a walk reads the rows in index order, not file order).
    walk = ordered and 0 < limit <= _WALK_MAX and f.sort != "priority" and not (
        f.priority is not None or f.unassigned or f.assignee or f.labels or f.labels_any
        or f.parent or f.mol_type or f.issue_type)
    if walk:
        from bd.store.cache.orderidx import BY_CREATED

        return _iter_ready_walk(conn, w, f.sort, now, limit, BY_CREATED)
    if f.sort == "priority":
        order = "i.priority, i.bd_created_ns, i.id"
    elif f.sort == "oldest":
        order = "i.bd_created_ns, i.id"
    else:
        recent = f"(i.bd_created_ns >= {now - 48 * HOUR_NS})"
        order = (f"CASE WHEN {recent} THEN 0 ELSE 1 END, CASE WHEN {recent} THEN i.priority "
                 "ELSE 0 END, i.bd_created_ns, i.id")
    if not 0 < limit <= _BATCH:
        order = _sorted_not_walked(order)
    return _sorted_records(conn, f"SELECT i.bd_line FROM issues i WHERE {w.sql()} "
                                 f"ORDER BY {order}{f' LIMIT {limit}' if limit else ''}",
                           w.args, limit, _record if relations else _row_record)


_WALK_MAX = 1000


def _iter_ready_walk(conn: Any, w: _Where, sort: str, now: int, limit: int, index: str
                     ) -> Iterator[dict[str, Any]]:
    """The hybrid order in two parts: issues created in the last 48 hours by priority
    (few: an index range, sorted), then the older ones walking the created-order index
    (NULL creation times sort first, as in the one-query form)."""
    cut = now - 48 * HOUR_NS
    got = 0
    if sort != "oldest":
        # Few recent issues (the usual case): their index range; many (a fresh import):
        # the work-set scan SQLite picks by itself.
        few = conn.execute("SELECT count(*) FROM (SELECT 1 FROM issues INDEXED BY "
                           "idx_issues_bd_created WHERE bd_created_ns >= ? LIMIT ?)",
                           (cut, _WALK_MAX)).fetchone()[0] < _WALK_MAX
        hint = "INDEXED BY idx_issues_bd_created " if few else ""
        sql = (f"SELECT i.bd_line FROM issues i {hint}"
               f"WHERE {w.sql()} AND i.bd_created_ns >= ? "
               f"ORDER BY i.priority, i.bd_created_ns, i.id{f' LIMIT {limit}' if limit else ''}")
        for row in conn.execute(sql, [*w.args, cut]):
            got += 1
            yield _record(row[0])
        if limit and got >= limit:
            return
        # The unary + keeps SQLite from answering the OR with two index searches and a
        # sort of everything they find (a MULTI-INDEX OR: 250 ms at 100K); the walk in
        # index order then stops at the limit.
        older = "(+i.bd_created_ns IS NULL OR +i.bd_created_ns < ?)"
        args = [*w.args, cut]
    else:
        older, args = "1", list(w.args)
    rest = f" LIMIT {limit - got}" if limit else ""
    yield from _iter_rows(conn, f"SELECT i.bd_line FROM issues i INDEXED BY {index} "
                                f"WHERE {w.sql()} AND {older} "
                                f"ORDER BY i.bd_created_ns, i.id{rest}", args)


def ready_ids(conn: Any, now: int | None = None) -> set[str]:
    """The ids ``bd ready`` would list (no filters, no limit), without parsing any record:
    what a view needs to mark ready issues among the ones it shows."""
    w = _Where()
    work_where(w, include_deferred=False, issue_type=None, now=now_ns() if now is None else now)
    w.add("i.status != 'blocked' AND NOT EXISTS "
          "(SELECT 1 FROM blocked_issues_cache b WHERE b.issue_id = i.id)")
    return {row[0] for row in conn.execute(f"SELECT i.id FROM issues i WHERE {w.sql()}",
                                           w.args)}


def blockers(conn: Any, ids: list[str]) -> dict[str, list[str]]:
    """Why each of ``ids`` is dependency-blocked, as graph.Graph.blockers says: the targets
    (or waits-for spawners) of its own blocking edges, else its parents one level nearer to
    a directly blocked ancestor (the cache keeps them: bd_blockers).  Ids that are not
    dependency-blocked are left out."""
    out: dict[str, list[str]] = {}
    for rid, who in conn.execute(
            "SELECT issue_id, who FROM bd_blockers WHERE issue_id IN "
            "(SELECT value FROM json_each(?)) ORDER BY issue_id, who", (json.dumps(ids),)):
        out.setdefault(rid, []).append(who)
    return out


def blocked(conn: Any, parent: str | None = None, now: int | None = None
            ) -> list[dict[str, Any]]:
    """Work-set issues that are blocked (status blocked or dependency-blocked), each with
    ``blocked_by_count`` and ``blocked_by`` (:func:`blockers`; empty for an issue that is
    only status blocked)."""
    return list(iter_blocked(conn, parent, now))


def iter_blocked(conn: Any, parent: str | None = None, now: int | None = None, *,
                 relations: bool = True) -> Iterator[dict[str, Any]]:
    """:func:`blocked`, one record at a time.  ``relations`` False: the records are for printing Issue rows and may lack their
    embedded dependencies and comments (see :func:`_row_record`)."""
    now = now_ns() if now is None else now
    w = _Where()
    work_where(w, include_deferred=False, issue_type=None, now=now)
    w.add("(i.status = 'blocked' OR EXISTS "
          "(SELECT 1 FROM blocked_issues_cache b WHERE b.issue_id = i.id))")
    if parent:
        w.add(_DESCENDANTS, parent)
    for rec, why in _iter_sorted(
            conn, "SELECT i.rowid, (SELECT json_group_array(b.who) FROM bd_blockers b "
            f"WHERE b.issue_id = i.id) FROM issues i WHERE {w.sql()} "
            "ORDER BY i.priority, i.bd_created_ns, i.id", w.args,
            parse=_record if relations else _row_record):
        by = sorted(json.loads(why)) if why != "[]" else []
        rec["blocked_by_count"] = len(by)
        rec["blocked_by"] = by
        yield rec


def list_issues(conn: Any, f: ListFilter, now: int | None = None) -> list[dict[str, Any]]:
    return list(iter_list(conn, f, now))


def iter_list(conn: Any, f: ListFilter, now: int | None = None, *, relations: bool = True
              ) -> Iterator[dict[str, Any]]:
    """:func:`list_issues`, one record at a time.  ``relations`` False: the records are for printing Issue rows and may lack their
    embedded dependencies and comments (see :func:`_row_record`)."""
    now = now_ns() if now is None else now
    w = _Where()
    if f.status and f.status != "all":
        w.add("i.status = ?", f.status)
    elif f.status == "all" or f.all or f.include_closed:
        w.add("i.status != 'tombstone'")
    else:
        w.add("i.status NOT IN ('closed','tombstone')")
    if f.priority is not None:
        w.add("i.priority = ?", f.priority)
    if f.priority_min is not None:
        w.add("i.priority >= ?", f.priority_min)
    if f.priority_max is not None:
        w.add("i.priority <= ?", f.priority_max)
    if f.no_assignee:
        w.add("(i.assignee IS NULL OR i.assignee = '')")
    elif f.assignee:
        w.add("i.assignee = ?", f.assignee)
    if f.issue_type:
        w.add("i.issue_type = ?", f.issue_type)
    elif not f.include_gates:
        w.add("i.issue_type != 'gate'")
    if not f.include_templates:
        w.add("i.is_template = 0")
    _labels(w, f.labels, f.labels_any)
    if f.no_labels:
        w.add("NOT EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id)")
    if f.empty_description:
        w.add("(i.description IS NULL OR i.description = '')")
    for column, text in (("title", f.title), ("title", f.title_contains),
                         ("description", f.desc_contains), ("notes", f.notes_contains)):
        if text:
            w.add(f"i.{column} LIKE ? ESCAPE '\\'", _like(text))
    if f.query:
        from bd.store.cache import search

        narrow = search.candidates_sql(f.query)
        if narrow is not None and search.ready(conn):
            w.add(*narrow)
        q = _like(f.query)
        w.add("(i.title LIKE ? ESCAPE '\\' OR i.description LIKE ? ESCAPE '\\' "
              "OR i.id LIKE ? ESCAPE '\\')", q, q, q)
    if f.ids:
        w.add(f"i.id IN ({','.join('?' * len(f.ids))})", *f.ids)
    for column, after, before in (("created", f.created_after, f.created_before),
                                  ("updated", f.updated_after, f.updated_before),
                                  ("closed", f.closed_after, f.closed_before),
                                  ("due", f.due_after, f.due_before),
                                  ("defer", f.defer_after, f.defer_before)):
        if after is not None:
            w.add(f"i.bd_{column}_ns > ?", after)
        if before is not None:
            w.add(f"i.bd_{column}_ns < ?", before)
    if f.deferred:
        w.add("i.bd_defer_ns IS NOT NULL")
    if f.overdue:
        w.add("i.bd_due_ns < ? AND i.status != 'closed'", now)
    if f.pinned is True:
        w.add("i.pinned = 1")
    elif f.pinned is False:
        w.add("i.pinned = 0")
    if f.parent:
        w.add("EXISTS (SELECT 1 FROM dependencies d WHERE d.issue_id = i.id "
              "AND d.depends_on_id = ? AND d.type = 'parent-child')", f.parent)
    if f.mol_type:
        w.add("i.mol_type = ?", f.mol_type)
    order = {
        None: "i.priority, i.bd_created_ns DESC, i.id",
        "priority": "i.priority, i.bd_created_ns DESC, i.id",
        "created": "i.bd_created_ns DESC, i.id", "updated": "i.bd_updated_ns DESC, i.id",
        "closed": "i.bd_closed_ns DESC, i.id", "status": "i.status, i.id", "id": "i.id",
        "title": "lower(i.title), i.id", "type": "i.issue_type, i.id",
        "assignee": "coalesce(i.assignee, ''), i.id",
    }[f.sort]
    if f.reverse:
        order = ", ".join(p[:-5] if p.endswith(" DESC") else p + " DESC"
                          for p in order.split(", "))
    long = not (f.limit and 0 < f.limit <= _BATCH)
    if long:
        order = _sorted_not_walked(order)
    limit = f" LIMIT {int(f.limit)}" if f.limit and f.limit > 0 else ""
    counts = ("(SELECT count(*) FROM dependencies d WHERE d.issue_id = i.id), "
              "(SELECT count(*) FROM dependencies d WHERE d.depends_on_id = i.id) "
              f"FROM issues i WHERE {w.sql()} ORDER BY {order}{limit}")
    if long:
        rows = _iter_sorted(conn, "SELECT i.rowid, " + counts, w.args,
                            parse=_record if relations else _row_record)
    else:
        rows = ((_record(line), *n) for line, *n in conn.execute(
            "SELECT i.bd_line, " + counts, w.args))
    for rec, n_deps, n_dependents in rows:
        rec["dependency_count"] = n_deps
        rec["dependent_count"] = n_dependents
        yield rec


def stale(conn: Any, days: int, status: str | None, limit: int, now: int | None = None
          ) -> list[dict[str, Any]]:
    now = now_ns() if now is None else now
    cutoff = now - days * 24 * HOUR_NS
    w = _Where()
    w.add("i.status NOT IN ('closed','tombstone') AND i.bd_updated_ns < ?", cutoff)
    if status:
        w.add("i.status = ?", status)
    lim = f" LIMIT {int(limit)}" if limit > 0 else ""
    return _rows(conn, f"SELECT i.bd_line FROM issues i WHERE {w.sql()} "
                       f"ORDER BY i.bd_updated_ns, i.id{lim}", w.args)
