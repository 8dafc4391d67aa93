"""Triage commands: epic close-eligible, duplicate, supersede, duplicates, state, set-state,
lint, orphans."""

from __future__ import annotations

from bd.cli import Context
from bd.cli import output_links as out_links
from bd.cli.console import plural
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError, UsageError


def _refuse_readonly(ctx: Context, what: str) -> None:
    if ctx.flags.get("readonly"):
        raise BdError(f"operation '{what}' is not allowed in read-only mode")


@command("epic close-eligible", "Close the epics whose children are all closed", opts=[
    opt("dry_run", "--dry-run", type=bool, help="Show what would be closed, change nothing")])
def _epic_close_eligible(ctx: Context, o: Values) -> int:
    from bd.ops import epics

    if not o.dry_run:
        _refuse_readonly(ctx, "epic close-eligible")
    rows = epics.close_eligible(ctx.store, dry_run=o.dry_run)
    if ctx.json:
        if o.dry_run or not rows:
            ctx.out.json([out_links.epic_status_json(r) for r in rows])
        else:
            ctx.out.json({"closed": [r["id"] for r in rows], "count": len(rows)})
    elif not rows:
        ctx.out.line("No epics eligible for closure")
    elif o.dry_run:
        ctx.out.line(f"Would close {len(rows)} epic(s):")
        for r in rows:
            ctx.out.line(f"  - {r['id']}: {r['epic'].get('title', '')}")
    else:
        ctx.out.line(f"✓ Closed {len(rows)} epic(s)")
        for r in rows:
            ctx.out.line(f"  - {r['id']}")
    return 0


def _link_and_close(ctx: Context, o: Values, dep_type: str, other: str, verb: str) -> int:
    from bd.ops import dedupe

    _refuse_readonly(ctx, "duplicate" if dep_type == "duplicates" else "supersede")
    store = ctx.store
    rid, target = store.resolve(o.id), store.resolve(other)
    dedupe.link_and_close(store, rid, target, dep_type)
    if ctx.json:
        key = "canonical" if dep_type == "duplicates" else "replacement"
        first = "duplicate" if dep_type == "duplicates" else "superseded"
        ctx.out.json({first: rid, key: target, "status": "closed"})
    else:
        ctx.out.line(f"✓ Marked {rid} as {verb} {target} (closed)")
    return 0


@command("duplicate", "Mark an issue as a duplicate of another and close it",
         args=[arg("id")], opts=[opt("of", "--of", metavar="CANONICAL",
                                     help="The issue it duplicates (required)")])
def _duplicate(ctx: Context, o: Values) -> int:
    if not o.of:
        raise UsageError("--of CANONICAL is required")
    return _link_and_close(ctx, o, "duplicates", o.of, "duplicate of")


@command("supersede", "Mark an issue as superseded by a newer one and close it",
         args=[arg("id")], opts=[opt("with_", "--with", metavar="NEW",
                                     help="The issue that replaces it (required)")])
def _supersede(ctx: Context, o: Values) -> int:
    if not o.with_:
        raise UsageError("--with NEW is required")
    return _link_and_close(ctx, o, "supersedes", o.with_, "superseded by")


@command("duplicates", "Find groups of issues with identical content (and merge them)", opts=[
    opt("auto_merge", "--auto-merge", type=bool,
        help="Merge each group into its most-referenced issue"),
    opt("dry_run", "--dry-run", type=bool, help="With --auto-merge: show, change nothing")])
