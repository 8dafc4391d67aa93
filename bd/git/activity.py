"""What the git history says about recent issue activity (``bd stats``'s "Recent Activity"):
the commits of the last N hours that touched the JSONL, and what their added lines did."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from bd.core.timeutil import parse_ts
from bd.errors import BdError
from bd.git import runner

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


def recent_activity(jsonl_path: str, hours: int = 24,
                    now: datetime | None = None) -> dict[str, Any] | None:
    """Counts over the commits of the last ``hours`` that touched ``jsonl_path``; None when
    the file is not in a git repository (or git cannot answer)."""
    cwd = os.path.dirname(os.path.abspath(jsonl_path))
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=hours)
    try:
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
