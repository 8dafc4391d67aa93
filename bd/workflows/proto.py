"""The proto subgraph: a cooked formula as issue records.  Pure.

A ``molecule`` root (``is_template``, label ``template``), one issue per step
(``<proto>.<step>``, parent-child to its parent step or the root), a ``gate`` issue per gated
step (``<parent>.gate-<step>``, blocking the step), ``blocks`` edges for ``needs`` /
``depends_on`` and ``waits-for`` edges for ``waits_for``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from bd.errors import FormulaError
from bd.workflows import formula as fm

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

TEMPLATE_LABEL = "template"


def _issue_type(step: Mapping[str, Any]) -> str:
    if step.get("children"):
        return "epic"
    kind = step.get("type")
    return kind if isinstance(kind, str) and kind in fm.STEP_TYPES else "task"


def build_proto(f: Mapping[str, Any], proto_id: str, *, now: str = "") -> list[dict[str, Any]]:
    """The cooked formula as issue records (ids ``<proto>.<step>``, gates
    ``<parent>.gate-<step>``), each with its ``dependencies``; the root comes first."""
    vars_ = f.get("vars") or {}
    root: dict[str, Any] = {
        "id": proto_id, "title": "{{title}}" if "title" in vars_ else f["formula"],
        "description": "{{desc}}" if "desc" in vars_ else f.get("description", ""),
        "status": "open", "priority": 2, "issue_type": "molecule", "is_template": True,
        "labels": [TEMPLATE_LABEL], "source_formula": f["formula"],
    }
    if f.get("phase"):
        root["mol_type"] = f["phase"]
    records = [root]
    by_step: dict[str, str] = {}

    def edge(rec: dict[str, Any], target: str, typ: str, meta: str | None = None) -> None:
        dep = {"issue_id": rec["id"], "depends_on_id": target, "type": typ}
        if meta:
            dep["metadata"] = meta
        rec.setdefault("dependencies", []).append(dep)

    def collect(steps: list[dict[str, Any]], parent: str) -> None:
        for step in steps:
            rid = f"{parent}.{step['id']}"
            rec: dict[str, Any] = {
                "id": rid, "title": step.get("title") or step["id"],
                "description": step.get("description", ""), "notes": step.get("notes", ""),
                "status": "open", "priority": step.get("priority", 2),
                "issue_type": _issue_type(step), "assignee": step.get("assignee", ""),
                "is_template": True, "source_formula": step.get(fm.SOURCE, f["formula"]),
                "source_location": step.get(fm.LOCATION, ""),
            }
            labels = list(step.get("labels") or [])
            if step.get("waits_for"):
                labels.append(f"gate:{step['waits_for']}")
            if labels:
                rec["labels"] = sorted(set(labels))
            if step.get("metadata"):
                rec["metadata"] = step["metadata"]
            edge(rec, parent, "parent-child")
            records.append(rec)
            by_step[step["id"]] = rid
            gate = step.get("gate")
            if gate:
                gid = f"{parent}.gate-{step['id']}"
                title = f"Gate: {gate['type']}" + (f" {gate['id']}" if gate.get("id") else "")
                grec: dict[str, Any] = {
                    "id": gid, "title": title, "description": f"Async gate for step {step['id']}",
                    "status": "open", "priority": 2, "issue_type": "gate", "is_template": True,
                    "await_type": gate["type"], "await_id": gate.get("id", ""),
                }
                if gate.get("timeout"):
                    grec["timeout"] = fm.parse_duration(gate["timeout"])
                edge(grec, parent, "parent-child")
                records.append(grec)
                by_step[f"gate-{step['id']}"] = gid
                edge(rec, gid, "blocks")
            if step.get("children"):
                collect(step["children"], rid)

    collect(list(f.get("steps") or []), proto_id)
    recs = {r["id"]: r for r in records}
    for step in fm.walk_steps(f.get("steps") or []):
        rec = recs[by_step[step["id"]]]
        for ref in [*(step.get("depends_on") or []), *(step.get("needs") or [])]:
            target = by_step.get(ref)
            if target and not any(d["depends_on_id"] == target and d["type"] == "blocks"
                                  for d in rec.get("dependencies") or []):
                edge(rec, target, "blocks")
        if step.get("waits_for"):
            spec = fm.parse_waits_for(step["waits_for"])
            spawner = spec[1] if spec else None
            if spec and not spawner and step.get("needs"):
                spawner = step["needs"][0]
            if spec and spawner and spawner in by_step:
                edge(rec, by_step[spawner], "waits-for",
                     json.dumps({"gate": spec[0]}, separators=(",", ":")))
    check_acyclic(records)
    if now:
        for r in records:
            r["created_at"] = r["updated_at"] = now
    return records


def check_acyclic(records: list[dict[str, Any]]) -> None:
    """Refuse a proto whose blocking edges form a cycle (it could never become ready)."""
    edges: dict[str, list[str]] = {}
    for r in records:
        for d in r.get("dependencies") or []:
            if d["type"] in ("blocks", "conditional-blocks", "parent-child", "waits-for"):
                edges.setdefault(r["id"], []).append(d["depends_on_id"])
    state: dict[str, int] = {}
    for start in edges:
        if state.get(start):
            continue
        stack = [(start, iter(edges.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise FormulaError("formula steps form a cycle: " + " -> ".join(cycle))
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, ()))))
                path.append(nxt)
