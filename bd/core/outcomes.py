"""What a sync did to *this* clone's issues, from the JSONL before and after it.

Pure comparison of two JSONL texts (this clone's file before the pull and after it), so the
answer is the same whether this clone ran the merge or a teammate did and pushed it:

* a **lost claim**: an issue held (``assignee``) by one of this clone's actors before the
  sync is held by someone else, or by nobody, after it;
* a **renumbering**: an issue this clone knew under one id now lives under another (a merge
  found two different issues created under one id and moved the later one; the move is
  recorded on the record as ``renumbered_from``, so it travels with the JSONL).

Conflict details (fields both sides changed differently) come from the merge engine itself
(``MergeResult.details``); :func:`conflict_rows` turns them into report rows.
"""

from __future__ import annotations

from bd.core import codec
from bd.core.renumber import RENUMBERED, identity

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


def _changed(before: bytes, after: bytes) -> tuple[dict[str, dict[str, Any]],
                                                    dict[str, dict[str, Any]]]:
    """Records (by id) on lines that differ between the two texts, parsed, per side."""
    old_lines = set(before.split(b"\n"))
    new_lines = set(after.split(b"\n"))
    gone = [x for x in old_lines - new_lines if x.strip()]
    came = [x for x in new_lines - old_lines if x.strip()]

    def parse(lines: Iterable[bytes], name: str) -> dict[str, dict[str, Any]]:
        out = {}
        for line in lines:
            try:
                rec = codec.parse_line(line, name, 0)
            except Exception:  # noqa: BLE001 - a line the loader refuses is not ours to judge
                continue
            if isinstance(rec.get("id"), str):
                out[rec["id"]] = rec
        return out

    return parse(gone, "before"), parse(came, "after")


def renumberings(before: bytes, after: bytes) -> list[dict[str, Any]]:
    """Issues known here under one id before and under another after: {from, to, title}."""
    old, new = _changed(before, after)
    rows = []
    for rid, rec in sorted(new.items()):
        olds = rec.get(RENUMBERED)
        if not isinstance(olds, list):
            continue
        for was in olds:
            prev = old.get(was) if isinstance(was, str) else None
            if prev is not None and identity(prev) == identity(rec) and was != rid:
                rows.append({"from": was, "to": rid, "title": rec.get("title")})
    return rows


def lost_claims(before: bytes, after: bytes, actors: set[str]) -> list[dict[str, Any]]:
    """Issues one of ``actors`` held before and no longer holds: {issue, actor, holder}."""
    old, new = _changed(before, after)
    moved = {r["from"]: r["to"] for r in renumberings(before, after)}
    rows = []
    for rid, prev in sorted(old.items()):
        holder = prev.get("assignee") or ""
        if not holder or holder not in actors:
            continue
        now_id = moved.get(rid, rid)
        cur = new.get(now_id)
        if cur is None or identity(cur) != identity(prev):
            continue  # unchanged (not in ``new``), or gone: nothing was taken from anyone
        if cur.get("status") == "tombstone":
            continue
        if (cur.get("assignee") or "") != holder:
            rows.append({"issue": now_id, "actor": holder, "holder": cur.get("assignee") or ""})
    return rows


def conflict_rows(details: Iterable[dict[str, Any]], local_side: str | None = "left"
                  ) -> list[dict[str, Any]]:
    """Report rows for fields both sides changed: {issue, field, kept, dropped,
    dropped_from ("local", "remote", or None when both values were kept), rule}."""
    rows = []
    for d in details:
        side = d.get("dropped_side")
        if side is None or local_side is None:
            origin = None
        else:
            origin = "local" if side == local_side else "remote"
        rows.append({"issue": d["id"], "field": d["field"], "kept": d["kept"],
                     "dropped": d["dropped"], "dropped_from": origin, "rule": d["rule"]})
    return rows
