"""The merge engine's inputs: each of base, left and right read whole and checked, ids
repeated inside one input collapsed, non-issue lines set apart and merged as a set."""

from __future__ import annotations

import json

from bd.core import codec, model
from bd.core.mergerules import collapse
from bd.errors import DataError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_MARKER_STARTS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")


class Input:
    """One merge input, read whole: every line checked (conflict markers, JSON, ids) with its
    file name and line number; an id repeated on several lines collapsed into one record
    (:func:`bd.core.mergerules.collapse`); non-issue lines (``_type`` other than "issue")
    set apart, their bytes kept.

    Lines that look canonical (``{"id":"…"…}``) are checked with the plain JSON decoder and
    the field-type check; the strict parse (which names the problem) runs when that fails,
    and for the records the merge must read.  So a line identical on all three inputs is
    passed through only if bd could load it.
    """

    __slots__ = ("name", "lines", "linenos", "others", "collapsed")

    def __init__(self, raw: bytes, name: str, now_ns: int, ttl: float,
                 checked: set[bytes] | None = None) -> None:
        self.name = name
        self.lines: list[bytes] = []        # issue lines, one per id
        self.linenos: dict[bytes, int] = {}
        self.others: list[tuple[str, bytes]] = []  # (merge key, line) of non-issue lines
        self.collapsed: list[str] = []      # ids that were on several lines
        ids: dict[str, int] = {}
        repeated: dict[str, list[int]] = {}
        linenos: list[int] = []
        for n, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            if line.startswith(_MARKER_STARTS):
                raise DataError("git conflict markers found (resolve that merge first)",
                                path=name, line=n)
            rid = codec.fast_id(line)
            if rid is not None and checked is not None and line in checked:
                pass  # the same bytes passed the check in another input
            elif rid is not None:
                try:
                    got = json.loads(line)
                    ok = isinstance(got, dict) and got.get("id") == rid and \
                        model.type_problem(got) is None
                except (ValueError, RecursionError):
                    ok = False
                if not ok:
                    codec.parse_line(line, name, n)  # raises the precise error
                if checked is not None:
                    checked.add(line)
            else:
                rec = codec.parse_line(line, name, n, others=True)
                kind = codec.other_type(rec)
                if kind is not None:
                    self.others.append((_other_key(kind, rec, line), line))
                    continue
                rid = rec["id"]
            if rid in ids:
                repeated.setdefault(rid, [ids[rid]]).append(len(self.lines))
            else:
                ids[rid] = len(self.lines)
            self.lines.append(line)
            linenos.append(n)
        if repeated:
            drop = set()
            for rid, where in sorted(repeated.items()):
                recs = [codec.parse_line(self.lines[k], name, linenos[k]) for k in where]
                merged = model.to_line(collapse(recs, now_ns=now_ns, ttl=ttl))[:-1]
                self.lines[where[0]] = merged
                drop.update(where[1:])
                self.collapsed.append(rid)
            keep = [k for k in range(len(self.lines)) if k not in drop]
            self.lines = [self.lines[k] for k in keep]
            linenos = [linenos[k] for k in keep]
        for line, n in zip(self.lines, linenos, strict=True):
            self.linenos.setdefault(line, n)
        seen: dict[str, int] = {}
        for key, _ in self.others:
            seen[key] = seen.get(key, 0) + 1
        if any(c > 1 for c in seen.values()):  # one key twice: tell the lines apart by bytes
            self.others = [(key if seen[key] == 1 else key + "\x00" + line.decode(
                "utf-8", "replace"), line) for key, line in self.others]

    def id_of(self, line: bytes) -> str:
        rid = codec.fast_id(line)
        if rid is None:
            rid = codec.parse_line(line, self.name, self.linenos.get(line, 0))["id"]
        return rid


def _other_key(kind: str, rec: dict[str, Any], line: bytes) -> str:
    """What identifies a non-issue line across versions: its type and its ``key`` (memories)
    or ``id``; else its bytes."""
    for field in ("key", "id"):
        value = rec.get(field)
        if isinstance(value, str) and value:
            return f"{kind}\x00{field}\x00{value}"
    return f"{kind}\x00\x00{line.decode('utf-8', 'replace')}"


def merge_others(base: list[tuple[str, bytes]], left: list[tuple[str, bytes]],
                  right: list[tuple[str, bytes]]) -> bytes:
    """Non-issue lines as a three-way set keyed by ``_type`` + key: a line added on either side
    is kept, one removed on a side and unchanged on the other is removed, one changed on a
    side wins over the unchanged one; changed differently on both, the greater bytes win (a
    fixed, side-independent choice).  Sorted by key."""
    if not (base or left or right):
        return b""
    bm, lm, rm = dict(base), dict(left), dict(right)
    out = []
    for key in sorted(bm.keys() | lm.keys() | rm.keys()):
        lb, ll, lr = bm.get(key), lm.get(key), rm.get(key)
        if ll == lr:
            chosen = ll
        elif ll == lb:
            chosen = lr
        elif lr == lb:
            chosen = ll
        elif ll is None or lr is None:
            chosen = ll if ll is not None else lr  # removed on one side, changed on the other
        else:
            chosen = max(ll, lr)
        if chosen is not None:
            out.append(chosen + b"\n")
    return b"".join(out)
