"""Shared test fixtures: a hermetic environment and helpers that drive the real ``bd`` CLI.

Every test runs with HOME, XDG_CONFIG_HOME and the global git config pointed at temporary
files, a pinned git identity, and none of bd's environment variables inherited from the
developer's shell, so a test sees exactly what a fresh machine would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# make test is deterministic: every property and fuzz test draws the same examples on every
# run (derandomize), so CI never fails on a new random draw and a failure reproduces.
# Random exploration: BD_HYPOTHESIS_PROFILE=random make test (with BD_FUZZ_EXAMPLES=N for
# more examples); a failure then prints the example and a @reproduce_failure blob.
settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("random", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("BD_HYPOTHESIS_PROFILE", "deterministic"))

FIXTURES = Path(__file__).parent.parent.parent / "shared" / "fixtures"

# Variables that would change bd's behaviour (or git's) if inherited from the caller.
_SCRUB_EXACT = ("BEADS_DIR", "BEADS_DB", "BEADS_JSONL", "BD_ACTOR", "BD_JSON", "BD_AGENT_MODE",
                "CLAUDE_CODE", "CLAUDE_SESSION_ID", "GIT_DIR", "GIT_WORK_TREE",
                "GIT_INDEX_FILE", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL", "EMAIL")
_SCRUB_PREFIXES = ("BD_", "BEADS_")


def _point_home(mp: pytest.MonkeyPatch, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / ".config").mkdir(exist_ok=True)
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))


@pytest.fixture(scope="session", autouse=True)
def _hermetic_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Session-wide hermetic environment (module-scoped repos are built under it too)."""
    base = tmp_path_factory.mktemp("hermetic")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[user]\n\tname = tester\n\temail = tester@example.com\n"
                         "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name in _SCRUB_EXACT or name.startswith(_SCRUB_PREFIXES):
                mp.delenv(name, raising=False)
        _point_home(mp, base / "home")
        mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("USER", "tester")
        mp.setenv("NO_COLOR", "1")
        # git runs `bd` (merge driver, hooks) by name: make it this interpreter's bd.
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
        yield


@pytest.fixture(autouse=True)
def hermetic(tmp_path_factory: pytest.TempPathFactory,
             monkeypatch: pytest.MonkeyPatch) -> None:
    """Per test: a fresh HOME and XDG_CONFIG_HOME (the rest comes from the session fixture)."""
    _point_home(monkeypatch, tmp_path_factory.mktemp("home"))
    for name in list(os.environ):
        if name in _SCRUB_EXACT or name.startswith(_SCRUB_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USER", "tester")


def bd(*args: str, cwd: str | os.PathLike[str], input: str | None = None,
       check: bool = True, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (``python -m bd``) in ``cwd``; assert success when ``check``."""
    full_env = None
    if env is not None:
        full_env = {**os.environ, **env}
    proc = subprocess.run(
        [sys.executable, "-m", "bd", *args], cwd=cwd, text=True, capture_output=True,
        stdin=subprocess.DEVNULL if input is None else None, input=input, env=full_env,
        timeout=60)
    if check:
        assert proc.returncode == 0, (
            f"bd {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc


def bdj(*args: str, cwd: str | os.PathLike[str], input: str | None = None,
        check: bool = True, env: dict[str, str] | None = None) -> Any:
    """Run ``bd ARGS --json`` and return the parsed stdout."""
    proc = bd(*args, "--json", cwd=cwd, input=input, check=check, env=env)
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"bd {' '.join(args)} --json printed no JSON: {exc}\n"
                             f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
                             ) from None


def git(*args: str, cwd: str | os.PathLike[str]) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, text=True, capture_output=True, timeout=60)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def make_repo(path: Path, prefix: str = "t") -> Path:
    """A fresh ``git init`` directory with ``bd init --prefix PREFIX`` run in it."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "-q", cwd=path)
    bd("init", "--prefix", prefix, cwd=path)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository initialised with ``bd init --prefix t``."""
    return make_repo(tmp_path / "repo")


def jsonl_path(root: Path) -> Path:
    return root / ".beads" / "issues.jsonl"


def read_records(root: Path) -> list[dict[str, Any]]:
    """The records of ``.beads/issues.jsonl`` in file order."""
    return [json.loads(line) for line in jsonl_path(root).read_text().splitlines()
            if line.strip()]


def record(root: Path, rid: str) -> dict[str, Any]:
    for rec in read_records(root):
        if rec["id"] == rid:
            return rec
    raise AssertionError(f"{rid} not in issues.jsonl")


def create(root: Path, title: str, *args: str) -> str:
    """Create an issue and return its id."""
    return bd("create", title, "--silent", *args, cwd=root).stdout.strip()
