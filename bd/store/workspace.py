"""Finding the ``.beads`` workspace: --db, BEADS_DIR, BEADS_DB, then walking up from cwd."""

from __future__ import annotations

import os

from bd.errors import NotInitializedError

JSONL_NAME = "issues.jsonl"
DB_NAME = "beads.db"


def _follow_redirect(beads_dir: str, source: str | None = None) -> str:
    """``beads_dir``, or where its ``redirect`` file points; it must be a directory
    (``source`` names the setting that chose it, for the error)."""
    redirect = os.path.join(beads_dir, "redirect")
    if os.path.isfile(redirect):
        try:
            with open(redirect, encoding="utf-8") as fh:
                target = fh.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise NotInitializedError(f"cannot read the redirect file: {exc}",
                                      path=redirect) from None
        if target:
            beads_dir = os.path.normpath(os.path.join(beads_dir, target))
            source = f"{redirect} points to {target}"
    if source is not None and not os.path.isdir(beads_dir):
        what = "is not a directory" if os.path.exists(beads_dir) else "does not exist"
        raise NotInitializedError(f"no beads database: {source}, which {what} "
                                  "(run 'bd init' there, or fix the setting)")
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
        from bd.git.syncbranch import data_dir

        found = data_dir(found)
    check_links(found)
    return found


# The files bd writes in .beads/ during normal commands.
_WRITTEN = (JSONL_NAME, "events.jsonl", "config.yaml", DB_NAME, DB_NAME + "-wal",
            DB_NAME + "-shm", ".bd.lock", "last-touched")


def check_links(beads_dir: str) -> None:
    """Refuse a workspace file that is a symbolic link leading out of the project (the
    directory holding ``.beads``).  A cloned repository can commit such a link, and bd
    would write through it: ``events.jsonl`` pointing at ``~/.bashrc`` would get issue
    text appended to a shell script.  Links that stay inside the project are followed."""
    project = None
    for name in _WRITTEN:
        path = os.path.join(beads_dir, name)
        if os.path.islink(path):
            if project is None:
                project = os.path.realpath(os.path.dirname(os.path.abspath(beads_dir)))
            target = os.path.realpath(path)
            if not target.startswith(project + os.sep):
                from bd.errors import DataError

                raise DataError(f"is a symbolic link to {target}, outside {project}; bd does "
                                "not follow it (replace the link with the file)", path=path)


def main_beads_dir(start: str | None = None, db: str | None = None) -> str:
    """The ``.beads`` found from ``start`` before any sync-branch redirection."""
    return _find(start, db)


def _find(start: str | None, db: str | None) -> str:
    if db:
        return _follow_redirect(os.path.dirname(os.path.abspath(db)), f"--db {db}")
    env_dir = os.environ.get("BEADS_DIR")
    if env_dir:
        return _follow_redirect(os.path.abspath(env_dir), f"BEADS_DIR={env_dir}")
    for name in ("BEADS_DB", "BD_DB"):
        env_db = os.environ.get(name)
        if env_db:
            return _follow_redirect(os.path.dirname(os.path.abspath(env_db)),
                                    f"{name}={env_db}")
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
