"""A generated workspace for the compaction tests: issues of known categories, so the
expected candidate counts and sizes are known by construction ("by hand")."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import bd, git

from bd.core import model

NOW = datetime.now(UTC)


def ts(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(rng: random.Random, words: int) -> str:
    vocab = ["cache", "merge", "driver", "lock", "timeout", "retry", "schema", "index",
             "refresh", "agent", "branch", "conflict", "tombstone", "label", "deadline",
             "naïve", "<tag>", "&amp;", "émoji 🎉"]
    return " ".join(rng.choice(vocab) for _ in range(words))


def size(rec: dict[str, Any]) -> int:
    return sum(len(rec.get(k, "").encode()) for k in model.TEXT_FIELDS)


def generate(n: int = 2000, seed: int = 15) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records and the expected figures: tier1/tier2 candidate ids and their text sizes."""
    rng = random.Random(seed)
    recs: list[dict[str, Any]] = []
    expect: dict[str, list[str]] = {"tier1": [], "tier2": []}
    for i in range(n):
        rid = f"t-{i:04d}"
        rec: dict[str, Any] = {
            "id": rid, "title": f"Issue {i} {text(rng, 3)}",
            "description": text(rng, rng.randint(20, 120)), "status": "open",
            "priority": i % 5, "issue_type": ("task", "bug", "feature")[i % 3],
            "created_at": ts(400), "created_by": "gen", "updated_at": ts(300)}
        if i % 4 == 0:
            rec["design"] = text(rng, 30)
        if i % 6 == 0:
            rec["notes"] = text(rng, 25)
        if i % 7 == 0:
            rec["acceptance_criteria"] = text(rng, 15)
        if i % 3 == 0:
            rec["labels"] = sorted({f"l{i % 11}", "gen"})
        kind = i % 10
        # 0,1: open; 2: closed 10 days ago (too recent); 3,4,5: closed 45 days ago (tier 1);
        # 6: closed 120 days ago (tier 1); 7: closed 120 days, level 1 (tier 2);
        # 8: closed 60 days, level 1 (neither); 9: closed 200 days but pinned (neither).
        closed = {2: 10, 3: 45, 4: 45, 5: 45, 6: 120, 7: 120, 8: 60, 9: 200}.get(kind)
        if closed is not None:
            rec.update(status="closed", closed_at=ts(closed), close_reason="done",
                       updated_at=ts(closed))
        if kind in (7, 8):
            rec.update(compaction_level=1, compacted_at=ts(closed or 0),
                       compacted_at_commit="0" * 40, original_size=size(rec) + 500)
        if kind == 9:
            rec["pinned"] = True
        recs.append(rec)
    # Dependencies: every 50th tier-1-looking issue is blocking an open issue (so it is not
    # a candidate); every 50th+25 is the parent of an open child, and some open issues block
    # on issues that are still open (irrelevant to compaction).
    by_id = {r["id"]: r for r in recs}
    blocked_by_open: set[str] = set()
    for i in range(3, n, 50):
        target, dependent = f"t-{i:04d}", f"t-{(i + 7) % n:04d}"  # kind 0: open
        by_id[dependent].setdefault("dependencies", []).append(
            {"issue_id": dependent, "depends_on_id": target, "type": "blocks",
             "created_at": ts(300), "created_by": "gen"})
        blocked_by_open.add(target)
    for i in range(28, n, 50):  # kind 8 -> use 25-offset: i % 10 == 8; pick kind 5 instead
        target = f"t-{i - 3:04d}"  # kind 5: closed 45 days
        child = f"t-{(i + 2) % n:04d}"  # kind 0: open
        by_id[child].setdefault("dependencies", []).append(
            {"issue_id": child, "depends_on_id": target, "type": "parent-child",
             "created_at": ts(300), "created_by": "gen"})
        blocked_by_open.add(target)
    for i in range(6, n, 100):  # a closed issue depending on another closed one: no effect
        a, b = f"t-{i:04d}", f"t-{i + 10:04d}"
        by_id[a].setdefault("dependencies", []).append(
            {"issue_id": a, "depends_on_id": b, "type": "blocks", "created_at": ts(300),
             "created_by": "gen"})
    for rec in recs:
        kind = int(rec["id"][2:]) % 10
        if kind in (3, 4, 5, 6) and rec["id"] not in blocked_by_open:
            expect["tier1"].append(rec["id"])
        if kind == 7:
            expect["tier2"].append(rec["id"])
    figures = {f"tier{t}": {"candidates": len(expect[f"tier{t}"]),
                            "total_size": sum(size(by_id[x]) for x in expect[f"tier{t}"]),
                            "ids": expect[f"tier{t}"]} for t in (1, 2)}
    return recs, figures


def write_repo(root: Path, recs: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git("init", "-q", cwd=root)
    bd("init", "--prefix", "t", cwd=root)
    (root / ".beads" / "issues.jsonl").write_bytes(b"".join(model.to_line(r) for r in recs))
    git("add", "-A", cwd=root)
    git("commit", "-qm", "generated issues", cwd=root)
    return root
