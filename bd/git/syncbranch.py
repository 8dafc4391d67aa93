"""Sync-branch mode: the issue data lives on its own branch, in a worktree bd owns.

For repositories whose main branch is protected.  ``sync.branch`` (config.yaml, committed on
the main branch so every clone knows) names the branch; bd keeps a sparse worktree of it at
``<git-common-dir>/beads-worktrees/<branch>`` holding only ``.beads/``, and every bd read
and write goes there.  The user's work tree, index, HEAD and current branch are never
touched: ``git checkout``, ``git pull`` and ``git stash`` keep working as if bd were absent.

Every git command bd runs in its worktree disables hooks (``core.hooksPath=/dev/null``): a
user's post-checkout or pre-commit hook belongs to their work, not to bd's bookkeeping.
The branch reaches main through a pull request, or ``bd sync --merge``.
"""

from __future__ import annotations

import os
import re

from bd.errors import BdError
from bd.git import steps
from bd.store import jsonl
from bd.store.workspace import WORKTREES, branch_from_config, is_worktree_dir

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

NO_HOOKS = ["-c", "core.hooksPath=/dev/null"]
_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9]$|^[A-Za-z0-9]$")
_GITIGNORE = ("# bd: local files (the issue data, issues.jsonl, is tracked)\n"
              "*.db\n*.db?*\n*.db-journal\n*.db-wal\n*.db-shm\n*.corrupt*\n.bd.lock\n"
              "events.jsonl\nredirect\n")


class SyncBranchError(BdError):
    """Sync-branch mode cannot work as configured."""

    multiline = True


def validate_branch(name: str) -> None:
    if (not name or len(name) > 255 or not _VALID.match(name) or ".." in name
            or name == "HEAD" or name.endswith(".lock") or "//" in name):
        raise SyncBranchError(f"invalid sync branch name {name!r}", field="sync.branch")
    if name in ("main", "master"):
        raise SyncBranchError(f"the sync branch cannot be {name!r}: bd's worktree would hold "
                              "it checked out and block 'git checkout " + name + "'",
                              field="sync.branch")


# -- the worktree ---------------------------------------------------------------------------

def worktree_path(repo: str, branch: str) -> str:
    from bd.git import runner as git

    return os.path.join(git.common_dir(repo), WORKTREES, branch)


def _registered(repo: str, path: str) -> bool:
    from bd.git import runner as git

    listing = git.run(["worktree", "list", "--porcelain"], repo, check=False).stdout
    real = os.path.realpath(path)
    for line in listing.decode("utf-8", "replace").splitlines():
        if line.startswith("worktree ") and os.path.realpath(line[9:]) == real:
            return True
    return False


def remote_name(repo: str) -> str | None:
    """The remote bd syncs with: ``sync.remote`` in git config, the current branch's remote,
    ``origin``, or the only remote there is."""
    from bd.git import runner as git

    remotes = git.remotes(repo)
    if not remotes:
        return None
    configured = git.config_get("bd.sync.remote", repo)
    if configured in remotes:
        return configured
    branch = git.current_branch(repo)
    if branch:
        tracked = git.config_get(f"branch.{branch}.remote", repo)
        if tracked in remotes:
            return tracked
    return "origin" if "origin" in remotes else remotes[0]


