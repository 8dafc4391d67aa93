"""The merge engine on what real files hold (issue 10): ids repeated inside one input,
non-issue ``_type`` lines, tombstones the other side no longer has, ``created_at`` written at
different precisions, the same children made on two branches, errors naming file:line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bd.core import merge
from bd.core.mergerules import collapse
from bd.core.timeutil import ts_key
from bd.errors import DataError

NOW = ts_key("2025-06-01T00:00:00Z")
T0, T1, T2 = "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"
FRESH = "2025-05-31T00:00:00Z"  # a day before NOW
OLD = "2025-01-01T00:00:00Z"    # past the 30-day TTL at NOW
MEMO = b'{"_type":"memory","key":"deploy","value":"use make ship <fast> & quiet"}'


def rec(rid: str = "t-1", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rid, "title": "Original", "status": "open", "priority": 2,
                           "issue_type": "task", "created_at": T0, "updated_at": T0}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def line(r: dict[str, Any]) -> bytes:
    return json.dumps(r, separators=(",", ":")).encode()


def jl(*items: dict[str, Any] | bytes) -> bytes:
    return b"".join((x if isinstance(x, bytes) else line(x)) + b"\n" for x in items)


def both(base: bytes, left: bytes, right: bytes, **kw: Any) -> merge.MergeResult:
    kw.setdefault("now_ns", NOW)
    one = merge.merge_bytes(base, left, right, **kw)
    two = merge.merge_bytes(base, right, left, **kw)
    assert one.data == two.data, "merge is not symmetric"
    return one


def by_id(data: bytes) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for raw in data.splitlines():
        r = json.loads(raw)
        if "_type" in r and r["_type"] != "issue":
            continue
        assert r["id"] not in out, f"{r['id']} written twice"
        out[r["id"]] = r
    return out


# -- duplicate ids inside one input ------------------------------------------------------------

def test_duplicates_in_one_input_are_collapsed_and_written_once() -> None:
    old = rec(labels=["a"], comments=[{"id": 1, "author": "x", "text": "hi", "created_at": T0}])
    new = rec(title="Newer", updated_at=T2, labels=["b"])
    left = jl(old, rec("t-2"), new)
    right = jl(rec(), rec("t-2", title="changed", updated_at=T1))
    res = both(jl(rec(), rec("t-2")), left, right)
    got = by_id(res.data)
    assert got["t-1"]["title"] == "Newer"
    assert got["t-1"]["labels"] == ["a", "b"]
    assert [c["text"] for c in got["t-1"]["comments"]] == ["hi"]
    assert got["t-2"]["title"] == "changed"
    assert any("several lines" in n for n in res.notes)


def test_duplicates_in_every_input_and_one_sided_merges() -> None:
    dup = jl(rec(), rec(title="B", updated_at=T1))
    for base, left, right in ((dup, dup, dup), (b"", dup, b""), (dup, dup, dup + jl(rec("t-3")))):
        res = both(base, left, right)
        assert list(by_id(res.data)).count("t-1") == 1


def test_collapse_rules() -> None:
    live = rec(title="late", updated_at=T2, dependencies=[
        {"issue_id": "t-1", "depends_on_id": "t-9", "type": "blocks", "created_at": T0}])
    older = rec(title="early", updated_at=T1, priority=0, labels=["x"], dependencies=[
        {"issue_id": "t-1", "depends_on_id": "t-8", "type": "blocks", "created_at": T0}])
    got = collapse([older, live])
    assert got == collapse([live, older])  # order of the lines does not matter
    assert got["title"] == "late" and got["priority"] == 2  # the later edit's scalars
    assert got["labels"] == ["x"]
    assert {d["depends_on_id"] for d in got["dependencies"]} == {"t-8", "t-9"}
    tomb = rec(status="tombstone", deleted_at=FRESH, updated_at=FRESH)
    assert collapse([live, tomb], now_ns=NOW)["status"] == "tombstone"
    expired = rec(status="tombstone", deleted_at=OLD, updated_at=OLD)
    assert collapse([live, expired], now_ns=NOW)["title"] == "late"


# -- non-issue lines ---------------------------------------------------------------------------

def test_other_lines_kept_byte_for_byte() -> None:
    base = jl(rec(), MEMO)
    left = jl(rec(title="L", updated_at=T1), MEMO)
    right = jl(MEMO, rec(priority=1, updated_at=T2))
    res = both(base, left, right)
    assert MEMO + b"\n" in res.data
    assert res.data.count(b'"_type"') == 1
    assert by_id(res.data)["t-1"]["title"] == "L"


def test_other_lines_three_way() -> None:
    m2 = b'{"_type":"memory","key":"k2","value":"v"}'
    changed = b'{"_type":"memory","key":"deploy","value":"new"}'
    # added on one side, removed on the other, changed on one side
    res = both(jl(rec(), MEMO), jl(rec(), changed, m2), jl(rec(title="x", updated_at=T1), MEMO))
    assert changed in res.data and m2 in res.data and MEMO not in res.data
    res = both(jl(rec(), MEMO), jl(rec()), jl(rec(title="x", updated_at=T1), MEMO))
    assert b'"_type"' not in res.data  # removed on one side, unchanged on the other
    odd = b'{"_type":"event","id":"t-1","payload":{"a":[1,2]}}'
    res = both(jl(rec()), jl(rec(), odd), jl(rec(title="y", updated_at=T1)))
    assert odd + b"\n" in res.data and by_id(res.data)["t-1"]["title"] == "y"


# -- tombstones against a removed line ---------------------------------------------------------

def test_fresh_tombstone_survives_a_removed_line() -> None:
    tomb = rec(status="tombstone", deleted_at=FRESH, updated_at=FRESH)
    # deleted on one side, the line pruned on the other
    got = by_id(both(jl(rec(), rec("t-2")), jl(tomb, rec("t-2")), jl(rec("t-2"))).data)
    assert got["t-1"]["status"] == "tombstone"
    # the tombstone was already in the base; one side dropped it
    got = by_id(both(jl(tomb, rec("t-2")), jl(tomb, rec("t-2")),
                     jl(rec("t-2", title="z", updated_at=T1))).data)
    assert got["t-1"]["status"] == "tombstone"
    # an expired tombstone may go
    gone = rec(status="tombstone", deleted_at=OLD, updated_at=OLD)
    got = by_id(both(jl(gone, rec("t-2")), jl(gone, rec("t-2")),
                     jl(rec("t-2", title="z", updated_at=T1))).data)
    assert "t-1" not in got


# -- identity of records added on both sides ---------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("2025-01-01T10:00:00Z", "2025-01-01T10:00:00.000000Z"),
    ("2025-01-01T10:00:01Z", "2025-01-01T10:00:01.734512Z"),
    ("2025-01-01T02:00:01.5-08:00", "2025-01-01T10:00:01.5Z"),
])
def test_created_at_compared_as_instants(a: str, b: str) -> None:
    left = rec(created_at=a, title="one", updated_at=T1)
    right = rec(created_at=b, title="two", updated_at=T2)
    res = both(b"", jl(left), jl(right))
    assert not res.renamed
    assert by_id(res.data)["t-1"]["title"] == "two"


def test_same_children_made_on_two_branches_are_one_issue_each() -> None:
    def child(n: int, created: str) -> dict[str, Any]:
        return rec(f"t-p.{n}", title=f"step {n}", description="d", created_by="me",
                   created_at=created, updated_at=created, dependencies=[
                       {"issue_id": f"t-p.{n}", "depends_on_id": "t-p", "type": "parent-child",
                        "created_at": created}])
    left = jl(rec("t-p"), *[child(n, "2025-01-01T10:00:00Z") for n in range(1, 9)])
    right = jl(rec("t-p"), *[child(n, "2025-01-01T10:01:10Z") for n in range(1, 9)])
    res = both(jl(rec("t-p")), left, right)
    assert not res.renamed
    assert sorted(by_id(res.data)) == ["t-p", *[f"t-p.{n}" for n in range(1, 9)]]


def test_different_issues_under_one_id_still_both_survive() -> None:
    left = rec("t-p.1", title="alpha", created_at=T1, updated_at=T1)
    right = rec("t-p.1", title="beta", created_at=T2, updated_at=T2)
    res = both(jl(rec("t-p")), jl(rec("t-p"), left), jl(rec("t-p"), right))
    assert res.renamed == {"t-p.1": "t-p.2"}


# -- errors name the input and line ------------------------------------------------------------

@pytest.mark.parametrize("bad, where", [
    (b'{"id":"t-0"}\n{"id":"t-1","title":5}\n', "right:2"),
    (b'{"id":"t-0"}\n{"title":"x","id":7}\n', "right:2"),
    (b'{"id":"t-0"}\n[1]\n', "right:2"),
])
def test_errors_name_file_and_line_when_both_sides_changed(bad: bytes, where: str) -> None:
    with pytest.raises(DataError) as err:
        merge.merge_bytes(jl(rec()), jl(rec(title="L", updated_at=T1)), bad, now_ns=NOW)
    assert str(err.value).startswith(where)


def test_identical_unreadable_lines_are_still_refused() -> None:
    bad = b'{"id":"t-1","title":"x"\n'
    with pytest.raises(DataError) as err:
        merge.merge_bytes(jl(rec("t-0")) + bad, jl(rec("t-0", title="L", updated_at=T1)) + bad,
                          jl(rec("t-0")) + bad + jl(rec("t-2")), now_ns=NOW)
    assert str(err.value).startswith("base:2")


def test_an_unsorted_file_keeps_its_order_through_a_merge() -> None:
    base = jl(rec("t-c"), rec("t-a"), rec("t-b"))
    left = jl(rec("t-c", title="L", updated_at=T1), rec("t-a"), rec("t-b"), rec("t-0"))
    right = jl(rec("t-c"), rec("t-a"), rec("t-b", priority=0, updated_at=T1), rec("t-9"))
    res = both(base, left, right)
    assert list(by_id(res.data)) == ["t-c", "t-a", "t-b", "t-0", "t-9"]
    one_sided = merge.merge_bytes(base, base, left, now_ns=NOW).data
    assert one_sided == left
