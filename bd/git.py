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
    """A git command failed; the message carries git's own first error line."""


class NotAGitRepoError(GitError):
    """The directory is not inside a git repository."""


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # Never let git open an editor or ask for credentials on a terminal: agents have none.
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["GIT_EDITOR"] = env.get("BD_GIT_EDITOR", "true")
    env.setdefault("GIT_MERGE_AUTOEDIT", "no")
    # A hook that re-enters bd must not see bd's own recursion guard from an outer process.
    if extra:
        env.update(extra)
    return env


def run(args: Sequence[str], cwd: str, *, check: bool = True, input: bytes | None = None,
        env: Mapping[str, str] | None = None, timeout: float | None = 300
        ) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``cwd``; on failure (when ``check``) a GitError with git's message."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                              env=_env(env), timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args[:2])} timed out after {timeout} s") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed: {first_line(proc.stderr or proc.stdout)}")
    return proc


def out(args: Sequence[str], cwd: str, **kw: object) -> str:
    """Stripped stdout of a successful ``git ARGS``."""
    return run(args, cwd, **kw).stdout.decode("utf-8", "replace").strip()  # type: ignore[arg-type]


def ok(args: Sequence[str], cwd: str) -> bool:
    return run(args, cwd, check=False).returncode == 0


def first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    for line in text.splitlines():
        line = line.strip()
        if line:
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
