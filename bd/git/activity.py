"""What the git history says about recent issue activity (``bd stats``'s "Recent Activity"):
the commits of the last N hours that touched the JSONL, and what their added lines did."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from bd.core.timeutil import parse_ts
from bd.errors import BdError
from bd.git import gitfiles

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _record(line: str) -> dict[str, Any] | None:
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("id"), str) else None


def _recent(rec: dict[str, Any], key: str, since: datetime) -> bool:
    value = rec.get(key)
    if not isinstance(value, str):
        return False
    try:
        when = parse_ts(value)
    except (BdError, ValueError):
        return False
    return when is not None and when >= since


CACHE_FILE = "bd-activity.json"  # in the git dir (never committed): (HEAD, hour) -> counts


def _head(cwd: str) -> tuple[str, str] | None:
    """(git dir, HEAD's commit id) read from the git files (no subprocess: ``bd stats`` is
    a hot path); None when the layout is not the plain one (the caller skips the cache)."""
    dirs = gitfiles.git_dirs(cwd)
    if dirs is None:
        return None
    gitdir, common = dirs
    head = gitfiles.read_text(os.path.join(gitdir, "HEAD"))
    if not head:
        return None
    if not head.startswith("ref: "):
        return gitdir, head
    ref = head[5:]
    for base in dict.fromkeys((gitdir, common)):
        sha = gitfiles.read_text(os.path.join(base, ref))
        if sha:
            return gitdir, sha
        packed = gitfiles.read_text(os.path.join(base, "packed-refs")) or ""
        for line in packed.splitlines():
            if line.endswith(" " + ref):
                return gitdir, line.split(" ", 1)[0]
    return None


def recent_activity(jsonl_path: str, hours: int = 24,
                    now: datetime | None = None) -> dict[str, Any] | None:
    """Counts over the commits of the last ``hours`` that touched ``jsonl_path``; None when
    the file is not in a git repository (or git cannot answer).  The answer is cached per
    HEAD commit and hour, so repeated ``bd stats`` calls do not re-read the history."""
    cwd = os.path.dirname(os.path.abspath(jsonl_path))
    found = _head(cwd) if now is None else None
    cache_path = os.path.join(found[0], CACHE_FILE) if found else ""
    key = (f"{found[1]}:{os.path.abspath(jsonl_path)}:{hours}:"
           f"{int(datetime.now(UTC).timestamp()) // 3600}") if found else None
    if key is not None:
        try:
            cached = json.loads(gitfiles.read_text(cache_path) or "{}")
        except ValueError:
            cached = {}
        if cached.get("key") == key:
            return cached.get("activity")  # type: ignore[no-any-return]
    result = _compute(jsonl_path, cwd, hours, now)
    if key is not None:
        from bd.store.jsonl import atomic_write

        try:
            atomic_write(cache_path, json.dumps({"key": key, "activity": result}).encode())
        except OSError:
            pass  # a read-only workspace: no cache, same answer
    return result


def _compute(jsonl_path: str, cwd: str, hours: int,
             now: datetime | None) -> dict[str, Any] | None:
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=hours)
    try:
        from bd.git import runner  # subprocess: only when the cached answer is stale

        proc = runner.run(["log", f"--since={hours} hours ago", "-p", "--format=commit %H",
                           "--no-color", "--no-ext-diff", "--", os.path.basename(jsonl_path)],
                          cwd, check=False)
    except BdError:
        return None
    if proc.returncode != 0:
        return None
    out = {"hours_tracked": hours, "commit_count": 0, "issues_created": 0, "issues_closed": 0,
           "issues_updated": 0, "issues_reopened": 0, "total_changes": 0}
    removed: dict[str, dict[str, Any]] = {}
    added: list[dict[str, Any]] = []

    def flush() -> None:
        for rec in added:
            out["total_changes"] += 1
            before = removed.get(rec["id"])
            status = rec.get("status")
            if before is None and _recent(rec, "created_at", since):
                out["issues_created"] += 1
            elif status == "closed" and (before is None or before.get("status") != "closed"):
                out["issues_closed"] += 1
            elif before is not None and before.get("status") == "closed" and status != "closed":
                out["issues_reopened"] += 1
            else:
                out["issues_updated"] += 1
        removed.clear()
        added.clear()

    for raw in proc.stdout.decode("utf-8", "replace").splitlines():
        if raw.startswith("commit "):
            flush()
            out["commit_count"] += 1
        elif raw.startswith("+") and not raw.startswith("+++"):
            rec = _record(raw[1:])
            if rec is not None:
                added.append(rec)
        elif raw.startswith("-") and not raw.startswith("---"):
            rec = _record(raw[1:])
            if rec is not None:
                removed[rec["id"]] = rec
    flush()
    return out
