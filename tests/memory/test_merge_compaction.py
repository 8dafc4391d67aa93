"""Compacted records through the merge driver: one side compacted, the other edited.

An edit of anything but the long text (a label, a comment, a reopen) merges field by field
with the compaction; an edit of the long text sets the compaction aside so the edit lands on
the full text (the issue becomes a candidate again).  The answer is the same whichever side
is "ours"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bd.core import merge
from bd.core.timeutil import ts_key

NOW = ts_key("2026-06-01T00:00:00Z")
T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"

BASE = {"id": "t-1", "title": "Cache bug", "description": "A long description " * 20,
        "design": "Design notes " * 10, "acceptance_criteria": "Tests pass",
        "notes": "Investigated the cache", "status": "closed", "priority": 1,
        "issue_type": "bug", "created_at": T0, "updated_at": T0, "closed_at": T0,
        "close_reason": "fixed", "labels": ["cache"],
        "dependencies": [{"issue_id": "t-1", "depends_on_id": "t-2", "type": "blocks",
                          "created_at": T0}]}
OTHER = {"id": "t-2", "title": "Other", "status": "open", "priority": 2, "issue_type": "task",
         "created_at": T0, "updated_at": T0}


def compacted(at: str = T1) -> dict[str, Any]:
    rec = {k: v for k, v in BASE.items() if k not in ("design", "notes",
                                                      "acceptance_criteria")}
    rec.update(description="Summary: fixed the cache.", compaction_level=1, compacted_at=at,
               compacted_at_commit="a" * 40, original_size=600, updated_at=at)
    return rec


def jl(*recs: dict[str, Any]) -> bytes:
    return b"".join((json.dumps(r, separators=(",", ":")) + "\n").encode() for r in recs)


def both_ways(base: bytes, left: bytes, right: bytes) -> dict[str, Any]:
    one = merge.merge_bytes(base, left, right, now_ns=NOW)
    two = merge.merge_bytes(base, right, left, now_ns=NOW)
    assert one.data == two.data and one.clean
    return {json.loads(x)["id"]: json.loads(x) for x in one.data.splitlines()}


def test_compacted_vs_label_and_comment_keeps_both() -> None:
    edited = dict(BASE, labels=["cache", "perf"], updated_at=T2,
                  comments=[{"id": 1, "issue_id": "t-1", "author": "ann", "text": "see #4",
                             "created_at": T2}])
    got = both_ways(jl(BASE, OTHER), jl(compacted(), OTHER), jl(edited, OTHER))["t-1"]
    assert got["description"] == "Summary: fixed the cache."
    assert "design" not in got and "notes" not in got and "acceptance_criteria" not in got
    assert got["compaction_level"] == 1 and got["compacted_at_commit"] == "a" * 40
    assert got["labels"] == ["cache", "perf"] and got["comments"][0]["text"] == "see #4"
    assert got["dependencies"] == BASE["dependencies"] and got["updated_at"] == T2


def test_compacted_vs_reopen_keeps_the_reopen() -> None:
    reopened = dict(BASE, status="open", updated_at=T2)
    for key in ("closed_at", "close_reason"):
        reopened.pop(key)
    got = both_ways(jl(BASE), jl(compacted()), jl(reopened))["t-1"]
    # status: closed wins a true conflict only when both sides changed it; here only one did
    assert got["status"] == "open" and got["compaction_level"] == 1


def test_compacted_vs_text_edit_keeps_the_full_text_and_the_edit() -> None:
    edited = dict(BASE, notes="Investigated the cache\n\nRegressed again in 2.1", updated_at=T2)
    got = both_ways(jl(BASE), jl(compacted()), jl(edited))["t-1"]
    assert got["notes"] == "Investigated the cache\n\nRegressed again in 2.1"
    assert got["description"] == BASE["description"] and got["design"] == BASE["design"]
    assert "compaction_level" not in got and "compacted_at_commit" not in got
    # the edit was earlier than the compaction: still kept (no text is ever dropped)
    edited_early = dict(BASE, description="Rewritten description " * 5,
                        updated_at="2026-02-01T00:00:00Z")
    got = both_ways(jl(BASE), jl(compacted()), jl(edited_early))["t-1"]
    assert got["description"] == "Rewritten description " * 5
    assert got["acceptance_criteria"] == "Tests pass" and "original_size" not in got


def test_both_compacted_differently_takes_the_later() -> None:
    a, b = compacted(T1), dict(compacted(T2), description="Summary B.")
    got = both_ways(jl(BASE), jl(a), jl(b))["t-1"]
    assert got["description"] == "Summary B." and got["compacted_at"] == T2


def test_the_driver_process_merges_a_compaction(tmp_path: Path) -> None:
    """``bd merge %A %O %A %B`` as git runs it."""
    edited = dict(BASE, labels=["cache", "perf"], updated_at=T2)
    paths = {}
    for name, data in (("base", jl(BASE, OTHER)), ("ours", jl(compacted(), OTHER)),
                       ("theirs", jl(edited, OTHER))):
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    proc = subprocess.run([sys.executable, "-m", "bd", "merge", str(paths["ours"]),
                           str(paths["base"]), str(paths["ours"]), str(paths["theirs"])],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = {json.loads(x)["id"]: json.loads(x) for x in paths["ours"].read_text().splitlines()}
    assert got["t-1"]["compaction_level"] == 1 and got["t-1"]["labels"] == ["cache", "perf"]
    assert got["t-2"] == OTHER
