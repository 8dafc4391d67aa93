"""``bd sync``: commit the issue data, pull (git's merge or rebase, with bd's merge driver),
refresh the cache, push.

Rules that make it safe next to a user's own work:

* the only paths bd stages or commits are its data files under ``.beads/``; the commit is a
  pathspec commit, so whatever the user has staged stays staged and uncommitted;
* bd never resets, checks out, stashes or reverts anything; a pull that stops on a conflict
  outside ``.beads/`` is aborted, which returns the branch to where it was;
* a rejected push is retried after another pull a bounded number of times;
* without a remote or an upstream the commit stays local and the report says what was skipped.

In sync-branch mode (``sync.branch``) the same cycle runs inside bd's own worktree of that
branch (``bd.git.syncbranch``); the user's work tree, index and HEAD are never touched.
"""

from __future__ import annotations

import os
import time
TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

from bd.git import runner as git
from bd.errors import BdError

PUSH_ATTEMPTS = 4
# Files under .beads/ that hold shared issue data; everything else there is either local
# (the cache, locks, the event log) or the user's to commit (config.yaml, README).
DATA_FILES = ("issues.jsonl", "interactions.jsonl")
_UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


class SyncError(BdError):
    """bd sync stopped; the message says what state the repository was left in."""


class SyncReport:
    """What a sync did, step by step (rendered by the CLI, also as JSON)."""

    def __init__(self, mode: str, repo: str, branch: str | None) -> None:
        self.mode = mode
        self.repo = repo
        self.branch = branch
        self.committed: str | None = None
        self.pulled = False
        self.pushed = False
        self.merged_remote = False
        self.skipped: list[str] = []
        self.notes: list[str] = []
        self.dry_run = False

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "repo": self.repo, "branch": self.branch,
                "committed": self.committed, "pulled": self.pulled, "pushed": self.pushed,
                "skipped": self.skipped, "notes": self.notes, "dry_run": self.dry_run}


def default_message() -> str:
    return "bd sync: " + time.strftime("%Y-%m-%d %H:%M:%S")


def status_lines(repo: str, pathspec: list[str]) -> list[tuple[str, str]]:
    """``git status --porcelain`` rows (code, path) limited to ``pathspec``."""
    proc = git.run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--",
                    *pathspec], repo)
    rows = []
    items = proc.stdout.decode("utf-8", "replace").split("\0")
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if len(item) < 4:
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":
            i += 1  # the rename source follows
        rows.append((code, path))
    return rows


def preflight(repo: str) -> None:
    """Refuse to start on top of an unfinished merge or rebase."""
    gitdir = git.git_dir(repo)
    for marker, what in (("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"),
                         ("rebase-apply", "a rebase"), ("CHERRY_PICK_HEAD", "a cherry-pick")):
        if os.path.exists(os.path.join(gitdir, marker)):
            raise SyncError(f"{what} is in progress in {repo}; finish or abort it first "
                            "(bd resolve-conflicts rebuilds a conflicted issues.jsonl)")
    unmerged = [p for code, p in status_lines(repo, ["."]) if code in _UNMERGED]
    if unmerged:
        raise SyncError(f"unmerged paths in {repo}: {', '.join(unmerged[:5])}; resolve them "
                        "first")


def commit_data(repo: str, beads_rel: str, message: str, *, dry_run: bool = False,
                no_verify: bool = False) -> str | None:
    """Stage and commit bd's data files only; returns the new commit id (None: nothing)."""
    paths = [os.path.join(beads_rel, name) if beads_rel not in ("", ".") else name
             for name in DATA_FILES]
    present = [p for p in paths if os.path.exists(os.path.join(repo, p))
               or git.is_tracked(p, repo)]
    if not present:
        return None
    changed = [p for code, p in status_lines(repo, present)]
    if not changed:
        return None
    if dry_run:
        return "(dry run)"
    git.run(["add", "-A", "--", *present], repo)
    args = ["commit", "--quiet", "-m", message]
    if no_verify:
        args.append("--no-verify")
    proc = git.run([*args, "--", *present], repo, check=False)
    if proc.returncode != 0:
        raise SyncError(f"git commit failed: {git.first_line(proc.stderr or proc.stdout)} "
                        "(nothing was pulled or pushed; your files are as they were)")
    return git.out(["rev-parse", "--short", "HEAD"], repo)


