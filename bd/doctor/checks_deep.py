"""Checks that run only on demand (``bd doctor --check NAME``) or with ``--deep``: test
pollution (the original's ``--check pollution``), dependency cycles and content duplicates
over the whole graph."""

from __future__ import annotations

from bd.core.words import plural
from bd.doctor.registry import Result, check, ok

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.doctor.context import DoctorContext


def _records(ctx: DoctorContext) -> list:  # type: ignore[type-arg]
    return [rec for _, rec in ctx.scan.records]


@check("pollution", "No leaked test issues", on_demand=True)
def pollution(ctx: DoctorContext) -> Result:
    from bd.ops.maintenance import detect_pollution

    found = detect_pollution(_records(ctx))
    if not found:
        return ok("pollution", "no test-like issues")
    details = [f"{p['id']}: {p['title']} (score {p['score']})" for p in found]
    return Result("pollution", "warn",
                  f"{plural(len(found), 'issue')} "
                  f"{'looks' if len(found) == 1 else 'look'} like leaked test data: "
                  + ", ".join(p["id"] for p in found[:5])
                  + ("…" if len(found) > 5 else "")
                  + "; 'bd doctor --check pollution --clean' deletes them", details=details)


@check("cycles", "No dependency cycles", on_demand=True)
def cycles(ctx: DoctorContext) -> Result:
    from bd.core.graph import Graph
    from bd.doctor.checks_data import unparsed

    skip = unparsed(ctx, "cycles")
    if skip is not None:
        return skip
    found = Graph.build(_records(ctx)).cycles()
    if not found:
        return ok("cycles", "none")
    details = [" → ".join(c) for c in found]
    return Result("cycles", "error", f"{len(found)} dependency cycle(s): {details[0]}; break "
                  "each with 'bd dep remove'", details=details)


@check("content-duplicates", "No open issues with identical content", on_demand=True)
def content_duplicates(ctx: DoctorContext) -> Result:
    from bd.ops.maintenance import duplicate_groups

    groups = duplicate_groups(_records(ctx))
    if not groups:
        return ok("content-duplicates", "none")
    details = [", ".join(g) for g in groups]
    return Result("content-duplicates", "warn",
                  f"{len(groups)} group(s) of identical open issues: {details[0]}; "
                  "'bd duplicates' lists them, 'bd duplicates --auto-merge' merges them",
                  details=details)
