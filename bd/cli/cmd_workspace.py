"""admin reset (take bd out of a repository) and worktree create/list/remove/info."""

from __future__ import annotations

import os

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError


@command("admin reset", "Remove bd from this repository: hooks, merge driver, .gitattributes "
         "line, sync worktree, cache (issues.jsonl kept unless --data); preview without --force",
         opts=[opt("force", "-f", "--force", type=bool, help="Really remove (default: preview)"),
               opt("data", "--data", type=bool,
                   help="Also delete .beads/ itself, issues.jsonl included (a committed copy "
                        "stays in git history)")])
def _admin_reset(ctx: Context, o: Values) -> int:
    from bd.git import reset
    from bd.store.workspace import find_beads_dir

    beads = find_beads_dir(os.getcwd(), ctx.flags.get("db"))
    if o.force:
        if ctx.flags.get("readonly"):
            raise BdError("operation 'admin reset' is not allowed in read-only mode")
        result = reset.reset(beads, data=o.data)
    else:
        result = reset.plan(beads)
    result = {**result, "preview": not o.force, "data": bool(o.data)}
    if ctx.json:
        ctx.out.json(result)
        return 0
    verb = "Removed" if o.force else "Would remove"
    ctx.out.line(f"{verb}:")
    for label, items in (("git hooks", result["hooks"]), ("git config", result["git_config"]),
                         (".gitattributes", result["gitattributes"] or []),
                         ("sync worktrees", result["worktrees"]),
                         ("cache files", [os.path.basename(p) for p in result["cache_files"]])):
        ctx.out.line(f"  {label}: {', '.join(items) if items else 'none'}")
    kept = [os.path.basename(p) for p in result["data_files"]]
    if o.data:
        ctx.out.line(f"  .beads/ with {', '.join(kept) or 'nothing else'}")
    else:
        ctx.out.line(f"Kept: {', '.join(kept) or 'nothing'} in {beads} (--data removes it)")
    if not o.force:
        ctx.out.line("Run again with --force to remove.")
    return 0


def _main_beads(ctx: Context) -> str:
    from bd.store.workspace import main_beads_dir

    return main_beads_dir(db=ctx.flags.get("db"))


@command("worktree create", "Create a git worktree that shares this repository's issues "
         "(.beads/redirect)", args=[arg("name", help="Directory name (under the main "
                                                     "checkout) or a path")],
         opts=[opt("branch", "--branch", help="Branch to check out (default: NAME; created "
                                              "when new)")])
def _worktree_create(ctx: Context, o: Values) -> int:
    from bd.git import worktrees

    if ctx.flags.get("readonly"):
        raise BdError("operation 'worktree create' is not allowed in read-only mode")
    result = worktrees.create(os.getcwd(), o.name, _main_beads(ctx), o.branch)
    if ctx.json:
        ctx.out.json(result)
    else:
        ctx.out.line(f"✓ Created worktree: {result['path']}")
        ctx.out.line(f"  Branch: {result['branch']}")
        ctx.out.line(f"  Beads: redirects to {result['redirect_to']}")
    return 0


@command("worktree list", "List the git worktrees and how each finds its issues")
def _worktree_list(ctx: Context, o: Values) -> int:
    from bd.git import worktrees

    rows = worktrees.list_worktrees(os.getcwd(), _main_beads(ctx))
    if ctx.json:
        ctx.out.json(rows)
        return 0
    ctx.out.line(f"{'NAME':<20} {'PATH':<40} {'BRANCH':<20} BEADS")
    for r in rows:
        beads = {"redirect": f"redirect → {r.get('redirect_to', '')}",
                 "shared": "shared (main)"}.get(r["beads_state"], r["beads_state"])
        ctx.out.line(f"{r['name']:<20} {r['path']:<40} {r['branch']:<20} {beads}")
    return 0


@command("worktree remove", "Remove a worktree (refused with uncommitted or unpushed work "
         "unless --force)", args=[arg("name")],
         opts=[opt("force", "--force", type=bool, help="Skip the safety checks")])
def _worktree_remove(ctx: Context, o: Values) -> int:
    from bd.git import worktrees

    if ctx.flags.get("readonly"):
        raise BdError("operation 'worktree remove' is not allowed in read-only mode")
    result = worktrees.remove(os.getcwd(), o.name, force=o.force)
    if ctx.json:
        ctx.out.json(result)
    else:
        ctx.out.line(f"✓ Removed worktree: {result['path']}")
    return 0


@command("worktree info", "Show the worktree of the current directory and where its issues "
         "live")
def _worktree_info(ctx: Context, o: Values) -> int:
    from bd.git import worktrees

    result = worktrees.info(os.getcwd())
    if ctx.json:
        ctx.out.json(result)
        return 0
    ctx.out.line(f"Worktree: {result['path']}")
    ctx.out.line(f"  Name: {result['name']}")
    ctx.out.line(f"  Branch: {result['branch']}")
    ctx.out.line(f"  Main repo: {result['main_repo']}")
    ctx.out.line("  Beads: " + (f"redirects to {result['beads_target']}"
                                if result["beads_redirected"] else "local (no redirect)"))
    return 0


@command("repo add", "Add another repository whose issues this one can read "
         "(config repos.additional)", args=[arg("path", help="The repository (or its .beads)")])
