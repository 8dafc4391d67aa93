"""bd doctor: each check detects its problem, --fix repairs the fixable ones (and only
configuration and the cache, never issues), --json, exit codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from conftest import bd, create, git, jsonl_path

from bd.doctor.registry import load

DRIVER = "bd merge %A %O %A %B"
ALL = ["jsonl", "conflict-markers", "duplicate-ids", "orphan-deps", "prefix", "tombstones",
       "cache", "gitignore", "merge-driver", "bd-on-path", "gitattributes", "hooks",
       "sync-branch", "wisps"]
ON_DEMAND = ["pollution", "cycles", "content-duplicates"]  # --check NAME or --deep


def doctor(root: Path, *args: str, env: dict[str, str] | None = None
           ) -> tuple[int, dict[str, dict[str, Any]], dict[str, Any]]:
    proc = bd("doctor", "--json", *args, cwd=root, check=False, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    out = json.loads(proc.stdout)
    return proc.returncode, {c["name"]: c for c in out.get("checks", [])}, out


def rec(rid: str, **extra: Any) -> str:
    base = {"id": rid, "title": f"Issue {rid}", "status": "open", "priority": 2,
            "issue_type": "task", "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z"}
    base.update(extra)
    return json.dumps(base, separators=(",", ":"))


def write_jsonl(root: Path, *lines: str) -> None:
    jsonl_path(root).write_text("".join(line + "\n" for line in lines))


def test_registry_has_the_checks_in_order() -> None:
    assert list(load()) == ALL + ON_DEMAND
    assert [name for name, c in load().items() if c.on_demand] == ON_DEMAND


def test_healthy_workspace(repo: Path) -> None:
    create(repo, "A")
    code, checks, out = doctor(repo)
    assert code == 0 and out["ok"] is True
    assert list(checks) == ALL
    assert {c["status"] for c in checks.values()} == {"ok"}
    assert out["summary"] == {"ok": len(ALL), "warn": 0, "error": 0, "warning": 0}
    assert out["overall_ok"] is True and out["cli_version"]
    assert out["path"] == str(repo / ".beads")
    assert checks["sync-branch"]["message"].startswith("skipped")
    human = bd("doctor", cwd=repo).stdout
    assert "No problems found." in human and "✓ merge-driver" in human


def test_no_workspace(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    code, checks, _ = doctor(tmp_path)
    assert code == 1 and checks["workspace"]["status"] == "error"


def test_only_named_checks(repo: Path) -> None:
    code, checks, _ = doctor(repo, "--check", "merge-driver", "--check", "hooks")
    assert code == 0 and list(checks) == ["merge-driver", "hooks"]
    proc = bd("doctor", "--check", "nosuch", cwd=repo, check=False)
    assert proc.returncode == 2 and "unknown check" in proc.stderr


# --------------------------------------------------------------------------- fixable: git


def test_merge_driver_missing_legacy_and_custom(repo: Path) -> None:
    git("config", "--unset", "merge.beads.driver", cwd=repo)
    code, checks, _ = doctor(repo)
    assert code == 1
    assert checks["merge-driver"]["status"] == "error" and checks["merge-driver"]["fixable"]
    git("config", "merge.beads.driver", "bd merge %A %O %L %R", cwd=repo)
    _, checks, _ = doctor(repo)
    assert checks["merge-driver"]["status"] == "error" and "%L/%R" in checks[
        "merge-driver"]["message"]
    git("config", "merge.beads.driver", "my-merge %A", cwd=repo)
    code, checks, _ = doctor(repo)
    assert code == 0 and checks["merge-driver"]["status"] == "warn"
    code, checks, _ = doctor(repo, "--fix")
    assert code == 0 and checks["merge-driver"]["fixed"] is True
    assert git("config", "merge.beads.driver", cwd=repo).strip() == DRIVER


def test_gitattributes_missing_is_added_at_the_top(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.png binary\n")
    code, checks, _ = doctor(repo)
    assert code == 1 and checks["gitattributes"]["status"] == "error"
    assert ".beads/issues.jsonl merge=beads" in checks["gitattributes"]["message"]
    code, checks, out = doctor(repo, "--fix")
    assert code == 0 and checks["gitattributes"]["fixed"] is True
    assert (repo / ".gitattributes").read_text() == (
        "*.png binary\n.beads/issues.jsonl merge=beads\n")


def test_hooks_absent_outdated_and_foreign(repo: Path, tmp_path: Path) -> None:
    hooks_dir = repo / ".git" / "hooks"
    (hooks_dir / "post-merge").unlink()
    shim = hooks_dir / "pre-push"
    shim.write_text(shim.read_text().replace("bd-hooks-version: 1", "bd-hooks-version: 0"))
    mark = tmp_path / "mark"
    (hooks_dir / "pre-commit").write_text(f'#!/bin/sh\necho mine >> "{mark}"\n')
    code, checks, _ = doctor(repo)
    h = checks["hooks"]
    assert code == 0 and h["status"] == "warn" and h["fixable"]
    assert set(h["details"]) == {"pre-commit: foreign", "post-merge: absent",
                                 "pre-push: outdated"}
    code, checks, _ = doctor(repo, "--fix")
    assert checks["hooks"]["fixed"] is True and "chained" in checks["hooks"]["message"]
    assert (hooks_dir / "pre-commit.old").read_text().endswith('>> "' + str(mark) + '"\n')
    (repo / "f").write_text("f\n")
    git("add", "f", cwd=repo)
    git("commit", "-qm", "f", cwd=repo)
    assert mark.read_text() == "mine\n"


def test_hook_managers_need_their_config(tmp_path: Path) -> None:
    root = tmp_path / "lh"
    root.mkdir()
    git("init", "-q", cwd=root)
    (root / "lefthook.yml").write_text("pre-commit:\n  commands: {}\n")
    bd("init", "--prefix", "t", cwd=root)
    _, checks, _ = doctor(root)
    assert checks["hooks"]["status"] == "warn" and not checks["hooks"]["fixable"]
    assert "lefthook" in checks["hooks"]["message"]
    snippet = json.loads(bd("hooks", "install", "--json", cwd=root).stdout)["snippet"]
    (root / "lefthook.yml").write_text(snippet)
    _, checks, _ = doctor(root)
    assert checks["hooks"]["status"] == "ok"


def test_bd_missing_from_path(repo: Path) -> None:
    bin_dir = os.path.abspath(os.path.dirname(sys.executable))
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if os.path.abspath(p) != bin_dir)
    code, checks, _ = doctor(repo, env={"PATH": path})
    assert code == 1 and checks["bd-on-path"]["status"] == "error"
    assert not checks["bd-on-path"]["fixable"]


def test_stealth_skips_git_checks(tmp_path: Path) -> None:
    root = tmp_path / "st"
    root.mkdir()
    git("init", "-q", cwd=root)
    bd("init", "--prefix", "s", "--stealth", cwd=root)
    code, checks, _ = doctor(root)
    assert code == 0
    for name in ("merge-driver", "bd-on-path", "gitattributes", "hooks"):
        assert checks[name]["status"] == "ok"
        assert checks[name]["message"].startswith("skipped: git ignores")


# ------------------------------------------------------------------------- fixable: files


def test_cache_stale_is_refreshed(repo: Path) -> None:
    create(repo, "A")
    lines = jsonl_path(repo).read_text()
    jsonl_path(repo).write_text(lines.replace('"A"', '"A edited"'))
    code, checks, _ = doctor(repo)
    assert code == 0 and checks["cache"]["status"] == "warn" and checks["cache"]["fixable"]
    code, checks, _ = doctor(repo, "--fix")
    assert checks["cache"]["fixed"] is True
    _, checks, _ = doctor(repo)
    assert checks["cache"]["status"] == "ok"


def test_cache_missing_and_corrupt_are_rebuilt(repo: Path) -> None:
    create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    db = repo / ".beads" / "beads.db"
    db.unlink()
    _, checks, _ = doctor(repo)
    assert checks["cache"]["status"] == "warn" and "not built" in checks["cache"]["message"]
    doctor(repo, "--fix")
    assert db.exists()
    db.write_bytes(b"this is not a database" * 100)
    code, checks, _ = doctor(repo)
    assert code == 1 and checks["cache"]["status"] == "error" and checks["cache"]["fixable"]
    code, checks, _ = doctor(repo, "--fix")
    assert code == 0 and checks["cache"]["fixed"] is True
    aside = [str(p) for p in (repo / ".beads").iterdir() if ".corrupt-" in p.name]
    assert aside  # moved aside, never deleted ...
    assert len(git("check-ignore", *aside, cwd=repo).splitlines()) == len(aside)  # ... ignored
    assert jsonl_path(repo).read_bytes() == before


def test_gitignore_missing_patterns(repo: Path) -> None:
    path = repo / ".beads" / ".gitignore"
    path.write_text("# mine\n*.db\n")
    _, checks, _ = doctor(repo)
    assert checks["gitignore"]["status"] == "warn" and ".bd.lock" in checks["gitignore"][
        "message"]
    _, checks, _ = doctor(repo, "--fix")
    assert checks["gitignore"]["fixed"] is True
    assert path.read_text().startswith("# mine\n*.db\n")


# --------------------------------------------------------------------- data: not fixable


def test_invalid_lines_are_errors_with_file_and_line(repo: Path) -> None:
    write_jsonl(repo, rec("t-a"), '{"id": "t-b", "title": ', "[1, 2]", '{"title": "no id"}')
    before = jsonl_path(repo).read_bytes()
    code, checks, _ = doctor(repo, "--fix")
    j = checks["jsonl"]
    assert code == 1 and j["status"] == "error" and not j["fixable"]
    assert j["details"] == [f"{jsonl_path(repo)}:2: malformed JSON (Expecting value)",
                            f"{jsonl_path(repo)}:3: line is not a JSON object",
                            f"{jsonl_path(repo)}:4: record has no id"]
    assert checks["cache"]["status"] == "warn" and "fix failed" in checks["cache"]["message"]
    assert jsonl_path(repo).read_bytes() == before


def test_conflict_markers(repo: Path) -> None:
    write_jsonl(repo, "<<<<<<< HEAD", rec("t-a"), "=======", rec("t-a", title="other"),
                ">>>>>>> theirs")
    code, checks, _ = doctor(repo)
    assert code == 1
    c = checks["conflict-markers"]
    assert c["status"] == "error" and "resolve-conflicts" in c["message"]
    assert c["details"] == [f"{jsonl_path(repo)}:{n}" for n in (1, 3, 5)]
    assert checks["duplicate-ids"]["status"] == "warn"  # read merged; doctor --fix repairs
    assert "t-a on lines 2 and 4" in checks["duplicate-ids"]["message"]


def test_orphan_dependencies(repo: Path) -> None:
    dep = {"issue_id": "t-a", "depends_on_id": "t-gone", "type": "blocks",
           "created_at": "2025-01-01T00:00:00Z"}
    ext = dict(dep, depends_on_id="external:proj:cap")
    dead = dict(dep, depends_on_id="t-dead")
    write_jsonl(repo, rec("t-a", dependencies=[dep, ext, dead]),
                rec("t-dead", status="tombstone", deleted_at="2099-01-01T00:00:00Z"))
    code, checks, _ = doctor(repo)
    o = checks["orphan-deps"]
    assert code == 0 and o["status"] == "warn" and "repair-deps" in o["message"]
    assert o["details"] == ["t-a -> t-gone (blocks, missing)", "t-a -> t-dead (blocks, deleted)"]


def test_prefix_mismatch(repo: Path) -> None:
    bd("config", "set", "allowed_prefixes", "old", cwd=repo)
    write_jsonl(repo, rec("t-a"), rec("old-b"), rec("x-c"), rec("t-a.1"))
    _, checks, _ = doctor(repo)
    p = checks["prefix"]
    assert p["status"] == "warn" and p["details"] == ["x-c"]


def test_tombstones_past_ttl(repo: Path) -> None:
    write_jsonl(repo, rec("t-a", status="tombstone", deleted_at="2020-01-01T00:00:00Z"),
                rec("t-b", status="tombstone", deleted_at="2999-01-01T00:00:00Z"))
    _, checks, _ = doctor(repo)
    t = checks["tombstones"]
    assert t["status"] == "warn" and t["details"] == ["t-a"] and "30-day" in t["message"]
    bd("config", "set", "tombstone.ttl_days", "100000", cwd=repo)
    _, checks, _ = doctor(repo)
    assert checks["tombstones"]["status"] == "ok"


# ------------------------------------------------------------------------------ sync branch


def test_sync_branch_health(tmp_path: Path) -> None:
    root = tmp_path / "sb"
    root.mkdir()
    git("init", "-q", cwd=root)
    (root / "a").write_text("a\n")
    git("add", "a", cwd=root)
    git("commit", "-qm", "a", cwd=root)
    bd("init", "--prefix", "t", "--branch", "beads-sync", cwd=root)
    code, checks, _ = doctor(root)
    assert checks["sync-branch"]["status"] == "ok", checks["sync-branch"]
    assert "beads-sync" in checks["sync-branch"]["message"]
    import shutil

    shutil.rmtree(root / ".git" / "beads-worktrees")
    code, checks, _ = doctor(root)  # finding the workspace repairs the worktree first
    assert checks["sync-branch"]["status"] == "ok", checks["sync-branch"]
    assert (root / ".git" / "beads-worktrees" / "beads-sync" / ".beads").is_dir()


def test_fix_never_changes_issues(repo: Path) -> None:
    create(repo, "A")
    create(repo, "B")
    git("config", "--unset", "merge.beads.driver", cwd=repo)
    (repo / ".git" / "hooks" / "pre-commit").unlink()
    before = jsonl_path(repo).read_bytes()
    code, checks, out = doctor(repo, "--fix")
    assert code == 0 and out["summary"]["error"] == 0
    assert jsonl_path(repo).read_bytes() == before
