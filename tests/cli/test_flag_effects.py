"""One test per option whose effect no other test checks: each passes the flag through the
real CLI and asserts what it changes (or that it is refused with a usage error)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import bd, bdj, git, jsonl_path, make_repo


def _records(root: Path) -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in map(json.loads, jsonl_path(root).read_text().splitlines())}


# -- issues ----------------------------------------------------------------------------------

def test_close_force_and_session(repo: Path) -> None:
    bd("create", "Pinned", "--id", "t-pin", cwd=repo)
    bd("import", "-i", "-", cwd=repo, input=json.dumps({
        **_records(repo)["t-pin"], "status": "pinned", "updated_at": "2099-01-01T00:00:00Z"}))
    refused = bd("close", "t-pin", cwd=repo, check=False)
    assert refused.returncode != 0 and "pinned" in (refused.stderr + refused.stdout)
    bd("close", "t-pin", "--force", "--session", "sess-1", cwd=repo)
    rec = _records(repo)["t-pin"]
    assert rec["status"] == "closed" and rec["closed_by_session"] == "sess-1"


def test_update_session_needs_closed_and_await_id(repo: Path) -> None:
    bd("create", "A", "--id", "t-a", cwd=repo)
    assert bd("update", "t-a", "--session", "s", cwd=repo, check=False).returncode == 2
    bd("update", "t-a", "--status", "closed", "--session", "s-9", cwd=repo)
    assert _records(repo)["t-a"]["closed_by_session"] == "s-9"
    bd("create", "Gate", "--id", "t-g", cwd=repo)
    bd("update", "t-g", "--await-id", "run-42", cwd=repo)
    assert _records(repo)["t-g"]["await_id"] == "run-42"


def test_create_force_and_waits_for_gate(repo: Path) -> None:
    refused = bd("create", "Other", "--id", "zz-abc", cwd=repo, check=False)
    assert refused.returncode != 0
    bd("create", "Other", "--id", "zz-abc", "--force", cwd=repo)
    assert "zz-abc" in _records(repo)
    bd("create", "Spawner", "--id", "t-s", cwd=repo)
    bd("create", "Waiter", "--id", "t-w", "--waits-for", "t-s", "--waits-for-gate",
       "any-children", cwd=repo)
    dep = _records(repo)["t-w"]["dependencies"][0]  # type: ignore[index]
    assert dep["type"] == "waits-for" and json.loads(dep["metadata"])["gate"] == "any-children"


def test_q_type(repo: Path) -> None:
    rid = bd("q", "Quick bug", "--type", "bug", cwd=repo).stdout.strip()
    assert _records(repo)[rid]["issue_type"] == "bug"


def test_comment_alias_author_and_file(repo: Path, tmp_path: Path) -> None:
    bd("create", "A", "--id", "t-a", cwd=repo)
    note = tmp_path / "note.txt"
    note.write_text("from a file\n")
    bd("comment", "t-a", "--file", str(note), "--author", "dana", cwd=repo)
    comments = bdj("comments", "t-a", cwd=repo)
    assert comments[0]["author"] == "dana" and "from a file" in comments[0]["text"]


def test_delete_dry_run_cascade_and_hard(repo: Path) -> None:
    bd("create", "Base", "--id", "t-b", cwd=repo)
    bd("create", "Top", "--id", "t-t", "--deps", "t-b", cwd=repo)
    preview = bdj("delete", "t-b", "--force", "--dry-run", cwd=repo)
    assert preview["preview"] is True and _records(repo)["t-b"]["status"] == "open"
    done = bdj("delete", "t-b", "--force", "--cascade", cwd=repo)
    assert set(done["deleted"]) == {"t-b", "t-t"}
    assert {r["status"] for r in _records(repo).values()} == {"tombstone"}
    bd("create", "Gone", "--id", "t-g", cwd=repo)
    proc = bd("delete", "t-g", "--force", "--hard", cwd=repo)
    assert "t-g" not in _records(repo)  # no tombstone kept
    assert "cannot" in proc.stderr or "bring them back" in proc.stderr


# -- dependencies ----------------------------------------------------------------------------

def test_dep_add_depends_on_and_type_filters(repo: Path) -> None:
    for rid in ("t-a", "t-b", "t-c"):
        bd("create", rid, "--id", rid, cwd=repo)
    bd("dep", "add", "t-a", "--depends-on", "t-b", cwd=repo)
    bd("dep", "add", "t-a", "t-c", "--type", "related", cwd=repo)
    assert {r["id"] for r in bdj("dep", "list", "t-a", "--type", "related", cwd=repo)} == {"t-c"}
    bd("dep", "remove", "t-a", "t-c", "--type", "related", cwd=repo)
    assert {r["id"] for r in bdj("dep", "list", "t-a", cwd=repo)} == {"t-b"}


def test_dep_tree_reverse(repo: Path) -> None:
    bd("create", "Root", "--id", "t-r", cwd=repo)
    bd("create", "Mid", "--id", "t-m", "--deps", "t-r", cwd=repo)
    bd("create", "Top", "--id", "t-t", "--deps", "t-r,t-m", cwd=repo)
    up = bdj("dep", "tree", "t-r", "--reverse", cwd=repo)
    assert {n["id"] for n in up} == {"t-r", "t-m", "t-t"}


def test_show_all_paths_expands_repeated_subtrees(repo: Path) -> None:
    bd("create", "Leaf", "--id", "t-l", cwd=repo)
    bd("create", "Shared", "--id", "t-s", "--deps", "t-l", cwd=repo)
    bd("create", "Left", "--id", "t-x", "--deps", "t-s", cwd=repo)
    bd("create", "Top", "--id", "t-t", "--deps", "t-x,t-s", cwd=repo)
    once = [n["id"] for n in bdj("dep", "tree", "t-t", cwd=repo)]
    every = [n["id"] for n in bdj("dep", "tree", "t-t", "--show-all-paths", cwd=repo)]
    assert once.count("t-l") == 1 and every.count("t-l") == 2


# -- data ------------------------------------------------------------------------------------

LINE = {"id": "t-imp", "title": "Imported", "status": "open", "priority": 2,
        "issue_type": "task", "created_at": "2026-01-05T09:30:00Z",
        "updated_at": "2026-01-05T09:30:00Z"}


def _jsonl(*recs: dict[str, object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in recs)


def test_import_skip_existing_strict_and_external_refs(repo: Path) -> None:
    bd("import", "-i", "-", cwd=repo, input=_jsonl(LINE))
    newer = {**LINE, "title": "Changed", "updated_at": "2027-01-01T00:00:00Z"}
    assert bdj("import", "-i", "-", "--skip-existing", cwd=repo,
               input=_jsonl(newer))["skipped"] == 1
    assert _records(repo)["t-imp"]["title"] == "Imported"
    dangling = {**LINE, "id": "t-dan", "dependencies": [
        {"issue_id": "t-dan", "depends_on_id": "t-nowhere", "type": "blocks"}]}
    proc = bd("import", "-i", "-", "--strict", cwd=repo, input=_jsonl(dangling), check=False)
    assert proc.returncode != 0 and "t-nowhere" in proc.stderr
    assert "t-dan" not in _records(repo)
    a = {**LINE, "id": "t-e1", "external_ref": "gh-7"}
    b = {**LINE, "id": "t-e2", "external_ref": "gh-7"}
    refused = bd("import", "-i", "-", cwd=repo, input=_jsonl(a, b), check=False)
    assert refused.returncode != 0 and "external_ref" in refused.stderr
    out = bdj("import", "-i", "-", "--clear-duplicate-external-refs", cwd=repo,
              input=_jsonl(a, b))
    assert out["external_refs_cleared"] == ["t-e2"]
    recs = _records(repo)
    assert recs["t-e1"]["external_ref"] == "gh-7" and "external_ref" not in recs["t-e2"]


def test_import_orphan_modes(repo: Path) -> None:
    child = {**LINE, "id": "t-par.1", "title": "Orphan"}
    strict = bd("import", "-i", "-", "--orphan-handling", "strict", cwd=repo,
                input=_jsonl(child), check=False)
    assert strict.returncode != 0 and "t-par" in strict.stderr
    assert bdj("import", "-i", "-", "--orphan-handling", "skip", cwd=repo,
               input=_jsonl(child))["orphans_skipped"] == ["t-par.1"]
    assert "t-par.1" not in _records(repo)
    bad = bd("import", "-i", "-", "--orphan-handling", "bogus", cwd=repo, input=_jsonl(child),
             check=False)
    assert bad.returncode != 0
    bd("config", "set", "import.orphan_handling", "resurrect", cwd=repo)
    out = bdj("import", "-i", "-", cwd=repo, input=_jsonl(child))
    assert out["parents_resurrected"] == ["t-par"]
    assert _records(repo)["t-par"]["status"] == "closed"
    assert "t-par.1" in _records(repo)


def test_import_rename_on_import_rewrites_references(repo: Path) -> None:
    a = {**LINE, "id": "up-abc", "description": "see up-abc.1"}
    b = {**LINE, "id": "up-abc.1", "dependencies": [
        {"issue_id": "up-abc.1", "depends_on_id": "up-abc", "type": "parent-child"}]}
    refused = bd("import", "-i", "-", cwd=repo, input=_jsonl(a, b), check=False)
    assert refused.returncode != 0
    out = bdj("import", "-i", "-", "--rename-on-import", cwd=repo, input=_jsonl(a, b))
    assert out["renamed"] == {"up-abc": "t-abc", "up-abc.1": "t-abc.1"}
    recs = _records(repo)
    assert recs["t-abc"]["description"] == "see t-abc.1"
    assert recs["t-abc.1"]["dependencies"][0]["depends_on_id"] == "t-abc"  # type: ignore[index]


def test_import_dedupe_after_reports_groups(repo: Path) -> None:
    a = {**LINE, "id": "t-d1", "title": "Same", "description": "same"}
    b = {**LINE, "id": "t-d2", "title": "Same", "description": "same"}
    out = bdj("import", "-i", "-", "--dedupe-after", cwd=repo, input=_jsonl(a, b))
    assert out["duplicate_groups"] == [["t-d1", "t-d2"]]


def test_import_git_history_flags_change_nothing(repo: Path) -> None:
    """bd never deletes issues because of git history, so these hold by construction: the
    same import with and without them gives the same file."""
    bd("import", "-i", "-", "--no-git-history", "--protect-left-snapshot", cwd=repo,
       input=_jsonl(LINE))
    with_flags = jsonl_path(repo).read_text()
    other = make_repo(repo.parent / "other")
    bd("import", "-i", "-", cwd=other, input=_jsonl(LINE))
    assert jsonl_path(other).read_text() == with_flags


def test_export_format(repo: Path) -> None:
    bd("create", "A", cwd=repo)
    assert bd("export", "--format", "jsonl", cwd=repo).stdout == jsonl_path(repo).read_text()
    proc = bd("export", "--format", "yaml", cwd=repo, check=False)
    assert proc.returncode == 2


# -- workspace, git, maintenance -------------------------------------------------------------

def test_init_quiet_setup_exclude_and_from_jsonl(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git("init", "-q", cwd=root)
    (root / ".beads").mkdir()
    jsonl_path(root).write_text(_jsonl({**LINE, "id": "t-kept"}))
    proc = bd("init", "--prefix", "t", "--quiet-init", "--from-jsonl", "--setup-exclude",
              cwd=root)
    assert proc.stdout == ""
    assert "t-kept" in {r["id"] for r in bdj("list", cwd=root)}
    assert "/.beads/" in (root / ".git" / "info" / "exclude").read_text()


def test_version_daemon_is_refused(repo: Path) -> None:
    proc = bd("version", "--daemon", cwd=repo, check=False)
    assert proc.returncode == 2 and "no daemon" in proc.stderr


def test_info_thanks(repo: Path) -> None:
    assert "steveyegge/beads" in bdj("info", "--thanks", cwd=repo)["thanks"]
    assert "Steve Yegge" in bd("info", "--thanks", cwd=repo).stdout


def test_stats_all_and_no_activity(repo: Path) -> None:
    bd("create", "A", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "issues", cwd=repo)
    full = bdj("stats", "--all", cwd=repo)
    assert full["recent_activity"]["commit_count"] == 1
    assert full["recent_activity"]["issues_created"] == 1
    quiet = bdj("stats", "--no-activity", cwd=repo)
    assert "recent_activity" not in quiet and quiet["total_issues"] == 1
    assert "Recent Activity" in bd("stats", cwd=repo).stdout
    assert "Recent Activity" not in bd("stats", "--no-activity", cwd=repo).stdout


def test_hooks_install_chain_keeps_foreign_hook(repo: Path) -> None:
    hooks = Path(git("rev-parse", "--git-path", "hooks", cwd=repo).strip())
    if not hooks.is_absolute():
        hooks = repo / hooks
    bd("hooks", "uninstall", cwd=repo)
    hooks.mkdir(parents=True, exist_ok=True)
    foreign = hooks / "pre-commit"
    foreign.write_text("#!/bin/sh\necho foreign\n")
    os.chmod(foreign, 0o755)
    bd("hooks", "install", "--chain", cwd=repo)
    kept = [p for p in hooks.iterdir() if "foreign" in p.read_text(errors="replace")]
    assert kept, "the foreign hook was not kept"


def test_sync_squash_and_no_git_history(repo: Path) -> None:
    bd("create", "A", cwd=repo)
    head_before = git("rev-list", "--all", "--count", cwd=repo).strip() if git(
        "rev-list", "--all", cwd=repo).strip() else "0"
    out = bdj("sync", "--squash", cwd=repo)
    assert out["flushed"] is True
    after = git("rev-list", "--all", cwd=repo).strip()
    assert (len(after.splitlines()) if after else 0) == int(head_before)  # nothing committed
    assert bd("sync", "--import-only", "--no-git-history", cwd=repo).returncode == 0


def test_doctor_flags(repo: Path, tmp_path: Path) -> None:
    bd("create", "test issue for parsing", "--id", "t-tst", cwd=repo)
    bd("hooks", "uninstall", cwd=repo)
    dry = bd("doctor", "--dry-run", cwd=repo, check=False).stdout
    assert "--fix would repair" in dry
    assert "pollution" not in dry  # on-demand check
    deep = bdj("doctor", "--deep", cwd=repo, check=False)
    assert {"pollution", "cycles", "content-duplicates"} <= {c["name"] for c in deep["checks"]}
    report = tmp_path / "diag.json"
    bd("doctor", "--output", str(report), cwd=repo, check=False)
    assert json.loads(report.read_text())["cli_version"]
    needs_yes = bd("doctor", "--check", "pollution", "--clean", cwd=repo, check=False)
    assert needs_yes.returncode == 2 and "t-tst" in _records(repo)
    bd("doctor", "--check", "pollution", "--clean", "--yes", cwd=repo, check=False)
    assert _records(repo)["t-tst"]["status"] == "tombstone"
    perf = bdj("doctor", "--perf", cwd=repo)
    assert {t["operation"] for t in perf["timings"]} >= {"ready", "list --all"}


def test_validate_and_migrate_yes(repo: Path) -> None:
    assert bdj("validate", "--yes", cwd=repo) == bdj("validate", cwd=repo)
    assert bdj("migrate", "--yes", cwd=repo)["status"] == bdj("migrate", cwd=repo)["status"]


def test_merge_debug_prints_decisions(tmp_path: Path) -> None:
    base = {**LINE, "title": "Base"}
    left = {**LINE, "title": "Left", "updated_at": "2026-02-01T00:00:00Z"}
    right = {**LINE, "title": "Right", "priority": 1, "updated_at": "2026-02-02T00:00:00Z"}
    paths = []
    for name, rec in (("base", base), ("left", left), ("right", right)):
        p = tmp_path / name
        p.write_text(_jsonl(rec))
        paths.append(str(p))
    quiet = bd("merge", paths[1], paths[0], paths[1], paths[2], cwd=tmp_path, check=False)
    (tmp_path / "left").write_text(_jsonl(left))
    loud = bd("merge", paths[1], paths[0], paths[1], paths[2], "--debug", cwd=tmp_path,
              check=False)
    assert loud.returncode == quiet.returncode == 0
    assert quiet.stderr == "" and "title changed on both sides" in loud.stderr
    merged = json.loads((tmp_path / "left").read_text())
    assert merged["title"] == "Right" and merged["priority"] == 1  # the newer side wins


def test_global_lock_timeout_and_profile(repo: Path) -> None:
    import fcntl
    import time

    bd("create", "A", cwd=repo)
    with open(repo / ".beads" / ".bd.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another writer holds the workspace
        start = time.monotonic()
        proc = bd("--lock-timeout", "300ms", "create", "B", cwd=repo, check=False)
        waited = time.monotonic() - start
        fcntl.flock(held, fcntl.LOCK_UN)
    assert proc.returncode != 0 and waited < 10
    assert bd("--lock-timeout", "soon", "list", cwd=repo, check=False).returncode == 2
    out = bd("--profile", "list", cwd=repo)
    written = list(repo.glob("bd-profile-list-*.prof"))
    assert len(written) == 1 and written[0].name in out.stderr
