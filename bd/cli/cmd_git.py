"""merge (the git merge driver) and resolve-conflicts."""

from __future__ import annotations

import os
import sys

from bd.cli import Context
from bd.cli import output as out
from bd.cli.console import plural
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError, UsageError


@command("merge", "Three-way merge of issues.jsonl files (git merge driver: "
         "bd merge %A %O %A %B); with --into, merge duplicate issues into one", args=[
    arg("files", "+", help="OUTPUT BASE LEFT RIGHT (git's %A %O %A %B); with --into: the "
                           "issues to merge"),
], opts=[
    opt("debug", "--debug", type=bool, help="Print each merge decision on stderr"),
    opt("strict", "--strict", type=bool,
        help="Leave records both sides changed differently as conflict markers (exit 1)"),
    opt("into", "--into", metavar="TARGET",
        help="Merge the given issues into TARGET: their links, labels and comments move to "
             "it, they are closed as its duplicates"),
    opt("dry_run", "--dry-run", type=bool, help="With --into: show what would be merged"),
])
def _merge(ctx: Context, o: Values) -> int:
    """Exit 0 merged, 1 conflicts left with markers, 2 error (output untouched)."""
    if o.into is not None:
        return _merge_issues(ctx, o)
    if o.dry_run:
        raise UsageError("--dry-run applies to 'bd merge ISSUE... --into TARGET'")
    if len(o.files) != 4:
        raise UsageError("bd merge needs OUTPUT BASE LEFT RIGHT (the git merge driver), or "
                         "ISSUE... --into TARGET")
    from bd.git import driver

    o["output"], o["base"], o["left"], o["right"] = o.files
    try:
        settings = driver.load_settings()
        res = driver.merge_files(o.output, o.base, o.left, o.right, ttl=settings["ttl"],
                                strict=o.strict or settings["strict"])
    except BdError as exc:
        sys.stderr.write(f"bd merge: {exc}\n")
        return 2
    for note in res.notes if (o.debug or res.renamed) else ():
        if o.debug or "two different issues" in note:
            sys.stderr.write(f"bd merge: {note}\n")
    if res.renamed:
        driver.record_renames(res)  # bd sync reports them (git hides a driver's stderr there)
    if res.conflicts:
        sys.stderr.write(f"bd merge: {plural(len(res.conflicts), 'issue')} changed differently "
                         "on both "
                         f"sides were left with conflict markers ({', '.join(res.conflicts)}); "
                         "run 'bd resolve-conflicts' to apply the merge rules\n")
        return 1
    return 0


def _merge_issues(ctx: Context, o: Values) -> int:
    from bd.ops import dedupe

    if o.debug or o.strict:
        raise UsageError("--debug and --strict belong to the merge driver, not to --into")
    if ctx.flags.get("readonly") and not o.dry_run:
        raise BdError("operation 'merge' is not allowed in read-only mode")
    store = ctx.store
    target = store.resolve(o.into)
    sources = [store.resolve(x) for x in o.files]
    if o.dry_run:
        result = {"target": target, "merged": sources, "dry_run": True}
    else:
        result = dedupe.merge_into(store, sources, target)
    if ctx.json:
        ctx.out.json(result)
    elif o.dry_run:
        ctx.out.line(f"Would merge {', '.join(sources)} into {target}")
    else:
        moved = result["moved"]
        ctx.out.line(f"✓ Merged {', '.join(sources)} into {target}")
        ctx.out.line(f"  Moved {moved['dependencies']} dependencies, {moved['dependents']} "
                     f"dependents, {moved['labels']} labels, {moved['comments']} comments; "
                     "sources closed as duplicates")
    return 0


