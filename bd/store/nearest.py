"""Which ids an unknown id's "did you mean" needs to look at: an SQL condition that keeps
every id :func:`bd.core.suggest.nearest` could name, so the suggestion reads a few ids, not
all of them (100,000 issues: a second of Python before)."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def close_ids_sql(rid: str) -> tuple[str, list[Any]]:
    """A condition on ``id`` that every id :func:`bd.core.suggest.nearest` could name for
    ``rid`` (at cutoff 0.75) meets, with its parameters: the suggestion then looks at a few
    ids, not at all 100,000 (an unknown id cost a second there).

    ``nearest`` compares ``_norm``-ed words (lower case, ``-`` as ``_``, leading ``_``
    stripped) and names one that equals or extends the other, or whose similarity ``2*M/T``
    (``M`` matched characters, ``T`` both lengths) is at least 0.75.  ``M`` is at most the
    characters the two share; counting each character of the word as shared when the id
    holds it at all overestimates that, so ``8*shared >= 3*T`` is necessary.  It also means
    at most ``m`` of the word's characters are missing from the id, so of ``m + 1`` disjoint
    groups of them one is wholly present: a cheap test SQLite checks first.  An id that is
    not lower-case ASCII, or starts with ``-``/``_``, is always kept (its ``_norm`` is not
    what these tests see).
    """
    from collections import Counter

    from bd.core.suggest import _norm

    key = _norm(rid)
    size, low, high = len(key), max(1, len(rid) - 2), len(rid) + 2

    def present(ch: str) -> tuple[str, list[Any]]:
        if ch == "_":
            return "(instr(id, '-') > 0 OR instr(id, '_') > 0)", []
        return "(instr(id, ?) > 0)", [ch]

    counts = Counter(key)
    shared, params = [], []
    for ch, count in counts.items():
        if ch.isascii():
            sql, more = present(ch)
            shared.append(f"{count} * {sql}")
            params += more
    similar = f"8 * ({' + '.join(shared) or '0'}) >= 3 * (? + length(id))"
    params.append(size)
    most = (5 * size - 3 * low) // 8  # missing characters the bound allows, at most
    head = set(key.split("_", 1)[0] + "_") if "_" in key else set()
    pool = sorted((ch for ch in counts if ch.isascii()), key=lambda ch: ch in head)
    if 0 <= most < len(pool):
        groups, gparams = [], []
        for g in range(most + 1):
            parts = [present(ch) for ch in pool[g::most + 1]]
            groups.append("(" + " AND ".join(sql for sql, _ in parts) + ")")
            gparams += [p for _, more in parts for p in more]
        similar = f"({' OR '.join(groups)}) AND {similar}"
        params = gparams + params
    cond = ("length(CAST(id AS BLOB)) != length(id) OR lower(id) != id "
            f"OR substr(id, 1, 1) IN ('-', '_') OR ({similar})")
    # A word that extends the id, or that the id extends, meets the bound unless short.
    if not (5 * size >= 3 * high and 5 * max(3, low) >= 3 * size):
        cond += (" OR substr(replace(id, '-', '_'), 1, ?) = ? "
                 "OR substr(?, 1, length(id)) = replace(id, '-', '_')")
        params += [size, key, key]
    return cond, params
