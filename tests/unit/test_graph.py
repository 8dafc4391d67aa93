"""Example tests for bd.core.graph: readiness rules, hierarchy, paths, cycles, trees, reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bd.core.graph import (
    AFFECTS_READY,
    NON_WORK_TYPES,
    Graph,
    _parse_ts,
)
from bd.errors import UsageError

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FUTURE = "2026-02-01T00:00:00Z"
PAST = "2026-01-01T00:00:00Z"


def dep(target: str, typ: str = "blocks", **meta: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"depends_on_id": target, "type": typ, "created_at": PAST}
    if meta:
        d["metadata"] = json.dumps(meta)
    return d


def rec(iid: str, status: str | None = "open", *deps: dict[str, Any], **kw: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"id": iid, "title": iid, **kw}
    if status is not None:
        r["status"] = status
    if deps:
        r["dependencies"] = [{"issue_id": iid, **d} for d in deps]
    return r


def build(*records: dict[str, Any]) -> Graph:
    return Graph.build(records, now=NOW)


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-06T10:00:00Z", datetime(2026, 1, 6, 10, tzinfo=UTC)),
        ("2026-01-06T10:00:00.123456-08:00", datetime(2026, 1, 6, 18, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-06T23:59:59.999999999Z", datetime(2026, 1, 6, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2026-01-06t10:00:00.5z", datetime(2026, 1, 6, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-06T10:00:00+05:30", datetime(2026, 1, 6, 4, 30, tzinfo=UTC)),
    ],
)
def test_parse_ts_valid(text: str, expected: datetime) -> None:
    got = _parse_ts(text)
    assert got is not None and got == expected and got.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    ["", "2026-01-06", "2026-01-06T10:00:00", "2026-13-06T10:00:00Z", "2026-01-06T10:00:60Z",
     "2026-01-06T10:00:00.1234567890Z", "yesterday", None, 17],
)
def test_parse_ts_invalid(text: Any) -> None:
    assert _parse_ts(text) is None


# ---------------------------------------------------------------- blocks


def test_blocks_open_blocker_blocks_and_closed_releases() -> None:
    g = build(rec("a", "open", dep("b")), rec("b"))
    assert g.dependency_blocked() == {"a"}
    assert g.blocked_ids() == {"a"} and g.ready_ids() == {"b"}
    assert g.blockers("a") == ["b"] and g.blockers("b") == []
    g2 = build(rec("a", "open", dep("b")), rec("b", "closed"))
    assert g2.ready_ids() == {"a"} and g2.blocked_ids() == set()


@pytest.mark.parametrize("status", ["open", "in_progress", "blocked", "deferred", "hooked", "review"])
def test_active_and_custom_statuses_block(status: str) -> None:
    g = build(rec("a", "open", dep("b")), rec("b", status))
    assert "a" in g.blocked_ids() and g.blockers("a") == ["b"]


@pytest.mark.parametrize("status", ["closed", "pinned", "tombstone"])
def test_inactive_blockers_do_not_block(status: str) -> None:
    g = build(rec("a", "open", dep("b")), rec("b", status))
    assert g.ready_ids() == {"a"}
    assert g.dependency_blocked() == set()


def test_missing_status_is_open_and_blocks() -> None:
    g = build(rec("a", None, dep("b")), rec("b", None))
    assert g.blocked_ids() == {"a"} and g.ready_ids() == {"b"}


def test_external_and_dangling_deps_ignored() -> None:
    g = build(rec("a", "open", dep("external:proj:cap"), dep("nope"), dep("gone", "parent-child")))
    assert g.ready_ids() == {"a"}
    assert g.parent("a") is None and g.blockers("a") == []


def test_tombstone_blocker_and_parent_are_absent() -> None:
    g = build(rec("a", "open", dep("t"), dep("t", "parent-child")), rec("t", "tombstone"))
    assert g.ready_ids() == {"a"}
    assert "t" not in g and g.get("t") is None and g.is_tombstone("t")
    assert g.parent("a") is None and g.children("t") == []
    assert not g.is_tombstone("a") and g.get("a") is not None


def test_dependency_blocked_ignores_own_status() -> None:
    g = build(rec("a", "closed", dep("b")), rec("b"), rec("c", "pinned", dep("b")))
    assert g.dependency_blocked() == {"a", "c"}
    assert g.blocked_ids() == set() and g.ready_ids() == {"b"}


def test_non_blocking_types_ignored() -> None:
    g = build(rec("a", "open", dep("b", "related"), dep("b", "discovered-from"),
                  dep("b", "relates-to"), dep("b", "tracks")), rec("b"))
    assert g.ready_ids() == {"a", "b"}


# ---------------------------------------------------------------- conditional-blocks


@pytest.mark.parametrize(
    ("status", "reason", "blocked"),
    [
        ("open", None, True),
        ("in_progress", None, True),
        ("hooked", None, True),
        ("closed", "Completed successfully", True),
        ("closed", None, True),
        ("closed", "Build FAILED on CI", False),
        ("closed", "Won't Fix", False),
        ("closed", "wontfix", False),
        ("closed", "canceled by owner", False),
        ("closed", "TIMEOUT", False),
        ("pinned", None, False),
        ("tombstone", None, False),
    ],
)
def test_conditional_blocks(status: str, reason: str | None, blocked: bool) -> None:
    extra = {"close_reason": reason} if reason else {}
    g = build(rec("b", "open", dep("a", "conditional-blocks")), rec("a", status, **extra))
    assert ("b" in g.blocked_ids()) is blocked
    assert ("b" in g.ready_ids()) is not blocked
    assert g.blockers("b") == (["a"] if blocked else [])


# ---------------------------------------------------------------- waits-for


def _spawner(*child_statuses: str) -> list[dict[str, Any]]:
    return [rec("s")] + [rec(f"c{i}", st, dep("s", "parent-child")) for i, st in enumerate(child_statuses)]


@pytest.mark.parametrize(
    ("gate", "children", "blocked"),
    [
        (None, ("open", "closed"), True),
        (None, ("closed", "closed"), False),
        (None, (), False),
        ("all-children", ("in_progress",), True),
        ("bogus-gate", ("open",), True),
        ("any-children", ("open", "closed"), False),
        ("any-children", ("open", "open"), True),
        ("any-children", (), True),
        ("any-children", ("tombstone",), True),
        (None, ("tombstone",), False),
    ],
)
def test_waits_for_gates(gate: str | None, children: tuple[str, ...], blocked: bool) -> None:
    meta = {"gate": gate} if gate else {}
    g = build(rec("w", "open", dep("s", "waits-for", **meta)), *_spawner(*children))
    assert ("w" in g.blocked_ids()) is blocked
    assert g.blockers("w") == (["s"] if blocked else [])


def test_waits_for_spawner_id_metadata() -> None:
    g = build(rec("w", "open", dep("y", "waits-for", spawner_id="s")), rec("y"), *_spawner("open"))
    assert g.blocked_ids() == {"w"} and g.blockers("w") == ["s"]
    g2 = build(rec("w", "open", dep("y", "waits-for", spawner_id="s")), rec("y", "open"),
               rec("yc", "open", dep("y", "parent-child")), *_spawner("closed"))
    assert "w" in g2.ready_ids()


def test_waits_for_spawner_that_is_not_an_issue_still_counts_its_children() -> None:
    # Matches the cache SQL: children are found by their parent-child edges alone.
    any_gate = build(rec("w", "open", dep("y", "waits-for", spawner_id="gone", gate="any-children")), rec("y"))
    assert any_gate.blocked_ids() == {"w"} and any_gate.blockers("w") == ["gone"]
    all_gate = build(rec("w", "open", dep("y", "waits-for", spawner_id="gone")), rec("y"),
                     rec("c", "open", dep("gone", "parent-child")))
    assert all_gate.blocked_ids() == {"w"} and all_gate.ready_ids() == {"y", "c"}
    assert all_gate.children("gone") == [] and all_gate.parent("c") is None


def test_waits_for_invalid_metadata_means_all_children() -> None:
    d = {"depends_on_id": "s", "type": "waits-for", "metadata": "{not json"}
    g = build(rec("w", "open", d), *_spawner("open"))
    assert g.blocked_ids() == {"w"}
    d2 = {"depends_on_id": "s", "type": "waits-for", "metadata": ""}
    assert build(rec("w", "open", d2), *_spawner("closed")).ready_ids() >= {"w"}


# ---------------------------------------------------------------- cascade


def test_cascade_three_levels_and_blockers_name_nearest_ancestor() -> None:
    g = build(
        rec("x"),
        rec("e", "open", dep("x"), issue_type="epic"),
        rec("f", "open", dep("e", "parent-child")),
        rec("g", "in_progress", dep("f", "parent-child")),
        rec("h", "open", dep("g", "parent-child")),
    )
    assert g.dependency_blocked() == {"e", "f", "g", "h"}
    assert g.blocked_ids() == {"e", "f", "g", "h"} and g.ready_ids() == {"x"}
    assert g.blockers("e") == ["x"]
    assert g.blockers("f") == ["e"] and g.blockers("h") == ["g"]


def test_cascade_direct_blockers_win_over_inheritance() -> None:
    g = build(rec("x"), rec("y"), rec("p", "open", dep("x")), rec("c", "open", dep("p", "parent-child"), dep("y")))
    assert g.blockers("c") == ["y"]


def test_cascade_depth_cap_is_fifty() -> None:
    records = [rec("x"), rec("n00", "open", dep("x"))]
    records += [rec(f"n{i:02d}", "open", dep(f"n{i - 1:02d}", "parent-child")) for i in range(1, 53)]
    g = build(*records)
    blocked = g.dependency_blocked()
    assert "n50" in blocked and "n51" not in blocked and "n52" not in blocked
    assert g.ready_ids() == {"x", "n51", "n52"}


def test_cascade_parent_child_cycle_terminates() -> None:
    g = build(rec("x"), rec("a", "open", dep("x"), dep("b", "parent-child")),
              rec("b", "open", dep("a", "parent-child")))
    assert g.dependency_blocked() == {"a", "b"}
    assert g.blockers("b") == ["a"]


def test_parent_not_blocked_by_children_epic_with_open_children_ready() -> None:
    g = build(rec("x"), rec("e", "open", issue_type="epic"),
              rec("c1", "open", dep("e", "parent-child"), dep("x")),
              rec("c2", "open", dep("e", "parent-child")))
    assert g.ready_ids() == {"x", "e", "c2"}
    assert g.blocked_ids() == {"c1"}


def test_open_parent_does_not_block_child() -> None:
    g = build(rec("p"), rec("c", "open", dep("p", "parent-child")))
    assert g.ready_ids() == {"p", "c"}


# ---------------------------------------------------------------- work set


def test_status_blocked_is_blocked_without_blockers() -> None:
    g = build(rec("a", "blocked"), rec("b", "in_progress"))
    assert g.blocked_ids() == {"a"} and g.ready_ids() == {"b"}
    assert g.blockers("a") == []


@pytest.mark.parametrize("status", ["closed", "deferred", "hooked", "pinned", "review"])
def test_non_work_statuses_in_neither(status: str) -> None:
    g = build(rec("a", status), rec("b", status, dep("z")), rec("z"))
    assert g.ready_ids() == {"z"} and g.blocked_ids() == set()


@pytest.mark.parametrize("flag", ["pinned", "ephemeral", "is_template"])
def test_flags_exclude_from_work_set(flag: str) -> None:
    g = build(rec("a", "open", **{flag: True}), rec("b", "open", dep("z"), **{flag: True}), rec("z"))
    assert g.ready_ids() == {"z"} and g.blocked_ids() == set()
    assert not g.in_work_set("a") and not g.in_work_set("b")


def test_deferred_in_neither_unless_included() -> None:
    g = build(rec("f", "open", defer_until=FUTURE), rec("fb", "open", dep("z"), defer_until=FUTURE),
              rec("p", "open", defer_until=PAST), rec("u", "open", defer_until="soon"), rec("z"))
    assert g.ready_ids() == {"p", "u", "z"} and g.blocked_ids() == set()
    assert g.ready_ids(include_deferred=True) == {"f", "p", "u", "z"}
    assert g.blocked_ids(include_deferred=True) == {"fb"}


def test_default_now_is_current_time() -> None:
    g = Graph.build([rec("a", "open", defer_until="2999-01-01T00:00:00Z"), rec("b", "open", defer_until=PAST)])
    assert g.ready_ids() == {"b"}


@pytest.mark.parametrize("itype", sorted(NON_WORK_TYPES))
def test_non_work_types_in_neither_and_type_filter(itype: str) -> None:
    g = build(rec("a", "open", issue_type=itype), rec("b", "open", dep("z"), issue_type=itype), rec("z"))
    assert g.ready_ids() == {"z"} and g.blocked_ids() == set()
    assert g.ready_ids(issue_type=itype) == {"a"} and g.blocked_ids(issue_type=itype) == {"b"}
    assert g.ready_ids(issue_type="task") == {"z"}


def test_type_filter_exact_and_missing_type_is_task() -> None:
    g = build(rec("a", "open"), rec("b", "open", issue_type="bug"), rec("c", "open", issue_type="Bug"))
    assert g.ready_ids(issue_type="task") == {"a"}
    assert g.ready_ids(issue_type="bug") == {"b"}
    assert g.in_work_set("a", issue_type="task") and not g.in_work_set("a", issue_type="bug")
    assert not g.in_work_set("missing")


# ---------------------------------------------------------------- hierarchy


def test_parent_children_descendants() -> None:
    g = build(
        rec("e"), rec("q"),
        rec("b", "open", dep("q", "blocks"), dep("e", "parent-child"), dep("q", "parent-child")),
        rec("a", "closed", dep("e", "parent-child")),
        rec("a1", "open", dep("a", "parent-child")),
        rec("t", "tombstone", dep("e", "parent-child")),
    )
    assert g.parent("b") == "e" and g.parent("a1") == "a" and g.parent("e") is None
    assert g.children("e") == ["a", "b"] and g.children("q") == ["b"]
    assert g.descendants("e") == {"a", "b", "a1"}
    assert g.descendants("a1") == set()


def test_descendants_with_cycle_excludes_self() -> None:
    g = build(rec("a", "open", dep("b", "parent-child")), rec("b", "open", dep("a", "parent-child")))
    assert g.descendants("a") == {"b"}


# ---------------------------------------------------------------- paths and cycles


def test_find_path_shortest_and_typed() -> None:
    g = build(rec("a", "open", dep("b"), dep("c", "parent-child")), rec("b", "open", dep("d")),
              rec("c", "open", dep("d", "waits-for")), rec("d", "open", dep("a", "related")))
    assert g.find_path("a", "d") == ["a", "b", "d"]
    assert g.find_path("a", "d", types={"parent-child", "waits-for"}) == ["a", "c", "d"]
    assert g.find_path("d", "a") is None
    assert g.find_path("d", "a", types={"related"}) == ["d", "a"]
    assert g.find_path("a", "a") == ["a"]


def test_cycle_for_new_edge_path_order() -> None:
    g = build(rec("a"), rec("b", "open", dep("c")), rec("c", "open", dep("a", "parent-child")))
    assert g.cycle_for_new_edge("a", "b", "blocks") == ["a", "b", "c", "a"]
    assert g.cycle_for_new_edge("a", "b", "waits-for") == ["a", "b", "c", "a"]
    assert g.cycle_for_new_edge("a", "b", "related") is None
    assert g.cycle_for_new_edge("a", "b", "relates-to") is None
    assert g.cycle_for_new_edge("b", "a", "blocks") is None
    assert g.cycle_for_new_edge("a", "a", "blocks") == ["a", "a"]
    assert g.cycle_for_new_edge("a", "external:p:c", "blocks") is None


def test_cycle_check_ignores_related_edges() -> None:
    g = build(rec("a", "open", dep("b", "relates-to"), dep("b", "related")),
              rec("b", "open", dep("a", "relates-to")))
    assert g.cycle_for_new_edge("b", "a", "blocks") is None
    assert g.cycles() == []
    assert g.cycles(types={"relates-to"}) == [["a", "b"]]


def test_cycles_rotated_sorted_and_cross_type() -> None:
    g = build(
        rec("m", "open", dep("k")), rec("k", "open", dep("m", "parent-child")),   # blocks + parent-child
        rec("z", "open", dep("x", "conditional-blocks")), rec("x", "open", dep("y")),
        rec("y", "open", dep("z", "waits-for")),
        rec("s", "open", dep("s")),
        rec("free", "open", dep("k")),
    )
    assert g.cycles() == [["k", "m"], ["s"], ["x", "y", "z"]]
    assert g.cycles(types={"blocks"}) == [["s"]]


def test_cycles_sharing_nodes() -> None:
    g = build(rec("a", "open", dep("b")), rec("b", "open", dep("a"), dep("c")), rec("c", "open", dep("a")))
    assert g.cycles() == [["a", "b"], ["a", "b", "c"]]


# ---------------------------------------------------------------- tree


def _tree_fixture() -> Graph:
    return build(
        rec("a", "open", dep("c", "parent-child"), dep("b"), dep("external:p:x"), dep("gone")),
        rec("b", "open", dep("d")),
        rec("c", "open", dep("d", "related")),
        rec("d", "open"),
    )


def _shape(nodes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(n["id"], n["depth"], n["parent_id"], n["dep_type"], n["truncated"], n.get("repeat", False))
            for n in nodes]


def test_tree_down_with_repeat() -> None:
    assert _shape(_tree_fixture().tree("a")) == [
        ("a", 0, "a", None, False, False),
        ("b", 1, "a", "blocks", False, False),
        ("d", 2, "b", "blocks", False, False),
        ("c", 1, "a", "parent-child", False, False),
        ("d", 2, "c", "related", False, True),
    ]


def test_tree_up_and_both() -> None:
    g = _tree_fixture()
    assert _shape(g.tree("d", direction="up")) == [
        ("d", 0, "d", None, False, False),
        ("b", 1, "d", "blocks", False, False),
        ("a", 2, "b", "blocks", False, False),
        ("c", 1, "d", "related", False, False),
        ("a", 2, "c", "parent-child", False, True),
    ]
    assert _shape(g.tree("b", direction="both")) == [
        ("b", 0, "b", None, False, False),
        ("a", 1, "b", "blocks", False, False),
        ("d", 1, "b", "blocks", False, False),
    ]


def test_tree_max_depth_truncates() -> None:
    g = _tree_fixture()
    assert _shape(g.tree("a", max_depth=1)) == [
        ("a", 0, "a", None, False, False),
        ("b", 1, "a", "blocks", True, False),
        ("c", 1, "a", "parent-child", True, False),
    ]
    assert _shape(g.tree("b", max_depth=1)) == [
        ("b", 0, "b", None, False, False),
        ("d", 1, "b", "blocks", False, False),
    ]


def test_tree_cycle_repeats_root_and_missing_root() -> None:
    g = build(rec("a", "open", dep("b")), rec("b", "open", dep("a")))
    assert _shape(g.tree("a")) == [("a", 0, "a", None, False, False), ("b", 1, "a", "blocks", False, False),
                                   ("a", 2, "b", "blocks", False, True)]
    assert g.tree("nope") == []
    with pytest.raises(UsageError):
        g.tree("a", direction="sideways")


# ---------------------------------------------------------------- reports


def test_epic_status() -> None:
    g = build(
        rec("e1", "open", issue_type="epic"), rec("c1", "closed", dep("e1", "parent-child")),
        rec("c2", "closed", dep("e1", "parent-child")),
        rec("e2", "in_progress", issue_type="epic"), rec("c3", "open", dep("e2", "parent-child")),
        rec("c4", "closed", dep("e2", "parent-child")),
        rec("e3", "open", issue_type="epic"), rec("t", "tombstone", dep("e3", "parent-child")),
        rec("e4", "closed", issue_type="epic"), rec("c5", "closed", dep("e4", "parent-child")),
        rec("f", "open", issue_type="feature"), rec("c6", "closed", dep("f", "parent-child")),
    )
    assert g.epic_status() == [
        {"id": "e1", "total_children": 2, "closed_children": 2, "eligible_for_close": True},
        {"id": "e2", "total_children": 2, "closed_children": 1, "eligible_for_close": False},
        {"id": "e3", "total_children": 0, "closed_children": 0, "eligible_for_close": False},
    ]


def test_stats() -> None:
    g = build(
        rec("a", "open"),
        rec("b", "in_progress", dep("a")),
        rec("c", "blocked"),
        rec("d", "closed", created_at="2026-01-01T00:00:00Z", closed_at="2026-01-01T10:30:00Z"),
        rec("e", "closed", created_at="2026-01-01T00:00:00-02:00", closed_at="2026-01-01T03:00:00Z"),
        rec("f", "closed", created_at="garbage", closed_at="2026-01-01T03:00:00Z"),
        rec("g", "deferred"),
        rec("h", "open", defer_until=FUTURE),
        rec("i", "closed", defer_until=FUTURE),
        rec("j", "open", pinned=True),
        rec("k", "tombstone"),
        rec("ep", "open", dep("a"), issue_type="epic"), rec("ec", "closed", dep("ep", "parent-child")),
    )
    assert g.stats() == {
        "total_issues": 12,
        "open_issues": 4,
        "in_progress_issues": 1,
        "closed_issues": 5,
        "blocked_issues": 3,          # b (dep), c (status), ep (dep)
        "deferred_issues": 2,         # g (status), h (future defer)
        "ready_issues": 1,            # a
        "tombstone_issues": 1,
        "pinned_issues": 1,
        "epics_eligible_for_closure": 1,
        "average_lead_time_hours": 5.75,   # (10.5 + 1.0) / 2
    }


def test_stats_empty() -> None:
    s = build().stats()
    assert s["total_issues"] == 0 and s["average_lead_time_hours"] == 0.0 and s["ready_issues"] == 0


def test_affects_ready_constant() -> None:
    assert AFFECTS_READY == {"blocks", "parent-child", "conditional-blocks", "waits-for"}
