"""Golden JSON for the tracker commands (``bd github|gitlab|jira|linear sync|status``,
``bd linear teams``), run against the fake servers.  Same contract as tests/cli/test_golden.py
(which lists these commands as covered here): a shape change fails until the golden file in
tests/golden/trackers/ is rewritten with ``BD_UPDATE_GOLDEN=1``."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, create, make_repo
from harness import HARNESSES, Harness

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "trackers"
UPDATE = os.environ.get("BD_UPDATE_GOLDEN", "") not in ("", "0")
_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_ID = re.compile(r"(?<![\w-])t-[0-9a-z]{3,8}(?![\w-])")
_PORT = re.compile(r"127\.0\.0\.1:\d+")

# Commands whose golden lives here (tests/cli/test_golden.py checks this list).
COVERS = {f"{t} {c}" for t in ("github", "gitlab", "jira", "linear")
                     for c in ("sync", "status")} | {"linear teams"}


def normalise(value: Any, root: str) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, root) for v in value]
    if isinstance(value, str):
        value = _PORT.sub("127.0.0.1:<port>", value.replace(root, "<root>"))
        if _TS.fullmatch(value):
            return "<timestamp>"
        return _ID.sub("<id>", _TS.sub("<timestamp>", value))
    return value


def _first_sync(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    h.seed(3)
    rid = create(repo, "Local issue", "-p", "1", "-t", "bug")
    bd("comments", "add", rid, "from bd", cwd=repo)
    return ["sync"]


def _conflict(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    key = h.seed(1, comments=False)[0]
    bd(h.name, "sync", cwd=repo, env=env)
    rid = json.loads(bd("list", "--json", cwd=repo).stdout)[0]["id"]
    bd("update", rid, "--title", "Local title", cwd=repo)
    h.remote_newer()
    h.set_title(key, "Remote title")
    return ["sync", "--prefer-local"]


def _dry_run(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    h.seed(2)
    create(repo, "Would be pushed")
    return ["sync", "--dry-run"]


def _status(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    h.seed(2)
    bd(h.name, "sync", "--pull", cwd=repo, env=env)
    create(repo, "Not pushed yet")
    return ["status"]


def _noop(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    h.seed(2)
    bd(h.name, "sync", cwd=repo, env=env)
    return ["sync"]


def _teams(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    return ["teams"]


def _unconfigured(h: Harness, repo: Path, env: dict[str, str]) -> list[str]:
    env.clear()  # no token
    return ["sync"]


SCENARIOS: dict[str, Callable[[Harness, Path, dict[str, str]], list[str]]] = {
    "sync": _first_sync, "sync_conflict": _conflict, "sync_dry_run": _dry_run,
    "sync_noop": _noop, "status": _status, "sync_no_token": _unconfigured,
}
CASES = [(t, s) for t in sorted(HARNESSES) for s in SCENARIOS]
if "linear" in HARNESSES:
    CASES.append(("linear", "teams"))


@pytest.mark.parametrize("tracker,scenario", CASES, ids=[f"{t}_{s}" for t, s in CASES])
def test_golden(tracker: str, scenario: str, tmp_path: Path) -> None:
    h = HARNESSES[tracker]()
    try:
        repo = make_repo(tmp_path / "repo")
        env = h.configure(repo)
        fn = _teams if scenario == "teams" else SCENARIOS[scenario]
        args = fn(h, repo, env)
        proc = bd(tracker, *args, "--json", cwd=repo, env=env, check=False)
        got = normalise(json.loads(proc.stdout), str(repo))
    finally:
        h.stop()
    path = GOLDEN / f"{tracker}_{scenario}.json"
    text = json.dumps(got, indent=2, ensure_ascii=False) + "\n"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden file {path} (run with BD_UPDATE_GOLDEN=1)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert text == path.read_text(), f"{path} differs (BD_UPDATE_GOLDEN=1 rewrites it)"


def test_no_stale_tracker_goldens() -> None:
    names = {f"{t}_{s}.json" for t, s in CASES}
    stale = sorted(p.name for p in GOLDEN.glob("*.json") if p.name not in names)
    assert not stale, f"golden files without a case: {', '.join(stale)}"
