"""What bd tells coding agents: the session primer, the onboarding snippet, the quickstart.

``primer(store)`` is the text ``bd prime`` prints at session start and after context
compaction: the workflow, the commands that matter, and the workspace's current state. It
is kept under ``PRIME_BUDGET_TOKENS`` (estimated at four characters a token) whatever the
workspace holds: lists are capped and titles cut.  A project replaces it with
``.beads/PRIME.md``.  The library only builds text; the CLI prints it.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

PRIME_BUDGET_TOKENS = 1500
OVERRIDE_NAME = "PRIME.md"
_LIST_CAP = 5  # issues per state list in the primer
_TITLE_CAP = 72  # characters of a title in the primer


def estimate_tokens(text: str) -> int:
    """Tokens by the usual rough rule: four characters a token, rounded up."""
    return (len(text) + 3) // 4


QUICKSTART = """\
bd - Dependency-Aware Issue Tracker

bd keeps a project's issues in .beads/issues.jsonl, committed with the code, and
answers the question an agent asks all day: what can be worked on now?

SET UP
  bd init --prefix app             create .beads/ in this git repository
  bd setup claude                  make Claude Code run 'bd prime' at session start
                                   (also: cursor, aider, copilot, codex, gemini)

CREATE ISSUES
  bd create "Fix login bug" -t bug -p 1 -d "SSO users get a 500 on /login"
  bd create "Add OAuth" -t feature --deps app-3kx     blocked until app-3kx is closed
  bd create "Login form" --parent app-9fz             a child of epic app-9fz
  Types: bug, feature, task, epic, chore.  Priority: 0 (critical) to 4 (backlog), default 2.

FIND WORK
  bd ready                         open issues with no open blockers
  bd list --status open            filters: --priority, --type, --assignee, --label
  bd show app-3kx                  details, dependencies, comments, history
  bd blocked                       what waits, and on what

DO THE WORK
  bd update app-3kx --claim        assignee = you, status = in_progress (fails if taken)
  bd update app-3kx --notes "Cause found: token expiry; fix in progress"
  bd create "Session leak" -t bug -p 1 --deps discovered-from:app-3kx
                                   record work found on the way, linked to its origin
  bd close app-3kx -r "Fixed in 4f2a1c"

DEPENDENCIES
  bd dep add app-9fz app-3kx       app-9fz depends on app-3kx
  Types: blocks (must finish first), parent-child (epic and subtasks), related (a soft
  link), discovered-from (found while working on another issue; never blocks).
  bd dep tree app-9fz              what it waits on, as a tree

SHARE
  Every change is written to .beads/issues.jsonl at once.  Commit that file with your
  code; after a git pull, bd notices the new file by itself.

FOR AGENTS
  Every command takes --json.  'bd prime' prints the workflow and the current state for
  an agent's context; 'bd onboard' prints a snippet for AGENTS.md or CLAUDE.md; 'bd mcp'
  serves the same operations over the Model Context Protocol.
"""

ONBOARD = """\
## Issue tracking with bd (beads)

This project tracks all work in bd, not in markdown TODO lists or ad-hoc notes. Issues
live in `.beads/issues.jsonl` and are committed with the code.

- At session start and after context compaction, run `bd prime`: the workflow and the current state.
- Find work with `bd ready --json`; take an issue with `bd update ID --claim`.
- Found other work? `bd create "Title" -t bug -p 1 -d "Why" --deps discovered-from:ID`.
- Done: `bd close ID -r "What was done"`, then commit `.beads/issues.jsonl` with the code.
- Look around: `bd show ID`, `bd blocked`, `bd dep tree ID`. Every command takes `--json`.
- Never edit `.beads/issues.jsonl` by hand.
"""

_INTRO = """\
# bd (beads): how work is tracked here

