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
          "SELECT issue_id FROM blocked_issues_cache ORDER BY 1")
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
)


def _edit(path: Path, store: Store, edit: tuple[str, Any], history: list[bytes]) -> None:
    kind, arg = edit
    history.append(path.read_bytes())
    if kind == "checkout":
        path.write_bytes(history[arg % len(history)])
        return
    lines = [ln for ln in path.read_bytes().split(b"\n") if ln]
    ids = [json.loads(ln)["id"] if ln.strip() else None for ln in lines]
    if kind in ("drop", "keys", "bd-update"):
        live = [rid for rid in ids if rid]
        if not live:
            return
        arg = live[arg % len(live)]
    if kind == "put":
        rid = json.loads(arg)["id"]
        if rid in ids:
            lines[ids.index(rid)] = arg
        else:
            lines.append(arg)
            lines = [ln for ln in lines if ln.strip()]
            lines.sort(key=lambda ln: json.loads(ln)["id"])
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
                finally:
                    fresh.close()
        finally:
            store.close()
