"""The picture's model: which issues a view shows, in which layer and order, grouped how.

Pure and I/O free.  A :class:`ViewGraph` holds plain node dicts and ``(issue, depends_on,
type)`` edges; :func:`layout` layers it.  Layer 0 holds the issues that wait on nothing in
the picture; an issue sits one layer right of the furthest issue it waits on, so one layer
can be worked in parallel.  Only the edges that decide readiness order the layers
(``blocks``, ``conditional-blocks``, ``waits-for``); parent-child is drawn as grouping and
the other links (``related``, ``discovered-from`` …) as plain lines.  Cycles are found as
strongly connected components and each is laid out in one layer, so a cycle is reported,
never followed round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


# Edge types that order the layers: the ones that make an issue wait.
LAYER_TYPES = frozenset({"blocks", "conditional-blocks", "waits-for"})
STATUS_ICONS = {"open": "○", "in_progress": "◐", "blocked": "●", "closed": "✓",
                "deferred": "❄", "pinned": "📌", "hooked": "◐"}
LEGEND = "Status: ○ open  ◐ in_progress  ● blocked  ✓ closed  ❄ deferred  ★ ready"
# Node keys a view needs (and the only ones the HTML page and the web board embed).
NODE_KEYS = ("id", "title", "status", "priority", "issue_type", "assignee", "labels")


def icon(status: str) -> str:
    """The one-character status mark used by every text view."""
    return STATUS_ICONS.get(status, "○")


class ViewGraph:
    """The issues of one picture: ``nodes`` by id (in insertion order), ``edges`` as
    ``(issue, depends_on, type)`` with both ends in ``nodes``, the ``ready`` ids, the
    ``context`` ids (neighbours shown for orientation, not part of the selection) and the
    ``root`` the picture was asked for (None for ``--all``)."""

    def __init__(self, nodes: Mapping[str, Mapping[str, Any]],
                 edges: Iterable[tuple[str, str, str]], *, root: str | None = None,
                 ready: Iterable[str] = (), context: Iterable[str] = ()) -> None:
        self.nodes: dict[str, dict[str, Any]] = {k: dict(v) for k, v in nodes.items()}
        seen: set[tuple[str, str, str]] = set()
        self.edges: list[tuple[str, str, str]] = []
        for a, b, t in edges:
            if a in self.nodes and b in self.nodes and (a, b, t) not in seen:
                seen.add((a, b, t))
                self.edges.append((a, b, t))
        self.root = root
        self.ready = {i for i in ready if i in self.nodes}
        self.context = {i for i in context if i in self.nodes}
        # The full records behind the nodes, when the loader has them (for --json).
        self.records: dict[str, dict[str, Any]] = {}

    def parent_of(self) -> dict[str, str]:
        """Each node's first parent-child parent that is itself in the picture."""
        out: dict[str, str] = {}
        for a, b, t in self.edges:
            if t == "parent-child" and a != b and a not in out:
                out[a] = b
        # A parent-child cycle (hand-edited data) would make grouping endless: drop the
        # edge that closes it.
        for start in list(out):
            seen = {start}
            cur = out.get(start)
            while cur is not None:
                if cur in seen:
                    out.pop(start, None)
                    break
                seen.add(cur)
                cur = out.get(cur)
        return out

    def components(self) -> list[list[str]]:
        """Weakly connected components over every edge, each sorted, ordered by first id."""
        link: dict[str, str] = {i: i for i in self.nodes}

        def find(x: str) -> str:
            while link[x] != x:
                link[x] = link[link[x]]
                x = link[x]
            return x

        for a, b, _ in self.edges:
            ra, rb = find(a), find(b)
            if ra != rb:
                link[max(ra, rb)] = min(ra, rb)
        groups: dict[str, list[str]] = {}
        for i in self.nodes:
            groups.setdefault(find(i), []).append(i)
        return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])

    def sub(self, ids: Iterable[str], root: str | None = None) -> ViewGraph:
        keep = set(ids)
        out = ViewGraph({i: n for i, n in self.nodes.items() if i in keep},
                        [e for e in self.edges if e[0] in keep and e[1] in keep],
                        root=root, ready=self.ready & keep, context=self.context & keep)
        out.records = {i: r for i, r in self.records.items() if i in keep}
        return out


class Layout:
    """``layers[k]`` lists the ids in layer ``k`` top to bottom; ``layer`` and ``position``
    index them; ``waits_on`` lists, per id, the ids it waits on within the picture;
    ``cycles`` are the strongly connected components of more than one issue (or with a
    self edge), each sorted."""

    def __init__(self, layers: list[list[str]], waits_on: dict[str, list[str]],
                 cycles: list[list[str]]) -> None:
        self.layers = layers
        self.layer = {i: k for k, ids in enumerate(layers) for i in ids}
        self.position = {i: p for ids in layers for p, i in enumerate(ids)}
        self.waits_on = waits_on
        self.cycles = cycles


def _sccs(nodes: list[str], succ: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively; sinks come first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(succ.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(comp)
    return out


def layout(vg: ViewGraph, *, sweeps: int = 4) -> Layout:
    """Layer the picture by longest path over the waiting edges, cycles collapsed."""
    ids = sorted(vg.nodes)
    succ: dict[str, list[str]] = {}
    self_loops: set[str] = set()
    for a, b, t in vg.edges:
        if t in LAYER_TYPES:
            if a == b:
                self_loops.add(a)
            else:
                succ.setdefault(a, []).append(b)
    for src in succ:
        succ[src] = sorted(set(succ[src]))
    comps = _sccs(ids, succ)
    comp_of = {i: n for n, comp in enumerate(comps) for i in comp}
    level: dict[int, int] = {}
    for n, comp in enumerate(comps):  # sinks first: every dependency is already placed
        deps = {comp_of[b] for a in comp for b in succ.get(a, ()) if comp_of[b] != n}
        level[n] = 1 + max((level[d] for d in deps), default=-1)
    cycles = sorted(sorted(c) for c in comps if len(c) > 1 or c[0] in self_loops)
    height = 1 + max(level.values(), default=-1)
    layers: list[list[str]] = [[] for _ in range(height)]
    for i in ids:
        layers[level[comp_of[i]]].append(i)

    def rank(i: str) -> tuple[int, int, str]:
        node = vg.nodes[i]
        prio = node.get("priority")
        return (i in vg.context, prio if isinstance(prio, int) else 2, i)

    for layer in layers:
        layer.sort(key=rank)
    waits_on = {i: [b for b in succ.get(i, ()) if b in vg.nodes] for i in ids}
    dependents: dict[str, list[str]] = {}
    for a, bs in waits_on.items():
        for b in bs:
            dependents.setdefault(b, []).append(a)
    # Barycentre sweeps: an issue moves towards the issues it is linked with in the layer
    # before (downward sweep) or after (upward sweep), which uncrosses most edges.
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        order = range(1, height) if down else range(height - 2, -1, -1)
        for k in order:
            ref = layers[k - 1] if down else layers[k + 1]
            pos = {i: p for p, i in enumerate(ref)}
            nbrs = waits_on if down else dependents
            here = {i: p for p, i in enumerate(layers[k])}

            def centre(i: str, pos: dict[str, int] = pos, here: dict[str, int] = here,
                       nbrs: dict[str, list[str]] = nbrs) -> tuple[float, int]:
                ps = [pos[j] for j in nbrs.get(i, ()) if j in pos]
                return (sum(ps) / len(ps) if ps else float(here[i]), here[i])

            layers[k].sort(key=centre)
    return Layout(layers, waits_on, cycles)