def ahead_behind(repo: str, ref: str) -> tuple[int, int]:
    proc = git.run(["rev-list", "--left-right", "--count", f"HEAD...{ref}"], repo, check=False)
    if proc.returncode != 0:
        return 0, 0
    left, _, right = proc.stdout.decode().strip().partition("\t")
    return int(left or 0), int(right or 0)


def _conflicted(repo: str) -> list[str]:
    return [p for code, p in status_lines(repo, ["."]) if code in _UNMERGED]


def _settle_jsonl_conflicts(repo: str, jsonl_rel: str) -> bool:
    """After a pull stopped on conflicts: if the JSONL is the only conflicted path, rebuild it
    with the merge engine, stage it and continue the merge or rebase (repeatedly, for a
    rebase of several commits).  Returns False when other paths conflict."""
    from bd.git import resolve

    for _ in range(200):
        conflicted = _conflicted(repo)
        if not conflicted:
            return True
        if conflicted != [jsonl_rel]:
            return False
        resolve.resolve_file(os.path.join(repo, jsonl_rel))
        env = {"GIT_EDITOR": "true"}
        if git.rebase_in_progress(repo):
            proc = git.run(["-c", "core.editor=true", "rebase", "--continue"], repo,
                           check=False, env=env)
        else:
            proc = git.run(["commit", "--no-edit", "--quiet"], repo, check=False, env=env)
        if proc.returncode != 0 and not _conflicted(repo):
            raise SyncError(f"could not continue after resolving {jsonl_rel}: "
                            f"{git.first_line(proc.stderr or proc.stdout)}")
    return False


def _abort_pull(repo: str) -> None:
    if git.rebase_in_progress(repo):
        git.run(["rebase", "--abort"], repo, check=False)
    elif os.path.exists(os.path.join(git.git_dir(repo), "MERGE_HEAD")):
        git.run(["merge", "--abort"], repo, check=False)


def pull(repo: str, remote: str, branch: str, jsonl_rel: str) -> None:
    """``git pull REMOTE BRANCH`` in the user's own mode (merge or rebase)."""
    mode = [] if git.config_get("pull.rebase", repo) is not None else ["--no-rebase"]
    proc = git.run(["pull", "--quiet", "--no-edit", *mode, remote, branch], repo, check=False,
                   env={"GIT_EDITOR": "true", "GIT_MERGE_AUTOEDIT": "no"})
    if proc.returncode == 0:
        return
    message = git.first_line(proc.stderr or proc.stdout)
    if _conflicted(repo):
        if _settle_jsonl_conflicts(repo, jsonl_rel):
            return
        _abort_pull(repo)
        raise SyncError("git pull stopped on conflicts outside .beads/; the pull was aborted "
                        "and your branch is as it was (your issue commit is kept). Pull and "
                        "resolve those yourself, then run bd sync again")
    raise SyncError(f"git pull failed: {message} (your issue commit is kept locally)")


def push(repo: str, remote: str, branch: str, jsonl_rel: str,
         set_upstream: bool = False, env: dict[str, str] | None = None) -> None:
    """Push, pulling and retrying when the remote moved on (never forces)."""
    for attempt in range(PUSH_ATTEMPTS):
        args = ["push", "--quiet", "--porcelain"]
        if set_upstream:
            args.append("--set-upstream")
        proc = git.run([*args, remote, f"HEAD:refs/heads/{branch}"], repo, check=False,
                       env=env)
        if proc.returncode == 0:
            return
        text = (proc.stderr + proc.stdout).decode("utf-8", "replace")
        rejected = any(w in text for w in ("non-fast-forward", "fetch first", "rejected"))
        if not rejected or attempt == PUSH_ATTEMPTS - 1:
            raise SyncError(f"git push failed: {git.first_line(proc.stderr or proc.stdout)} "
                            "(your commits are kept locally; run bd sync again)")
        pull(repo, remote, branch, jsonl_rel)
        time.sleep(0.05 * (attempt + 1))


