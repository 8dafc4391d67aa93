"""Checks of the issues themselves: the JSONL read tolerantly, line by line.

Only duplicate ids are fixed by ``bd doctor --fix`` (each id's lines merged into one, by the
merge engine's rules, no other line touched); other repairs of data are an explicit act with
their own command (``bd resolve-conflicts``, ``bd repair-deps``), named in each message.
"""

from __future__ import annotations

from bd.core.words import plural
from bd.doctor.registry import Result, check, ok, skipped

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.doctor.context import DoctorContext

TTL_KEYS = ("tombstone.ttl_days", "tombstone.ttl-days")
DEFAULT_TTL_DAYS = 30
_SHOW = 5  # problems named in a message; the rest are counted (all are in details)


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_SHOW])
    return shown + (f" and {len(numbers) - _SHOW} more" if len(numbers) > _SHOW else "")


def unparsed(ctx: DoctorContext, name: str) -> Result | None:
    """A skip for a check that needs every record, when some lines could not be read: what
    they hold is unknown, so an 'orphan' may just point at an unreadable line."""
    s = ctx.scan
    lines = [n for n, _ in s.bad] + s.markers
    if s.error:
        return skipped(name, "the JSONL could not be read (see the jsonl check)")
    if lines:
        return skipped(name, f"{plural(len(lines), 'line')} could not be parsed "
                             f"({_lines(sorted(lines))});"
                             " fix them first (see the jsonl and conflict-markers checks)")
    return None


@check("jsonl", "JSONL readable")
def jsonl_valid(ctx: DoctorContext) -> Result:
    s = ctx.scan
    name = ctx.jsonl_path
    if s.error:
        return Result("jsonl", "error", f"{name}: {s.error}")
    if s.missing:
        return Result("jsonl", "warn", f"{name} does not exist yet (it is created by the "
                                       "first write)")
    if s.bad:
        details = [f"{name}:{n}: {why}" for n, why in s.bad]
        return Result("jsonl", "error",
                      f"{len(s.bad)} invalid line(s): {details[0]}"
                      + (f" (and {len(details) - 1} more)" if len(details) > 1 else "")
                      + "; fix or remove them by hand (git show HEAD:<path> has the last "
                        "committed version)", details=details)
    return ok("jsonl", f"{plural(len(s.records), 'issue')}, every line valid")


@check("conflict-markers", "No git conflict markers")
def conflict_markers(ctx: DoctorContext) -> Result:
    s = ctx.scan
    if not s.markers:
        return ok("conflict-markers", "none")
    return Result("conflict-markers", "error",
                  f"git conflict markers on line(s) {_lines(s.markers)} of {ctx.jsonl_path}; "
                  "run 'bd resolve-conflicts' (or git checkout --ours/--theirs the file)",
                  details=[f"{ctx.jsonl_path}:{n}" for n in s.markers])


def _fix_duplicates(ctx: DoctorContext) -> None:
    from bd.ops.maintenance import merge_duplicate_ids
    from bd.store.store import Store

    assert ctx.beads_dir is not None  # the runner checks before any check runs
    with Store(ctx.beads_dir) as store:
        merge_duplicate_ids(store)


@check("duplicate-ids", "Every id once", fix=_fix_duplicates)
def duplicate_ids(ctx: DoctorContext) -> Result:
    s = ctx.scan
    if not s.duplicates:
        return ok("duplicate-ids", "none")
    details = [f"{rid} on lines {a} and {b}" for rid, a, b in s.duplicates]
    return Result("duplicate-ids", "warn",
                  f"{len(details)} duplicate id(s): {'; '.join(details[:_SHOW])}; bd reads "
                  "each as one merged record but refuses to write until they are merged: "
                  "run 'bd doctor --fix'", details=details, fixable=not s.markers)


@check("orphan-deps", "Dependencies point at existing issues")
def orphan_deps(ctx: DoctorContext) -> Result:
    skip = unparsed(ctx, "orphan-deps")
    if skip is not None:
        return skip
    records = ctx.scan.by_id()
    orphans = []
    for rid, rec in records.items():
        if rec.get("status") == "tombstone":
            continue
        for dep in rec.get("dependencies") or []:
            if not isinstance(dep, dict):
                continue
            target = str(dep.get("depends_on_id") or "")
            if not target or target.startswith("external:"):
                continue
            other = records.get(target)
            if other is None or other.get("status") == "tombstone":
                orphans.append(f"{rid} -> {target} ({dep.get('type') or 'blocks'}, "
                               f"{'deleted' if other is not None else 'missing'})")
    if not orphans:
        return ok("orphan-deps", "none")
    return Result("orphan-deps", "warn",
                  f"{len(orphans)} dependency(ies) on missing or deleted issues: "
                  f"{'; '.join(orphans[:_SHOW])}; they block nothing; 'bd repair-deps --fix' "
                  "removes them", details=orphans)


@check("prefix", "Ids use the configured prefix")
def prefix(ctx: DoctorContext) -> Result:
    from bd.store import config as cfgmod

    configured = str(ctx.config.get("issue-prefix") or "").rstrip("-")
    if not configured:
        return skipped("prefix", "no issue-prefix in config.yaml")
    skip = unparsed(ctx, "prefix")
    if skip is not None:
        return skip
    allowed = [configured, *cfgmod.get_list(ctx.config, "allowed_prefixes")]
    foreign = [rid for rid, rec in ctx.scan.by_id().items()
               if rec.get("status") != "tombstone"
               and not any(rid.startswith(p.rstrip("-") + "-") for p in allowed)]
    if not foreign:
        return ok("prefix", f"every id starts with {configured}-")
    return Result("prefix", "warn",
                  f"{plural(len(foreign), 'issue')} with another prefix than {configured!r} "
                  f"(allowed_prefixes: {', '.join(allowed[1:]) or 'none'}): "
                  f"{', '.join(foreign[:_SHOW])}", details=foreign)


def ttl_days(config: dict[str, object]) -> int:
    for key in TTL_KEYS:
        value = config.get(key)
        if value is not None:
            try:
                return int(str(value))
            except ValueError:
                continue
    return DEFAULT_TTL_DAYS


@check("tombstones", "Tombstones within their TTL")
def tombstones(ctx: DoctorContext) -> Result:
    from datetime import UTC, datetime, timedelta

    from bd.core.timeutil import parse_ts

    days = ttl_days(ctx.config)
    cutoff = datetime.now(UTC) - timedelta(days=days)
    total = 0
    expired = []
    for rid, rec in ctx.scan.by_id().items():
        if rec.get("status") != "tombstone":
            continue
        total += 1
        when = parse_ts(rec["deleted_at"]) if isinstance(rec.get("deleted_at"), str) else None
        if when is not None and when < cutoff:
            expired.append(rid)
    if not expired:
        return ok("tombstones", f"{total} tombstone(s), none older than {days} days")
    return Result("tombstones", "warn",
                  f"{len(expired)} of {total} tombstone(s) are older than the {days}-day TTL "
                  "(tombstone.ttl_days): past it a deletion no longer wins over an edit from "
                  f"an old clone: {', '.join(expired[:_SHOW])}", details=expired)
