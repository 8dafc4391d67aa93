"""The CLI contract existing clients depend on (the official beads-mcp 0.46.0 above all).

beads-mcp calls bd with stdin from /dev/null, options after the arguments, its global flags
(``--actor``, ``--no-auto-flush``, ``--no-auto-import``) and ``--json`` last, and validates
every issue it reads with pydantic models: ``description``, ``labels``, ``dependencies`` and
``dependents`` must never be null, embedded issues carry ``dependency_type`` and full
timestamps.  The admin commands (``repair-deps``, ``detect-pollution``, ``validate``,
``migrate --inspect``, ``info --schema``) must do real work.  The client itself runs against
bd in ``test_beads_mcp.py``; this file pins the same contract without it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, bdj, create, jsonl_path, make_repo, read_records, record

GF = ("--actor", "mcp-agent", "--no-auto-flush", "--no-auto-import")


def mcp(*args: str, cwd: Path, check: bool = True, env: dict[str, str] | None = None) -> Any:
    """Run bd the way beads-mcp does: arguments, then the global flags, ``--json`` last."""
    proc = bd(*args, *GF, "--json", cwd=cwd, check=check, env=env)
    return json.loads(proc.stdout) if proc.stdout.strip() else None


ISSUE_KEYS = {"id", "title", "description", "status", "priority", "issue_type", "created_at",
              "updated_at", "labels"}


def assert_issue(row: dict[str, Any]) -> None:
    missing = ISSUE_KEYS - set(row)
    assert not missing, f"{row.get('id')}: missing {missing}"
    assert isinstance(row["description"], str)
    assert isinstance(row["labels"], list)
    assert isinstance(row["priority"], int) and 0 <= row["priority"] <= 4
    for key in ("dependencies", "dependents"):
        if key in row:
            assert isinstance(row[key], list)


def edit_jsonl(root: Path, rid: str, change: Any) -> None:
    """Change one record behind bd's back (as a merge or a hand edit would)."""
    recs = read_records(root)
    for rec in recs:
        if rec["id"] == rid:
            change(rec)
    jsonl_path(root).write_text("".join(json.dumps(r, separators=(",", ":")) + "\n"
                                        for r in sorted(recs, key=lambda r: r["id"])))


# ------------------------------------------------------------------ the client's calls


@pytest.fixture
def work(repo: Path) -> dict[str, str]:
    a = mcp("create", "Design the API", "-p", "1", "-t", "feature", "-d", "Endpoints",
            "--design", "REST", "--acceptance", "Reviewed", "--external-ref", "gh-7",
            "--assignee", "alice", "-l", "api", "-l", "backend", cwd=repo)
    b = mcp("create", "Implement it", "-p", "2", "-t", "task", "--deps", a["id"], cwd=repo)
    c = mcp("create", "Write docs", "-p", "3", "-t", "chore", "--id", "t-docs",
            "--deps", f"related:{a['id']},discovered-from:{b['id']}", cwd=repo)
    return {"a": a["id"], "b": b["id"], "c": c["id"]}


def test_create_returns_one_issue_object(repo: Path) -> None:
    row = mcp("create", "Bare", "-p", "2", "-t", "task", cwd=repo)
    assert isinstance(row, dict)
    assert_issue(row)
    assert row["description"] == "" and row["labels"] == []
    row = mcp("create", "Full", "-p", "0", "-t", "bug", "-d", "D", "--design", "S",
              "--acceptance", "A", "--external-ref", "gh-1", "--assignee", "u",
              "--id", "t-full", "-l", "x", "-l", "y", cwd=repo)
    assert (row["id"], row["priority"], row["issue_type"], row["design"],
            row["acceptance_criteria"], row["external_ref"], row["assignee"]) == (
        "t-full", 0, "bug", "S", "A", "gh-1", "u")
    assert sorted(row["labels"]) == ["x", "y"]
    assert record(repo, "t-full")["created_by"] == "mcp-agent"


