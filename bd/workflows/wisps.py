"""Wisps as a set: listing them and collecting the idle ones (``bd mol wisp list/gc``).

Wisps live in the git-ignored ``.beads/wisps.jsonl``; deleting one removes its line outright
(no tombstone: it was never shared).
"""

from __future__ import annotations

import time

from bd.core import model, timeutil
from bd.store.store import Store
from bd.workflows import formula as fm

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

OLD_NS = 24 * 3600 * 10**9
_INFRA = ("agent", "rig", "role", "message")


def _wisps(store: Store) -> list[dict[str, Any]]:
    conn = store.cache().conn
    ids = [r[0] for r in conn.execute(
        "SELECT i.id FROM issues i JOIN bd_wisps w ON w.id = i.id ORDER BY i.id")]
    recs = store.get_many(ids)
    return sorted((recs[i] for i in ids if i in recs),
                  key=lambda r: (str(r.get("created_at", "")), str(r.get("title", "")), r["id"]))


def _idle_ns(rec: dict[str, Any], now: int) -> int:
    stamp = timeutil.ts_key(str(rec.get("updated_at") or rec.get("created_at") or ""))
    return now - stamp if stamp is not None else 0


def list_wisps(store: Store, *, all_: bool = False, issue_type: str | None = None,
               now_ns: int | None = None) -> list[dict[str, Any]]:
    now = now_ns if now_ns is not None else time.time_ns()
    rows = []
    for rec in _wisps(store):
        status = model.status_of(rec)
        if (status == "closed" and not all_) or (issue_type and model.type_of(rec) != issue_type):
            continue
        rows.append({"id": rec["id"], "title": rec.get("title", ""), "status": status,
                     "priority": model.priority_of(rec), "issue_type": model.type_of(rec),
                     "updated_at": rec.get("updated_at", ""),
                     "old": _idle_ns(rec, now) >= OLD_NS})
    return rows


def gc(store: Store, *, age: str = "1h", all_: bool = False, closed: bool = False,
       force: bool = False, dry_run: bool = False, now_ns: int | None = None
       ) -> dict[str, Any]:
    """Delete wisps idle longer than ``age`` that are not closed (``all_``: old closed ones
    too; ``closed``: every closed wisp, a preview unless ``force``).  Pinned wisps and
    infrastructure types (agent, rig, role, message) are kept."""
    limit = fm.parse_duration(age, "--age")
    now = now_ns if now_ns is not None else time.time_ns()
    doomed = []
    for rec in _wisps(store):
        if rec.get("pinned") or model.status_of(rec) == "pinned" or \
                model.type_of(rec) in _INFRA:
            continue
        is_closed = model.status_of(rec) == "closed"
        if closed:
            if is_closed:
                doomed.append(rec["id"])
        elif _idle_ns(rec, now) > limit and (all_ or not is_closed):
            doomed.append(rec["id"])
    preview = dry_run or (closed and not force)
    if doomed and not preview:
        with store.transaction() as tx:
            for rid in doomed:
                if tx.exists(rid):
                    tx.removed.add(rid)
                    tx.event(rid, "deleted", comment="wisp gc")
    return {"count": len(doomed), "ids": doomed, "preview": preview, "age": age}
