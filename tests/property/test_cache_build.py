"""Filling an empty cache (bulk inserts, indexes afterwards) gives the same rows as upserting
the same records one by one into a cache that already has rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from test_graph_props import graphs  # noqa: E402

from bd.store.cache import Cache, line_hash  # noqa: E402

ODD = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
                st.text(max_size=3), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123456789Z",
                                 "2026-01-01 00:00:00", "2026-01-01T00:00:00+02:00",
                                 "9999-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z"]))
KEYS = ["title", "description", "status", "priority", "issue_type", "assignee",
        "estimated_minutes", "created_at", "updated_at", "closed_at", "due_at", "defer_until",
        "created_by", "pinned", "ephemeral", "is_template", "notes", "close_reason", "waiters",
        "compaction_level", "source_repo", "timeout", "labels", "comments", "unknown_key"]

TABLES = ("SELECT * FROM issues ORDER BY id",
          "SELECT * FROM dependencies ORDER BY issue_id, depends_on_id, type",
          "SELECT issue_id, label FROM labels ORDER BY 1, 2",
          "SELECT issue_id, author, text, created_at, bd_comment_id FROM comments ORDER BY 1, 2, 3",
          "SELECT issue_id FROM blocked_issues_cache ORDER BY 1",
          "SELECT issue_id, who FROM bd_blockers ORDER BY 1, 2")


def _ups(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bytes, bytes]]:
    out = []
    for rec in records:
        line = json.dumps(rec).encode()
        out.append((rec, line, line_hash(line)))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(), st.lists(st.dictionaries(st.sampled_from(KEYS), ODD, max_size=6),
                          min_size=10, max_size=10))
def test_bulk_fill_equals_upserts(records: list[dict[str, Any]],
                                  extra: list[dict[str, Any]]) -> None:
    for rec, more in zip(records, extra, strict=False):
        for key, value in more.items():
            if key == "labels":
                value = [value] if isinstance(value, str) else value
            if key == "comments":
                value = [{"author": "a", "text": str(value), "created_at": "x"}]
            rec[key] = value
    bulk, upserted = Cache(":memory:"), Cache(":memory:")
    try:
        for cache in (bulk, upserted):
            cache.ensure_schema()
        bulk.conn.execute("BEGIN")
        bulk._load(_ups(records))
        bulk.conn.execute("COMMIT")
        upserted.apply(_ups([{"id": "zzz-seed", "title": "seed"}]))
        upserted.apply(_ups(records))
        upserted.apply([], ["zzz-seed"])
        for sql in TABLES:
            assert list(bulk.conn.execute(sql)) == list(upserted.conn.execute(sql)), sql
    finally:
        bulk.close()
        upserted.close()


def test_a_cold_build_leaves_some_indexes_to_the_next_command(tmp_path: Path) -> None:
    """The cold build creates only the indexes it and `ready` need; the next command that
    opens the cache creates the rest (schema.LAZY_INDEXES), once."""
    from bd.store.cache import schema
    from bd.store.store import Store

    beads = tmp_path / ".beads"
    beads.mkdir()
    (beads / "config.yaml").write_text("issue-prefix: t\n")
    (beads / "issues.jsonl").write_text("".join(
        json.dumps({"id": f"t-{i}", "title": "x", "labels": ["a"]}) + "\n" for i in range(5)))

    def indexes(store: Store) -> set[str]:
        return {r[0] for r in store.cache(check=False).conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'")}

    every = {sql.split()[5] for sql in schema.INDEXES}
    with Store(str(beads), actor="t") as first:
        assert [r["id"] for r in first.ready()] == [f"t-{i}" for i in range(5)]
        assert indexes(first) == every - set(schema.LAZY_INDEXES)
        assert first.cache().meta("bd_lazy_indexes") == "1"
        assert first.stats()["total_issues"] == 5  # without them
        assert len(first.list()) == 5
    with Store(str(beads), actor="t") as second:
        second.cache()
        assert indexes(second) == every
        assert second.cache().meta("bd_lazy_indexes") is None
