"""Colour, emoji, the pager and -q through the real CLI, on a pseudo-terminal where the
behaviour depends on one (tests/cli/ttyrun.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import bd, create
from ttyrun import run_tty

ESC = "\x1b["


@pytest.fixture
def styled(repo: Path) -> Path:
    a = create(repo, "Urgent thing", "-p", "0", "-t", "bug")
    b = create(repo, "Working on it", "-p", "1")
    bd("update", b, "--status", "in_progress", cwd=repo)
    create(repo, "Title that says blocked and closed", "-p", "3")
    bd("dep", "add", b, a, cwd=repo)
    return repo


def test_colour_on_a_terminal_only(styled: Path) -> None:
    res = run_tty("list", cwd=styled)
    assert res.returncode == 0
    assert "\x1b[1m\x1b[38;5;203mP0\x1b[0m" in res.tty           # P0 bold red
    assert "\x1b[38;5;208mP1\x1b[0m" in res.tty                  # P1 orange
    assert "\x1b[38;5;215min_progress\x1b[0m" in res.tty         # in progress yellow
    assert "\x1b[38;5;203mbug\x1b[0m" in res.tty                 # bugs red
    title = next(line for line in res.tty.splitlines() if "Title that says" in line)
    assert title.endswith("- Title that says blocked and closed")  # titles never coloured
    assert ESC not in bd("list", cwd=styled).stdout               # a pipe: no colour


@pytest.mark.parametrize("how", [{"env": {"NO_COLOR": "1"}}, {"env": {"CLICOLOR": "0"}},
                                 {"args": ["--color", "never"]}, {"config": "never"}])
def test_colour_can_be_turned_off(styled: Path, how: dict[str, object]) -> None:
    if "config" in how:
        bd("config", "set", "color", str(how["config"]), cwd=styled)
    args = list(how.get("args", []))  # type: ignore[call-overload]
    res = run_tty(*args, "list", cwd=styled, env=dict(how.get("env", {})))  # type: ignore[call-overload]
    assert res.returncode == 0 and "Urgent thing" in res.tty
    assert ESC not in res.tty


def test_colour_can_be_forced_without_a_terminal(styled: Path) -> None:
    assert ESC in bd("list", cwd=styled, env={"CLICOLOR_FORCE": "1", "NO_COLOR": ""}).stdout
    assert ESC in bd("list", "--color", "always", cwd=styled).stdout
    assert ESC not in bd("list", "--json", "--color", "always", cwd=styled).stdout
    bad = bd("list", "--color", "sometimes", cwd=styled, check=False)
    assert bad.returncode == 2 and "valid values: auto, always, never" in bad.stderr


def test_errors_and_warnings_coloured_on_a_terminal(repo: Path) -> None:
    res = run_tty("show", "t-nope", cwd=repo, on=("stderr",))
    assert res.returncode == 1
    assert "\x1b[38;5;203mError:\x1b[0m no issue found" in res.tty


def test_plain_drops_emoji(repo: Path) -> None:
    assert bd("ready", cwd=repo).stdout.startswith("✨ ")
    assert bd("--plain", "ready", cwd=repo).stdout == "No open issues\n"
    assert bd("ready", cwd=repo, env={"BD_NO_EMOJI": "1"}).stdout == "No open issues\n"
    bd("config", "set", "plain", "true", cwd=repo)
    out = bd("create", "Plain", "-d", "x", cwd=repo).stdout
    assert out.startswith("Created issue: ") and "✓" not in out


def test_pager_for_long_output_on_a_terminal(repo: Path, tmp_path: Path) -> None:
    for n in range(12):
        create(repo, f"Issue {n}")
    pager = "sed 's/^/PAGED: /'"
    env = {"PAGER": pager, "LINES": "8"}
    res = run_tty("list", cwd=repo, env=env)
    assert res.returncode == 0
    lines = [line for line in res.tty.splitlines() if line.strip()]
    assert len(lines) == 12 and all(line.startswith("PAGED: t-") for line in lines)
    assert "PAGED" not in run_tty("list", "--no-pager", cwd=repo, env=env).tty
    assert "PAGED" not in run_tty("list", cwd=repo, env={**env, "BD_NO_PAGER": "1"}).tty
    assert "PAGED" not in run_tty("list", "-n", "3", cwd=repo, env=env).tty  # fits
    assert "PAGED" not in bd("list", cwd=repo, env=env).stdout               # not a terminal
    assert "PAGED" in run_tty("list", cwd=repo, env={"BD_PAGER": pager, "LINES": "8"}).tty
    bd("config", "set", "pager", "never", cwd=repo)
    assert "PAGED" not in run_tty("list", cwd=repo, env=env).tty
    bd("config", "set", "pager", pager, cwd=repo)
    assert "PAGED" in run_tty("list", cwd=repo, env={"LINES": "8"}).tty
    # a pager that cannot run: the text is printed
    res = run_tty("list", cwd=repo, env={"PAGER": "no-such-pager-xyz", "LINES": "8"})
    assert res.tty.count("Issue ") >= 12


def test_quiet_silences_chatter_not_answers(repo: Path) -> None:
    rid = bd("-q", "create", "Quiet one", cwd=repo)
    assert rid.stderr == "" and rid.stdout.strip().startswith("t-")
    issue = rid.stdout.strip()
    for args in (["update", issue, "-p", "1"], ["label", "add", issue, "x"],
                 ["comments", "add", issue, "hello"], ["close", issue],
                 ["reopen", issue], ["config", "set", "actor", "me"],
                 ["export", "-o", str(repo / "out.jsonl")],
                 ["import", "-i", str(repo / "out.jsonl")], ["delete", issue, "--force"]):
        proc = bd("-q", *args, cwd=repo)
        assert (proc.stdout, proc.stderr) == ("", ""), args
        assert bd(*args[:1], "--quiet", *args[1:], cwd=repo, check=False).stdout == "", args
    create(repo, "Still listed")
    assert "Still listed" in bd("-q", "list", cwd=repo).stdout
    assert bd("-q", "count", cwd=repo).stdout == "1\n"
    err = bd("-q", "show", "t-nope", cwd=repo, check=False)
    assert err.returncode == 1 and "Error:" in err.stderr  # errors still print
