"""The SQLite cache answers ready/blocked exactly as the pure graph index (the oracle) does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from test_graph_props import NOW, STATUSES, graphs  # noqa: E402

from bd.core.graph import Graph  # noqa: E402
from bd.store import queries, stats  # noqa: E402
from bd.store.cache import (  # noqa: E402
    Cache,
    line_hash,
    schema,  # noqa: E402
)

NOW_NS = int(NOW.timestamp() * 1_000_000_000)


def _dedupe_edges(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The cache keys edges by (issue, target, type) as the original's schema does.
    for rec in records:
        if "dependencies" in rec:
            seen: dict[tuple[str, str], dict[str, Any]] = {}
            for dep in rec["dependencies"]:
                seen.setdefault((dep["depends_on_id"], dep.get("type") or "blocks"), dep)
            rec["dependencies"] = list(seen.values())
    return records


def _cache_of(records: list[dict[str, Any]]) -> Cache:
    cache = Cache(":memory:")
    cache.ensure_schema()
    ups = []
    for rec in records:
        line = json.dumps(rec).encode()
        ups.append((rec, line, line_hash(line)))
    cache.apply(ups)
    return cache


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(), st.booleans())
def test_cache_ready_and_blocked_equal_graph(records: list[dict[str, Any]], incl: bool) -> None:
    records = _dedupe_edges(records)
    cache = _cache_of(records)
    try:
        graph = Graph.build(records, now=NOW)
        blocked_rows = {r[0] for r in cache.conn.execute(
            "SELECT issue_id FROM blocked_issues_cache")}
        assert blocked_rows == graph.dependency_blocked()
        f = queries.ReadyFilter(limit=0, include_deferred=incl)
        every = queries.ready(cache.conn, f, now=NOW_NS)
        ready = {r["id"] for r in every}
        assert ready == graph.ready_ids(include_deferred=incl)
        # A long result is sorted by rowid and its lines read afterwards; a short one in one
        # query: the same records in the same order.
        for sort in ("hybrid", "priority", "oldest"):
            long = queries.ready(cache.conn, queries.ReadyFilter(
                limit=0, include_deferred=incl, sort=sort), now=NOW_NS)
            short = queries.ready(cache.conn, queries.ReadyFilter(
                limit=500, include_deferred=incl, sort=sort), now=NOW_NS)
            assert long == short
        for lf in (queries.ListFilter(limit=0), queries.ListFilter(limit=0, all=True,
                                                                    sort="title")):
            long = queries.list_issues(cache.conn, lf, now=NOW_NS)
            lf.limit = 500
            assert long == queries.list_issues(cache.conn, lf, now=NOW_NS)
        if not incl:
            blocked = {r["id"] for r in queries.blocked(cache.conn, now=NOW_NS)}
            assert blocked == graph.blocked_ids()
    finally:
        cache.close()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(), graphs())
def test_incremental_refresh_equals_fresh_build(first: list[dict[str, Any]],
                                                second: list[dict[str, Any]]) -> None:
    """Applying a second version over the first gives the same rows as building it fresh."""
    first, second = _dedupe_edges(first), _dedupe_edges(second)
    cache = _cache_of(first)
    fresh = _cache_of(second)
    try:
        ups = [(r, json.dumps(r).encode(), line_hash(json.dumps(r).encode())) for r in second]
        gone = {r["id"] for r in first} - {r["id"] for r in second}
        cache.apply(ups, gone)
        for sql in ("SELECT id, status, bd_line FROM issues ORDER BY id",
                    "SELECT issue_id, depends_on_id, type FROM dependencies ORDER BY 1, 2, 3",
                    "SELECT issue_id FROM blocked_issues_cache ORDER BY 1",
                    "SELECT issue_id, who FROM bd_blockers ORDER BY 1, 2"):
            assert list(cache.conn.execute(sql)) == list(fresh.conn.execute(sql))
    finally:
        cache.close()
        fresh.close()


@st.composite
def write_sequences(draw: st.DrawFn) -> tuple[list[dict[str, Any]],
                                              list[list[tuple[str, dict[str, Any] | None]]]]:
    """A first version, then steps that each rewrite, add or remove one to three records
    (small changes, so the cache takes the incremental path for the blocked set)."""
    first = _dedupe_edges(draw(graphs()))
    state = {r["id"]: r for r in first}
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        pool = {r["id"]: r for r in _dedupe_edges(draw(graphs(max_n=12)))}
        for rid in ("t-gone", "t-missing"):  # dangling targets may come to life
            if draw(st.integers(0, 3)) == 0:
                pool[rid] = {"id": rid, "title": rid,
                             "status": draw(st.sampled_from(["open", "closed", "tombstone"]))}
        ids = sorted(set(pool) | set(state))
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        step: list[tuple[str, dict[str, Any] | None]] = []
        for rid in chosen:
            kind = draw(st.sampled_from(["status", "status", "replace", "remove"]))
            if kind == "status" and rid in state:  # the common write: edges unchanged
                rec = {**state[rid], "status": draw(st.sampled_from(STATUSES))}
                if draw(st.booleans()):
                    rec["close_reason"] = draw(st.sampled_from(["done", "failed"]))
            elif kind == "remove":
                rec = None
            else:
                rec = pool.get(rid)
            step.append((rid, rec))
            if rec is None:
                state.pop(rid, None)
            else:
                state[rid] = rec
        steps.append(step)
    return first, steps


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(write_sequences())
def test_incremental_blocked_set_equals_rebuild_after_writes(
        seq: tuple[list[dict[str, Any]], list[list[tuple[str, dict[str, Any] | None]]]]) -> None:
    """After every small write the maintained blocked set equals a full recomputation, the
    graph oracle, and (at the end) a cache built from scratch."""
    first, steps = seq
    state = {r["id"]: r for r in first}
    cache = _cache_of(first)
    try:
        for step in steps:
            ups = []
            gone = []
            for rid, rec in step:
                if rec is None:
                    if state.pop(rid, None) is not None:
                        gone.append(rid)
                else:
                    state[rid] = rec
                    line = json.dumps(rec).encode()
                    ups.append((rec, line, line_hash(line)))
            cache.apply(ups, gone)
            kept = {r[0] for r in cache.conn.execute("SELECT issue_id FROM blocked_issues_cache")}
            assert kept == {r[0] for r in cache.conn.execute(schema.BLOCKED_SQL)}
            graph = Graph.build(list(state.values()), now=NOW)
            assert kept == graph.dependency_blocked()
            # why each is blocked (bd_blockers, kept in step by the same writes)
            why = set(cache.conn.execute("SELECT issue_id, who FROM bd_blockers"))
            assert why == set(cache.conn.execute(schema.BLOCKERS_SQL))
            assert why == {(i, b) for i in graph._recs for b in graph.blockers(i)}
        fresh = _cache_of(list(state.values()))
        try:
            for sql in ("SELECT id, status, bd_line FROM issues ORDER BY id",
                        "SELECT issue_id, depends_on_id, type FROM dependencies ORDER BY 1, 2, 3",
                        "SELECT issue_id FROM blocked_issues_cache ORDER BY 1",
                        "SELECT issue_id, who FROM bd_blockers ORDER BY 1, 2"):
                assert list(cache.conn.execute(sql)) == list(fresh.conn.execute(sql))
        finally:
            fresh.close()
    finally:
        cache.close()


def test_blocked_set_through_a_deep_hierarchy_is_capped_at_50_levels() -> None:
    """Inheritance stops 50 parent-child levels below the directly blocked issue, also when
    the blocker is closed and reopened incrementally."""
    records: list[dict[str, Any]] = [{"id": "b", "title": "b", "status": "open"},
                                     {"id": "c-00", "title": "c", "dependencies": [
                                         {"issue_id": "c-00", "depends_on_id": "b",
                                          "type": "blocks"}]}]
    for i in range(1, 60):
        records.append({"id": f"c-{i:02}", "title": "c", "dependencies": [
            {"issue_id": f"c-{i:02}", "depends_on_id": f"c-{i - 1:02}", "type": "parent-child"}]})
    cache = _cache_of(records)
    try:
        def blocked() -> set[str]:
            return {r[0] for r in cache.conn.execute("SELECT issue_id FROM blocked_issues_cache")}

        expected = {f"c-{i:02}" for i in range(51)}
        assert blocked() == expected == Graph.build(records, now=NOW).dependency_blocked()
        for status, want in (("closed", set()), ("open", expected)):
            rec = {"id": "b", "title": "b", "status": status}
            line = json.dumps(rec).encode()
            cache.apply([(rec, line, line_hash(line))])
            assert blocked() == want
    finally:
        cache.close()


def test_waits_for_gate_follows_a_child_moving_to_another_parent() -> None:
    """A child leaving its parent changes the parent's waits-for gate (the incremental
    update must look at the parents the child had before the change)."""
    def rec(rid: str, status: str = "open", **deps: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": rid, "title": rid, "status": status}
        if deps:
            out["dependencies"] = [{"issue_id": rid, "depends_on_id": t,
                                    "type": k.replace("_", "-")} for k, t in deps.items()]
        return out

    records = [rec("p"), rec("q"), rec("c1", "closed", parent_child="p"),
               rec("c2", parent_child="p"), rec("w", waits_for="p")]
    cache = _cache_of(records)
    try:
        def blocked() -> set[str]:
            return {r[0] for r in cache.conn.execute("SELECT issue_id FROM blocked_issues_cache")}

        assert blocked() == {"w"}
        moved = rec("c2", parent_child="q")
        line = json.dumps(moved).encode()
        cache.apply([(moved, line, line_hash(line))])
        assert blocked() == set()
        assert blocked() == Graph.build([*records[:3], moved, records[4]],
                                        now=NOW).dependency_blocked()
    finally:
        cache.close()


STAMPS = [None, "", "2026-01-01T00:00:00Z", "2026-01-05T12:30:00.123456789Z",
          "2026-01-02T00:00:00.5+01:00", "2026-01-03 04:05:06", "junk", "2026-01-04t00:00:00z",
          "1969-12-31T23:59:59.9999999Z", "2026-02-30T00:00:00Z", "0"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(), st.lists(st.tuples(st.sampled_from(STAMPS), st.sampled_from(STAMPS)),
                          min_size=10, max_size=10))
def test_stats_and_blockers_equal_graph(records: list[dict[str, Any]],
                                        stamps: list[tuple[str | None, str | None]]) -> None:
    """`bd stats` and the blocked_by of `bd blocked`, computed in SQL, equal the oracle's."""
    records = _dedupe_edges(records)
    for rec, (created, closed) in zip(records, stamps, strict=False):
        for key, value in (("created_at", created), ("closed_at", closed)):
            if value is not None:
                rec[key] = value
    cache = _cache_of(records)
    try:
        graph = Graph.build(records, now=NOW)
        assert stats.stats(cache.conn, now=NOW_NS) == graph.stats()
        ids = sorted(graph.blocked_ids() | graph.dependency_blocked() | set(graph._recs))
        why = queries.blockers(cache.conn, ids)
        assert {i: graph.blockers(i) for i in ids if graph.blockers(i)} == why
    finally:
        cache.close()


