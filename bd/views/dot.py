"""Graphviz DOT: ``bd graph --format dot`` and ``bd list --format dot``.

Every id and label is a quoted DOT string (backslash and quote escaped, line breaks
folded), so no issue text can end a statement or inject attributes; Graphviz escapes the
text again when it writes SVG.
"""

from __future__ import annotations

from bd.views.model import LAYER_TYPES, Layout, ViewGraph, icon

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

FILL = {"open": "white", "in_progress": "lightyellow", "blocked": "mistyrose",
        "closed": "lightgray", "deferred": "lightcyan"}
# Clusters, and edges that do not rank (parent-child drawn as lines), make dot's layout much
# slower: past this many issues a child's label names its parent instead (the 10,000-issue
# benchmark then renders in seconds instead of minutes).
CLUSTER_LIMIT = 600


def quote(text: Any) -> str:
    """A DOT quoted string holding ``text`` on one line."""
    s = " ".join(str(text).split())
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*parts: str) -> str:
    """A multi-line label: each part quoted, joined by DOT's centred line break."""
    return "\\n".join(quote(p)[1:-1] for p in parts)


def render(vg: ViewGraph, lay: Layout) -> list[str]:
    """The layered graph, left to right: an arrow from each issue to what waits on it."""
    lines = ["digraph beads {", "  rankdir=LR;", "  newrank=true;",
             '  graph [fontname="Helvetica", fontsize=11];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    parent = vg.parent_of()
    clusters = len(vg.nodes) <= CLUSTER_LIMIT
    kids: dict[str | None, list[str]] = {}
    for i in sorted(vg.nodes, key=lambda i: (lay.layer.get(i, 0), lay.position.get(i, 0))):
        p = parent.get(i) if clusters else None
        kids.setdefault(p, []).append(i)
    has_kids = {p for p in kids if p is not None}

    def node(i: str, indent: str) -> str:
        n = vg.nodes[i]
        status = n.get("status", "open")
        prio = n.get("priority")
        head = f"{icon(status)} {i}  P{prio if isinstance(prio, int) else 2}"
        if i in vg.ready:
            head += "  ★ ready"
        parts = [head, str(n.get("title", ""))[:60], status]
        if not clusters and i in parent:
            parts.append(f"in {parent[i]}")
        attrs = [f'label="{_label(*parts)}"',
                 f'fillcolor="{FILL.get(status, "white")}"']
        if i in vg.ready:
            attrs.append("penwidth=2.5, color=darkgreen")
        if i == vg.root:
            attrs.append("penwidth=2.5")
        if i in vg.context:
            attrs.append('style="rounded,filled,dashed"')
        return f"{indent}{quote(i)} [{', '.join(attrs)}];"

    def emit(p: str | None, indent: str) -> None:
        for i in kids.get(p, []):
            if i in has_kids:
                n = vg.nodes[i]
                lines.append(f"{indent}subgraph {quote('cluster_' + i)} {{")
                lines.append(f"{indent}  label={quote(i + ': ' + str(n.get('title', ''))[:50])};")
                lines.append(f'{indent}  style="rounded,dashed"; color=gray50;')
                lines.append(node(i, indent + "  "))
                emit(i, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                lines.append(node(i, indent))

    emit(None, "  ")
    for a, b, t in vg.edges:
        if t in LAYER_TYPES:
            style = "" if t == "blocks" else f", style=bold, label={quote(t)}"
            lines.append(f"  {quote(b)} -> {quote(a)} [color=firebrick{style}];")
        elif t == "parent-child":
            continue  # drawn as clusters, or (past CLUSTER_LIMIT) named in the child's label
        else:
            lines.append(f"  {quote(a)} -> {quote(b)} [style=dashed, color=gray40, "
                         f"label={quote(t)}, constraint=false];")
    for cyc in lay.cycles:
        lines.append(f"  // cycle among: {', '.join(' '.join(c.split()) for c in cyc)}")
    lines.append("}")
    return lines


_EDGE_STYLE = {"blocks": ("red", "bold"), "parent-child": ("blue", "solid"),
               "discovered-from": ("green", "dashed"), "related": ("gray", "dashed")}


def render_list(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """``bd list --format dot``: the listed issues and the edges among them, issue → the
    issue it depends on, as the original draws them."""
    recs = list(records)
    ids = {r["id"] for r in recs}
    lines = ["digraph dependencies {", "  rankdir=TB;", "  node [shape=box, style=rounded];", ""]
    for r in recs:
        status = r.get("status") or "open"
        prio = r.get("priority")
        label = _label(r["id"], f"[{r.get('issue_type') or 'task'} "
                       f"P{prio if isinstance(prio, int) else 2}]", str(r.get("title", "")),
                       f"({status})")
        fill, font = {"closed": ("lightgray", "dimgray"), "in_progress": ("lightyellow", "black"),
                      "blocked": ("lightcoral", "black")}.get(status, ("white", "black"))
        lines.append(f'  {quote(r["id"])} [label="{label}", style="rounded,filled", '
                     f'fillcolor="{fill}", fontcolor="{font}"];')
    lines.append("")
    for r in recs:
        for d in r.get("dependencies") or ():
            if not isinstance(d, dict) or d.get("depends_on_id") not in ids:
                continue
            t = d.get("type") or "blocks"
            color, style = _EDGE_STYLE.get(t, ("black", "solid"))
            lines.append(f"  {quote(r['id'])} -> {quote(d['depends_on_id'])} "
                         f"[label={quote(t)}, color={color}, style={style}];")
    lines.append("}")
    return lines
