"""The three-way merge engine for ``issues.jsonl`` (``bd merge``, resolve-conflicts, sync).

Records are matched by id.  A record whose line is identical on two of the three inputs
takes the third's bytes untouched; only records changed on both sides are parsed and merged
field by field.  The result depends only on the *content* of left and right, never on which
side is "ours", so ``merge(b, l, r) == merge(b, r, l)`` byte for byte (this also makes the
result the same under ``git pull --rebase``, where git swaps ours and theirs).

The rules are written out with examples in docs/merge.md; the short form:

* every field, unknown ones included: one side changed it -> that side; both alike -> that;
  both differently -> the side with the later ``updated_at`` (ties: a content order);
* ``priority`` conflict -> the more urgent (lower) number, 0 included;
* ``notes`` conflict -> both texts, older edit first, joined by a rule;
* ``status`` conflict -> ``closed`` if either side closed, else the later edit; the close
  fields (``closed_at``, ``close_reason``, ``closed_by_session``) come from the side whose
  status won, so they always agree with the merged status;
* ``labels`` and ``dependencies`` are three-way sets (a removal on one side is honoured);
  ``comments`` are a union (never lost); ``updated_at`` is the later one;
* a tombstone beats a concurrent live edit until its TTL expires; of two tombstones the
  later ``deleted_at`` wins; a record removed on one side is dropped unless the other side
  changed it while live;
* two different issues created under one id both survive: the later-created one moves to a
  fresh id and the move is reported.
"""

from __future__ import annotations

from itertools import chain

from bd.core import codec, mergefast, model
from bd.core.mergeinput import Input as _Input
from bd.core.mergeinput import merge_others as _merge_others
from bd.core.mergerules import (
    DEFAULT_TTL_DAYS,
    GRACE_NS,
    _enc,
    _merge_comments,
    _rule_for,
    _tkey,
    merge_records,
    same_issue,
    tombstone_expired,
)
from bd.core.renumber import (
    RENUMBERED,
    follow,
    fresh_id,
    renumber_note,
    with_old_id,
)
from bd.errors import BdError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from bd.core.mergefast import Side

__all__ = ["DEFAULT_TTL_DAYS", "GRACE_NS", "MergeResult", "merge_bytes", "tombstone_expired"]

class MergeResult:
    """The merged file and what happened on the way."""

    __slots__ = ("_data", "parts", "conflicts", "notes", "merged", "renamed", "details",
                 "renumbered")

    def __init__(self) -> None:
        self._data = b""
        # the merged file in pieces (a large one is written without joining them first)
        self.parts: list[bytes | memoryview] = []
        self.conflicts: list[str] = []   # ids written with conflict markers (strict mode)
        self.notes: list[str] = []       # one line per decision worth telling the user
        self.merged = 0                  # records that needed a field-level merge
        self.renamed: dict[str, str] = {}  # colliding id -> the id the other issue moved to
        # one per field both sides changed differently: {"id", "field", "kept", "dropped",
        # "dropped_side" ("left"/"right", None when both values were kept), "rule"}
        self.details: list[dict[str, Any]] = []
        # one per issue moved off a colliding id: {"from", "to", "title", "side"}
        self.renumbered: list[dict[str, Any]] = []

    @property
    def data(self) -> bytes:
        """The merged file."""
        if self.parts:
            self._data = b"".join(self.parts)
            self.parts = [self._data]
        return self._data

    @data.setter
    def data(self, value: bytes) -> None:
        self._data = value
        self.parts = [value]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def ttl_days(cfg: dict[str, Any] | None) -> float:
    """The tombstone TTL in days from config (``tombstone.ttl_days`` or ``tombstone.ttl-days``)."""
    if cfg:
        for key in ("tombstone.ttl_days", "tombstone.ttl-days"):
            value = cfg.get(key)
            if value is not None and value != "":
                try:
                    return float(value)
                except (TypeError, ValueError):
                    raise BdError(f"config {key}: expected a number of days, got {value!r}",
                                  field=key) from None
    return DEFAULT_TTL_DAYS


