"""Filters over ``dep tree`` nodes (DFS pre-order, each with its ``depth``)."""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def filter_status(nodes: list[dict[str, Any]], records: Mapping[str, Mapping[str, Any]],
                  status: str) -> list[dict[str, Any]]:
    """The nodes whose issue has ``status``, with the path from the root down to each (so
    the tree keeps its shape); [] when none matches."""
    keep = [False] * len(nodes)
    path: list[int] = []  # indexes of the current node's ancestors, by depth
    for n, node in enumerate(nodes):
        depth = node["depth"]
        del path[depth:]
        rec = records.get(node["id"]) or {}
        if (rec.get("status") or "open") == status:
            keep[n] = True
            for a in path:
                keep[a] = True
        path.append(n)
    return [node for n, node in enumerate(nodes) if keep[n]]
