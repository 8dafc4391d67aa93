"""``bd info --whats-new`` and ``--thanks``: agent-relevant notes embedded in bd itself."""

from __future__ import annotations

# Newest first.  Each entry says what an agent or a script written for the original should
# know about this release; the full list of departures is docs/design.md.
CHANGES: list[dict[str, object]] = [
    {
        "version": "0.46.0",
        "date": "2026-12-06",
        "changes": [
            "bd is a Python reimplementation of beads v0.46: same commands, flags, JSONL "
            "format and --json shapes, no daemon (every command reads the JSONL, cached in "
            "SQLite)",
            "CHANGED: a flag bd cannot honour is refused with a usage error (exit 2) instead "
            "of being accepted and ignored",
            "CHANGED: bd show --refs --json is the original's shape: id -> issues, each with "
            "dependency_type",
            "NEW: bd delete --hard removes the lines instead of writing tombstones (the "
            "deletion then cannot propagate to other clones)",
            "NEW: bd stats --assigned counts only your issues; the Recent Activity section "
            "comes from git history (skip it with --no-activity)",
            "NEW: bd epic close-eligible, duplicate, supersede, state/set-state, lint, "
            "orphans, human, types, statuses",
        ],
    },
]

THANKS = ("bd stands on the work of beads, the issue tracker for coding agents by Steve Yegge "
          "and its many contributors: https://github.com/steveyegge/beads (see its git "
          "history for the people who built it).")
