"""Real ``issues.jsonl`` files written by the original tool (and by another tool): bd must load
them, answer list/ready/show correctly, and write them back changing only what a command
changed.  The files live in ../shared/fixtures; the tests skip cleanly when it is absent."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, bd, bdj, jsonl_path, make_repo

FILES = sorted(FIXTURES.glob("*.jsonl")) if FIXTURES.is_dir() else []
PARAMS = [pytest.param(f, id=f.stem) for f in FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"{FIXTURES} is absent"), id="absent")]


def majority_prefix(records: list[dict[str, Any]]) -> str:
    return Counter(r["id"].split("-", 1)[0] for r in records).most_common(1)[0][0]


def load(path: Path) -> tuple[list[bytes], list[dict[str, Any]]]:
    lines = [ln for ln in path.read_bytes().split(b"\n") if ln.strip()]
    return lines, [json.loads(ln) for ln in lines]


def install(path: Path, where: Path) -> Path:
    _, records = load(path)
    root = make_repo(where, prefix=majority_prefix(records))
    shutil.copyfile(path, jsonl_path(root))
    return root


def _ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@pytest.fixture(scope="module", params=PARAMS)
def loaded(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A repository holding an untouched copy of one fixture (tests must not write to it)."""
    path: Path = request.param
    lines, records = load(path)
    root = install(path, tmp_path_factory.mktemp(path.stem) / "repo")
    return {"path": path, "root": root, "lines": lines, "records": records}


def live(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("status") != "tombstone"]


def test_list_all_returns_every_live_record(loaded: dict[str, Any]) -> None:
    root, records = loaded["root"], loaded["records"]
    expected = {r["id"]: r for r in live(records)}
    everything = bdj("list", "--all", "--include-templates", "--include-gates", "--limit", "0",
                     cwd=root)
    assert len(everything) == len(expected)
    assert {r["id"] for r in everything} == set(expected)
    default_all = bdj("list", "--all", "--limit", "0", cwd=root)
    assert len(default_all) == len([r for r in expected.values()
                                    if not r.get("is_template")
                                    and r.get("issue_type") != "gate"])
    for row in everything:
        orig = expected[row["id"]]
        assert row["title"] == orig["title"]
        assert row.get("status", "open") == orig.get("status", "open")
        assert row["priority"] == orig.get("priority", 2)
        assert sorted(row["labels"]) == sorted(orig.get("labels") or [])
        assert row["dependency_count"] == len(orig.get("dependencies") or [])
    tombs = [r for r in records if r.get("status") == "tombstone"]
    assert len(bdj("list", "--status", "tombstone", "--include-gates", "--include-templates",
                    "--limit", "0", cwd=root)) == len(tombs)


def test_ready_and_blocked_partition_the_work(loaded: dict[str, Any]) -> None:
    from bd.core.graph import NON_WORK_TYPES

    root, records = loaded["root"], loaded["records"]
    ready = bdj("ready", "--limit", "0", cwd=root)
    assert all(r["status"] in ("open", "in_progress") for r in ready)
    assert all(not r.get("ephemeral") and not r.get("pinned") for r in ready)
    blocked = bdj("blocked", cwd=root)
    ready_ids, blocked_ids = {r["id"] for r in ready}, {r["id"] for r in blocked}
    assert len(ready_ids) == len(ready)
    assert ready_ids.isdisjoint(blocked_ids)
    now = datetime.now(UTC)
    work = set()
    for r in live(records):
        defer = _ts(r.get("defer_until"))
        if (r.get("status", "open") in ("open", "in_progress", "blocked")
                and not r.get("ephemeral") and not r.get("pinned") and not r.get("is_template")
                and r.get("issue_type", "task") not in NON_WORK_TYPES
                and (defer is None or defer <= now)):
            work.add(r["id"])
    assert ready_ids | blocked_ids == work
    for row in blocked:
        assert row["blocked_by_count"] == len(row["blocked_by"])
        assert row["status"] == "blocked" or row["blocked_by"]
    stats = bdj("stats", cwd=root)["summary"]
    assert stats["ready_issues"] == len(ready_ids)
    assert stats["blocked_issues"] == len(blocked_ids)
    assert stats["total_issues"] == len(live(records))
    assert len(bdj("ready", cwd=root)) == min(10, len(ready_ids))