CREATED = [None, "", "junk", "2025-06-01T00:00:00Z", "2025-06-01T00:00:00Z",
           "2026-01-01T00:00:00Z", (NOW.isoformat().replace("+00:00", "Z")),
           "2026-01-09T12:00:00Z", "2026-01-10T00:00:00Z", "2026-01-08T13:00:00Z",
           "2025-12-30T00:00:00Z", "2026-03-01T00:00:00Z"]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(), st.lists(st.sampled_from(CREATED), min_size=12, max_size=12),
       st.sampled_from(["hybrid", "oldest", "priority"]), st.sampled_from([0, 1, 2, 3, 5, 10]),
       st.sampled_from([None, 0, 2]))
def test_ready_walking_the_order_index_equals_sorting(
        records: list[dict[str, Any]], created: list[str | None], sort: str, limit: int,
        priority: int | None) -> None:
    """bd.store.cache.orderidx: `ready` read in index order (recent ones first, by priority,
    then the rest by creation, NULL times first) is exactly the one sorted query's answer."""
    from bd.store.cache import orderidx

    records = _dedupe_edges(records)
    for rec, stamp in zip(records, created, strict=False):
        if stamp is None:
            rec.pop("created_at", None)
        else:
            rec["created_at"] = stamp
    cache = _cache_of(records)
    try:
        f = queries.ReadyFilter(limit=limit, sort=sort, priority=priority)
        sorted_ids = [r["id"] for r in queries.iter_ready(cache.conn, f, now=NOW_NS)]
        lf = queries.ListFilter(limit=limit, priority=priority)
        listed = [r["id"] for r in queries.iter_list(cache.conn, lf)]
        assert not orderidx.present(cache.conn)
        assert orderidx.ensure(cache.conn, build=True)
        walked = [r["id"] for r in queries.iter_ready(cache.conn, f, now=NOW_NS, ordered=True)]
        assert walked == sorted_ids
        assert [r["id"] for r in queries.iter_list(cache.conn, lf)] == listed
    finally:
        cache.close()


