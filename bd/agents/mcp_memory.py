"""The MCP tools of bd/memory: compact-analyze, compact-apply, remember, recall (their
declarations sit with the others in ``bd.agents.mcp_server.TOOLS``)."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from bd.agents.mcp_server import Workspaces


def _compact_analyze(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.memory import compact

    return compact.analyze(ws.store(a.get("workspace_root")), int(a.get("tier") or 1),
                           limit=int(a.get("limit") or 10), issue_id=a.get("issue_id"))


def _compact_apply(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.memory import compact

    return compact.apply(ws.store(a.get("workspace_root")), a["issue_id"], a["summary"],
                         int(a.get("tier") or 1))


def _remember(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.memory import memories

    return memories.remember(ws.store(a.get("workspace_root")), a["text"], key=a.get("key"),
                             tags=a.get("tags"))


def _recall(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.memory import memories

    return memories.recall(ws.store(a.get("workspace_root")), a.get("query"))


HANDLERS: dict[str, Callable[[Workspaces, dict[str, Any]], Any]] = {
    "compact-analyze": _compact_analyze, "compact-apply": _compact_apply,
    "remember": _remember, "recall": _recall,
}
