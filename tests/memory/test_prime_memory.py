"""What bd prime says about agent memory: a compaction hint when the closed backlog is
large, nothing when it is small; the primer stays within its token budget either way."""

from __future__ import annotations

from pathlib import Path

from compactgen import generate, write_repo
from conftest import bd, bdj

from bd.agents.prime import PRIME_BUDGET_TOKENS


def test_prime_mentions_compaction_for_a_large_closed_backlog(tmp_path: Path) -> None:
    recs, _ = generate(300)  # 120 issues closed 45+ days ago, never compacted
    root = write_repo(tmp_path / "big", recs)
    text = bd("prime", cwd=root).stdout
    assert "Compaction: 120 issues closed over 30 days ago" in text
    assert "bd admin compact --analyze --json" in text
    assert bdj("prime", cwd=root)["tokens"] <= PRIME_BUDGET_TOKENS


def test_prime_is_quiet_about_compaction_for_a_small_backlog(tmp_path: Path) -> None:
    recs, _ = generate(100)  # 40 old closed issues: below the threshold
    root = write_repo(tmp_path / "small", recs)
    assert "Compaction:" not in bd("prime", cwd=root).stdout