class _Side:
    """One input's *touched* lines (those not identical on all three inputs) by id, parsed
    on demand."""

    __slots__ = ("name", "linenos", "index", "_parsed")

    def __init__(self, name: str, index: dict[str, bytes], linenos: Any) -> None:
        self.name = name
        self.linenos = linenos  # line bytes -> line number, for the strict parse's errors
        self.index = index
        self._parsed: dict[str, dict[str, Any]] = {}

    @classmethod
    def of(cls, inp: _Input, touched: set[bytes]) -> _Side:
        return cls(inp.name, {inp.id_of(line): line for line in touched}, inp.linenos)

    def line(self, rid: str) -> bytes | None:
        return self.index.get(rid)

    def rec(self, rid: str) -> dict[str, Any] | None:
        got = self._parsed.get(rid)
        if got is None:
            line = self.index.get(rid)
            if line is None:
                return None
            got = self._parsed[rid] = codec.parse_line(line, self.name,
                                                       self.linenos.get(line, 0))
        return got


_MARKER = b'"' + RENUMBERED.encode() + b'"'  # what follow() looks for


def _sort_key(rid: str) -> bytes:
    # The key a canonical line starts with, so byte order of keys is id order.
    return b'{"id":"' + rid.encode("utf-8", "surrogatepass") + b'"'


def merge_bytes(base: bytes, left: Side, right: Side, *, now_ns: int | None = None,
                ttl: float = DEFAULT_TTL_DAYS, strict: bool = False,
                names: tuple[str, str, str] = ("base", "left", "right"),
                fast: bool = True) -> MergeResult:
    """Merge three JSONL texts. Raises DataError (naming input and line) on unreadable input.

    Every line of every input is checked, so an unreadable line is reported as
    ``file:line`` whichever side it is on.  An id repeated inside one input is first
    collapsed into one record (the result writes each id once); non-issue lines are merged
    as a three-way set of lines (keyed by ``_type`` and ``key``/``id``) and written, bytes
    unchanged, after the issues.

    Plain inputs (bd.core.mergefast) take a faster way to the same bytes; ``fast=False``
    takes the general way whatever the inputs (the tests compare the two).  ``left`` and
    ``right`` may be read-only mappings of the files (the fast way reads only what changed).
    """
    res = MergeResult()
    if now_ns is None:
        import time

        now_ns = time.time_ns()
    if fast:
        parts = _merge_plain(base, left, right, names, now_ns, ttl, strict, res)
        if parts is not None:
            res.parts = parts
            return res
    base, left, right = follow([base, bytes(left), bytes(right)], names, res)
    checked: set[bytes] = set()  # a line the three inputs share is checked once
    bi = _Input(base, names[0], now_ns, ttl, checked)
    li = _Input(left, names[1], now_ns, ttl, checked)
    ri = _Input(right, names[2], now_ns, ttl, checked)
    for inp in (bi, li, ri):
        if inp.collapsed:
            res.notes.append(f"{inp.name}: ids on several lines were merged into one record: "
                             + ", ".join(inp.collapsed[:10]))
    others = _merge_others(bi.others, li.others, ri.others)
    if left == right or right == base or left == base:
        one, other = (ri, li) if left == base else (li, ri if right != base else bi)
        rows = [(_sort_key(one.id_of(x)), x) for x in one.lines]
        if left != right:  # a fresh tombstone survives the other side's removed line
            have = {k for k, _ in rows}
            for x in other.lines:
                key = _sort_key(other.id_of(x))
                if key not in have and b'"tombstone"' in x and not tombstone_expired(
                        codec.parse_line(x, other.name, other.linenos.get(x, 0)), now_ns, ttl):
                    rows.append((key, x))
        _arrange(rows, [_sort_key(one.id_of(x)) for x in one.lines])
        res.data = b"".join(x + b"\n" for _, x in rows) + others
        return res
    sb, sl, sr = set(bi.lines), set(li.lines), set(ri.lines)
    common = sb & sl & sr
    kept: list[tuple[bytes, bytes]] = []
    for line in bi.lines:  # base order: usually sorted, so the final sort has little to do
        if line in common:
            kept.append((_sort_key(bi.id_of(line)), line + b"\n"))

    def taken() -> set[str]:
        return {k[7:-1].decode("utf-8", "surrogatepass") for k, _ in kept}

    m = _Merger(_Side.of(bi, sb - common), _Side.of(li, sl - common),
                _Side.of(ri, sr - common), now_ns, ttl, strict, res, taken)
    rows = m.rows()
    rows.extend(kept)
    _arrange(rows, [_sort_key(bi.id_of(x)) for x in bi.lines])
    res.data = b"".join(line for _, line in rows) + others
    return res