def test_list_and_ready_filters(repo: Path, work: dict[str, str]) -> None:
    rows = mcp("list", "--limit", "20", cwd=repo)
    assert {r["id"] for r in rows} == set(work.values())
    for row in rows:
        assert_issue(row)
        assert isinstance(row["dependency_count"], int)
        assert isinstance(row["dependent_count"], int)
    assert [r["id"] for r in mcp("list", "--status", "open", "--priority", "1", "--type",
                                 "feature", "--assignee", "alice", "--label", "api",
                                 "--label-any", "nope", "--label-any", "backend",
                                 "--title", "design", "--limit", "5", cwd=repo)] == [work["a"]]
    assert work["a"] not in {r["id"] for r in mcp("list", "--no-assignee", "--limit", "5",
                                                  cwd=repo)}
    ready = mcp("ready", "--limit", "10", cwd=repo)
    assert {r["id"] for r in ready} == {work["a"], work["c"]}
    for row in ready:
        assert_issue(row)
    assert [r["id"] for r in mcp("ready", "--limit", "10", "--priority", "1", "--assignee",
                                 "alice", "--label", "api", "--label-any", "backend",
                                 "--sort", "oldest", cwd=repo)] == [work["a"]]
    assert [r["id"] for r in mcp("ready", "--limit", "10", "--unassigned", "--sort",
                                 "priority", cwd=repo)] == [work["c"]]
    assert mcp("ready", "--limit", "10", "--parent", work["a"], cwd=repo) == []


def test_show_embeds_dependencies_and_dependents(repo: Path, work: dict[str, str]) -> None:
    shown = mcp("show", work["c"], cwd=repo)
    assert isinstance(shown, list) and len(shown) == 1
    issue = shown[0]
    assert_issue(issue)
    assert sorted((d["id"], d["dependency_type"]) for d in issue["dependencies"]) == sorted(
        [(work["a"], "related"), (work["b"], "discovered-from")])
    for dep in issue["dependencies"]:
        assert_issue(dep)
    assert issue["dependents"] == [] and issue["comments"] == []
    design = mcp("show", work["a"], cwd=repo)[0]
    assert sorted((d["id"], d["dependency_type"]) for d in design["dependents"]) == sorted(
        [(work["b"], "blocks"), (work["c"], "related")])


def test_show_json_lists_unresolvable_dependencies_apart(repo: Path) -> None:
    """Every embedded issue is a full issue; external refs and missing targets are listed
    apart, not as half-empty issues clients would reject."""
    rid = create(repo, "Needs a capability")
    bd("dep", "add", rid, "external:other:auth", cwd=repo)
    edit_jsonl(repo, rid, lambda r: r["dependencies"].append(
        {"issue_id": rid, "depends_on_id": "t-gone", "type": "related",
         "created_at": r["created_at"]}))
    issue = mcp("show", rid, cwd=repo)[0]
    assert issue["dependencies"] == []
    assert issue["unresolved_dependencies"] == [
        {"id": "external:other:auth", "dependency_type": "blocks", "status": "external"},
        {"id": "t-gone", "dependency_type": "related", "status": "missing"}]
    assert "external:other:auth" in bd("show", rid, cwd=repo).stdout


