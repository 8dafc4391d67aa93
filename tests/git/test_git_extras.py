"""hooks install --shared, sync --check, sync --from-main and list --watch, in real git
repositories through the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import bd, bdj, git, jsonl_path


def test_hooks_install_shared_uses_a_committed_directory(repo: Path) -> None:
    bd("hooks", "uninstall", cwd=repo)
    own = repo / ".git" / "hooks" / "pre-commit"
    own.write_text("#!/bin/sh\necho mine >> \"$(git rev-parse --show-toplevel)/ran.txt\"\n")
    own.chmod(0o755)
    out = bdj("hooks", "install", "--shared", cwd=repo)
    assert out["shared"] is True and out["hooks_dir"].endswith(".beads-hooks")
    assert git("config", "core.hooksPath", cwd=repo).strip() == ".beads-hooks"
    assert (repo / ".beads-hooks" / "pre-commit.old").exists()  # the old hook, chained
    bd("create", "A", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "with shared hooks", cwd=repo)
    assert "mine" in (repo / "ran.txt").read_text()  # the kept hook still runs
    git("config", "core.hooksPath", "/elsewhere", cwd=repo)
    refused = bd("hooks", "install", "--shared", cwd=repo, check=False)
    assert refused.returncode != 0 and "core.hooksPath" in refused.stderr
    bd("hooks", "install", "--shared", "--force", cwd=repo)
    assert git("config", "core.hooksPath", cwd=repo).strip() == ".beads-hooks"


def test_sync_check_finds_what_a_sync_would_spread(repo: Path) -> None:
    bd("create", "A", "--id", "t-a", cwd=repo)
    assert bdj("sync", "--check", cwd=repo)["has_problems"] is False
    lines = jsonl_path(repo).read_text()
    child = json.loads(lines.splitlines()[0])
    extra = [dict(child, id="t-gone.1"), dict(child, id="zz-x")]
    jsonl_path(repo).write_text(lines + "".join(json.dumps(r) + "\n" for r in extra))
    proc = bd("sync", "--check", cwd=repo, check=False)
    assert proc.returncode == 1 and "Orphaned children: 1" in proc.stdout
    result = bdj("sync", "--check", cwd=repo, check=False)
    assert result["prefix_mismatch"]["ids"] == ["zz-x"]
    assert result["orphaned_children"]["ids"] == ["t-gone.1"]


def test_sync_check_detects_a_force_pushed_upstream(tmp_path: Path, repo: Path) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    bd("create", "A", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "one", cwd=repo)
    git("remote", "add", "origin", str(remote), cwd=repo)
    git("push", "-q", "-u", "origin", "HEAD:main", cwd=repo)
    git("branch", "-q", "--set-upstream-to", "origin/main", cwd=repo)
    assert bdj("sync", "--check", cwd=repo)["forced_push"]["detected"] is False
    other = tmp_path / "other"
    git("clone", "-q", str(remote), str(other), cwd=tmp_path)
    (other / "f.txt").write_text("rewritten\n")
    git("add", "-A", cwd=other)
    git("commit", "-q", "--amend", "-m", "rewritten", cwd=other)
    git("push", "-q", "--force", "origin", "HEAD:main", cwd=other)
    res = bdj("sync", "--check", cwd=repo, check=False)
    assert res["forced_push"]["detected"] is True and res["has_problems"] is True


def test_sync_from_main_brings_mains_issues(repo: Path) -> None:
    bd("create", "Base", "--id", "t-base", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "base", cwd=repo)
    git("checkout", "-qb", "feature", cwd=repo)
    bd("create", "Feature work", "--id", "t-feat", cwd=repo)
    git("commit", "-qam", "feature", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    bd("create", "On main", "--id", "t-main", cwd=repo)
    git("commit", "-qam", "main", cwd=repo)
    git("checkout", "-q", "feature", cwd=repo)
    assert bd("show", "t-main", cwd=repo, check=False).returncode != 0
    dry = bdj("sync", "--from-main", "--dry-run", cwd=repo)
    assert dry["created"] == 1 and dry["from"] == "main"
    out = bdj("sync", "--from-main", cwd=repo)
    assert out["created"] == 1
    ids = {r["id"] for r in bdj("list", cwd=repo)}
    assert {"t-base", "t-feat", "t-main"} <= ids
    assert git("log", "-1", "--format=%s", cwd=repo).strip() == "feature"  # nothing committed


def test_list_watch_redraws_on_change_and_stops_on_ctrl_c(repo: Path) -> None:
    bd("create", "First", "--id", "t-1", cwd=repo)
    assert bd("list", "--watch", "--json", cwd=repo, check=False).returncode == 2
    # Ctrl-C as a terminal sends it: a test run started in the background (CI, nohup, '&')
    # inherits SIGINT ignored, and so would the watch, so the child gets the default back.
    proc = subprocess.Popen([sys.executable, "-m", "bd", "list", "--watch"], cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    guard = threading.Timer(60, proc.kill)  # a hung watch fails the test instead of blocking
    guard.start()
    seen = ""
    deadline = time.time() + 30
    while "watching" not in seen and time.time() < deadline:
        seen += proc.stdout.readline()
    assert "t-1" in seen
    bd("create", "Second", "--id", "t-2", cwd=repo)
    seen = ""
    while "watching" not in seen and time.time() < deadline:
        seen += proc.stdout.readline()
    assert "t-2" in seen  # redrawn with the new issue
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    guard.cancel()


def test_worktrees_share_one_issue_database(repo: Path) -> None:
    bd("create", "Main issue", "--id", "t-m", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "base", cwd=repo)
    made = bdj("worktree", "create", "wt-a", "--branch", "feature-a", cwd=repo)
    wt = Path(made["path"])
    assert wt == repo / "wt-a" and made["branch"] == "feature-a"
    assert (wt / ".beads" / "redirect").exists()
    bd("create", "Made in the worktree", "--id", "t-w", cwd=wt)
    assert "t-w" in jsonl_path(repo).read_text()  # written to the main checkout's issues
    info = bdj("worktree", "info", cwd=wt)
    assert info["is_worktree"] is True and info["beads_redirected"] is True
    assert Path(info["beads_target"]) == repo / ".beads"
    rows = {r["name"]: r for r in bdj("worktree", "list", cwd=repo)}
    assert rows["wt-a"]["beads_state"] == "redirect" and rows["repo"]["is_main"] is True
    assert git("status", "--porcelain", "--", "wt-a", cwd=repo).strip() == ""  # excluded
    (wt / "work.txt").write_text("unsaved\n")
    refused = bd("worktree", "remove", "wt-a", cwd=repo, check=False)
    assert refused.returncode == 1 and "uncommitted" in refused.stderr and wt.exists()
    bd("worktree", "remove", "wt-a", "--force", cwd=repo)
    assert not wt.exists()
    assert bd("worktree", "remove", "repo", cwd=repo, check=False).returncode == 1


def test_preflight_checklist_and_checks(repo: Path) -> None:
    listing = bd("preflight", cwd=repo).stdout
    assert "PR Readiness Checklist" in listing and "bd preflight --check" in listing
    bd("create", "Real work", "-d", "A real description", cwd=repo)
    failing = bd("preflight", "--check", cwd=repo, check=False)
    assert failing.returncode == 1 and "uncommitted changes" in failing.stdout
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "issues", cwd=repo)
    result = bdj("preflight", "--check", cwd=repo)
    assert result["passed"] is True and len(result["checks"]) == 4
    git("config", "--unset", "merge.beads.driver", cwd=repo)
    assert bd("preflight", "--check", cwd=repo, check=False).returncode == 1
    bd("preflight", "--check", "--fix", cwd=repo)  # doctor's fix restores the driver
    assert git("config", "merge.beads.driver", cwd=repo).strip()
    assert bd("preflight", "--fix", cwd=repo, check=False).returncode == 2


def test_migrate_cleanup_removes_leftovers(repo: Path) -> None:
    for name in ("bd.db", "daemon.log", "beads.left.jsonl"):
        (repo / ".beads" / name).write_text("old\n")
    dry = bdj("migrate", "--cleanup", "--dry-run", cwd=repo)
    assert len(dry["found"]) == 3 and dry["removed"] == []
    assert bd("migrate", "--cleanup", cwd=repo, check=False).returncode == 2  # no terminal
    done = bdj("migrate", "--cleanup", "--yes", cwd=repo)
    assert len(done["removed"]) == 3
    assert not (repo / ".beads" / "bd.db").exists()
    assert (repo / ".beads" / "config.yaml").exists()


def test_repair_removes_references_to_missing_issues(repo: Path, tmp_path: Path) -> None:
    bd("create", "Keeps a link", "--id", "t-a", cwd=repo)
    line = json.loads(jsonl_path(repo).read_text())
    line["dependencies"] = [{"issue_id": "t-a", "depends_on_id": "t-gone", "type": "blocks",
                             "created_at": line["created_at"]}]
    jsonl_path(repo).write_text(json.dumps(line) + "\n")
    dry = bdj("repair", "--dry-run", cwd=repo)
    assert dry["orphan_counts"]["total"] == 1 and dry["fixed"] == 0
    assert "t-gone" in jsonl_path(repo).read_text()
    out = bdj("repair", "--path", str(repo), cwd=tmp_path)
    assert out["fixed"] == 1 and "t-gone" not in jsonl_path(repo).read_text()
    assert "No orphaned references" in bd("repair", cwd=repo).stdout


def test_migrate_sync_moves_issues_to_a_sync_branch(repo: Path) -> None:
    bd("create", "Existing", "--id", "t-e", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "base", cwd=repo)
    assert bdj("migrate", "sync", "beads-sync", "--dry-run", cwd=repo)["status"] == "dry_run"
    out = bdj("migrate", "sync", "beads-sync", cwd=repo)
    assert out["status"] == "migrated" and out["issue_count"] == 1
    assert "beads-worktrees" in out["path"]
    assert 'sync.branch: "beads-sync"' in (repo / ".beads" / "config.yaml").read_text()
    assert [r["id"] for r in bdj("list", cwd=repo)] == ["t-e"]
    assert bdj("migrate", "sync", "beads-sync", cwd=repo)["status"] == "current"
    assert bdj("migrate", "sync", "beads-sync", "--force", cwd=repo)["status"] == "migrated"
    assert bd("migrate", "sync", "bad..name", cwd=repo, check=False).returncode != 0
