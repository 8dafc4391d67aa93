"""gate: list, show, resolve, check, add-waiter, discover, create."""

from __future__ import annotations

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_SYM = {"open": "○", "closed": "✓", "in_progress": "◐"}


def _line(g: dict[str, Any]) -> str:
    what = g["await_type"] + (f" {g['await_id']}" if g.get("await_id") else "")
    timeout = f" (timeout {g['timeout']})" if g.get("timeout") else ""
    return f"{_SYM.get(g['status'], '•')} {g['id']} - {what}{timeout}"


@command("gate list", "List open gates (--all: closed ones too)", opts=[
    opt("all", "-a", "--all", type=bool, help="Closed gates too"),
    opt("limit", "-n", "--limit", type=int, default=50, help="At most N gates (0: all)")])
def _list(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    rows = gates.list_gates(ctx.store, all_=o.all, limit=o.limit)
    if ctx.json:
        ctx.out.json(rows)
        return 0
    if not rows:
        ctx.out.line("No open gates" if not o.all else "No gates")
        return 0
    ctx.out.line(f"⏳ {'Gates' if o.all else 'Open Gates'} ({len(rows)}):\n")
    for g in rows:
        ctx.out.line(_line(g))
        if g.get("blocks"):
            ctx.out.line(f"  Blocks: {', '.join(g['blocks'])}")
    ctx.out.line("\nTo resolve a gate: bd gate resolve <gate-id>")
    return 0


@command("gate show", "Show a gate", args=[arg("id")])
def _show(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    g = gates.show(ctx.store, ctx.store.resolve(o.id))
    if ctx.json:
        ctx.out.json(g)
        return 0
    ctx.out.line(f"{_SYM.get(g['status'], '•')} {g['id']} - {g['title']}")
    ctx.out.line(f"  Status: {g['status']}")
    ctx.out.line(f"  Await Type: {g['await_type']}")
    if g.get("await_id"):
        ctx.out.line(f"  Await ID: {g['await_id']}")
    if g.get("timeout"):
        ctx.out.line(f"  Timeout: {g['timeout']}")
    if g.get("blocks"):
        ctx.out.line(f"  Blocks: {', '.join(g['blocks'])}")
    if g.get("waiters"):
        ctx.out.line("  Waiters:")
        for w in g["waiters"]:
            ctx.out.line(f"    - {w}")
    if g.get("description"):
        ctx.out.line(f"  Description: {g['description']}")
    return 0


@command("gate resolve", "Resolve (close) a gate", args=[arg("id")],
         opts=[opt("reason", "-r", "--reason", default="", help="Why it is resolved")])
def _resolve(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    g = gates.resolve(ctx.store, ctx.store.resolve(o.id), o.reason)
    if ctx.json:
        ctx.out.json(g)
    else:
        ctx.out.line(f"✓ Gate resolved: {g['id']}")
        if o.reason:
            ctx.out.line(f"  Reason: {o.reason}")
    return 0


@command("gate check", "Evaluate open gates and close the resolved ones", opts=[
    opt("type", "-t", "--type", help="Only gates of this type: gh, gh:run, gh:pr, timer, "
        "bead, all"),
    opt("dry_run", "--dry-run", type=bool, help="Report, close nothing"),
    opt("escalate", "-e", "--escalate", type=bool,
        help="Escalate failed or expired gates through 'gt escalate'"),
    opt("limit", "-l", "--limit", type=int, default=100, help="At most N gates")])
def _check(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    result = gates.check(ctx.store, kind=o.type, dry_run=o.dry_run, escalate=o.escalate,
                         limit=o.limit)
    if ctx.json:
        ctx.out.json(result)
        return 0
    if not result["gates"]:
        ctx.out.line("No open gates to check" + (f" of type '{o.type}'" if o.type else ""))
        return 0
    verbs = {"resolved": ("✓", "would resolve" if o.dry_run else "resolved"),
             "escalated": ("⚠", "would escalate" if o.dry_run else "ESCALATE"),
             "pending": ("○", "pending"), "error": ("✗", "error checking")}
    for g in result["gates"]:
        sym, verb = verbs[g["outcome"]]
        ctx.out.line(f"{sym} {g['id']}: {verb} - {g['reason']}")
    ctx.out.line(f"\nChecked {result['checked']} gates: {result['resolved']} resolved, "
                 f"{result['escalated']} escalated, {result['errors']} errors")
    return 0


@command("gate add-waiter", "Add an address to notify when the gate resolves",
         args=[arg("id"), arg("waiter")])
def _add_waiter(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    r = gates.add_waiter(ctx.store, ctx.store.resolve(o.id), o.waiter)
    if ctx.json:
        ctx.out.json(r)
    elif r["added"]:
        ctx.out.line(f"✓ Added waiter to gate {r['gate_id']}: {r['waiter']}")
    else:
        ctx.out.line(f"Waiter already registered on gate {r['gate_id']}")
    return 0


@command("gate discover", "Fill in the run id of gh:run gates from recent workflow runs",
         opts=[opt("branch", "-b", "--branch", help="Only runs of this branch"),
               opt("commit", "-c", "--commit", help="Only runs of this commit (prefix)"),
               opt("limit", "-l", "--limit", type=int, default=20, help="Runs to look at"),
               opt("max_age", "-a", "--max-age", default="30m",
                   help="Only runs created this recently (default 30m)"),
               opt("dry_run", "--dry-run", type=bool, help="Report, change nothing")])
def _discover(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    r = gates.discover(ctx.store, branch=o.branch, commit=o.commit, limit=o.limit,
                       max_age=o.max_age, dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(r)
        return 0
    if not r["checked"]:
        ctx.out.line("No gh:run gates awaiting discovery")
        return 0
    for m in r["gates"]:
        ctx.out.line(f"✓ {m['gate_id']}: run {m['run_id']} ({m['name']}, {m['branch']})")
    ctx.out.line(f"Matched {r['matched']} of {r['checked']} gates")
    return 0


@command("gate create", "Create a gate that blocks an issue", opts=[
    opt("blocks", "--blocks", help="The issue the gate blocks (required)"),
    opt("type", "-t", "--type", default="human", help="human, timer, gh:run, gh:pr, bead"),
    opt("timeout", "--timeout", default="", help="Duration, e.g. 30m, 2h, 1d"),
    opt("await_id", "--await-id", default="", help="Run id, PR number or issue id"),
    opt("reason", "--reason", default="", help="Why the gate is there")])
def _create(ctx: Context, o: Values) -> int:
    from bd.workflows import gates

    if not o.blocks:
        raise UsageError("--blocks ISSUE is required")
    g = gates.create(ctx.store, ctx.store.resolve(o.blocks), await_type=o.type,
                     timeout=o.timeout, await_id=o.await_id, reason=o.reason)
    if ctx.json:
        ctx.out.json(g)
    else:
        ctx.out.line(f"✓ Created gate {g['id']} ({g['await_type']}) blocking {o.blocks}")
    return 0