def test_blocked_update_close_reopen_dep_add(repo: Path, work: dict[str, str]) -> None:
    blocked = mcp("blocked", cwd=repo)
    assert [(r["id"], r["blocked_by_count"], r["blocked_by"]) for r in blocked] == [
        (work["b"], 1, [work["a"]])]
    assert_issue(blocked[0])
    assert mcp("blocked", "--parent", work["a"], cwd=repo) == []

    updated = mcp("update", work["b"], "--status", "in_progress", "--priority", "0",
                  "--assignee", "bob", "--title", "Implement the API", "--description", "D2",
                  "--design", "Layers", "--acceptance", "Tests", "--notes", "N",
                  "--external-ref", "gh-9", cwd=repo)
    assert isinstance(updated, list) and len(updated) == 1
    row = updated[0]
    assert (row["status"], row["priority"], row["assignee"], row["title"], row["description"],
            row["design"], row["acceptance_criteria"], row["notes"], row["external_ref"]) == (
        "in_progress", 0, "bob", "Implement the API", "D2", "Layers", "Tests", "N", "gh-9")

    closed = mcp("close", work["a"], "--reason", "Done", cwd=repo)
    assert [(r["id"], r["status"]) for r in closed] == [(work["a"], "closed")]
    assert closed[0]["closed_at"]
    reopened = mcp("reopen", work["a"], "--reason", "Again", cwd=repo)
    assert [(r["id"], r["status"]) for r in reopened] == [(work["a"], "open")]

    # beads-mcp runs dep add without --json and only looks at the exit status.
    bd("dep", "add", work["c"], work["b"], "--type", "blocks", *GF, cwd=repo)
    assert bd("dep", "add", work["a"], work["c"], "--type", "blocks", *GF, cwd=repo,
              check=False).returncode == 1  # a cycle
    for dep_type in ("related", "parent-child", "discovered-from"):
        bd("dep", "add", create(repo, f"x {dep_type}"), work["a"], "--type", dep_type, *GF,
           cwd=repo)


def test_stats_both_shapes(repo: Path, work: dict[str, str]) -> None:
    stats = mcp("stats", cwd=repo)
    keys = ("total_issues", "open_issues", "in_progress_issues", "closed_issues",
            "blocked_issues", "ready_issues", "average_lead_time_hours")
    for key in keys:
        assert stats[key] == stats["summary"][key]
    assert stats["total_issues"] == 3 and stats["blocked_issues"] == 1
    assert isinstance(stats["average_lead_time_hours"], (int, float))


def test_issue_keys_keep_one_order(repo: Path) -> None:
    """Labels sit at their record position whether or not the issue has any, and computed
    counts come last, so diffs of JSON output stay readable."""
    create(repo, "with labels", "-l", "x")
    create(repo, "without labels")
    for row in mcp("list", "--limit", "5", cwd=repo):
        keys = list(row)
        assert keys.index("labels") > keys.index("updated_at")
        assert keys[-2:] == ["dependency_count", "dependent_count"]


def test_workspace_discovery(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "proj")
    assert (root / ".beads" / "beads.db").is_file(), "clients look for .beads/*.db"
    rid = create(root, "Found")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for env in ({"BEADS_DIR": str(root / ".beads")},
                {"BEADS_DB": str(root / ".beads" / "beads.db")}):
        assert [r["id"] for r in mcp("list", "--limit", "5", cwd=elsewhere, env=env)] == [rid]
    sub = root / "src" / "deep"
    sub.mkdir(parents=True)
    assert [r["id"] for r in mcp("list", "--limit", "5", cwd=sub)] == [rid]


def test_version_and_errors(repo: Path) -> None:
    assert bd("version", cwd=repo).stdout.startswith("bd version 0.46.0")
    proc = bd("show", "t-nope", *GF, "--json", cwd=repo, check=False)
    assert proc.returncode == 1
    assert set(json.loads(proc.stdout)) == {"error"}


# ------------------------------------------------------------------ repair-deps


