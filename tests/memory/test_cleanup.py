"""admin cleanup: closed issues become tombstones (preview unless --force), --older-than,
--cascade, --ephemeral, --hard; and the audit flags --error, --stdin, list --limit."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import bd, bdj, create, jsonl_path, read_records


def _status(root: Path) -> dict[str, str]:
    return {r["id"]: r.get("status", "open") for r in read_records(root)}


def _edit(root: Path, rid: str, **fields: object) -> None:
    path = jsonl_path(root)
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["id"] == rid:
            rec.update(fields)
        out.append(json.dumps(rec, separators=(",", ":")))
    path.write_text("\n".join(out) + "\n")


def test_preview_force_and_older_than(repo: Path) -> None:
    old, new, live = (create(repo, t) for t in ("Old", "New", "Live"))
    bd("close", old, new, cwd=repo)
    _edit(repo, old, closed_at="2020-01-01T00:00:00Z")
    data = jsonl_path(repo).read_bytes()
    refused = bd("admin", "cleanup", cwd=repo, check=False)
    assert refused.returncode == 1 and "Would delete 2 closed issue(s)" in refused.stderr
    dry = bdj("admin", "cleanup", "--dry-run", cwd=repo)
    assert dry["deleted"] == sorted([old, new]) and dry["dry_run"]
    assert jsonl_path(repo).read_bytes() == data
    res = bdj("admin", "cleanup", "--older-than", "30", "--force", cwd=repo)
    assert res["deleted"] == [old]
    assert _status(repo) == {old: "tombstone", new: "closed", live: "open"}


def test_cascade_takes_the_dependents(repo: Path) -> None:
    done, dependent, other = (create(repo, t) for t in ("Done", "Depends", "Other"))
    bd("dep", "add", dependent, done, cwd=repo)
    bd("close", done, cwd=repo)
    res = bdj("admin", "cleanup", "--force", cwd=repo)
    assert res["deleted"] == [done] and _status(repo)[dependent] == "open"
    bd("reopen", dependent, cwd=repo)
    done2 = create(repo, "Done 2")
    bd("dep", "add", other, done2, cwd=repo)
    bd("close", done2, cwd=repo)
    res = bdj("admin", "cleanup", "--force", "--cascade", cwd=repo)
    assert sorted(res["deleted"]) == sorted([done2, other])
    assert _status(repo)[other] == "tombstone"


def test_ephemeral_only_and_pinned_skipped(repo: Path) -> None:
    wisp, plain, pinned = (create(repo, t) for t in ("Wisp", "Plain", "Pinned"))
    bd("close", wisp, plain, pinned, cwd=repo)
    _edit(repo, wisp, ephemeral=True)
    _edit(repo, pinned, pinned=True)
    res = bdj("admin", "cleanup", "--ephemeral", "--force", cwd=repo)
    assert res["deleted"] == [wisp]
    res = bdj("admin", "cleanup", "--force", cwd=repo)
    assert res["deleted"] == [plain] and res["skipped_pinned"] == 1
    assert _status(repo)[pinned] == "closed"


def test_hard_removes_the_tombstones_at_once(repo: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    bd("close", a, b, cwd=repo)
    res = bdj("admin", "cleanup", "--force", cwd=repo)
    assert res["tombstones_pruned"]["count"] == 0  # within the 30-day TTL: kept
    assert set(_status(repo).values()) == {"tombstone"}
    c = create(repo, "C")
    bd("close", c, cwd=repo)
    res = bdj("admin", "cleanup", "--force", "--hard", cwd=repo)
    assert res["hard"] and res["tombstones_pruned"]["count"] == 3
    assert read_records(repo) == []


def test_audit_error_stdin_and_limit(repo: Path) -> None:
    bd("audit", "record", "--kind", "tool_call", "--tool-name", "make", "--exit-code", "2",
       "--error", "build failed", cwd=repo)
    bd("audit", "record", "--stdin", cwd=repo,
       input='{"kind":"llm_call","model":"m","error":"rate limited","extra":{"try":2}}')
    bd("audit", "record", "--kind", "label", cwd=repo)
    entries = bdj("audit", "list", cwd=repo)
    assert entries[0]["error"] == "build failed" and entries[0]["exit_code"] == 2
    assert entries[1]["error"] == "rate limited" and entries[1]["extra"] == {"try": 2}
    last = bdj("audit", "list", "--limit", "2", cwd=repo)
    assert [e["id"] for e in last] == [e["id"] for e in entries[1:]]
    bad = bd("audit", "record", "--stdin", input="not json", cwd=repo, check=False)
    assert bad.returncode == 2 and "invalid JSON" in bad.stderr
    assert len(bdj("audit", "list", cwd=repo)) == 3
