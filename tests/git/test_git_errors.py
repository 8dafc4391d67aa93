"""git's errors reach the user whole, and commits need an identity (issue 10): a bd command
that would commit without one exits 1 naming ``git config user.name`` / ``user.email``;
``scripts/demo.sh`` (what ``make demo`` runs) works with an empty HOME and no git identity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import bd, git, make_repo

ROOT = Path(__file__).resolve().parent.parent.parent


def no_identity(tmp: Path) -> dict[str, str]:
    """An environment like a fresh machine's: empty HOME, no global or system git config."""
    home = tmp / "empty-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_CONFIG_GLOBAL", "EMAIL")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / "none"))
    return env


def test_commit_without_identity_names_the_git_config_commands(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    bd("create", "an issue", cwd=repo)
    env = no_identity(tmp_path)
    if subprocess.run(["git", "var", "GIT_COMMITTER_IDENT"], cwd=repo, env=env,
                      capture_output=True).returncode == 0:
        import pytest

        pytest.skip("git finds an identity on this machine without any configuration")
    proc = subprocess.run([sys.executable, "-m", "bd", "sync"], cwd=repo, env=env, text=True,
                          capture_output=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "git config user.name" in proc.stderr and "git config user.email" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert git("status", "--porcelain", cwd=repo).strip()  # nothing was committed
    proc = subprocess.run([sys.executable, "-m", "bd", "init", "--branch", "beads-sync"],
                          cwd=tmp_path / "r", env=env, text=True, capture_output=True,
                          timeout=60)
    assert proc.returncode == 1 and "git config user.email" in proc.stderr


def test_git_errors_are_shown_whole(tmp_path: Path) -> None:
    """A pull that git refuses for several files names every one of them."""
    git("init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    a = tmp_path / "a"
    git("clone", "-q", str(tmp_path / "remote.git"), str(a), cwd=tmp_path)
    bd("init", "--prefix", "t", cwd=a)
    git("add", "-A", cwd=a)
    git("commit", "-qm", "init", cwd=a)
    git("push", "-q", "-u", "origin", "HEAD", cwd=a)
    b = tmp_path / "b"
    git("clone", "-q", str(tmp_path / "remote.git"), str(b), cwd=tmp_path)
    bd("init", "--prefix", "t", cwd=b)
    for name in ("one.txt", "two.txt"):
        (a / name).write_text("theirs\n")
        (b / name).write_text("mine, untracked\n")
    git("add", "one.txt", "two.txt", cwd=a)
    git("commit", "-qm", "files", cwd=a)
    git("push", "-q", cwd=a)
    bd("create", "an issue", cwd=b)
    proc = bd("sync", cwd=b, check=False)
    assert proc.returncode == 1
    assert "one.txt" in proc.stderr and "two.txt" in proc.stderr, proc.stderr
    assert "kept locally" in proc.stderr  # bd's advice comes after git's lines
    assert proc.stderr.index("two.txt") < proc.stderr.index("kept locally")


def test_demo_runs_without_a_git_identity(tmp_path: Path) -> None:
    env = no_identity(tmp_path)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], cwd=tmp_path, env=env,
                          text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "with SSO" in proc.stdout  # the teammate's edit arrived through bd sync
    assert not (tmp_path / "empty-home" / ".gitconfig").exists()
