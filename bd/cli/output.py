"""All printing: JSON shapes and human renderers live here, so agents' contracts are in one
place (the Issue row itself is ``bd.core.shapes``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bd.cli.console import Output, plural  # noqa: F401 - part of this module's API
from bd.core.model import encode_json, priority_of, status_of, type_of
from bd.core.shapes import (  # noqa: F401 - the JSON shapes are part of this module's API
    issue_json,
    issue_text,
)

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

def compact(rec: Mapping[str, Any]) -> str:
    """``[📌 ]<id> [P<n>] [<type>] <status>[ @assignee][ [l1 l2]] - <title>``."""
    pin = "📌 " if rec.get("pinned") else ""
    who = f" @{rec['assignee']}" if rec.get("assignee") else ""
    labels = rec.get("labels") or []
    lab = f" [{' '.join(labels)}]" if labels else ""
    return (f"{pin}{rec['id']} [P{priority_of(rec)}] [{type_of(rec)}] {status_of(rec)}{who}"
            f"{lab} - {rec.get('title', '')}")


def short(rec: Mapping[str, Any]) -> str:
    return (f"{rec['id']} [{status_of(rec)}] P{priority_of(rec)} {type_of(rec)}: "
            f"{rec.get('title', '')}")


def human_time(ts: Any) -> str:
    from bd.core.timeutil import parse_ts

    dt = parse_ts(ts) if isinstance(ts, str) else None
    try:
        return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else str(ts or "")
    except (OverflowError, ValueError):  # year 9999 at -23:59 is no local time: as written
        return str(ts)


def ready_list(rows: list[Mapping[str, Any]], any_open: bool, total: int | None = None
               ) -> Iterable[str]:
    if not rows:
        yield ("✨ No ready work found (all issues have blocking dependencies)" if any_open
               else "✨ No open issues")
        return
    shown = plural(len(rows), "issue")
    if total is not None and total > len(rows):  # a page, not everything
        shown = f"{len(rows)} of {total} issues"
    yield f"\n📋 Ready work ({shown} with no blockers):\n"
    for n, rec in enumerate(rows, 1):
        yield f"{n}. [P{priority_of(rec)}] [{type_of(rec)}] {rec['id']}: {rec.get('title', '')}"
        if rec.get("estimated_minutes") is not None:
            yield f"   Estimate: {rec['estimated_minutes']} min"
        if rec.get("assignee"):
            yield f"   Assignee: {rec['assignee']}"
    yield ""


def blocked_list(rows: list[Mapping[str, Any]]) -> Iterable[str]:
    if not rows:
        yield "✨ No blocked issues"
        return
    yield f"\n🚫 Blocked issues ({len(rows)}):\n"
    for rec in rows:
        yield f"[P{priority_of(rec)}] {rec['id']}: {rec.get('title', '')}"
        by = rec.get("blocked_by") or []
        if by:
            yield (f"  Blocked by {plural(len(by), 'open dependency', 'open dependencies')}: "
                   f"[{' '.join(by)}]")
        else:
            yield "  Status: blocked"
        yield ""


_GROUPS = (("parent-child", "Children", "↳"), ("blocks", "Blocks", "←"),
           ("related", "Related", "↔"), ("relates-to", "Related", "↔"),
           ("discovered-from", "Discovered", "◊"))


def details(d: Mapping[str, Any]) -> Iterable[str]:
    """Human layout of ``bd show``."""
    yield f"\n{d['id']}: {d.get('title', '')}"
    yield f"Status: {status_of(d)}"
    if d.get("close_reason"):
        yield f"Close reason: {d['close_reason']}"
    yield f"Priority: P{priority_of(d)}"
    yield f"Type: {type_of(d)}"
    if d.get("assignee"):
        yield f"Assignee: {d['assignee']}"
    if d.get("estimated_minutes") is not None:
        yield f"Estimated: {d['estimated_minutes']} minutes"
    created = f"Created: {human_time(d.get('created_at'))}"
    if d.get("created_by"):
        created += f" by {d['created_by']}"
    yield created
    yield f"Updated: {human_time(d.get('updated_at'))}"
    for key, label in (("due_at", "Due"), ("defer_until", "Deferred until"),
                       ("closed_at", "Closed"), ("external_ref", "External Ref")):
        if d.get(key):
            value = d[key] if key == "external_ref" else human_time(d[key])
            yield f"{label}: {value}"
    if d.get("parent"):
        yield f"Parent: {d['parent']}"
    for key, label in (("description", "Description"), ("design", "Design"),
                       ("notes", "Notes"), ("acceptance_criteria", "Acceptance Criteria")):
        if d.get(key):
            yield f"\n{label}:\n{d[key]}"
    if d.get("labels"):
        yield f"\nLabels: [{' '.join(d['labels'])}]"
    deps = d.get("dependencies") or []
    if deps:
        yield f"\nDepends on ({len(deps)}):"
        for dep in deps:
            kind = "" if dep["dependency_type"] == "blocks" else f" ({dep['dependency_type']})"
            yield (f"  → {dep['id']}: {dep.get('title', '')} [P{priority_of(dep)} - "
                   f"{status_of(dep)}]{kind}")
    dependents = list(d.get("dependents") or [])
    for dep_type, label, arrow in _GROUPS:
        group = [x for x in dependents if x["dependency_type"] == dep_type]
        if dep_type == "blocks":
            known = {g[0] for g in _GROUPS}
            group += [x for x in dependents if x["dependency_type"] not in known]
        if group:
            yield f"\n{label} ({len(group)}):"
            for x in group:
                yield (f"  {arrow} {x['id']}: {x.get('title', '')} [P{priority_of(x)} - "
                       f"{status_of(x)}]")
    comments = d.get("comments") or []
    if comments:
        yield f"\nComments ({len(comments)}):"
        for c in comments:
            yield f"  [{c.get('author', '')} at {human_time(c.get('created_at'))}]"
            yield "  " + str(c.get("text", "")).replace("\n", "\n  ")
    events = d.get("_events") or []
    if events:
        # this clone's own log, not the team's: bd history reads every clone's commits
        yield (f"\nLocal history ({len(events)}, this clone only; bd history {d['id']} shows "
               "every clone's changes):")
        for e in events:
            what = e.get("comment") or ""
            yield (f"  {human_time(e.get('created_at'))} {e.get('actor', '')}: "
                   f"{e.get('event_type', '')}{' - ' + what if what else ''}")
    yield ""


def tree(nodes: list[Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]]
         ) -> Iterable[str]:
    """Draw ``dep tree`` nodes (pre-order with depth) with ├── └── │ connectors."""
    for n, node in enumerate(nodes):
        rec = records.get(node["id"], {})
        label = (f"{node['id']}: {rec.get('title', '')} [P{priority_of(rec)}] "
                 f"({status_of(rec)})")
        if node.get("repeat"):
            label = f"{node['id']} (shown above)"
        if node["depth"] == 0:
            ready = " [READY]" if status_of(rec) == "open" else ""
            yield label + ready
            continue
        last = not any(m["depth"] == node["depth"] for m in
                       _until_shallower(nodes[n + 1:], node["depth"]))
        prefix = ""
        for depth in range(1, node["depth"]):
            prefix += "    " if _ancestor_last(nodes, n, depth) else "│   "
        yield prefix + ("└── " if last else "├── ") + label + (" …" if node.get("truncated")
                                                              else "")


def _until_shallower(nodes: list[Mapping[str, Any]], depth: int) -> list[Mapping[str, Any]]:
    out = []
    for m in nodes:
        if m["depth"] < depth:
            break
        out.append(m)
    return out


def _ancestor_last(nodes: list[Mapping[str, Any]], n: int, depth: int) -> bool:
    for k in range(n - 1, -1, -1):
        if nodes[k]["depth"] == depth:
            return not any(m["depth"] == depth for m in _until_shallower(nodes[k + 1:], depth))
    return True


# -- maintenance (repair-deps, detect-pollution, validate, migrate, info --schema) ----------

def repair_json(orphans: Sequence[Mapping[str, Any]], fixed: int | None) -> dict[str, Any]:
    """``repair-deps``: ``fixed`` only when --fix was given, as in the original."""
    out: dict[str, Any] = {"orphans_found": len(orphans),
                           "orphans": [{"issue_id": o["issue_id"],
                                        "depends_on_id": o["depends_on_id"],
                                        "type": o["type"]} for o in orphans]}
    if fixed is not None:
        out["fixed"] = fixed
    return out


def repair_lines(orphans: Sequence[Mapping[str, Any]], fixed: int | None) -> Iterable[str]:
    if not orphans:
        yield "\n✓ No orphaned dependencies found\n"
        return
    yield f"\n⚠ Found {plural(len(orphans), 'orphaned dependency', 'orphaned dependencies')}:\n"
    for n, o in enumerate(orphans, 1):
        yield (f"{n}. {o['issue_id']} → {o['depends_on_id']} ({o['type']}) "
               f"[{o['depends_on_id']} does not exist]")
    yield ""
    if fixed is None:
        yield "Run with --fix to automatically remove orphaned dependencies\n"
    else:
        yield f"✓ Fixed {plural(fixed, 'orphaned dependency', 'orphaned dependencies')}\n"


def pollution_json(found: Sequence[Mapping[str, Any]], cleaned: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
    """``detect-pollution``: counts by confidence, the issues, and what --clean did."""
    from bd.ops.maintenance import HIGH_CONFIDENCE

    high = sum(1 for p in found if p["score"] >= HIGH_CONFIDENCE)
    out: dict[str, Any] = {
        "polluted_count": len(found), "high_confidence": high,
        "medium_confidence": len(found) - high,
        "issues": [{"id": p["id"], "title": p["title"], "score": p["score"],
                    "reasons": list(p["reasons"]), "created_at": p["created_at"]}
                   for p in found]}
    if cleaned is not None:
        out["deleted"] = cleaned["deleted"]
        out["backup_path"] = cleaned["backup_path"]
    return out


def pollution_lines(found: Sequence[Mapping[str, Any]]) -> Iterable[str]:
    from bd.ops.maintenance import HIGH_CONFIDENCE

    if not found:
        yield "No test pollution detected!"
        return
    yield f"Found {plural(len(found), 'potential test issue')}:\n"
    for label, group in (
            (f"High Confidence (score ≥ {HIGH_CONFIDENCE}):",
             [p for p in found if p["score"] >= HIGH_CONFIDENCE]),
            (f"Medium Confidence (score {HIGH_CONFIDENCE - 0.2:.1f}-{HIGH_CONFIDENCE}):",
             [p for p in found if p["score"] < HIGH_CONFIDENCE])):
        if group:
            yield label
            for p in group:
                yield f"  {p['id']}: {encode_json(p['title'])} (score: {p['score']:.2f})"
                for reason in p["reasons"]:
                    yield f"    - {reason}"
            yield f"  (Total: {plural(len(group), 'issue')})\n"


def validation_json(result: Mapping[str, Any]) -> dict[str, Any]:
    """``validate``: the original's per-check counts (plus ``name`` and ``findings``)."""
    return {
        "checks": {name: {"name": r["name"], "issue_count": r["issue_count"],
                          "fixed_count": r["fixed_count"], "error": r["error"],
                          "failed": r["failed"], "suggestions": list(r["suggestions"]),
                          "findings": list(r["findings"])}
                   for name, r in result["checks"].items()},
        "total_issues": result["total_issues"], "total_fixed": result["total_fixed"],
        "healthy": result["healthy"]}


