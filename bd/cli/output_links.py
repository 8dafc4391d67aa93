"""Renderers of the link views: ``show --refs``, ``show --thread`` and the epic status
entry (part of the output layer; kept apart so ``output.py`` stays one screenful of topics)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bd.cli.output import human_time, issue_json
from bd.core.model import priority_of, status_of

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


_REF_MARKS = {"until": "⏳", "caused-by": "⚡", "validates": "✅", "blocks": "🚫",
              "parent-child": "↳", "relates-to": "↔", "related": "↔", "tracks": "👁",
              "discovered-from": "◊", "supersedes": "⬆", "duplicates": "🔄",
              "replies-to": "💬", "approved-by": "👍", "authored-by": "✏",
              "assigned-to": "👤"}


def ref_json(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One ``show --refs`` entry: the Issue row plus ``dependency_type`` (as the original)."""
    return {**issue_json(rec), "dependency_type": rec["dependency_type"]}


def refs_lines(rid: str, rows: Sequence[Mapping[str, Any]]) -> Iterable[str]:
    if not rows:
        yield f"\n{rid}: No references found"
        return
    yield f"\n📎 References to {rid}:"
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["dependency_type"], []).append(r)
    for dep_type, group in groups.items():
        yield f"\n  {_REF_MARKS.get(dep_type, '→')} {dep_type} ({len(group)}):"
        for r in group:
            yield (f"    {r['id']}: {r.get('title', '')} [P{priority_of(r)} - "
                   f"{status_of(r)}]")
    yield ""


def thread_lines(t: Mapping[str, Any]) -> Iterable[str]:
    reply_to = t["reply_to"]
    yield f"\n📬 Thread: {t['root'].get('title', '')}"
    yield "─" * 66
    for msg in t["messages"]:
        depth, up = 0, reply_to.get(msg["id"])
        while up and depth < 5:
            depth, up = depth + 1, reply_to.get(up)
        pad = "  " * depth
        mark = "✓" if status_of(msg) == "closed" else "📧"
        yield f"{pad}{mark} {msg['id']} {human_time(msg.get('created_at'))}"
        yield f"{pad}  From: {msg.get('sender', '')}  To: {msg.get('assignee', '')}"
        if msg["id"] in reply_to:
            yield f"{pad}  Re: {reply_to[msg['id']]}"
        yield f"{pad}  Subject: {msg.get('title', '')}"
        for body in str(msg.get("description") or "").splitlines():
            yield f"{pad}  {body}"
        yield ""
    yield f"Total: {len(t['messages'])} messages in thread\n"


def epic_status_json(r: Mapping[str, Any]) -> dict[str, Any]:
    """One ``epic status`` entry (the original's EpicStatus)."""
    return {"epic": issue_json(r["epic"]), "total_children": r["total_children"],
            "closed_children": r["closed_children"],
            "eligible_for_close": r["eligible_for_close"]}
