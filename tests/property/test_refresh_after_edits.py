"""After any mix of bd writes and edits behind bd's back (a pull: lines changed, added,
removed, reordered, blank lines, non-canonical lines), the refreshed cache holds exactly the
rows a cache built from scratch holds.  Blocks of three lines, so the run-hashing refresh
(cache._sync_blocks) meets files of many runs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bd.ops import issues as ops
from bd.store.cache import Cache, schema
from bd.store.store import Store

TABLES = ("SELECT id, status, title, bd_line, bd_lead_us FROM issues ORDER BY id",
          "SELECT issue_id, depends_on_id, type FROM dependencies ORDER BY 1, 2, 3",
          "SELECT issue_id, label FROM labels ORDER BY 1, 2",
          "SELECT issue_id FROM blocked_issues_cache ORDER BY 1",
          "SELECT issue_id, who FROM bd_blockers ORDER BY 1, 2")
IDS = [f"t-{i:02}" for i in range(12)]


def _line(rid: str, title: str, status: str, dep: str | None) -> bytes:
    rec: dict[str, Any] = {"id": rid, "title": title, "status": status, "priority": 2,
                           "created_at": "2026-01-01T00:00:00Z",
                           "updated_at": "2026-01-02T00:00:00.5Z"}
    if status == "closed":
        rec["closed_at"] = "2026-01-03T00:00:00Z"
    if dep and dep != rid:
        rec["dependencies"] = [{"issue_id": rid, "depends_on_id": dep, "type": "blocks"}]
    return json.dumps(rec, separators=(",", ":")).encode()


RECORD = st.builds(_line, st.sampled_from(IDS), st.sampled_from(["a", "b", "c"]),
                   st.sampled_from(["open", "closed", "in_progress"]),
                   st.sampled_from([None, *IDS]))
EDIT = st.one_of(
    st.tuples(st.just("put"), RECORD),                         # change or add, sorted
    st.tuples(st.just("drop"), st.integers(0, 20)),            # (an index into the file's ids)
    st.tuples(st.just("blank"), st.integers(0, 20)),
    st.tuples(st.just("swap"), st.integers(0, 20)),            # two lines out of order
    st.tuples(st.just("keys"), st.integers(0, 20)),            # id not the first key
    st.tuples(st.just("bd-update"), st.integers(0, 20)),
    st.tuples(st.just("bd-create"), st.sampled_from(["x", "y"])),
    st.tuples(st.just("checkout"), st.integers(0, 20)),        # an earlier version back
    st.tuples(st.just("dup"), st.integers(0, 20)),             # an id on two lines (a merge)
    st.tuples(st.just("other"), st.integers(0, 20)),           # a `_type` line (a memory)
    st.tuples(st.just("grow"), st.tuples(st.integers(0, 20), st.integers(0, 300))),
)


def _edit(path: Path, store: Store, edit: tuple[str, Any], history: list[bytes]) -> None:
    kind, arg = edit
    history.append(path.read_bytes())
    if kind == "checkout":
        path.write_bytes(history[arg % len(history)])
        return
    lines = [ln for ln in path.read_bytes().split(b"\n") if ln]
    ids = [json.loads(ln).get("id") if ln.strip() and b'"_type"' not in ln else None
           for ln in lines]
    if kind in ("drop", "keys", "bd-update", "dup"):
        live = [rid for rid in ids if rid]
        if not live:
            return
        arg = live[arg % len(live)]
    if kind == "grow":  # a line edited in place to another length (its run moves the rest)
        at, size = arg
        live = [i for i, rid in enumerate(ids) if rid]
        if live:
            i = live[at % len(live)]
            rec = json.loads(lines[i])
            rec["notes"] = "n" * size
            lines[i] = json.dumps(rec, separators=(",", ":")).encode()
        kind = "written"
    if kind == "put":
        rid = json.loads(arg)["id"]
        if rid in ids:
            lines[ids.index(rid)] = arg
        else:
            lines.append(arg)
            lines = [ln for ln in lines if ln.strip()]
            lines.sort(key=lambda ln: json.loads(ln).get("id", ""))
    elif kind == "drop" and arg in ids:
        del lines[ids.index(arg)]
    elif kind == "blank" and lines:
        lines.insert(arg % len(lines), b"  ")
    elif kind == "swap" and len(lines) > 1:
        i = arg % (len(lines) - 1)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif kind == "keys" and arg in ids:
        rec = json.loads(lines[ids.index(arg)])
        lines[ids.index(arg)] = json.dumps({"title": rec.pop("title"), **rec}).encode()
    elif kind == "dup" and arg in ids:
        rec = json.loads(lines[ids.index(arg)])
        rec["title"] = rec["title"] + "-other"
        lines.insert(ids.index(arg) + 1, json.dumps(rec, separators=(",", ":")).encode())
    elif kind == "other":
        lines.insert(arg % (len(lines) + 1),
                     json.dumps({"_type": "memory", "id": f"m-{arg}", "text": "x"}).encode())
    elif kind == "written":
        pass
    elif kind == "bd-update" and arg in ids:
        try:
            rec = json.loads(lines[ids.index(arg)])
            ops.update(store, arg, {"status": "open" if rec.get("status") == "closed"
                                    else "closed"})
        except Exception:  # noqa: BLE001 - e.g. a file made invalid by an earlier edit
            pass
        return
    elif kind == "bd-create":
        try:
            ops.create(store, arg)
        except Exception:  # noqa: BLE001
            pass
        return
    else:
        return
    path.write_bytes(b"".join(ln + b"\n" for ln in lines))


def _check_runs(cache: Cache, raw: bytes) -> None:
    """The stored runs describe the file: each hashes (with its length) as its bytes do."""
    from hashlib import sha256

    runs = list(cache.conn.execute("SELECT n, first_id, hash FROM bd_blocks ORDER BY n"))
    if cache.meta("bd_jsonl_plain") != "1":
        assert not runs
        return
    # A run starts at its first id's line, or where that line would be (it was removed).
    offsets, pos = [], 0
    for line in raw.split(b"\n")[:-1]:
        offsets.append((json.loads(line)["id"], pos))
        pos += len(line) + 1
    starts = [0] + [next((at for rid, at in offsets if rid >= first), len(raw))
                    for _, first, _ in runs[1:]] + [len(raw)]
    for k, (n, _, stored) in enumerate(runs):
        run = raw[starts[k]:starts[k + 1]]
        assert n == k and stored == sha256(run).digest() + len(run).to_bytes(8, "big")


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "BLOCK_LINES", 3)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(RECORD, max_size=10), st.lists(EDIT, min_size=1, max_size=8))
def test_refreshed_cache_equals_a_fresh_build(first: list[bytes],
                                              edits: list[tuple[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        beads = Path(tmp) / ".beads"
        beads.mkdir()
        (beads / "config.yaml").write_text("issue-prefix: t\n")
        path = beads / "issues.jsonl"
        by_id = {json.loads(ln)["id"]: ln for ln in first}
        path.write_bytes(b"".join(by_id[k] + b"\n" for k in sorted(by_id)))
        store = Store(str(beads), actor="prop")
        try:
            store.cache()
            history: list[bytes] = []
            for edit in edits:
                _edit(path, store, edit, history)
                try:
                    store.cache()
                except Exception:  # noqa: BLE001 - an invalid file: compare once it is valid
                    continue
                fresh = Cache(str(Path(tmp) / f"fresh-{edits.index(edit)}.db"))
                try:
                    fresh.refresh(str(path))
                    for sql in TABLES:
                        assert (list(store.cache().conn.execute(sql))
                                == list(fresh.conn.execute(sql))), (sql, edit)
                    _check_runs(store.cache(), path.read_bytes())
                finally:
                    fresh.close()
        finally:
            store.close()


def _repo(tmp: str, count: int = 20) -> tuple[Path, Store]:
    beads = Path(tmp) / ".beads"
    beads.mkdir()
    (beads / "config.yaml").write_text("issue-prefix: t\n")
    path = beads / "issues.jsonl"
    path.write_bytes(b"".join(_line(f"t-{i:02}", "a", "open", None) + b"\n"
                              for i in range(count)))
    store = Store(str(beads), actor="prop")
    store.cache()
    return path, store


def _same_as_fresh(tmp: str, path: Path, store: Store) -> None:
    fresh = Cache(str(Path(tmp) / "fresh.db"))
    try:
        fresh.refresh(str(path))
        for sql in TABLES:
            assert list(store.cache().conn.execute(sql)) == list(fresh.conn.execute(sql)), sql
        _check_runs(store.cache(), path.read_bytes())
    finally:
        fresh.close()


def test_runs_stored_without_their_lengths_still_refresh() -> None:
    """A cache from before run lengths were stored (bare 32-byte digests): the refresh walks
    the runs' lines, finds the changed one, and stores the lengths from then on."""
    with tempfile.TemporaryDirectory() as tmp:
        path, store = _repo(tmp)
        try:
            conn = store.cache().conn
            conn.execute("UPDATE bd_blocks SET hash = substr(hash, 1, 32)")
            lines = path.read_bytes().split(b"\n")
            lines[7] = _line("t-07", "a much longer title than before", "closed", "t-01")
            path.write_bytes(b"\n".join(lines))
            _same_as_fresh(tmp, path, store)
            assert {len(h) for (h,) in conn.execute("SELECT hash FROM bd_blocks")} == {40}
        finally:
            store.close()


def test_a_file_rewritten_in_place_while_mapped_is_read_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The refresh of a plain file maps it; a writer that rewrites the same inode meanwhile
    changes its signature, and the refresh starts over instead of storing rows of a mix."""
    with tempfile.TemporaryDirectory() as tmp:
        path, store = _repo(tmp)
        try:
            lines = path.read_bytes().split(b"\n")
            lines[3] = _line("t-03", "b", "closed", None)
            path.write_bytes(b"\n".join(lines))
            real = Cache._sync_blocks
            calls: list[int] = []

            def meanwhile(self: Cache, where: str, raw: Any) -> Any:
                out = real(self, where, raw)
                calls.append(1)
                if len(calls) == 1:  # same inode, other bytes
                    lines[5] = _line("t-05", "c", "in_progress", "t-03")
                    with open(path, "r+b") as fh:
                        fh.write(b"\n".join(lines))
                        fh.truncate()
                return out

            monkeypatch.setattr(Cache, "_sync_blocks", meanwhile)
            store.cache()
            assert len(calls) == 2
            _same_as_fresh(tmp, path, store)
        finally:
            store.close()
