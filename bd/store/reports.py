"""Read-only reports over the workspace that are not plain list/ready queries."""

from __future__ import annotations

from bd.core import model
from bd.store import queries

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def assigned_stats(store: Store, assignee: str) -> dict[str, Any]:
    """``bd stats``'s counts over the issues assigned to ``assignee`` only (tombstones, pins,
    epics and lead time are whole-database figures and are 0 here, as in the original)."""
    rows = store.list(queries.ListFilter(assignee=assignee, all=True, limit=0))
    by_status: dict[str, int] = {}
    for rec in rows:
        st = model.status_of(rec)
        by_status[st] = by_status.get(st, 0) + 1
    ready = store.ready(queries.ReadyFilter(assignee=assignee, limit=0))
    mine = {rec["id"] for rec in rows}
    blocked = sum(1 for rec in store.blocked() if rec["id"] in mine)
    return {
        "total_issues": len(rows),
        "open_issues": by_status.get("open", 0),
        "in_progress_issues": by_status.get("in_progress", 0),
        "closed_issues": by_status.get("closed", 0),
        "blocked_issues": blocked,
        "deferred_issues": by_status.get("deferred", 0),
        "ready_issues": len(ready),
        "tombstone_issues": 0,
        "pinned_issues": 0,
        "epics_eligible_for_closure": 0,
        "average_lead_time_hours": 0,
    }
