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

from bd.git import runner as git
from bd.git.steps import (
    DATA_FILES,
    SyncError,
    SyncReport,
    ahead_behind,
    commit_data,
    default_message,
    preflight,
    pull,
    push,
    status_lines,
)
from bd.store import jsonl, workspace

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def sync(beads_dir: str, *, message: str | None = None, do_pull: bool = True,
         do_push: bool = True, dry_run: bool = False, actor: str | None = None,
         store: Any = None) -> SyncReport:
    """One full sync of the workspace at ``beads_dir`` (regular or sync-branch mode).

    The workspace lock is held throughout: git commits the JSONL and a pull rewrites it, and
    a bd write in this clone landing between git's steps would be lost (overwritten by the
    merge, or committed nowhere), so writers wait instead.  Git hooks that run meanwhile
    (post-merge after the pull, pre-push) see ``BD_SYNC_IN_PROGRESS=1`` and leave the work
    (and the lock) to this process.  ``store``: the Store of the data directory, when the
    caller already holds its lock (a claim through the remote).

    The report says what the sync settled across clones: fields both sides changed (and
    the value each rule dropped), claims this clone's actors no longer hold, and issues this
    clone knew under an id that now names another issue.
    """
    from bd.store.store import Store
    from bd.store.workspace import data_dir

    own = store is None
    if store is None:
        store = Store(data_dir(beads_dir), actor=actor)
    try:
        with syncing(), store.lock:
            before = _read(store.jsonl_path)
            report = _sync(beads_dir, message=message, do_pull=do_pull, do_push=do_push,
                           dry_run=dry_run)
            if report.pulled:
                learn_outcomes(report, store, before, _read(store.jsonl_path))
            return report
    finally:
        if own:
            store.close()


class syncing:  # noqa: N801 - a context manager, named like one
    """``BD_SYNC_IN_PROGRESS=1`` for the hooks git runs meanwhile (they leave the work to
    this process); restored afterwards."""

    def __enter__(self) -> None:
        self.previous = os.environ.get("BD_SYNC_IN_PROGRESS")
        os.environ["BD_SYNC_IN_PROGRESS"] = "1"

    def __exit__(self, *exc: object) -> None:
        if self.previous is None:
            os.environ.pop("BD_SYNC_IN_PROGRESS", None)
        else:
            os.environ["BD_SYNC_IN_PROGRESS"] = self.previous


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return b""


def learn_outcomes(report: SyncReport, store: Any, before: bytes, after: bytes) -> None:
    """Lost claims and renumberings, from this clone's JSONL before and after the sync
    (whichever clone ran the merge); a renumbering also moves this clone's logged events of
    the issue to its new id, so local history stays with the issue."""
    from bd.core import outcomes
    from bd.core.timeutil import now_ts
    from bd.store import eventlog

    if before == after:
        return
    actors = eventlog.claim_actors(store.events_path) | {store.actor}
    report.lost_claims.extend(outcomes.lost_claims(before, after, actors))
    moves = outcomes.renumberings(before, after)
    for row in moves:
        report.add_renumbering(row["from"], row["to"], row["title"], yours=True)
    if moves and eventlog.rekey(store.events_path, {r["from"]: r["to"] for r in moves},
                                note_time=now_ts(), actor=store.actor):
        eventlog.reload_cache(store)


def _sync(beads_dir: str, *, message: str | None, do_pull: bool, do_push: bool,
          dry_run: bool) -> SyncReport:
    from bd.git import syncbranch

    branch_cfg = workspace.configured_branch(beads_dir)
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
    jsonl.check(os.path.join(repo, jsonl_rel))
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
        pull(repo, remote, remote_branch, jsonl_rel, report)
        from bd.git.driver import take_recorded_notes

        take_recorded_notes(repo)  # the driver's account; the report has the sync's own
        report.pulled = True
        report.merged_remote = git.out(["rev-parse", "HEAD"], repo) != before
        jsonl.check(os.path.join(repo, jsonl_rel))
    else:
        report.skipped.append("pull (--no-pull)")
    if do_push:
        ahead, _ = ahead_behind(repo, up)
        if ahead:
            push(repo, remote, remote_branch, jsonl_rel, report=report)
            report.pushed = True
    else:
        report.skipped.append("push (--no-push)")
    return report


def status(main_beads: str) -> dict[str, Any]:
    """Where the data is synced to and how far local and remote have drifted."""
    from bd.git import syncbranch

    branch_cfg = workspace.configured_branch(main_beads)
    if branch_cfg is not None:
        repo = os.path.dirname(os.path.abspath(main_beads))
        path = syncbranch.worktree_path(repo, branch_cfg)
        remote = syncbranch.remote_name(repo)
        work, rel = path, ".beads"
        ref: str | None = f"{remote}/{branch_cfg}" if remote else None
        branch: str | None = branch_cfg
        mode = "sync-branch"
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
