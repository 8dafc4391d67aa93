"""repair-deps, detect-pollution, validate and migrate: data-integrity maintenance.

The work is in ``bd.ops.maintenance``; these commands parse, make the library calls and render.
A fix that writes is refused under ``--readonly`` (inspection is not), and a prompt is never
shown without a terminal: non-interactive callers confirm with a flag instead.
"""

from __future__ import annotations

import sys

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError, UsageError
from bd.ops import maintenance


def _refuse_readonly(ctx: Context, what: str) -> None:
    if ctx.flags.get("readonly"):
        raise BdError(f"operation '{what}' is not allowed in read-only mode")


def _confirm(ctx: Context, question: str, flag: str) -> bool:
    """Ask on a terminal; without one (agents, --json) the confirming flag is required."""
    if ctx.json or not sys.stdin.isatty():
        raise UsageError(f"{flag} is needed to confirm when there is no terminal to ask on")
    sys.stdout.write(f"{question} [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


@command("repair-deps", "Find and remove dependencies on missing or deleted issues", opts=[
    opt("fix", "--fix", type=bool, help="Remove the orphaned dependencies"),
    opt("interactive", "-i", "--interactive", type=bool,
        help="Ask about each orphaned dependency (needs a terminal)"),
])
def _repair_deps(ctx: Context, o: Values) -> int:
    store = ctx.store
    orphans = maintenance.find_orphans(store)
    fixed = None
    if o.fix or o.interactive:
        _refuse_readonly(ctx, "repair-deps --fix")
        chosen = orphans
        if o.interactive and orphans:
            chosen = [x for x in orphans if _confirm(
                ctx, f"Remove dependency {x['issue_id']} → {x['depends_on_id']} ({x['type']})?",
                "--fix")]
        fixed = maintenance.remove_orphans(store, chosen) if chosen else 0
    if ctx.json:
        ctx.out.json(out.repair_json(orphans, fixed))
    else:
        for line in out.repair_lines(orphans, fixed):
            ctx.out.line(line)
    return 0


@command("detect-pollution", "Find issues that look like leaked test data (and delete them)",
         opts=[opt("clean", "--clean", type=bool,
                   help="Delete the detected issues (backed up to "
                        f".beads/{maintenance.BACKUP_NAME} first)"),
               opt("yes", "-y", "--yes", type=bool, help="Do not ask before --clean deletes")])
def _detect_pollution(ctx: Context, o: Values) -> int:
    store = ctx.store
    if o.clean:
        _refuse_readonly(ctx, "detect-pollution --clean")
    found = maintenance.find_pollution(store)
    if not ctx.json:
        for line in out.pollution_lines(found):
            ctx.out.line(line)
    cleaned = None
    if o.clean:
        if found and not o.yes and not _confirm(ctx, f"Delete {len(found)} test issues?",
                                                "--yes"):
            ctx.out.line("Canceled.")
            return 0
        cleaned = maintenance.clean_pollution(store, found)
    if ctx.json:
        ctx.out.json(out.pollution_json(found, cleaned))
    elif cleaned is None:
        if found:
            ctx.out.line("Run 'bd detect-pollution --clean' to delete these issues.")
    elif cleaned["deleted"]:
        ctx.out.line(f"Backed up {cleaned['deleted']} issues to {cleaned['backup_path']}")
        ctx.out.line(f"✓ Deleted {cleaned['deleted']} test issues")
    return 0


@command("validate", "Check data integrity: orphaned dependencies, duplicates, test "
         "pollution, conflict markers, cycles", opts=[
             opt("checks", "--checks", help="Comma list of checks: "
                 + ", ".join(maintenance.CHECKS) + " (default: all)"),
             opt("fix_all", "--fix-all", type=bool,
                 help="Apply the safe fixes (removes orphaned dependencies)"),
             opt("yes", "-y", "--yes", type=bool,
                 help="Compatibility: validate never asks, so there is nothing to confirm"),
         ])
def _validate(ctx: Context, o: Values) -> int:
    checks = maintenance.parse_checks(o.checks)
    if o.fix_all:
        _refuse_readonly(ctx, "validate --fix-all")
    result = maintenance.validate(ctx.store, checks, fix=o.fix_all)
    if ctx.json:
        # The report is the answer: an unhealthy workspace is "healthy": false, exit 0, so
        # JSON clients (beads-mcp) get the findings instead of a failed command.
        ctx.out.json(out.validation_json(result))
        return 0
    for line in out.validation_lines(result):
        ctx.out.line(line)
    return 0 if result["healthy"] else 1


def _cleanup(ctx: Context, o: Values) -> int:
    from bd.ops import legacy

    found = legacy.leftovers(ctx.store)
    removed: list[str] = []
    if found and not o.dry_run:
        _refuse_readonly(ctx, "migrate --cleanup")
        if o.yes or _confirm(ctx, f"Remove {len(found)} leftover file(s)?", "--yes"):
            removed = legacy.remove(found)
    if ctx.json:
        ctx.out.json({"found": found, "removed": removed, "dry_run": bool(o.dry_run)})
        return 0
    if not found:
        ctx.out.line("✓ No leftover files in .beads/")
    for path in found:
        ctx.out.line(("✓ Removed " if path in removed else "  Would remove " if o.dry_run
                      else "  Kept ") + path)
    return 0


@command("migrate", "Bring the cache up to date; --inspect shows the plan without changes",
         opts=[opt("inspect", "--inspect", type=bool,
                   help="Show the workspace state and pending migrations (changes nothing)"),
               opt("dry_run", "--dry-run", type=bool, help="Show what would be done"),
               opt("cleanup", "--cleanup", type=bool,
                   help="Remove files older bds left in .beads/ (old databases, daemon files, "
                        "merge snapshots); asks first, --yes without a terminal"),
               opt("yes", "-y", "--yes", type=bool,
                   help="Do not ask before --cleanup removes files")])
def _migrate(ctx: Context, o: Values) -> int:
    store = ctx.store
    if o.cleanup:
        return _cleanup(ctx, o)
    if o.inspect:
        plan = maintenance.inspect_migration(store)
        if ctx.json:
            ctx.out.json(out.migration_json(plan))
        else:
            for line in out.migration_lines(plan):
                ctx.out.line(line)
        return 0
    result = maintenance.migrate(store, dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(out.migrate_json(result))
    elif result["status"] == "dry_run":
        ctx.out.line("Dry run: " + ("; ".join(result["pending"]) or "nothing to migrate"))
    elif result["status"] == "current":
        ctx.out.line(f"✓ Cache is current (format {result['cache_version']})")
    else:
        ctx.out.line(f"✓ Migrated the cache to format {result['cache_version']}")
    return 0


@command("repair", "Remove references to issues that do not exist (dependencies whose "
         "target is missing or deleted); the cache itself is rebuilt by any command",
         opts=[opt("dry_run", "--dry-run", type=bool, help="Show what would be removed"),
               opt("path", "--path", metavar="DIR",
                   help="The repository to repair (default: here)")])
def _repair(ctx: Context, o: Values) -> int:
    from bd.store.store import Store
    from bd.store.workspace import find_beads_dir

    store = Store(find_beads_dir(o.path), actor=ctx.flags.get("actor")) if o.path \
        else ctx.store
    try:
        orphans = maintenance.find_orphans(store)
        fixed = 0
        if orphans and not o.dry_run:
            _refuse_readonly(ctx, "repair")
            fixed = maintenance.remove_orphans(store, orphans)
        if ctx.json:
            ctx.out.json({"database_path": store.db_path, "dry_run": bool(o.dry_run),
                          "orphan_counts": {"dependencies_depends_on": len(orphans),
                                            "total": len(orphans)},
                          "orphans": orphans, "fixed": fixed})
            return 0
        ctx.out.line(f"Repairing: {store.beads_dir}")
        if not orphans:
            ctx.out.line("✓ No orphaned references found - the issues are clean")
            return 0
        ctx.out.line(f"Found {len(orphans)} orphaned reference(s):")
        for x in orphans:
            ctx.out.line(f"  - {x['issue_id']} → {x['depends_on_id']} ({x['type']})")
        ctx.out.line(f"[DRY-RUN] Would remove {len(orphans)}" if o.dry_run
                     else f"✓ Removed {fixed}. Run 'bd doctor' to verify.")
        return 0
    finally:
        if o.path:
            store.close()


@command("migrate sync", "Move this workspace's issues to a sync branch (sync-branch mode, "
         "for protected branches)", args=[arg("branch", help="The sync branch, e.g. beads-sync")],
         opts=[opt("dry_run", "--dry-run", type=bool, help="Say what would happen"),
               opt("force", "--force", type=bool,
                   help="Run even when this sync branch is already configured")])
def _migrate_sync(ctx: Context, o: Values) -> int:
    import os

    from bd.git.initmodes import InitOptions, init
    from bd.git.syncbranch import validate_branch
    from bd.store.workspace import branch_from_config, main_beads_dir

    validate_branch(o.branch)
    main = main_beads_dir(db=ctx.flags.get("db"))
    current = branch_from_config(main)
    count = ctx.store.count_live()
    if current == o.branch and not o.force:
        result = {"status": "current", "sync_branch": current, "issue_count": count}
    elif o.dry_run:
        result = {"status": "dry_run", "sync_branch": o.branch, "previous": current,
                  "issue_count": count}
    else:
        _refuse_readonly(ctx, "migrate sync")
        done = init(os.path.dirname(main), InitOptions(branch=o.branch, force=True,
                                                       actor=ctx.flags.get("actor")))
        result = {"status": "migrated", "sync_branch": o.branch, "previous": current,
                  "issue_count": done["issue_count"], "path": done["path"],
                  "actions": done["actions"]}
    if ctx.json:
        ctx.out.json(result)
    elif result["status"] == "current":
        ctx.out.line(f"✓ Already in sync-branch mode on {current}")
    elif result["status"] == "dry_run":
        ctx.out.line(f"Would move {count} issue(s) to sync branch {o.branch}")
    else:
        ctx.out.line(f"✓ Moved {result['issue_count']} issue(s) to sync branch {o.branch}")
        for action in result["actions"]:
            ctx.out.line(f"  {action}")
    return 0
