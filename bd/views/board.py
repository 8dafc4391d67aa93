"""The web board's API: what each ``/api/...`` route reads or writes, as plain data.

Reads use the store's queries; writes call :mod:`bd.ops.issues` exactly as the CLI does.
These JSON shapes are private to the board's own page (``static/app.js``), not part of the
agent contract (that is ``--json``).
"""

from __future__ import annotations

from urllib.parse import unquote

from bd.core import model
from bd.ops import issues as ops
from bd.store import queries
from bd.store.queries import ListFilter, ReadyFilter
from bd.views import data, html
from bd.views.model import NODE_KEYS, layout

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from bd.store.store import Store

COLUMNS = (("open", "Open"), ("in_progress", "In progress"), ("blocked", "Blocked"),
           ("deferred", "Deferred"), ("closed", "Closed"))
CARD_LIMIT = 100
CLOSED_LIMIT = 50
EDITABLE = ("title", "description", "priority", "status", "assignee", "issue_type", "design",
            "acceptance_criteria", "notes")


class Refused(Exception):
    """A request the board answers with an HTTP error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def card(rec: Mapping[str, Any], ready: set[str]) -> dict[str, Any]:
    out = {k: rec.get(k) for k in NODE_KEYS}
    out["status"] = model.status_of(rec)
    out["priority"] = model.priority_of(rec)
    out["issue_type"] = model.type_of(rec)
    out["labels"] = list(rec.get("labels") or [])
    out["ready"] = rec["id"] in ready
    return out


def _one(query: Mapping[str, list[str]], key: str) -> str | None:
    value = (query.get(key) or [""])[0].strip()
    return value or None


def _filter(query: Mapping[str, list[str]], **extra: Any) -> ListFilter:
    prio = _one(query, "priority")
    itype = _one(query, "type")
    label = _one(query, "label")
    return ListFilter(query=_one(query, "q"), assignee=_one(query, "assignee"),
                      labels=[label] if label else None,
                      issue_type=model.normalise_type(itype) if itype else None,
                      priority=model.parse_priority(prio) if prio else None, **extra)


def _ready_filter(query: Mapping[str, list[str]]) -> ReadyFilter:
    f = _filter(query)
    return ReadyFilter(limit=0, assignee=f.assignee, labels=f.labels, issue_type=f.issue_type,
                       priority=f.priority, sort="priority")


def _matches(rec: Mapping[str, Any], text: str | None) -> bool:
    """The board's search over the ready queue (``list``'s query does it in SQL)."""
    if not text:
        return True
    needle = text.lower()
    return any(needle in str(rec.get(k) or "").lower() for k in ("id", "title", "description"))


def board(store: Store, query: Mapping[str, list[str]]) -> dict[str, Any]:
    """Columns by status (up to CARD_LIMIT cards each, ``more`` when there are more; the
    latest closed ones); with ``view=ready`` the ready queue.  Each column is one limited
    query and readiness is one query of ids, so the first page costs about the same for 100
    issues or 10,000."""
    ready = queries.ready_ids(store.cache().conn)
    columns = []
    custom = [(c, c.replace("_", " ").capitalize()) for c in store.custom_statuses]
    for status, title in (*COLUMNS[:-1], *custom, COLUMNS[-1]):
        closed = status == "closed"
        limit = CLOSED_LIMIT if closed else CARD_LIMIT
        rows = store.list(_filter(query, status=status, limit=limit + 1,
                                  sort="closed" if closed else None))
        more = len(rows) > limit
        columns.append({"status": status, "title": title, "count": min(len(rows), limit),
                        "more": more, "cards": [card(r, ready) for r in rows[:limit]]})
    value: dict[str, Any] = {"workspace": store.beads_dir, "actor": store.actor,
                             "columns": columns, "ready_count": len(ready)}
    if _one(query, "view") == "ready":
        text = _one(query, "q")
        rows = [r for r in store.ready(_ready_filter(query)) if _matches(r, text)]
        value["ready"] = [card(r, ready) for r in rows[:CARD_LIMIT]]
        value["ready_count"] = len(rows)
    return value


def epics(store: Store) -> dict[str, Any]:
    """Every open epic with its closed and total children."""
    graph = store.graph(light=True)
    out = []
    for e in graph.epic_status():
        rec = graph.get(e["id"]) or {}
        total, done = e["total_children"], e["closed_children"]
        out.append({"id": e["id"], "title": rec.get("title", ""),
                    "status": rec.get("status", "open"), "total": total, "closed": done,
                    "percent": int(100 * done / total) if total else 0,
                    "eligible_for_close": e["eligible_for_close"]})
    return {"epics": out}


def issue(store: Store, rid: str) -> dict[str, Any]:
    """Everything the issue page shows."""
    rid = store.resolve(rid)
    rec = store.get(rid)
    deps = [d for d in rec.get("dependencies") or () if isinstance(d, dict)]
    dependents = store.dependents(rid)
    others = store.get_many(sorted({str(d.get("depends_on_id")) for d in deps}
                                   | {a for a, _ in dependents}))
    graph = store.graph(light=True)
    ready = graph.ready_ids()

    def link(other: str, typ: str) -> dict[str, Any]:
        o = others.get(other)
        return {"id": other, "type": typ, "title": o.get("title", "") if o else "",
                "status": model.status_of(o) if o else "missing"}

    fields = {k: rec.get(k) for k in ("description", "design", "acceptance_criteria", "notes",
                                       "created_at", "updated_at", "closed_at", "close_reason",
                                       "external_ref", "created_by")}
    return {"issue": {**card(rec, ready), **fields},
            "parent": next((str(d["depends_on_id"]) for d in deps
                            if d.get("type") == "parent-child"), None),
            "depends_on": [link(str(d.get("depends_on_id")), d.get("type") or "blocks")
                           for d in deps],
            "dependents": [link(a, t) for a, t in dependents],
            "blocked_by": graph.blockers(rid),
            "comments": [{"author": c.get("author", ""), "text": c.get("text", ""),
                          "created_at": c.get("created_at", "")}
                         for c in rec.get("comments") or () if isinstance(c, dict)],
            "events": [{"event_type": e.get("event_type"), "actor": e.get("actor"),
                        "created_at": e.get("created_at"), "comment": e.get("comment")}
                       for e in store.events(rid)]}


def graph_view(store: Store, query: Mapping[str, list[str]]) -> dict[str, Any]:
    """The graph page's data: one issue's picture, or every open issue."""
    rid = _one(query, "id")
    if rid:
        rid = store.resolve(rid)
        vg = data.issue_graph(store, rid)
        title = f"Dependency graph for {rid}"
    else:
        vg = data.open_graph(store)
        title = "Dependency graph of all open issues"
    return html.graph_data(vg, layout(vg), title=title)


def get(store: Store, route: str, query: Mapping[str, list[str]], server: Any
        ) -> tuple[int, Any]:
    """Answer ``GET /api/<route>``; every answer says whether the board is read-only."""
    if route == "board":
        value = board(store, query)
    elif route == "graph":
        value = graph_view(store, query)
    elif route == "epics":
        value = epics(store)
    elif route.startswith("issue/"):
        value = issue(store, unquote(route[6:]))
    else:
        raise Refused(404, f"no such API route: {route}")
    value["readonly"] = bool(server.readonly)
    return 200, value


def _text(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Refused(400, f"{key} must be {'a non-empty' if required else 'a'} string")
    return value


def post(store: Store, route: str, body: Mapping[str, Any]) -> tuple[int, Any]:
    """Answer ``POST /api/<route>`` with one library write."""
    if route == "issues":
        prio = body.get("priority", 2)
        labels = body.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise Refused(400, "labels must be a list of strings")
        rec = ops.create(store, _text(body, "title", required=True) or "",
                         description=_text(body, "description") or "",
                         issue_type=store.check_type(_text(body, "issue_type") or "task"),
                         priority=model.parse_priority(str(prio)),
                         assignee=_text(body, "assignee") or None, labels=labels,
                         parent=store.resolve(p) if (p := _text(body, "parent")) else None)
        return 201, {"issue": card(rec, set())}
    if not route.startswith("issue/") or route.count("/") != 2:
        raise Refused(404, f"no such API route: {route}")
    _, rid, action = route.split("/")
    rid = store.resolve(unquote(rid))
    if action == "update":
        changes: dict[str, Any] = {}
        for key in EDITABLE:
            if key in body:
                value = body[key]
                if key == "priority":
                    value = model.parse_priority(str(value))
                elif not isinstance(value, str):
                    raise Refused(400, f"{key} must be a string")
                changes[key] = value
        if not changes:
            raise Refused(400, "nothing to update")
        rec = ops.update(store, rid, changes)
    elif action == "claim":
        rec = ops.update(store, rid, claim=True)
    elif action == "close":
        rec = ops.close(store, [rid], _text(body, "reason") or "Closed")[0]
    elif action == "reopen":
        rec = ops.reopen(store, [rid])[0]
    elif action == "comment":
        ops.add_comment(store, rid, _text(body, "text", required=True) or "", store.actor)
        rec = store.get(rid)
    else:
        raise Refused(404, f"no such action: {action}")
    return 200, {"issue": card(rec, set())}
