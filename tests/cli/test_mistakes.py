"""Helpful mistakes through the real CLI: did-you-mean for commands, flags, ids and values;
invalid enum values are usage errors (exit 2) listing the valid values, filters included;
custom dependency types need --force or config; the actor fallback chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import bd, create, git, jsonl_path, record


def usage_error(repo: Path, *args: str) -> str:
    proc = bd(*args, cwd=repo, check=False)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    return proc.stderr


def test_mistyped_command_flag_and_subcommand(repo: Path) -> None:
    assert "unknown command 'shwo' for 'bd'; did you mean 'show'?" in usage_error(repo, "shwo")
    assert "did you mean 'dep tree'?" in usage_error(repo, "tree")  # a subcommand's name
    assert "unknown flag: --stauts; did you mean '--status'?" in usage_error(
        repo, "list", "--stauts", "open")
    assert "unknown subcommand 'tre' for 'bd dep'; did you mean 'dep tree'?" in usage_error(
        repo, "dep", "tre", "t-1")
    assert "did you mean" not in usage_error(repo, "zzzzzz")
    # the same hint on the help path
    proc = bd("shwo", "--help", cwd=repo, check=False)
    assert proc.returncode == 2 and "did you mean 'show'?" in proc.stderr


def test_mistyped_id_names_the_nearest(repo: Path) -> None:
    rid = create(repo, "Target")
    wrong = rid[:-1] + ("x" if rid[-1] != "x" else "y")
    proc = bd("show", wrong, cwd=repo, check=False)
    assert proc.returncode == 1
    assert f"(did you mean {rid}?)" in proc.stderr
    proc = bd("delete", wrong, "--force", cwd=repo, check=False)
    assert f"did you mean {rid}?" in proc.stderr
    assert "did you mean" not in bd("show", "t-zzzzzzzz", cwd=repo, check=False).stderr


@pytest.mark.parametrize("args", [
    ["list", "--status", "in-progress"], ["count", "--status", "in-progress"],
    ["export", "--status", "in-progress"], ["search", "x", "--status", "in-progress"]])
def test_status_filters_refuse_unknown_values(repo: Path, args: list[str]) -> None:
    create(repo, "Busy")
    err = usage_error(repo, *args)
    assert "invalid status 'in-progress' (valid values: open, in_progress, blocked" in err
    assert "did you mean 'in_progress'?" in err
    j = bd(*args, "--json", cwd=repo, check=False)
    assert j.returncode == 2 and "in_progress" in json.loads(j.stdout)["error"]


def test_custom_status_and_all_are_accepted_by_filters(repo: Path) -> None:
    rid = create(repo, "Waiting")
    assert usage_error(repo, "list", "--status", "review")
    bd("config", "set", "status.custom", "review", cwd=repo)
    bd("update", rid, "--status", "review", cwd=repo)
    assert bd("count", "--status", "review", cwd=repo).stdout.strip() == "1"
    assert bd("count", "--status", "all", cwd=repo).stdout.strip() == "1"


def test_set_values_are_checked_with_the_valid_list(repo: Path) -> None:
    rid = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    err = usage_error(repo, "update", rid, "--status", "in-progress")
    assert "valid values: open, in_progress, blocked, deferred, closed, pinned, hooked" in err
    assert "tombstone" not in err.split("valid values")[1]
    err = usage_error(repo, "create", "B", "-t", "bgu")
    assert "invalid issue type 'bgu'" in err and "did you mean 'bug'?" in err
    err = usage_error(repo, "list", "--type", "featur")
    assert "did you mean 'feature'?" in err
    err = usage_error(repo, "ready", "--sort", "prioity")
    assert "(valid values: hybrid, priority, oldest); did you mean 'priority'?" in err
    err = usage_error(repo, "list", "--sort", "prio")
    assert "did you mean 'priority'?" in err
    err = usage_error(repo, "stale", "--status", "open ")
    assert "valid values: open, in_progress, blocked, deferred" in err
    assert jsonl_path(repo).read_bytes() == before
    assert bd("list", "--type", "feat", cwd=repo).returncode == 0  # an alias


def test_custom_dependency_types_need_force_or_config(repo: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    before = jsonl_path(repo).read_bytes()
    err = usage_error(repo, "dep", "add", a, b, "--type", "blokcs")
    assert "invalid dependency type 'blokcs'" in err and "did you mean 'blocks'?" in err
    assert "--force or config types.custom_deps" in err
    usage_error(repo, "create", "C", "--deps", f"mentions:{a}")
    assert jsonl_path(repo).read_bytes() == before
    proc = bd("dep", "add", a, b, "--type", "mentions", "--force", cwd=repo)
    assert "'mentions' is a custom dependency type: it does not block" in proc.stderr
    assert [d["type"] for d in record(repo, a)["dependencies"]] == ["mentions"]
    ready = [r["id"] for r in json.loads(bd("ready", "--json", cwd=repo).stdout)]
    assert a in ready  # it does not block
    bd("config", "set", "types.custom_deps", "mentions", cwd=repo)
    proc = bd("create", "C", "--deps", f"mentions:{b}", cwd=repo)
    assert "does not block" in proc.stderr
    quiet = bd("-q", "dep", "add", b, a, "--type", "mentions", cwd=repo)
    assert quiet.stderr == ""


def test_actor_fallback_chain(repo: Path) -> None:
    def creator(*args: str, env: dict[str, str] | None = None) -> str:
        out = bd(*args, "create", "Who", "--json", cwd=repo, env=env).stdout
        return str(json.loads(out)["created_by"])

    git("config", "user.name", "Git Name", cwd=repo)
    assert creator("--actor", "flag") == "flag"
    assert creator(env={"BD_ACTOR": "envy"}) == "envy"
    assert creator() == "Git Name"
    bd("config", "set", "actor", "configured", cwd=repo)
    assert creator() == "configured"
    assert creator(env={"BD_ACTOR": "envy"}) == "envy"
    bd("config", "unset", "actor", cwd=repo)
    git("config", "user.name", "", cwd=repo)
    assert creator(env={"USER": "shell-user", "GIT_CONFIG_GLOBAL": "/dev/null"}) == "shell-user"
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "USER": ""}
    assert creator(env=env) == "unknown"
