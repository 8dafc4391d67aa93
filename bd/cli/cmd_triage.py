"""Triage commands: epic close-eligible, duplicate, supersede, duplicates, state, set-state,
lint, orphans."""

from __future__ import annotations

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Values, command, opt
from bd.errors import BdError


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
            ctx.out.json([out.epic_status_json(r) for r in rows])
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