def _merge_plain(base: bytes, left: Side, right: Side, names: tuple[str, str, str],
                 now_ns: int, ttl: float, strict: bool, res: MergeResult
                 ) -> list[bytes | memoryview] | None:
    """The merged file, in pieces, when all three inputs are plain (bd.core.mergefast), else
    None (before anything is decided).  The records a side changed go through the same
    ``_Merger`` as in the general way; the rest is the base's bytes."""
    pb = mergefast.read_base(base)
    if pb is None:
        return None
    cl = mergefast.changes(pb, left)
    cr = mergefast.changes(pb, right) if cl is not None else None
    if cl is None or cr is None:
        return None
    # Renumberings to follow can only come from a line with a list under "renumbered_from":
    # a base line that was parsed (the grammar takes no list there), or a changed line.
    if pb.renumbered or any(line is not None and _MARKER in line
                            for line, _ in chain(cl.values(), cr.values())):
        ins = [base, bytes(left), bytes(right)]
        if any(x is not y for x, y in zip(follow(ins, names, MergeResult()), ins,
                                          strict=True)):
            return None  # an input reads otherwise: the general way follows them
    touched = cl.keys() | cr.keys()
    index: tuple[dict[str, bytes], ...] = ({}, {}, {})
    at: tuple[dict[bytes, int], ...] = ({}, {}, {})
    for key in touched:
        rid = mergefast.key_id(key)
        k = pb.find(key)
        lb = pb.lines[k] if k >= 0 else None
        if lb is not None:
            index[0][rid] = lb
            at[0][lb] = pb.starts[k]
        for n, changed in ((1, cl), (2, cr)):
            line, off = changed.get(key, (lb, -1))
            if line is not None:
                index[n][rid] = line
                if off >= 0:
                    at[n][line] = off
    b, lf, rt = (_Side(names[n], index[n], mergefast.Linenos(raw, at[n]))
                 for n, raw in enumerate((base, left, right)))
    m = _Merger(b, lf, rt, now_ns, ttl, strict, res,
                lambda: set(map(mergefast.key_id, pb.keys)))
    return mergefast.splice(pb, m.rows(), touched)


def _arrange(rows: list[tuple[bytes, bytes]], reference: list[bytes]) -> None:
    """Order ``rows`` (sort key, line) as the file ``reference`` (its keys, in its order)
    has them: sorted when it is sorted (new ids where they sort), else in its own order
    with new ids after, sorted.  The order never depends on which side is "ours"."""
    if all(a < b for a, b in zip(reference, reference[1:], strict=False)):
        rows.sort(key=lambda row: row[0])
        return
    pos = {key: i for i, key in enumerate(reference)}
    rows.sort(key=lambda row: (0, pos[row[0]], b"") if row[0] in pos else (1, 0, row[0]))


