#!/usr/bin/env python3
"""Dispatch bd's ready work to a worker, recording each execution in the bd cache.

    python docs/examples/dispatch.py REPO [--limit N] [--worker NAME]

An example of extending bd (see docs/extending.md): the application keeps its own table,
``myapp_executions``, inside ``.beads/beads.db`` with a foreign key to bd's ``issues`` table,
asks bd for ready work, claims each issue atomically (losing a race is normal: another
worker got there first) and prints a JSON summary joined with bd's columns.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, datetime

import bd

SCHEMA = """
CREATE TABLE IF NOT EXISTS myapp_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    worker TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'dispatched',
    started_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_myapp_executions_issue ON myapp_executions(issue_id);
"""


def connect(store: bd.Store) -> sqlite3.Connection:
    """The application's own connection to bd's cache database."""
    store.ready(bd.ReadyFilter(limit=1))  # make sure the cache exists and is fresh
    conn = sqlite3.connect(store.db_path, timeout=30)
    conn.execute("PRAGMA foreign_keys = ON")  # per connection in SQLite; needed for CASCADE
    conn.executescript(SCHEMA)
    return conn


def dispatch(repo: str, *, limit: int, worker: str) -> dict[str, object]:
    store = bd.open(repo, actor=worker)
    with store:
        conn = connect(store)
        try:
            candidates = store.ready(bd.ReadyFilter(limit=limit, unassigned=True,
                                                    sort="priority"))
            claimed, lost = [], []
            for issue in candidates:
                try:
                    bd.update(store, issue["id"], claim=True)
                except bd.ClaimError as exc:  # someone else claimed it since we looked
                    lost.append({"id": issue["id"], "reason": str(exc)})
                    continue
                with conn:  # one transaction per row
                    conn.execute(
                        "INSERT INTO myapp_executions (issue_id, worker, started_at) "
                        "VALUES (?, ?, ?)",
                        (issue["id"], worker, datetime.now(UTC).isoformat()))
                claimed.append(issue["id"])
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT e.issue_id, i.title, i.priority, i.status, i.assignee, e.state "
                "FROM myapp_executions e JOIN issues i ON i.id = e.issue_id "
                "WHERE e.worker = ? ORDER BY e.id", (worker,)).fetchall()
        finally:
            conn.close()
    return {"worker": worker, "claimed": claimed, "lost": lost,
            "executions": [dict(row) for row in rows]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", help="project directory containing .beads/")
    parser.add_argument("--limit", type=int, default=3, help="issues to dispatch (default 3)")
    parser.add_argument("--worker", default="dispatcher", help="actor name used for claims")
    args = parser.parse_args(argv)
    try:
        summary = dispatch(args.repo, limit=args.limit, worker=args.worker)
    except bd.BdError as exc:
        print(json.dumps({"error": str(exc)}), file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
