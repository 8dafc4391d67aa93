"""The "did you mean" of an unknown id looks only at the ids an SQL condition keeps
(``bd.store.nearest.close_ids_sql``): it must keep every id ``suggest.nearest`` would
name, so the suggestion is the same as over every id."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core.suggest import nearest
from bd.store.nearest import close_ids_sql

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
        close, more = close_ids_sql(rid)
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


def test_an_unknown_id_is_answered_again_until_the_cache_changes(tmp_path: Path) -> None:
    """`show` resolves an unknown id twice; the second answer is the first one kept, but
    only while nothing changed the cache (here: another process creates the id)."""
    import json

    import pytest

    from bd.errors import NotFoundError
    from bd.ops import issues as ops
    from bd.ops.delete import delete
    from bd.store.store import Store

    beads = tmp_path / ".beads"
    beads.mkdir()
    (beads / "config.yaml").write_text("issue-prefix: t\n")
    (beads / "issues.jsonl").write_text("".join(
        json.dumps({"id": f"t-ab{i}", "title": "x"}) + "\n" for i in range(3)))
    with Store(str(beads), actor="t") as store:
        for _ in range(2):
            with pytest.raises(NotFoundError) as err:
                store.resolve("t-abx")
            assert err.value.message.endswith("(did you mean t-ab2 or t-ab1 or t-ab0?)")
        with Store(str(beads), actor="other") as other:  # another process's write
            delete(other, ["t-ab0"], force=True)
        with pytest.raises(NotFoundError) as err:
            store.resolve("t-abx")
        assert err.value.message.endswith("(did you mean t-ab2 or t-ab1?)")
        made = ops.create(store, "new")  # this store's own write
        assert store.resolve(made["id"]) == made["id"]
        delete(store, ["t-ab1"], force=True)
        with pytest.raises(NotFoundError) as err:
            store.resolve("t-abx")
        assert err.value.message.endswith("(did you mean t-ab2?)")
