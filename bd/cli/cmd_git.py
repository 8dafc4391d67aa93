"""merge (the git merge driver) and resolve-conflicts."""

from __future__ import annotations

import os
import sys

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError


@command("merge", "Three-way merge of issues.jsonl files (git merge driver: "
         "bd merge %A %O %A %B)", args=[
    arg("output", help="File to write (git's %A)"), arg("base", help="Common ancestor (%O)"),
    arg("left", help="Our version (%A)"), arg("right", help="Their version (%B)"),
], opts=[
    opt("debug", "--debug", type=bool, help="Print each merge decision on stderr"),
    opt("strict", "--strict", type=bool,
        help="Leave records both sides changed differently as conflict markers (exit 1)"),
])
def _merge(ctx: Context, o: Values) -> int:
    """Exit 0 merged, 1 conflicts left with markers, 2 error (output untouched)."""
    from bd import merge

    try:
        settings = merge.load_settings()
        res = merge.merge_files(o.output, o.base, o.left, o.right, ttl=settings["ttl"],
                                strict=o.strict or settings["strict"])
    except BdError as exc:
        sys.stderr.write(f"bd merge: {exc}\n")
        return 2
    for note in res.notes if (o.debug or res.renamed) else ():
        if o.debug or "two different issues" in note:
            sys.stderr.write(f"bd merge: {note}\n")
    if res.conflicts:
        sys.stderr.write(f"bd merge: {len(res.conflicts)} issue(s) changed differently on both "
                         f"sides were left with conflict markers ({', '.join(res.conflicts)}); "
                         "run 'bd resolve-conflicts' to apply the merge rules\n")
        return 1
    return 0


@command("resolve-conflicts", "Rebuild a conflicted issues.jsonl with the merge rules", opts=[
    opt("dry_run", "--dry-run", type=bool, help="Report without writing"),
    opt("path", "--file", help="JSONL file to resolve (default: the workspace's)"),
])
def _resolve(ctx: Context, o: Values) -> int:
    from bd import merge, resolve
    from bd.lock import WorkspaceLock
    from bd.workspace import JSONL_NAME, find_beads_dir

    if o.path:
        path, lock_dir = o.path, os.path.dirname(os.path.abspath(o.path))
    else:
        beads = find_beads_dir(db=ctx.flags.get("db"))
        path = os.environ.get("BEADS_JSONL") or os.path.join(beads, JSONL_NAME)
        lock_dir = beads
    settings = merge.load_settings()
    with WorkspaceLock(os.path.join(lock_dir, ".bd.lock")):
        report = resolve.resolve_file(path, dry_run=o.dry_run, ttl=settings["ttl"])
    if ctx.json:
        ctx.out.json(report)
        return 0
    if not report["resolved"]:
        ctx.out.line(f"{path}: no conflict to resolve")
        return 0
    verb = "Would rebuild" if o.dry_run else "Rebuilt"
    ctx.out.line(f"{verb} {path} from {report['source']}: {report['issues']} issues")
    for note in report["notes"]:
        ctx.out.line(f"  {note}")
    return 0
