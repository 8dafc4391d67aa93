"""Start-up cost: the hot paths must not import the heavy optional dependencies (they are
loaded lazily, on the cold paths that need them).  Checked with ``python -X importtime``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import create

HEAVY = ("git", "rich", "typer", "yaml", "orjson", "filelock")
# The terminal niceties: colour, pager, completion, progress drawing, did-you-mean (difflib).
# Agents read pipes: none of this may load on their paths.
TTY_ONLY = ("bd.cli.style", "bd.cli.pager", "bd.cli.completion", "bd.cli.progress", "difflib",
            "subprocess", "shutil")


def imported_modules(args: list[str], cwd: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "bd", *args], cwd=cwd,
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "imported package":
                names.add(name)
    assert "bd" in names or any(n.startswith("bd.") for n in names), "importtime output parsed"
    return names


def heavy_in(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


@pytest.mark.parametrize("args", [["--version"], ["version"], ["ready", "--json"],
                                  ["list", "--json"], ["show", "--json"]],
                         ids=["--version", "version", "ready", "list", "show"])
def test_hot_paths_import_no_heavy_modules(repo: Path, args: list[str]) -> None:
    if args[0] == "show":
        args = [*args[:1], create(repo, "Startup probe", "-l", "x"), *args[1:]]
    else:
        create(repo, "Startup probe")
    names = imported_modules(args, repo)
    assert heavy_in(names) == []
    assert sorted(names & set(TTY_ONLY)) == []


@pytest.mark.parametrize("args", [["list", "--json"], ["ready", "--json"], ["show", "--json"]],
                         ids=["list", "ready", "show"])
def test_views_and_the_web_server_stay_off_the_hot_paths(repo: Path, args: list[str]) -> None:
    rid = create(repo, "Startup probe")
    names = imported_modules([*args[:1], rid, *args[1:]] if args[0] == "show" else args, repo)
    assert not {n for n in names if n.startswith("bd.views")}
    assert not {"http.server", "socketserver", "selenium"} & names


def test_bd_ui_is_the_only_importer_of_the_server(repo: Path) -> None:
    create(repo, "Startup probe")
    names = imported_modules(["graph", "--all", "--format", "dot"], repo)
    assert "bd.views.dot" in names and "bd.views.server" not in names
    assert "http.server" not in names


@pytest.mark.parametrize("args", [["ready"], ["list"], ["show"]])
def test_human_output_to_a_pipe_imports_no_terminal_code(repo: Path, args: list[str]) -> None:
    """The same paths without --json, as an agent reading text through a pipe runs them."""
    if args[0] == "show":
        args = [*args, create(repo, "Startup probe")]
    else:
        create(repo, "Startup probe")
    assert sorted(imported_modules(args, repo) & set(TTY_ONLY)) == []
