"""``bd stats``: the counts, as graph.Graph.stats computes them, in SQL."""

from __future__ import annotations

from bd.store.queries import _Where, now_ns, work_where

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def stats(conn: Any, now: int | None = None, *, counts: dict[str, int] | None = None
          ) -> dict[str, Any]:
    """The counts of ``bd stats``, as graph.Graph.stats computes them, in SQL.  ``counts``:
    the kept counts of bd.store.cache.counts (then only the deferred few are visited)."""
    now = now_ns() if now is None else now
    # Counts by status from the covering index; the deferred and pinned few through partial
    # indexes (no pass over every row).
    if counts is None:
        by_status: dict[str, int] = dict(conn.execute(
            "SELECT status, count(*) FROM issues GROUP BY status"))
    else:
        by_status = {k[7:]: n for k, n in counts.items() if k.startswith("status:") and n}
    deferred = by_status.get("deferred", 0) + conn.execute(
        "SELECT count(*) FROM issues INDEXED BY idx_issues_defer WHERE bd_defer_ns > ? "
        "AND status NOT IN ('closed', 'tombstone', 'deferred')", (now,)).fetchone()[0]
    pinned = conn.execute("SELECT count(*) FROM issues INDEXED BY idx_issues_pinned "
                          "WHERE pinned != 0 AND status != 'tombstone'").fetchone()[0]
    tombstones = by_status.pop("tombstone", 0)
    blocked_sql = ("coalesce(sum(i.status = 'blocked' OR EXISTS (SELECT 1 FROM "
                   "blocked_issues_cache b WHERE b.issue_id = i.id)), 0), count(*)")
    if counts is None:
        w = _Where()
        work_where(w, include_deferred=False, issue_type=None, now=now)
        n_blocked, n_work = conn.execute(f"SELECT {blocked_sql} FROM issues i "
                                         f"WHERE {w.sql()}", w.args).fetchone()
        eligible = conn.execute(_EPICS_DONE).fetchone()[0]  # done parents that are open epics
        lead = _lead_time(conn)
    else:
        # The kept work counts leave deferral out: the deferred few are subtracted.
        w = _Where()
        work_where(w, include_deferred=True, issue_type=None, now=now)
        later_blocked, later = conn.execute(
            f"SELECT {blocked_sql} FROM issues i INDEXED BY idx_issues_defer "
            f"WHERE i.bd_defer_ns > ? AND {w.sql()}", [now, *w.args]).fetchone()
        n_work = counts.get("work", 0) - later
        n_blocked = counts.get("work_blocked", 0) - later_blocked
        eligible = counts.get("epics_done", 0)
        n_lead = counts.get("lead_n", 0)
        lead = round(counts.get("lead_sum", 0) / n_lead / 3_600_000_000, 2) if n_lead else 0.0
    return {
        "total_issues": sum(by_status.values()),
        "open_issues": by_status.get("open", 0),
        "in_progress_issues": by_status.get("in_progress", 0),
        "closed_issues": by_status.get("closed", 0),
        "blocked_issues": n_blocked,
        "deferred_issues": deferred,
        "ready_issues": n_work - n_blocked,
        "tombstone_issues": tombstones,
        "pinned_issues": pinned,
        "epics_eligible_for_closure": eligible,
        "average_lead_time_hours": lead,
    }


_EPICS_DONE = ("SELECT count(*) FROM bd_done_parents p JOIN issues e ON e.id = p.issue_id "
               "WHERE e.issue_type = 'epic' AND e.status NOT IN ('closed', 'tombstone')")


def _lead_time(conn: Any) -> float:
    """Mean lead time in hours: the exact integer sum of the lead times in microseconds
    (bd_lead_us, a partial index holds them), divided once, as graph.Graph.stats does."""
    total, n = conn.execute("SELECT sum(bd_lead_us), count(*) FROM issues "
                            "WHERE bd_lead_us IS NOT NULL").fetchone()
    return round(total / n / 3_600_000_000, 2) if n else 0.0
