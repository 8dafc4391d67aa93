"""The steps of ``bd sync`` that both modes share (the user's branch, and bd's worktree of
the sync branch): git status of bd's paths, committing only the data files, pulling in the
user's own mode with conflicts on the JSONL settled by the merge engine, pushing with
retries, and the report of what happened.
"""

from __future__ import annotations

import os
import time

from bd.errors import BdError
from bd.git import resolve
from bd.git import runner as git

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

PUSH_ATTEMPTS = 4
# Files under .beads/ that hold shared issue data; everything else there is either local
# (the cache, locks, the event log) or the user's to commit (config.yaml, README).
# .gitattributes: the audit log's merge=union line (bd/memory/audit.py) lives in .beads/.
DATA_FILES = ("issues.jsonl", "interactions.jsonl", ".gitattributes")
_UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


class SyncError(BdError):
    """bd sync stopped; the message says what state the repository was left in."""

    multiline = True


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
        # fields both sides changed differently: {issue, field, kept, dropped, dropped_from,
        # rule}; claims this clone's actors lost: {issue, actor, holder}; issues that moved
        # to another id: {from, to, title, yours}
        self.conflicts: list[dict[str, Any]] = []
        self.lost_claims: list[dict[str, Any]] = []
        self.renumbered: list[dict[str, Any]] = []

    def add_merge(self, res: Any) -> None:
        """Take the details of a merge of (base, local, remote) this sync computed."""
        from bd.core.outcomes import conflict_rows

        self.conflicts.extend(conflict_rows(res.details, "left"))
        self.notes.extend(n for n in other_notes(res) if n not in self.notes)
        for row in res.renumbered:
            self.add_renumbering(row["from"], row["to"], row.get("title"),
                                 yours=row.get("side") == "left")

    def add_renumbering(self, old: str, new: str, title: Any, *, yours: bool) -> None:
        for row in self.renumbered:
            if (row["from"], row["to"]) == (old, new):
                row["yours"] = row["yours"] or yours
                return
        self.renumbered.append({"from": old, "to": new, "title": title, "yours": yours})

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "repo": self.repo, "branch": self.branch,
                "committed": self.committed, "pulled": self.pulled, "pushed": self.pushed,
                "conflicts": self.conflicts, "lost_claims": self.lost_claims,
                "renumbered": self.renumbered,
                "skipped": self.skipped, "notes": self.notes, "dry_run": self.dry_run}


def other_notes(res: Any) -> list[str]:
    """A merge's notes that the structured rows (conflicts, renumbered) do not already say."""
    covered = {f"{d['id']}: {d['field']} changed on both sides; {d['rule']}"
               for d in res.details}
    moved = {r["from"] for r in res.renumbered}
    return [n for n in res.notes if n not in covered
            and not (n.partition(":")[0] in moved and "two different issues" in n)]


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
    git.require_identity(repo)
    git.run(["add", "-A", "--", *present], repo)
    args = ["commit", "--quiet", "-m", message]
    if no_verify:
        args.append("--no-verify")
    proc = git.run([*args, "--", *present], repo, check=False)
    if proc.returncode != 0:
        raise SyncError(git.failure("git commit failed", proc.stderr or proc.stdout,
                                    "nothing was pulled or pushed; your files are as they were"))
    return git.out(["rev-parse", "--short", "HEAD"], repo)


def ahead_behind(repo: str, ref: str) -> tuple[int, int]:
    proc = git.run(["rev-list", "--left-right", "--count", f"HEAD...{ref}"], repo, check=False)
    if proc.returncode != 0:
        return 0, 0
    left, _, right = proc.stdout.decode().strip().partition("\t")
    return int(left or 0), int(right or 0)


def conflicted(repo: str) -> list[str]:
    return [p for code, p in status_lines(repo, ["."]) if code in _UNMERGED]


