"""A thin wrapper over the ``git`` executable: the only place bd talks to git.

bd runs git as a subprocess instead of importing GitPython: GitPython costs about 67 ms at
import (it runs ``git version``), which every hook invocation would pay, and bd only needs a
handful of plumbing commands.  Every call passes its arguments as a list (never through a
shell), so issue text can never be interpreted by a shell.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from bd.errors import BdError


class GitError(BdError):
    """A git command failed; the message carries all of git's lines, then bd's advice."""

    multiline = True


class NotAGitRepoError(GitError):
    """The directory is not inside a git repository."""


def _env(extra: Mapping[str, str] | None, isolate: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if isolate:
        for name in REPO_ENV_VARS:
            env.pop(name, None)
    # Never let git open an editor or ask for credentials on a terminal: agents have none.
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["GIT_EDITOR"] = env.get("BD_GIT_EDITOR", "true")
    env.setdefault("GIT_MERGE_AUTOEDIT", "no")
    # A hook that re-enters bd must not see bd's own recursion guard from an outer process.
    if extra:
        env.update(extra)
    return env


def run(args: Sequence[str], cwd: str, *, check: bool = True, input: bytes | None = None,
        env: Mapping[str, str] | None = None, timeout: float | None = 300,
        isolate: bool = False) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``cwd``; on failure (when ``check``) a GitError with git's message.

    ``isolate`` drops the GIT_DIR, GIT_INDEX_FILE … a calling hook inherited from git, for a
    command aimed at the repository at ``cwd`` rather than the hook's own.
    """
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                              env=_env(env, isolate), timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:2])} timed out after {timeout} s") from None
    if check and proc.returncode != 0:
        raise GitError(failure(f"git {' '.join(args[:3])} failed", proc.stderr or proc.stdout))
    return proc


def out(args: Sequence[str], cwd: str, **kw: object) -> str:
    """Stripped stdout of a successful ``git ARGS``."""
    return run(args, cwd, **kw).stdout.decode("utf-8", "replace").strip()  # type: ignore[arg-type]


def ok(args: Sequence[str], cwd: str) -> bool:
    return run(args, cwd, check=False).returncode == 0


def whole(data: bytes) -> str:
    """All of git's message, each line indented (git names the files, the refs, the cause on
    the lines after the first; bd shows them all)."""
    text = data.decode("utf-8", "replace").strip("\n")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join("  " + line for line in lines) if lines else "  (no message)"


def failure(what: str, data: bytes, advice: str = "") -> str:
    """``what``, then git's whole message, then bd's advice (each on its own lines)."""
    return f"{what}; git said:\n{whole(data)}" + (f"\n{advice}" if advice else "")


IDENTITY_ADVICE = ("git has no identity to commit with; set one with\n"
                   "  git config user.name \"Your Name\"\n"
                   "  git config user.email \"you@example.com\"\n"
                   "(add --global to set it for every repository), then run the command again")


def require_identity(cwd: str) -> None:
    """Raise a GitError naming ``git config user.name`` / ``user.email`` when git could not
    make a commit here for want of an identity (asked of git itself: ``git var``)."""
    for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if run(["var", var], cwd, check=False).returncode != 0:
            raise GitError(IDENTITY_ADVICE)


def first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("hint:"):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "(no message)"


def toplevel(cwd: str) -> str:
    proc = run(["rev-parse", "--show-toplevel"], cwd, check=False)
    if proc.returncode != 0:
        raise NotAGitRepoError(f"{cwd} is not inside a git work tree")
    return os.path.normpath(proc.stdout.decode().strip())


def try_toplevel(cwd: str) -> str | None:
    try:
        return toplevel(cwd)
    except GitError:
        return None


def common_dir(cwd: str) -> str:
    """The repository's common git dir (shared by all linked worktrees), absolute."""
    proc = run(["rev-parse", "--git-common-dir"], cwd, check=False)
    if proc.returncode != 0:
        raise NotAGitRepoError(f"{cwd} is not inside a git repository")
    path = proc.stdout.decode().strip()
    return os.path.normpath(os.path.join(cwd, path))


def git_dir(cwd: str) -> str:
    """This worktree's own git dir, absolute."""
    path = out(["rev-parse", "--git-dir"], cwd)
    return os.path.normpath(os.path.join(cwd, path))