def ensure_worktree(repo: str, branch: str, main_beads: str | None = None) -> str:
    """The healthy worktree of ``branch``; creates or repairs it (folder deleted, stale
    registration, branch only on the remote, branch missing)."""
    from bd.git import runner as git

    validate_branch(branch)
    path = worktree_path(repo, branch)
    if os.path.isdir(path) and _registered(repo, path) and git.ok(
            ["rev-parse", "--is-inside-work-tree"], path):
        _materialise(path, branch)
        return path
    git.run(["worktree", "prune"], repo, check=False)
    if os.path.exists(path):
        if _registered(repo, path):
            git.run(["worktree", "remove", "--force", path], repo, check=False)
        if os.path.exists(path):
            import shutil

            shutil.rmtree(path)  # bd's own folder, not registered: leftovers of a crash
    os.makedirs(os.path.dirname(path), exist_ok=True)
    local = git.ok(["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], repo)
    remote = remote_name(repo)
    if not local and remote:
        git.run(["fetch", "--quiet", remote, branch], repo, check=False)
        if git.ok(["rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}"],
                  repo):
            git.run(["branch", "--quiet", "--track", branch, f"{remote}/{branch}"], repo)
            local = True
    if not local:
        _create_branch(repo, branch)
    git.run([*NO_HOOKS, "worktree", "add", "--force", "--no-checkout", path, branch], repo)
    git.run(["sparse-checkout", "set", "--no-cone", "/.beads/"], path)
    _materialise(path, branch)
    beads = os.path.join(path, ".beads")
    if not os.path.isfile(os.path.join(beads, "issues.jsonl")):
        _seed(beads, main_beads)
    return path


def _materialise(path: str, branch: str) -> None:
    from bd.git import runner as git

    if not os.path.isdir(os.path.join(path, ".beads")) and git.ok(
            ["rev-parse", "--verify", "--quiet", "HEAD"], path):
        # with the sparse patterns in place this materialises .beads/ only
        git.run([*NO_HOOKS, "checkout", "--quiet", branch], path, check=False)


def _create_branch(repo: str, branch: str) -> None:
    """A new sync branch starts at the current HEAD (so it can be merged into main later);
    in a repository without commits it starts from an empty root commit."""
    from bd.git import runner as git

    if git.has_commits(repo):
        git.run(["branch", "--quiet", branch, "HEAD"], repo)
        return
    git.require_identity(repo)
    empty_tree = git.out(["hash-object", "-t", "tree", "-w", "--stdin"], repo, input=b"")
    commit = git.out(["commit-tree", empty_tree, "-m", "bd: start sync branch"], repo)
    git.run(["update-ref", f"refs/heads/{branch}", commit], repo)


def _seed(beads: str, main_beads: str | None) -> None:
    """A first ``.beads`` on the sync branch: config copied from main, an empty JSONL."""
    import shutil

    os.makedirs(beads, exist_ok=True)
    for name in ("config.yaml", ".gitignore"):  # the same bytes as main: merges cleanly
        if main_beads and os.path.isfile(os.path.join(main_beads, name)) and \
                not os.path.exists(os.path.join(beads, name)):
            shutil.copyfile(os.path.join(main_beads, name), os.path.join(beads, name))
    if not os.path.exists(os.path.join(beads, ".gitignore")):
        with open(os.path.join(beads, ".gitignore"), "w", encoding="utf-8") as fh:
            fh.write(_GITIGNORE)
    jsonl_path = os.path.join(beads, "issues.jsonl")
    if not os.path.exists(jsonl_path):
        main_jsonl = os.path.join(main_beads or "", "issues.jsonl")
        data = b""
        if main_beads and os.path.isfile(main_jsonl):
            with open(main_jsonl, "rb") as fh:
                data = fh.read()  # issues from before sync-branch mode move along
        from bd.store.jsonl import atomic_write

        atomic_write(jsonl_path, data)


def commit(path: str, message: str, *, dry_run: bool = False) -> str | None:
    """Commit the worktree's ``.beads`` data (hooks off); the new short id or None."""
    from bd.git import runner as git

    names = [os.path.join(".beads", n) for n in ("issues.jsonl", "config.yaml", ".gitignore",
                                                  "interactions.jsonl", ".gitattributes",
                                                  "README.md", "metadata.json")]
    present = [n for n in names if os.path.exists(os.path.join(path, n))
               or git.is_tracked(n, path)]
    if not present or not steps.status_lines(path, present):
        return None
    if dry_run:
        return "(dry run)"
    git.require_identity(path)
    git.run(["add", "-A", "--sparse", "--", *present], path)
    git.run([*NO_HOOKS, "commit", "--quiet", "--no-verify", "-m", message, "--", *present],
            path)
    return git.out(["rev-parse", "--short", "HEAD"], path)


# -- init, sync, merge, health --------------------------------------------------------------

def sync(main_beads: str, branch: str, *, message: str | None = None, do_pull: bool = True,
         do_push: bool = True, dry_run: bool = False) -> Any:
    from bd.git import runner as git

    root = os.path.dirname(os.path.abspath(main_beads))
    if is_worktree_dir(main_beads):
        path = os.path.dirname(os.path.abspath(main_beads))
        repo = path
    else:
        repo = root
        path = ensure_worktree(repo, branch, main_beads)
    report = steps.SyncReport("sync-branch", path, branch)
    report.dry_run = dry_run
    jsonl_rel = os.path.join(".beads", "issues.jsonl")
    jsonl.check(os.path.join(path, jsonl_rel))
    report.committed = commit(path, message or steps.default_message(), dry_run=dry_run)
    remote = remote_name(repo)
    if remote is None:
        report.skipped.append("pull and push: this repository has no remote")
        return report
    if dry_run:
        report.notes.append(f"would pull from and push to {remote}/{branch}")
        return report
    if do_pull:
        report.merged_remote = pull(path, remote, branch, report)
        report.pulled = True
        jsonl.check(os.path.join(path, jsonl_rel))
    else:
        report.skipped.append("pull (--no-pull)")
    if do_push:
        has_remote = git.ok(["rev-parse", "--verify", "--quiet",
                             f"refs/remotes/{remote}/{branch}"], path)

        ahead = steps.ahead_behind(path, f"{remote}/{branch}")[0] if has_remote else 1
        if ahead:
            push_env = {"BD_SYNC_IN_PROGRESS": "1"}
            try:
                steps.push(path, remote, branch, jsonl_rel, set_upstream=not has_remote,
                     env=push_env)
            except BdError:
                # someone pushed meanwhile: merge theirs (same engine) and try again
                pull(path, remote, branch, report)
                steps.push(path, remote, branch, jsonl_rel, env=push_env)
            report.pushed = True
    else:
        report.skipped.append("push (--no-push)")
    return report


def pull(path: str, remote: str, branch: str, report: Any = None) -> bool:
    """Bring ``remote/branch`` into the worktree: fast-forward, or a merge commit whose JSONL
    is the merge engine's result.  Never resets or rebases.  True when anything came in."""
    from bd.core import merge
    from bd.git import driver
    from bd.git import runner as git

    fetched = git.run(["fetch", "--quiet", remote, branch], path, check=False)
    ref = f"refs/remotes/{remote}/{branch}"
    if fetched.returncode != 0 or not git.ok(["rev-parse", "--verify", "--quiet", ref], path):
        return False  # the branch is not on the remote yet: the first push creates it

    ahead, behind = steps.ahead_behind(path, ref)
    if not behind:
        return False
    if not ahead:
        git.run([*NO_HOOKS, "merge", "--quiet", "--ff-only", ref], path)
        return True
    jsonl_rel = ".beads/issues.jsonl"
    base_commit = git.out(["merge-base", "HEAD", ref], path)
    base = git.show_blob(path, f"{base_commit}:{jsonl_rel}") or b""
    ours = git.show_blob(path, f"HEAD:{jsonl_rel}") or b""
    theirs = git.show_blob(path, f"{ref}:{jsonl_rel}") or b""
    settings = driver.load_settings(path)
    result = merge.merge_bytes(base, ours, theirs, ttl=settings["ttl"])
    if report is not None:
        report.add_merge(result)  # ours (HEAD) is this clone's side: "left"
    git.require_identity(path)
    git.run([*NO_HOOKS, "merge", "--quiet", "--no-ff", "--no-commit", ref], path,
            check=False, env={"GIT_MERGE_AUTOEDIT": "no"})

    others = [p for p in steps.conflicted(path) if p != jsonl_rel]
    if others:
        git.run(["merge", "--abort"], path, check=False)
        raise SyncBranchError(f"the sync branch has conflicts outside .beads/ "
                              f"({', '.join(others[:3])}); nothing was changed")
    from bd.store.jsonl import atomic_write

    atomic_write(os.path.join(path, jsonl_rel), result.data)
    git.run(["add", "--sparse", "--", jsonl_rel], path)
    git.run([*NO_HOOKS, "commit", "--quiet", "--no-verify", "-m",
             f"bd sync: merge {remote}/{branch} ({ahead} local + {behind} remote commits)"],
            path)
    return True


def merge_into_current(repo: str, branch: str, *, dry_run: bool = False) -> str:
    """``bd sync --merge``: merge the sync branch into the checked-out branch (the user asked;
    this is the one sync step that changes their branch).  Requires a clean work tree."""
    from bd.git import runner as git

    if not git.ok(["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], repo):
        raise SyncBranchError(f"no local branch {branch!r} to merge")
    dirty = [p for code, p in steps.status_lines(repo, ["."]) if not code.startswith("??")]
    if dirty:
        raise SyncBranchError(f"the work tree has uncommitted changes ({', '.join(dirty[:3])});"
                              " commit or stash them before bd sync --merge")
    if dry_run:
        return f"would merge {branch} into {git.current_branch(repo)}"
    git.require_identity(repo)
    # A sync branch started in a repository without commits has a history of its own.
    proc = git.run(["merge", "--no-ff", "--no-edit", "--allow-unrelated-histories", "-m",
                    f"Merge sync branch '{branch}'", branch], repo, check=False,
                   env={"GIT_MERGE_AUTOEDIT": "no"})
    if proc.returncode != 0:

        if not steps.conflicted(repo):
            raise SyncBranchError(git.failure(f"git merge {branch} failed",
                                              proc.stderr or proc.stdout,
                                              "your branch is as it was"))
        if not steps.settle_jsonl_conflicts(repo, ".beads/issues.jsonl"):
            git.run(["merge", "--abort"], repo, check=False)
            raise SyncBranchError(f"merging {branch} stopped on conflicts in files other than "
                                  ".beads/issues.jsonl; the merge was aborted")
    return f"merged {branch} into {git.current_branch(repo)}"


def check_health(main_beads: str) -> list[tuple[str, str]]:
    """Problems with sync-branch mode as (level, message); empty when healthy or unused."""
    from bd.git import runner as git

    branch = branch_from_config(main_beads)
    if branch is None:
        return []
    problems: list[tuple[str, str]] = []
    try:
        validate_branch(branch)
    except SyncBranchError as exc:
        return [("error", str(exc))]
    repo = os.path.dirname(os.path.abspath(main_beads))
    path = worktree_path(repo, branch)
    if not os.path.isdir(path):
        problems.append(("warn", f"the sync worktree {path} is missing (bd recreates it on "
                                 "the next command)"))
    elif not _registered(repo, path):
        problems.append(("warn", f"the sync worktree {path} is not registered with git "
                                 "(bd repairs it on the next command)"))
    elif not os.path.isfile(os.path.join(path, ".beads", "issues.jsonl")):
        problems.append(("error", f"the sync worktree {path} has no .beads/issues.jsonl"))
    if git.current_branch(repo) == branch:
        problems.append(("warn", f"the sync branch {branch!r} is checked out here; bd commits "
                                 "to it directly"))
    return problems
