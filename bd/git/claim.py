"""``bd update ID --claim --sync``: a claim that holds across clones.

Plain ``--claim`` is a compare-and-swap inside one clone (the workspace lock).  Across clones
the only shared, ordered thing is the remote branch, and git already offers a compare-and-swap
on it: a push that is not a fast-forward is refused.  So a claim through the remote:

1. syncs (commit this clone's issue changes, pull, push), so the remote has what this clone
   knows and this clone has what the remote knows;
2. fetches the branch tip T, reads the issue's holder in T's JSONL and refuses when someone
   holds it (naming them);
3. builds a commit on T that changes only the issue's line (plumbing: the user's work tree,
   index and HEAD are not touched) and pushes it as a fast-forward of T;
4. on a refused push (someone else pushed since T), goes back to 2 with the new tip;
5. once pushed, pulls it in like any sync, and logs the claim in this clone's events.

Of two clones racing, both build a commit on the same T; the remote takes one, refuses the
other, and the loser's second look at the tip finds the winner's name.  The workspace lock is
held throughout, so this clone's own writers wait.  Works in main-branch mode (the branch's
upstream) and sync-branch mode (the sync branch, from bd's worktree).
"""

from __future__ import annotations

import os
import random
import tempfile
import time

from bd.errors import BdError, ClaimError
from bd.git import runner as git

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

ATTEMPTS = 30


class ClaimResult:
    """The claimed record, the sync report of the way there, and how many pushes it took."""

    def __init__(self, record: dict[str, Any], report: Any, attempts: int, remote: str,
                 commit: str) -> None:
        self.record = record
        self.report = report
        self.attempts = attempts
        self.remote = remote
        self.commit = commit


def _where(beads_dir: str) -> tuple[str, str, str, str]:
    """(git work dir, remote, branch, JSONL path relative to it) of the shared data."""
    from bd.git import syncbranch
    from bd.store.workspace import configured_branch

    branch_cfg = configured_branch(beads_dir)
    if branch_cfg is not None:
        repo = git.toplevel(os.path.dirname(os.path.abspath(beads_dir)))
        path = syncbranch.ensure_worktree(repo, branch_cfg, beads_dir)
        remote = syncbranch.remote_name(repo)
        if remote is None:
            raise BdError("--claim --sync needs a remote: this repository has none (plain "
                          "--claim claims within this clone)")
        return path, remote, branch_cfg, ".beads/issues.jsonl"
    repo = git.toplevel(beads_dir)
    up = git.upstream(repo)
    if up is None:
        raise BdError("--claim --sync needs the current branch to track a remote branch "
                      "(git push -u <remote> <branch> once); plain --claim claims within "
                      "this clone")
    remote, _, branch = up.partition("/")
    rel = os.path.relpath(os.path.realpath(os.path.join(beads_dir, "issues.jsonl")),
                          os.path.realpath(repo))
    return repo, remote, branch, rel.replace(os.sep, "/")


def _commit_file(cwd: str, parent: str, rel: str, data: bytes, message: str) -> str:
    """A commit on ``parent`` whose tree differs only in ``rel`` (a private index: the
    user's index and work tree are not touched)."""
    blob = git.out(["hash-object", "-w", "--stdin"], cwd, input=data)
    with tempfile.TemporaryDirectory(prefix="bd-claim-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        git.run(["read-tree", parent], cwd, env=env)
        git.run(["update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}"], cwd, env=env)
        tree = git.out(["write-tree"], cwd, env=env)
    return git.out(["commit-tree", tree, "-p", parent, "-m", message], cwd)


def _tip(cwd: str, remote: str, branch: str) -> str:
    proc = git.run(["fetch", "--quiet", remote, branch], cwd, check=False)
    if proc.returncode != 0:
        raise BdError(f"--claim --sync: git fetch {remote} {branch} failed: "
                      f"{git.first_line(proc.stderr or proc.stdout)}")
    return git.out(["rev-parse", "FETCH_HEAD"], cwd)


def claim_through_remote(beads_dir: str, rid: str, *, actor: str | None = None,
                         attempts: int = ATTEMPTS) -> ClaimResult:
    """Claim ``rid`` for ``actor`` with the remote branch as the arbiter (see the module
    docstring).  Raises ClaimError naming the holder when someone else has it; then this
    clone has pulled the tip that names them.  Whatever the sync on the way learned (lost
    claims, renumberings) is in ``ClaimResult.report``, or in the error's ``report``."""
    from bd.core import claims, model
    from bd.core.timeutil import now_ts
    from bd.git import sync
    from bd.store.store import Store
    from bd.store.workspace import data_dir

    store = Store(data_dir(beads_dir), actor=actor)
    report = None
    try:
        with sync.syncing(), store.lock:
            report = sync.sync(beads_dir, message=f"bd sync: before claiming {rid}",
                               store=store)
            cwd, remote, branch, rel = _where(beads_dir)
            rng = random.Random()
            for attempt in range(1, attempts + 1):
                tip = _tip(cwd, remote, branch)
                raw = git.show_blob(cwd, f"{tip}:{rel}")
                if raw is None:
                    raise BdError(f"--claim --sync: {remote}/{branch} has no {rel}")
                now = now_ts()
                try:
                    data, old, new = claims.claim(raw, rid, store.actor, now,
                                                  f"{remote}/{branch}:{rel}")
                except ClaimError:  # someone holds it: let this clone see who
                    _bring_in(beads_dir, store, cwd, remote, branch, rel, report)
                    raise
                commit = _commit_file(cwd, tip, rel, data,
                                      f"bd: {store.actor} claims {rid}")
                proc = git.run(["push", "--quiet", "--porcelain", remote,
                                f"{commit}:refs/heads/{branch}"], cwd, check=False)
                if proc.returncode == 0:
                    break
                text = (proc.stderr + proc.stdout).decode("utf-8", "replace")
                if not any(w in text for w in ("non-fast-forward", "fetch first", "rejected")):
                    raise BdError(f"--claim --sync: git push failed: "
                                  f"{git.first_line(proc.stderr or proc.stdout)}")
                time.sleep(rng.uniform(0.01, 0.05 * attempt))
            else:
                raise ClaimError(f"could not claim {rid}: {remote}/{branch} kept moving "
                                 f"({attempts} pushes refused); try again", issue_id=rid)
            _bring_in(beads_dir, store, cwd, remote, branch, rel, report)
            store.log_events([{
                "issue_id": rid, "event_type": "claimed", "actor": store.actor,
                "old_value": model.encode_json(old),
                "new_value": model.encode_json({"assignee": store.actor,
                                                "status": "in_progress"}),
                "comment": f"claimed through {remote}/{branch} ({commit[:7]})",
                "created_at": now}])
            record = store.get(rid)
            return ClaimResult(record, report, attempt, f"{remote}/{branch}", commit)
    except BdError as exc:
        exc.report = report  # type: ignore[attr-defined]
        raise
    finally:
        store.close()


def _bring_in(beads_dir: str, store: Any, cwd: str, remote: str, branch: str, rel: str,
              report: Any) -> None:
    """Pull the remote tip into this clone like a sync does (and learn what it settled)."""
    from bd.git import steps, sync, syncbranch
    from bd.store.workspace import configured_branch

    before = sync._read(store.jsonl_path)
    if configured_branch(beads_dir) is not None:
        syncbranch.pull(cwd, remote, branch, report)
    else:
        steps.pull(cwd, remote, branch, rel, report)
    sync.learn_outcomes(report, store, before, sync._read(store.jsonl_path))