class _Merger:
    """Decides the records of the touched ids; the caller places them among the lines
    identical on all three inputs (``taken`` gives those lines' ids when a collision needs
    a fresh id)."""

    def __init__(self, b: _Side, l: _Side, r: _Side, now_ns: int, ttl: float,
                 strict: bool, res: MergeResult, taken: Callable[[], set[str]]) -> None:
        self.b, self.l, self.r = b, l, r
        self.now_ns, self.ttl, self.strict, self.res = now_ns, ttl, strict, res
        self.taken = taken
        # colliding id -> (losing side, new id)
        self.moves: dict[str, tuple[_Side, str]] = {}

    # -- driver -------------------------------------------------------------------------
    def rows(self) -> list[tuple[bytes, bytes]]:
        """(sort key, line with its newline) of every touched id that stays."""
        b, l, r = self.b, self.l, self.r
        ids = set(b.index) | set(l.index) | set(r.index)
        both_added = sorted(rid for rid in l.index
                            if rid in r.index and rid not in b.index and l.line(rid) != r.line(rid))
        if both_added:
            self._find_collisions(both_added, ids | self.taken())
        out: list[tuple[bytes, bytes]] = []

        def emit(rid: str, line: bytes) -> None:
            out.append((b'{"id":"' + rid.encode("utf-8") + b'"', line))

        for rid in ids:
            lb, ll, lr = b.line(rid), l.line(rid), r.line(rid)
            if rid in self.moves:
                loser, new_id = self.moves[rid]
                winner = r if loser is l else l
                emit(rid, self._rewrite(winner, rid))
                moved = dict(self._rec(loser, rid))
                moved["id"] = new_id
                moved[RENUMBERED] = with_old_id(moved.get(RENUMBERED), rid)
                for dep in moved.get("dependencies") or ():
                    if isinstance(dep, dict) and dep.get("issue_id") == rid:
                        dep["issue_id"] = new_id
                emit(new_id, model.to_line(self._retarget(moved, loser, rid)))
                continue
            if ll == lr:
                chosen, side = ll, l
            elif ll == lb:
                chosen, side = lr, r
            elif lr == lb:
                chosen, side = ll, l
            else:
                line = self._merge_id(rid)
                if line is not None:
                    emit(rid, line)
                continue
            if chosen is None:
                # Removed on one side, unchanged on the other: removed -- unless what the other
                # side holds is a tombstone still within its TTL.  The deletion must keep
                # travelling (a clone that pruned it, or a writer that drops tombstones, would
                # otherwise let an old copy of the issue come back).
                keep = l if ll is not None else r if lr is not None else None
                if keep is not None and self._fresh_tombstone(self._rec(keep, rid)):
                    emit(rid, self._rewrite(keep, rid))
                continue
            emit(rid, self._rewrite(side, rid, chosen))
        return out

    def _rec(self, side: _Side, rid: str) -> dict[str, Any]:
        rec = side.rec(rid)
        assert rec is not None
        return rec

    def _rewrite(self, side: _Side, rid: str, line: bytes | None = None) -> bytes:
        """A record taken whole from one side; re-pointed if it links to a moved issue."""
        if line is None:
            line = side.line(rid) or b""
        if self.moves and any(
                self.moves[m][0] is side and (b'"' + m.encode() + b'"') in line
                for m in self.moves):
            rec = dict(self._rec(side, rid))
            for moved in self.moves:
                rec = self._retarget(rec, side, moved)
            return model.to_line(rec)
        return line + b"\n"

    # -- id collisions ------------------------------------------------------------------
    def _find_collisions(self, both_added: list[str], ids: set[str]) -> None:
        taken = set(ids)
        for rid in both_added:
            lrec, rrec = self._rec(self.l, rid), self._rec(self.r, rid)
            if same_issue(lrec, rrec):
                continue
            if model.status_of(lrec) == "tombstone" or model.status_of(rrec) == "tombstone":
                continue  # a tombstone for an id is about that id: the tombstone rules apply
            # The earlier-created issue keeps the id (content order breaks a tie).
            lk = (_tkey(lrec.get("created_at")), _enc(lrec))
            rk = (_tkey(rrec.get("created_at")), _enc(rrec))
            loser = self.r if lk <= rk else self.l
            new_id = fresh_id(rid, self._rec(loser, rid), taken)
            taken.add(new_id)
            self.moves[rid] = (loser, new_id)
            self.res.renamed[rid] = new_id
            title = self._rec(loser, rid).get("title")
            self.res.renumbered.append({"from": rid, "to": new_id, "title": title,
                                        "side": "left" if loser is self.l else "right"})
            self.res.notes.append(renumber_note(rid, new_id, title))

    def _retarget(self, rec: dict[str, Any], side: _Side, moved: str) -> dict[str, Any]:
        """Point links that ``side`` added to ``moved`` at the issue's new id."""
        if moved not in self.moves or self.moves[moved][0] is not side:
            return rec
        new_id = self.moves[moved][1]
        other = self.r if side is self.l else self.l
        rid = rec.get("id")
        keep: set[tuple[Any, Any]] = set()
        for src in (self.b, other):
            orig = src.rec(rid) if isinstance(rid, str) and rid in src.index else None
            for dep in (orig or {}).get("dependencies") or ():
                if isinstance(dep, dict):
                    keep.add((dep.get("depends_on_id"), dep.get("type")))
        deps = rec.get("dependencies")
        if isinstance(deps, list):
            new = []
            for dep in deps:
                if (isinstance(dep, dict) and dep.get("depends_on_id") == moved
                        and (moved, dep.get("type")) not in keep):
                    dep = {**dep, "depends_on_id": new_id}
                new.append(dep)
            rec = {**rec, "dependencies": new}
        return rec

    # -- one id changed on both sides -----------------------------------------------------
    def _merge_id(self, rid: str) -> bytes | None:
        b, l, r = self.b, self.l, self.r
        brec = b.rec(rid)
        lrec, rrec = l.rec(rid), r.rec(rid)
        if lrec is None or rrec is None:
            # Removed on one side, changed on the other.
            kept = lrec if lrec is not None else rrec
            assert kept is not None
            side = l if lrec is not None else r
            if model.status_of(kept) == "tombstone":
                # deleted on one side, gone on the other: the tombstone travels until its TTL
                return self._rewrite(side, rid) if self._fresh_tombstone(kept) else None
            self.res.notes.append(f"{rid}: removed on one side but edited on {side.name}; "
                                  "the edited issue is kept")
            return self._rewrite(side, rid)
        lt, rt = model.status_of(lrec) == "tombstone", model.status_of(rrec) == "tombstone"
        if lt or rt:
            return model.to_line(self._merge_tombstone(lrec, rrec, lt, rt))
        self.res.merged += 1
        conflicts: list[str] = []
        rec = merge_records(brec or {}, lrec, rrec, conflicts)
        if conflicts and self.strict:
            self.res.conflicts.append(rid)
            return (b"<<<<<<< " + l.name.encode() + b"\n" + (l.line(rid) or b"")
                    + b"\n=======\n" + (r.line(rid) or b"") + b"\n>>>>>>> "
                    + r.name.encode() + b"\n")
        for field in conflicts:
            self.res.notes.append(f"{rid}: {field} changed on both sides; {_rule_for(field)}")
            self.res.details.append(_detail(rid, field, lrec, rrec, rec))
        if self.moves:
            for moved in self.moves:
                rec = self._retarget(rec, l, moved)
                rec = self._retarget(rec, r, moved)
        return model.to_line(rec)

    def _fresh_tombstone(self, rec: dict[str, Any]) -> bool:
        return (model.status_of(rec) == "tombstone"
                and not tombstone_expired(rec, self.now_ns, self.ttl))

    def _merge_tombstone(self, lrec: dict[str, Any], rrec: dict[str, Any], lt: bool,
                         rt: bool) -> dict[str, Any]:
        if lt and rt:
            lk = (_tkey(lrec.get("deleted_at")), _enc(lrec))
            rk = (_tkey(rrec.get("deleted_at")), _enc(rrec))
            win, other = (lrec, rrec) if lk >= rk else (rrec, lrec)
        else:
            tomb, live = (lrec, rrec) if lt else (rrec, lrec)
            if tombstone_expired(tomb, self.now_ns, self.ttl):
                self.res.notes.append(f"{lrec['id']}: its tombstone is past the TTL; the live "
                                      "issue edited on the other side is kept")
                win, other = live, tomb
            else:
                win, other = tomb, live
        comments = _merge_comments([], win.get("comments"), other.get("comments"))
        if comments:
            win = {**win, "comments": comments}
        return win


def _detail(rid: str, field: str, lrec: dict[str, Any], rrec: dict[str, Any],
            merged: dict[str, Any]) -> dict[str, Any]:
    """What a both-sides conflict on ``field`` kept and what it dropped (None: kept both)."""
    lv, rv, kept = lrec.get(field), rrec.get(field), merged.get(field)
    if field == "status":
        lv, rv = model.status_of(lrec), model.status_of(rrec)
        kept = model.status_of(merged)
    if kept == lv and kept != rv:
        dropped, side = rv, "right"
    elif kept == rv and kept != lv:
        dropped, side = lv, "left"
    else:
        dropped, side = None, None
    return {"id": rid, "field": field, "kept": kept, "dropped": dropped,
            "dropped_side": side, "rule": _rule_for(field)}
