"""Wisps (ephemeral molecules) stay local: none in issues.jsonl, wisps.jsonl not in git.

The fix moves a wisp line found in issues.jsonl to wisps.jsonl (the record is unchanged)
and takes a tracked wisps.jsonl out of the index (the file stays).
"""

from __future__ import annotations

import os

from bd.doctor.registry import Result, check, ok, skipped

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.doctor.context import DoctorContext

WISPS = "wisps.jsonl"


def _leaked(ctx: DoctorContext) -> list[str]:
    return [rec["id"] for _, rec in ctx.scan.records if rec.get("ephemeral") is True]


def _tracked(ctx: DoctorContext) -> str | None:
    from bd.git import runner

    top = ctx.repo_top
    if not top or not ctx.beads_dir:
        return None
    rel = os.path.relpath(os.path.join(ctx.beads_dir, WISPS), top)
    return rel if runner.is_tracked(rel, top) else None


def _fix(ctx: DoctorContext) -> None:
    from bd.git import runner
    from bd.store.store import Store

    leaked = _leaked(ctx)
    if leaked and ctx.beads_dir:
        store = Store(ctx.beads_dir)
        try:
            with store.transaction() as tx:
                for rid in leaked:
                    rec = tx.get(rid)
                    if rec is not None:
                        tx.put(rec, affects_ready=False)  # an ephemeral record goes to wisps
        finally:
            store.close()
    rel = _tracked(ctx)
    if rel and ctx.repo_top:
        runner.run(["rm", "--cached", "--quiet", "--", rel], ctx.repo_top)
    ctx.invalidate()


@check("wisps", "Wisps stay out of issues.jsonl and git", fix=_fix)
def wisps(ctx: DoctorContext) -> Result:
    if ctx.scan.error or ctx.scan.missing:
        return skipped("wisps", "issues.jsonl is not readable")
    leaked = _leaked(ctx)
    rel = _tracked(ctx)
    problems = []
    if leaked:
        shown = ", ".join(leaked[:5]) + (f" and {len(leaked) - 5} more" if len(leaked) > 5
                                         else "")
        problems.append(f"{len(leaked)} ephemeral issue(s) in {ctx.jsonl_path} (they would be "
                        f"synced): {shown}")
    if rel:
        problems.append(f"{rel} is tracked by git (wisps must stay local)")
    if problems:
        return Result("wisps", "error", "; ".join(problems) + "; 'bd doctor --fix' moves them",
                      fixable=True, details=leaked)
    return ok("wisps", "no wisp in issues.jsonl; wisps.jsonl is local")
