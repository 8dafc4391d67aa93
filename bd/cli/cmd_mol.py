"""mol: pour, wisp, bond, squash, burn, distill, show, current, progress, stale, ready."""

from __future__ import annotations

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

VARS = opt("var", "--var", multiple=True, help="Variable value key=value (repeatable)")
DRY = opt("dry_run", "--dry-run", type=bool, help="Show what would happen, change nothing")


def _vars(o: Values) -> dict[str, str]:
    from bd.workflows.formula import parse_var_flags

    return parse_var_flags(o.var)


def _mol(ctx: Context, rid: str) -> str:
    from bd.workflows.molview import require

    return str(require(ctx.store, rid))


def _poured(ctx: Context, result: dict[str, Any], *, wisp: bool) -> None:
    for w in result.get("warnings", []):
        ctx.out.warn(w)
    if ctx.json:
        ctx.out.json(result)
        return
    root = result["new_epic_id"]
    if result.get("dry_run"):
        ctx.out.line(f"Dry run: would create {result['created']} issues "
                     f"({'vapor' if wisp else 'liquid'}):")
        for issue in result["issues"]:
            ctx.out.line(f"  {issue['id']}  {issue['title']} ({issue['issue_type']})")
        return
    if wisp:
        ctx.out.line(f"✓ Created wisp: {result['created']} issues")
        ctx.out.line(f"  Root: {root}")
        ctx.out.line("  Phase: vapor (ephemeral, kept in .beads/wisps.jsonl, never synced)")
        ctx.out.line(f"\nNext: close steps with 'bd close <step> --continue', then "
                     f"'bd mol squash {root}' to keep a digest or 'bd mol burn {root}'")
    else:
        ctx.out.line(f"✓ Poured mol: created {result['created']} issues")
        ctx.out.line(f"  Root: {root}")
        if result.get("attached"):
            ctx.out.line(f"  Attached: {result['attached']} protos")
        ctx.out.line("  Phase: liquid (persistent, synced with issues.jsonl)")


_POUR_OPTS = [VARS, opt("assignee", "--assignee", help="Assignee of the root issue"),
              opt("attach", "--attach", multiple=True,
                  help="Another proto or formula to bond onto the new root (repeatable)"),
              opt("attach_type", "--attach-type", default="sequential",
                  help="sequential, parallel or conditional (for --attach)"), DRY]


@command("mol pour", "Pour a proto or formula into a persistent molecule",
         args=[arg("proto")], opts=_POUR_OPTS)
def _pour(ctx: Context, o: Values) -> int:
    from bd.workflows import molecules

    result = molecules.pour(ctx.store, o.proto, given=_vars(o), assignee=o.assignee,
                            attach=o.attach, attach_type=o.attach_type, dry_run=o.dry_run)
    _poured(ctx, result, wisp=False)
    return 0


_WISP_ONLY = {"create": {"var", "assignee", "attach", "attach_type", "dry_run"},
              "list": {"all", "type"},
              "gc": {"age", "all", "closed", "force", "dry_run"}}


@command("mol wisp", "Ephemeral molecules: 'bd mol wisp [create] PROTO', "
         "'bd mol wisp list', 'bd mol wisp gc'",
         args=[arg("action", help="create, list, gc, or a proto/formula to wisp"),
               arg("proto", "?")],
         opts=[*_POUR_OPTS,
               opt("all", "--all", type=bool, help="list: closed wisps too; gc: old closed "
                   "wisps too"),
               opt("type", "-t", "--type", help="list: only this issue type"),
               opt("age", "--age", default="1h", help="gc: idle longer than this (default 1h)"),
               opt("closed", "--closed", type=bool, help="gc: delete every closed wisp"),
               opt("force", "--force", type=bool, help="gc --closed: really delete")])