def test_ready_walk_keeps_null_times_first_and_recent_ones_by_priority() -> None:
    """The hand-made case of the property above: every part of the hybrid order at once."""
    from bd.store.cache import orderidx

    def task(rid: str, created: str | None, priority: int) -> dict[str, Any]:
        rec = {"id": rid, "title": rid, "status": "open", "issue_type": "task",
               "priority": priority}
        if created is not None:
            rec["created_at"] = created
        return rec

    records = [task("t-old", "2025-01-01T00:00:00Z", 0), task("t-none", None, 3),
               task("t-junk", "junk", 1), task("t-new-p2", "2026-01-10T00:00:00Z", 2),
               task("t-new-p0", "2026-01-09T13:00:00Z", 0),
               task("t-older", "2024-01-01T00:00:00Z", 4)]
    cache = _cache_of(records)
    try:
        assert orderidx.ensure(cache.conn, build=True)
        for sort, want in (("hybrid", ["t-new-p0", "t-new-p2", "t-junk", "t-none", "t-older",
                                       "t-old"]),
                           ("oldest", ["t-junk", "t-none", "t-older", "t-old", "t-new-p0",
                                       "t-new-p2"])):
            for limit in range(1, 8):
                f = queries.ReadyFilter(limit=limit, sort=sort)
                for ordered in (False, True):
                    got = [r["id"] for r in queries.iter_ready(cache.conn, f, now=NOW_NS,
                                                                ordered=ordered)]
                    assert got == want[:limit], (sort, limit, ordered)
    finally:
        cache.close()


