"""An application table whose foreign key has no ON DELETE action must not break bd."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import bd, bdj


def test_restricting_app_fk_does_not_fail_refresh(repo: Path) -> None:
    keep = bd("create", "keep me", "--silent", cwd=repo).stdout.strip()
    gone = bd("create", "remove me", "--silent", cwd=repo).stdout.strip()
    db = repo / ".beads" / "beads.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("CREATE TABLE app_refs(issue_id TEXT REFERENCES issues(id))")
    conn.executemany("INSERT INTO app_refs VALUES (?)", [(keep,), (gone,)])
    conn.commit()
    conn.close()
    jsonl = repo / ".beads" / "issues.jsonl"
    lines = [line for line in jsonl.read_text().splitlines() if f'"id":"{gone}"' not in line]
    jsonl.write_text("\n".join(lines) + "\n")
    result = bd("list", "--json", cwd=repo)
    assert "application table references it" in result.stderr
    ids = [r["id"] for r in bdj("list", "--all", cwd=repo)]
    assert ids == [keep]
    assert [r["id"] for r in bdj("ready", cwd=repo)] == [keep]
    conn = sqlite3.connect(db)
    assert sorted(r[0] for r in conn.execute("SELECT issue_id FROM app_refs")) == sorted(
        [keep, gone])