def validation_lines(result: Mapping[str, Any]) -> Iterable[str]:
    yield "\nValidation Results:"
    yield "==================="
    for r in result["checks"].values():
        if r["failed"]:
            yield f"✗ {r['name']}: ERROR - {r['error']}"
        elif r["issue_count"] and r["fixed_count"]:
            yield f"⚠ {r['name']}: {r['issue_count']} found, {r['fixed_count']} fixed"
        elif r["issue_count"]:
            yield f"⚠ {r['name']}: {r['issue_count']} found"
        else:
            yield f"✓ {r['name']}: OK"
    yield ""
    total, fixed = result["total_issues"], result["total_fixed"]
    if result["healthy"] and not total:
        yield "✓ Database is healthy!"
        return
    if result["healthy"]:
        yield f"✓ Fixed all {plural(fixed, 'issue')}"
        return
    yield (f"⚠ Found {plural(total, 'issue')}" + (f" (fixed {fixed}, {total - fixed} remaining)"
                                        if fixed else ""))
    suggestions = [s for r in result["checks"].values() for s in r["suggestions"]]
    if suggestions:
        yield "\nRecommendations:"
        for s in suggestions:
            yield f"  - {s}"


def migration_json(plan: Mapping[str, Any]) -> dict[str, Any]:
    """``migrate --inspect``: registered migrations, current state, warnings, invariants."""
    state = plan["current_state"]
    return {"registered_migrations": [dict(m) for m in plan["registered_migrations"]],
            "current_state": {k: state[k] for k in (
                "schema_version", "expected_version", "issue_count", "config",
                "missing_config", "db_exists")},
            "warnings": list(plan["warnings"]),
            "invariants_to_check": list(plan["invariants_to_check"])}


