"""Mermaid flowcharts: ``bd graph --format mermaid`` and ``bd dep tree --format mermaid``.

Node ids are rewritten to ``[A-Za-z0-9_]`` (issue ids hold ``-`` and ``.``, which Mermaid's
lexer can read as edge syntax); the issue id stays in the label.  Labels are quoted and
the characters Mermaid gives meaning to inside quotes are written as its ``#name;`` entity
codes, so a title can neither end the label nor inject markup.
"""

from __future__ import annotations

import re

from bd.views.model import LAYER_TYPES, Layout, ViewGraph, icon

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
             "`": "#96;", "|": "#124;", "[": "#91;", "]": "#93;", "{": "#123;", "}": "#125;"}
_ENTITY_RE = re.compile("|".join(re.escape(c) for c in _ENTITIES))
# The original's status marks for dep tree diagrams.
TREE_MARKS = {"open": "☐", "in_progress": "◧", "blocked": "⚠", "deferred": "❄", "closed": "☑"}
_CLASSES = {"open": "fill:#ffffff,stroke:#555", "in_progress": "fill:#fff6c8,stroke:#a80",
            "blocked": "fill:#ffe0e0,stroke:#b33", "closed": "fill:#e8e8e8,stroke:#999,color:#666",
            "deferred": "fill:#e0f4ff,stroke:#48a"}


class Ids:
    """Stable, unique Mermaid node ids for issue ids."""

    def __init__(self, prefix: str = "n_") -> None:
        self.prefix = prefix
        self._map: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, issue_id: str) -> str:
        got = self._map.get(issue_id)
        if got is None:
            base = self.prefix + _UNSAFE.sub("_", issue_id)
            got, n = base, 1
            while got in self._used:
                n += 1
                got = f"{base}_{n}"
            self._map[issue_id] = got
            self._used.add(got)
        return got


def label(text: Any) -> str:
    """A quoted Mermaid label holding ``text`` on one line, inert."""
    s = " ".join(str(text).split())
    return '"' + _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(0)], s) + '"'


def render(vg: ViewGraph, lay: Layout) -> list[str]:
    """The layered graph: blockers point at what they unblock; parents are subgraphs."""
    nid, gid = Ids("n_"), Ids("g_")
    lines = ["flowchart LR"]
    for cls, style in _CLASSES.items():
        lines.append(f"  classDef {cls} {style}")
    lines.append("  classDef ready stroke:#1a7f37,stroke-width:3px")
    parent = vg.parent_of()
    kids: dict[str | None, list[str]] = {}
    for i in sorted(vg.nodes, key=lambda i: (lay.layer.get(i, 0), lay.position.get(i, 0))):
        kids.setdefault(parent.get(i), []).append(i)

    def node(i: str, indent: str) -> str:
        n = vg.nodes[i]
        prio = n.get("priority")
        text = (f"{icon(n.get('status', 'open'))} {i} P{prio if isinstance(prio, int) else 2}"
                f"{' ★' if i in vg.ready else ''}: {str(n.get('title', ''))[:60]}")
        return f"{indent}{nid(i)}[{label(text)}]"

    def emit(p: str | None, indent: str) -> None:
        for i in kids.get(p, []):
            if i in kids:
                title = str(vg.nodes[i].get("title", ""))[:50]
                lines.append(f"{indent}subgraph {gid(i)}[{label(i + ': ' + title)}]")
                lines.append(node(i, indent + "  "))
                emit(i, indent + "  ")
                lines.append(f"{indent}end")
            else:
                lines.append(node(i, indent))

    emit(None, "  ")
    for a, b, t in vg.edges:
        if t in LAYER_TYPES:
            arrow = "-->" if t == "blocks" else f"==>|{label(t)}|"
            lines.append(f"  {nid(b)} {arrow} {nid(a)}")
        elif t != "parent-child":
            lines.append(f"  {nid(a)} -.->|{label(t)}| {nid(b)}")
    by_class: dict[str, list[str]] = {}
    for i, n in vg.nodes.items():
        st = n.get("status", "open")
        by_class.setdefault(st if st in _CLASSES else "open", []).append(nid(i))
    for cls, ids in sorted(by_class.items()):
        lines.append(f"  class {','.join(ids)} {cls}")
    if vg.ready:
        lines.append(f"  class {','.join(nid(i) for i in sorted(vg.ready))} ready")
    return lines


def render_tree(nodes: Iterable[Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]],
                root: str) -> list[str]:
    """``dep tree --format mermaid``: the tree's nodes, an edge from each to its children."""
    nid = Ids("n_")
    node_list = list(nodes)
    lines = ["flowchart TD"]
    if not node_list:
        lines.append(f"  {nid(root)}[{label('No dependencies')}]")
        return lines
    seen: set[str] = set()
    for node in node_list:
        i = node["id"]
        if i in seen:
            continue
        seen.add(i)
        rec = records.get(i, {})
        mark = TREE_MARKS.get(str(rec.get("status") or "open"), "?")
        lines.append(f"  {nid(i)}[{label(f'{mark} {i}: ' + str(rec.get('title', '')))}]")
    lines.append("")
    edges: set[tuple[str, str]] = set()
    for node in node_list:
        pid = node.get("parent_id")
        if pid and pid != node["id"] and (pid, node["id"]) not in edges:
            edges.add((pid, node["id"]))
            lines.append(f"  {nid(pid)} --> {nid(node['id'])}")
    return lines
