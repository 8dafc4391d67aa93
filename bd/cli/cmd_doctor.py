"""doctor."""

from __future__ import annotations

import os

from bd.cli import Context
from bd.cli.registry import Values, command, opt

_MARK = {"ok": "✓", "warn": "⚠", "error": "✗"}


@command("doctor", "Check the workspace and its git setup; --fix repairs the safe problems",
         opts=[
             opt("fix", "--fix", type=bool,
                 help="Repair what is safe to repair: merge driver, .gitattributes, hooks, "
                      ".beads/.gitignore, the cache (issues are never changed)"),
             opt("check", "--check", multiple=True, metavar="NAME",
                 help="Run only these checks"),
             opt("yes", "-y", "--yes", type=bool, hidden=True),  # fixes never ask
         ])
def _doctor(ctx: Context, o: Values) -> int:
    from bd.core import model
    from bd.doctor import run_checks
    from bd.doctor.context import DoctorContext

    dctx = DoctorContext(os.getcwd(), db=ctx.flags.get("db"))
    results = run_checks(dctx, fix=o.fix, only=model.split_list(o.check) or None)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "warn", "error")}
    if ctx.json:
        ctx.out.json({"path": dctx.beads_dir, "ok": counts["error"] == 0,
                      "summary": counts, "checks": [r.as_dict() for r in results]})
        return 1 if counts["error"] else 0
    ctx.out.line(f"bd doctor: {dctx.beads_dir or os.getcwd()}")
    width = max((len(r.name) for r in results), default=0)
    for r in results:
        fixed = " [fixed]" if r.fixed else ""
        ctx.out.line(f"  {_MARK[r.status]} {r.name:<{width}}  {r.message}{fixed}")
    fixable = sum(1 for r in results if r.fixable and r.status != "ok")
    problems = counts["warn"] + counts["error"]
    if not problems:
        ctx.out.line("No problems found.")
    else:
        ctx.out.line(f"{problems} problem(s): {counts['error']} error(s), {counts['warn']} "
                     "warning(s)" + (f"; 'bd doctor --fix' repairs {fixable}"
                                     if fixable and not o.fix else ""))
    return 1 if counts["error"] else 0