This project tracks its work with bd, a git-native issue tracker. Issues live in
`.beads/issues.jsonl`, committed with the code; `.beads/beads.db` is a disposable cache.
Use bd for ALL task tracking: no markdown TODO lists, no TodoWrite, no notes files.
"""

_LOOP = """\
## The loop
1. `bd ready --json`: unblocked work, most urgent first. Pick one.
2. `bd update ID --claim`: take it (atomic; fails if someone else holds it).
3. Work. Keep notes on the issue: `bd update ID --notes "..."` or `bd comments add ID "..."`.
4. Found other work on the way? File it, linked to where it came from, and carry on:
   `bd create "Title" -t bug -p 1 -d "What and why" --deps discovered-from:ID`
5. `bd close ID -r "What was done"`, then back to 1 (`--suggest-next` shows what it unblocked).
"""

_COMMANDS = """\
## Commands (add --json for machine-readable output)
- `bd ready [-n N] [-p P] [--unassigned] [-l LABEL]`: work with no open blockers
- `bd list [-s STATUS] [-t TYPE] [-a WHO] [-l LABEL] [--all]`, `bd search TEXT`
- `bd show ID`: details, dependencies, comments, history
- `bd create TITLE -d DESC -t TYPE -p 0-4 [--parent EPIC] [--deps ID,TYPE:ID] [-l LABELS]`
- `bd update ID [-s STATUS] [-p P] [-a WHO] [--notes TEXT] [--claim]`
- `bd close ID [-r REASON]`, `bd reopen ID`
- `bd dep add ISSUE DEPENDS_ON [-t blocks|related|parent-child|discovered-from]`, `bd dep tree ID`
- `bd blocked`, `bd stats`, `bd label add ID LABEL`
"""

_RULES = """\
## Rules
- Types: bug, feature, task (default), epic, chore. Priority is a number: 0 critical,
  1 high, 2 normal (default), 3 low, 4 backlog.
- Always give a description (`-d`): what, why, and how to tell it is done.
- `blocks`: must finish first. `parent-child`: epic and subtasks. `discovered-from` and
  `related` never block.
- Ids can be shortened to any unique part (`bd show 3kx`).
- Never edit `.beads/issues.jsonl` by hand; never run interactive commands (`bd edit`).
"""

_SYNC = """\
## Sync
- Every change goes straight to `.beads/issues.jsonl`: no daemon, no flush step.
- Commit it together with the code it describes; after `git pull`, bd notices the change itself.
- Before ending a session: close what is finished, file issues for what is left, then
  {finish}
