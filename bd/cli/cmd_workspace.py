"""admin reset: take bd out of a repository."""

from __future__ import annotations

import os

from bd.cli import Context
from bd.cli.registry import Values, command, opt
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
