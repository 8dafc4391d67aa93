"""SortedLines (binary search and splicing, used by writes) agrees with a full Lines scan."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core import codec

IDS = st.text(alphabet="ab.-019é\"\\", min_size=1, max_size=5)


def line(rid: str, title: str = "t") -> bytes:
    return (f'{{"id":{json.dumps(rid, ensure_ascii=False)},"title":{json.dumps(title)}}}'
            .encode())


@settings(max_examples=300, deadline=None)
@given(st.sets(IDS, max_size=30), st.dictionaries(IDS, st.text(max_size=3), max_size=6),
       st.sets(IDS, max_size=4), st.lists(IDS, max_size=5))
def test_sorted_lines_agree_with_a_full_scan(ids: set[str], changes: dict[str, str],
                                             removed: set[str], probes: list[str]) -> None:
    raw = b"".join(line(rid) + b"\n" for rid in sorted(ids))
    assert codec.is_plain(raw, True)
    full, fast = codec.Lines("f", raw), codec.SortedLines("f", raw)
    for rid in [*probes, *ids, *(p + "." for p in probes)]:
        assert fast.has(rid) == full.has(rid)
        assert fast.record(rid) == full.record(rid)
        assert fast.ids_with_prefix(rid) == full.ids_with_prefix(rid)
    changed = {rid: line(rid, title) + b"\n" for rid, title in changes.items()}
    fresh = codec.SortedLines("f", raw)
    assert fresh.render(changed, removed) == full.render(changed, removed)


def test_sorted_lines_fall_back_on_a_line_that_is_not_plain() -> None:
    raw = b'{"id":"a","t":1}\n{"title":"x","id":"b"}\n{"id":"c","t":3}\n'
    fast = codec.SortedLines("f", raw)
    assert fast.has("b") and fast.record("b") == {"title": "x", "id": "b"}
    new = b'{"id":"bb","t":2}\n'
    assert fast.render({"bb": new}) == codec.Lines("f", raw).render({"bb": new})
