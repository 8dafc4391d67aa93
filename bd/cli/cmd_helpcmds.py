"""human, types, statuses: short reference lists."""

from __future__ import annotations

from bd.cli import Context
from bd.cli.registry import Values, command

# (section, [(command, what it does)]): the original's list for people, minus nothing.
HUMAN = [
    ("Working With Issues", [
        ("create", "Create a new issue"),
        ("list", "List issues (filter with --status, --priority, --label)"),
        ("show <id>", "Show issue details"),
        ("update <id>", "Update an issue (--status, --priority, --assignee)"),
        ("close <id>", "Close one or more issues"),
        ("reopen <id>", "Reopen a closed issue"),
        ("comment <id>", "Add a comment to an issue")]),
    ("Finding Work", [
        ("ready", "Show issues ready to work on (no blockers)"),
        ("search <query>", "Search issues by text"),
        ("status", "Show project overview and counts"),
        ("stats", "Show detailed statistics")]),
    ("Dependencies", [
        ("dep add <a> <b>", "Add dependency (a depends on b)"),
        ("dep remove <a> <b>", "Remove a dependency"),
        ("dep tree <id>", "Show dependency tree"),
        ("graph", "Display visual dependency graph"),
        ("blocked", "Show all blocked issues")]),
    ("Setup & Sync", [
        ("init", "Initialize bd in current directory"),
        ("sync", "Sync issues with git remote"),
        ("doctor", "Check installation health")]),
    ("Getting Help", [
        ("quickstart", "Quick start guide with examples"),
        ("help <cmd>", "Help for any command"),
        ("--help", "Full command list")]),
]
_EXAMPLES = """Quick Examples:
  # Create and track an issue
  bd create "Fix login bug" --priority 1
  bd update bd-abc123 --status in_progress
  bd close bd-abc123

  # See what needs doing
  bd ready                    # What can I work on?
  bd list --status open       # All open issues
  bd blocked                  # What's stuck?
"""


@command("human", "Show the essential commands for people (the short list)")
def _human(ctx: Context, o: Values) -> int:
    if ctx.json:
        ctx.out.json([{"section": name, "commands": [{"command": c, "description": d}
                                                     for c, d in rows]}
                      for name, rows in HUMAN])
        return 0
    ctx.out.line("\nbd - Essential Commands for Humans")
    ctx.out.line("For all commands: bd --help\n")
    for name, rows in HUMAN:
        ctx.out.line(f"{name}:")
        for c, d in rows:
            ctx.out.line(f"  {c:<20} {d}")
        ctx.out.line("")
    ctx.out.line(_EXAMPLES)
    return 0


_CORE_TYPES = ("bug", "feature", "task", "epic", "chore")
_TYPE_NOTES = {"bug": "Something broken", "feature": "New functionality",
               "task": "Work item (default)", "epic": "Large body of work with children",
               "chore": "Maintenance", "message": "A message between agents",
               "merge-request": "A merge request", "molecule": "A workflow instance",
               "gate": "Waits on an external condition", "event": "An audit record"}


@command("types", "List the issue types this workspace accepts (built-in and types.custom)")
def _types(ctx: Context, o: Values) -> int:
    from bd.core import model

    custom = ctx.store.custom_types
    rows = [{"name": t, "kind": "core" if t in _CORE_TYPES else "builtin",
             "description": _TYPE_NOTES.get(t, "")} for t in model.BUILTIN_TYPES]
    rows += [{"name": t, "kind": "custom", "description": ""} for t in custom
             if t not in model.BUILTIN_TYPES]
    if ctx.json:
        ctx.out.json({"core_types": [r for r in rows if r["kind"] == "core"],
                      "builtin_types": [r for r in rows if r["kind"] == "builtin"],
                      "custom_types": [r["name"] for r in rows if r["kind"] == "custom"]})
        return 0
    ctx.out.line("Core types:")
    for r in rows:
        if r["kind"] == "core":
            ctx.out.line(f"  {r['name']:<14} {r['description']}")
    ctx.out.line("\nOther built-in types:")
    for r in rows:
        if r["kind"] == "builtin":
            ctx.out.line(f"  {r['name']:<14} {r['description']}")
    customs = [r["name"] for r in rows if r["kind"] == "custom"]
    ctx.out.line("\nCustom types (config types.custom): " + (", ".join(customs) or "none"))
    return 0


_STATUS_NOTES = {"open": "Ready to be worked on", "in_progress": "Being worked on",
                 "blocked": "Waiting on something", "deferred": "Put off until later",
                 "closed": "Done", "tombstone": "Deleted (kept so deletions propagate)",
                 "pinned": "Kept open for reference; never ready",
                 "hooked": "Attached to an agent's hook"}


@command("statuses", "List the statuses this workspace accepts (built-in and status.custom)")
def _statuses(ctx: Context, o: Values) -> int:
    from bd.core import model

    custom = [s for s in ctx.store.custom_statuses if s not in model.BUILTIN_STATUSES]
    builtin = [{"name": s, "description": _STATUS_NOTES.get(s, "")}
               for s in model.BUILTIN_STATUSES]
    if ctx.json:
        ctx.out.json({"builtin_statuses": builtin, "custom_statuses": custom})
        return 0
    ctx.out.line("Built-in statuses:")
    for s in builtin:
        ctx.out.line(f"  {s['name']:<12} {s['description']}")
    ctx.out.line("\nCustom statuses (config status.custom): " + (", ".join(custom) or "none"))
    return 0
