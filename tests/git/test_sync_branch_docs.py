"""Sync-branch mode set up exactly as README.md and docs/sync.md say, with two clones of a
bare remote (issue 10): every documented step succeeds, the user's work tree stays clean
(nothing of bd's untracked or modified), and the issues reach main through ``bd sync
--merge``, through a hosted pull-request merge (no merge driver), and through teammates' plain
``git pull``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import bd, bdj, git


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A documented command: it must succeed and print no error."""
    if args[0] == "bd":
        proc = bd(*args[1:], cwd=cwd)
    else:
        proc = subprocess.run(list(args), cwd=cwd, text=True, capture_output=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(args)}: {proc.stderr}"
    assert "rror" not in proc.stderr and "fatal" not in proc.stderr, proc.stderr
    return proc


def untracked_or_modified(root: Path) -> list[str]:
    return git("status", "--porcelain", "--untracked-files=all", cwd=root).splitlines()


def titles(root: Path) -> set[str]:
    return {r["title"] for r in bdj("list", "--all", cwd=root)}


def test_sync_branch_mode_as_documented(tmp_path: Path) -> None:
    git("init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    git("clone", "-q", str(tmp_path / "remote.git"), str(a), cwd=tmp_path)
    (a / "app.py").write_text("print('hi')\n")
    git("add", "app.py", cwd=a)
    git("commit", "-qm", "code", cwd=a)
    git("push", "-q", "-u", "origin", "HEAD", cwd=a)

    # docs/sync.md, "Sync-branch mode": init with --branch, commit config.yaml + .gitattributes
    out = run("bd", "init", "--prefix", "proj", "--branch", "beads-sync", cwd=a).stdout
    cache = a / ".git" / "beads-worktrees" / "beads-sync" / ".beads" / "beads.db"
    assert f"Database: {cache}" in out and cache.exists()  # the real cache path
    assert sorted(untracked_or_modified(a)) == ["?? .beads/config.yaml", "?? .gitattributes"]
    run("git", "add", ".beads/config.yaml", ".gitattributes", cwd=a)
    run("git", "commit", "-qm", "Use bd with a sync branch", cwd=a)
    run("git", "push", "-q", cwd=a)
    assert untracked_or_modified(a) == []

    # README's tour, in this clone
    design = run("bd", "create", "Design the API", "-p", "1", "-t", "feature", "--silent",
                 cwd=a).stdout.strip()
    run("bd", "create", "Implement the API", "--deps", design, cwd=a)
    run("bd", "ready", cwd=a)
    run("bd", "update", design, "--claim", "--actor", "agent-1", cwd=a)
    run("bd", "close", design, "-r", "done", cwd=a)
    run("bd", "sync", cwd=a)
    assert untracked_or_modified(a) == []

    # a teammate clones and runs bd init: nothing appears in their work tree
    run("git", "clone", "-q", str(tmp_path / "remote.git"), str(b), cwd=tmp_path)
    run("bd", "init", cwd=b)
    assert untracked_or_modified(b) == []
    assert {"Design the API", "Implement the API"} <= titles(b)
    run("bd", "create", "Teammate's issue", cwd=b)
    run("bd", "sync", cwd=b)
    assert untracked_or_modified(b) == []

    # the issues reach main: bd sync --merge, then push (docs: "How the issues reach main")
    run("bd", "sync", cwd=a)
    assert "Teammate's issue" in titles(a)
    run("bd", "sync", "--merge", cwd=a)
    run("git", "push", "-q", cwd=a)
    assert untracked_or_modified(a) == []
    # the teammate's plain git pull brings main's snapshot: no untracked file in the way
    run("git", "pull", "-q", "--no-rebase", cwd=b)
    assert untracked_or_modified(b) == []
    assert (b / ".beads" / "issues.jsonl").exists()

    # more work, then a hosted pull-request merge (no merge driver on the server)
    run("bd", "create", "After the first merge", cwd=b)
    run("bd", "sync", cwd=b)
    server = tmp_path / "server"
    run("git", "clone", "-q", str(tmp_path / "remote.git"), str(server), cwd=tmp_path)
    run("git", "merge", "-q", "--no-ff", "-m", "Merge pull request: beads-sync",
        "origin/beads-sync", cwd=server)
    run("git", "push", "-q", cwd=server)
    for root in (a, b):
        run("git", "pull", "-q", "--no-rebase", cwd=root)
        assert untracked_or_modified(root) == []
        run("bd", "sync", cwd=root)
        assert "After the first merge" in titles(root)
        assert untracked_or_modified(root) == []
    main_file = git("show", "origin/main:.beads/issues.jsonl", cwd=a)
    assert "After the first merge" in main_file
