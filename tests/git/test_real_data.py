"""Real data never dead-ends (issue 10), through the CLI in real git repositories: non-issue
``_type`` lines kept byte for byte by every command, duplicate ids read with a warning and
merged by ``bd doctor --fix`` or by the driver, import accepting what loading accepts,
writes that keep the file's order; with a bare remote and clones where it matters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, bd, bdj, git, jsonl_path

MEMO = b'{"_type":"memory","key":"deploy","value":"run make ship <fast> & wait"}'
MEMO2 = b'{"_type":"memory","key":"style","value":"short commits"}'
T0 = "2025-01-01T00:00:00Z"


def lines(root: Path) -> list[bytes]:
    return jsonl_path(root).read_bytes().splitlines()


def issue_ids(root: Path) -> list[str]:
    out = []
    for line in lines(root):
        rec = json.loads(line)
        if rec.get("_type") in (None, "issue"):
            out.append(rec["id"])
    return out


def by_id(root: Path) -> dict[str, dict[str, Any]]:
    return {json.loads(x)["id"]: json.loads(x) for x in lines(root)
            if json.loads(x).get("_type") in (None, "issue")}


def new(root: Path, title: str, *args: str) -> str:
    return bd("create", title, "--silent", *args, cwd=root).stdout.strip()


def clones(tmp: Path, *names: str) -> list[Path]:
    """A bare remote and clones, each with bd initialised; the first pushes the setup."""
    git("init", "-q", "--bare", str(tmp / "remote.git"), cwd=tmp)
    out = []
    for k, name in enumerate(names):
        path = tmp / name
        git("clone", "-q", str(tmp / "remote.git"), str(path), cwd=tmp)
        bd("init", "--prefix", "t", cwd=path)
        if k == 0:
            git("add", "-A", cwd=path)
            git("commit", "-qm", "init", cwd=path)
            git("push", "-q", "-u", "origin", "HEAD", cwd=path)
        else:
            git("pull", "-q", cwd=path)
        out.append(path)
    return out


def insert(root: Path, at: int, line: bytes) -> None:
    have = lines(root)
    have.insert(at, line)
    jsonl_path(root).write_bytes(b"".join(x + b"\n" for x in have))


# -- non-issue lines ---------------------------------------------------------------------------

def test_non_issue_lines_survive_every_command(repo: Path) -> None:
    a, b = new(repo, "first"), new(repo, "second")
    insert(repo, 1, MEMO)
    insert(repo, 3, MEMO2)
    for args in (["list"], ["ready"], ["show", a], ["stats"], ["blocked"],
                 ["update", a, "-p", "0"], ["label", "add", b, "ui"], ["dep", "add", b, a],
                 ["close", a, "-r", "done"], ["comments", "add", b, "hello"],
                 ["delete", b, "--force"], ["doctor"]):
        bd(*args, cwd=repo)
        got = lines(repo)
        assert got[1] == MEMO and got[-1] == MEMO2, f"after bd {' '.join(args)}"
    before = lines(repo)
    c = new(repo, "third")
    after = lines(repo)
    # The new line goes where its id sorts (first, when it sorts before every id, which
    # moves the memory line down one); every other line keeps its bytes and its order.
    assert c in issue_ids(repo) and after[-1] == MEMO2
    assert [x for x in after if not x.startswith(b'{"id":"' + c.encode() + b'"')] == before
    out = bd("export", cwd=repo).stdout.encode()
    assert MEMO in out and MEMO2 in out
    assert sorted(bdj("list", "--all", cwd=repo), key=lambda r: r["id"])


def test_issue_lines_marked_with_type_issue_are_issues(repo: Path) -> None:
    line = (b'{"_type":"issue","id":"t-typed","title":"written by a later version",'
            b'"status":"open","priority":1,"issue_type":"task","created_at":"' + T0.encode()
            + b'","updated_at":"' + T0.encode() + b'"}')
    insert(repo, 0, line)
    assert bdj("show", "t-typed", cwd=repo)[0]["title"] == "written by a later version"
    bd("update", "t-typed", "--title", "renamed", cwd=repo)
    rec = json.loads(lines(repo)[0])
    assert rec["_type"] == "issue" and rec["title"] == "renamed"


def test_import_accepts_what_loading_accepts(repo: Path, tmp_path: Path) -> None:
    src = tmp_path / "other.jsonl"
    recs = [{"id": "t-fz", "title": "frozen one", "status": "frozen", "priority": 2,
             "issue_type": "spike", "created_at": T0, "updated_at": T0},
            {"id": "t-ok", "title": "fine", "priority": 2, "created_at": T0,
             "updated_at": T0}]
    src.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in recs) + MEMO + b"\n")
    proc = bd("import", "-i", str(src), cwd=repo)
    assert f"{src}:1" in proc.stderr and "frozen" in proc.stderr
    got = by_id(repo)
    assert got["t-fz"]["status"] == "frozen" and got["t-fz"]["issue_type"] == "spike"
    assert MEMO in lines(repo)
    assert bdj("show", "t-fz", cwd=repo)[0]["status"] == "frozen"


def test_memory_lines_travel_between_clones(tmp_path: Path) -> None:
    a, b = clones(tmp_path, "a", "b")
    x = new(a, "shared")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    insert(a, 1, MEMO)  # another tool (a later bd) wrote a memory
    bd("update", x, "-p", "1", cwd=a)
    bd("sync", cwd=a)
    bd("update", x, "--title", "shared, renamed", cwd=b)
    insert(b, 0, MEMO2)
    bd("sync", cwd=b)
    bd("sync", cwd=a)
    for root in (a, b):
        assert MEMO in lines(root) and MEMO2 in lines(root)
        rec = by_id(root)[x]
        assert rec["priority"] == 1 and rec["title"] == "shared, renamed"
    assert jsonl_path(a).read_bytes() == jsonl_path(b).read_bytes()


# -- duplicate ids -------------------------------------------------------------------------------

def test_duplicate_ids_never_block(tmp_path: Path) -> None:
    a, b = clones(tmp_path, "a", "b")
    x, y = new(a, "dup me"), new(a, "other")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    # A line-based merge elsewhere left two versions of x in the committed file.
    twin = dict(by_id(a)[x], title="dup me (newer)", updated_at="2099-01-01T00:00:00Z",
                labels=["from-twin"])
    insert(a, len(lines(a)), json.dumps(twin, separators=(",", ":")).encode())
    git("commit", "-qam", "a line merge kept both versions", cwd=a)
    git("push", "-q", cwd=a)
    # Read commands work and warn once, naming the ids and the repair.
    proc = bd("list", cwd=a)
    assert "dup me (newer)" in proc.stdout
    assert proc.stderr.count("duplicate ids") == 1 and x in proc.stderr
    assert "bd doctor --fix" in proc.stderr
    assert bdj("show", x, cwd=a)[0]["labels"] == ["from-twin"]
    # A write refuses, naming the repair command, and changes nothing.
    before = jsonl_path(a).read_bytes()
    proc = bd("update", y, "-p", "0", cwd=a, check=False)
    assert proc.returncode == 1 and "bd doctor --fix" in proc.stderr
    assert jsonl_path(a).read_bytes() == before
    # The other clone pulls the file through the driver: each id once.
    bd("update", y, "--title", "other, edited in b", cwd=b)
    bd("sync", cwd=b)
    assert issue_ids(b).count(x) == 1
    assert by_id(b)[x]["title"] == "dup me (newer)"
    assert by_id(b)[y]["title"] == "other, edited in b"
    # doctor --fix merges the lines of x and changes no other line.
    report = bdj("doctor", "--fix", cwd=a)
    dup = next(c for c in report["checks"] if c["name"] == "duplicate-ids")
    assert dup["status"] == "ok" and dup.get("fixed") is True
    after = lines(a)
    assert issue_ids(a).count(x) == 1
    assert [ln for ln in after if x.encode() not in ln] == \
        [ln for ln in before.splitlines() if x.encode() not in ln]
    assert by_id(a)[x]["labels"] == ["from-twin"]
    bd("update", y, "-p", "0", cwd=a)
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    assert by_id(a) == by_id(b)


# -- writes keep the file's order ------------------------------------------------------------------

def test_writes_keep_the_order_of_an_unsorted_file(repo: Path) -> None:
    made = [new(repo, f"issue {n}") for n in range(6)]
    unsorted = sorted(lines(repo), reverse=True)
    jsonl_path(repo).write_bytes(b"".join(x + b"\n" for x in unsorted))
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "unsorted, as Gas Town writes it", cwd=repo)
    bd("update", made[2], "-p", "0", cwd=repo)
    stat = git("diff", "--numstat", "--", ".beads/issues.jsonl", cwd=repo).split()
    assert stat[:2] == ["1", "1"], stat
    c = new(repo, "new one")
    assert issue_ids(repo)[-1] == c  # appended, the rest untouched
    assert issue_ids(repo)[:-1] == [json.loads(x)["id"] for x in unsorted]


def test_new_records_go_where_they_sort(repo: Path) -> None:
    for n in range(5):
        new(repo, f"issue {n}")
    bd("create", "explicit", "--id", "t-0000", cwd=repo)
    bd("create", "explicit", "--id", "t-zzzz", cwd=repo)
    ids = issue_ids(repo)
    assert ids == sorted(ids) and ids[0] == "t-0000" and ids[-1] == "t-zzzz"


@pytest.mark.skipif(not (FIXTURES / "beads_rust-2026-01-28.jsonl").exists(),
                    reason="shared fixtures absent")
def test_real_file_in_its_own_order_changes_one_line(repo: Path) -> None:
    src = (FIXTURES / "beads_rust-2026-01-28.jsonl").read_bytes().splitlines()
    shuffled = src[1::2] + src[0::2] + [MEMO]
    jsonl_path(repo).write_bytes(b"".join(x + b"\n" for x in shuffled))
    bd("config", "set", "issue-prefix", "beads_rust", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "real data", cwd=repo)
    rid = json.loads(shuffled[10])["id"]
    bd("update", rid, "--notes", "one more note", cwd=repo)
    stat = git("diff", "--numstat", "--", ".beads/issues.jsonl", cwd=repo).split()
    assert stat[:2] == ["1", "1"], stat
    assert lines(repo)[-1] == MEMO




def test_unsorted_file_edited_in_two_clones(tmp_path: Path) -> None:
    a, b = clones(tmp_path, "a", "b")
    made = [new(a, f"issue {n}") for n in range(5)]
    jsonl_path(a).write_bytes(b"".join(x + b"\n" for x in sorted(lines(a), reverse=True)))
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("update", made[0], "-p", "0", cwd=a)
    bd("update", made[4], "--title", "edited in b", cwd=b)
    git("config", "--remove-section", "merge.beads", cwd=b)  # git's own line merge copes too
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("sync", cwd=a)
    for root in (a, b):
        got = by_id(root)
        assert got[made[0]]["priority"] == 0 and got[made[4]]["title"] == "edited in b"
        assert issue_ids(root) == sorted(made, reverse=True), git(  # the file's own order
            "log", "--graph", "--oneline", "--stat", cwd=root)


# -- merge rules through git -----------------------------------------------------------------

def test_same_children_made_in_two_clones_merge_into_one_set(tmp_path: Path) -> None:
    a, b = clones(tmp_path, "a", "b")
    parent = new(a, "epic", "-t", "epic")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    for root in (a, b):  # the same plan, made twice, offline, a moment apart
        for n in range(1, 4):
            new(root, f"step {n}", "--parent", parent, "-d", f"do step {n}")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("sync", cwd=a)
    for root in (a, b):
        kids = sorted(r["id"] for r in bdj("list", "--all", cwd=root) if r["id"] != parent)
        assert kids == [f"{parent}.1", f"{parent}.2", f"{parent}.3"]


def test_a_fresh_deletion_keeps_travelling_past_a_pruned_line(tmp_path: Path) -> None:
    a, b = clones(tmp_path, "a", "b")
    x, y = new(a, "to delete"), new(a, "kept")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("delete", x, "--force", cwd=a)
    bd("sync", cwd=a)
    # another writer in b drops x's line (as tools that omit tombstones do) and edits y
    jsonl_path(b).write_bytes(b"".join(ln + b"\n" for ln in lines(b) if x.encode() not in ln))
    bd("update", y, "-p", "1", cwd=b)
    bd("sync", cwd=b)
    assert by_id(b)[x]["status"] == "tombstone"
    bd("sync", cwd=a)
    assert by_id(a)[x]["status"] == "tombstone" and by_id(a)[y]["priority"] == 1
