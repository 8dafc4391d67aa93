"""Rebuilding a JSONL file that contains git conflict markers, with the merge engine.

Preferred source: git's index stages ``:1:`` (base), ``:2:`` (ours), ``:3:`` (theirs) of the
conflicted path.  When the index has no stages (markers were committed, or the file was
copied), the two sides are reconstructed from the marker blocks themselves: lines outside a
block belong to both sides, a ``|||||||`` section (diff3 style) is the base.
"""

from __future__ import annotations

import os

from bd.core import merge
from bd.errors import DataError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_OPEN, _BASE, _SEP, _CLOSE = b"<<<<<<<", b"|||||||", b"=======", b">>>>>>>"


def has_markers(raw: bytes) -> bool:
    return any(line.startswith((_OPEN, _SEP, _CLOSE)) for line in raw.split(b"\n"))


def split_markers(raw: bytes, path: str = "issues.jsonl") -> tuple[bytes, bytes, bytes]:
    """(base, ours, theirs) reconstructed from conflict blocks.

    Without diff3 sections the base of a block is empty, so the engine treats both sides'
    lines there as additions (nothing inside a block is dropped).
    """
    base: list[bytes] = []
    ours: list[bytes] = []
    theirs: list[bytes] = []
    state = None  # None outside a block, else "ours" / "base" / "theirs"
    opened = 0
    for n, line in enumerate(raw.split(b"\n"), 1):
        if line.startswith(_OPEN):
            if state is not None:
                raise DataError("nested conflict marker", path=path, line=n)
            state, opened = "ours", n
        elif line.startswith(_BASE) and state == "ours":
            state = "base"
        elif line.startswith(_SEP) and state in ("ours", "base"):
            state = "theirs"
        elif line.startswith(_CLOSE) and state == "theirs":
            state = None
        elif line.startswith((_OPEN, _BASE, _SEP, _CLOSE)):
            raise DataError("conflict marker out of place", path=path, line=n)
        elif not line.strip():
            continue
        elif state is None:
            base.append(line)
            ours.append(line)
            theirs.append(line)
        elif state == "ours":
            ours.append(line)
        elif state == "base":
            base.append(line)
        else:
            theirs.append(line)
    if state is not None:
        raise DataError("conflict block is never closed", path=path, line=opened)

    def join(lines: list[bytes]) -> bytes:
        return b"".join(line + b"\n" for line in lines)

    return join(base), join(ours), join(theirs)


def stages_from_git(path: str) -> tuple[bytes, bytes, bytes] | None:
    """The index stages of a conflicted ``path`` (None when git holds no conflict for it)."""
    from bd.git import runner as git

    directory = os.path.dirname(os.path.abspath(path))
    try:
        top = git.toplevel(directory)
    except git.GitError:
        return None
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
    proc = git.run(["ls-files", "-u", "--", rel], top, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    stages: dict[str, bytes] = {}
    for row in proc.stdout.decode("utf-8", "replace").splitlines():
        meta, _, _name = row.partition("\t")
        parts = meta.split()
        if len(parts) == 3:
            blob = git.run(["cat-file", "blob", parts[1]], top, check=False)
            if blob.returncode == 0:
                stages[parts[2]] = blob.stdout
    if "2" not in stages and "3" not in stages:
        return None
    return stages.get("1", b""), stages.get("2", b""), stages.get("3", b"")


def resolve_file(path: str, *, dry_run: bool = False, ttl: float = merge.DEFAULT_TTL_DAYS,
                 now_ns: int | None = None, actor: str | None = None,
                 rekey: bool = True) -> dict[str, Any]:
    """Rebuild a conflicted JSONL in place. Returns a report: source, counts, the fields
    both sides changed (kept and dropped values), claims of this clone's actors that did not
    survive, issues moved to another id, and the engine's other notes.  ``rekey``: move
    this clone's logged events of an issue renumbered away from it to the new id."""
    from bd.core import outcomes
    from bd.store import eventlog, jsonl
    from bd.store.store import default_actor

    raw = jsonl.read_bytes(path)
    staged = stages_from_git(path)
    if staged is not None:
        source = "git index stages"
        base, ours, theirs = staged
    elif has_markers(raw):
        source = "conflict markers"
        base, ours, theirs = split_markers(raw, path)
    else:
        return {"path": path, "resolved": False, "source": None,
                "issues": raw.count(b"\n"), "renamed": {}, "conflicts": [],
                "lost_claims": [], "renumbered": [], "notes": ["no conflict to resolve"],
                "dry_run": dry_run}
    res = merge.merge_bytes(base, ours, theirs, now_ns=now_ns, ttl=ttl,
                            names=("base", "ours", "theirs"))
    # In a rebase git's "ours" is the branch being rebased onto: this clone's side is theirs.
    local_side = "right" if _rebasing(path) else "left"
    local = theirs if local_side == "right" else ours
    events = os.path.join(os.path.dirname(os.path.abspath(path)), "events.jsonl")
    actor = actor or default_actor()
    moves = outcomes.renumberings(local, res.data)
    renumbered = [{**r, "yours": True} for r in moves]
    for row in res.renumbered:
        if not any((m["from"], m["to"]) == (row["from"], row["to"]) for m in moves):
            renumbered.append({"from": row["from"], "to": row["to"], "title": row["title"],
                               "yours": row["side"] == local_side})
    from bd.git.steps import other_notes

    report = {"path": path, "resolved": True, "source": source,
              "issues": res.data.count(b"\n"), "renamed": res.renamed,
              "conflicts": outcomes.conflict_rows(res.details, local_side),
              "lost_claims": outcomes.lost_claims(
                  local, res.data, eventlog.claim_actors(events) | {actor}),
              "renumbered": renumbered, "notes": other_notes(res), "dry_run": dry_run}
    if dry_run:
        return report
    jsonl.atomic_write(path, res.data)
    if moves and rekey:  # (bd sync passes False: it moves the events itself, once)
        from bd.core.timeutil import now_ts

        # the caller reloads the cache's copy of the log (Store.reload_events)
        eventlog.rekey(events, {r["from"]: r["to"] for r in moves}, note_time=now_ts(),
                       actor=actor)
    if staged is not None:
        from bd.git import runner as git

        directory = os.path.dirname(os.path.abspath(path))
        git.run(["add", "--", os.path.basename(path)], directory)
    return report


def _rebasing(path: str) -> bool:
    from bd.git import runner as git

    try:
        return git.rebase_in_progress(os.path.dirname(os.path.abspath(path)))
    except git.GitError:
        return False