def migration_lines(plan: Mapping[str, Any]) -> Iterable[str]:
    state = plan["current_state"]
    yield "\nMigration Inspection"
    yield "===================="
    yield f"Cache format: {state['schema_version']} (current: {state['expected_version']})"
    yield f"Issue Count: {state['issue_count']}"
    yield f"Registered Migrations: {len(plan['registered_migrations'])}"
    if plan["warnings"]:
        yield "\nWarnings:"
        for w in plan["warnings"]:
            yield f"  ⚠ {w}"
    if state["missing_config"]:
        yield "\nMissing Config:"
        for k in state["missing_config"]:
            yield f"  - {k}"
    yield f"\nInvariants to Check: {len(plan['invariants_to_check'])}"
    for name in plan["invariants_to_check"]:
        yield f"  ✓ {name}"
    yield ""


def migrate_json(result: Mapping[str, Any]) -> dict[str, Any]:
    """``migrate`` (without --inspect)."""
    out = {"status": result["status"], "previous_version": result["previous_version"],
           "cache_version": result["cache_version"], "pending": list(result["pending"]),
           "database": result["database"]}
    if "would_migrate" in result:
        out["would_migrate"] = result["would_migrate"]
    return out


def schema_json(info: Mapping[str, Any]) -> dict[str, Any]:
    """The ``schema`` object of ``info --schema``."""
    return {"tables": list(info["tables"]), "schema_version": info["schema_version"],
            "cache_version": info["cache_version"], "config": dict(info["config"]),
            "sample_issue_ids": list(info["sample_issue_ids"]),
            "detected_prefix": info["detected_prefix"], "prefix": info["prefix"]}


