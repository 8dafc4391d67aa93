"""All printing: JSON shapes and human renderers live here, so agents' contracts are in one place."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

from bd.model import encode_json, priority_of, status_of, type_of

# Keys the JSONL embeds but Issue-shaped output rows carry differently (see issue_json).
_EMBEDDED = ("dependencies", "comments")


class Output:
    def __init__(self, json_mode: bool = False, quiet: bool = False) -> None:
        # bd prints no colour, so NO_COLOR / CLICOLOR are honoured by construction.
        self.json_mode = json_mode
        self.quiet = quiet

    def json(self, obj: Any) -> None:
        sys.stdout.write(encode_json(obj, indent=2) + "\n")

    def line(self, text: str = "") -> None:
        sys.stdout.write(text + "\n")

    def warn(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"Warning: {text}\n")

    def note(self, text: str) -> None:
        sys.stderr.write(text + "\n")

    def error(self, text: str) -> None:
        sys.stderr.write(f"Error: {text}\n")


def issue_json(rec: Mapping[str, Any], *, labels: bool = True) -> dict[str, Any]:
    """An Issue-shaped row: the record without embedded relations; labels always an array."""
    out: dict[str, Any] = {}
    for k, v in rec.items():
        if k in _EMBEDDED:
            continue
        out[k] = v
        if k == "title" and "description" not in rec:
            out["description"] = ""  # clients expect it never to be missing or null
    # Read-side defaults (the stored line is left as it is): missing priority is P2, not P0.
    if not isinstance(out.get("priority"), int):
        out["priority"] = priority_of(rec)
    out["status"] = status_of(rec)
    out["issue_type"] = type_of(rec)
    if labels:
        out["labels"] = list(rec.get("labels") or [])
    return out


def compact(rec: Mapping[str, Any]) -> str:
    """``[📌 ]<id> [P<n>] [<type>] <status>[ @assignee][ [l1 l2]] - <title>``."""
    pin = "📌 " if rec.get("pinned") else ""
    who = f" @{rec['assignee']}" if rec.get("assignee") else ""
    labels = rec.get("labels") or []
    lab = f" [{' '.join(labels)}]" if labels else ""
    return (f"{pin}{rec['id']} [P{priority_of(rec)}] [{type_of(rec)}] {status_of(rec)}{who}"
            f"{lab} - {rec.get('title', '')}")


def short(rec: Mapping[str, Any]) -> str:
    return (f"{rec['id']} [{status_of(rec)}] P{priority_of(rec)} {type_of(rec)}: "
            f"{rec.get('title', '')}")


def human_time(ts: Any) -> str:
    from bd.timeutil import parse_ts

    dt = parse_ts(ts) if isinstance(ts, str) else None
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else str(ts or "")


def ready_list(rows: list[Mapping[str, Any]], any_open: bool) -> Iterable[str]:
    if not rows:
        yield ("✨ No ready work found (all issues have blocking dependencies)" if any_open
               else "✨ No open issues")
        return
    yield f"\n📋 Ready work ({len(rows)} issues with no blockers):\n"
    for n, rec in enumerate(rows, 1):
        yield f"{n}. [P{priority_of(rec)}] [{type_of(rec)}] {rec['id']}: {rec.get('title', '')}"
        if rec.get("estimated_minutes") is not None:
            yield f"   Estimate: {rec['estimated_minutes']} min"
        if rec.get("assignee"):
            yield f"   Assignee: {rec['assignee']}"
    yield ""


def blocked_list(rows: list[Mapping[str, Any]]) -> Iterable[str]:
    if not rows:
        yield "✨ No blocked issues"
        return
    yield f"\n🚫 Blocked issues ({len(rows)}):\n"
    for rec in rows:
        yield f"[P{priority_of(rec)}] {rec['id']}: {rec.get('title', '')}"
        by = rec.get("blocked_by") or []
        if by:
            yield f"  Blocked by {len(by)} open dependencies: [{' '.join(by)}]"
        else:
            yield "  Status: blocked"
        yield ""


_GROUPS = (("parent-child", "Children", "↳"), ("blocks", "Blocks", "←"),
           ("related", "Related", "↔"), ("relates-to", "Related", "↔"),
           ("discovered-from", "Discovered", "◊"))


def details(d: Mapping[str, Any]) -> Iterable[str]:
    """Human layout of ``bd show``."""
    yield f"\n{d['id']}: {d.get('title', '')}"
    yield f"Status: {status_of(d)}"
    if d.get("close_reason"):
        yield f"Close reason: {d['close_reason']}"
    yield f"Priority: P{priority_of(d)}"
    yield f"Type: {type_of(d)}"
    if d.get("assignee"):
        yield f"Assignee: {d['assignee']}"
    if d.get("estimated_minutes") is not None:
        yield f"Estimated: {d['estimated_minutes']} minutes"
    created = f"Created: {human_time(d.get('created_at'))}"
    if d.get("created_by"):
        created += f" by {d['created_by']}"
    yield created
    yield f"Updated: {human_time(d.get('updated_at'))}"
    for key, label in (("due_at", "Due"), ("defer_until", "Deferred until"),
                       ("closed_at", "Closed"), ("external_ref", "External Ref")):
        if d.get(key):
            value = d[key] if key == "external_ref" else human_time(d[key])
            yield f"{label}: {value}"
    if d.get("parent"):
        yield f"Parent: {d['parent']}"
    for key, label in (("description", "Description"), ("design", "Design"),
                       ("notes", "Notes"), ("acceptance_criteria", "Acceptance Criteria")):
        if d.get(key):
            yield f"\n{label}:\n{d[key]}"
    if d.get("labels"):
        yield f"\nLabels: [{' '.join(d['labels'])}]"
    deps = d.get("dependencies") or []
    if deps:
        yield f"\nDepends on ({len(deps)}):"
        for dep in deps:
            kind = "" if dep["dependency_type"] == "blocks" else f" ({dep['dependency_type']})"
            yield (f"  → {dep['id']}: {dep.get('title', '')} [P{priority_of(dep)} - "
                   f"{status_of(dep)}]{kind}")
    dependents = list(d.get("dependents") or [])
    for dep_type, label, arrow in _GROUPS:
        group = [x for x in dependents if x["dependency_type"] == dep_type]
        if dep_type == "blocks":
            known = {g[0] for g in _GROUPS}
            group += [x for x in dependents if x["dependency_type"] not in known]
        if group:
            yield f"\n{label} ({len(group)}):"
            for x in group:
                yield (f"  {arrow} {x['id']}: {x.get('title', '')} [P{priority_of(x)} - "
                       f"{status_of(x)}]")
    comments = d.get("comments") or []
    if comments:
        yield f"\nComments ({len(comments)}):"
        for c in comments:
            yield f"  [{c.get('author', '')} at {human_time(c.get('created_at'))}]"
            yield "  " + str(c.get("text", "")).replace("\n", "\n  ")
    events = d.get("_events") or []
    if events:
        yield f"\nHistory ({len(events)}):"
        for e in events:
            what = e.get("comment") or ""
            yield (f"  {human_time(e.get('created_at'))} {e.get('actor', '')}: "
                   f"{e.get('event_type', '')}{' - ' + what if what else ''}")
    yield ""


def tree(nodes: list[Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]]
         ) -> Iterable[str]:
    """Draw ``dep tree`` nodes (pre-order with depth) with ├── └── │ connectors."""
    for n, node in enumerate(nodes):
        rec = records.get(node["id"], {})
        label = (f"{node['id']}: {rec.get('title', '')} [P{priority_of(rec)}] "
                 f"({status_of(rec)})")
        if node.get("repeat"):
            label = f"{node['id']} (shown above)"
        if node["depth"] == 0:
            ready = " [READY]" if status_of(rec) == "open" else ""
            yield label + ready
            continue
        last = not any(m["depth"] == node["depth"] for m in
                       _until_shallower(nodes[n + 1:], node["depth"]))
        prefix = ""
        for depth in range(1, node["depth"]):
            prefix += "    " if _ancestor_last(nodes, n, depth) else "│   "
        yield prefix + ("└── " if last else "├── ") + label + (" …" if node.get("truncated")
                                                              else "")


def _until_shallower(nodes: list[Mapping[str, Any]], depth: int) -> list[Mapping[str, Any]]:
    out = []
    for m in nodes:
        if m["depth"] < depth:
            break
        out.append(m)
    return out


def _ancestor_last(nodes: list[Mapping[str, Any]], n: int, depth: int) -> bool:
    for k in range(n - 1, -1, -1):
        if nodes[k]["depth"] == depth:
            return not any(m["depth"] == depth for m in _until_shallower(nodes[k + 1:], depth))
    return True
