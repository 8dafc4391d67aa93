"""Property tests for bd.core.graph over random issue graphs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core.graph import AFFECTS_READY, FAILURE_WORDS, INACTIVE_STATUSES, Graph

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
STATUSES = ["open", "in_progress", "blocked", "closed", "deferred", "hooked", "pinned", "tombstone", "review"]
TYPES = ["task", "bug", "epic", "gate", "molecule"]
DEP_TYPES = sorted(AFFECTS_READY) + ["related", "relates-to", "discovered-from"]
REASONS = [None, "done", "Tests FAILED", "won't fix", "merged"]
DEFERS = [None, "2026-01-01T00:00:00Z", "2026-03-01T00:00:00.5+01:00", "junk"]
METAS = [None, "", "{bad", json.dumps({"gate": "any-children"}), json.dumps({"gate": "all-children"})]


@st.composite
def graphs(draw: st.DrawFn, max_n: int = 10) -> list[dict[str, Any]]:
    n = draw(st.integers(1, max_n))
    ids = [f"t-{i}" for i in range(n)]
    targets = st.sampled_from(ids + ["external:p:cap", "t-missing", "t-gone"])
    records = []
    for iid in ids:
        r: dict[str, Any] = {"id": iid, "title": iid}
        status = draw(st.sampled_from(STATUSES + [None]))
        if status is not None:
            r["status"] = status
        r["issue_type"] = draw(st.sampled_from(TYPES))
        for flag in ("pinned", "ephemeral", "is_template"):
            if draw(st.integers(0, 9)) == 0:
                r[flag] = True
        if (reason := draw(st.sampled_from(REASONS))) is not None:
            r["close_reason"] = reason
        if (defer := draw(st.sampled_from(DEFERS))) is not None:
            r["defer_until"] = defer
        deps = []
        for _ in range(draw(st.integers(0, 3))):
            d: dict[str, Any] = {"issue_id": iid, "depends_on_id": draw(targets),
                                 "type": draw(st.sampled_from(DEP_TYPES))}
            meta = draw(st.sampled_from(METAS + [json.dumps({"spawner_id": draw(st.sampled_from(ids + ["t-gone"]))})]))
            if meta is not None:
                d["metadata"] = meta
            deps.append(d)
        if deps:
            r["dependencies"] = deps
        records.append(r)
    return records


def _status(r: Mapping[str, Any]) -> str:
    return r.get("status") or "open"


def reference_dependency_blocked(records: list[dict[str, Any]]) -> set[str]:
    """Naive restatement of the rules: direct checks, then capped relaxation down the tree."""
    live = {r["id"]: r for r in records if _status(r) != "tombstone"}
    kids: dict[str, list[str]] = {}
    for r in live.values():
        for d in r.get("dependencies", []):
            if d["type"] == "parent-child":
                kids.setdefault(d["depends_on_id"], []).append(r["id"])

    def active(i: str) -> bool:
        return _status(live[i]) not in INACTIVE_STATUSES

    def direct(r: dict[str, Any]) -> bool:
        for d in r.get("dependencies", []):
            y, typ = d["depends_on_id"], d["type"]
            if y not in live:
                continue
            if typ == "blocks" and active(y):
                return True
            if typ == "conditional-blocks":
                reason = (live[y].get("close_reason") or "").lower()
                if active(y) or (_status(live[y]) == "closed" and not any(w in reason for w in FAILURE_WORDS)):
                    return True
            if typ == "waits-for":
                try:
                    meta = json.loads(d.get("metadata") or "{}")
                except ValueError:
                    meta = {}
                s = meta.get("spawner_id") or y
                closed = [_status(live[k]) == "closed" for k in kids.get(s, [])]
                if meta.get("gate") == "any-children":
                    if not any(closed):
                        return True
                elif not all(closed):
                    return True
        return False

    dist = {i: 0 for i, r in live.items() if direct(r)}
    changed = True
    while changed:
        changed = False
        for p, cs in kids.items():
            if p in dist and dist[p] < 50:
                for c in cs:
                    if dist.get(c, 99) > dist[p] + 1:
                        dist[c] = dist[p] + 1
                        changed = True
    return set(dist)


def is_acyclic(records: list[dict[str, Any]], extra: tuple[str, str] | None = None) -> bool:
    """Kahn's algorithm over live AFFECTS_READY edges (plus an optional extra edge)."""
    live = {r["id"] for r in records if _status(r) != "tombstone"}
    edges = {(r["id"], d["depends_on_id"]) for r in records if r["id"] in live
             for d in r.get("dependencies", []) if d["type"] in AFFECTS_READY and d["depends_on_id"] in live}
    if extra is not None:
        edges.add(extra)
    indeg = {i: 0 for i in live}
    for _, b in edges:
        indeg[b] += 1
    queue = [i for i, k in indeg.items() if k == 0]
    seen = 0
    while queue:
        a = queue.pop()
        seen += 1
        for x, b in edges:
            if x == a:
                indeg[b] -= 1
                if indeg[b] == 0:
                    queue.append(b)
    return seen == len(live)


