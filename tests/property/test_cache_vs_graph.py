"""The SQLite cache answers ready/blocked exactly as the pure graph index (the oracle) does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from test_graph_props import NOW, graphs  # noqa: E402

from bd import queries  # noqa: E402
from bd.cache import Cache, line_hash  # noqa: E402
from bd.graph import Graph  # noqa: E402

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
        ready = {r["id"] for r in queries.ready(cache.conn, f, now=NOW_NS)}
        assert ready == graph.ready_ids(include_deferred=incl)
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
                    "SELECT issue_id FROM blocked_issues_cache ORDER BY 1"):
            assert list(cache.conn.execute(sql)) == list(fresh.conn.execute(sql))
    finally:
        cache.close()
        fresh.close()