def _wisp(ctx: Context, o: Values) -> int:
    from bd.workflows import molecules, wisps

    action = o.action if o.action in _WISP_ONLY else "create"
    proto = o.proto if o.action in _WISP_ONLY else o.action
    if o.action not in _WISP_ONLY and o.proto:
        raise UsageError(f"unexpected extra argument: {o.proto}")
    stray = sorted(k for k in o._given if k not in _WISP_ONLY[action])
    if stray:
        flags = ", ".join("--" + k.replace("_", "-") for k in stray)
        raise UsageError(f"'bd mol wisp {action}' does not take {flags}")
    if action == "create":
        if not proto:
            raise UsageError("missing argument PROTO (see 'bd mol wisp --help')")
        result = molecules.pour(ctx.store, proto, given=_vars(o), assignee=o.assignee,
                                attach=o.attach, attach_type=o.attach_type, ephemeral=True,
                                dry_run=o.dry_run)
        _poured(ctx, result, wisp=True)
        return 0
    if proto:
        raise UsageError(f"unexpected extra argument: {proto}")
    if action == "list":
        rows = wisps.list_wisps(ctx.store, all_=o.all, issue_type=o.type)
        if ctx.json:
            ctx.out.json(rows)
        elif not rows:
            ctx.out.line("No wisps")
        else:
            ctx.out.line(f"{'ID':<24} {'STATUS':<12} {'PRI':<4} {'TYPE':<10} {'TITLE':<40} UPDATED")
            for r in rows:
                old = " (old)" if r["old"] else ""
                ctx.out.line(f"{r['id']:<24} {r['status']:<12} P{r['priority']:<3} "
                             f"{r['issue_type']:<10} {r['title'][:40]:<40} "
                             f"{out.human_time(r['updated_at'])}{old}")
        return 0
    result = wisps.gc(ctx.store, age=o.age, all_=o.all, closed=o.closed, force=o.force,
                      dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(result)
    elif result["preview"]:
        ctx.out.line(f"Would delete {result['count']} wisps: {', '.join(result['ids']) or '-'}")
        if o.closed and not o.force and not o.dry_run:
            ctx.out.line("Run again with --force to delete them")
    else:
        ctx.out.line(f"✓ Deleted {result['count']} wisps")
    return 0


@command("mol bond", "Bond two protos or molecules (B depends on A)",
         args=[arg("a"), arg("b")], opts=[
             opt("type", "--type", default="sequential",
                 help="sequential, parallel or conditional"),
             opt("as_title", "--as", help="Title of a compound proto"),
             opt("ref", "--ref", help="Id of the spawned root under the molecule: "
                 "<mol>.<ref> (may use {{vars}})"),
             VARS, opt("pour", "--pour", type=bool, help="Spawn persistent (liquid)"),
             opt("ephemeral", "--ephemeral", type=bool, help="Spawn a wisp (vapor)"), DRY],
         aliases=("mol fart",))
def _bond(ctx: Context, o: Values) -> int:
    from bd.workflows import molecules

    result = molecules.bond(ctx.store, o.a, o.b, bond_type=o.type, title=o.as_title,
                            ref=o.ref, given=_vars(o), pour_flag=o.pour,
                            ephemeral_flag=o.ephemeral, dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(result)
        return 0
    head = "Dry run: would bond" if result.get("dry_run") else "✓ Bonded:"
    ctx.out.line(f"{head} {o.a} + {o.b} ({o.type})")
    ctx.out.line(f"  Result: {result['result_id'] or '(new compound proto)'} "
                 f"({result['result_type']})")
    if result["spawned"]:
        ctx.out.line(f"  Spawned: {result['spawned']} issues (root {result['spawned_root']})")
    return 0


@command("mol squash", "Squash a molecule's ephemeral steps into one digest issue",
         args=[arg("id")], opts=[
             opt("summary", "--summary", help="The digest's text (default: the steps listed)"),
             opt("keep_children", "--keep-children", type=bool, help="Do not delete the steps"),
             DRY])
def _squash(ctx: Context, o: Values) -> int:
    from bd.workflows import lifecycle

    result = lifecycle.squash(ctx.store, _mol(ctx, o.id), summary=o.summary,
                              keep_children=o.keep_children, dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(result)
    elif not result["squashed"]:
        ctx.out.line(f"No ephemeral children to squash under {result['molecule_id']}")
    elif result.get("dry_run"):
        ctx.out.line(f"Dry run: would squash {result['squashed']} children → 1 digest")
    else:
        ctx.out.line(f"✓ Squashed molecule: {result['squashed']} children → 1 digest")
        ctx.out.line(f"  Digest: {result['digest_id']}")
    return 0


@command("mol burn", "Delete molecules outright (no digest)", args=[arg("ids", "+")],
         opts=[opt("force", "-f", "--force", type=bool,
                   help="Delete persistent molecules (wisps need no --force)"), DRY])
def _burn(ctx: Context, o: Values) -> int:
    from bd.workflows import lifecycle

    result = lifecycle.burn(ctx.store, [_mol(ctx, i) for i in o.ids], force=o.force,
                            dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(result)
    elif result.get("preview"):
        ctx.out.line(f"Would delete {result['deleted_count']} issues: "
                     f"{', '.join(result['deleted'])}")
        if not o.dry_run:
            ctx.out.line("Persistent molecules are deleted with --force")
    else:
        ctx.out.line(f"✓ Burned {result['deleted_count']} issues")
    return 0


@command("mol distill", "Write a formula from an existing epic tree",
         args=[arg("id"), arg("name", "?")], opts=[
             opt("var", "--var", multiple=True,
                 help="var=value (or value=var): replace value by {{var}} (repeatable)"),
             opt("output", "--output", help="Directory (default .beads/formulas)"), DRY])
def _distill(ctx: Context, o: Values) -> int:
    from bd.workflows import lifecycle

    result = lifecycle.distill(ctx.store, _mol(ctx, o.id), o.name, pairs=_vars(o),
                               output=o.output, dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(result)
    elif o.dry_run:
        ctx.out.line(f"Dry run: would write {result['path']} ({result['steps']} steps)")
    else:
        ctx.out.line(f"✓ Distilled {result['formula']}: {result['path']}")
        ctx.out.line(f"  {result['steps']} steps; variables: "
                     f"{', '.join(result['variables']) or '-'}")
    return 0


_MARK = {"done": "[done]", "current": "[current]", "ready": "[ready]",
         "blocked": "[blocked]", "pending": "[pending]", "waiting": "[waiting]"}


@command("mol show", "Show a molecule's steps and their state", args=[arg("id")],
         opts=[opt("parallel", "--parallel", type=bool,
                   help="Also show what is ready now and which steps can run in parallel")])
def _show(ctx: Context, o: Values) -> int:
    from bd.workflows import molview

    data = molview.show(ctx.store, _mol(ctx, o.id), parallel=o.parallel)
    if ctx.json:
        ctx.out.json(data)
        return 0
    root, prog = data["root"], data["progress"]
    kind = " (wisp)" if root["ephemeral"] else ""
    ctx.out.line(f"{root['id']}: {root['title']} [{root['status']}]{kind}")
    if root.get("formula"):
        ctx.out.line(f"  Formula: {root['formula']}")
    ctx.out.line(f"  Progress: {prog['completed']}/{prog['total']} ({prog['percent']}%)")
    for s in data["steps"]:
        pad = "  " * s["depth"]
        gate = f" await {s['await_type']}" if s["issue_type"] == "gate" else ""
        ctx.out.line(f"{pad}{_MARK[s['state']]:<10} {s['id']}: {s['title']}{gate}")
    if o.parallel:
        ctx.out.line(f"\nReady now: {', '.join(data['ready_now']) or '-'}")
        for n, group in enumerate(data["parallel_groups"], 1):
            ctx.out.line(f"  Group {n}: {', '.join(group)}")
    return 0


@command("mol current", "Where an agent is in its molecule(s)", args=[arg("id", "?")], opts=[
    opt("agent", "--for", help="Whose molecules (default: the actor)"),
    opt("limit", "--limit", type=int, default=0, help="Show at most N steps"),
    opt("range", "--range", help="Show steps a-b (1-based)")])
def _current(ctx: Context, o: Values) -> int:
    from bd.workflows import molview

    mols = molview.current(ctx.store, _mol(ctx, o.id) if o.id else None, agent=o.agent,
                           limit=o.limit, span=o.range)
    if ctx.json:
        ctx.out.json(mols)
        return 0
    if not mols:
        ctx.out.line("No molecule in progress (give an id, or claim a step first)")
    for m in mols:
        ctx.out.line(f"{m['molecule_id']}: {m['molecule_title']} "
                     f"({m['completed']}/{m['total']})")
        if m["total"] > 100 and not (o.limit or o.range):
            states: dict[str, int] = {}
            for s in m["steps"]:
                states[s["state"]] = states.get(s["state"], 0) + 1
            ctx.out.line("  " + ", ".join(f"{k}: {v}" for k, v in sorted(states.items())))
            continue
        for s in m["steps"]:
            ctx.out.line(f"  {_MARK[s['state']]:<10} {s['id']}: {s['title']}")
    return 0


@command("mol progress", "Progress of a molecule: done/total, rate, ETA",
         args=[arg("id", "?")])
def _progress(ctx: Context, o: Values) -> int:
    from bd.workflows import molview

    if o.id:
        mid = _mol(ctx, o.id)
    else:
        mols = molview.current(ctx.store)
        if not mols:
            raise UsageError("no molecule in progress for this actor: give a molecule id")
        mid = mols[0]["molecule_id"]
    p = molview.progress(ctx.store, mid)
    if ctx.json:
        ctx.out.json(p)
        return 0
    ctx.out.line(f"{p['molecule_id']}: {p['molecule_title']} [{p['status']}]")
    ctx.out.line(f"  Completed: {p['completed']}/{p['total']} ({p['percent']}%)")
    if p["current_step"]:
        ctx.out.line(f"  Current step: {p['current_step']}")
    if p["next_step"]:
        ctx.out.line(f"  Next step: {p['next_step']}")
    if p["rate_per_hour"] is not None:
        ctx.out.line(f"  Rate: {p['rate_per_hour']} steps/hour; ETA: {p['eta_hours']} h")
    return 0


@command("mol stale", "Molecules whose steps are all closed but the root is open", opts=[
    opt("blocking", "--blocking", type=bool, help="Only those blocking other work"),
    opt("unassigned", "--unassigned", type=bool, help="Only unassigned ones"),
    opt("all", "--all", type=bool, help="Include molecules with no steps")])
def _stale(ctx: Context, o: Values) -> int:
    from bd.workflows import molview

    rows = molview.stale(ctx.store, blocking=o.blocking, unassigned=o.unassigned,
                         include_empty=o.all)
    if ctx.json:
        ctx.out.json(rows)
    elif not rows:
        ctx.out.line("No stale molecules")
    else:
        for r in rows:
            ctx.out.line(f"  {r['id']}: {r['title']} ({r['children']} steps closed; "
                         f"blocking {r['blocking']})  close with: bd close {r['id']}")
    return 0


@command("mol ready", "Molecules ready to resume after a gate (--gated)", opts=[
    opt("gated", "--gated", type=bool, help="Molecules whose gate closed and whose next "
        "step is ready, held by no one")])
def _mol_ready(ctx: Context, o: Values) -> int:
    from bd.workflows import molview

    if not o.gated:
        raise UsageError("'bd mol ready' needs --gated (for ready steps: bd ready --mol ID)")
    rows = molview.ready_gated(ctx.store)
    if ctx.json:
        ctx.out.json(rows)
    elif not rows:
        ctx.out.line("No molecules waiting to resume")
    else:
        for r in rows:
            ctx.out.line(f"  {r['molecule_id']}: {r['molecule_title']} → {r['ready_step']} "
                         f"(gate {r['gate_id']} closed)")
    return 0


def close_continue(ctx: Context, o: Values, ids: list[str]) -> int:
    """``bd close --continue`` (declared with close in cmd_issues)."""
    import os

    from bd.workflows import molview

    r = molview.close_continue(ctx.store, ids, o.reason, claim=not o.no_auto, force=o.force,
                               session=o.session or os.environ.get("CLAUDE_SESSION_ID"))
    if ctx.json:
        nxt = r["next_step"]
        ctx.out.json({"closed": [out.issue_json(c) for c in r["closed"]],
                      "molecule_id": r["molecule_id"],
                      "next_step": out.issue_json(nxt) if nxt else None,
                      "auto_advanced": r["auto_advanced"],
                      "molecule_complete": r["molecule_complete"]})
        return 0
    for rec in r["closed"]:
        ctx.out.line(f"✓ Closed {rec['id']}: {rec.get('close_reason') or o.reason}")
    if r["molecule_id"] is None:
        ctx.out.line("  (not part of a molecule: nothing to continue)")
    elif r["molecule_complete"]:
        ctx.out.line(f"✓ Molecule {r['molecule_id']} complete")
    elif r["next_step"] is None:
        ctx.out.line(f"  No step of {r['molecule_id']} is ready (waiting on a gate or "
                     "blocker)")
    elif r["auto_advanced"]:
        ctx.out.line(f"→ Next step (claimed): {r['next_step']['id']}: "
                     f"{r['next_step'].get('title', '')}")
    else:
        ctx.out.line(f"→ Next step: {r['next_step']['id']}: {r['next_step'].get('title', '')}")
    return 0


# -- template: v0.46's deprecated names for protos (removed in v0.58) ----------------------------

def _deprecated(ctx: Context, old: str, new: str) -> None:
    ctx.out.warn(f"'bd template {old}' is deprecated; use '{new}'")


@command("template list", "Deprecated: list protos (template-labelled issue trees)",
         hidden=True)
def _template_list(ctx: Context, o: Values) -> int:
    from bd.workflows import molecules

    _deprecated(ctx, "list", "bd formula list' or 'bd list --label template")
    rows = molecules.list_protos(ctx.store)
    if ctx.json:
        ctx.out.json(rows)
    elif not rows:
        ctx.out.line("No protos (make one with 'bd cook NAME --persist')")
    else:
        for r in rows:
            ctx.out.line(f"  {r['id']}: {r['title']} ({r['steps']} steps)")
    return 0


@command("template show", "Deprecated: show a proto (bd mol show)", args=[arg("id")],
         hidden=True)
def _template_show(ctx: Context, o: Values) -> int:
    _deprecated(ctx, "show", "bd mol show")
    return int(_show(ctx, Values({**o, "parallel": False})) or 0)


@command("template instantiate", "Deprecated: pour a proto (bd mol pour)",
         args=[arg("proto")], opts=[VARS, opt("assignee", "--assignee",
                                              help="Assignee of the root issue")],
         hidden=True)
def _template_instantiate(ctx: Context, o: Values) -> int:
    from bd.workflows import molecules

    _deprecated(ctx, "instantiate", "bd mol pour")
    result = molecules.pour(ctx.store, o.proto, given=_vars(o), assignee=o.assignee)
    _poured(ctx, result, wisp=False)
    return 0
