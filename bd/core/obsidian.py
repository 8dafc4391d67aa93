"""``bd export --format obsidian``: a "Changes Log" of Obsidian Tasks-plugin checklist lines,
grouped by day (closed date, else last update), newest first, children under their parent.
Pure: records in, markdown out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bd.core.model import priority_of, status_of, type_of

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

DEFAULT_OUTPUT = "ai_docs/changes-log.md"
_BOX = {"open": "- [ ]", "in_progress": "- [/]", "blocked": "- [c]", "closed": "- [x]",
        "tombstone": "- [-]", "deferred": "- [-]", "pinned": "- [n]", "hooked": "- [/]"}
_PRIORITY = ("🔺", "⏫", "🔼", "🔽", "⏬")
_TAG = {"bug": "#Bug", "feature": "#Feature", "task": "#Task", "epic": "#Epic",
        "chore": "#Chore", "message": "#Message", "merge-request": "#MergeRequest",
        "molecule": "#Molecule", "gate": "#Gate", "event": "#Event"}


def task_line(rec: Mapping[str, Any]) -> str:
    parts = [_BOX.get(status_of(rec), "- [ ]"), str(rec.get("title", "")), f"🆔 {rec['id']}"]
    prio = priority_of(rec)
    if 0 <= prio < len(_PRIORITY):
        parts.append(_PRIORITY[prio])
    if type_of(rec) in _TAG:
        parts.append(_TAG[type_of(rec)])
    parts += ["#" + str(label).replace(" ", "-") for label in rec.get("labels") or []]
    parts.append(f"🛫 {str(rec.get('created_at', ''))[:10]}")
    if rec.get("closed_at"):
        parts.append(f"✅ {str(rec['closed_at'])[:10]}")
    for dep in rec.get("dependencies") or []:
        if dep.get("type") in ("blocks", "parent-child"):
            parts.append(f"⛔ {dep.get('depends_on_id')}")
    return " ".join(parts)


def render(records: Iterable[Mapping[str, Any]]) -> str:
    recs = list(records)
    children: dict[str, list[Mapping[str, Any]]] = {}
    is_child = set()
    for rec in recs:
        for dep in rec.get("dependencies") or []:
            if dep.get("type") == "parent-child":
                children.setdefault(str(dep.get("depends_on_id")), []).append(rec)
                is_child.add(rec["id"])
    by_day: dict[str, list[Mapping[str, Any]]] = {}
    for rec in recs:
        day = str(rec.get("closed_at") or rec.get("updated_at") or "")[:10]
        by_day.setdefault(day, []).append(rec)
    lines = ["# Changes Log", ""]
    for day in sorted(by_day, reverse=True):
        lines += [f"## {day}", ""]
        for rec in by_day[day]:
            if rec["id"] in is_child:
                continue
            lines.append(task_line(rec))
            lines += ["  " + task_line(c) for c in children.get(rec["id"], [])]
        lines.append("")
    return "\n".join(lines) + "\n"
