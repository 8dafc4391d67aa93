"""Helpers of create and show kept out of cmd_issues.py: routing a new issue to another
workspace (--repo, --prefix), the required-sections check (--validate), and showing an issue
of a repository read through 'bd repo'."""

from __future__ import annotations

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Values
from bd.core import model
from bd.errors import UsageError


def _route(ctx: Context, o: Values) -> None:
    """--repo / --prefix: the new issue goes to another workspace."""
    if not (o.repo or o.prefix):
        return
    if o.repo and o.prefix:
        raise UsageError("--repo and --prefix cannot be combined")
    from bd.store import routing
    from bd.store.store import Store

    if o.repo:
        target = routing.target_for_repo(o.repo)
    else:
        target = routing.target_for_prefix(ctx.store.beads_dir, o.prefix)
    if ctx._store is not None:
        ctx._store.close()
    ctx._store = Store(target, actor=ctx.flags.get("actor"))
    ctx._store.actor_fallback = ctx._git_user


def _foreign(ctx: Context, o: Values) -> int | None:
    """``show`` of ids that are not here but in a repository of ``bd repo`` (read-only);
    None when every id is local (or one is found nowhere: the usual error follows)."""
    from bd.errors import NotFoundError
    from bd.store import multirepo

    store = ctx.store
    rows = []
    for raw in o.ids:
        try:
            store.resolve(raw)
            return None
        except NotFoundError:
            hit = multirepo.find(store, raw)
            if hit is None:
                return None
            rows.append(hit)
    if ctx.json:
        ctx.out.json([{**out.issue_json(rec), "source_repo": path} for rec, path in rows])
        return 0
    for n, (rec, path) in enumerate(rows):
        if n:
            ctx.out.line("─" * 60)
        if o.short:
            ctx.out.line(out.short(rec))
            continue
        for line in out.details(rec):
            ctx.out.line(line)
        ctx.out.line(f"(read-only: from {path}, a repository of 'bd repo list')")
    return 0


def _check_template(ctx: Context, o: Values, description: str) -> None:
    """--validate (or config validation.on-create): the required sections of the type."""
    from bd.core.templates import describe_missing, missing_sections
    from bd.errors import ValidationError

    mode = "error" if o.validate else str(
        ctx.store.config.get("validation.on-create") or "none")
    if mode not in ("warn", "error"):
        return
    itype = model.normalise_type(o.type)
    missing = missing_sections({"issue_type": itype, "description": description,
                                "acceptance_criteria": o.acceptance})
    if not missing:
        return
    if mode == "error":
        raise ValidationError(describe_missing(itype, missing), field="description")
    ctx.out.warn(describe_missing(itype, missing))
