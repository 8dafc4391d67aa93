"""Local side of a tracker sync: remote values written into bd records, new records from
remote issues, pulled comments; and the no-network ``status`` summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bd.core import model
from bd.trackers.base import RemoteComment, RemoteIssue
from bd.trackers.state import State


def apply_fields(rec: dict[str, Any], changes: Mapping[str, Any], now: str,
                  known_types: set[str]) -> None:
    for f, value in changes.items():
        if f == "status":
            old = model.status_of(rec)
            rec["status"] = value
            if value == "closed" and old != "closed":
                rec["closed_at"] = now
            elif value != "closed":
                rec.pop("closed_at", None)
                if old == "closed":
                    rec.pop("close_reason", None)
        elif f == "labels":
            if value:
                rec["labels"] = sorted(value)
            else:
                rec.pop("labels", None)
        elif f == "assignee":
            if value:
                rec["assignee"] = value
            else:
                rec.pop("assignee", None)
        elif f == "issue_type":
            rec["issue_type"] = value if value in known_types else "task"
        elif f == "title":
            rec["title"] = title_of(value)
        else:
            rec[f] = value
    rec["updated_at"] = now


def title_of(value: str) -> str:
    """A title bd accepts: not empty, at most 500 bytes."""
    value = value or "(untitled)"
    while len(value.encode("utf-8")) > 500:
        value = value[:-1]
    return value


def new_record(rid: str, r: RemoteIssue, now: str, actor: str,
                known_types: set[str]) -> dict[str, Any]:
    f = r.fields
    rec: dict[str, Any] = {
        "id": rid, "title": title_of(f["title"]), "description": f["description"],
        "status": f["status"], "priority": f["priority"],
        "issue_type": f["issue_type"] if f["issue_type"] in known_types else "task",
        "assignee": f["assignee"], "created_at": r.created_at or now, "created_by": actor,
        "updated_at": now, "external_ref": r.ref,
    }
    if f["status"] == "closed":
        rec["closed_at"] = now
    if f["labels"]:
        rec["labels"] = sorted(f["labels"])
    return {k: v for k, v in rec.items() if k in model.ALWAYS or v not in (None, "")}


def add_comments(rec: dict[str, Any], comments: Iterable[RemoteComment],
                  cmap: dict[str, str]) -> None:
    existing = list(rec.get("comments") or [])
    next_id = 1 + max([c.get("id", 0) for c in existing
                       if isinstance(c, dict) and isinstance(c.get("id"), int)] or [0])
    for c in comments:
        existing.append({"id": next_id, "issue_id": rec["id"], "author": c.author or "unknown",
                         "text": c.text, "created_at": c.created_at})
        cmap.pop(f"pending:{c.id}", None)
        cmap[str(next_id)] = c.id
        next_id += 1
    rec["comments"] = existing


def status(store: Any, adapter_name: str, parse_ref: Callable[[str], str | None] | None,
           target: str, configured: bool, problems: list[str]) -> dict[str, Any]:
    """What ``bd <tracker> status`` shows (no network)."""
    st = State.load(store.beads_dir, adapter_name)
    linked = pending = 0
    for rec in store.all_records():
        if model.status_of(rec) == "tombstone" or rec.get("ephemeral"):
            continue
        ref = rec.get("external_ref") or ""
        mine = (parse_ref(ref) is not None) if (ref and parse_ref) else False
        if mine or rec["id"] in st.links:
            linked += 1
        elif not ref:
            pending += 1
    wm = st.watermark.split("|", 1)[0] if st.watermark else ""
    return {"tracker": adapter_name, "configured": configured, "target": target or None,
            "problems": problems, "last_sync": st.last_sync or None,
            "watermark": wm or None, "linked": linked, "not_pushed": pending,
            "interrupted_run": bool(st.journal()), "state_file": st.path}