@settings(max_examples=300, deadline=None)
@given(graphs(), st.booleans(), st.sampled_from([None, "task", "gate"]))
def test_ready_and_blocked_partition_work_set(records: list[dict[str, Any]], incl: bool, itype: str | None) -> None:
    g = Graph.build(records, now=NOW)
    ready = g.ready_ids(include_deferred=incl, issue_type=itype)
    blocked = g.blocked_ids(include_deferred=incl, issue_type=itype)
    work = {r["id"] for r in records if g.in_work_set(r["id"], include_deferred=incl, issue_type=itype)}
    assert ready & blocked == set()
    assert ready | blocked == work
    for i in blocked:
        if _status(g.get(i) or {}) != "blocked":
            assert g.blockers(i), i
    if not incl:
        assert ready <= g.ready_ids(include_deferred=True, issue_type=itype)


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_dependency_blocked_matches_reference(records: list[dict[str, Any]]) -> None:
    g = Graph.build(records, now=NOW)
    assert g.dependency_blocked() == reference_dependency_blocked(records)
    by_id = {r["id"]: r for r in records}
    for i in g.dependency_blocked():
        assert i in g
        # A blocker is a live issue, or a waits-for spawner named in the edge metadata.
        spawners = {json.loads(d["metadata"]).get("spawner_id")
                    for d in by_id[i].get("dependencies", []) if "spawner_id" in d.get("metadata", "")}
        assert all(b in g or b in spawners for b in g.blockers(i))


@settings(max_examples=200, deadline=None)
@given(graphs(max_n=8), st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7),
                                           st.sampled_from(DEP_TYPES)), max_size=25))
def test_cycle_for_new_edge_guards_acyclicity(base: list[dict[str, Any]], adds: list[tuple[int, int, str]]) -> None:
    # Start from the base graph with all edges removed, then add edges one by one, keeping
    # only those the guard accepts: the kept AFFECTS_READY subgraph must stay acyclic and
    # every rejection must be a real cycle.
    records = [{**r, "dependencies": []} for r in base]
    n = len(records)
    for a, b, typ in adds:
        a, b = a % n, b % n
        src, dst = records[a]["id"], records[b]["id"]
        g = Graph.build(records, now=NOW)
        cyc = g.cycle_for_new_edge(src, dst, typ)
        if typ not in AFFECTS_READY:
            assert cyc is None
        elif src == dst:
            assert cyc == [src, src]
        elif src not in g or dst not in g:
            assert cyc is None
        else:
            assert (cyc is None) == is_acyclic(records, (src, dst))
        if cyc is not None:
            assert cyc[0] == cyc[-1] == src and cyc[1] == dst
            edges = {(r["id"], d["depends_on_id"]) for r in records for d in r["dependencies"]
                     if d["type"] in AFFECTS_READY}
            assert all(pair in edges for pair in zip(cyc[1:], cyc[2:], strict=False))
            continue
        records[a]["dependencies"].append({"issue_id": src, "depends_on_id": dst, "type": typ})
        assert is_acyclic(records)
    assert Graph.build(records, now=NOW).cycles() == []


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_cycles_are_real_and_detected(records: list[dict[str, Any]]) -> None:
    g = Graph.build(records, now=NOW)
    cycles = g.cycles()
    assert (cycles == []) == is_acyclic(records)
    for cyc in cycles:
        assert cyc[0] == min(cyc) and len(set(cyc)) == len(cyc)
        for a, b in zip(cyc, cyc[1:] + cyc[:1], strict=False):
            assert g.find_path(a, b) is not None and b in {
                d["depends_on_id"] for d in (g.get(a) or {}).get("dependencies", []) if d["type"] in AFFECTS_READY}


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_deterministic(records: list[dict[str, Any]]) -> None:
    def snapshot(g: Graph) -> tuple[Any, ...]:
        ids = [r["id"] for r in records]
        return (
            sorted(g.ready_ids()), sorted(g.blocked_ids()), sorted(g.dependency_blocked()),
            [g.blockers(i) for i in ids], g.cycles(), g.epic_status(), g.stats(),
            [g.tree(i, direction="both") for i in ids], [g.children(i) for i in ids],
        )

    first = snapshot(Graph.build(records, now=NOW))
    assert snapshot(Graph.build(records, now=NOW)) == first
    # Record order only decides parent(); everything above must not depend on it.
    assert snapshot(Graph.build(list(reversed(records)), now=NOW)) == first
