"""A claim applied to JSONL text (for claims made through the remote, on its tip's file).

The same checks and changes as ``bd update --claim`` inside a transaction: the issue must
exist, not be deleted or closed, and have no assignee; it then gets ``assignee`` = the actor,
``status`` = ``in_progress`` and a new ``updated_at``.  Only the issue's line changes.
"""

from __future__ import annotations

from bd.core import codec, model
from bd.errors import ClaimError, NotFoundError, ValidationError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def holder(raw: bytes, rid: str, path: str = "issues.jsonl") -> str | None:
    """The assignee of ``rid`` in the JSONL text ("" when unassigned; None when absent)."""
    found = _find(raw, rid, path)
    return None if found is None else (found[1].get("assignee") or "")


def _find(raw: bytes, rid: str, path: str) -> tuple[int, dict[str, Any]] | None:
    lines = raw.split(b"\n")
    needle = rid.encode("utf-8")
    for n, line in enumerate(lines):
        if needle not in line:
            continue
        fid = codec.fast_id(line)
        if fid is not None and fid != rid:
            continue
        rec = codec.parse_line(line, path, n + 1)
        if rec.get("id") == rid:
            return n, rec
    return None


def claim(raw: bytes, rid: str, actor: str, now: str, path: str = "issues.jsonl"
          ) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
    """(new text, old record, new record) with ``rid`` claimed by ``actor``."""
    found = _find(raw, rid, path)
    if found is None:
        raise NotFoundError(f"issue {rid} not found", issue_id=rid)
    n, old = found
    status = model.status_of(old)
    if status == "tombstone":
        raise ValidationError(f"issue {rid} is deleted", issue_id=rid)
    current = old.get("assignee") or ""
    if current:
        raise ClaimError(f"already claimed by {current}", issue_id=rid)
    if status == "closed":
        raise ClaimError(f"cannot claim {rid}: it is closed", issue_id=rid)
    rec = dict(old)
    rec["assignee"] = actor
    rec["status"] = "in_progress"
    rec["updated_at"] = now
    lines = raw.split(b"\n")
    lines[n] = model.to_line(rec)[:-1]
    return b"\n".join(lines), old, rec