# -- views (graph) ----------------------------------------------------------------------------

def json_text(obj: Any) -> str:
    """What :meth:`Output.json` prints, as text (for ``-o FILE``)."""
    return encode_json(obj, indent=2)


def graph_json(vg: Any, lay: Any) -> dict[str, Any]:
    """``graph --json``: the original's ``root``/``issues``/``layout`` keys (its layout keeps
    Go's field names), then the edges, cycles, ready and context ids bd adds."""
    recs = {i: vg.records.get(i) or {"id": i, **vg.nodes[i]} for i in vg.nodes}
    rows = {i: issue_json(recs[i]) for i in vg.nodes}
    order = sorted(vg.nodes, key=lambda i: (lay.layer[i], lay.position[i]))
    root = vg.root or (order[0] if order else None)
    return {
        "root": rows.get(root) if root else None,
        "issues": [rows[i] for i in order],
        "layout": {
            "Nodes": {i: {"Issue": rows[i], "Layer": lay.layer[i], "Position": lay.position[i],
                          "DependsOn": lay.waits_on.get(i, [])} for i in order},
            "Layers": lay.layers, "MaxLayer": max(len(lay.layers) - 1, 0), "RootID": root,
        },
        "edges": [{"issue_id": a, "depends_on_id": b, "type": t} for a, b, t in vg.edges],
        "cycles": lay.cycles,
        "ready": sorted(vg.ready),
        "context": sorted(vg.context),
    }


