"""Real git: the merge driver through git merge and rebase, bd resolve-conflicts, bd sync in
regular mode (bare remote + clones), and sync-branch mode for protected branches."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import bd, bdj, create, git, jsonl_path, read_records, record


def setup_remote(tmp: Path, *names: str, branch_mode: bool = False) -> list[Path]:
    """A bare remote and clones; the first clone runs bd init, commits and pushes."""
    git("init", "-q", "--bare", str(tmp / "remote.git"), cwd=tmp)
    first = tmp / names[0]
    git("clone", "-q", str(tmp / "remote.git"), str(first), cwd=tmp)
    (first / "README").write_text("hello\n")
    args = ["init", "--prefix", "t"] + (["--branch", "beads-sync"] if branch_mode else [])
    bd(*args, cwd=first)
    git("add", "-A", cwd=first)
    git("commit", "-qm", "init", cwd=first)
    git("push", "-q", "-u", "origin", "HEAD", cwd=first)
    clones = [first]
    for name in names[1:]:
        path = tmp / name
        git("clone", "-q", str(tmp / "remote.git"), str(path), cwd=tmp)
        bd("init", "--prefix", "t", cwd=path)  # registers the driver and hooks in this clone
        clones.append(path)
    return clones


def status(path: Path) -> str:
    return git("status", "--porcelain", cwd=path)


# -- the driver through git ------------------------------------------------------------------

@pytest.mark.parametrize("rebase", [False, True])
def test_driver_merges_concurrent_edits_in_merge_and_rebase(tmp_path: Path,
                                                            rebase: bool) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "shared issue", "-p", "2")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    if rebase:
        git("config", "pull.rebase", "true", cwd=b)
    # a: new issue P and X.priority=1;  b: new issue Q and X.title=new
    p = create(a, "P only on a")
    bd("update", x, "-p", "1", cwd=a)
    bd("sync", cwd=a)
    q = create(b, "Q only on b")
    bd("update", x, "--title", "new title", cwd=b)
    bd("sync", cwd=b)
    data = jsonl_path(b).read_bytes()
    assert b"<<<<<<<" not in data
    ids = {r["id"] for r in read_records(b)}
    assert {p, q, x} <= ids
    rec = record(b, x)
    assert rec["priority"] == 1 and rec["title"] == "new title"
    assert bdj("show", x, cwd=b)[0]["title"] == "new title"
    bd("sync", cwd=a)
    assert jsonl_path(a).read_bytes() == jsonl_path(b).read_bytes()
    assert status(a) == "" and status(b) == ""


def test_branches_merged_with_the_driver(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a")
    x = create(a, "X")
    git("add", "-A", cwd=a)
    git("commit", "-qm", "x", cwd=a)
    git("checkout", "-qb", "p", cwd=a)
    p = create(a, "P")
    bd("label", "add", x, "from-p", cwd=a)
    git("commit", "-qam", "p", cwd=a)
    git("checkout", "-q", "-", cwd=a)
    git("checkout", "-qb", "q", cwd=a)
    q = create(a, "Q")
    bd("comment", x, "from q", cwd=a)
    git("commit", "-qam", "q", cwd=a)
    git("merge", "-q", "--no-edit", "p", cwd=a)
    rec = record(a, x)
    assert rec["labels"] == ["from-p"] and rec["comments"][0]["text"] == "from q"
    assert {p, q} <= {r["id"] for r in read_records(a)}
    assert bdj("show", p, cwd=a)[0]["title"] == "P"


def test_merge_driver_exit_codes(tmp_path: Path) -> None:
    base = tmp_path / "base.jsonl"
    ours = tmp_path / "ours.jsonl"
    theirs = tmp_path / "theirs.jsonl"
    line = '{"id":"t-1","title":"A","priority":2,"created_at":"2025-01-01T00:00:00Z",' \
           '"updated_at":"2025-01-01T00:00:00Z"}\n'
    base.write_text(line)
    ours.write_text(line.replace('"A"', '"B"').replace("01T00", "02T00"))
    theirs.write_text(line.replace('"A"', '"C"').replace("01T00", "03T00"))
    assert bd("merge", str(ours), str(base), str(ours), str(theirs), cwd=tmp_path).returncode == 0
    assert json.loads(ours.read_text())["title"] == "C"
    # strict: a true conflict is left with markers, exit 1
    ours.write_text(line.replace('"A"', '"B"').replace("01T00", "02T00"))
    proc = bd("merge", "--strict", str(ours), str(base), str(ours), str(theirs), cwd=tmp_path,
              check=False)
    assert proc.returncode == 1 and "<<<<<<<" in ours.read_text()
    # error: inputs untouched, one line on stderr, exit 2
    theirs.write_text("{not json\n")
    ours.write_text(line)
    before = ours.read_bytes()
    proc = bd("merge", str(ours), str(base), str(ours), str(theirs), cwd=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "theirs.jsonl:1" in proc.stderr and ours.read_bytes() == before


def test_resolve_conflicts_from_index_stages(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a")
    git("config", "--remove-section", "merge.beads", cwd=a)  # a clone without the driver
    x = create(a, "X")
    git("commit", "-qam", "x", cwd=a)
    git("checkout", "-qb", "side", cwd=a)
    bd("update", x, "--title", "side title", cwd=a)
    s = create(a, "S")
    git("commit", "-qam", "side", cwd=a)
    git("checkout", "-q", "-", cwd=a)
    bd("update", x, "-p", "0", cwd=a)
    git("commit", "-qam", "main", cwd=a)
    proc = subprocess.run(["git", "merge", "side"], cwd=a, capture_output=True, text=True)
    assert proc.returncode != 0
    assert b"<<<<<<<" in jsonl_path(a).read_bytes()
    refused = bd("list", cwd=a, check=False)
    assert refused.returncode == 1 and "bd resolve-conflicts" in refused.stderr
    out = bdj("resolve-conflicts", cwd=a)
    assert out["source"] == "git index stages"
    rec = record(a, x)
    assert rec["title"] == "side title" and rec["priority"] == 0
    assert s in {r["id"] for r in read_records(a)}
    assert "issues.jsonl" not in git("diff", "--name-only", "--diff-filter=U", cwd=a)
    git("commit", "-qm", "merged", cwd=a)


def test_resolve_conflicts_from_markers_alone(tmp_path: Path, repo: Path) -> None:
    one = create(repo, "one")
    rec = json.loads(jsonl_path(repo).read_text())
    left = dict(rec, title="left", updated_at="2030-01-01T00:00:00Z")
    right = dict(rec, priority=0, updated_at="2030-01-02T00:00:00Z")
    jsonl_path(repo).write_text(f"<<<<<<< ours\n{json.dumps(left)}\n||||||| base\n"
                                f"{json.dumps(rec)}\n=======\n{json.dumps(right)}\n"
                                ">>>>>>> theirs\n")
    out = bdj("resolve-conflicts", cwd=repo)
    assert out["source"] == "conflict markers"
    got = record(repo, one)
    assert got["priority"] == 0 and got["title"] == "left"
    assert bdj("show", one, cwd=repo)[0]["title"] == "left"


# -- bd sync, regular mode -------------------------------------------------------------------

def test_sync_commits_only_beads_and_keeps_user_staging(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a")
    (a / "src.txt").write_text("work in progress\n")
    git("add", "src.txt", cwd=a)
    (a / "unstaged.txt").write_text("x\n")
    (a / ".beads" / "config.yaml").write_text(
        (a / ".beads" / "config.yaml").read_text() + "# my local edit\n")
    create(a, "an issue")
    out = bdj("sync", cwd=a)
    assert out["committed"] and out["pushed"]
    files = git("show", "--name-only", "--format=", "HEAD", cwd=a).split()
    assert files == [".beads/issues.jsonl"]
    st = status(a)
    assert "A  src.txt" in st and "?? unstaged.txt" in st and " M .beads/config.yaml" in st
    assert "# my local edit" in (a / ".beads" / "config.yaml").read_text()


def test_sync_without_remote_commits_locally_and_says_so(tmp_path: Path, repo: Path) -> None:
    git("commit", "-q", "--allow-empty", "-m", "root", cwd=repo)
    create(repo, "local")
    out = bdj("sync", cwd=repo)
    assert out["committed"] and not out["pushed"]
    assert any("no remote" in s for s in out["skipped"])
    human = bd("sync", cwd=repo).stdout
    assert "No issue changes to commit" in human and "no remote" in human


def test_sync_retries_a_rejected_push(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    create(a, "from a")
    bd("sync", cwd=a)
    create(b, "from b")
    # b commits, then a pushes first: b's push is rejected, b pulls (driver) and retries
    git("add", ".beads/issues.jsonl", cwd=b)
    git("commit", "-qm", "b local", cwd=b)
    create(a, "a again")
    bd("sync", cwd=a)
    out = bdj("sync", cwd=b)
    assert out["pushed"]
    bd("sync", cwd=a)
    assert jsonl_path(a).read_bytes() == jsonl_path(b).read_bytes()
    assert len(read_records(a)) == 3


def test_sync_aborts_on_conflicts_outside_beads(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    (a / "README").write_text("a's readme\n")
    git("commit", "-qam", "a readme", cwd=a)
    git("push", "-q", cwd=a)
    (b / "README").write_text("b's readme\n")
    git("commit", "-qam", "b readme", cwd=b)
    create(b, "b issue")
    head_before = git("rev-parse", "HEAD", cwd=b)
    proc = bd("sync", cwd=b, check=False)
    assert proc.returncode == 1 and "outside .beads/" in proc.stderr
    assert "MERGE_HEAD" not in os.listdir(b / ".git")
    assert git("rev-parse", "HEAD~1", cwd=b) == head_before  # the issue commit is kept
    assert (b / "README").read_text() == "b's readme\n"


def test_sync_refuses_during_a_merge(tmp_path: Path, repo: Path) -> None:
    git("commit", "-q", "--allow-empty", "-m", "root", cwd=repo)
    (Path(repo) / ".git" / "MERGE_HEAD").write_text(git("rev-parse", "HEAD", cwd=repo))
    proc = bd("sync", cwd=repo, check=False)
    assert proc.returncode == 1 and "merge is in progress" in proc.stderr


# -- sync-branch mode --------------------------------------------------------------------------

def test_sync_branch_end_to_end(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a", branch_mode=True)
    main_head = git("rev-parse", "HEAD", cwd=a)
    x = create(a, "on the sync branch")
    assert status(a) == ""  # the user's tree is untouched by writes
    bd("sync", cwd=a)
    assert git("rev-parse", "HEAD", cwd=a) == main_head
    assert git("branch", "--show-current", cwd=a).strip() in ("main", "master")
    log = git("log", "--format=%s", "origin/beads-sync", cwd=a)
    assert "bd sync" in log
    shown = git("show", "origin/beads-sync:.beads/issues.jsonl", cwd=a)
    assert x in shown
    # main never gets it: its .beads/ holds the config that names the sync branch, only
    assert git("ls-tree", "--name-only", "HEAD", ".beads/", cwd=a).split() == [
        ".beads/config.yaml"]

    # a second clone picks the mode up from the committed config and sees the issue
    b = tmp_path / "b"
    git("clone", "-q", str(tmp_path / "remote.git"), str(b), cwd=tmp_path)
    assert [r["id"] for r in bdj("list", cwd=b)] == [x]
    y = create(b, "from b")
    bd("update", x, "-p", "0", cwd=b)
    bd("sync", cwd=b)
    bd("update", x, "--title", "renamed on a", cwd=a)
    bd("sync", cwd=a)  # diverged: merged by content, never reset
    bd("sync", cwd=b)
    got = {r["id"]: r for r in bdj("list", "--all", cwd=b)}
    assert got[x]["title"] == "renamed on a" and got[x]["priority"] == 0 and y in got
    # the user's git keeps working
    (a / "README").write_text("edited\n")
    git("stash", cwd=a)
    git("stash", "pop", cwd=a)
    git("checkout", "-qb", "feature", cwd=a)
    git("checkout", "-q", "-", cwd=a)
    git("pull", "-q", cwd=a)
    assert status(a) == " M README\n"


def test_sync_branch_recovers_deleted_worktree_and_ignores_user_hooks(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a", branch_mode=True)
    x = create(a, "first")
    bd("sync", cwd=a)
    hook = a / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    shutil.rmtree(a / ".git" / "beads-worktrees")
    assert [r["id"] for r in bdj("list", cwd=a)] == [x]  # worktree re-created from the branch
    create(a, "second")
    bd("sync", cwd=a)
    assert "second" in git("show", "origin/beads-sync:.beads/issues.jsonl", cwd=a)
    # stale registration: folder gone but git still lists it
    shutil.rmtree(a / ".git" / "beads-worktrees" / "beads-sync")
    assert len(bdj("list", cwd=a)) == 2


def test_sync_branch_in_bare_repo_with_linked_worktrees(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a", branch_mode=True)
    x = create(a, "first")
    bd("sync", cwd=a)
    bare = tmp_path / "proj.git"
    git("clone", "-q", "--bare", str(tmp_path / "remote.git"), str(bare), cwd=tmp_path)
    git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*", cwd=bare)
    git("fetch", "-q", "origin", cwd=bare)
    main = git("symbolic-ref", "--short", "HEAD", cwd=bare).strip()
    wt = tmp_path / "wt-main"
    git("worktree", "add", "-q", str(wt), main, cwd=bare)
    assert [r["id"] for r in bdj("list", cwd=wt)] == [x]
    create(wt, "from the bare layout")
    bd("sync", cwd=wt)
    assert (bare / "beads-worktrees" / "beads-sync" / ".beads" / "issues.jsonl").exists()
    bd("sync", cwd=a)
    assert "from the bare layout" in git("show", "origin/beads-sync:.beads/issues.jsonl", cwd=a)
    assert len(bdj("list", cwd=a)) == 2


def test_sync_merge_brings_the_branch_to_main(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a", branch_mode=True)
    x = create(a, "to be merged")
    bd("sync", cwd=a)
    out = bdj("sync", "--merge", cwd=a)
    assert out["merged"]
    assert x in git("show", "HEAD:.beads/issues.jsonl", cwd=a)


def test_init_branch_rejects_main(tmp_path: Path) -> None:
    path = tmp_path / "r"
    path.mkdir()
    git("init", "-q", cwd=path)
    proc = bd("init", "--prefix", "t", "--branch", "main", cwd=path, check=False)
    assert proc.returncode != 0 and "cannot be 'main'" in proc.stderr


def test_import_of_a_conflicted_file_uses_the_merge_engine(tmp_path: Path, repo: Path) -> None:
    one = create(repo, "one")
    rec = json.loads(jsonl_path(repo).read_text())
    other = dict(rec, id="t-zzz", title="only in theirs")
    left = dict(rec, title="ours", updated_at="2030-01-01T00:00:00Z")
    conflicted = tmp_path / "incoming.jsonl"
    conflicted.write_text(f"<<<<<<< ours\n{json.dumps(left)}\n||||||| base\n{json.dumps(rec)}\n"
                          f"=======\n{json.dumps(rec)}\n{json.dumps(other)}\n>>>>>>> theirs\n")
    bd("import", "-i", str(conflicted), cwd=repo)
    assert record(repo, one)["title"] == "ours"
    assert record(repo, "t-zzz")["title"] == "only in theirs"


def test_offline_clones_minting_the_same_child_id_both_survive(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    parent = create(a, "parent epic", "-t", "epic")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    child_a = create(a, "child from a", "--parent", parent)
    child_b = create(b, "child from b", "--parent", parent)
    assert child_a == child_b == f"{parent}.1"  # both clones minted the same id offline
    bd("sync", cwd=a)
    out = bdj("sync", cwd=b)
    assert out["renumbered"] == [{"from": f"{parent}.1", "to": f"{parent}.2",
                                  "title": "child from b", "yours": True}], out
    assert ".merge_file" not in json.dumps(out)
    bd("sync", cwd=a)
    titles = {r["id"]: r["title"] for r in read_records(b)}
    assert titles[f"{parent}.1"] == "child from a"
    assert titles[f"{parent}.2"] == "child from b"
    assert jsonl_path(a).read_bytes() == jsonl_path(b).read_bytes()
    kids = {r["id"] for r in bdj("children", parent, cwd=b)}
    assert kids == {f"{parent}.1", f"{parent}.2"}
