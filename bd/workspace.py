"""Finding the ``.beads`` workspace: --db, BEADS_DIR, BEADS_DB, then walking up from cwd."""

from __future__ import annotations

import os

from bd.errors import NotInitializedError

JSONL_NAME = "issues.jsonl"
DB_NAME = "beads.db"


def _follow_redirect(beads_dir: str) -> str:
    redirect = os.path.join(beads_dir, "redirect")
    if os.path.isfile(redirect):
        with open(redirect, encoding="utf-8") as fh:
            target = fh.read().strip()
        if target:
            return os.path.normpath(os.path.join(beads_dir, target))
    return beads_dir


def _is_workspace(beads_dir: str) -> bool:
    if not os.path.isdir(beads_dir):
        return False
    for name in (JSONL_NAME, "config.yaml", DB_NAME, "metadata.json", "redirect"):
        if os.path.exists(os.path.join(beads_dir, name)):
            return True
    return False


def find_beads_dir(start: str | None = None, db: str | None = None) -> str:
    """The active ``.beads`` directory, or NotInitializedError with the usual hints.

    In sync-branch mode that is the ``.beads`` of bd's worktree of the sync branch.
    """
    found = _find(start, db)
    if os.path.isfile(os.path.join(found, "config.yaml")) or \
            os.environ.get("BEADS_SYNC_BRANCH"):
        from bd.syncbranch import data_dir

        return data_dir(found)
    return found


def main_beads_dir(start: str | None = None, db: str | None = None) -> str:
    """The ``.beads`` found from ``start`` before any sync-branch redirection."""
    return _find(start, db)


def _find(start: str | None, db: str | None) -> str:
    if db:
        return _follow_redirect(os.path.dirname(os.path.abspath(db)))
    env_dir = os.environ.get("BEADS_DIR")
    if env_dir:
        return _follow_redirect(os.path.abspath(env_dir))
    env_db = os.environ.get("BEADS_DB") or os.environ.get("BD_DB")
    if env_db:
        return _follow_redirect(os.path.dirname(os.path.abspath(env_db)))
    here = os.path.abspath(start or os.getcwd())
    while True:
        candidate = os.path.join(here, ".beads")
        if _is_workspace(candidate):
            return _follow_redirect(candidate)
        if os.path.exists(os.path.join(here, ".git")):
            break  # the walk stops at the git root
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    raise NotInitializedError(
        "no beads database found (run 'bd init' here, or set BEADS_DIR to a .beads directory)")
