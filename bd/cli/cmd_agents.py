"""prime, onboard, quickstart, setup and mcp: what bd gives coding agents."""

from __future__ import annotations

import os
import sys

from bd.agents import prime as agents
from bd.cli import MODULES, Context
from bd.cli import output as out
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError, NotInitializedError, UsageError


@command("prime", "Print the workflow primer for an agent's context (session start, "
         "after compaction)",
         opts=[opt("export", "--export", type=bool,
                   help="Print the built-in primer even when .beads/PRIME.md overrides it"),
               opt("full", "--full", type=bool,
                   help="The full CLI primer (the default; overrides --mcp)"),
               opt("mcp", "--mcp", type=bool,
                   help="The short primer for agents that use the beads MCP tools"),
               opt("stealth", "--stealth", type=bool,
                   help="Tell the agent to keep .beads/ out of git (no commit, push or "
                        "sync)")])
def _prime(ctx: Context, o: Values) -> int:
    try:
        store = ctx.store
    except NotInitializedError:
        # Hooks run in every project: outside a bd workspace there is nothing to say.
        if ctx.json:
            ctx.out.json({"source": None, "tokens": 0, "text": ""})
        return 0
    p = agents.prime(store, has_sync="sync" in MODULES, builtin=o.export,
                     mcp=o.mcp and not o.full, stealth=o.stealth)
    if ctx.json:
        st = p["state"]
        ctx.out.json({"source": p["source"], "tokens": p["tokens"], "text": p["text"],
                      "counts": st["counts"],
                      "in_progress": [out.issue_json(r) for r in st["in_progress"]],
                      "ready": [out.issue_json(r) for r in st["ready"]]})
    else:
        sys.stdout.write(p["text"])
    return 0


@command("onboard", "Print the bd snippet for AGENTS.md or CLAUDE.md")
def _onboard(ctx: Context, o: Values) -> int:
    if ctx.json:
        ctx.out.json({"snippet": agents.ONBOARD})
        return 0
    if not ctx.quiet:
        ctx.out.note("# Add this to AGENTS.md or CLAUDE.md (or let 'bd setup codex|claude|...' "
                     "manage it):")
    sys.stdout.write(agents.ONBOARD)
    return 0


@command("quickstart", "A short tutorial: bd's commands in the order you need them")
def _quickstart(ctx: Context, o: Values) -> int:
    if ctx.json:
        ctx.out.json({"text": agents.QUICKSTART})
    else:
        sys.stdout.write(agents.QUICKSTART)
    return 0


@command("setup", "Set bd up in an AI tool: claude, cursor, windsurf, ... (--list)",
         args=[arg("recipe", "?", help="The tool (omit to list them)")], opts=[
    opt("check", "--check", type=bool,
        help="Exit 0 if installed and current, 1 otherwise (with a message)"),
    opt("remove", "--remove", type=bool, help="Remove exactly what setup added"),
    opt("user", "--global", "--user", type=bool,
        help="User scope (~/.claude, ~/.codex, ~/.gemini) instead of the project"),
    opt("project", "--project", type=bool,
        help="Project scope for claude (.claude/settings.json; claude's default is the user's "
             "~/.claude/settings.json, as in the original)"),
    opt("print_", "--print", type=bool, help="Print what would be written, write nothing"),
    opt("output", "-o", "--output", metavar="FILE",
        help="Write the recipe's section to FILE instead of its usual file"),
    opt("add", "--add", metavar="NAME",
        help="Add a custom recipe NAME whose section goes into the file given as RECIPE "
             "(bd setup --add NAME FILE; kept in .beads/recipes.toml)"),
    opt("list", "--list", type=bool, help="List the recipes"),
])
def _setup(ctx: Context, o: Values) -> int:
    from bd.agents import setup_recipes as sr

    root = sr.project_root()
    if o.add:
        if not o.recipe:
            raise UsageError("--add needs the file: bd setup --add NAME FILE")
        result = sr.add_custom(root, o.add, o.recipe)
        if ctx.json:
            ctx.out.json(result)
        else:
            ctx.out.line(f"✓ Added recipe '{o.add}' ({o.recipe}); install it with "
                         f"'bd setup {o.add}'")
        return 0
    if o.list or not o.recipe:
        rows = [{"recipe": r.name, "tool": r.title, "writes": r.summary,
                 "user_scope": r.user_scope, "custom": r.custom}
                for r in sr.all_recipes(root).values()]
        if ctx.json:
            ctx.out.json(rows)
        else:
            ctx.out.line("Recipes (bd setup RECIPE [--check|--remove|--print] [--global]):")
            for row in rows:
                mark = " (custom)" if row["custom"] else ""
                ctx.out.line(f"  {row['recipe']:<9} {row['tool']}{mark}: {row['writes']}")
        return 0
    if sum(bool(x) for x in (o.check, o.remove, o.print_)) > 1:
        raise UsageError("--check, --remove and --print are mutually exclusive")
    if o.project and o.user:
        raise UsageError("--project and --global are mutually exclusive")
    if o.project and o.recipe != "claude":
        raise UsageError("--project applies to claude (the other recipes write to the project "
                         "unless --global)")
    user = o.user or (o.recipe == "claude" and not o.project)
    if o.print_:
        files = sr.preview(o.recipe, root, user=user, output=o.output)
        if ctx.json:
            ctx.out.json({"recipe": o.recipe, "files": files})
        else:
            for f in files:
                ctx.out.line(f"# {f['path']}")
                ctx.out.line(f["text"].rstrip("\n"))
        return 0
    if o.check:
        result = sr.check(o.recipe, root, user=user, output=o.output)
        if ctx.json:
            ctx.out.json(result)
        else:
            ctx.out.line(("✓ " if result["ok"] else "✗ ") + result["message"])
        return 0 if result["ok"] else 1
    result = (sr.remove if o.remove else sr.install)(o.recipe, root, user=user, output=o.output)
    if ctx.json:
        ctx.out.json(result)
        return 0
    names = ", ".join(_rel(p, root) for p in result["files"])
    ctx.out.line({
        "installed": f"✓ {result['tool']}: bd set up in {names}",
        "updated": f"✓ {result['tool']}: bd's setup updated in {names}",
        "unchanged": f"✓ {result['tool']}: already set up and current ({names})",
        "removed": f"✓ {result['tool']}: bd's setup removed from {names}",
        "absent": f"{result['tool']}: bd was not set up ({names}); nothing to remove",
    }[result["action"]])
    if o.recipe == "claude" and result["action"] in ("installed", "updated"):
        ctx.out.line("  Claude Code now runs 'bd prime' at session start and before compaction.")
    return 0


def _rel(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel


_MCP_SDK = ("mcp", "anyio", "pydantic", "pydantic_core", "starlette", "httpx")


@command("mcp", "Serve the Model Context Protocol over stdio (needs the mcp extra)")
def _mcp(ctx: Context, o: Values) -> int:
    try:
        from bd.agents.mcp_server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in _MCP_SDK:
            raise
        raise BdError("bd mcp needs the MCP SDK, an optional extra: pip install 'beads-py[mcp]'"
                      ) from None
    if sys.stdin.isatty():
        ctx.out.note("bd mcp: serving MCP on stdin/stdout for an MCP client (Ctrl-C stops); "
                     "see docs/agents.md")
    serve(None, db=ctx.flags.get("db"), actor=ctx.flags.get("actor"),
          readonly=bool(ctx.flags.get("readonly")))
    return 0