def settle_jsonl_conflicts(repo: str, jsonl_rel: str) -> bool:
    """After a pull stopped on conflicts: if the JSONL is the only conflicted path, rebuild it
    with the merge engine, stage it and continue the merge or rebase (repeatedly, for a
    rebase of several commits).  Returns False when other paths conflict."""
    for _ in range(200):
        paths = conflicted(repo)
        if not paths:
            return True
        if paths != [jsonl_rel]:
            return False
        resolve.resolve_file(os.path.join(repo, jsonl_rel), rekey=False)
        env = {"GIT_EDITOR": "true"}
        if git.rebase_in_progress(repo):
            proc = git.run(["-c", "core.editor=true", "rebase", "--continue"], repo,
                           check=False, env=env)
        else:
            proc = git.run(["commit", "--no-edit", "--quiet"], repo, check=False, env=env)
        if proc.returncode != 0 and not conflicted(repo):
            raise SyncError(git.failure(f"could not continue after resolving {jsonl_rel}",
                                        proc.stderr or proc.stdout))
    return False


def _abort_pull(repo: str) -> None:
    if git.rebase_in_progress(repo):
        git.run(["rebase", "--abort"], repo, check=False)
    elif os.path.exists(os.path.join(git.git_dir(repo), "MERGE_HEAD")):
        git.run(["merge", "--abort"], repo, check=False)


def merge_details(cwd: str, ours: str, theirs: str, jsonl_rel: str) -> Any:
    """The merge engine's account of merging commit ``theirs`` into ``ours``, computed in
    process (git's driver may have run in a rebase, with the sides swapped, or once per
    rebased commit); None when one side contains the other."""
    from bd.core import merge
    from bd.git.driver import load_settings

    base = git.run(["merge-base", ours, theirs], cwd, check=False).stdout.decode().strip()
    if not base or base in (ours, theirs):
        return None
    blobs = [git.show_blob(cwd, f"{c}:{jsonl_rel}") or b"" for c in (base, ours, theirs)]
    try:
        return merge.merge_bytes(*blobs, ttl=load_settings(cwd)["ttl"],
                                 names=("base", "local", "remote"))
    except BdError:
        return None  # the pull itself judged these files; the report is best effort


def pull(repo: str, remote: str, branch: str, jsonl_rel: str,
         report: SyncReport | None = None) -> None:
    """``git pull REMOTE BRANCH`` in the user's own mode (merge or rebase); with ``report``,
    the fields both sides changed go into it."""
    mode = [] if git.config_get("pull.rebase", repo) is not None else ["--no-rebase"]
    before = git.out(["rev-parse", "HEAD"], repo) if report is not None else ""
    proc = git.run(["pull", "--quiet", "--no-edit", *mode, remote, branch], repo, check=False,
                   env={"GIT_EDITOR": "true", "GIT_MERGE_AUTOEDIT": "no"})
    if proc.returncode == 0 or (conflicted(repo) and settle_jsonl_conflicts(repo, jsonl_rel)):
        if report is not None:
            fetched = git.run(["rev-parse", "--verify", "--quiet", "FETCH_HEAD"], repo,
                              check=False).stdout.decode().strip()
            res = merge_details(repo, before, fetched, jsonl_rel) if fetched else None
            if res is not None:
                report.add_merge(res)
        return
    said = proc.stderr or proc.stdout
    if conflicted(repo):
        _abort_pull(repo)
        raise SyncError("git pull stopped on conflicts outside .beads/; the pull was aborted "
                        "and your branch is as it was (your issue commit is kept). Pull and "
                        "resolve those yourself, then run bd sync again")
    raise SyncError(git.failure("git pull failed", said, "your issue commit is kept locally"))


def push(repo: str, remote: str, branch: str, jsonl_rel: str,
         set_upstream: bool = False, env: dict[str, str] | None = None,
         report: SyncReport | None = None) -> None:
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
            raise SyncError(git.failure("git push failed", proc.stderr or proc.stdout,
                                        "your commits are kept locally; run bd sync again"))
        pull(repo, remote, branch, jsonl_rel, report)
        time.sleep(0.05 * (attempt + 1))
