"""``bd restore ID``: the full record of a compacted issue, read from git at the commit its
``compacted_at_commit`` names (the HEAD of the repository holding ``issues.jsonl`` when the
summary was written: the user's branch, or the sync branch's worktree in sync-branch mode).

A tier-2 record points at a commit where the issue was already at tier 1; restore follows
that chain back to the uncompacted record.  Read-only unless ``apply``: then the record goes
back into ``issues.jsonl``.  When nothing but compaction touched the issue since, the line
written is the historical line, byte for byte; when it changed later (a comment, a label,
a reopen), the full text fields come back into the current record and the compaction
marks are dropped, so nothing of either is lost.
"""

from __future__ import annotations

import json

from bd.core import model
from bd.errors import BdError, NotFoundError
from bd.git import runner
from bd.memory import compact

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

COMPACTION_FIELDS = ("compaction_level", "compacted_at", "compacted_at_commit", "original_size")
# What compaction itself changes; any other difference is a later edit.
_TOUCHED = frozenset({*model.TEXT_FIELDS, *COMPACTION_FIELDS, "updated_at"})
_MAX_HOPS = 8


class RestoreError(BdError):
    """The full record cannot be found in git."""


def find(store: Store, issue_id: str) -> dict[str, Any]:
    """The uncompacted record of ``issue_id`` from git history (no change)."""
    rid = store.resolve(issue_id)
    current = store.get(rid)
    commit = current.get("compacted_at_commit")
    if not commit:
        raise RestoreError(f"issue {rid} is not compacted (no compacted_at_commit saved); "
                           "only compacted issues can be restored from git history",
                           issue_id=rid)
    place = compact.git_place(store)
    if place is None:
        raise RestoreError(f"restore needs git history, and {store.jsonl_path} is not in a "
                           "git repository", issue_id=rid)
    top, rel = place
    chain: list[str] = []
    line: bytes | None = None
    record: dict[str, Any] = current
    while commit and len(chain) < _MAX_HOPS:
        chain.append(commit)
        blob = runner.show_blob(top, f"{commit}:{rel}")
        if blob is None:
            exists = runner.ok(["cat-file", "-e", f"{commit}^{{commit}}"], top)
            why = (f"{rel} is not in commit {commit[:12]}" if exists else
                   f"commit {commit[:12]} is not in this clone (fetch it, or it was rewritten)")
            raise RestoreError(f"cannot restore {rid}: {why}", issue_id=rid)
        found = compact.lines_by_id(blob).get(rid)
        if found is None:
            raise NotFoundError(f"issue {rid} not found in {rel} at commit {commit[:12]}",
                                issue_id=rid)
        line, record = found, json.loads(found)
        nxt = record.get("compacted_at_commit")
        if not record.get("compaction_level") or not nxt or nxt in chain:
            break
        commit = nxt
    assert line is not None
    return {"issue_id": rid, "commit": chain[-1], "commits": chain,
            "line": line.decode("utf-8", "replace"), "issue": record,
            "current_compaction_level": current.get("compaction_level") or 0}


def restore(store: Store, issue_id: str, *, apply: bool = False) -> dict[str, Any]:
    """``find``, and with ``apply`` write the full record back."""
    found = find(store, issue_id)
    found["applied"] = False
    if not apply:
        return found
    rid = found["issue_id"]
    old: dict[str, Any] = found["issue"]
    with store.transaction() as tx:
        cur = tx.require(rid)
        later = sorted(k for k in set(cur) | set(old)
                       if k not in _TOUCHED and cur.get(k) != old.get(k))
        if not later:
            rec = dict(old)
        else:
            rec = {k: v for k, v in cur.items() if k not in COMPACTION_FIELDS}
            for key in model.TEXT_FIELDS:
                if old.get(key):
                    rec[key] = old[key]
                else:
                    rec.pop(key, None)
            for key in COMPACTION_FIELDS:
                if old.get(key) is not None:
                    rec[key] = old[key]
            rec["updated_at"] = tx.now
        tx.put(rec, affects_ready=False)
        tx.event(rid, "restored", new={"commit": found["commit"]},
                 comment=f"Restored from git commit {found['commit'][:12]}")
    found["applied"] = True
    found["exact"] = not later and (model.to_line(old) == found["line"].encode("utf-8") + b"\n")
    found["changed_since"] = later
    return found
