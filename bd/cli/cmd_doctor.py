"""doctor."""

from __future__ import annotations

import os
import sys

from bd.cli import VERSION, Context
from bd.cli.registry import Values, arg, command, opt
from bd.core.words import plural
from bd.errors import UsageError

_MARK = {"ok": "✓", "warn": "⚠", "error": "✗"}


@command("doctor", "Check the workspace and its git setup; --fix repairs the safe problems",
         args=[arg("path", "?", help="Directory to examine (default: here)")],
         opts=[
             opt("fix", "--fix", type=bool,
                 help="Repair what is safe to repair: merge driver, .gitattributes, hooks, "
                      ".beads/.gitignore, the cache (issues are never changed)"),
             opt("dry_run", "--dry-run", type=bool,
                 help="Say which problems --fix would repair, change nothing"),
             opt("check", "--check", multiple=True, metavar="NAME",
                 help="Run only these checks (e.g. pollution)"),
             opt("clean", "--clean", type=bool,
                 help="With --check pollution: delete the detected test issues"),
             opt("yes", "-y", "--yes", type=bool,
                 help="Do not ask before --clean deletes (needed without a terminal)"),
             opt("deep", "--deep", type=bool,
                 help="Also run the whole-graph checks: pollution, cycles, content "
                      "duplicates"),
             opt("perf", "--perf", type=bool,
                 help="Time the main operations (load, cache refresh, ready, list)"),
             opt("output", "-o", "--output", metavar="FILE",
                 help="Also write the diagnostics as JSON to FILE"),
         ])
def _doctor(ctx: Context, o: Values) -> int:
    from bd.core import model
    from bd.doctor import run_checks
    from bd.doctor.context import DoctorContext

    where = os.path.abspath(o.path or os.getcwd())
    if o.fix and o.dry_run:
        raise UsageError("--fix and --dry-run cannot be combined")
    only = model.split_list(o.check) or None
    if o.clean and only != ["pollution"]:
        raise UsageError("--clean works only with --check pollution")
    if o.perf:
        return _perf(ctx, where)
    dctx = DoctorContext(where, db=ctx.flags.get("db"))
    results = run_checks(dctx, fix=o.fix, only=only, deep=o.deep, dry_run=o.dry_run)
    cleaned = None
    if o.clean:
        cleaned = _clean(ctx, dctx, o.yes)
        if cleaned is not None:
            dctx.invalidate()
            results = run_checks(dctx, only=only)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "warn", "error")}
    doc: dict[str, object] = {"path": dctx.beads_dir, "ok": counts["error"] == 0,
           # the original's names for the same facts, for clients written against it
           "overall_ok": counts["error"] == 0, "cli_version": VERSION,
           "summary": {**counts, "warning": counts["warn"]},
           "checks": [r.as_dict() for r in results]}
    if cleaned is not None:
        doc["cleaned"] = cleaned
    if o.output:
        from bd.core.model import encode_json
        from bd.store.jsonl import atomic_write

        atomic_write(o.output, (encode_json(doc, indent=2) + "\n").encode())
    if ctx.json:
        ctx.out.json(doc)
        return 1 if counts["error"] else 0
    ctx.out.line(f"bd doctor: {dctx.beads_dir or where}")
    width = max((len(r.name) for r in results), default=0)
    for r in results:
        fixed = " [fixed]" if r.fixed else ""
        ctx.out.line(f"  {_MARK[r.status]} {r.name:<{width}}  {r.message}{fixed}")
    fixable = sum(1 for r in results if r.fixable and r.status != "ok")
    problems = counts["warn"] + counts["error"]
    if cleaned is not None:
        ctx.out.line(f"Deleted {plural(int(str(cleaned['deleted'])), 'test issue')} (backup: "
                     f"{cleaned.get('backup_path')})")
    if not problems:
        ctx.out.line("No problems found.")
    else:
        ctx.out.line(f"{plural(problems, 'problem')}: {plural(counts['error'], 'error')}, "
                     f"{plural(counts['warn'], 'warning')}"
                     + (f"; 'bd doctor --fix' repairs {fixable}" if fixable and not o.fix
                        else ""))
    if o.output:
        ctx.out.line(f"✓ Diagnostics exported to {o.output}")
    return 1 if counts["error"] else 0


