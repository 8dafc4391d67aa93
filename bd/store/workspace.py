"""Finding the ``.beads`` workspace: --db, BEADS_DIR, BEADS_DB, then walking up from cwd."""

from __future__ import annotations

import os

from bd.errors import NotInitializedError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable

JSONL_NAME = "issues.jsonl"
# Ephemeral records (wisps): same line format, git-ignored, never synced or exported.
WISPS_NAME = "wisps.jsonl"
DB_NAME = "beads.db"
WORKTREES = "beads-worktrees"  # <git-common-dir>/beads-worktrees/<branch>: sync-branch mode

# Creates or repairs the sync branch's worktree: (repository root, branch, main .beads) ->
# worktree path.  Set by ``bd.git.syncbranch`` (this layer runs no git); ``bd/__init__.py``
# installs it, so every entry point (CLI, library, MCP server) has it.
_worktree_provider: Callable[[str, str, str], str] | None = None


def set_worktree_provider(provider: Callable[[str, str, str], str] | None) -> None:
    """Install the function that creates a missing sync-branch worktree (see above)."""
    global _worktree_provider
    _worktree_provider = provider


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


# -- sync-branch mode, fast discovery (no subprocess): used on every bd command -------

def branch_from_config(beads_dir: str) -> str | None:
    """``sync.branch`` for the workspace whose main ``.beads`` is ``beads_dir``."""
    env = os.environ.get("BEADS_SYNC_BRANCH")
    if env is not None:
        return env.strip() or None
    path = os.path.join(beads_dir, "config.yaml")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    if b"sync" not in raw:
        return None
    from bd.store import config as cfgmod  # lazily: only a config that mentions sync

    cfg = cfgmod.parse(raw.decode("utf-8", "replace"), path)
    value = cfg.get("sync.branch") or cfg.get("sync-branch")
    return str(value).strip() or None if value else None


def _git_dirs(work_root: str) -> tuple[str, str] | None:
    """(git dir, common dir) of the work tree at ``work_root``, read from the files git keeps."""
    dotgit = os.path.join(work_root, ".git")
    if os.path.isdir(dotgit):
        gitdir = dotgit
    elif os.path.isfile(dotgit):
        with open(dotgit, encoding="utf-8") as fh:
            text = fh.read().strip()
        if not text.startswith("gitdir:"):
            return None
        gitdir = os.path.normpath(os.path.join(work_root, text[7:].strip()))
    else:
        return None
    common = gitdir
    commondir_file = os.path.join(gitdir, "commondir")
    if os.path.isfile(commondir_file):
        with open(commondir_file, encoding="utf-8") as fh:
            common = os.path.normpath(os.path.join(gitdir, fh.read().strip()))
    return gitdir, common


def _head_branch(gitdir: str) -> str | None:
    try:
        with open(os.path.join(gitdir, "HEAD"), encoding="utf-8") as fh:
            head = fh.read().strip()
    except OSError:
        return None
    return head[16:] if head.startswith("ref: refs/heads/") else None


def configured_branch(beads_dir: str) -> str | None:
    """The sync branch when sync-branch mode applies here (None when unset, or when the sync
    branch is the one checked out: then bd simply commits on it)."""
    branch = branch_from_config(beads_dir)
    if branch is None or is_worktree_dir(beads_dir):
        return branch
    dirs = _git_dirs(os.path.dirname(os.path.abspath(beads_dir)))
    if dirs is not None and _head_branch(dirs[0]) == branch:
        return None
    return branch


def is_worktree_dir(beads_dir: str) -> bool:
    parts = os.path.abspath(beads_dir).split(os.sep)
    return len(parts) >= 3 and WORKTREES in parts[:-2]


def data_dir(beads_dir: str) -> str:
    """Where the issue data of the workspace at ``beads_dir`` lives (itself, or the sync
    worktree's ``.beads``, created or repaired when needed)."""
    if is_worktree_dir(beads_dir):
        return beads_dir
    branch = configured_branch(beads_dir)
    if branch is None:
        return beads_dir
    root = os.path.dirname(os.path.abspath(beads_dir))
    dirs = _git_dirs(root)
    if dirs is not None:
        candidate = os.path.join(dirs[1], WORKTREES, branch, ".beads")
        if os.path.isfile(os.path.join(candidate, "issues.jsonl")) and os.path.exists(
                os.path.join(dirs[1], WORKTREES, branch, ".git")):
            return candidate
    if _worktree_provider is None:
        raise NotInitializedError(f"the sync-branch worktree of {branch!r} is missing and "
                                  "this program cannot create it (run 'bd sync' or 'bd doctor "
                                  "--fix')", path=beads_dir)
    return os.path.join(_worktree_provider(root, branch, beads_dir), ".beads")
