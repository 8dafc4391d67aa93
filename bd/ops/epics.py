"""Closing the epics whose children are all closed (``bd epic close-eligible``)."""

from __future__ import annotations

from bd.ops import issues

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

CLOSE_REASON = "All children completed"


def eligible_epics(store: Store) -> list[dict[str, Any]]:
    """``epic status`` rows of the open epics with at least one child and every child
    closed, each with its ``epic`` record."""
    rows = [r for r in store.graph(light=True).epic_status() if r["eligible_for_close"]]
    recs = store.get_many([r["id"] for r in rows])
    return [{**r, "epic": recs[r["id"]]} for r in rows if r["id"] in recs]


def close_eligible(store: Store, *, dry_run: bool = False) -> list[dict[str, Any]]:
    """Close every eligible epic (one transaction) and return their ``epic status`` rows;
    with ``dry_run`` only return them."""
    rows = eligible_epics(store)
    if rows and not dry_run:
        closed = issues.close(store, [r["id"] for r in rows], CLOSE_REASON)
        by_id = {rec["id"]: rec for rec in closed}
        for r in rows:
            r["epic"] = by_id.get(r["id"], r["epic"])
    return rows