def test_repair_deps_finds_and_removes_orphans(repo: Path) -> None:
    a, b, c = create(repo, "A"), create(repo, "B"), create(repo, "C")
    bd("dep", "add", b, a, cwd=repo)
    bd("dep", "add", c, "external:proj:cap", cwd=repo)
    edit_jsonl(repo, b, lambda r: r["dependencies"].append(
        {"issue_id": b, "depends_on_id": "t-gone", "type": "related",
         "created_at": r["created_at"]}))
    # A tombstone reached by a merge: the edge to it is an orphan too.
    edit_jsonl(repo, a, lambda r: r.update(status="tombstone"))
    report = mcp("repair-deps", cwd=repo)
    assert report == {"orphans_found": 2, "orphans": sorted([
        {"issue_id": b, "depends_on_id": a, "type": "blocks"},
        {"issue_id": b, "depends_on_id": "t-gone", "type": "related"}],
        key=lambda o: o["depends_on_id"])}
    assert "fixed" not in report
    assert "2 orphaned dependencies" in bd("repair-deps", cwd=repo).stdout
    fixed = mcp("repair-deps", "--fix", cwd=repo)
    assert fixed["fixed"] == 2 and fixed["orphans_found"] == 2
    assert "dependencies" not in record(repo, b)
    assert record(repo, c)["dependencies"][0]["depends_on_id"] == "external:proj:cap"
    assert mcp("repair-deps", cwd=repo) == {"orphans_found": 0, "orphans": []}
    events = [json.loads(line) for line in
              (repo / ".beads" / "events.jsonl").read_text().splitlines()]
    assert sum(e["event_type"] == "dependency_removed" and e["issue_id"] == b
               for e in events) == 2


def test_repair_fixes_are_refused_read_only_and_without_a_terminal(repo: Path) -> None:
    proc = bd("--readonly", "repair-deps", "--fix", "--json", cwd=repo, check=False)
    assert proc.returncode == 1 and "read-only" in json.loads(proc.stdout)["error"]
    assert bdj("--readonly", "repair-deps", cwd=repo)["orphans_found"] == 0
    a = create(repo, "A")
    edit_jsonl(repo, a, lambda r: r.update(dependencies=[
        {"issue_id": a, "depends_on_id": "t-gone", "type": "blocks",
         "created_at": r["created_at"]}]))
    proc = bd("repair-deps", "--interactive", cwd=repo, check=False)
    assert proc.returncode == 2 and "terminal" in proc.stderr


# ------------------------------------------------------------------ detect-pollution


def test_detect_pollution_scores_like_the_original(repo: Path) -> None:
    # Explicit ids: a generated hash id can be all digits, which scores as "sequential".
    real = create(repo, "Add OAuth login", "-d", "Users sign in with their GitHub account",
                  "--id", "t-real")
    prefixed = create(repo, "test-login flow", "-d", "A long enough description here",
                      "--id", "t-pre")
    generic = create(repo, "Test issue for the parser", "--id", "t-gen")
    short = create(repo, "tmp_thing", "-d", "short", "--id", "t-short")
    bd("create", "Eleven", "--id", "t-11", "-d", "x", cwd=repo)
    report = mcp("detect-pollution", cwd=repo)
    found = {p["id"]: p for p in report["issues"]}
    assert real not in found and "t-11" not in found  # 0.4 + 0.1 is below the threshold
    assert found[prefixed]["score"] == 0.7
    assert found[prefixed]["reasons"] == ["Title starts with test prefix"]
    assert found[generic]["score"] == 1.4  # prefix 0.7 + no description 0.2 + generic 0.5
    assert found[short]["score"] == 0.8
    assert (report["polluted_count"], report["high_confidence"],
            report["medium_confidence"]) == (3, 1, 2)
    for p in report["issues"]:
        assert set(p) == {"id", "title", "score", "reasons", "created_at"}


def test_detect_pollution_sees_rapid_creation(repo: Path) -> None:
    recs = [json.dumps({"id": f"t-{n}", "title": f"Row {n}", "description": "",
                        "status": "open", "priority": 2, "issue_type": "task",
                        "created_at": f"2026-01-05T09:30:{n:02}Z",
                        "updated_at": "2026-01-05T09:30:00Z"}, separators=(",", ":"))
            for n in range(10)]
    jsonl_path(repo).write_text("\n".join(recs) + "\n")
    report = mcp("detect-pollution", cwd=repo)
    assert (report["polluted_count"], report["high_confidence"]) == (10, 10)
    assert report["issues"][0]["reasons"] == [
        "Sequential ID with minimal description", "No description",
        "Created with 9 other issues in same minute"]
    assert report["issues"][0]["score"] == 0.9


