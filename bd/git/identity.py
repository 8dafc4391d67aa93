"""git's ``user.name`` for bd's actor, remembered while git's config files stay the same.

Every write names an actor; without ``--actor``, ``BD_ACTOR`` or the ``actor`` setting that is
git's ``user.name``, and asking git costs a process and the subprocess module (about 13 ms
of a 90 ms write, measured at 100,000 issues).  The answer is kept in the cache's metadata
under a key made of every file git reads it from (their contents) and the variables that
point git elsewhere.  A configuration bd cannot see whole is asked every time: one that
includes other files, ``git -c`` or ``GIT_CONFIG_COUNT`` variables, an explicit GIT_DIR.
"""

from __future__ import annotations

import os
import sqlite3
import zlib

from bd.git import gitfiles

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.store.cache import Cache

META_KEY = "bd_git_user"
_SYSTEM = ("/etc/gitconfig", "/usr/local/etc/gitconfig", "/opt/homebrew/etc/gitconfig")
_UNCACHEABLE_ENV = ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_DIR", "GIT_COMMON_DIR",
                    "GIT_CONFIG")
_ENV = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "HOME",
        "XDG_CONFIG_HOME")


def config_key(cwd: str) -> str | None:
    """What ``git config user.name`` run in ``cwd`` depends on, as one string; None when bd
    cannot tell (then git is asked)."""
    env = os.environ
    if any(env.get(name) for name in _UNCACHEABLE_ENV):
        return None
    dirs = gitfiles.git_dirs(cwd)
    if dirs is None:
        return None
    gitdir, common = dirs
    home = env.get("HOME") or os.path.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = [env.get("GIT_CONFIG_SYSTEM") or "", *_SYSTEM,
             env.get("GIT_CONFIG_GLOBAL") or "", os.path.join(xdg, "git", "config"),
             os.path.join(home, ".gitconfig"),
             os.path.join(common, "config"), os.path.join(gitdir, "config.worktree")]
    parts = [f"{name}={env.get(name, '')}" for name in _ENV]
    for path in files:
        if not path:
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            parts.append(f"{path}:-")
            continue
        except OSError:
            return None
        if b"include" in data.lower():  # [include] / [includeIf]: files bd does not follow
            return None
        parts.append(f"{path}:{len(data)}:{zlib.crc32(data):08x}")
    return "\n".join(parts)


def user_name(cwd: str, cache: Cache | None) -> str | None:
    """git's ``user.name`` as seen from ``cwd``, from ``cache`` when its config is unchanged."""
    key = config_key(cwd) if cache is not None else None
    if cache is not None and key is not None:
        try:
            kept = cache.meta(META_KEY)
        except sqlite3.Error:
            kept = None
        if kept is not None:
            kept_key, _, name = kept.rpartition("\n")
            if kept_key == key:
                return name or None
    from bd.git import runner

    asked = runner.user_name(cwd)
    if cache is not None and key is not None:
        try:
            cache.set_meta(META_KEY, f"{key}\n{asked or ''}")
        except sqlite3.Error:  # a busy cache: ask git again next time
            pass
    return asked
