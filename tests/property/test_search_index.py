"""The full-text index (bd.store.cache.search) only narrows a search: every query answers
exactly what a scan of the cache answers, through the index and after writes that the
index's triggers must follow.  And through the real CLI, a search finds what it should."""

from __future__ import annotations

import json
from typing import Any

from conftest import bdj, create
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bd.store import queries
from bd.store.cache import Cache, line_hash, search

WORDS = ["Error", "error", "ERROR", "login", "Login page", "café", "CAFÉ", "naïve", "x_y",
         "100%", 'say "hi"', "ab", "abc", "über", "日本語テキスト", "emoji 😀 here", "a\\b"]


def _record(n: int, title: str, description: str, status: str) -> dict[str, Any]:
    return {"id": f"s-{n:04d}", "title": title, "description": description,
            "status": status, "priority": n % 5, "issue_type": "task",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def _cache(records: list[dict[str, Any]]) -> Cache:
    cache = Cache(":memory:")
    cache.ensure_schema()
    lines = [json.dumps(r).encode() for r in records]
    cache.apply([(r, line, line_hash(line)) for r, line in zip(records, lines, strict=True)])
    return cache


def _search(cache: Cache, text: str, *, index: bool) -> list[str]:
    cache.conn.execute("INSERT INTO metadata(key, value) VALUES ('bd_search_index', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       ("1" if index else "0",))
    f = queries.ListFilter(query=text, include_closed=True, limit=0)
    return [r["id"] for r in queries.list_issues(cache.conn, f)]


texts = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=6))
records = st.lists(st.tuples(st.sampled_from(WORDS + [""]), st.sampled_from(WORDS + [""]),
                             st.sampled_from(["open", "closed", "in_progress"])),
                   min_size=1, max_size=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=records, queries_=st.lists(texts, min_size=1, max_size=4),
       edits=st.lists(st.tuples(st.integers(0, 24), st.sampled_from(WORDS)), max_size=5))
def test_the_index_answers_what_a_scan_answers(rows: list[tuple[str, str, str]],
                                               queries_: list[str],
                                               edits: list[tuple[int, str]]) -> None:
    recs = [_record(n, t or f"title {n}", d, s) for n, (t, d, s) in enumerate(rows)]
    cache = _cache(recs)
    cache.conn.execute("DELETE FROM metadata WHERE key = 'bd_search_index'")
    assert search.ready(cache.conn)  # built on first use (SQLite here has FTS5 + trigram)
    for n, title in edits:  # writes after the index exists: the triggers follow them
        if n < len(recs):
            recs[n]["title"] = title
            line = json.dumps(recs[n]).encode()
            cache.apply([(recs[n], line, line_hash(line))])
    if edits and len(recs) > 1:
        cache.apply([], [recs[-1]["id"]])
    for text in queries_:
        assert _search(cache, text, index=True) == _search(cache, text, index=False), text


def test_search_through_the_cli_uses_and_keeps_the_index(repo: Any) -> None:
    a = create(repo, "Login page crashes", "-d", "the café menu")
    create(repo, "Unrelated work")
    assert [r["id"] for r in bdj("search", "CAFÉ", cwd=repo)] == []  # LIKE folds ASCII only
    assert [r["id"] for r in bdj("search", "café", cwd=repo)] == [a]
    b = create(repo, "Another login problem")  # written after the index was built
    assert {r["id"] for r in bdj("search", "LOGIN", cwd=repo)} == {a, b}
    bdj("update", a, "--title", "Sign-in page crashes", cwd=repo)
    assert [r["id"] for r in bdj("search", "login", cwd=repo)] == [b]