def _clean(ctx: Context, dctx: object, yes: bool) -> dict[str, object] | None:
    from bd.ops.maintenance import clean_pollution, find_pollution
    from bd.store.store import Store

    if ctx.flags.get("readonly"):
        from bd.errors import BdError

        raise BdError("operation 'doctor --clean' is not allowed in read-only mode")
    store = Store(dctx.beads_dir, actor=ctx.flags.get("actor"))  # type: ignore[attr-defined]
    try:
        found = find_pollution(store)
        if not found:
            return {"deleted": 0, "backup_path": None}
        if not yes:
            if ctx.json or not sys.stdin.isatty():
                raise UsageError("--yes is needed to confirm when there is no terminal to "
                                 "ask on")
            sys.stdout.write(f"Delete {plural(len(found), 'test issue')}? [y/N] ")
            sys.stdout.flush()
            if sys.stdin.readline().strip().lower() not in ("y", "yes"):
                ctx.out.line("Canceled.")
                return None
        return clean_pollution(store, found)
    finally:
        store.close()


def _perf(ctx: Context, where: str) -> int:
    import time

    from bd.store.queries import ListFilter, ReadyFilter
    from bd.store.store import Store
    from bd.store.workspace import find_beads_dir

    store = Store(find_beads_dir(where, ctx.flags.get("db")), actor=ctx.flags.get("actor"))
    timings: list[dict[str, object]] = []

    def timed(name: str, fn: object) -> None:
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        timings.append({"operation": name,
                        "ms": round((time.perf_counter() - start) * 1000, 2)})
    try:
        timed("cache refresh", lambda: store.cache())
        timed("load all records", store.all_records)
        timed("ready", lambda: store.ready(ReadyFilter(limit=0)))
        timed("list --all", lambda: store.list(ListFilter(all=True, limit=0)))
        timed("stats", store.stats)
        count = store.count_live()
    finally:
        store.close()
    if ctx.json:
        ctx.out.json({"path": store.beads_dir, "issue_count": count, "timings": timings})
    else:
        ctx.out.line(f"bd doctor --perf: {store.beads_dir} ({count} issues)")
        for t in timings:
            ctx.out.line(f"  {t['operation']:<18} {t['ms']:>9} ms")
    return 0


@command("preflight", "Is this branch ready for a pull request? (issues file, pollution, "
         "merge driver, uncommitted issue changes)", opts=[
             opt("check", "--check", type=bool,
                 help="Run the checks (exit 1 when one fails); without it, print the list"),
             opt("fix", "--fix", type=bool,
                 help="With --check: first repair what 'bd doctor --fix' can")])
def _preflight(ctx: Context, o: Values) -> int:
    from bd.doctor import preflight

    if o.fix and not o.check:
        raise UsageError("--fix works with --check")
    if not o.check:
        items = preflight.checklist()
        if ctx.json:
            ctx.out.json({"checklist": items})
            return 0
        ctx.out.line("PR Readiness Checklist:\n")
        for item in items:
            ctx.out.line(f"[ ] {item['name']}: {item['command']}")
        ctx.out.line("\nRun 'bd preflight --check' to validate automatically.")
        return 0
    result = preflight.run(os.getcwd(), db=ctx.flags.get("db"), fix=o.fix)
    if ctx.json:
        ctx.out.json(result)
        return 0 if result["passed"] else 1
    for r in result["checks"]:
        mark = "–" if r["skipped"] else "⚠" if r["warning"] else "✓" if r["passed"] else "✗"
        ctx.out.line(f"{mark} {r['name']}" + (f": {r['output']}" if r["output"] else ""))
        if not r["passed"] and not r["skipped"]:
            ctx.out.line(f"    fix: {r['command']}")
    ctx.out.line(f"\n{result['summary']}")
    return 0 if result["passed"] else 1
