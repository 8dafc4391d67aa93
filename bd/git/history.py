"""``bd history ID``: an issue's changes across every clone, read from the git history of
the JSONL, plus this clone's changes not committed yet.

Each commit that touched the file is turned once into per-issue entries (fields changed, old
and new values) and the result is kept in ``.beads/history.db`` (git-ignored, disposable),
keyed by commit; later calls only read the commits that arrived since.  Only commits that
touched the file are walked (``rev-list -- <path>``); their diffs come from git (``-U0``, so
only the changed lines are parsed).  A merge commit contributes only what differs from every
parent (what the merge itself decided: a conflict settled, an issue renumbered); the rest
is already in the commits it merged.

An issue is followed by identity (``created_at``, ``created_by``) as well as id: entries of
the ids listed in its ``renumbered_from`` belong to it only when they are about it, so two
issues that once shared an id keep their histories apart.
"""

from __future__ import annotations

import json
import os
import sqlite3

from bd.core import codec
from bd.core.renumber import RENUMBERED, identity
from bd.core.timeutil import ts_key
from bd.git import runner as git

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

CACHE_NAME = "history.db"
_FORMAT = 1  # bump when the stored entries change shape
_SKIP = frozenset({"updated_at"})  # bookkeeping: changes with every edit, says nothing alone
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS commits(sha TEXT PRIMARY KEY, author TEXT, email TEXT,
    time INTEGER, subject TEXT);
CREATE TABLE IF NOT EXISTS entries(sha TEXT, issue_id TEXT, ident TEXT, kind TEXT,
    changes TEXT);
