"""Persistent memories: the original's line format in issues.jsonl, remember/recall/forget/
memories, two clones remembering different facts and syncing (both primers hold both, within
the token budget), the merge driver merging memories by key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import bd, bdj, create, git, jsonl_path, make_repo

from bd.agents.prime import PRIME_BUDGET_TOKENS
from bd.memory.memories import slugify


def _memory_lines(root: Path) -> list[bytes]:
    return [x for x in jsonl_path(root).read_bytes().splitlines() if b'"_type":"memory"' in x]


def test_remember_writes_the_originals_line_format(repo: Path) -> None:
    a = create(repo, "An issue")
    issues_before = jsonl_path(repo).read_bytes()
    res = bdj("remember", "Always run tests with the -race flag & <timeout>", cwd=repo)
    assert res == {"key": "always-run-tests-with-the-race-flag-timeout",
                   "value": "Always run tests with the -race flag & <timeout>",
                   "action": "remembered"}
    # Go's json.Marshal of map[string]string: keys sorted, HTML-safe escapes
    assert _memory_lines(repo) == [
        b'{"_type":"memory","key":"always-run-tests-with-the-race-flag-timeout",'
        b'"value":"Always run tests with the -race flag \\u0026 \\u003ctimeout\\u003e"}']
    assert jsonl_path(repo).read_bytes().startswith(issues_before)  # issue lines untouched
    bd("update", a, "--title", "Renamed", cwd=repo)  # an issue write keeps the memory line
    assert len(_memory_lines(repo)) == 1
    assert bdj("list", cwd=repo)[0]["id"] == a  # memories are not issues
    assert bdj("count", cwd=repo)["count"] == 1


def test_key_rules_update_recall_forget(repo: Path) -> None:
    assert slugify("Dolt phantom DBs hide in three places, really, truly, honestly") == \
        "dolt-phantom-dbs-hide-in-three-places-really"
    assert len(slugify("x" * 100)) == 60
    bd("remember", "auth uses JWT", "--key", "auth", "--tag", "security", cwd=repo)
    res = bdj("remember", "auth uses JWT, not sessions", "--key", "auth", cwd=repo)
    assert res["action"] == "updated" and len(_memory_lines(repo)) == 1
    bd("remember", "deploys go through staging first", cwd=repo)
    assert bdj("memories", cwd=repo) == {"auth": "auth uses JWT, not sessions",
                                          "deploys-go-through-staging-first":
                                              "deploys go through staging first"}
    assert bdj("memories", "staging", cwd=repo) == {
        "deploys-go-through-staging-first": "deploys go through staging first"}
    exact = bdj("recall", "auth", cwd=repo)
    assert exact["found"] and exact["exact"] and exact["value"] == "auth uses JWT, not sessions"
    assert bd("recall", "auth", cwd=repo).stdout == "auth uses JWT, not sessions\n"
    words = bdj("recall", "STAGING", cwd=repo)
    assert words["key"] == "deploys-go-through-staging-first" and not words["exact"]
    missing = bd("recall", "nothing-like-this", "--json", cwd=repo, check=False)
    assert missing.returncode == 1 and json.loads(missing.stdout)["found"] is False
    gone = bdj("forget", "auth", cwd=repo)
    assert gone == {"key": "auth", "value": "auth uses JWT, not sessions", "deleted": True}
    again = bd("forget", "auth", cwd=repo, check=False)
    assert again.returncode == 1 and "no memory" in again.stderr
    assert bd("remember", "   ", cwd=repo, check=False).returncode == 2
    assert bd("--readonly", "remember", "x", cwd=repo, check=False).returncode == 1


def test_two_clones_share_memories_through_sync(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    a = make_repo(tmp_path / "a", "m")
    create(a, "Shared issue")
    git("add", "-A", cwd=a)
    git("commit", "-qm", "init", cwd=a)
    git("remote", "add", "origin", str(origin), cwd=a)
    git("push", "-q", "-u", "origin", "HEAD:main", cwd=a)
    b = tmp_path / "b"
    git("clone", "-q", str(origin), str(b), cwd=tmp_path)
    bd("init", "--prefix", "m", cwd=b)  # this clone's merge driver and hooks
    bd("remember", "The API is versioned under /v2", "--key", "api-version", cwd=a)
    bd("remember", "Run make lint before pushing", "--key", "lint", cwd=b)
    bd("sync", "-m", "a remembers", cwd=a)
    bd("sync", "-m", "b remembers", cwd=b)   # pulls a's memory: the driver merges by key
    bd("sync", "-m", "a pulls", cwd=a)
    for clone in (a, b):
        assert bdj("memories", cwd=clone) == {"api-version": "The API is versioned under /v2",
                                               "lint": "Run make lint before pushing"}
        primer = bdj("prime", cwd=clone)
        assert "[api-version] The API is versioned under /v2" in primer["text"]
        assert "[lint] Run make lint before pushing" in primer["text"]
        assert primer["tokens"] <= PRIME_BUDGET_TOKENS
        text = bd("prime", cwd=clone).stdout
        assert "Persistent memories" in text and "The API is versioned under /v2" in text
    assert sorted(_memory_lines(a)) == sorted(_memory_lines(b))


def test_prime_stays_within_its_budget_with_many_memories(repo: Path) -> None:
    for i in range(60):
        bd("remember", f"Fact number {i}: " + "detail " * 60, "--key", f"fact-{i:02d}",
           cwd=repo)
    primer = bdj("prime", cwd=repo)
    assert primer["tokens"] <= PRIME_BUDGET_TOKENS
    text = primer["text"]
    assert "[fact-59]" in text  # newest first
    assert "more: `bd memories`" in text
    shown = text.count("- [fact-")
    assert 0 < shown < 60
    assert f"… {60 - shown} more" in text


def test_driver_merges_memories_by_key(tmp_path: Path) -> None:
    issue = (b'{"id":"t-1","title":"T","status":"open","priority":2,"issue_type":"task",'
             b'"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}\n')

    def mem(key: str, value: str) -> bytes:
        return json.dumps({"_type": "memory", "key": key, "value": value},
                          separators=(",", ":")).encode() + b"\n"

    base = issue + mem("keep", "same") + mem("gone", "forgotten on one side") + \
        mem("edit", "old")
    left = issue + mem("keep", "same") + mem("edit", "new on the left") + mem("l", "left")
    right = issue + mem("keep", "same") + mem("gone", "forgotten on one side") + \
        mem("edit", "old") + mem("r", "right")
    out = {}
    for name, (ours, theirs) in (("lr", (left, right)), ("rl", (right, left))):
        paths = {}
        for part, data in (("base", base), ("ours", ours), ("theirs", theirs)):
            paths[part] = tmp_path / f"{name}-{part}"
            paths[part].write_bytes(data)
        proc = subprocess.run([sys.executable, "-m", "bd", "merge", str(paths["ours"]),
                               str(paths["base"]), str(paths["ours"]), str(paths["theirs"])],
                              capture_output=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        out[name] = paths["ours"].read_bytes()
    assert out["lr"] == out["rl"]  # the same whichever side is ours
    mems = {json.loads(x)["key"]: json.loads(x)["value"]
            for x in out["lr"].splitlines() if b'"_type"' in x}
    assert mems == {"keep": "same", "edit": "new on the left", "l": "left", "r": "right"}
    assert out["lr"].startswith(issue)
