"""Scale (5,000 paged remote issues), progress on a terminal, and the sync flags."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, create, jsonl_path, make_repo, read_records, record
from harness import TOKEN, GitHubHarness

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from ttyrun import run_tty  # noqa: E402


@pytest.fixture
def gh(tmp_path: Path) -> Any:
    h = GitHubHarness()
    repo = make_repo(tmp_path / "repo")
    env = h.configure(repo)
    yield h, repo, env
    h.stop()


def sync(repo: Path, env: dict[str, str], *flags: str) -> Any:
    return json.loads(bd("github", "sync", *flags, "--json", cwd=repo, env=env).stdout)


@pytest.mark.slow
def test_pull_5000_paged_issues_within_30s_with_progress_on_a_tty(gh: Any) -> None:
    h, repo, env = gh
    for i in range(5000):
        h.fake.add_issue(f"Issue {i}", body=f"Body {i}",
                         labels=("type::bug", "priority::high") if i % 2 else ("docs",))
    start = time.monotonic()
    res = run_tty("github", "sync", "--pull", cwd=repo, on=("stderr",), env=env,
                  timeout=120)
    elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stderr + res.tty
    assert elapsed < 30, f"5,000 issues took {elapsed:.1f} s"
    assert len(read_records(repo)) == 5000
    pages = [p for m, p in h.fake.requests if m == "GET" and p.endswith("/issues")]
    assert len(pages) == 50  # 100 per page, followed through the Link header
    # Progress went to the terminal: the fetch (with the total from rel="last") and the import.
    assert "Fetching from GitHub" in res.tty and "/5,000" in res.tty
    assert "Importing" in res.tty
    assert "Pulled: 5000 created" in res.stdout
    # Without a terminal (or with -q) nothing but the report.
    quiet = bd("github", "sync", cwd=repo, env=env)
    assert "Fetching" not in quiet.stderr and "Nothing to sync" in quiet.stdout


def test_dry_run_writes_nothing(gh: Any) -> None:
    h, repo, env = gh
    h.seed(3)
    rid = create(repo, "Local")
    before = jsonl_path(repo).read_bytes()
    rep = sync(repo, env, "--dry-run")
    assert rep["dry_run"] and len(rep["pulled"]["created"]) == 3
    assert rep["pushed"]["created"] == [rid]
    assert jsonl_path(repo).read_bytes() == before
    assert h.fake.writes == []
    assert not (repo / ".beads" / "trackers" / "github.json").exists()


def test_shorthand_ref_links_and_is_canonicalised(gh: Any) -> None:
    h, repo, env = gh
    key = h.seed(1, comments=False)[0]
    rid = create(repo, "Remote issue 0", "--external-ref", f"github:{key}")
    rep = sync(repo, env)
    assert rep["pulled"]["created"] == [] and rep["pushed"]["created"] == []
    assert rep["refs_updated"] == [rid]
    assert record(repo, rid)["external_ref"] == h.ref(key)


def test_policy_flags_are_exclusive(gh: Any) -> None:
    _, repo, env = gh
    proc = bd("github", "sync", "--prefer-local", "--prefer-remote", cwd=repo, env=env,
              check=False)
    assert proc.returncode == 2 and "choose one" in proc.stderr


def test_token_in_project_config_is_refused(gh: Any) -> None:
    h, repo, env = gh
    bd("config", "set", "github.token", TOKEN, cwd=repo)
    proc = bd("github", "sync", cwd=repo, env=env, check=False)
    assert proc.returncode == 1
    assert "must not be in the project's config.yaml" in proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout
    assert h.fake.requests == []


def test_token_from_user_config(gh: Any, tmp_path: Path) -> None:
    h, repo, env = gh
    import os

    cfg = Path(os.environ["XDG_CONFIG_HOME"]) / "bd" / "config.yaml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(f"github.token: {TOKEN}\n")
    h.seed(1)
    rep = json.loads(bd("github", "sync", "--json", cwd=repo).stdout)  # no GITHUB_TOKEN
    assert len(rep["pulled"]["created"]) == 1


def test_wrong_token_is_a_clear_error(gh: Any) -> None:
    _, repo, _ = gh
    proc = bd("github", "sync", cwd=repo, env={"GITHUB_TOKEN": "wrong-token-xyz"}, check=False)
    assert proc.returncode == 1 and "HTTP 401" in proc.stderr and "Bad credentials" in \
        proc.stderr
    assert "wrong-token-xyz" not in proc.stderr


def test_readonly_refuses_sync(gh: Any) -> None:
    _, repo, env = gh
    proc = bd("--readonly", "github", "sync", cwd=repo, env=env, check=False)
    assert proc.returncode == 1 and "read-only" in proc.stderr


def test_deleted_local_issue_is_left_alone(gh: Any) -> None:
    h, repo, env = gh
    key = h.seed(1, comments=False)[0]
    sync(repo, env)
    rid = read_records(repo)[0]["id"]
    bd("delete", rid, "--force", cwd=repo)
    rep = sync(repo, env)
    assert rep["pushed"]["updated"] == [] and h.state(key) == "open"
    assert rep["pulled"]["created"] == []  # the tombstone keeps the link: not re-imported


def test_fields_changed_on_different_sides_both_survive(gh: Any) -> None:
    h, repo, env = gh
    key = h.seed(1, comments=False)[0]
    sync(repo, env)
    rid = read_records(repo)[0]["id"]
    bd("update", rid, "--title", "Local title", cwd=repo)
    h.fake.edit(int(key), labels=["type::bug", "priority::high", "ui", "remote-label"])
    rep = sync(repo, env)
    assert rep["conflicts"] == []
    rec = record(repo, rid)
    assert rec["title"] == "Local title" and "remote-label" in rec["labels"]
    assert h.title(key) == "Local title" and "remote-label" in h.labels(key)


def test_fresh_clone_without_state_changes_nothing(gh: Any, tmp_path: Path) -> None:
    """Another clone (no state file) links through external_ref and compares values: what is
    equal is agreed, nothing is pushed twice, no comment is duplicated."""
    h, repo, env = gh
    h.seed(3)
    rid = create(repo, "Local")
    bd("comments", "add", rid, "local comment", cwd=repo)
    sync(repo, env)
    sync(repo, env)
    from conftest import git

    git("add", ".beads", cwd=repo)
    git("commit", "-qm", "issues", cwd=repo)
    clone = tmp_path / "clone"
    git("clone", "-q", str(repo), str(clone), cwd=tmp_path)
    bd("count", cwd=clone)
    assert not (clone / ".beads" / "trackers" / "github.json").exists()
    before = jsonl_path(clone).read_bytes()
    writes = len(h.fake.writes)
    rep = sync(clone, env)
    assert rep["conflicts"] == [] and not rep["changed"]
    assert jsonl_path(clone).read_bytes() == before and len(h.fake.writes) == writes
    rep = sync(clone, env)
    assert not rep["changed"] and len(h.fake.writes) == writes


def test_kill_after_an_update_keeps_the_pending_pull(gh: Any) -> None:
    """Killed after pushing a title while a remote label change was still to be written
    locally: the next sync pulls the label and does not push the old labels back."""
    import os
    import signal
    import subprocess

    h, repo, env = gh
    key = h.seed(1, comments=False)[0]
    sync(repo, env)
    rid = read_records(repo)[0]["id"]
    bd("update", rid, "--title", "Local title", cwd=repo)
    h.fake.edit(int(key), labels=["type::bug", "priority::high", "ui", "remote-label"])
    h.comment(key, "a remote comment")
    other = create(repo, "Created as the kill lands")
    # Write 1 is the update (answered: journaled), write 2 the create (done, never answered).
    h.fake.stall_after_writes = len(h.fake.writes) + 2
    proc = subprocess.Popen([sys.executable, "-m", "bd", "github", "sync"], cwd=repo,
                            env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert h.fake.stalled.wait(30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    h.fake.release()
    assert "remote-label" not in record(repo, rid).get("labels", [])
    rep = sync(repo, env)
    assert rep["recovered_from_journal"] == 2 and rep["pushed"]["created"] == []
    assert record(repo, other)["external_ref"]
    assert sorted(h.title(k) for k in h.keys()) == ["Created as the kill lands", "Local title"]
    rec = record(repo, rid)
    assert "remote-label" in rec["labels"] and rec["title"] == "Local title"
    assert [c["text"] for c in rec["comments"]] == ["a remote comment"]
    assert "remote-label" in h.labels(key) and h.title(key) == "Local title"
    assert not sync(repo, env)["changed"]
