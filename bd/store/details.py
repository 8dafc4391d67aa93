"""The details of one issue as ``show --json`` and the MCP server's show give them
(the original's IssueDetails shape): the Issue row, its dependencies and dependents as
Issue rows with their dependency type, comments, parent, and optionally its events.
"""

from __future__ import annotations

from bd.core.shapes import issue_json

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def details(store: Any, rid: str, *, events: bool = False,
            unresolved: bool = False) -> dict[str, Any]:
    """The IssueDetails shape of ``show --json``.

    ``unresolved`` puts placeholders for dependencies on external or missing issues among
    the dependencies (human output). Otherwise (JSON) ``dependencies`` holds real issues only,
    as in the original, since clients validate each as a full Issue (timestamps included),
    and the others are listed in ``unresolved_dependencies`` as ``{id, dependency_type,
    status}`` with status ``external`` or ``missing``.
    """
    rec = store.get(rid)
    d = issue_json(rec)
    d["labels"] = d.pop("labels")  # IssueDetails: relations come last, labels first of them
    deps = [dep for dep in rec.get("dependencies") or [] if isinstance(dep, dict)]
    targets = store.get_many([str(dep.get("depends_on_id")) for dep in deps])
    d["dependencies"] = []
    elsewhere: list[dict[str, Any]] = []
    for dep in deps:
        target = targets.get(str(dep.get("depends_on_id")))
        if target is None:
            target = {"id": dep.get("depends_on_id"), "title": "", "status": "external"
                      if str(dep.get("depends_on_id")).startswith("external:") else "missing",
                      "priority": 2}
            if not unresolved:
                elsewhere.append({"id": target["id"], "dependency_type": dep.get("type")
                                  or "blocks", "status": target["status"]})
                continue
        row = issue_json(target)
        row["dependency_type"] = dep.get("type") or "blocks"
        d["dependencies"].append(row)
    edges = store.dependents(rid)
    sources = store.get_many([a for a, _ in edges])
    d["dependents"] = []
    for a, dep_type in edges:
        if a in sources:
            row = issue_json(sources[a])
            row["dependency_type"] = dep_type
            d["dependents"].append(row)
    d["comments"] = list(rec.get("comments") or [])
    parent = next((dep.get("depends_on_id") for dep in deps
                   if dep.get("type") == "parent-child"), None)
    if parent:
        d["parent"] = parent
    if not unresolved:  # bd's addition: after the original's keys
        d["unresolved_dependencies"] = elsewhere
    if events:
        d["_events"] = store.events(rid)
    return d