def _duplicates(ctx: Context, o: Values) -> int:
    from bd.ops import dedupe

    if o.dry_run and not o.auto_merge:
        raise UsageError("--dry-run applies to --auto-merge")
    store = ctx.store
    groups = dedupe.find_groups(store)
    merged = []
    if o.auto_merge and not o.dry_run:
        _refuse_readonly(ctx, "duplicates --auto-merge")
        for g in groups:
            merged.append(dedupe.merge_into(store, g["sources"], g["target"]))
    if ctx.json:
        doc: dict[str, object] = {"duplicate_groups": len(groups), "groups": groups}
        if o.auto_merge:
            doc["merged"] = merged
            doc["dry_run"] = bool(o.dry_run)
        ctx.out.json(doc)
        return 0
    if not groups:
        ctx.out.line("✓ No duplicates found")
        return 0
    ctx.out.line(f"🔍 Found {len(groups)} duplicate group(s):\n")
    for n, g in enumerate(groups, 1):
        ctx.out.line(f"━━ Group {n}: {g['title']}")
        for rid in [g["target"], *g["sources"]]:
            mark = "→" if rid == g["target"] else " "
            ctx.out.line(f"  {mark} {rid} ({g['references'][rid]} references)")
        if o.auto_merge and not o.dry_run:
            ctx.out.line(f"  ✓ Merged into {g['target']}")
        else:
            ctx.out.line(f"  Suggested: bd merge {' '.join(g['sources'])} --into {g['target']}")
        ctx.out.line("")
    if not o.auto_merge:
        ctx.out.line("Run 'bd duplicates --auto-merge' to merge them all.")
    return 0


@command("state", "Show the value of a state dimension (a DIM:VALUE label) of an issue",
         args=[arg("id"), arg("dimension")])
def _state(ctx: Context, o: Values) -> int:
    from bd.ops import state

    store = ctx.store
    rid = store.resolve(o.id)
    value = state.value_of(store.get(rid).get("labels") or [], o.dimension)
    if ctx.json:
        ctx.out.json({"issue_id": rid, "dimension": o.dimension, "value": value})
    else:
        ctx.out.line(value if value is not None else f"(no {o.dimension} state set)")
    return 0


@command("state list", "List the state dimensions (DIM:VALUE labels) of an issue",
         args=[arg("id")])
def _state_list(ctx: Context, o: Values) -> int:
    from bd.ops import state

    store = ctx.store
    rid = store.resolve(o.id)
    states = state.states(store.get(rid).get("labels") or [])
    if ctx.json:
        ctx.out.json({"issue_id": rid, "states": states})
    elif not states:
        ctx.out.line(f"\n{rid} has no state labels")
    else:
        ctx.out.line(f"\n📊 State for {rid}:")
        for dim, value in states.items():
            ctx.out.line(f"  {dim}: {value}")
        ctx.out.line("")
    return 0


@command("set-state", "Set a state dimension: swaps the DIM:VALUE label and records an event",
         args=[arg("id"), arg("assignment", help="DIMENSION=VALUE")],
         opts=[opt("reason", "--reason", help="Why (recorded in the event)")])
def _set_state(ctx: Context, o: Values) -> int:
    from bd.ops import state

    _refuse_readonly(ctx, "set-state")
    store = ctx.store
    rid = store.resolve(o.id)
    dim, value = state.parse_assignment(o.assignment)
    result = state.set_state(store, rid, dim, value, o.reason or "")
    if ctx.json:
        ctx.out.json(result)
    elif not result["changed"]:
        ctx.out.line(f"(no change: {dim} already set to {value})")
    else:
        ctx.out.line(f"✓ Set {dim} = {value} on {rid}")
        if result["old_value"] is not None:
            ctx.out.line(f"  Previous: {result['old_value']}")
        ctx.out.line(f"  Event: {result['event_id']}")
    return 0


@command("lint", "Check issues for the description sections their type requires",
         args=[arg("ids", "*")], opts=[
             opt("type", "-t", "--type", help="Only issues of this type", choices="type"),
             opt("status", "-s", "--status", help="Only this status (default open; all = any)",
                 choices="status-filter")])
