"""The JSONL is the truth: bd refuses to run on a damaged file (and never rewrites it), keeps
untouched lines byte-for-byte, sees edits made behind its back, and treats ``beads.db`` as a
disposable cache that it rebuilds whenever it is missing, corrupt or from another version."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import bd, bdj, create, jsonl_path, read_records, record

TS = "2026-01-05T09:30:00.5-08:00"


def canonical(**fields: object) -> str:
    base: dict[str, object] = {"id": "", "title": "", "status": "open", "priority": 2,
                               "issue_type": "task", "created_at": TS, "updated_at": TS}
    base.update(fields)
    return json.dumps(base, separators=(",", ":"))


def ids_of(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows]


# ------------------------------------------------------------------- a damaged JSONL


GOOD_A = canonical(id="t-aaa", title="first")
GOOD_C = canonical(id="t-ccc", title="third")
# (An id on two lines is not damage: bd reads it as one merged record and `bd doctor --fix`
# merges the lines; tests/git/test_real_data.py.)
DAMAGE = {
    "garbage line": (f"{GOOD_A}\nthis is not json\n{GOOD_C}\n", 2),
    "truncated record": (f'{GOOD_A}\n{{"id":"t-bbb","title":"cut off\n{GOOD_C}\n', 2),
    "record without id": (f'{GOOD_A}\n{GOOD_C}\n{{"title":"no id","status":"open"}}\n', 3),
    "id not a string": (f'{GOOD_A}\n{{"title":"odd","id":42}}\n{GOOD_C}\n', 2),
    "not an object": (f"{GOOD_A}\n[1, 2, 3]\n{GOOD_C}\n", 2),
    "conflict markers": (f"{GOOD_A}\n<<<<<<< HEAD\n{canonical(id='t-bbb', title='ours')}\n"
                         f"=======\n{canonical(id='t-bbb', title='theirs')}\n"
                         f">>>>>>> feature\n{GOOD_C}\n", 2),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_jsonl_is_refused_and_left_alone(repo: Path, case: str) -> None:
    create(repo, "made before the damage")  # so a warm cache exists as well
    text, line = DAMAGE[case]
    path = jsonl_path(repo)
    path.write_text(text)
    before = path.read_bytes()
    for args in (("list",), ("create", "x", "-d", "d"), ("ready", "--json"), ("update", "t-aaa",
                                                                    "--notes", "n")):
        proc = bd(*args, cwd=repo, check=False)
        assert proc.returncode == 1, (case, args, proc.stderr)
        if "--json" in args:
            message = json.loads(proc.stdout)["error"]
        else:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1, (case, args, proc.stderr)
            message = lines[0]
        assert f"issues.jsonl:{line}" in message, (case, args, message)
        assert "Traceback" not in proc.stderr
        assert path.read_bytes() == before, (case, args)


def test_fixing_the_file_recovers(repo: Path) -> None:
    path = jsonl_path(repo)
    path.write_text(DAMAGE["garbage line"][0])
    assert bd("list", cwd=repo, check=False).returncode == 1
    path.write_text(f"{GOOD_A}\n{GOOD_C}\n")
    assert ids_of(bdj("list", cwd=repo)) == ["t-aaa", "t-ccc"]


def test_missing_priority_defaults_to_p2(repo: Path) -> None:
    line = json.dumps({"id": "t-np", "title": "no priority", "status": "open",
                       "issue_type": "task", "created_at": TS, "updated_at": TS},
                      separators=(",", ":"))
    jsonl_path(repo).write_text(f"{GOOD_A}\n{line}\n")
    assert bdj("show", "t-np", cwd=repo)[0]["priority"] == 2
    rows = bdj("list", "-p", "2", cwd=repo)
    assert sorted(ids_of(rows)) == ["t-aaa", "t-np"]
    assert {r["id"]: r["priority"] for r in rows} == {"t-aaa": 2, "t-np": 2}
    assert bdj("list", "-p", "0", cwd=repo) == []
    bd("update", "t-aaa", "--notes", "n", cwd=repo)
    assert jsonl_path(repo).read_text().splitlines()[1] == line


# ------------------------------------------------------------------- canonical writes


def test_jsonl_stays_sorted_and_newline_terminated(repo: Path) -> None:
    made = [create(repo, f"issue {n}") for n in range(6)]
    parent = made[0]
    made += [create(repo, "child", "--parent", parent), create(repo, "x", "--id", "t-0000"),
             create(repo, "z", "--id", "t-zzzz")]
    bd("update", made[3], "--title", "renamed", cwd=repo)
    bd("close", made[4], cwd=repo)
    data = jsonl_path(repo).read_bytes()
    assert data.endswith(b"\n") and not data.endswith(b"\n\n")
    lines = data.decode().split("\n")[:-1]
    assert all(lines), "no blank lines"
    ids = [json.loads(line)["id"] for line in lines]
    assert ids == sorted(ids)
    assert sorted(ids) == sorted(made)
    for line in lines:
        assert line == json.dumps(json.loads(line), separators=(",", ":"),
                                  ensure_ascii=False), "compact canonical JSON"


def test_html_characters_are_escaped_like_go(repo: Path) -> None:
    rid = create(repo, "a <b> & c")
    line = jsonl_path(repo).read_text().strip()
    assert '"title":"a \\u003cb\\u003e \\u0026 c"' in line
    assert record(repo, rid)["title"] == "a <b> & c"
    assert bdj("show", rid, cwd=repo)[0]["title"] == "a <b> & c"


HAND = ('{"title": "Hand written",  "id": "t-bbb", "status": "awaiting_review", '
        '"owner": "x", "priority": 1, "issue_type": "task", "labels": ["keep"], '
        '"created_at": "2026-01-05T09:30:00.5-08:00", "updated_at": "2026-01-05T09:30:00.5-08:00"}')


def test_untouched_lines_keep_their_bytes(repo: Path) -> None:
    create(repo, "first", "--id", "t-aaa")
    create(repo, "third", "--id", "t-ccc")
    path = jsonl_path(repo)
    a_line, c_line = path.read_text().splitlines()
    path.write_text(f"{a_line}\n{HAND}\n{c_line}\n")
    assert bdj("show", "t-bbb", cwd=repo)[0]["status"] == "awaiting_review"

    bd("update", "t-aaa", "--notes", "changed", cwd=repo)
    bd("label", "add", "t-ccc", "extra", cwd=repo)
    create(repo, "new one", "--id", "t-ddd")
    lines = path.read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["t-aaa", "t-bbb", "t-ccc", "t-ddd"]
    assert lines[1] == HAND
    assert json.loads(lines[0])["notes"] == "changed"

    bd("update", "t-bbb", "--notes", "mine now", cwd=repo)
    after = json.loads(path.read_text().splitlines()[1])
    original = json.loads(HAND)
    assert after["owner"] == "x"
    assert after["status"] == "awaiting_review"
    assert after["notes"] == "mine now"
    assert after["labels"] == ["keep"]
    assert after["created_at"] == original["created_at"]
    for key, value in original.items():
        if key != "updated_at":
            assert after[key] == value, key
    assert set(after) == set(original) | {"notes"}
    # the untouched neighbours still have their exact bytes
    assert path.read_text().splitlines()[2] == lines[2]


def test_zero_valued_keys_written_by_another_tool_survive_a_rewrite(repo: Path) -> None:
    # beads_rust writes "compaction_level":0,"original_size":0 on every record
    line = ('{"id":"t-zero","title":"zeros","status":"open","priority":2,"issue_type":"task",'
            f'"created_at":"{TS}","updated_at":"{TS}","compaction_level":0,"original_size":0}}')
    jsonl_path(repo).write_text(line + "\n")
    bd("update", "t-zero", "--notes", "n", cwd=repo)
    after = record(repo, "t-zero")
    assert after["notes"] == "n"
    assert after.get("compaction_level") == 0 and after.get("original_size") == 0, after


def test_timestamps_keep_their_original_offset(repo: Path) -> None:
    line = canonical(id="t-off", title="offset", created_at="2026-01-05T09:30:00.123456789-08:00",
                     updated_at="2026-01-05T09:30:00.123456789-08:00")
    jsonl_path(repo).write_text(line + "\n")
    bd("label", "add", "t-off", "x", cwd=repo)
    after = record(repo, "t-off")
    assert after["created_at"] == "2026-01-05T09:30:00.123456789-08:00"
    assert after["labels"] == ["x"]


# ---------------------------------------------------------------- edits behind bd's back


def test_jsonl_edited_behind_bds_back_is_seen(repo: Path) -> None:
    a = create(repo, "Alpha", "--id", "t-aaa")
    b = create(repo, "Beta blocks nothing", "--id", "t-bbb")
    create(repo, "Gamma", "--id", "t-ccc", "--deps", a)
    assert ids_of(bdj("ready", cwd=repo)) == [a, b]
    recs = {r["id"]: r for r in read_records(repo)}
    recs["t-bbb"]["title"] = "Beta edited"
    recs["t-bbb"]["priority"] = 0
    del recs["t-aaa"]                       # removed by the pull (dangling dep stays)
    recs["t-ddd"] = json.loads(canonical(id="t-ddd", title="Delta from a teammate"))
    jsonl_path(repo).write_text("".join(json.dumps(recs[k], separators=(",", ":")) + "\n"
                                        for k in sorted(recs)))
    rows = {r["id"]: r for r in bdj("list", cwd=repo)}
    assert set(rows) == {"t-bbb", "t-ccc", "t-ddd"}
    assert rows["t-bbb"]["title"] == "Beta edited" and rows["t-bbb"]["priority"] == 0
    ready = bd("ready", cwd=repo).stdout
    assert "t-ddd: Delta from a teammate" in ready
    assert "t-bbb: Beta edited" in ready
    assert "t-aaa" not in ready
    # a dependency on an issue that is gone no longer blocks
    assert "t-ccc" in ids_of(bdj("ready", cwd=repo))
    assert bd("show", "t-aaa", cwd=repo, check=False).returncode == 1


def test_same_size_edit_with_restored_mtime_is_seen(repo: Path) -> None:
    create(repo, "Alpha", "--id", "t-aaa")
    assert ids_of(bdj("list", cwd=repo)) == ["t-aaa"]
    path = jsonl_path(repo)
    st = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Alpha", b"Omega"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert bdj("list", cwd=repo)[0]["title"] == "Omega"


def test_git_checkout_of_an_older_jsonl_is_seen(repo: Path) -> None:
    from conftest import git

    a = create(repo, "Alpha")
    git("add", ".beads", cwd=repo)
    git("commit", "-q", "-m", "one issue", cwd=repo)
    b = create(repo, "Beta")
    bd("close", a, cwd=repo)
    assert ids_of(bdj("list", cwd=repo)) == [b]
    git("checkout", "--", ".beads/issues.jsonl", cwd=repo)
    assert ids_of(bdj("list", cwd=repo)) == [a]
    assert record(repo, a)["status"] == "open"


# ------------------------------------------------------------------- the cache is disposable


def _populated(repo: Path) -> tuple[str, str]:
    a = create(repo, "Alpha", "-l", "x")
    b = create(repo, "Beta", "--deps", a)
    return a, b


def test_deleted_cache_is_rebuilt(repo: Path) -> None:
    a, b = _populated(repo)
    db = repo / ".beads" / "beads.db"
    assert db.exists()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    rows = bdj("list", cwd=repo)
    assert sorted(ids_of(rows)) == sorted([a, b])
    assert db.exists()
    assert ids_of(bdj("ready", cwd=repo)) == [a]
    assert ids_of(bdj("blocked", cwd=repo)) == [b]
    assert bdj("label", "list-all", cwd=repo) == [{"label": "x", "count": 1}]


def test_garbage_cache_is_replaced_with_a_notice(repo: Path) -> None:
    a, b = _populated(repo)
    db = repo / ".beads" / "beads.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(os.urandom(8192))
    proc = bd("list", "--json", cwd=repo)
    assert sorted(ids_of(json.loads(proc.stdout))) == sorted([a, b])
    notice = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(notice) == 1, proc.stderr
    assert "beads.db" in notice[0] or "cache" in notice[0]
    again = bd("ready", "--json", cwd=repo)
    assert ids_of(json.loads(again.stdout)) == [a]
    assert again.stderr == ""
    bd("update", b, "--notes", "still writable", cwd=repo)
    assert record(repo, b)["notes"] == "still writable"


def test_garbage_cache_header_is_replaced(repo: Path) -> None:
    a, _ = _populated(repo)
    db = repo / ".beads" / "beads.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    proc = bd("ready", "--json", cwd=repo)
    assert ids_of(json.loads(proc.stdout)) == [a]
    assert len([ln for ln in proc.stderr.splitlines() if ln.strip()]) == 1


def test_cache_version_mismatch_rebuilds_with_notice(repo: Path) -> None:
    a, b = _populated(repo)
    db = repo / ".beads" / "beads.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE metadata SET value='0' WHERE key='bd_cache_version'")
        # a stale row the rebuild must not keep
        conn.execute("UPDATE issues SET title='stale' WHERE id=?", (a,))
    conn.close()
    proc = bd("list", "--json", cwd=repo)
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == {a, b}
    assert rows[a]["title"] == "Alpha"
    notice = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(notice) == 1, proc.stderr
    assert "rebuild" in notice[0]
    conn = sqlite3.connect(db)
    version = conn.execute("SELECT value FROM metadata WHERE key='bd_cache_version'").fetchone()
    conn.close()
    assert version is not None and version[0] != "0"
    again = bd("list", "--json", cwd=repo)
    assert again.stderr == ""
    assert ids_of(bdj("blocked", cwd=repo)) == [b]
