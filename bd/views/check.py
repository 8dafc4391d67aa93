"""``bd graph check``: cycles, orphan edges and dangling parents, from the records alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def check(records: Iterable[Mapping[str, Any]], cycles: list[list[str]]) -> dict[str, Any]:
    """The report.  ``records`` are all records, tombstones included; ``cycles`` come from
    the graph index (the readiness edge types, as ``dep cycles`` reports them).

    - an *orphan edge* is a dependency (not parent-child) on an id that is not a live issue
      (``external:`` references are not orphans);
    - a *dangling parent* is a parent-child edge to an id that is not a live issue, or a
      dotted child id (``x.1``) whose parent ``x`` is not a live issue.
    """
    recs = [r for r in records if isinstance(r.get("id"), str)]
    live = {r["id"] for r in recs if r.get("status") != "tombstone"}
    tombs = {r["id"] for r in recs if r.get("status") == "tombstone"}
    orphans: list[dict[str, Any]] = []
    dangling: list[dict[str, Any]] = []
    for r in sorted(recs, key=lambda r: r["id"]):
        if r["id"] not in live:
            continue
        for d in r.get("dependencies") or ():
            if not isinstance(d, Mapping):
                continue
            target = d.get("depends_on_id")
            if not isinstance(target, str) or target in live or target.startswith("external:"):
                continue
            reason = "deleted" if target in tombs else "missing"
            typ = d.get("type") or "blocks"
            if typ == "parent-child":
                dangling.append({"issue_id": r["id"], "parent_id": target, "reason": reason})
            else:
                orphans.append({"issue_id": r["id"], "depends_on_id": target, "type": typ,
                                "reason": reason})
        head, dot, tail = r["id"].rpartition(".")
        if dot and tail.isdigit() and head and head not in live \
                and not any(x["issue_id"] == r["id"] and x["parent_id"] == head for x in dangling):
            dangling.append({"issue_id": r["id"], "parent_id": head,
                             "reason": "deleted" if head in tombs else "dotted id"})
    clean = not cycles and not orphans and not dangling
    return {"clean": clean, "cycles": cycles, "orphan_edges": orphans,
            "dangling_parents": dangling,
            "summary": {"cycle_count": len(cycles), "orphan_edge_count": len(orphans),
                        "dangling_parent_count": len(dangling)}}


def report_lines(result: Mapping[str, Any]) -> list[str]:
    """The human report."""
    lines = [""]
    lines.append("✓ Graph integrity check passed" if result["clean"]
                 else "✗ Graph integrity issues found")
    lines.append("")
    if result["cycles"]:
        lines.append(f"⚠ Cycles ({len(result['cycles'])}):")
        for cyc in result["cycles"]:
            lines.append(f"  {' → '.join(cyc)} → {cyc[0]}")
    else:
        lines.append("  ✓ No dependency cycles")
    if result["orphan_edges"]:
        lines.append(f"⚠ Orphan edges ({len(result['orphan_edges'])}):")
        for o in result["orphan_edges"]:
            lines.append(f"  {o['issue_id']} → {o['depends_on_id']} ({o['type']}, "
                         f"target {o['reason']})")
    else:
        lines.append("  ✓ No orphan edges")
    if result["dangling_parents"]:
        lines.append(f"⚠ Dangling parents ({len(result['dangling_parents'])}):")
        for d in result["dangling_parents"]:
            lines.append(f"  {d['issue_id']} → parent {d['parent_id']} ({d['reason']})")
    else:
        lines.append("  ✓ No dangling parents")
    lines.append("")
    return lines
