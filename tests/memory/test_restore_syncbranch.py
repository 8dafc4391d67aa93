"""Compaction and restore in sync-branch mode: the full record lives on the sync branch (in
bd's worktree), so compacted_at_commit is that branch's commit and restore reads it there;
the user's branch, index and working tree are never touched."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import bd, bdj, git


def test_compact_and_restore_on_the_sync_branch(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    git("init", "-q", cwd=root)
    git("commit", "-q", "--allow-empty", "-m", "root", cwd=root)
    bd("init", "--prefix", "s", "--branch", "beads-sync", cwd=root)
    rid = bd("create", "Old work", "-d", "A long account " * 20, "--design", "The design",
             "--silent", cwd=root).stdout.strip()
    bd("close", rid, cwd=root)
    jsonl = Path(bdj("where", cwd=root)["jsonl"])
    assert str(tmp_path / "proj" / ".git") in str(jsonl.resolve())  # bd's worktree
    jsonl.write_text(re.sub(r'"closed_at":"[^"]*"', '"closed_at":"2024-01-01T00:00:00Z"',
                            jsonl.read_text()))
    bd("sync", "-m", "issues", cwd=root)
    original = jsonl.read_bytes()
    head_before = git("rev-parse", "HEAD", cwd=root)
    sync_head = git("rev-parse", "beads-sync", cwd=root).strip()
    res = bdj("admin", "compact", "--apply", "--id", rid, "--summary", "-", cwd=root,
              input="Summarised.")
    assert res["compacted_at_commit"] == sync_head
    bd("sync", "-m", "compacted", cwd=root)
    assert git("rev-parse", "beads-sync", cwd=root).strip() != sync_head
    shown = bdj("restore", rid, cwd=root)
    assert shown["commit"] == sync_head
    assert (shown["line"] + "\n").encode() in original.splitlines(keepends=True)
    assert json.loads(shown["line"])["design"] == "The design"
    res = bdj("restore", rid, "--apply", cwd=root)
    assert res["applied"] and res["exact"]
    assert jsonl.read_bytes() == original
    assert git("rev-parse", "HEAD", cwd=root) == head_before  # the user's branch untouched
