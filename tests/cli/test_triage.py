"""duplicate, supersede, duplicates, merge --into, state/set-state, lint, create --validate,
orphans, epic close-eligible, human, types, statuses: through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import bd, bdj, git, jsonl_path


def _records(root: Path) -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in map(json.loads, jsonl_path(root).read_text().splitlines())}


def _deps(rec: dict[str, object]) -> set[tuple[str, str]]:
    return {(d["depends_on_id"], d["type"]) for d in rec.get("dependencies") or []}  # type: ignore[union-attr, index]


def test_duplicate_and_supersede_link_and_close(repo: Path) -> None:
    for rid in ("t-a", "t-b", "t-c"):
        bd("create", rid, "--id", rid, cwd=repo)
    out = bd("duplicate", "t-b", "--of", "t-a", cwd=repo).stdout
    assert "Marked t-b as duplicate of t-a" in out
    bd("supersede", "t-c", "--with", "t-a", cwd=repo)
    recs = _records(repo)
    assert recs["t-b"]["status"] == "closed" and ("t-a", "duplicates") in _deps(recs["t-b"])
    assert recs["t-c"]["status"] == "closed" and ("t-a", "supersedes") in _deps(recs["t-c"])
    assert bd("duplicate", "t-a", cwd=repo, check=False).returncode == 2  # --of required
    assert bd("duplicate", "t-a", "--of", "t-a", cwd=repo, check=False).returncode == 1
    assert bd("--readonly", "supersede", "t-a", "--with", "t-b", cwd=repo,
              check=False).returncode == 1


def test_duplicates_groups_and_auto_merge(repo: Path) -> None:
    bd("create", "Same", "-d", "text", "--id", "t-1", "-l", "one", cwd=repo)
    bd("create", "Same", "-d", "text", "--id", "t-2", cwd=repo)
    bd("create", "Other", "-d", "text", "--id", "t-3", cwd=repo)
    bd("create", "User", "--id", "t-u", "--deps", "t-2", cwd=repo)
    groups = bdj("duplicates", cwd=repo)["groups"]
    assert [(g["target"], g["sources"]) for g in groups] == [("t-2", ["t-1"])]  # most refs
    assert "bd merge t-1 --into t-2" in bd("duplicates", cwd=repo).stdout
    assert bd("duplicates", "--dry-run", cwd=repo, check=False).returncode == 2
    dry = bdj("duplicates", "--auto-merge", "--dry-run", cwd=repo)
    assert dry["merged"] == [] and _records(repo)["t-1"]["status"] == "open"
    bd("duplicates", "--auto-merge", cwd=repo)
    recs = _records(repo)
    assert recs["t-1"]["status"] == "closed" and ("t-2", "duplicates") in _deps(recs["t-1"])
    assert recs["t-2"]["labels"] == ["one"]  # moved from the source
    assert bdj("duplicates", cwd=repo)["groups"] == []


def test_merge_into_moves_links_and_keeps_the_driver_form(repo: Path, tmp_path: Path) -> None:
    bd("create", "Base", "--id", "t-b", cwd=repo)
    bd("create", "Source", "--id", "t-s", "--deps", "t-b", "-l", "x", cwd=repo)
    bd("create", "Target", "--id", "t-t", cwd=repo)
    bd("create", "Waiter", "--id", "t-w", "--deps", "t-s", cwd=repo)
    bd("comments", "add", "t-s", "note on the source", cwd=repo)
    assert bdj("merge", "t-s", "--into", "t-t", "--dry-run", cwd=repo)["dry_run"] is True
    assert _records(repo)["t-s"]["status"] == "open"
    out = bdj("merge", "t-s", "--into", "t-t", cwd=repo)
    assert out["moved"] == {"dependencies": 1, "dependents": 1, "labels": 1, "comments": 1}
    recs = _records(repo)
    assert ("t-b", "blocks") in _deps(recs["t-t"]) and recs["t-t"]["labels"] == ["x"]
    assert _deps(recs["t-w"]) == {("t-t", "blocks")}
    assert recs["t-s"]["status"] == "closed"
    assert recs["t-s"]["close_reason"] == "Merged into t-t"
    # the git merge driver form still works, and a wrong count of files is a usage error
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    assert bd("merge", str(empty), str(empty), str(empty), str(empty),
              cwd=tmp_path).returncode == 0
    assert bd("merge", "a", "b", cwd=tmp_path, check=False).returncode == 2


def test_state_and_set_state(repo: Path) -> None:
    bd("create", "Witness", "--id", "t-w", cwd=repo)
    assert bd("state", "t-w", "patrol", cwd=repo).stdout == "(no patrol state set)\n"
    first = bdj("set-state", "t-w", "patrol=active", "--reason", "started", cwd=repo)
    assert first["old_value"] is None and first["event_id"] == "t-w.1"
    second = bdj("set-state", "t-w", "patrol=idle", cwd=repo)
    assert second["old_value"] == "active" and second["event_id"] == "t-w.2"
    same = bdj("set-state", "t-w", "patrol=idle", cwd=repo)
    assert same["changed"] is False and same["event_id"] is None
    assert bd("state", "t-w", "patrol", cwd=repo).stdout == "idle\n"
    recs = _records(repo)
    assert recs["t-w"]["labels"] == ["patrol:idle"]
    event = recs["t-w.1"]
    assert event["issue_type"] == "event" and event["status"] == "closed"
    assert "Reason: started" in str(event["description"])
    assert bdj("state", "list", "t-w", cwd=repo)["states"] == {"patrol": "idle"}
    assert bd("set-state", "t-w", "nodim", cwd=repo, check=False).returncode != 0


def test_lint_and_create_validate(repo: Path) -> None:
    bd("create", "Bare bug", "-t", "bug", "--id", "t-bug", "-d", "broken", cwd=repo)
    bd("create", "Good task", "--id", "t-ok", "--acceptance", "it works", cwd=repo)
    bd("create", "Chore", "-t", "chore", "--id", "t-ch", cwd=repo)
    proc = bd("lint", cwd=repo, check=False)
    assert proc.returncode == 1 and "t-bug [bug]" in proc.stdout
    assert "t-ok" not in proc.stdout and "t-ch" not in proc.stdout
    res = bdj("lint", "--type", "bug", cwd=repo)
    assert res["results"][0]["missing"] == ["## Steps to Reproduce", "## Acceptance Criteria"]
    assert bd("lint", "t-ok", cwd=repo).returncode == 0
    bd("close", "t-bug", cwd=repo)
    assert bdj("lint", "--status", "all", cwd=repo)["issues"] == 1
    assert bdj("lint", cwd=repo)["issues"] == 0
    refused = bd("create", "Bug", "-t", "bug", "--validate", cwd=repo, check=False)
    assert refused.returncode == 1 and "Steps to Reproduce" in refused.stderr
    bd("create", "Bug", "-t", "bug", "--validate", "-d",
       "## Steps to Reproduce\nrun it\n## Acceptance Criteria\nno crash", cwd=repo)
    bd("config", "set", "validation.on-create", "warn", cwd=repo)
    warned = bd("create", "Epic", "-t", "epic", cwd=repo)
    assert "Success Criteria" in warned.stderr


def test_orphans_from_commit_messages(repo: Path) -> None:
    bd("create", "Parser", "--id", "t-p", cwd=repo)
    bd("create", "Untouched", "--id", "t-u", cwd=repo)
    assert bdj("orphans", cwd=repo) == []
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "Fix the parser (t-p)", cwd=repo)
    found = bdj("orphans", cwd=repo)
    assert [f["issue_id"] for f in found] == ["t-p"]
    assert found[0]["latest_commit_message"] == "Fix the parser (t-p)"
    assert "Latest commit" in bd("orphans", "--details", cwd=repo).stdout
    assert bd("orphans", "--fix", cwd=repo, check=False).returncode == 2  # no terminal
    closed = bdj("orphans", "--fix", "--yes", cwd=repo)["closed"]
    assert closed == ["t-p"] and _records(repo)["t-p"]["status"] == "closed"


def test_epic_close_eligible(repo: Path) -> None:
    bd("create", "Epic", "-t", "epic", "--id", "t-e", cwd=repo)
    bd("create", "Part", "--parent", "t-e", cwd=repo)
    assert "No epics eligible" in bd("epic", "close-eligible", cwd=repo).stdout
    bd("close", "t-e.1", cwd=repo)
    assert "Would close 1 epic" in bd("epic", "close-eligible", "--dry-run", cwd=repo).stdout
    assert _records(repo)["t-e"]["status"] == "open"
    assert bdj("epic", "close-eligible", cwd=repo) == {"closed": ["t-e"], "count": 1}
    assert _records(repo)["t-e"]["close_reason"] == "All children completed"


def test_human_types_statuses(repo: Path) -> None:
    assert "bd - Essential Commands for Humans" in bd("human", cwd=repo).stdout
    bd("config", "set", "types.custom", "spike,story", cwd=repo)
    bd("config", "set", "status.custom", "review", cwd=repo)
    assert bdj("types", cwd=repo)["custom_types"] == ["spike", "story"]
    assert "spike, story" in bd("types", cwd=repo).stdout
    assert bdj("statuses", cwd=repo)["custom_statuses"] == ["review"]
    assert "in_progress" in bd("statuses", cwd=repo).stdout
