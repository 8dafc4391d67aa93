"""Progress through the real CLI: drawn on a terminal's stderr, silent otherwise or with -q."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import bd
from ttyrun import run_tty

N = 3000


def _input(tmp_path: Path) -> Path:
    lines = [json.dumps({"id": f"t-{n:05d}", "title": f"Issue {n}", "status": "open",
                         "priority": 2, "issue_type": "task",
                         "created_at": "2025-01-01T00:00:00Z",
                         "updated_at": "2025-01-01T00:00:00Z"}) for n in range(N)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_and_export_draw_progress_on_a_terminal(repo: Path, tmp_path: Path) -> None:
    data = _input(tmp_path)
    env = {"BD_PROGRESS_REDRAW": "0"}  # draw on every step, however fast the machine
    res = run_tty("import", "-i", str(data), cwd=repo, on=("stderr",), env=env)
    assert res.returncode == 0, res.stderr
    assert "Reading: " in res.tty
    assert f"Importing: {N:,}/{N:,} (100%)" in res.tty
    assert "\x1b[K" in res.tty
    assert "Import complete: 3000 created" in res.tty
    res = run_tty("export", "-o", str(tmp_path / "out.jsonl"), cwd=repo, on=("stderr",),
                  env=env)
    assert res.returncode == 0
    assert f"Exporting: {N:,}/{N:,} (100%)" in res.tty


def test_cold_cache_build_draws_progress(repo: Path, tmp_path: Path) -> None:
    bd("import", "-i", str(_input(tmp_path)), cwd=repo)
    (repo / ".beads" / "beads.db").unlink()
    res = run_tty("count", cwd=repo, on=("stderr",), env={"BD_PROGRESS_REDRAW": "0"})
    assert res.returncode == 0
    assert f"Loading issues: {N:,}/{N:,} (100%)" in res.tty
    assert res.stdout.strip() == str(N)


def test_no_progress_without_a_terminal_or_with_quiet(repo: Path, tmp_path: Path) -> None:
    data = _input(tmp_path)
    proc = bd("import", "-i", str(data), cwd=repo, env={"BD_PROGRESS_REDRAW": "0"})
    assert "Importing" not in proc.stderr and "\x1b" not in proc.stderr
    res = run_tty("-q", "export", "-o", str(tmp_path / "o.jsonl"), cwd=repo, on=("stderr",),
                  env={"BD_PROGRESS_REDRAW": "0"})
    assert res.returncode == 0
    assert "Exporting" not in res.tty


def test_rename_prefix_draws_progress(repo: Path, tmp_path: Path) -> None:
    bd("import", "-i", str(_input(tmp_path)), cwd=repo)
    res = run_tty("rename-prefix", "nu", cwd=repo, on=("stderr",),
                  env={"BD_PROGRESS_REDRAW": "0"})
    assert res.returncode == 0, res.stderr
    assert f"Renaming: {N:,}/{N:,} (100%)" in res.tty
