"""What a picture shows, read from the store.

``bd graph ID`` shows the issue, everything below it through parent-child (for an epic:
its whole tree) and, for context, the issues one edge away from that set (what it waits on,
what waits on it, its parent, its links), drawn as outside the selection.  ``bd graph --all``
shows every issue that is not closed.  Both mark the issues ``bd ready`` would list.
"""

from __future__ import annotations

from bd.store import queries
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


def _view(ids: list[str], records: dict[str, dict[str, Any]],
          edges: list[tuple[str, str, str]], ready: set[str], *, root: str | None,
          context: set[str]) -> ViewGraph:
    nodes = {}
    for i in ids:
        rec = records.get(i) or {"id": i}
        node = {k: rec.get(k) for k in NODE_KEYS}
        node["status"] = node["status"] or "open"
        node["issue_type"] = node["issue_type"] or "task"
        node["labels"] = list(node["labels"] or [])
        nodes[i] = node
    vg = ViewGraph(nodes, edges, root=root, ready=ready, context=context)
    vg.records = {i: records[i] for i in ids if i in records}
    return vg


def _build(store: Store, graph: Any, ids: list[str], *, root: str | None,
           context: set[str]) -> ViewGraph:
    records = store.get_many(ids)
    for i in ids:
        if i not in records and graph.get(i):
            records[i] = dict(graph.get(i))
    return _view(ids, records, _edges(graph, ids), graph.ready_ids(), root=root,
                 context=context)


def issue_graph(store: Store, rid: str) -> ViewGraph:
    """The picture of one issue (see the module docstring).  It reads only the issues it
    shows (children through the dependency tree query, neighbours by id), so its cost
    follows the size of the picture, not of the repository."""
    below = store.tree(rid, direction="up", types=["parent-child"], max_depth=1000)
    core = [rid, *sorted({n["id"] for n in below} - {rid})]
    records = store.get_many(core)
    members = set(core)
    around: set[str] = set()
    for i in core:
        for d in (records.get(i) or {}).get("dependencies") or ():
            if isinstance(d, dict) and isinstance(d.get("depends_on_id"), str):
                around.add(d["depends_on_id"])
        around.update(other for other, _ in store.dependents(i))
    around -= members
    records.update(store.get_many(sorted(around)))
    context = {i for i in around if i in records
               and records[i].get("status") != "tombstone"}
    ids = core + sorted(context)
    edges = [(i, d["depends_on_id"], d.get("type") or "blocks")
             for i in ids for d in records[i].get("dependencies") or ()
             if isinstance(d, dict) and d.get("depends_on_id") in records
             and (d["depends_on_id"] in members or d["depends_on_id"] in context)]
    ready = queries.ready_ids(store.cache().conn)
    return _view(ids, records, edges, ready, root=rid, context=context)


def open_graph(store: Store) -> ViewGraph:
    """Every issue that is not closed (``--all``)."""
    graph = store.graph(light=True)
    ids = [i for i in store.list_ids()
           if i in graph and (graph.get(i) or {}).get("status", "open") not in DONE]
    return _build(store, graph, ids, root=None, context=set())