def test_detect_pollution_clean(repo: Path) -> None:
    keep = create(repo, "Real work", "-d", "A description that is long enough")
    junk = create(repo, "test issue one")
    proc = bd("detect-pollution", "--clean", "--json", cwd=repo, check=False)
    assert proc.returncode == 2 and "--yes" in json.loads(proc.stdout)["error"]
    assert record(repo, junk)["status"] == "open"
    report = mcp("detect-pollution", "--clean", "--yes", cwd=repo)
    assert report["deleted"] == 1 and [p["id"] for p in report["issues"]] == [junk]
    assert record(repo, junk)["status"] == "tombstone"
    assert record(repo, keep)["status"] == "open"
    backup = Path(report["backup_path"])
    assert [json.loads(line)["id"] for line in backup.read_text().splitlines()] == [junk]
    assert mcp("detect-pollution", cwd=repo) == {
        "polluted_count": 0, "high_confidence": 0, "medium_confidence": 0, "issues": []}
    assert mcp("detect-pollution", "--clean", "--yes", cwd=repo)["deleted"] == 0


# ------------------------------------------------------------------ validate


def test_validate_healthy_and_every_check(repo: Path) -> None:
    create(repo, "Real work", "-d", "A description that is long enough")
    report = mcp("validate", cwd=repo)
    assert report["healthy"] is True and report["total_issues"] == 0
    assert list(report["checks"]) == ["orphans", "duplicates", "pollution", "conflicts",
                                      "cycles"]
    for check in report["checks"].values():
        assert set(check) == {"name", "issue_count", "fixed_count", "error", "failed",
                              "suggestions", "findings"}
        assert check["suggestions"] == [] and check["error"] is None
    assert "Database is healthy" in bd("validate", cwd=repo).stdout


def test_validate_reports_problems_and_fixes_the_safe_ones(repo: Path) -> None:
    a = create(repo, "Same title", "-d", "Same long enough description")
    b = create(repo, "Same title", "-d", "Same long enough description")
    create(repo, "test issue")
    c, d = create(repo, "C", "-d", "long enough description"), create(
        repo, "D", "-d", "long enough description")
    bd("dep", "add", c, d, cwd=repo)
    edit_jsonl(repo, d, lambda r: r.update(dependencies=[
        {"issue_id": d, "depends_on_id": c, "type": "blocks", "created_at": r["created_at"]},
        {"issue_id": d, "depends_on_id": "t-gone", "type": "blocks",
         "created_at": r["created_at"]}]))
    report = mcp("validate", cwd=repo)
    counts = {k: v["issue_count"] for k, v in report["checks"].items()}
    assert counts == {"orphans": 1, "duplicates": 1, "pollution": 1, "conflicts": 0,
                      "cycles": 1}
    assert report["checks"]["duplicates"]["findings"] == [{"ids": [a, b], "keep": a}]
    assert report["checks"]["cycles"]["findings"] == [{"ids": sorted([c, d])}]
    assert report["healthy"] is False and report["total_issues"] == 4
    assert bd("validate", cwd=repo, check=False).returncode == 1  # humans/CI: exit 1

    fixed = mcp("validate", "--checks", "orphans,dupes", "--fix-all", cwd=repo)
    assert list(fixed["checks"]) == ["orphans", "duplicates"]
    assert fixed["checks"]["orphans"]["fixed_count"] == 1
    assert fixed["checks"]["duplicates"]["fixed_count"] == 0  # never auto-merged
    assert mcp("repair-deps", cwd=repo)["orphans_found"] == 0
    assert len(read_records(repo)) == 5  # nothing deleted


