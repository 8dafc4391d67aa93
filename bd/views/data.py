"""What a picture shows, read from the store.

``bd graph ID`` shows the issue, everything below it through parent-child (for an epic:
its whole tree) and, for context, the issues one edge away from that set (what it waits on,
what waits on it, its parent, its links), drawn as outside the selection.  ``bd graph --all``
shows every issue that is not closed.  Both mark the issues ``bd ready`` would list.
"""

from __future__ import annotations

from bd.views.model import NODE_KEYS, ViewGraph

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

DONE = frozenset({"closed", "tombstone"})


def _edges(graph: Any, ids: list[str]) -> list[tuple[str, str, str]]:
    out = []
    for i in ids:
        for d in (graph.get(i) or {}).get("dependencies") or ():
            target = d.get("depends_on_id")
            if target in graph:
                out.append((i, target, d.get("type") or "blocks"))
    return out


def _build(store: Store, graph: Any, ids: list[str], *, root: str | None,
           context: set[str]) -> ViewGraph:
    records = store.get_many(ids)
    nodes = {}
    for i in ids:
        rec = records.get(i) or graph.get(i) or {"id": i}
        node = {k: rec.get(k) for k in NODE_KEYS}
        node["status"] = node["status"] or "open"
        node["issue_type"] = node["issue_type"] or "task"
        node["labels"] = list(node["labels"] or [])
        nodes[i] = node
    vg = ViewGraph(nodes, _edges(graph, ids), root=root, ready=graph.ready_ids(),
                   context=context)
    vg.records = records
    return vg


def issue_graph(store: Store, rid: str) -> ViewGraph:
    """The picture of one issue (see the module docstring)."""
    graph = store.graph(light=True)
    core = [rid, *sorted(graph.descendants(rid))]
    members = set(core)
    context: set[str] = set()
    for i in core:
        for d in (graph.get(i) or {}).get("dependencies") or ():
            target = d.get("depends_on_id")
            if target in graph and target not in members:
                context.add(target)
        for other, _ in store.dependents(i):
            if other in graph and other not in members:
                context.add(other)
    return _build(store, graph, core + sorted(context), root=rid, context=context)


def open_graph(store: Store) -> ViewGraph:
    """Every issue that is not closed (``--all``)."""
    graph = store.graph(light=True)
    ids = [i for i in store.list_ids()
           if i in graph and (graph.get(i) or {}).get("status", "open") not in DONE]
    return _build(store, graph, ids, root=None, context=set())
