"""The merge engine's account of what it settled (conflict details with kept and dropped
values) and renumberings recorded in the data (``renumbered_from``) that later merges follow."""

from __future__ import annotations

import json
from typing import Any

from bd.core import merge, model
from bd.core.outcomes import lost_claims, renumberings


def rec(rid: str, title: str, created: str, **kw: Any) -> dict[str, Any]:
    return {"id": rid, "title": title, "status": "open", "priority": 2, "issue_type": "task",
            "created_at": created, "created_by": kw.pop("by", "u"), "updated_at": created,
            **kw}


def text(*recs: dict[str, Any]) -> bytes:
    return b"".join(model.to_line(r) for r in sorted(recs, key=lambda r: r["id"]))


def parse(raw: bytes) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, raw.decode().splitlines())}


P = rec("t-p", "epic", "2026-01-01T00:00:00Z")
A = rec("t-p.1", "a's child", "2026-01-02T00:00:02Z")  # created later: it moves
B = rec("t-p.1", "b's child", "2026-01-02T00:00:01Z")


def test_a_collision_moves_the_later_issue_and_records_it_on_the_record() -> None:
    res = merge.merge_bytes(text(P), text(P, A), text(P, B))
    out = parse(res.data)
    assert out["t-p.1"]["title"] == "b's child"
    assert out["t-p.2"]["title"] == "a's child"
    assert out["t-p.2"]["renumbered_from"] == ["t-p.1"]
    assert res.renumbered == [{"from": "t-p.1", "to": "t-p.2", "title": "a's child",
                               "side": "left"}]
    assert all("base" not in n and "left" not in n for n in res.notes)
    # the clone that knew a's child as t-p.1 learns it from its file before and after
    assert renumberings(text(P, A), res.data) == [
        {"from": "t-p.1", "to": "t-p.2", "title": "a's child"}]
    assert renumberings(text(P, B), res.data) == []


def test_a_later_merge_follows_the_recorded_move_both_ways() -> None:
    merged = merge.merge_bytes(text(P), text(P, A), text(P, B)).data
    edited = dict(A, title="a edited it", updated_at="2026-01-03T00:00:00Z")
    second = rec("t-p.2", "a's second child", "2026-01-03T00:00:01Z")
    for left, right in ((text(P, edited, second), merged), (merged, text(P, edited, second))):
        res = merge.merge_bytes(text(P, A), left, right)
        out = parse(res.data)
        assert out["t-p.1"]["title"] == "b's child"  # the other issue is untouched
        assert out["t-p.2"]["title"] == "a edited it"
        assert out["t-p.3"]["title"] == "a's second child"
        assert out["t-p.3"]["renumbered_from"] == ["t-p.2"]
    one = merge.merge_bytes(text(P, A), text(P, edited, second), merged).data
    two = merge.merge_bytes(text(P, A), merged, text(P, edited, second)).data
    assert one == two


def test_conflict_details_name_the_kept_and_the_dropped_value() -> None:
    x = rec("t-x", "x", "2026-01-01T00:00:00Z")
    left = dict(x, priority=3, assignee="alice", updated_at="2026-01-02T00:00:00Z")
    right = dict(x, priority=1, assignee="bob", updated_at="2026-01-03T00:00:00Z")
    res = merge.merge_bytes(text(x), text(left), text(right))
    rows = {d["field"]: d for d in res.details}
    assert rows["priority"] == {"id": "t-x", "field": "priority", "kept": 1, "dropped": 3,
                                "dropped_side": "left",
                                "rule": "kept the more urgent priority"}
    assert (rows["assignee"]["kept"], rows["assignee"]["dropped"]) == ("bob", "alice")
    assert lost_claims(text(left), res.data, {"alice"}) == [
        {"issue": "t-x", "actor": "alice", "holder": "bob"}]
    assert lost_claims(text(right), res.data, {"bob"}) == []