"""
_FINISH_SYNC = "`bd sync` (commits `.beads/` only, pulls, pushes)."
_FINISH_GIT = "commit `.beads/issues.jsonl` and push."
_STEALTH = """\
## Sync (stealth: local only)
- Every change goes straight to `.beads/issues.jsonl`, which stays on this machine.
- Do not commit, push or `bd sync` anything under `.beads/`: these issues are not shared.
- Before ending a session: close what is finished and file issues for what is left.
"""
_MCP = """\
# bd (beads): how work is tracked here
Track ALL work with the beads MCP tools (no markdown TODO lists): `ready` to find work,
`update` with claim to take it, `create` (deps discovered-from:ID) for what you find on the
way, `close` when done. `bd prime --full` prints the whole CLI workflow.
"""


def static_primer(*, has_sync: bool = True, stealth: bool = False) -> str:
    """The workflow part of the primer, the same in every workspace."""
    sync = _STEALTH if stealth else _SYNC.format(
        finish=_FINISH_SYNC if has_sync else _FINISH_GIT)
    return "\n".join((_INTRO, _LOOP, _COMMANDS, _RULES, sync))


def _cut(title: str) -> str:
    title = " ".join(str(title).split())
    return title if len(title) <= _TITLE_CAP else title[:_TITLE_CAP - 1] + "…"


def _row(rec: dict[str, Any]) -> str:
    from bd.core.model import priority_of, type_of

    who = f" @{rec['assignee']}" if rec.get("assignee") else ""
    return f"- {rec['id']} [P{priority_of(rec)} {type_of(rec)}]{who} {_cut(rec.get('title', ''))}"


def state(store: Store) -> dict[str, Any]:
    """The numbers and short lists the primer reports: counts, ready, in progress."""
    from bd.store.queries import ListFilter, ReadyFilter

    ready = store.ready(ReadyFilter(limit=_LIST_CAP + 1))
    active = store.list(ListFilter(status="in_progress", limit=_LIST_CAP + 1, sort="priority"))
    return {"counts": store.stats(), "ready": ready[:_LIST_CAP],
            "ready_more": len(ready) > _LIST_CAP, "in_progress": active[:_LIST_CAP],
            "in_progress_more": len(active) > _LIST_CAP}


def state_text(st: dict[str, Any]) -> str:
    c = st["counts"]
    lines = ["## Now",
             f"Open {c['open_issues']}, in progress {c['in_progress_issues']}, "
             f"ready {c['ready_issues']}, blocked {c['blocked_issues']}, "
             f"closed {c['closed_issues']}."]
    if st["in_progress"]:
        lines.append("In progress (resume your own first):")
        lines += [_row(r) for r in st["in_progress"]]
        if st["in_progress_more"]:
            lines.append("- … `bd list -s in_progress` for all")
    if st["ready"]:
        lines.append("Ready:")
        lines += [_row(r) for r in st["ready"]]
        if st["ready_more"]:
            lines.append("- … `bd ready` for more")
    elif not c["open_issues"] and not c["in_progress_issues"]:
        lines.append("Nothing open: `bd create` the next piece of work.")
    else:
        lines.append("Nothing is ready: see `bd blocked`.")
    return "\n".join(lines) + "\n"


def override_path(store: Store) -> str | None:
    """``.beads/PRIME.md`` when the project has one."""
    path = os.path.join(store.beads_dir, OVERRIDE_NAME)
    return path if os.path.isfile(path) else None


# The primer's room for memories: what is left of the budget, at most this many tokens, so
# the workflow and the workspace state always fit.
MEMORY_BUDGET_TOKENS = 600


def memory_text(store: Store, used_chars: int) -> str:
    """What bd/memory adds to the primer: a compaction hint when many closed issues still
    carry their full text, and the project's memories, newest first, within what is left of
    the token budget (at most MEMORY_BUDGET_TOKENS)."""
    from bd.memory.compact import compaction_hint
    from bd.memory.memories import primer_section

    hint = compaction_hint(store)
    text = f"{hint}\n" if hint else ""
    room = min(MEMORY_BUDGET_TOKENS, PRIME_BUDGET_TOKENS - estimate_tokens(" " * used_chars))
    section = primer_section(store, max(0, room * 4 - len(text) - 8))
    return text + ("\n" + section if section else "")


def prime(store: Store, *, has_sync: bool = True, builtin: bool = False, mcp: bool = False,
          stealth: bool = False) -> dict[str, Any]:
    """What ``bd prime`` prints, and where it came from.

    Returns ``text`` (the primer), ``source`` (``"builtin"`` or the override's path),
    ``tokens`` (the estimate) and the workspace ``state``.  ``builtin`` ignores PRIME.md;
    ``mcp`` is the short primer for agents that use the MCP tools; ``stealth`` tells the
    agent to keep ``.beads/`` out of git.
    """
    st = state(store)
    if mcp:
        text = _MCP + "\n" + state_text(st)
        text += memory_text(store, len(text))
        return {"source": "builtin-mcp", "text": text, "tokens": estimate_tokens(text),
                "state": st}
    path = None if builtin or stealth else override_path(store)
    if path is not None:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        if text and not text.endswith("\n"):
            text += "\n"
    else:
        text = static_primer(has_sync=has_sync, stealth=stealth) + "\n" + state_text(st)
        text += memory_text(store, len(text))
    return {"source": path or "builtin", "text": text, "tokens": estimate_tokens(text),
            "state": st}
