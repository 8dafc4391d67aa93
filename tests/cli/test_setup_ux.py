"""Setup friction: the one-time hint in a clone without bd's git setup, bd init in an
initialised clone and inside another workspace, doctor skipping checks whose input it could
not parse."""

from __future__ import annotations

from pathlib import Path

from conftest import bd, create, git, jsonl_path, make_repo

HINT = "run 'bd doctor --fix' once"


def _clone(tmp_path: Path) -> Path:
    origin = make_repo(tmp_path / "origin")
    create(origin, "Shared work")
    git("add", "-A", cwd=origin)
    git("commit", "-qm", "issues", cwd=origin)
    git("clone", "-q", str(origin), str(tmp_path / "clone"), cwd=tmp_path)
    return tmp_path / "clone"


def test_fresh_clone_hints_once_then_doctor_fixes(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    assert HINT not in bd("ready", cwd=clone).stderr  # reads change nothing, not even this
    first = bd("create", "Mine", "-d", "x", cwd=clone)
    assert HINT in first.stderr and "merge driver and no hooks" in first.stderr
    assert HINT not in bd("create", "Again", "-d", "x", cwd=clone).stderr  # once
    bd("doctor", "--fix", cwd=clone, check=False)
    assert git("config", "merge.beads.driver", cwd=clone).strip()


def test_no_hint_where_init_ran_or_quiet(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    create(repo, "A")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "x", cwd=repo)
    assert HINT not in bd("create", "B", "-d", "x", cwd=repo).stderr
    clone = _clone(tmp_path / "q")
    assert bd("-q", "create", "C", cwd=clone).stderr == ""
    assert HINT in bd("create", "D", "-d", "x", cwd=clone).stderr  # -q did not use it up


def test_init_in_an_initialised_clone_points_to_doctor(repo: Path) -> None:
    proc = bd("init", cwd=repo, check=False)
    assert proc.returncode == 1
    assert "already initialized" in proc.stderr and "'bd doctor --fix'" in proc.stderr


def test_init_inside_another_workspace_needs_nested(repo: Path) -> None:
    sub = repo / "pkg" / "inner"
    sub.mkdir(parents=True)
    proc = bd("init", "--prefix", "in", cwd=sub, check=False)
    assert proc.returncode == 1
    assert f"inside the workspace {repo / '.beads'}" in proc.stderr
    assert "--nested" in proc.stderr and not (sub / ".beads").exists()
    bd("init", "--prefix", "in", "--nested", cwd=sub)
    rid = create(sub, "Inner issue")
    assert rid.startswith("in-")
    assert jsonl_path(repo).read_text() == ""  # the outer workspace is untouched


def test_doctor_skips_checks_on_unparsable_input(repo: Path) -> None:
    a = create(repo, "A")
    b = create(repo, "B")
    bd("dep", "add", a, b, cwd=repo)
    path = jsonl_path(repo)
    lines = path.read_text().splitlines()
    broken = [line if f'"id":"{b}"' not in line else line[:25] for line in lines]
    path.write_text("\n".join(broken) + "\n")
    out = bd("doctor", cwd=repo, check=False).stdout
    orphan = next(line for line in out.splitlines() if "orphan-deps" in line)
    assert "skipped: 1 line could not be parsed" in orphan
    assert b not in orphan  # not reported as an orphan: its line is unreadable, not missing