def config_get(key: str, cwd: str, *, default: str | None = None) -> str | None:
    proc = run(["config", "--get", key], cwd, check=False)
    if proc.returncode != 0:
        return default
    return proc.stdout.decode("utf-8", "replace").rstrip("\n")


def user_name(cwd: str) -> str | None:
    """git's ``user.name`` as seen from ``cwd`` (None when unset or git is missing)."""
    try:
        return config_get("user.name", cwd) or None
    except (GitError, OSError):
        return None


def config_set(key: str, value: str, cwd: str) -> None:
    run(["config", key, value], cwd)


def config_unset(key: str, cwd: str) -> None:
    run(["config", "--unset-all", key], cwd, check=False)


def current_branch(cwd: str) -> str | None:
    """The checked-out branch name, or None on a detached HEAD."""
    proc = run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


def upstream(cwd: str, branch: str | None = None) -> str | None:
    """``remote/branch`` the branch tracks, or None."""
    ref = f"{branch}@{{upstream}}" if branch else "@{upstream}"
    proc = run(["rev-parse", "--abbrev-ref", "--symbolic-full-name", ref], cwd, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


def remotes(cwd: str) -> list[str]:
    return [r for r in out(["remote"], cwd).splitlines() if r.strip()]


def has_commits(cwd: str) -> bool:
    return ok(["rev-parse", "--verify", "--quiet", "HEAD"], cwd)


def show_blob(cwd: str, spec: str) -> bytes | None:
    """Contents of ``spec`` (``:1:path``, ``HEAD:path`` …), or None when it does not exist."""
    proc = run(["show", spec], cwd, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout


# -- hooks and repository layout (used by bd hooks, bd init and bd doctor) ------------------

# Variables git sets for a hook, naming the repository (and index) the hook runs for.  A git
# command aimed at a *different* repository (a planning repo, a sync worktree) must not
# inherit them, or it would act on the hook's repository instead.
REPO_ENV_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR",
                 "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE",
                 "GIT_QUARANTINE_PATH")


def run_isolated(args: Sequence[str], cwd: str, *, check: bool = True,
                 input: bytes | None = None, timeout: float | None = 300
                 ) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` for the repository at ``cwd`` alone (see ``run``'s ``isolate``)."""
    return run(args, cwd, check=check, input=input, timeout=timeout, isolate=True)


def hooks_dir(cwd: str) -> str:
    """Where git looks for hooks: ``core.hooksPath`` if set (husky and friends), else the
    *common* git dir's ``hooks`` (so hooks installed from a linked worktree are the ones git
    runs in every worktree)."""
    custom = config_get("core.hooksPath", cwd)
    if custom:
        custom = os.path.expanduser(custom)
        if not os.path.isabs(custom):
            # git runs hooks from the top of the work tree; relative paths are taken from there
            custom = os.path.join(try_toplevel(cwd) or common_dir(cwd), custom)
        return os.path.normpath(custom)
    return os.path.join(common_dir(cwd), "hooks")


def info_exclude_path(cwd: str) -> str:
    """The repository's ``info/exclude`` file (shared by all worktrees)."""
    return os.path.join(common_dir(cwd), "info", "exclude")


def is_ignored(path: str, cwd: str) -> bool:
    """True when git ignores ``path`` (by .gitignore, info/exclude or core.excludesFile)."""
    return run(["check-ignore", "-q", "--no-index", "--", path], cwd, check=False).returncode == 0


def is_tracked(path: str, cwd: str) -> bool:
    """True when the index holds ``path`` (a file) or anything under it (a directory)."""
    return bool(run(["ls-files", "-z", "--", path], cwd, check=False).stdout)


def check_attr(attr: str, path: str, cwd: str) -> str | None:
    """The value of gitattribute ``attr`` for ``path`` (None when unspecified)."""
    proc = run(["check-attr", "-z", attr, "--", path], cwd, check=False)
    parts = proc.stdout.decode("utf-8", "replace").split("\0")
    if proc.returncode != 0 or len(parts) < 3 or parts[2] == "unspecified":
        return None
    return parts[2]


def rebase_in_progress(cwd: str) -> bool:
    """A rebase is stopped or running in this worktree (its own git dir, not ``.git/``)."""
    proc = run(["rev-parse", "--git-dir"], cwd, check=False)
    if proc.returncode != 0:
        return False
    gdir = os.path.join(cwd, proc.stdout.decode().strip())
    return any(os.path.exists(os.path.join(gdir, d)) for d in ("rebase-merge", "rebase-apply"))