@command("resolve-conflicts", "Rebuild a conflicted issues.jsonl with the merge rules", opts=[
    opt("dry_run", "--dry-run", type=bool, help="Report without writing"),
    opt("path", "--file", help="JSONL file to resolve (default: the workspace's)"),
])
def _resolve(ctx: Context, o: Values) -> int:
    from bd.git import driver, resolve
    from bd.store import eventlog
    from bd.store.lock import WorkspaceLock
    from bd.store.workspace import JSONL_NAME, find_beads_dir

    if o.path:
        path, lock_dir = o.path, os.path.dirname(os.path.abspath(o.path))
    else:
        beads = find_beads_dir(db=ctx.flags.get("db"))
        path = os.environ.get("BEADS_JSONL") or os.path.join(beads, JSONL_NAME)
        lock_dir = beads
    settings = driver.load_settings()
    if o.path:
        with WorkspaceLock(os.path.join(lock_dir, ".bd.lock")):
            report = resolve.resolve_file(path, dry_run=o.dry_run, ttl=settings["ttl"])
    else:
        with ctx.store.lock:
            report = resolve.resolve_file(path, dry_run=o.dry_run, ttl=settings["ttl"],
                                          actor=ctx.store.actor)
            if not o.dry_run and any(r["yours"] for r in report["renumbered"]):
                eventlog.reload_cache(ctx.store)  # the log now files those events under new ids
    if ctx.json:
        ctx.out.json(report)
        return 0
    if not report["resolved"]:
        ctx.out.line(f"{path}: no conflict to resolve")
        return 0
    verb = "Would rebuild" if o.dry_run else "Rebuilt"
    ctx.out.line(f"{verb} {path} from {report['source']}: {report['issues']} issues")
    for line in out.outcome_lines(report):
        ctx.out.line(f"  {line}")
    for note in report["notes"]:
        ctx.out.line(f"  {note}")
    return 0


def _sync_check(ctx: Context) -> int:
    from bd.git.sync_check import integrity

    result = integrity(ctx.store)
    if ctx.json:
        ctx.out.json(result)
        return 1 if result["has_problems"] else 0
    ctx.out.line("Sync Integrity Check\n====================")
    pm, orphans, forced = (result["prefix_mismatch"], result["orphaned_children"],
                           result["forced_push"])
    ctx.out.line(("✗" if pm["count"] else "✓") + f" Prefix mismatch: {pm['count']}"
                 + (f" ({', '.join(pm['ids'][:10])})" if pm["count"] else ""))
    ctx.out.line(("✗" if orphans["count"] else "✓") + f" Orphaned children: "
                 f"{orphans['count']}" + (f" ({', '.join(orphans['ids'][:10])})"
                                          if orphans["count"] else ""))
    if forced["checked"]:
        ctx.out.line(("✗ Force-pushed upstream: " if forced["detected"] else
                      "✓ Upstream not force-pushed: ") + forced["upstream"])
    else:
        ctx.out.line(f"- Force push: not checked ({forced['reason']})")
    ctx.out.line("\nProblems found." if result["has_problems"] else "\nNo problems found.")
    return 1 if result["has_problems"] else 0


def _sync_from_main(ctx: Context, o: Values) -> int:
    from bd.git.sync_check import main_branch_jsonl
    from bd.ops import transfer

    if o.dry_run is False and ctx.flags.get("readonly"):
        raise BdError("operation 'sync --from-main' is not allowed in read-only mode")
    store = ctx.store
    data, ref = main_branch_jsonl(store)
    records = transfer.parse_input(data, f"{ref}:issues.jsonl")
    counts = transfer.import_records(store, records, dry_run=o.dry_run, force=True)
    if ctx.json:
        ctx.out.json({**counts, "from": ref, "dry_run": bool(o.dry_run)})
    else:
        verb = "Would bring" if o.dry_run else "Brought"
        ctx.out.line(f"{verb} {ref}'s issues into this branch: {counts['created']} created, "
                     f"{counts['updated']} updated, {counts['unchanged']} unchanged")
    return 0


