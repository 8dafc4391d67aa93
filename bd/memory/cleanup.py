"""``bd admin cleanup``: closed issues become tombstones (so the deletion travels through
merges), then expired tombstones leave the file.  A preview unless forced.

``--hard`` bypasses the tombstone TTL: tombstones older than ``--older-than`` days (all of
them without it) are removed at once, which is only safe when no old clone will sync its
copies of them back.
"""

from __future__ import annotations

import time

from bd.core.timeutil import ts_key
from bd.errors import BdError, UsageError
from bd.memory import compact
from bd.ops.delete import delete

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

_DAY_NS = 86400 * 1_000_000_000


def closed_issues(store: Store, *, older_than: int = 0, ephemeral: bool = False
                  ) -> tuple[list[str], int]:
    """Ids of the closed issues cleanup would delete, and how many pinned ones it skips."""
    ids = [r[0] for r in store.cache().conn.execute(
        "SELECT id FROM issues WHERE status = 'closed' ORDER BY id")]
    recs = store.get_many(ids)
    cutoff = time.time_ns() - older_than * _DAY_NS
    out, pinned = [], 0
    for rid in ids:
        rec = recs[rid]
        if older_than > 0:
            closed = ts_key(rec.get("closed_at") or "")
            if closed is None or closed > cutoff:
                continue
        if ephemeral and not rec.get("ephemeral"):
            continue
        if rec.get("pinned"):
            pinned += 1
            continue
        out.append(rid)
    return out, pinned


def cleanup(store: Store, *, older_than: int = 0, cascade: bool = False, dry_run: bool = False,
            force: bool = False, ephemeral: bool = False, hard: bool = False
            ) -> dict[str, Any]:
    if older_than < 0:
        raise UsageError("--older-than must not be negative")
    ids, pinned = closed_issues(store, older_than=older_than, ephemeral=ephemeral)
    kind = "closed wisp" if ephemeral else "closed"
    result: dict[str, Any] = {"dry_run": dry_run, "deleted_count": 0, "deleted": [],
                              "skipped_pinned": pinned, "hard": hard}
    if older_than > 0:
        result["filter"] = f"older than {older_than} days"
    if ids and not force and not dry_run:
        raise BdError(f"Would delete {len(ids)} {kind} issue(s). Use --force to confirm or "
                         "--dry-run to preview.")
    if ids:
        done = delete(store, ids, force=not dry_run, cascade=cascade, reason="cleanup")
        result["deleted"] = done["deleted"]
        result["deleted_count"] = done["deleted_count"]
        result["dependencies_removed"] = done["dependencies_removed"]
    else:
        result["message"] = f"No {kind} issues to delete"
    prune_days: int | None = None
    if hard:
        prune_days = older_than if older_than > 0 else 0
    pruned = compact.prune_tombstones(store, older_than=prune_days, dry_run=dry_run)
    result["tombstones_pruned"] = {"count": pruned["pruned_count"],
                                   "ttl_days": pruned["ttl_days"],
                                   "ids": pruned["tombstone_ids"]}
    return result