def sync(beads_dir: str, *, message: str | None = None, do_pull: bool = True,
         do_push: bool = True, dry_run: bool = False) -> SyncReport:
    """One full sync of the workspace at ``beads_dir`` (regular or sync-branch mode).

    The workspace lock is held throughout: git commits the JSONL and a pull rewrites it, and
    a bd write in this clone landing between git's steps would be lost (overwritten by the
    merge, or committed nowhere), so writers wait instead.  Git hooks that run meanwhile
    (post-merge after the pull, pre-push) see ``BD_SYNC_IN_PROGRESS=1`` and leave the work
    (and the lock) to this process.
    """
    from bd.store.lock import WorkspaceLock
    from bd.git.syncbranch import data_dir

    previous = os.environ.get("BD_SYNC_IN_PROGRESS")
    os.environ["BD_SYNC_IN_PROGRESS"] = "1"
    try:
        with WorkspaceLock(os.path.join(data_dir(beads_dir), ".bd.lock")):
            return _sync(beads_dir, message=message, do_pull=do_pull, do_push=do_push,
                         dry_run=dry_run)
    finally:
        if previous is None:
            os.environ.pop("BD_SYNC_IN_PROGRESS", None)
        else:
            os.environ["BD_SYNC_IN_PROGRESS"] = previous


def _sync(beads_dir: str, *, message: str | None, do_pull: bool, do_push: bool,
          dry_run: bool) -> SyncReport:
    from bd.git import syncbranch

    branch_cfg = syncbranch.configured_branch(beads_dir)
    if branch_cfg is not None:
        return syncbranch.sync(beads_dir, branch_cfg, message=message, do_pull=do_pull,
                               do_push=do_push, dry_run=dry_run)
    repo = git.toplevel(beads_dir)
    branch = git.current_branch(repo)
    report = SyncReport("regular", repo, branch)
    report.dry_run = dry_run
    beads_rel = os.path.relpath(os.path.realpath(beads_dir), os.path.realpath(repo))
    if beads_rel.startswith(".."):
        raise SyncError(f"{beads_dir} is not inside the repository {repo}")
    jsonl_rel = os.path.join(beads_rel, "issues.jsonl")
    preflight(repo)
    _check_jsonl(os.path.join(repo, jsonl_rel))
    report.committed = commit_data(repo, beads_rel, message or default_message(),
                                   dry_run=dry_run)
    if branch is None:
        report.skipped.append("pull and push: HEAD is detached")
        return report
    up = git.upstream(repo)
    if up is None:
        if not git.remotes(repo):
            report.skipped.append("pull and push: this repository has no remote")
        else:
            report.skipped.append(f"pull and push: branch {branch} has no upstream "
                                  f"(git push -u <remote> {branch} once, then bd sync)")
        return report
    remote, _, remote_branch = up.partition("/")
    if dry_run:
        report.notes.append(f"would pull from and push to {up}")
        return report
    if do_pull:
        before = git.out(["rev-parse", "HEAD"], repo)
        pull(repo, remote, remote_branch, jsonl_rel)
        from bd.core.merge import take_recorded_notes

        report.notes.extend(take_recorded_notes(repo))
        report.pulled = True
        report.merged_remote = git.out(["rev-parse", "HEAD"], repo) != before
        _check_jsonl(os.path.join(repo, jsonl_rel))
    else:
        report.skipped.append("pull (--no-pull)")
    if do_push:
        ahead, _ = ahead_behind(repo, up)
        if ahead:
            push(repo, remote, remote_branch, jsonl_rel)
            report.pushed = True
    else:
        report.skipped.append("push (--no-push)")
    return report


def _check_jsonl(path: str) -> None:
    """The JSONL must be readable before bd commits or after it pulls."""
    from bd.core import codec as jsonl

    jsonl.Lines(path, jsonl.read_bytes(path))


def status(main_beads: str) -> dict[str, Any]:
    """Where the data is synced to and how far local and remote have drifted."""
    from bd.git import syncbranch

    branch_cfg = syncbranch.configured_branch(main_beads)
    if branch_cfg is not None:
        repo = os.path.dirname(os.path.abspath(main_beads))
        path = syncbranch.worktree_path(repo, branch_cfg)
        remote = syncbranch.remote_name(repo)
        work, ref, rel = path, f"{remote}/{branch_cfg}" if remote else None, ".beads"
        mode, branch = "sync-branch", branch_cfg
    else:
        work = git.toplevel(main_beads)
        branch = git.current_branch(work)
        ref = git.upstream(work)
        rel = os.path.relpath(os.path.realpath(main_beads), os.path.realpath(work))
        mode = "regular"
    out: dict[str, Any] = {"mode": mode, "branch": branch, "upstream": ref}
    if os.path.isdir(work):
        names = [os.path.join(rel, n) for n in DATA_FILES]
        out["uncommitted"] = [p for _, p in status_lines(work, names)]
        if ref and git.ok(["rev-parse", "--verify", "--quiet", ref], work):
            out["ahead"], out["behind"] = ahead_behind(work, ref)
    return out
