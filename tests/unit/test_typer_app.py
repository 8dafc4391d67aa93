"""The typer app (help and docs front end) mirrors the registry and the fast parser."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from bd.cli import GROUPS, MODULES, load_command, split_globals, typer_app
from bd.cli.registry import COMMANDS, parse


def _bd(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "bd", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_every_command_is_in_the_app() -> None:
    typer_app.build_app()
    for name in MODULES:
        text = typer_app.usage_text(name)
        assert f"Usage: bd {name} " in text, name
        assert COMMANDS[name].help.split(" (")[0] in text, name


def test_every_visible_command_is_listed_in_top_level_help() -> None:
    top = typer_app.usage_text("")
    for cmd in typer_app.load_commands():
        if not cmd.hidden and " " not in cmd.name:
            assert f"\n  {cmd.name} " in top, cmd.name


def test_create_help_via_subprocess() -> None:
    proc = _bd("create", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "--priority" in proc.stdout and "--parent" in proc.stdout
    assert proc.stdout.startswith("Usage: bd create")


def test_top_level_help_lists_the_workflow() -> None:
    for argv in (["--help"], ["-h"], ["help"], []):
        proc = _bd(*argv)
        assert proc.returncode == 0, (argv, proc.stderr)
        for name in ("ready", "create", "list", "dep", "close"):
            assert f"\n  {name} " in proc.stdout, (argv, name)


def test_help_forms_agree() -> None:
    direct = _bd("create", "--help")
    assert _bd("help", "create").stdout == direct.stdout
    assert _bd("create", "Title", "-p", "1", "--help").stdout == direct.stdout
    sub = _bd("dep", "add", "--help")
    assert sub.returncode == 0 and sub.stdout.startswith("Usage: bd dep add")
    assert _bd("help", "dep", "add").stdout == sub.stdout
    bare = _bd("dep", "X", "--blocks", "Y", "--help")
    assert bare.returncode == 0 and "--blocks" in bare.stdout
    assert bare.stdout.startswith("Usage: bd dep [OPTIONS] BLOCKER\n")
    group = _bd("dep", "--help")
    assert group.returncode == 0 and "add" in group.stdout and "--blocks" in group.stdout


def test_unknown_command_help_is_a_usage_error() -> None:
    proc = _bd("help", "nosuch")
    assert proc.returncode == 2
    assert "unknown command 'nosuch'" in proc.stderr
    assert proc.stdout == ""


SAMPLES = [
    "create T -p 1 -l a -l b --deps x",
    "create --title T --description=body -t bug --estimate 30 --ephemeral",
    "ready -n 5 --sort priority",
    "ready --label a --label-any b -u",
    "list --status open --all",
    "list -p 1 --sort id -r --limit 0",
    "update bd-1 bd-2 --claim --add-label x --status in_progress",
    "update -p 0 --parent ",
    "close a b -r done",
    "show x --short",
    "search foo bar --limit 3",
    "stale -d 7",
    "dep add a b -t related",
    "dep add a --blocked-by b",
    "dep a --blocks b",
    "dep rm a b",
    "dep tree a --max-depth 3",
    "relate a b",
    "label add a b lbl",
    "comments add bd-1 hello --author me",
    "comments bd-1",
    "config set k v",
    "epic status --eligible-only",
    "import -i f.jsonl --dry-run",
    "--json --actor alice ready",
    "ready --db x.db -q",
]


def _split_name(tokens: list[str]) -> tuple[str, list[str]]:
    first = tokens[0]
    if first in GROUPS and len(tokens) > 1 and f"{first} {tokens[1]}" in MODULES:
        return f"{first} {tokens[1]}", tokens[2:]
    return first, tokens[1:]


@pytest.mark.parametrize("sample", SAMPLES)
def test_typer_and_fast_parser_agree(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = sample.split(" ")
    flags, tokens = split_globals(argv)
    name, rest = _split_name(tokens)
    cmd = load_command(name)
    expected = parse(cmd, rest)
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def capture(ctx: Any, values: Any) -> int:
        seen.append((dict(ctx.flags), dict(values)))
        return 0

    monkeypatch.setattr(cmd, "run", capture)
    assert typer_app.run_app(argv) == 0
    assert len(seen) == 1
    got_flags, got = seen[0]
    assert got_flags == flags
    assert got.pop("_given") == expected.pop("_given")
    assert got == dict(expected)


def test_typer_path_reports_usage_errors() -> None:
    assert typer_app.run_app(["create", "--no-such-flag"]) == 2
    assert typer_app.run_app(["nosuch"]) == 2
