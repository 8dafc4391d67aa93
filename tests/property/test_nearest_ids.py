"""The "did you mean" of an unknown id looks only at the ids an SQL condition keeps
(``store._close_ids_sql``): it must keep every id ``suggest.nearest`` would name, so the
suggestion is the same as over every id."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core.suggest import nearest
from bd.store.store import _close_ids_sql

CHARS = st.sampled_from(list("abcdexyz0123-_.ABXİKß"))
IDS = st.text(CHARS, min_size=1, max_size=9).map(lambda s: "bd-" + s) | st.text(
    CHARS, min_size=1, max_size=8)


def _pool(ids: list[str], rid: str, condition: bool) -> list[str]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE issues (id TEXT PRIMARY KEY, status TEXT)")
    conn.executemany("INSERT OR IGNORE INTO issues VALUES (?, 'open')", [(i,) for i in ids])
    sql = ("SELECT id FROM issues WHERE status != 'tombstone' AND length(id) BETWEEN ? AND ?")
    params: list[object] = [len(rid) - 2, len(rid) + 2]
    if condition:
        close, more = _close_ids_sql(rid)
        sql += f" AND ({close})"
        params += more
    return [r[0] for r in conn.execute(sql + " ORDER BY rowid", params)]


@settings(max_examples=400, deadline=None)
@given(st.lists(IDS, min_size=1, max_size=40), IDS, st.data())
def test_the_condition_keeps_every_suggestion(ids: list[str], rid: str,
                                              data: st.DataObject) -> None:
    if data.draw(st.booleans()):  # a near miss of an existing id
        base = data.draw(st.sampled_from(ids))
        at = data.draw(st.integers(0, len(base)))
        rid = base[:at] + data.draw(st.text(CHARS, max_size=2)) + base[at + 1:] or rid
    everything = _pool(ids, rid, False)
    kept = _pool(ids, rid, True)
    assert set(kept) <= set(everything)
    assert nearest(rid, kept, 3, cutoff=0.75) == nearest(rid, everything, 3, cutoff=0.75)
