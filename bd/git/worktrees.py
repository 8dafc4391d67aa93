"""``bd worktree``: git worktrees that share one issue database.  A worktree bd creates
gets ``.beads/redirect`` pointing at the main checkout's ``.beads``, so every worktree reads
and writes the same issues (and the same lock) instead of diverging copies.  The redirect
file is listed in the shared ``info/exclude`` so it is never committed."""

from __future__ import annotations

import os

from bd.errors import BdError
from bd.git import runner as git
from bd.git.initmodes import add_exclude

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _main_root(cwd: str) -> str:
    """The main checkout (the worktree that owns the common git dir)."""
    common = git.common_dir(cwd)
    return os.path.dirname(os.path.abspath(common)) if os.path.basename(common) == ".git" \
        else git.toplevel(cwd)


def _entries(cwd: str) -> list[dict[str, Any]]:
    out = git.out(["worktree", "list", "--porcelain"], cwd)
    entries: list[dict[str, Any]] = []
    for block in out.split("\n\n"):
        entry: dict[str, Any] = {}
        for line in block.splitlines():
            key, _, value = line.partition(" ")
            if key == "worktree":
                entry["path"] = value
            elif key == "branch":
                entry["branch"] = value.removeprefix("refs/heads/")
            elif key == "detached":
                entry["branch"] = "(detached)"
        if "path" in entry:
            entries.append(entry)
    return entries


def _beads_state(path: str, main_beads: str) -> tuple[str, str | None]:
    beads = os.path.join(path, ".beads")
    redirect = os.path.join(beads, "redirect")
    if os.path.isfile(redirect):
        with open(redirect, encoding="utf-8", errors="replace") as fh:
            target = os.path.normpath(os.path.join(beads, fh.read().strip()))
        return "redirect", target
    if os.path.normpath(beads) == os.path.normpath(main_beads):
        return "shared", None
    return ("local" if os.path.isdir(beads) else "none"), None


def _resolve(cwd: str, name: str) -> str:
    root = _main_root(cwd)
    known = {os.path.normpath(e["path"]) for e in _entries(cwd)}
    for candidate in (os.path.join(root, name), os.path.abspath(name)):
        if os.path.normpath(candidate) in known:
            return os.path.normpath(candidate)
    for path in known:
        if os.path.basename(path) == name:
            return path
    raise BdError(f"no worktree named {name!r} (see 'bd worktree list')")


def create(cwd: str, name: str, main_beads: str, branch: str | None = None) -> dict[str, Any]:
    """``git worktree add`` at ``<main checkout>/NAME`` (or the path given) on ``branch``
    (default NAME; created when new), then the redirect to ``main_beads``."""
    root = _main_root(cwd)
    path = os.path.abspath(name) if os.sep in name else os.path.join(root, name)
    if os.path.exists(path):
        raise BdError(f"{path} already exists")
    branch = branch or os.path.basename(path)
    made = git.run(["worktree", "add", "-q", "-b", branch, path], root, check=False)
    if made.returncode != 0:
        git.run(["worktree", "add", "-q", path, branch], root)
    beads = os.path.join(path, ".beads")
    os.makedirs(beads, exist_ok=True)
    with open(os.path.join(beads, "redirect"), "w", encoding="utf-8") as fh:
        fh.write(os.path.relpath(main_beads, beads) + "\n")
    add_exclude(root, ".beads/redirect")
    if os.path.dirname(path) == root:
        add_exclude(root, f"/{os.path.basename(path)}/")
    return {"name": os.path.basename(path), "path": path, "branch": branch,
            "redirect_to": main_beads}


def list_worktrees(cwd: str, main_beads: str) -> list[dict[str, Any]]:
    root = os.path.normpath(_main_root(cwd))
    out = []
    for e in _entries(cwd):
        state, target = _beads_state(e["path"], main_beads)
        row = {"name": os.path.basename(e["path"]), "path": e["path"],
               "branch": e.get("branch", ""), "is_main": os.path.normpath(e["path"]) == root,
               "beads_state": state}
        if target:
            row["redirect_to"] = target
        out.append(row)
    return out


def _problems(path: str) -> list[str]:
    problems = []
    status = git.out(["status", "--porcelain"], path)
    changed = [ln for ln in status.splitlines() if not ln.endswith(".beads/redirect")]
    if changed:
        problems.append(f"{len(changed)} uncommitted change(s)")
    upstream = git.run(["rev-parse", "--abbrev-ref", "@{upstream}"], path, check=False)
    if upstream.returncode == 0:
        ahead = git.out(["rev-list", "--count", "@{upstream}..HEAD"], path)
        if ahead not in ("", "0"):
            problems.append(f"{ahead} unpushed commit(s)")
    return problems


def remove(cwd: str, name: str, *, force: bool = False) -> dict[str, Any]:
    """``git worktree remove`` after the safety checks (uncommitted changes, unpushed
    commits) unless ``force``."""
    path = _resolve(cwd, name)
    root = os.path.normpath(_main_root(cwd))
    if path == root:
        raise BdError("cannot remove the main checkout")
    if not force:
        problems = _problems(path)
        if problems:
            raise BdError(f"{path} has {' and '.join(problems)}; commit or push first, or "
                          "use --force")
    redirect = os.path.join(path, ".beads", "redirect")
    if os.path.isfile(redirect):
        os.remove(redirect)  # bd's own file: not a change git should refuse over
    git.run(["worktree", "remove", *(["--force"] if force else []), path], root)
    return {"name": os.path.basename(path), "path": path, "removed": True}


def info(cwd: str) -> dict[str, Any]:
    top = git.toplevel(cwd)
    root = os.path.normpath(_main_root(cwd))
    beads = os.path.join(top, ".beads")
    out: dict[str, Any] = {"path": top, "name": os.path.basename(top),
                           "branch": git.current_branch(top) or "(detached)",
                           "main_repo": root, "is_worktree": os.path.normpath(top) != root,
                           "beads_redirected": False}
    redirect = os.path.join(beads, "redirect")
    if os.path.isfile(redirect):
        with open(redirect, encoding="utf-8", errors="replace") as fh:
            out["beads_redirected"] = True
            out["beads_local"] = beads
            out["beads_target"] = os.path.normpath(os.path.join(beads, fh.read().strip()))
    return out
