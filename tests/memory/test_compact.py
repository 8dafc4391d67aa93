"""Compaction end to end through the real CLI on a generated 2,000-issue repository: stats
against the figures known by construction, analyze -> apply for 10 issues (only their lines
change, dependencies and labels kept), restore byte-identical from git."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from compactgen import generate, write_repo
from conftest import bd, bdj, git

from bd.core import model


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    recs, figures = generate(2000)
    root = write_repo(tmp_path_factory.mktemp("compact") / "repo", recs)
    return root, figures


def _lines(root: Path) -> list[bytes]:
    return (root / ".beads" / "issues.jsonl").read_bytes().splitlines(keepends=True)


def test_stats_match_the_figures_known_by_construction(big: tuple[Path, dict[str, Any]]) -> None:
    root, figures = big
    got = bdj("admin", "compact", "--stats", cwd=root)
    for tier, pct in (("tier1", 70), ("tier2", 95)):
        want = figures[tier]
        assert got[tier]["candidates"] == want["candidates"]
        assert got[tier]["total_size"] == want["total_size"]
        assert got[tier]["estimated_savings"] == want["total_size"] * pct // 100
    # By hand: kinds 3,4,5,6 of 10 are old enough (800 of 2000), minus 40 blocking an open
    # issue and 40 parents of an open child; kind 7 (200) is tier 2.
    assert got["tier1"]["candidates"] == 800 - 40 - 40
    assert got["tier2"]["candidates"] == 200
    text = bd("compact", "--stats", cwd=root).stdout  # the alias, human output
    assert f"Candidates: {figures['tier1']['candidates']}" in text


def test_analyze_apply_restore_ten(big: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, figures = big
    before = _lines(root)
    by_id = {json.loads(x)["id"]: x for x in before}
    found = bdj("admin", "compact", "--analyze", "--limit", "10", cwd=root)
    assert len(found) == 10
    assert {c["id"] for c in found} <= set(figures["tier1"]["ids"])
    head = git("rev-parse", "HEAD", cwd=root).strip()
    expected_lines = {}
    for c in found:
        old = json.loads(by_id[c["id"]])
        assert c["description"] == old["description"]  # the full text, for the agent
        assert c["size_bytes"] == sum(len(old.get(k, "").encode()) for k in model.TEXT_FIELDS)
        summary = f"**Summary:** {old['title'][:40]} was done."
        (tmp_path / f"{c['id']}.txt").write_text(summary + "\n")
        res = bdj("admin", "compact", "--apply", "--id", c["id"], "--summary",
                  str(tmp_path / f"{c['id']}.txt"), cwd=root)
        assert res["success"] and res["compacted_size"] == len(summary.encode())
        assert res["saved_bytes"] == c["size_bytes"] - len(summary.encode())
        new = json.loads(next(x for x in _lines(root) if json.loads(x)["id"] == c["id"]))
        want = {k: v for k, v in old.items() if k not in ("design", "notes",
                                                          "acceptance_criteria")}
        want.update(description=summary, compaction_level=1, compacted_at=new["compacted_at"],
                    compacted_at_commit=head, original_size=c["size_bytes"],
                    updated_at=new["updated_at"])
        assert new == want  # id, title, status, dates, labels, dependencies all kept
        expected_lines[c["id"]] = model.to_line(want)
    after = _lines(root)
    assert len(after) == len(before)
    changed = [a for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 10  # every other line byte-identical
    for line in after:
        rid = json.loads(line)["id"]
        if rid in expected_lines:
            assert line == expected_lines[rid]
    shrink = sum(len(by_id[r]) - len(expected_lines[r]) for r in expected_lines)
    assert shrink > 0
    assert sum(map(len, before)) - sum(map(len, after)) == shrink
    # a second apply of the same tier is refused: it is compacted already
    bad = bd("admin", "compact", "--apply", "--id", found[0]["id"], "--summary",
             str(tmp_path / f"{found[0]['id']}.txt"), cwd=root, check=False)
    assert bad.returncode == 1 and "already compacted" in bad.stderr
    git("commit", "-qam", "compacted ten", cwd=root)
    # restore: the exact original line from git, then written back byte for byte
    for c in found:
        shown = bdj("restore", c["id"], cwd=root)
        assert shown["commit"] == head and not shown["applied"]
        assert (shown["line"] + "\n").encode() == by_id[c["id"]]
    assert (root / ".beads" / "issues.jsonl").read_bytes() == b"".join(after)
    for c in found:
        res = bdj("restore", c["id"], "--apply", cwd=root)
        assert res["applied"] and res["exact"]
    assert _lines(root) == before  # the whole file is byte-identical to the original again


def test_apply_refusals_change_nothing(big: tuple[Path, dict[str, Any]],
                                       tmp_path: Path) -> None:
    root, figures = big
    data = (root / ".beads" / "issues.jsonl").read_bytes()
    summary = tmp_path / "s.txt"
    summary.write_text("short")
    cases = [
        (["--id", "t-0000"], "not closed"),             # open
        (["--id", "t-0002"], "not been closed for 30"),  # closed 10 days ago
        (["--id", "t-0009"], "pinned"),
        (["--id", "t-0003"], "open issues depend on it"),  # blocks an open issue
        (["--id", "t-0025"], "open issues depend on it"),  # parent of an open child
        (["--id", "t-0006", "--tier", "2"], "level 1"),   # tier 2 needs tier 1 first
    ]
    for extra, why in cases:
        proc = bd("admin", "compact", "--apply", "--summary", str(summary), *extra,
                  cwd=root, check=False)
        assert proc.returncode == 1 and why in proc.stderr, (extra, proc.stderr)
    long = tmp_path / "long.txt"
    long.write_text("x" * 100_000)
    proc = bd("admin", "compact", "--apply", "--id", figures["tier1"]["ids"][-1], "--summary",
              str(long), cwd=root, check=False)
    assert proc.returncode == 1 and "not shorter" in proc.stderr
    assert (root / ".beads" / "issues.jsonl").read_bytes() == data


def test_uncommitted_change_is_refused_then_forced(tmp_path: Path) -> None:
    recs, figures = generate(40)
    root = write_repo(tmp_path / "small", recs)
    rid = figures["tier1"]["ids"][0]
    bd("label", "add", rid, "late", cwd=root)  # changed after the last commit
    data = (root / ".beads" / "issues.jsonl").read_bytes()
    proc = bd("admin", "compact", "--apply", "--id", rid, "--summary", "-", input="short",
              cwd=root, check=False)
    assert proc.returncode == 1 and "not committed" in proc.stderr
    assert (root / ".beads" / "issues.jsonl").read_bytes() == data
    res = bdj("admin", "compact", "--apply", "--id", rid, "--summary", "-", "--force",
              input="short", cwd=root)
    assert res["success"]


def test_tier2_and_restore_follows_the_chain(tmp_path: Path) -> None:
    recs, figures = generate(40)
    root = write_repo(tmp_path / "chain", recs)
    rid = next(x for x in figures["tier1"]["ids"] if int(x[2:]) % 10 == 6)  # 120 days
    original = next(x for x in (root / ".beads" / "issues.jsonl").read_bytes().splitlines()
                    if json.loads(x)["id"] == rid)
    bdj("admin", "compact", "--apply", "--id", rid, "--summary", "-", cwd=root,
        input="Tier one summary of the work, still fairly detailed.")
    git("commit", "-qam", "tier 1", cwd=root)
    res = bdj("admin", "compact", "--apply", "--id", rid, "--tier", "2", "--summary", "-",
              cwd=root, input="Done.")
    assert res["tier"] == 2
    rec = bdj("show", rid, cwd=root)
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["compaction_level"] == 2
    orig = json.loads(original)
    assert rec["original_size"] == sum(len(orig.get(k, "").encode()) for k in model.TEXT_FIELDS)
    git("commit", "-qam", "tier 2", cwd=root)
    shown = bdj("restore", rid, cwd=root)
    assert len(shown["commits"]) == 2
    assert shown["line"].encode() == original
    # a later edit survives a restore: the text comes back, the comment stays
    bd("comments", "add", rid, "Looked at it again", cwd=root)
    res = bdj("restore", rid, "--apply", cwd=root)
    assert res["applied"] and not res["exact"] and "comments" in res["changed_since"]
    rec = bdj("show", rid, cwd=root)
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["description"] == json.loads(original)["description"]
    assert "compaction_level" not in rec or not rec["compaction_level"]
    assert any(c["text"] == "Looked at it again" for c in rec["comments"])


def test_wisps_are_never_compacted(repo: Path) -> None:
    """An ephemeral issue is never in git, so its text could not come back: not a candidate."""
    rid = bd("create", "A wisp", "-d", "text " * 50, "--silent", cwd=repo).stdout.strip()
    bd("close", rid, cwd=repo)
    path = repo / ".beads" / "issues.jsonl"
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    for rec in recs:
        if rec["id"] == rid:
            rec.update(closed_at="2020-01-01T00:00:00Z", ephemeral=True)
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recs))
    assert bdj("admin", "compact", "--stats", cwd=repo)["tier1"]["candidates"] == 0
    proc = bd("admin", "compact", "--apply", "--id", rid, "--summary", "-", input="x",
              cwd=repo, check=False)
    assert proc.returncode == 1 and "ephemeral" in proc.stderr


def test_restore_of_an_uncompacted_issue_is_an_error(repo: Path) -> None:
    rid = bd("create", "Plain", "--silent", cwd=repo).stdout.strip()
    proc = bd("restore", rid, cwd=repo, check=False)
    assert proc.returncode == 1 and "not compacted" in proc.stderr


def test_prune_and_purge_tombstones(repo: Path) -> None:
    ids = [bd("create", f"Gone {i}", "--silent", cwd=repo).stdout.strip() for i in range(3)]
    keep = bd("create", "Keeps a link", "--silent", cwd=repo).stdout.strip()
    bd("delete", ids[0], "--force", cwd=repo)
    bd("delete", ids[1], "--force", cwd=repo)
    path = repo / ".beads" / "issues.jsonl"
    # age the first tombstone past the 30-day TTL
    lines = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["id"] == ids[0]:
            rec["deleted_at"] = "2020-01-01T00:00:00Z"
        lines.append(json.dumps(rec, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n")
    preview = bdj("admin", "compact", "--prune", "--dry-run", cwd=repo)
    assert preview["tombstone_ids"] == [ids[0]] and preview["ttl_days"] == 30
    assert ids[0] in path.read_text()
    res = bdj("admin", "compact", "--prune", cwd=repo)
    assert res["pruned_count"] == 1 and ids[0] not in path.read_text()
    assert ids[1] in path.read_text()  # still within its TTL
    res = bdj("admin", "compact", "--prune", "--older-than", "0", cwd=repo)
    assert res["tombstone_ids"] == [ids[1]]
    # purge: a tombstone an open issue still depends on stays
    bd("dep", "add", keep, ids[2], cwd=repo)
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    for rec in recs:  # tombstone ids[2] by hand, keeping the edge (as a merge may leave it)
        if rec["id"] == ids[2]:
            rec.update(status="tombstone", deleted_at="2026-01-01T00:00:00Z")
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recs))
    res = bdj("admin", "compact", "--purge-tombstones", cwd=repo)
    assert res["purged_count"] == 0 and res["kept_count"] == 1


def test_modes_are_exclusive_and_required(repo: Path) -> None:
    for args, msg in ((["--stats", "--analyze"], "multiple modes"), ([], "must specify"),
                      (["--apply"], "requires --id"), (["--stats", "--older-than", "3"],
                                                       "--older-than goes with --prune"),
                      (["--tier", "3", "--analyze"], "--tier must be 1 or 2")):
        proc = bd("admin", "compact", *args, cwd=repo, check=False)
        assert proc.returncode != 0 and msg in proc.stderr, (args, proc.stderr)
