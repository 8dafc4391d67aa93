"""bd init's modes against real git: team (default), stealth, contributor; idempotence,
fresh clones, subdirectories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import bd, bdj, create, git, jsonl_path, read_records

HOOK_NAMES = ["pre-commit", "post-merge", "post-checkout", "post-rewrite", "pre-push"]
DRIVER = "bd merge %A %O %A %B"


def plain_repo(tmp_path: Path, name: str = "proj") -> Path:
    root = tmp_path / name
    root.mkdir()
    git("init", "-q", cwd=root)
    return root


def config(root: Path, key: str) -> str | None:
    proc = subprocess.run(["git", "config", "--get", key], cwd=root, capture_output=True,
                          text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def status(root: Path) -> str:
    return git("status", "--porcelain", "--untracked-files=all", cwd=root)


# ------------------------------------------------------------------------------------ team


@pytest.mark.parametrize("flags", [[], ["--team"]], ids=["default", "--team"])
def test_team_mode_sets_up_git(tmp_path: Path, flags: list[str]) -> None:
    root = plain_repo(tmp_path)
    out = bdj("init", "--prefix", "t", *flags, cwd=root)
    assert out["initialized"] and out["mode"] == "team" and out["prefix"] == "t"
    assert out["issue_count"] == 0 and out["path"] == str(root / ".beads")
    assert config(root, "merge.beads.driver") == DRIVER
    assert config(root, "merge.beads.name") == "bd JSONL merge driver"
    assert (root / ".gitattributes").read_text() == ".beads/issues.jsonl merge=beads\n"
    assert git("check-attr", "merge", ".beads/issues.jsonl", cwd=root).strip().endswith(
        "merge: beads")
    ignore = (root / ".beads" / ".gitignore").read_text().splitlines()
    for pattern in ("*.db", "*.db-wal", "*.db-shm", ".bd.lock", "*.corrupt*"):
        assert pattern in ignore
    for name in HOOK_NAMES:
        assert "bd-hooks-shim" in (root / ".git" / "hooks" / name).read_text()
    st = status(root)
    assert ".beads/issues.jsonl" in st and ".beads/config.yaml" in st and ".gitattributes" in st
    assert "beads.db" not in st and ".bd.lock" not in st


def test_rerun_is_idempotent_and_keeps_issues(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    (root / ".gitattributes").write_text("*.png binary")  # no trailing newline
    bd("init", "--prefix", "t", cwd=root)
    rid = create(root, "Keep me")
    before = {p: p.read_bytes() for p in
              [jsonl_path(root), root / ".gitattributes", root / ".beads" / "config.yaml"]
              + [root / ".git" / "hooks" / n for n in HOOK_NAMES]}
    again = bd("init", cwd=root, check=False)
    assert again.returncode == 1 and "already initialized" in again.stderr
    out = bdj("init", "--force", cwd=root)
    assert out["actions"] == [] and out["issue_count"] == 1 and out["prefix"] == "t"
    after = {p: p.read_bytes() for p in before}
    assert after == before
    assert (root / ".gitattributes").read_text() == (
        "*.png binary\n.beads/issues.jsonl merge=beads\n")
    assert [r["id"] for r in read_records(root)] == [rid]


def test_init_in_a_subdirectory_writes_top_level_gitattributes(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    sub = root / "pkg" / "app"
    sub.mkdir(parents=True)
    bd("init", "--prefix", "t", cwd=sub)
    assert not (sub / ".gitattributes").exists()
    assert (root / ".gitattributes").read_text() == "pkg/app/.beads/issues.jsonl merge=beads\n"
    assert git("check-attr", "merge", "pkg/app/.beads/issues.jsonl",
               cwd=root).strip().endswith("merge: beads")


def test_skip_hooks_and_skip_merge_driver(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    bd("init", "--prefix", "t", "--skip-hooks", "--skip-merge-driver", cwd=root)
    assert config(root, "merge.beads.driver") is None
    assert not (root / ".gitattributes").exists()
    assert not (root / ".git" / "hooks" / "pre-commit").exists()


def test_a_custom_driver_is_kept_with_a_warning(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    git("config", "merge.beads.driver", "/opt/bd/bin/bd merge %A %O %A %B", cwd=root)
    proc = bd("init", "--prefix", "t", cwd=root)
    assert "left as it is" in proc.stderr
    assert config(root, "merge.beads.driver") == "/opt/bd/bin/bd merge %A %O %A %B"
    # The original's placeholders (which git never substitutes) are always replaced.
    git("config", "merge.beads.driver", "bd merge %A %O %L %R", cwd=root)
    bd("init", "--force", cwd=root)
    assert config(root, "merge.beads.driver") == DRIVER


def test_fresh_clone_init_sets_up_the_clone(tmp_path: Path) -> None:
    origin = plain_repo(tmp_path, "origin")
    bd("init", "--prefix", "t", cwd=origin)
    rid = create(origin, "Shared")
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "init", cwd=origin)
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    before = jsonl_path(clone).read_bytes()
    assert config(clone, "merge.beads.driver") is None  # per-clone config is not cloned
    out = bdj("init", cwd=clone)  # config.yaml is committed, but this clone is new
    assert out["prefix"] == "t" and out["issue_count"] == 1
    assert config(clone, "merge.beads.driver") == DRIVER
    assert (clone / ".git" / "hooks" / "pre-commit").exists()
    assert jsonl_path(clone).read_bytes() == before
    assert status(clone) == ""  # nothing to commit: the shared files were already there
    assert [r["id"] for r in read_records(clone)] == [rid]


def test_outside_git_init_still_works(tmp_path: Path) -> None:
    root = tmp_path / "nogit"
    root.mkdir()
    proc = bd("init", "--prefix", "t", cwd=root)
    assert "not a git repository" in proc.stderr
    assert (root / ".beads" / "issues.jsonl").exists()


def test_mode_flags_exclude_each_other(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    proc = bd("init", "--stealth", "--contributor", cwd=root, check=False)
    assert proc.returncode == 2
    proc = bd("init", "--planning-repo", str(tmp_path / "p"), cwd=root, check=False)
    assert proc.returncode == 2


def test_stealth_leaves_git_status_clean(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    (root / "code.py").write_text("x = 1\n")
    git("add", "code.py", cwd=root)
    git("commit", "-qm", "code", cwd=root)
    out = bdj("init", "--prefix", "s", "--stealth", cwd=root)
    assert out["mode"] == "stealth"
    create(root, "Private plan")
    bd("list", cwd=root)
    assert status(root) == ""
    assert "/.beads/" in (root / ".git" / "info" / "exclude").read_text().splitlines()
    assert config(root, "merge.beads.driver") is None
    assert not (root / ".gitattributes").exists()
    assert not any((root / ".git" / "hooks" / n).exists() for n in HOOK_NAMES)
    # Re-running does not add the exclude line twice.
    bd("init", "--stealth", "--force", cwd=root)
    assert (root / ".git" / "info" / "exclude").read_text().count("/.beads/") == 1
    assert len(read_records(root)) == 1


# ----------------------------------------------------------------------------- contributor


def test_contributor_keeps_planning_out_of_the_project(tmp_path: Path) -> None:
    root = plain_repo(tmp_path, "upstream-proj")
    (root / "code.py").write_text("x = 1\n")
    git("add", "code.py", cwd=root)
    git("commit", "-qm", "code", cwd=root)
    out = bdj("init", "--contributor", "--prefix", "me", cwd=root)
    planning = Path(os.environ["HOME"]) / ".beads-planning" / "upstream-proj"
    assert out["mode"] == "contributor" and out["planning_repo"] == str(planning)
    assert out["path"] == str(planning / ".beads")
    assert sorted(os.listdir(root / ".beads")) == ["redirect"]
    assert (root / ".beads" / "redirect").read_text().strip() == str(planning / ".beads")
    assert status(root) == ""
    assert config(root, "merge.beads.driver") is None
    assert not any((root / ".git" / "hooks" / n).exists() for n in HOOK_NAMES)
    # The planning repository is an ordinary team-mode repository with a first commit.
    assert (planning / ".beads" / "issues.jsonl").exists()
    assert config(planning, "merge.beads.driver") == DRIVER
    assert (planning / ".git" / "hooks" / "pre-commit").exists()
    assert ".beads/issues.jsonl" in git("show", "--name-only", "--format=", "HEAD",
                                        cwd=planning)
    assert "me" in (planning / ".beads" / "config.yaml").read_text()
    # Safe to re-run.
    again = bdj("init", "--contributor", cwd=root)
    assert again["prefix"] == "me"
    assert status(root) == ""


def test_contributor_issues_land_in_the_planning_repo(tmp_path: Path) -> None:
    root = plain_repo(tmp_path, "proj2")
    planning = tmp_path / "my-plans"
    bd("init", "--contributor", "--planning-repo", str(planning), "--prefix", "p", cwd=root)
    rid = create(root, "Planned privately")
    assert rid in (planning / ".beads" / "issues.jsonl").read_text()
    assert status(root) == ""
    # bd sync commits in the planning repository, never in the project
    out = bdj("sync", cwd=root)
    assert out["committed"] and out["repo"] == str(planning)
    assert status(root) == ""


def test_contributor_with_a_custom_planning_path(tmp_path: Path) -> None:
    root = plain_repo(tmp_path, "proj3")
    planning = tmp_path / "elsewhere" / "plans"
    out = bdj("init", "--contributor", "--planning-repo", str(planning), cwd=root)
    assert out["planning_repo"] == str(planning) and out["prefix"] == "proj3"
    assert (planning / ".beads" / "config.yaml").exists()
    inside = bd("init", "--contributor", "--planning-repo", str(root / "plans"), "--force",
                cwd=root, check=False)
    assert inside.returncode == 1 and "must be outside the project" in inside.stderr


def test_contributor_refuses_to_hide_local_issues(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    bd("init", "--prefix", "t", "--stealth", cwd=root)
    create(root, "Local")
    proc = bd("init", "--contributor", "--force", cwd=root, check=False)
    assert proc.returncode == 0  # --force: redirect anyway, the file is kept
    assert (root / ".beads" / "issues.jsonl").read_text().strip()
    root2 = plain_repo(tmp_path, "proj-b")
    bd("init", "--prefix", "t", "--stealth", cwd=root2)
    create(root2, "Local")
    proc = bd("init", "--contributor", cwd=root2, check=False)
    assert proc.returncode == 1 and "the redirect would hide" in proc.stderr