def _stamped(rec: dict[str, Any], k: int) -> dict[str, Any]:
    """Creation and closing times from STAMPS (lead times for the counts to sum)."""
    out = dict(rec)
    created, closed = STAMPS[k % len(STAMPS)], STAMPS[(k * 7 + 3) % len(STAMPS)]
    if created is not None:
        out["created_at"] = created
    if closed is not None:
        out["closed_at"] = closed
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(write_sequences(), st.lists(st.booleans(), min_size=8, max_size=8))
def test_kept_stats_counts_equal_a_fresh_count_after_writes(
        seq: tuple[list[dict[str, Any]], list[list[tuple[str, dict[str, Any] | None]]]],
        whole: list[bool]) -> None:
    """bd.store.cache.counts: the trigger-kept counts give exactly the stats a fresh count
    gives (and the oracle's), after every small write, whole blocked-set recomputations and
    removals included."""
    from bd.store.cache import counts

    first, steps = seq
    first = [_stamped(r, k) for k, r in enumerate(first)]
    state = {r["id"]: r for r in first}
    cache = _cache_of(first)
    try:
        assert counts.ready(cache.conn, build=True)
        for n, step in enumerate(steps):
            ups = []
            gone = []
            for k, (rid, rec) in enumerate(step):
                if rec is None:
                    if state.pop(rid, None) is not None:
                        gone.append(rid)
                else:
                    rec = _stamped(rec, n + k)
                    state[rid] = rec
                    line = json.dumps(rec).encode()
                    ups.append((rec, line, line_hash(line)))
            cache.apply(ups, gone, recompute=not whole[n])
            if whole[n]:
                cache.conn.execute("BEGIN")
                cache.recompute_blocked()
                cache.conn.execute("COMMIT")
            for now in (NOW_NS, NOW_NS - 30 * 86_400 * 10**9):
                fast = stats.stats(cache.conn, now=now, counts=counts.read(cache.conn))
                assert fast == stats.stats(cache.conn, now=now)
            assert stats.stats(cache.conn, now=NOW_NS, counts=counts.read(cache.conn)) == \
                Graph.build(list(state.values()), now=NOW).stats()
    finally:
        cache.close()


def test_ready_walk_reads_in_index_order_and_stops() -> None:
    """The walk's query plan: a scan of the creation-order index, no sort of every match
    (an OR on the creation time once made SQLite search the index twice and sort it all,
    250 ms at 100,000 issues, with NULL times in the file or not)."""
    from bd.store.cache import orderidx

    def rec(n: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": f"t-{n:05d}", "title": "x", "issue_type": "task",
                               "status": "closed" if n % 3 else "open", "priority": n % 4}
        if n % 50:
            out["created_at"] = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00Z"
        return out

    recent = [{"id": f"t-new{n}", "title": "new", "issue_type": "task", "status": "open",
               "priority": 1, "created_at": "2026-01-10T00:00:00Z"} for n in range(8)]
    # Eight recent ready issues leave the walk a limit of 2: the limit SQLite chose the
    # two searches and the sort for.
    cache = _cache_of([rec(n) for n in range(3000)] + recent)
    try:
        assert orderidx.ensure(cache.conn, build=True)
        seen: list[str] = []
        cache.conn.set_trace_callback(seen.append)
        got = list(queries.iter_ready(cache.conn, queries.ReadyFilter(limit=10), now=NOW_NS,
                                      ordered=True))
        cache.conn.set_trace_callback(None)
        assert len(got) == 10
        walk = [sql for sql in seen if "INDEXED BY idx_issues_by_created" in sql]
        assert walk, seen
        plan = " | ".join(row[3] for row in cache.conn.execute("EXPLAIN QUERY PLAN " + walk[-1]))
        assert "TEMP B-TREE" not in plan and "MULTI-INDEX" not in plan, plan
    finally:
        cache.close()