def _repo_add(ctx: Context, o: Values) -> int:
    from bd.store import multirepo

    result = multirepo.add(ctx.store, o.path)
    if ctx.json:
        ctx.out.json(result)
    else:
        ctx.out.line(f"✓ Added {o.path} ({result['beads_dir']})" if result["added"]
                     else f"{o.path} is already listed")
    return 0


@command("repo remove", "Stop reading another repository's issues", args=[arg("path")])
def _repo_remove(ctx: Context, o: Values) -> int:
    from bd.store import multirepo

    result = multirepo.remove(ctx.store, o.path)
    ctx.out.json(result) if ctx.json else ctx.out.line(f"✓ Removed {o.path}")
    return 0


@command("repo list", "List this workspace and the repositories it reads")
def _repo_list(ctx: Context, o: Values) -> int:
    from bd.store import multirepo

    store = ctx.store
    rows = multirepo.describe(store)
    if ctx.json:
        ctx.out.json({"primary": store.beads_dir, "additional": rows})
        return 0
    ctx.out.line(f"Primary: {store.beads_dir}")
    if not rows:
        ctx.out.line("No additional repositories (bd repo add PATH)")
    for r in rows:
        what = (f"error: {r['error']}" if r["error"] else
                f"{r['issue_count']} issues ({', '.join(r['prefixes']) or 'no prefix'})")
        ctx.out.line(f"  {r['path']}: {what}")
    return 0


@command("repo sync", "Read every additional repository again and report what changed")
def _repo_sync(ctx: Context, o: Values) -> int:
    from bd.store import multirepo

    result = multirepo.sync(ctx.store)
    if ctx.json:
        ctx.out.json(result)
        return 1 if result["failed"] else 0
    for r in result["repos"]:
        if r["error"]:
            ctx.out.line(f"✗ {r['path']}: {r['error']}")
        else:
            change = "changed" if r["changed"] else "unchanged"
            ctx.out.line(f"✓ {r['path']}: {r['issue_count']} issues ({change})")
    ctx.out.line(f"Synced {result['synced']} repositories"
                 + (f", {result['failed']} failed" if result["failed"] else ""))
    return 1 if result["failed"] else 0


def _seen(ctx: Context) -> tuple[str, str | None]:
    from bd.store.seen_version import last_seen

    beads = ctx.store.beads_dir
    return beads, last_seen(beads)


@command("upgrade status", "Has bd been upgraded since this clone last acknowledged a "
         "version? (bd upgrade ack)")
def _upgrade_status(ctx: Context, o: Values) -> int:
    from bd.cli import VERSION
    from bd.core.whatsnew import CHANGES
    from bd.store.seen_version import newer_than

    _beads, seen = _seen(ctx)
    upgraded = seen is not None and seen != VERSION
    if ctx.json:
        doc: dict[str, object] = {"upgraded": upgraded, "current_version": VERSION}
        if upgraded:
            doc["previous_version"] = seen
            doc["changes_available"] = bool(newer_than(seen, CHANGES))
        ctx.out.json(doc)
    elif upgraded:
        ctx.out.line(f"✨ bd upgraded from v{seen} to v{VERSION}")
        ctx.out.line("Run 'bd upgrade review' to see what changed")
    elif seen is None:
        ctx.out.line(f"bd version: v{VERSION} (no version acknowledged yet: bd upgrade ack)")
    else:
        ctx.out.line(f"bd version: v{VERSION} (no upgrade detected)")
    return 0


@command("upgrade review", "Show the release notes since the version last acknowledged")
def _upgrade_review(ctx: Context, o: Values) -> int:
    from bd.cli import VERSION
    from bd.core.whatsnew import CHANGES
    from bd.store.seen_version import newer_than

    _beads, seen = _seen(ctx)
    notes = newer_than(seen, CHANGES) if seen != VERSION else []
    if ctx.json:
        ctx.out.json({"current_version": VERSION, "previous_version": seen,
                      "new_versions": notes})
        return 0
    if seen == VERSION:
        ctx.out.line(f"You're already on v{VERSION} (no upgrade detected)")
        ctx.out.line("Run 'bd info --whats-new' to see recent changes")
        return 0
    ctx.out.line(f"\n🔄 Changes since v{seen}" if seen else "\n🔄 Release notes")
    ctx.out.line("=" * 60)
    for vc in notes:
        ctx.out.line(f"\n## v{vc['version']} ({vc['date']})\n")
        for change in vc["changes"]:  # type: ignore[attr-defined]
            ctx.out.line(f"  • {change}")
    ctx.out.line("\n💡 Run 'bd upgrade ack' to mark this version as seen")
    return 0


@command("upgrade ack", "Record the current bd version as seen in this clone")
def _upgrade_ack(ctx: Context, o: Values) -> int:
    from bd.cli import VERSION
    from bd.store.seen_version import acknowledge

    beads, _ = _seen(ctx)
    before = acknowledge(beads, VERSION)
    if ctx.json:
        ctx.out.json({"acknowledged": True, "current_version": VERSION,
                      "previous_version": before})
    elif before == VERSION:
        ctx.out.line(f"✓ Already on v{VERSION}")
    elif before is None:
        ctx.out.line(f"✓ Acknowledged bd v{VERSION}")
    else:
        ctx.out.line(f"✓ Acknowledged upgrade from v{before} to v{VERSION}")
    return 0