def test_validate_conflict_markers(repo: Path) -> None:
    create(repo, "Real work", "-d", "A description that is long enough")
    path = jsonl_path(repo)
    path.write_text(path.read_text() + "<<<<<<< HEAD\n=======\n>>>>>>> theirs\n")
    report = mcp("validate", cwd=repo)
    conflicts = report["checks"]["conflicts"]
    assert conflicts["issue_count"] == 1 and conflicts["findings"][0]["lines"] == [2, 3, 4]
    assert report["checks"]["orphans"]["failed"] is True
    assert "conflict markers" in report["checks"]["orphans"]["error"]
    assert report["healthy"] is False
    only = mcp("validate", "--checks", "git-conflicts", cwd=repo)
    assert list(only["checks"]) == ["conflicts"]


def test_validate_usage(repo: Path) -> None:
    proc = bd("validate", "--checks", "orphans,bogus", "--json", cwd=repo, check=False)
    assert proc.returncode == 2 and "unknown check: bogus" in json.loads(proc.stdout)["error"]
    proc = bd("--readonly", "validate", "--fix-all", cwd=repo, check=False)
    assert proc.returncode == 1 and "read-only" in proc.stderr


# ------------------------------------------------------------------ migrate, info --schema


def test_migrate_inspect_changes_nothing(repo: Path) -> None:
    create(repo, "One")
    db = repo / ".beads" / "beads.db"
    db.unlink()
    plan = mcp("migrate", "--inspect", cwd=repo)
    assert not db.exists(), "inspection must not create the cache"
    state = plan["current_state"]
    assert (state["db_exists"], state["schema_version"], state["issue_count"]) == (
        False, "missing", 1)
    assert state["config"] == {"issue_prefix": "t"} and state["missing_config"] == []
    assert [m["name"] for m in plan["registered_migrations"]][0] == "cache_schema"
    assert plan["invariants_to_check"] and any("builds it" in w for w in plan["warnings"])

    result = mcp("migrate", cwd=repo)
    assert result["status"] == "migrated" and db.exists()
    assert mcp("migrate", cwd=repo)["status"] == "current"
    assert mcp("migrate", "--inspect", cwd=repo)["warnings"] == []


def test_migrate_inspect_warns(repo: Path) -> None:
    create(repo, "One")
    db = repo / ".beads" / "beads.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE metadata SET value = '0' WHERE key = 'bd_cache_version'")
    (repo / ".beads" / "deletions.jsonl").write_text("")
    cfg = repo / ".beads" / "config.yaml"
    cfg.write_text("".join(line for line in cfg.read_text().splitlines(keepends=True)
                           if not line.startswith("issue-prefix")))
    plan = mcp("migrate", "--inspect", cwd=repo)
    assert plan["current_state"]["schema_version"] == "0"
    assert plan["current_state"]["missing_config"] == ["issue_prefix"]
    text = " | ".join(plan["warnings"])
    assert "cache format 0 is not" in text and "deletions.jsonl" in text
    assert "detected: t" in text
    dry = mcp("migrate", "--dry-run", cwd=repo)
    assert dry["would_migrate"] is True
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM metadata WHERE key = 'bd_cache_version'"
                            ).fetchone()[0] == "0"
    assert mcp("migrate", cwd=repo)["previous_version"] == "0"
    assert mcp("migrate", "--inspect", cwd=repo)["current_state"]["schema_version"] != "0"


def test_info_schema(repo: Path) -> None:
    ids = sorted(create(repo, f"Issue {n}") for n in range(4))
    info = mcp("info", "--schema", cwd=repo)
    schema = info["schema"]
    assert {"issues", "dependencies", "labels", "comments", "events", "config",
            "metadata"} <= set(schema["tables"])
    assert schema["sample_issue_ids"] == ids[:3]
    assert schema["detected_prefix"] == "t" and schema["config"] == {"issue_prefix": "t"}
    assert schema["schema_version"] == "0.46.0"
    assert os.path.samefile(info["database_path"], repo / ".beads" / "beads.db")