def _lint(ctx: Context, o: Values) -> int:
    from bd.core import model
    from bd.core.templates import missing_sections
    from bd.store.queries import ListFilter

    store = ctx.store
    if o.ids:
        recs = [store.get(store.resolve(x)) for x in o.ids]
    else:
        status = o.status or "open"
        recs = store.list(ListFilter(status=status, limit=0, sort="id",
                                     issue_type=model.normalise_type(o.type) if o.type
                                     else None))
    results = []
    for rec in recs:
        missing = missing_sections(rec)
        if missing:
            results.append({"id": rec["id"], "title": rec.get("title", ""),
                            "type": model.type_of(rec), "missing": [h for h, _ in missing],
                            "warnings": len(missing)})
    total = sum(r["warnings"] for r in results)
    if ctx.json:
        ctx.out.json({"total": total, "issues": len(results), "results": results})
        return 0
    if not results:
        ctx.out.line(f"✓ No template warnings found ({len(recs)} issues checked)")
        return 0
    ctx.out.line(f"Template warnings ({len(results)} issues, {total} warnings):\n")
    for r in results:
        ctx.out.line(f"{r['id']} [{r['type']}]: {r['title']}")
        for heading in r["missing"]:
            ctx.out.line(f"  ⚠ Missing: {heading}")
        ctx.out.line("")
    return 1


@command("orphans", "Open issues that commit messages name as (ID): done but not closed?",
         opts=[opt("fix", "-f", "--fix", type=bool, help="Close them (asks first on a terminal; "
                   "--yes confirms without one)"),
               opt("yes", "-y", "--yes", type=bool, help="Do not ask before --fix closes"),
               opt("details", "--details", type=bool, help="Show the latest commit of each")])
def _orphans(ctx: Context, o: Values) -> int:
    import sys

    from bd.git.orphans import find_orphans
    from bd.ops import issues

    store = ctx.store
    found = find_orphans(store)
    closed: list[str] = []
    if o.fix and found:
        _refuse_readonly(ctx, "orphans --fix")
        if not o.yes:
            if ctx.json or not sys.stdin.isatty():
                raise UsageError("--yes is needed to confirm --fix when there is no terminal "
                                 "to ask on")
            sys.stdout.write(f"This will close {plural(len(found), 'orphaned issue')}. Continue? "
                             "[y/N] ")
            sys.stdout.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                ctx.out.line("Canceled.")
                return 0
        closed = [r["id"] for r in issues.close(store, [f["issue_id"] for f in found],
                                                "Implemented")]
    if ctx.json:
        ctx.out.json({"orphans": found, "closed": closed} if o.fix else found)
        return 0
    if not found:
        ctx.out.line("✓ No orphaned issues found")
        return 0
    ctx.out.line(f"\n⚠ Found {plural(len(found), 'orphaned issue')}:\n")
    for n, f in enumerate(found, 1):
        ctx.out.line(f"{n}. {f['issue_id']}: {f['title']}")
        ctx.out.line(f"   Status: {f['status']}")
        if o.details:
            ctx.out.line(f"   Latest commit: {f['latest_commit']} - "
                         f"{f['latest_commit_message']}")
    for rid in closed:
        ctx.out.line(f"✓ Closed {rid}")
    return 0


@command("rename-prefix", "Change the id prefix of every issue (ids, links and text "
         "references rewritten in one step)", args=[arg("new_prefix")], opts=[
             opt("dry_run", "--dry-run", type=bool, help="Show the renames, change nothing"),
             opt("repair", "--repair", type=bool,
                 help="Also move issues that carry some other prefix onto the new one")])
def _rename_prefix(ctx: Context, o: Values) -> int:
    from bd.ops.rename import rename_prefix

    if not o.dry_run:
        _refuse_readonly(ctx, "rename-prefix")
    result = rename_prefix(ctx.store, o.new_prefix, dry_run=o.dry_run, repair=o.repair,
                           progress=ctx.progress())
    if ctx.json:
        ctx.out.json(result)
        return 0
    renamed = result["renamed"]
    verb = "Would rename" if o.dry_run else "Renamed"
    ctx.out.line(f"{verb} {len(renamed)} issue(s) from '{result['old_prefix']}-' to "
                 f"'{result['new_prefix']}-'")
    for old, new in list(renamed.items())[:20]:
        ctx.out.line(f"  {old} → {new}")
    if len(renamed) > 20:
        ctx.out.line(f"  … and {len(renamed) - 20} more")
    if result["references_updated"]:
        ctx.out.line(f"References updated in {len(result['references_updated'])} other "
                     "issue(s)")
    return 0