def _richest(records: list[dict[str, Any]]) -> dict[str, Any]:
    return max(live(records), key=lambda r: (len(r.get("dependencies") or []) +
                                             len(r.get("comments") or []) +
                                             len(r.get("labels") or []), r["id"]))


def test_show_matches_the_record(loaded: dict[str, Any]) -> None:
    root, records = loaded["root"], loaded["records"]
    orig = _richest(records)
    shown = bdj("show", orig["id"], cwd=root)
    assert isinstance(shown, list) and len(shown) == 1
    d = shown[0]
    assert d["id"] == orig["id"] and d["title"] == orig["title"]
    assert sorted(d["labels"]) == sorted(orig.get("labels") or [])
    assert {x["id"] for x in d["dependencies"]} == {
        x["depends_on_id"] for x in orig.get("dependencies") or []}
    assert [c["text"] for c in d["comments"]] == [c["text"] for c in orig.get("comments") or []]
    dependents = {r["id"] for r in live(records)
                  if any(x.get("depends_on_id") == orig["id"]
                         for x in r.get("dependencies") or [])}
    assert {x["id"] for x in d["dependents"]} == dependents
    several = [r["id"] for r in live(records)[:3]]
    assert [x["id"] for x in bdj("show", *several, cwd=root)] == several


def test_export_keeps_the_original_lines(loaded: dict[str, Any]) -> None:
    root, lines, records = loaded["root"], loaded["lines"], loaded["records"]
    exported = bd("export", cwd=root).stdout.encode().split(b"\n")
    assert exported[-1] == b""
    exported = exported[:-1]
    assert set(exported) <= set(lines)
    assert len(exported) == len([r for r in records if not r.get("ephemeral")])
    ids = [json.loads(x)["id"] for x in exported]
    assert ids == sorted(ids)
    assert jsonl_path(root).read_bytes() == loaded["path"].read_bytes()


@pytest.mark.parametrize("path", PARAMS)
def test_writes_change_only_the_touched_line(path: Path, tmp_path: Path) -> None:
    lines, records = load(path)
    original = path.read_bytes()
    root = install(path, tmp_path / "repo")
    jp = jsonl_path(root)
    target = _richest(records)
    tid = target["id"]
    index = {r["id"]: n for n, r in enumerate(records)}

    noop = bd("update", tid, cwd=root)
    assert "No updates specified" in noop.stdout
    assert jp.read_bytes() == original

    bd("label", "add", tid, "tmp-label", cwd=root)
    bd("label", "remove", tid, "tmp-label", cwd=root)
    after = [ln for ln in jp.read_bytes().split(b"\n") if ln.strip()]
    assert len(after) == len(lines)
    changed = [n for n, (a, b) in enumerate(zip(lines, after, strict=False)) if a != b]
    assert set(changed) <= {index[tid]}
    back = json.loads(after[index[tid]])
    back.pop("updated_at")
    assert back == {k: v for k, v in target.items() if k != "updated_at"}

    candidates = [target] + [r for r in records if r.get("status") == "closed"
                             and r.get("comments")][:1] + [r for r in records
                                                           if r.get("status") == "open"][:1]
    for orig in candidates:
        jp.write_bytes(original)
        bd("update", orig["id"], "--notes", "hi", cwd=root)
        after = [ln for ln in jp.read_bytes().split(b"\n") if ln.strip()]
        assert len(after) == len(lines)
        diff = [n for n, (a, b) in enumerate(zip(lines, after, strict=False)) if a != b]
        assert diff == [index[orig["id"]]], orig["id"]
        new = json.loads(after[diff[0]])
        assert new["notes"] == "hi"
        assert new["updated_at"] != orig["updated_at"]
        expected = {**orig, "notes": "hi", "updated_at": new["updated_at"]}
        assert new == expected
        assert set(new) == set(orig) | {"notes"}
        assert jp.read_bytes().endswith(b"\n")
