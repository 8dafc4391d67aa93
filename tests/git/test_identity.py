"""The actor from git's user.name is remembered in the cache while git's config files are the
same (bd.git.identity), and every change to them is seen by the next write."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import bd, git

from bd.git import identity, runner
from bd.store.store import Store


def creator(repo: Path, title: str = "Who") -> str:
    return str(json.loads(bd("create", title, "--json", cwd=repo).stdout)["created_by"])


def test_each_change_to_git_config_is_seen_by_the_next_write(repo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    git("config", "user.name", "First", cwd=repo)
    assert creator(repo) == "First"
    assert creator(repo) == "First"  # from the cache this time
    git("config", "user.name", "Second", cwd=repo)
    assert creator(repo) == "Second"
    # The global file (GIT_CONFIG_GLOBAL) once the repository's name is gone.
    git("config", "--unset", "user.name", cwd=repo)
    glob = Path(os.environ["GIT_CONFIG_GLOBAL"])
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "global"))
    (tmp_path / "global").write_text(glob.read_text().replace("tester", "Global One"))
    assert creator(repo) == "Global One"
    (tmp_path / "global").write_text(glob.read_text().replace("tester", "Global Two"))
    assert creator(repo) == "Global Two"
    # An included file is not followed by bd: with an include, git is asked every time.
    (tmp_path / "global").write_text(f"[include]\n\tpath = {tmp_path / 'inc'}\n")
    (tmp_path / "inc").write_text("[user]\n\tname = Included One\n")
    assert creator(repo) == "Included One"
    (tmp_path / "inc").write_text("[user]\n\tname = Included Two\n")
    assert creator(repo) == "Included Two"
    # `git -c` reaches bd's git through GIT_CONFIG_PARAMETERS: never from the cache.
    (tmp_path / "global").write_text("[user]\n\tname = Plain\n")
    assert creator(repo) == "Plain"
    out = bd("create", "X", "--json", cwd=repo,
             env={"GIT_CONFIG_PARAMETERS": "'user.name'='From Dash C'"}).stdout
    assert json.loads(out)["created_by"] == "From Dash C"


def test_a_remembered_name_runs_no_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git("config", "user.name", "Remembered", cwd=repo)
    calls: list[str] = []
    real = runner.user_name

    def counting(cwd: str) -> str | None:
        calls.append(cwd)
        return real(cwd)

    monkeypatch.setattr(runner, "user_name", counting)
    store = Store.discover(str(repo))
    cache = store.cache()
    assert identity.user_name(str(repo), cache) == "Remembered"
    assert identity.user_name(str(repo), cache) == "Remembered"
    assert len(calls) == 1
    git("config", "user.name", "Changed", cwd=repo)
    assert identity.user_name(str(repo), cache) == "Changed"
    assert len(calls) == 2
    assert identity.user_name(str(repo), None) == "Changed"  # no cache: git every time
    assert len(calls) == 3
    store.close()


def test_config_key_gives_up_where_bd_cannot_see_the_whole_config(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert identity.config_key(str(repo)) is not None
    assert identity.config_key(str(tmp_path / "not-a-repo-at-all")) is None
    for name in ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_DIR"):
        with monkeypatch.context() as mp:
            mp.setenv(name, "1")
            assert identity.config_key(str(repo)) is None, name
    git("config", "includeIf.onbranch:main.path", "x", cwd=repo)
    assert identity.config_key(str(repo)) is None
    git("config", "--unset", "includeIf.onbranch:main.path", cwd=repo)
    # A linked worktree finds the common config through its .git file.
    git("commit", "-q", "--allow-empty", "-m", "base", cwd=repo)
    git("worktree", "add", "-q", str(tmp_path / "linked"), cwd=repo)
    key = identity.config_key(str(tmp_path / "linked"))
    assert key is not None and str(repo / ".git" / "config") in key
