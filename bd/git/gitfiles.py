"""git's own files read directly, without a subprocess, for hot paths that only need to know
where a repository keeps its files (``bd stats``'s activity cache key, the actor's config)."""

from __future__ import annotations

import os


def read_text(path: str) -> str | None:
    """The file's text, stripped; None when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None


def git_dirs(start: str) -> tuple[str, str] | None:
    """(git dir, common dir) of the repository holding ``start``, found as git finds them
    (a ``.git`` folder, or a ``.git`` file naming one; a linked worktree's ``commondir``);
    None when there is none or the layout is not one bd reads."""
    here = os.path.abspath(start)
    while True:
        dot = os.path.join(here, ".git")
        if os.path.isdir(dot):
            gitdir = dot
            break
        if os.path.isfile(dot):
            text = read_text(dot) or ""
            if not text.startswith("gitdir:"):
                return None
            gitdir = os.path.normpath(os.path.join(here, text[len("gitdir:"):].strip()))
            break
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
    common = read_text(os.path.join(gitdir, "commondir"))
    if common is None:
        if os.path.exists(os.path.join(gitdir, "commondir")):
            return None  # there, but unreadable
        return gitdir, gitdir
    return gitdir, os.path.normpath(os.path.join(gitdir, common))
