"""Terminal pictures of a layered graph: layers (default), boxes (``--box``), a compact tree
(``--compact``).  Each function returns lines; the CLI prints them."""

from __future__ import annotations

import unicodedata

from bd.views.model import LAYER_TYPES, LEGEND, Layout, ViewGraph, icon

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def width(text: str) -> int:
    """Terminal columns of ``text`` (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in text)


def clip(text: str, cols: int) -> str:
    """``text`` on one line, cut to ``cols`` columns with an ellipsis."""
    text = " ".join(str(text).split())
    if width(text) <= cols:
        return text
    out, used = [], 0
    for c in text:
        w = width(c)
        if used + w > cols - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def pad(text: str, cols: int) -> str:
    return text + " " * max(0, cols - width(text))


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _prio(node: dict[str, Any]) -> str:
    p = node.get("priority")
    return f"P{p}" if isinstance(p, int) else "P2"


def _label(vg: ViewGraph, i: str) -> str:
    n = vg.nodes[i]
    star = " ★" if i in vg.ready else ""
    return f"{icon(n.get('status', 'open'))} {i} {_prio(n)} {clip(n.get('title', ''), 50)}{star}"


def _header(vg: ViewGraph, lay: Layout) -> list[str]:
    what = f"for {vg.root}" if vg.root else "of all open issues"
    return ["", f"📊 Dependency graph {what} ({plural(len(vg.nodes), 'issue')}, "
            f"{plural(len(lay.layers), 'layer')})", "", "  " + LEGEND, ""]


def _footer(vg: ViewGraph, lay: Layout) -> list[str]:
    lines = []
    for cyc in lay.cycles:
        lines.append(f"  ⚠ Cycle among {', '.join(cyc)} (they wait on each other)")
    blocking = sum(1 for e in vg.edges if e[2] in LAYER_TYPES)
    lines.append(f"  Total: {plural(len(vg.nodes), 'issue')} across "
                 f"{plural(len(lay.layers), 'layer')}, {plural(blocking, 'blocking edge')}")
    if vg.context:
        lines.append("  (outside) = a neighbour outside the selection, shown for context")
    lines.append("")
    return lines


def _layer_title(k: int) -> str:
    return f"  Layer {k}" + (" (waits on nothing here)" if k == 0 else "")


def render(vg: ViewGraph, lay: Layout) -> list[str]:
    """The default view: one block per layer, an issue per line with what it waits on."""
    if not vg.nodes:
        return ["Empty graph"]
    parent = vg.parent_of()
    lines = _header(vg, lay)
    for k, layer in enumerate(lay.layers):
        lines.append(_layer_title(k))
        for i in layer:
            extra = []
            if lay.waits_on.get(i):
                extra.append("waits on " + ", ".join(lay.waits_on[i]))
            if i in parent:
                extra.append("in " + parent[i])
            if i in vg.context:
                extra.append("outside")
            tail = f"  ({'; '.join(extra)})" if extra else ""
            lines.append(f"    {_label(vg, i)}{tail}")
        if k < len(lay.layers) - 1:
            lines += ["      │", "      ▼"]
    lines.append("")
    return lines + _footer(vg, lay)


def _box(vg: ViewGraph, lay: Layout, i: str, inner: int, blocks: dict[str, int]) -> list[str]:
    n = vg.nodes[i]
    head = f"{icon(n.get('status', 'open'))} {i} {_prio(n)}" + (" ★" if i in vg.ready else "")
    info = f"waits on {len(lay.waits_on.get(i, ()))} · blocks {blocks.get(i, 0)}"
    if i in vg.context:
        info += " · outside"
    rows = [clip(head, inner), clip(n.get("title", ""), inner), clip(info, inner)]
    return (["┌" + "─" * (inner + 2) + "┐"]
            + [f"│ {pad(r, inner)} │" for r in rows]
            + ["└" + "─" * (inner + 2) + "┘"])


def render_box(vg: ViewGraph, lay: Layout, *, columns: int = 100) -> list[str]:
    """``--box``: every issue in a box, a layer's boxes side by side (wrapped at
    ``columns``), layers joined by arrows."""
    if not vg.nodes:
        return ["Empty graph"]
    inner = 30
    per_row = max(1, (columns - 2) // (inner + 5))
    blocks: dict[str, int] = {}
    for deps in lay.waits_on.values():
        for b in deps:
            blocks[b] = blocks.get(b, 0) + 1
    lines = _header(vg, lay)
    for k, layer in enumerate(lay.layers):
        lines.append(_layer_title(k))
        for start in range(0, len(layer), per_row):
            boxes = [_box(vg, lay, i, inner, blocks) for i in layer[start:start + per_row]]
            for row in range(len(boxes[0])):
                lines.append("  " + " ".join(b[row] for b in boxes))
        if k < len(lay.layers) - 1:
            lines += ["        │", "        ▼"]
    lines.append("")
    return lines + _footer(vg, lay)


def render_compact(vg: ViewGraph, lay: Layout) -> list[str]:
    """``--compact``: one line per issue; within a layer children hang under their parent."""
    if not vg.nodes:
        return ["Empty graph"]
    parent = vg.parent_of()
    lines = ["", f"📊 {vg.root or 'all open issues'}: {plural(len(vg.nodes), 'issue')}, "
             f"{plural(len(lay.layers), 'layer')}   {LEGEND}", ""]
    for k, layer in enumerate(lay.layers):
        members = set(layer)
        kids: dict[str, list[str]] = {}
        tops = []
        for i in layer:
            p = parent.get(i)
            if p in members:
                kids.setdefault(p, []).append(i)
            else:
                tops.append(i)
        lines.append(f"  L{k}")

        def walk(ids: list[str], prefix: str, kids: dict[str, list[str]] = kids) -> None:
            for n, i in enumerate(ids):
                last = n == len(ids) - 1
                lines.append(f"  {prefix}{'└── ' if last else '├── '}{_label(vg, i)}")
                walk(kids.get(i, []), prefix + ("    " if last else "│   "))

        walk(tops, "")
    lines.append("")
    return lines + _footer(vg, lay)