CREATE INDEX IF NOT EXISTS entries_issue ON entries(issue_id);
"""


def _ident(rec: dict[str, Any]) -> str:
    return "\x00".join(identity(rec))


def _records(lines: list[bytes], name: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        if not line.strip():
            continue
        try:
            rec = codec.parse_line(line, name, 0)
        except Exception:  # noqa: BLE001 - history is read as it was, broken lines included
            continue
        if isinstance(rec.get("id"), str):
            out[rec["id"]] = rec
    return out


def _diff_sides(text: bytes) -> tuple[list[bytes], list[bytes]]:
    """Removed and added lines of a ``-U0`` diff of one file."""
    old, new = [], []
    for line in text.split(b"\n"):
        if line.startswith(b"-") and not line.startswith(b"--- "):
            old.append(line[1:])
        elif line.startswith(b"+") and not line.startswith(b"+++ "):
            new.append(line[1:])
    return old, new


def entries_of(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
               ) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    """(issue id, identity, kind, changes) for every issue whose record differs."""
    out: list[tuple[str, str, str, list[dict[str, Any]]]] = []
    for rid in sorted(old.keys() | new.keys()):
        before, after = old.get(rid), new.get(rid)
        if after is None:
            assert before is not None
            out.append((rid, _ident(before), "removed", []))
            continue
        if before is None or _ident(before) != _ident(after):
            olds = after.get(RENUMBERED)
            kind = "renumbered" if isinstance(olds, list) and olds else "created"
            changes = [{"field": k, "old": None, "new": v} for k, v in after.items()
                       if k not in ("id", "created_at", "created_by") and k not in _SKIP]
            out.append((rid, _ident(after), kind, changes))
            continue
        changes = [{"field": k, "old": before.get(k), "new": after.get(k)}
                   for k in dict.fromkeys([*before, *after])
                   if k not in _SKIP and before.get(k) != after.get(k)]
        if not changes:
            continue
        status = after.get("status")
        kind = ("deleted" if status == "tombstone" and before.get("status") != "tombstone"
                else "closed" if status == "closed" and before.get("status") != "closed"
                else "reopened" if before.get("status") == "closed" and status != "closed"
                else "changed")
        out.append((rid, _ident(after), kind, changes))
    return out


class History:
    """The history cache of one workspace (its data directory)."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = data_dir
        self.jsonl = os.path.join(data_dir, "issues.jsonl")
        self.repo = git.toplevel(data_dir)
        rel = os.path.relpath(os.path.realpath(self.jsonl), os.path.realpath(self.repo))
        self.rel = rel.replace(os.sep, "/")
        self.conn = sqlite3.connect(os.path.join(data_dir, CACHE_NAME), timeout=30)
        self.conn.executescript(_SCHEMA)
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != str(_FORMAT):
            with self.conn:
                self.conn.execute("DELETE FROM commits")
                self.conn.execute("DELETE FROM entries")
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)",
                                  (str(_FORMAT),))
                self.conn.execute("DELETE FROM meta WHERE key = 'head'")

    def close(self) -> None:
        self.conn.close()

    # -- filling the cache -------------------------------------------------------------------

    def update(self) -> int:
        """Read the commits that touched the JSONL since the last call; returns how many."""
        head = git.run(["rev-parse", "--verify", "--quiet", "HEAD"], self.repo,
                       check=False).stdout.decode().strip()
        if not head:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()
        if row is not None and row[0] == head:
            return 0
        spec = [head]
        if row is not None and git.ok(["merge-base", "--is-ancestor", row[0], head], self.repo):
            spec.append("^" + row[0])
        listing = git.out(["rev-list", "--full-history", "--parents", *spec, "--", self.rel],
                          self.repo)
        known = {r[0] for r in self.conn.execute("SELECT sha FROM commits")}
        todo = []
        for line in listing.splitlines():
            sha, *parents = line.split()
            if sha not in known:
                todo.append((sha, parents))
        todo.reverse()  # oldest first: entries of one second keep their order (rowid)
        with self.conn:
            if todo:
                self._read_commits(todo)
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (head,))
        return len(todo)

    def _read_commits(self, todo: list[tuple[str, list[str]]]) -> None:
        shas = [sha for sha, _ in todo]
        meta = git.run(["log", "--no-walk=unsorted", "--stdin", "--format=%H%x00%an%x00%ae"
                        "%x00%at%x00%s"], self.repo,
                       input="\n".join(shas).encode()).stdout.decode("utf-8", "replace")
        for line in meta.splitlines():
            sha, name, email, at, subject = (line.split("\x00") + [""] * 5)[:5]
            self.conn.execute("INSERT OR REPLACE INTO commits VALUES (?, ?, ?, ?, ?)",
                              (sha, name, email, int(at or 0), subject))
        plain = [sha for sha, parents in todo if len(parents) <= 1]
        if plain:
            self._read_plain(plain)
        for sha, parents in todo:
            if len(parents) > 1:
                self._read_merge(sha, parents)

    def _read_plain(self, shas: list[str]) -> None:
        proc = git.run(["-c", "core.quotepath=off", "log", "--no-walk=unsorted", "--stdin",
                        "-p", "-U0", "--no-renames", "--no-ext-diff", "--no-textconv",
                        "--no-color", "--format=%x00commit %H", "--", self.rel], self.repo,
                       input="\n".join(shas).encode())
        for block in proc.stdout.split(b"\x00commit ")[1:]:
            sha, _, diff = block.partition(b"\n")
            old, new = _diff_sides(diff)
            self._store(sha.decode().strip(), _records(old, "history"),
                        _records(new, "history"))

    def _read_merge(self, sha: str, parents: list[str]) -> None:
        per_parent = []
        for parent in parents:
            diff = git.run(["-c", "core.quotepath=off", "diff", "-U0", "--no-renames",
                            "--no-ext-diff", "--no-textconv", "--no-color", parent, sha, "--",
                            self.rel], self.repo).stdout
            old, new = _diff_sides(diff)
            per_parent.append((_records(old, "history"), _records(new, "history")))
        # only what the merge decided: the issue's line differs from every parent's
        decided = set.intersection(*(set(old) | set(new) for old, new in per_parent))
        first_old, first_new = per_parent[0]
        self._store(sha, {k: v for k, v in first_old.items() if k in decided},
                    {k: v for k, v in first_new.items() if k in decided}, merge=True)

    def _store(self, sha: str, old: dict[str, dict[str, Any]],
               new: dict[str, dict[str, Any]], merge: bool = False) -> None:
        rows = []
        for rid, ident, kind, changes in entries_of(old, new):
            if merge and kind == "changed":
                kind = "merged"
            rows.append((sha, rid, ident, kind, json.dumps(changes, ensure_ascii=False)))
        self.conn.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?)", rows)

    # -- reading -------------------------------------------------------------------------------

    def entries(self, rid: str, rec: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The committed entries about the issue ``rid`` (whose current record is ``rec``),
        oldest first; entries under its earlier ids count when they are about it."""
        ids = [rid]
        olds = (rec or {}).get(RENUMBERED)
        if isinstance(olds, list):
            ids += [x for x in olds if isinstance(x, str)]
        mine = _ident(rec) if rec is not None else None
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            "SELECT e.sha, e.issue_id, e.ident, e.kind, e.changes, c.author, c.email, c.time, "
            f"c.subject FROM entries e JOIN commits c ON c.sha = e.sha WHERE e.issue_id IN "
            f"({marks}) ORDER BY c.time, e.rowid", ids).fetchall()
        out = []
        for sha, issue_id, ident, kind, changes, author, email, when, subject in rows:
            if mine is not None and ident != mine:
                continue  # another issue that had (or has) this id
            out.append({"commit": sha, "id": issue_id, "kind": kind, "author": author,
                        "email": email, "time": _iso(when), "subject": subject,
                        "changes": json.loads(changes)})
        return out


def _iso(epoch: int) -> str:
    import datetime as _dt

    return _dt.datetime.fromtimestamp(epoch, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_history(store: Any, rid: str, *, limit: int | None = None) -> dict[str, Any]:
    """The issue's history: ``entries`` from git (every clone's committed changes) and
    ``local``, this clone's logged events not committed yet.  Outside a git repository
    (or before the first commit) every logged event is local."""
    rec = store.get(rid)
    entries: list[dict[str, Any]] = []
    in_git = git.try_toplevel(store.beads_dir) is not None
    last_commit = None
    if in_git:
        hist = History(store.beads_dir)
        try:
            hist.update()
            entries = hist.entries(rid, rec)
        finally:
            hist.close()
        last_commit = _last_commit_time(store.beads_dir)
    events = store.events(rid)
    if last_commit is not None:
        since = ts_key(last_commit) or 0  # git times are whole seconds: >= keeps that second
        events = [e for e in events if (ts_key(str(e.get("created_at") or "")) or 0) >= since]
        if not _uncommitted(store.beads_dir, rid):
            events = []
    if limit:
        entries = entries[-limit:]
        events = events[-limit:]
    return {"issue": rid, "git": in_git, "entries": entries, "local": events}


def _last_commit_time(data_dir: str) -> str | None:
    repo = git.toplevel(data_dir)
    rel = os.path.relpath(os.path.realpath(os.path.join(data_dir, "issues.jsonl")),
                          os.path.realpath(repo))
    proc = git.run(["log", "-1", "--format=%at", "--", rel], repo, check=False)
    text = proc.stdout.decode().strip()
    return _iso(int(text)) if text else None


def _uncommitted(data_dir: str, rid: str) -> bool:
    """The issue's line differs between HEAD and the work tree."""
    repo = git.toplevel(data_dir)
    path = os.path.join(data_dir, "issues.jsonl")
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(repo)).replace(os.sep, "/")
    committed = git.show_blob(repo, f"HEAD:{rel}") or b""
    try:
        with open(path, "rb") as fh:
            working = fh.read()
    except OSError:
        working = b""
    return _line_of(committed, rid) != _line_of(working, rid)


def _line_of(raw: bytes, rid: str) -> bytes | None:
    needle = b'{"id":"' + rid.encode("utf-8") + b'"'
    at = raw.find(needle)
    if at != 0 and at != -1:
        at = raw.find(b"\n" + needle)
        at = at + 1 if at != -1 else -1
    if at == -1:
        return None
    end = raw.find(b"\n", at)
    return raw[at:end if end != -1 else len(raw)]
