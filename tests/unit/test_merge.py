"""The merge engine: the original's worked examples (spec §3.8) with our corrected answers,
the lossless-driver recipe of user-pains §5, tombstones, id collisions, byte preservation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bd.core import merge
from bd.core.timeutil import ts_key
from bd.errors import DataError

NOW = ts_key("2025-06-01T00:00:00Z")
T0, T1, T2, T3 = ("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z",
                  "2025-01-04T00:00:00Z")


def rec(rid: str = "t-1", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rid, "title": "Original", "status": "open", "priority": 2,
                           "issue_type": "task", "created_at": T0, "updated_at": T0}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def jl(*recs: dict[str, Any]) -> bytes:
    return b"".join((json.dumps(r, separators=(",", ":")) + "\n").encode() for r in recs)


def run(base: list[dict[str, Any]], left: list[dict[str, Any]],
        right: list[dict[str, Any]], **kw: Any) -> dict[str, dict[str, Any]]:
    """Merge both ways round, assert symmetry, return the records by id."""
    kw.setdefault("now_ns", NOW)
    one = merge.merge_bytes(jl(*base), jl(*left), jl(*right), **kw)
    two = merge.merge_bytes(jl(*base), jl(*right), jl(*left), **kw)
    assert one.data == two.data, "merge is not symmetric"
    return {r["id"]: r for r in map(json.loads, one.data.splitlines())}


# -- spec §3.8, one test per row ------------------------------------------------------------

def test_1_title_conflict_later_edit_wins() -> None:
    got = run([rec()], [rec(title="Left version", updated_at=T1)],
              [rec(title="Right version", updated_at=T2)])
    assert got["t-1"]["title"] == "Right version"
    assert got["t-1"]["updated_at"] == T2


def test_2_priority_conflict_more_urgent_wins() -> None:
    got = run([rec(priority=2)], [rec(priority=3, updated_at=T1)],
              [rec(priority=1, updated_at=T1)])
    assert got["t-1"]["priority"] == 1


def test_3_notes_conflict_keeps_both_older_first() -> None:
    got = run([rec(notes="Original notes")], [rec(notes="Left notes", updated_at=T1)],
              [rec(notes="Right notes", updated_at=T2)])
    assert got["t-1"]["notes"] == "Left notes\n\n---\n\nRight notes"


def test_4_type_conflict_later_edit_wins() -> None:
    # Original: left always wins (so the answer flipped under rebase). Ours: the later edit.
    got = run([rec()], [rec(issue_type="bug", updated_at=T2)],
              [rec(issue_type="feature", updated_at=T1)])
    assert got["t-1"]["issue_type"] == "bug"


def test_5_close_on_one_side() -> None:
    got = run([rec()], [rec(status="closed", closed_at=T1, updated_at=T1, close_reason="done")],
              [rec()])
    assert got["t-1"]["status"] == "closed"
    assert got["t-1"]["closed_at"] == T1
    assert got["t-1"]["close_reason"] == "done"


def test_6_reopen_survives_an_untouched_side() -> None:
    # Original: "closed wins", the reopen was lost (F-5). Ours: the one side that changed wins.
    closed = rec(status="closed", closed_at=T1, close_reason="done", updated_at=T1)
    got = run([closed], [closed], [rec(status="open", updated_at=T3)])
    assert got["t-1"]["status"] == "open"
    assert "closed_at" not in got["t-1"] and "close_reason" not in got["t-1"]


def test_6b_reopen_with_an_unrelated_edit_on_the_other_side() -> None:
    closed = rec(status="closed", closed_at=T1, close_reason="done", updated_at=T1)
    got = run([closed], [dict(closed, title="Renamed", updated_at=T2)],
              [rec(status="open", updated_at=T3)])
    assert got["t-1"]["status"] == "open" and got["t-1"]["title"] == "Renamed"
    assert "closed_at" not in got["t-1"] and "close_reason" not in got["t-1"]


def test_7_removed_on_one_side_edited_on_the_other_is_kept() -> None:
    # Original: deletion wins over the edit. bd never hard-removes a live issue (deletes are
    # tombstones), so a live record missing on one side was pruned or lost: keep the edit.
    res = merge.merge_bytes(jl(rec()), b"", jl(rec(title="edited", updated_at=T1)), now_ns=NOW)
    assert json.loads(res.data)["title"] == "edited"
    assert res.notes


def test_7b_removed_on_one_side_untouched_on_the_other_is_dropped() -> None:
    assert run([rec(), rec("t-2")], [rec("t-2")], [rec(), rec("t-2")]).keys() == {"t-2"}


def test_8_recent_tombstone_beats_a_live_edit() -> None:
    tomb = rec(status="tombstone", deleted_at="2025-05-31T23:00:00Z", deleted_by="a",
               original_type="task", updated_at="2025-05-31T23:00:00Z")
    got = run([rec()], [tomb], [rec(title="edited", updated_at="2025-06-01T00:00:00Z")])
    assert got["t-1"]["status"] == "tombstone"


def test_9_expired_tombstone_lets_the_live_issue_back() -> None:
    tomb = rec(status="tombstone", deleted_at="2025-03-01T00:00:00Z", original_type="task")
    got = run([rec()], [tomb], [rec(title="edited", updated_at=T1)])
    assert got["t-1"]["status"] == "open" and got["t-1"]["title"] == "edited"
    # ... but not with a longer TTL from config
    got = run([rec()], [tomb], [rec(title="edited", updated_at=T1)], ttl=365)
    assert got["t-1"]["status"] == "tombstone"


def test_10_two_tombstones_keep_the_later() -> None:
    a = rec(status="tombstone", deleted_at=T1, deleted_by="a")
    b = rec(status="tombstone", deleted_at=T2, deleted_by="b")
    assert run([], [a], [b])["t-1"]["deleted_by"] == "b"


def test_11_dependency_removal_is_honoured() -> None:
    ab = {"issue_id": "t-1", "depends_on_id": "t-b", "type": "blocks", "created_at": T0}
    ac = {"issue_id": "t-1", "depends_on_id": "t-c", "type": "blocks", "created_at": T1}
    got = run([rec(dependencies=[ab])], [rec(updated_at=T1)],
              [rec(dependencies=[ab, ac], updated_at=T1)])
    assert [d["depends_on_id"] for d in got["t-1"]["dependencies"]] == ["t-c"]


def test_12_same_issue_added_on_both_sides_is_merged() -> None:
    got = run([], [rec(title="L", updated_at=T1)], [rec(title="R", updated_at=T2)])
    assert got["t-1"]["title"] == "R" and len(got) == 1


def test_13_priority_zero_is_a_real_value() -> None:
    # Original: 0 was "unset", so escalating to P0 lost to any other change (F-6).
    got = run([rec(priority=2)], [rec(priority=0, updated_at=T1)],
              [rec(priority=3, updated_at=T2)])
    assert got["t-1"]["priority"] == 0


# -- user-pains §5 recipe -------------------------------------------------------------------

def test_lossless_driver_recipe() -> None:
    d = {"issue_id": "t-1", "depends_on_id": "t-d", "type": "blocks", "created_at": T0}
    base = rec(dependencies=[d], close_reason="r", metadata={"k": 1}, custom_field=[1, 2],
               labels=["a", "b"], assignee="me", design="D", acceptance_criteria="AC",
               external_ref="gh-1", estimated_minutes=30, comments=[
                   {"id": 1, "issue_id": "t-1", "author": "a", "text": "hi", "created_at": T0}])
    ours = dict(base, priority=0, updated_at=T1)
    del ours["dependencies"]
    theirs = dict(base, title="new title", updated_at=T2)
    got = run([base], [ours], [theirs])["t-1"]
    assert "dependencies" not in got
    assert got["priority"] == 0 and got["title"] == "new title"
    for key in ("close_reason", "metadata", "custom_field", "labels", "assignee", "design",
                "acceptance_criteria", "external_ref", "estimated_minutes", "comments"):
        assert got[key] == base[key], key


def test_tombstone_vs_closed_is_tombstone_and_closed_vs_open_is_closed() -> None:
    tomb = rec(status="tombstone", deleted_at="2025-05-30T00:00:00Z")
    closed = rec(status="closed", closed_at=T1, updated_at=T1)
    assert run([rec()], [tomb], [closed])["t-1"]["status"] == "tombstone"
    got = run([rec()], [closed], [rec(status="in_progress", updated_at=T2)])["t-1"]
    assert got["status"] == "closed" and got["closed_at"] == T1


def test_labels_three_way() -> None:
    got = run([rec(labels=["a", "b"])], [rec(labels=["b", "c"], updated_at=T1)],
              [rec(labels=["a", "b", "d"], updated_at=T1)])
    assert got["t-1"]["labels"] == ["b", "c", "d"]


def test_comments_are_never_lost() -> None:
    def c(i: int, text: str, at: str) -> dict[str, Any]:
        return {"id": i, "issue_id": "t-1", "author": "a", "text": text, "created_at": at}

    got = run([rec(comments=[c(1, "base", T0)])],
              [rec(comments=[c(1, "base", T0), c(2, "left", T1)], updated_at=T1)],
              [rec(comments=[c(1, "base", T0), c(2, "right", T2)], updated_at=T2)])
    assert [x["text"] for x in got["t-1"]["comments"]] == ["base", "left", "right"]


def test_unknown_field_changed_on_both_sides_takes_the_later() -> None:
    got = run([rec(extra="b")], [rec(extra="l", updated_at=T2)], [rec(extra="r", updated_at=T1)])
    assert got["t-1"]["extra"] == "l"


def test_assignee_cleared_on_one_side_is_honoured() -> None:
    got = run([rec(assignee="bob")], [rec(updated_at=T1)],
              [rec(assignee="bob", title="x", updated_at=T1)])
    assert "assignee" not in got["t-1"] and got["t-1"]["title"] == "x"


# -- id collisions -----------------------------------------------------------------------------

def test_two_issues_created_under_one_id_both_survive() -> None:
    a = rec("t-ab", title="A", created_at=T0)
    b = rec("t-ab", title="B", created_at=T1, updated_at=T1)
    link = {"issue_id": "t-zz", "depends_on_id": "t-ab", "type": "blocks", "created_at": T1}
    c = rec("t-zz", title="C", created_at=T1, dependencies=[link])
    res = merge.merge_bytes(b"", jl(a), jl(b, c), now_ns=NOW)
    got = {r["id"]: r for r in map(json.loads, res.data.splitlines())}
    assert got["t-ab"]["title"] == "A"
    new_id = res.renamed["t-ab"]
    assert got[new_id]["title"] == "B" and new_id.startswith("t-")
    # the link made on B's side follows B
    assert got["t-zz"]["dependencies"][0]["depends_on_id"] == new_id
    assert any("two different issues" in n for n in res.notes)
    assert merge.merge_bytes(b"", jl(b, c), jl(a), now_ns=NOW).data == res.data


def test_child_id_collision_takes_the_next_child_number() -> None:
    parent = rec("t-p")
    a = rec("t-p.1", title="A", created_at=T1)
    b = rec("t-p.1", title="B", created_at=T2)
    got = run([parent], [parent, a], [parent, b])
    assert got["t-p.1"]["title"] == "A" and got["t-p.2"]["title"] == "B"


# -- bytes, errors, strict mode ---------------------------------------------------------------

def test_untouched_lines_keep_their_bytes() -> None:
    odd = (b'{"id":"t-9","title":"kept as is","priority":2,"zz":1,"created_at":"x",'
           b'"updated_at":"y"}\n')
    base = jl(rec()) + odd
    res = merge.merge_bytes(base, jl(rec(title="l", updated_at=T1)) + odd,
                            jl(rec(priority=1, updated_at=T2)) + odd, now_ns=NOW)
    assert res.data.endswith(odd)


def test_identity_and_idempotence() -> None:
    base, x = jl(rec(), rec("t-2")), jl(rec(title="x", updated_at=T1), rec("t-3"))
    assert merge.merge_bytes(base, base, x).data == x
    assert merge.merge_bytes(base, x, x).data == x


@pytest.mark.parametrize("bad, where", [
    (b'{"id":"t-1"\n', "left:1"),
    (b'<<<<<<< HEAD\n{"id":"t-1"}\n=======\n>>>>>>> x\n', "left:1"),
    (b'{"id":"t-0","title":"ok"}\n{"title":"no id"}\n', "left:2"),
    (b'{"id":"t-0","title":"ok"}\n{"id":"t-2","priority":"high"}\n', "left:2"),
])
def test_unreadable_input_is_an_error_naming_the_line(bad: bytes, where: str) -> None:
    with pytest.raises(DataError) as err:
        merge.merge_bytes(jl(rec()), bad, jl(rec(title="z", updated_at=T1)))
    assert str(err.value).startswith(where)


def test_strict_mode_leaves_true_conflicts_as_markers() -> None:
    res = merge.merge_bytes(jl(rec()), jl(rec(title="L", updated_at=T1)),
                            jl(rec(title="R", updated_at=T2)), strict=True, now_ns=NOW)
    assert res.conflicts == ["t-1"]
    assert res.data.startswith(b"<<<<<<< left\n") and b"=======\n" in res.data
    from bd.git.resolve import split_markers

    base, ours, theirs = split_markers(res.data)
    again = merge.merge_bytes(base, ours, theirs, now_ns=NOW)
    assert json.loads(again.data)["title"] == "R"
