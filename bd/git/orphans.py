"""Issues named in commit messages that are still open (``bd orphans``): work that was done
but never closed.  A reference is the original's form, the id in parentheses:
``Fix the parser (bd-a1b2)``."""

from __future__ import annotations

import os
import re

from bd.git import runner
from bd.store.queries import ListFilter

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def find_orphans(store: Store) -> list[dict[str, Any]]:
    """Open or in-progress issues referenced as ``(ID)`` in ``git log --all``; each with
    issue_id, title, status, latest_commit and latest_commit_message.  [] outside git."""
    cwd = os.path.dirname(store.beads_dir)
    if runner.try_toplevel(cwd) is None:
        return []
    proc = runner.run(["log", "--all", "--format=%h %s"], cwd, check=False)
    if proc.returncode != 0:
        return []  # no commits yet
    open_issues = {r["id"]: r for r in store.list(ListFilter(limit=0))
                   if r.get("status") in ("open", "in_progress")}
    if not open_issues:
        return []
    pattern = re.compile(r"\((" + re.escape(store.prefix) + r"-[a-z0-9.]+)\)")
    found: dict[str, dict[str, Any]] = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, _, subject = line.partition(" ")
        for rid in pattern.findall(subject):
            if rid in open_issues and rid not in found:  # git log is newest first
                rec = open_issues[rid]
                found[rid] = {"issue_id": rid, "title": rec.get("title", ""),
                              "status": rec.get("status"), "latest_commit": sha,
                              "latest_commit_message": subject}
    return [found[k] for k in sorted(found)]