# -- across clones (sync, resolve-conflicts, history) ----------------------------------------

def _short_value(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else encode_json(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def outcome_lines(report: Mapping[str, Any]) -> Iterable[str]:
    """What a sync or resolve-conflicts settled across clones, for people (one per line)."""
    conflicts = report.get("conflicts") or ()
    if conflicts:
        yield f"Both sides changed {len(conflicts)} field(s); the merge rules decided:"
        for c in conflicts:
            if c.get("dropped_from") is None and c.get("dropped") is None:
                yield f"  {c['issue']} {c['field']}: {c['rule']}"
                continue
            whose = {"local": " (yours)", "remote": " (theirs)"}.get(c.get("dropped_from"), "")
            yield (f"  {c['issue']} {c['field']}: kept {_short_value(c['kept'])}, dropped "
                   f"{_short_value(c['dropped'])}{whose} ({c['rule']})")
    for lost in report.get("lost_claims") or ():
        if lost["holder"]:
            yield (f"Lost claim: {lost['issue']} is no longer held by {lost['actor']}; "
                   f"holder: {lost['holder']}. Stop work on it, or talk to {lost['holder']}")
        else:
            yield (f"Lost claim: {lost['issue']} is no longer held by {lost['actor']}; "
                   "holder: nobody. Claim it again before working on it")
    for moved in report.get("renumbered") or ():
        title = f" ({_short_value(moved.get('title'), 50)})" if moved.get("title") else ""
        if moved.get("yours"):
            yield (f"Renumbered: {moved['from']} is now {moved['to']}{title}; two issues were "
                   f"created under {moved['from']} in different clones; {moved['from']} now "
                   "names the other one")
        else:
            yield (f"Renumbered: {moved['from']}{title} from another clone is now "
                   f"{moved['to']} (two issues were created under {moved['from']})")


def _change_text(c: Mapping[str, Any]) -> str:
    if c.get("old") is None:
        return f"{c['field']} {_short_value(c.get('new'), 40)}"
    return (f"{c['field']} {_short_value(c.get('old'), 30)} -> "
            f"{_short_value(c.get('new'), 30)}")


def history_lines(h: Mapping[str, Any]) -> Iterable[str]:
    """Human layout of ``bd history``: committed entries (every clone), then local ones."""
    entries = h.get("entries") or []
    local = h.get("local") or []
    source = "git history of issues.jsonl" if h.get("git") else "this clone's log (no git)"
    yield f"History of {h['issue']} ({len(entries)} committed change(s), from the {source})"
    for e in entries:
        as_id = f" (as {e['id']})" if e["id"] != h["issue"] else ""
        changes = "; ".join(_change_text(c) for c in e.get("changes") or ()
                            if e["kind"] not in ("created", "renumbered")
                            or c["field"] in ("title", "status", "priority", "assignee",
                                              RENUMBERED_FIELD))
        yield (f"  {human_time(e['time'])}  {e['commit'][:7]}  {e['author']}  "
               f"{e['kind']}{as_id}" + (f": {changes}" if changes else ""))
    if local:
        yield f"Not committed yet ({len(local)}, this clone):"
        for e in local:
            what = e.get("comment") or ""
            yield (f"  {human_time(e.get('created_at'))}  {e.get('actor', '')}: "
                   f"{e.get('event_type', '')}{' - ' + what if what else ''}")


RENUMBERED_FIELD = "renumbered_from"
