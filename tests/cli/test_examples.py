"""docs/examples/dispatch.py works as docs/extending.md says, against the real CLI."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "examples" / "dispatch.py"


@pytest.fixture
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Tester\n\temail = tester@example.com\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BD_", "BEADS_", "GIT_"))}
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1",
               USER="tester", PYTHONPATH=str(ROOT))
    for key in [k for k in os.environ if k.startswith(("BD_", "BEADS_", "GIT_"))]:
        monkeypatch.delenv(key)
    for key in ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "USER"):
        monkeypatch.setenv(key, env[key])
    return env


class Repo:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def bd(self, *args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "bd", *args], cwd=self.path, env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout

    def create(self, title: str, *args: str) -> str:
        return self.bd("create", title, "--silent", *args).strip()

    def issue(self, rid: str) -> dict[str, Any]:
        data: list[dict[str, Any]] = json.loads(self.bd("show", rid, "--json"))
        return data[0]

    def executions(self) -> list[tuple[str, str]]:
        conn = sqlite3.connect(self.path / ".beads" / "beads.db")
        try:
            return conn.execute("SELECT issue_id, worker FROM myapp_executions ORDER BY id"
                                ).fetchall()
        finally:
            conn.close()


@pytest.fixture
def project(tmp_path: Path, hermetic_env: dict[str, str]) -> Repo:
    path = tmp_path / "project"
    path.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=path, env=hermetic_env, check=True)
    r = Repo(path, hermetic_env)
    r.bd("init", "--prefix", "ex", "-q")
    return r


def _dispatch(repo: Repo, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(SCRIPT), str(repo.path), *args],
                          env=repo.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary


def test_dispatch_claims_ready_work_and_records_rows(project: Repo) -> None:
    repo = project
    a = repo.create("Alpha", "-p", "1")
    b = repo.create("Beta, waits for alpha", "-p", "2", "--deps", a)
    c = repo.create("Gamma, urgent", "-p", "0")
    d = repo.create("Delta, already assigned", "-p", "1", "-a", "bob")

    summary = _dispatch(repo, "--limit", "5", "--worker", "w1")

    assert summary["claimed"] == [c, a]  # priority order; b is blocked, d is taken
    assert summary["lost"] == []
    assert [(e["issue_id"], e["status"], e["assignee"]) for e in summary["executions"]] == [
        (c, "in_progress", "w1"), (a, "in_progress", "w1")]
    assert repo.executions() == [(c, "w1"), (a, "w1")]
    for rid in (a, c):
        issue = repo.issue(rid)
        assert (issue["status"], issue["assignee"]) == ("in_progress", "w1")
    assert repo.issue(b)["status"] == "open" and not repo.issue(b).get("assignee")
    assert repo.issue(d)["assignee"] == "bob"

    again = _dispatch(repo, "--worker", "w2")  # nothing unassigned is ready any more
    assert again["claimed"] == [] and again["executions"] == []
    assert repo.executions() == [(c, "w1"), (a, "w1")]


def test_rows_survive_refresh_and_follow_their_issue(project: Repo) -> None:
    repo = project
    a = repo.create("Alpha", "-p", "1")
    c = repo.create("Gamma", "-p", "0")
    _dispatch(repo, "--worker", "w1")
    assert sorted(repo.executions()) == sorted([(a, "w1"), (c, "w1")])

    repo.bd("update", a, "--title", "Alpha, renamed")  # an upsert keeps the app's rows
    jsonl = repo.path / ".beads" / "issues.jsonl"
    lines = jsonl.read_text().splitlines(keepends=True)
    jsonl.write_text("".join(line for line in lines if json.loads(line)["id"] != c))
    repo.bd("list")  # the refresh notices the issue left the JSONL
    assert repo.executions() == [(a, "w1")]


def test_a_lost_claim_is_reported_not_fatal(project: Repo,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import bd

    repo = project
    from bd.store.store import Store

    a = repo.create("Alpha", "-p", "1")
    b = repo.create("Beta", "-p", "2")
    real_ready = Store.ready

    def ready_then_rival_claims(self: Store, f: Any = None) -> list[dict[str, Any]]:
        rows = real_ready(self, f)
        if f is not None and f.unassigned and rows:  # another agent wins the race for one
            repo.bd("update", rows[0]["id"], "--claim", "--actor", "rival")
        return rows

    monkeypatch.setattr(Store, "ready", ready_then_rival_claims)
    spec = importlib.util.spec_from_file_location("dispatch_example", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    summary = module.dispatch(str(repo.path), limit=5, worker="w1")

    assert summary["claimed"] == [b]
    assert [x["id"] for x in summary["lost"]] == [a]
    assert "already claimed by rival" in summary["lost"][0]["reason"]
    assert repo.executions() == [(b, "w1")]
    assert repo.issue(a)["assignee"] == "rival"
    assert isinstance(bd.ClaimError("x"), bd.BdError)