@command("sync", "Commit issue changes, pull (merging with bd's driver), push", opts=[
    opt("message", "-m", "--message", help="Commit message (default: bd sync: <time>)"),
    opt("dry_run", "--dry-run", type=bool, help="Say what would happen; change nothing"),
    opt("no_pull", "--no-pull", type=bool, help="Do not pull"),
    opt("no_push", "--no-push", type=bool, help="Do not push"),
    opt("status", "--status", type=bool, help="Show the sync state and exit"),
    opt("merge", "--merge", type=bool,
        help="Sync-branch mode: merge the sync branch into the current branch"),
    opt("flush_only", "--flush-only", type=bool,
        help="Accepted for compatibility: bd writes issues.jsonl on every change"),
    opt("import_only", "--import-only", type=bool,
        help="Only bring the cache up to date with issues.jsonl"),
    opt("squash", "--squash", type=bool,
        help="Accumulate changes without committing (like --flush-only: bd writes "
             "issues.jsonl on every change; a later 'bd sync' commits them)"),
    opt("no_git_history", "--no-git-history", type=bool,
        help="Compatibility: bd never deletes issues because of git history, so this "
             "always holds"),
    opt("check", "--check", type=bool,
        help="Check what a sync would spread: foreign prefixes, children without a parent, "
             "a force-pushed upstream (exit 1 when any)"),
    opt("from_main", "--from-main", type=bool,
        help="One way: merge the main branch's issues into this branch (for a branch with "
             "no upstream); nothing is committed or pushed"),
])
def _sync(ctx: Context, o: Values) -> int:
    from bd.git import sync, syncbranch
    from bd.store import workspace
    from bd.store.workspace import main_beads_dir

    main = main_beads_dir(db=ctx.flags.get("db"))
    if o.check:
        return _sync_check(ctx)
    if o.from_main:
        return _sync_from_main(ctx, o)
    if o.flush_only or o.squash:
        ctx.store.cache()
        if ctx.json:
            ctx.out.json({"flushed": True, "note": "issues.jsonl is always up to date"})
        else:
            ctx.out.line("issues.jsonl is already up to date (bd writes it on every change)")
        return 0
    if o.import_only:
        ctx.store.cache()
        if ctx.json:
            ctx.out.json({"imported": True})
        else:
            ctx.out.line("Cache is up to date with issues.jsonl")
        return 0
    if o.status:
        state = sync.status(main)
        if ctx.json:
            ctx.out.json(state)
        else:
            for key, value in state.items():
                if isinstance(value, (list, tuple)):
                    value = ", ".join(map(str, value)) or "(none)"
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
                elif value is None:
                    value = "(none)"
                ctx.out.line(f"{key}: {value}")
        return 0
    if o.merge:
        branch = workspace.branch_from_config(main)
        if branch is None:
            raise BdError("bd sync --merge needs sync-branch mode (config sync.branch)")
        from bd.git import runner as git

        text = syncbranch.merge_into_current(git.toplevel(os.path.dirname(main)), branch,
                                             dry_run=o.dry_run)
        if ctx.json:
            ctx.out.json({"merged": not o.dry_run, "message": text})
        else:
            ctx.out.line(text)
        return 0
    report = sync.sync(main, message=o.message, do_pull=not o.no_pull, do_push=not o.no_push,
                       dry_run=o.dry_run, actor=ctx.store.actor)
    if not o.dry_run:
        ctx.store.cache()  # the pulled JSONL, validated and in the cache
    if ctx.json:
        ctx.out.json(report.to_dict())
        return 0
    where = f"{report.branch}" + (" (sync branch)" if report.mode == "sync-branch" else "")
    if o.dry_run:
        ctx.out.line(f"Dry run: {'would commit' if report.committed else 'no'} issue changes "
                     f"{'on' if report.committed else 'to commit on'} {where}")
    elif report.committed:
        ctx.out.line(f"✓ Committed issue changes on {where}: {report.committed}")
    else:
        ctx.out.line(f"No issue changes to commit on {where}")
    if report.pulled:
        ctx.out.line("Pulled" + (" remote changes" if report.merged_remote else
                                 " (already up to date)"))
    if report.pushed:
        ctx.out.line("Pushed")
    for line in out.outcome_lines(report.to_dict()):
        ctx.out.line(line)
    for note in report.notes:
        ctx.out.line(note)
    for skipped in report.skipped:
        ctx.out.line(f"Skipped {skipped}")
    return 0


@command("history", "An issue's changes across all clones (git history of issues.jsonl, "
         "plus this clone's uncommitted changes)", args=[arg("id")], opts=[
    opt("limit", "--limit", type=int, help="Show only the last N committed changes"),
])
def _history(ctx: Context, o: Values) -> int:
    from bd.git.history import issue_history

    rid = ctx.store.resolve(o.id)
    h = issue_history(ctx.store, rid, limit=o.limit)
    if ctx.json:
        ctx.out.json(h)
        return 0
    for line in out.history_lines(h):
        ctx.out.line(line)
    return 0
