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

from bd.core import codec, model
from bd.core.mergerules import _enc, _merge_comments, _rule_for, _tkey, merge_records
from bd.core.renumber import (
    RENUMBERED,
    follow,
    fresh_id,
    renumber_note,
    with_old_id,
)
from bd.core.timeutil import ts_key
from bd.errors import BdError, DataError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

DEFAULT_TTL_DAYS = 30
GRACE_NS = 3600 * 1_000_000_000  # one hour of clock skew, as the original
_DAY_NS = 86400 * 1_000_000_000
class MergeResult:
    """The merged file and what happened on the way."""

    __slots__ = ("data", "conflicts", "notes", "merged", "renamed", "details", "renumbered")

    def __init__(self) -> None:
        self.data = b""
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


def tombstone_expired(rec: dict[str, Any], now_ns: int, ttl: float) -> bool:
    """True when a tombstone's ``deleted_at`` + TTL (+ 1 h grace) lies in the past.

    A tombstone without a readable ``deleted_at`` never expires.
    """
    deleted = ts_key(rec.get("deleted_at") or "")
    if deleted is None:
        return False
    return deleted + int(ttl * _DAY_NS) + (GRACE_NS if ttl * 24 > 1 else 0) < now_ns


class _Side:
    """One input's *touched* lines (those not identical on all three inputs) by id, parsed
    on demand.  Untouched lines are never looked at beyond a cheap shape check."""

    __slots__ = ("name", "all_lines", "index", "_parsed")

    def __init__(self, name: str, all_lines: list[bytes], touched: set[bytes]) -> None:
        self.name = name
        self.all_lines = all_lines
        self.index: dict[str, bytes] = {}
        self._parsed: dict[str, dict[str, Any]] = {}
        odd = sorted(self._lineno(x) for x in touched if not x.startswith(b'{"id":"'))
        for n in odd:  # in file order, so the error names the first bad line
            _check_line(all_lines[n - 1], name, n)
        for line in touched:
            rid = codec.fast_id(line)
            if rid is None:
                rec = codec.parse_line(line, name, self._lineno(line))
                rid = rec["id"]
                self._parsed[rid] = rec
            if rid in self.index:
                second = max(self._lineno(line), self._lineno(self.index[rid]))
                raise DataError(f"duplicate id {rid}", path=name, line=second, issue_id=rid)
            self.index[rid] = line

    def _lineno(self, line: bytes) -> int:
        return self.all_lines.index(line) + 1

    def line(self, rid: str) -> bytes | None:
        return self.index.get(rid)

    def rec(self, rid: str) -> dict[str, Any] | None:
        got = self._parsed.get(rid)
        if got is None:
            line = self.index.get(rid)
            if line is None:
                return None
            got = self._parsed[rid] = codec.parse_line(line, self.name, self._lineno(line))
        return got


_MARKER_STARTS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")


def _lines(raw: bytes, name: str) -> list[bytes]:
    """Non-blank lines.  Lines are checked where the merge reads them (those identical on all
    three inputs are passed through as they are)."""
    lines = raw.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    if any(len(x) < 3 for x in lines):
        lines = [x for x in lines if x.strip()]
    return lines


def _check_line(line: bytes, name: str, lineno: int) -> None:
    if line.startswith(_MARKER_STARTS):
        raise DataError("git conflict markers found (resolve that merge first)", path=name,
                        line=lineno)
    if not (line.startswith(b'{"id":"') and line.rstrip(b"\r").endswith(b"}")):
        codec.parse_line(line, name, lineno)  # anything unusual is parsed: precise errors


def _check_lines(lines: list[bytes], name: str) -> None:
    for n, line in enumerate(lines, 1):
        if not line.startswith(b'{"id":"'):
            _check_line(line, name, n)


def _sort_key(line: bytes) -> bytes:
    # A canonical line starts with {"id":"<id>", so byte order of lines is id order (the
    # closing quote sorts below every id character).
    if line.startswith(b'{"id":"') and b"\\" not in line[7:line.find(b'"', 7)]:
        return line
    rec = codec.parse_line(line, "merge", 0)
    return b'{"id":"' + rec["id"].encode("utf-8") + b'"'


def merge_bytes(base: bytes, left: bytes, right: bytes, *, now_ns: int | None = None,
                ttl: float = DEFAULT_TTL_DAYS, strict: bool = False,
                names: tuple[str, str, str] = ("base", "left", "right")) -> MergeResult:
    """Merge three JSONL texts. Raises DataError (naming input and line) on unreadable input."""
    res = MergeResult()
    if left == right or right == base:
        res.data = _normalise_whole(left, names[1])
        return res
    if left == base:
        res.data = _normalise_whole(right, names[2])
        return res
    if now_ns is None:
        import time

        now_ns = time.time_ns()
    base, left, right = follow([base, left, right], names, res)
    if left == right or right == base or left == base:
        res.data = _normalise_whole(right if left == base else left,
                                    names[2] if left == base else names[1])
        return res
    bl, ll, rl = _lines(base, names[0]), _lines(left, names[1]), _lines(right, names[2])
    sb, sl, sr = set(bl), set(ll), set(rl)
    common = sb & sl & sr
    b = _Side(names[0], bl, sb - common)
    lf = _Side(names[1], ll, sl - common)
    rt = _Side(names[2], rl, sr - common)
    touched = {k.encode("utf-8") for k in (*b.index, *lf.index, *rt.index)}
    kept: list[tuple[bytes, bytes]] = []
    for line in bl:  # base order: already sorted, so the final sort has little to do
        if line in common:
            key = _sort_key(line)
            if key[7:key.find(b'"', 7)] in touched:
                raise DataError(f"duplicate id {_id_of(line)}", path=names[0],
                                line=bl.index(line) + 1)
            kept.append((key, line))
    m = _Merger(b, lf, rt, now_ns, ttl, strict, res, kept)
    res.data = m.run()
    return res


def _id_of(line: bytes) -> str:
    rid = codec.fast_id(line)
    return rid if rid is not None else codec.parse_line(line, "merge", 0)["id"]


def _normalise_whole(raw: bytes, name: str) -> bytes:
    """A one-sided result: checked, sorted, newline-terminated; lines keep their bytes."""
    lines = _lines(raw, name)
    _check_lines(lines, name)
    if any(_sort_key(lines[i]) > _sort_key(lines[i + 1]) for i in range(len(lines) - 1)):
        lines.sort(key=_sort_key)
    return b"".join(line + b"\n" for line in lines)


class _Merger:
    def __init__(self, b: _Side, l: _Side, r: _Side, now_ns: int, ttl: float,
                 strict: bool, res: MergeResult, kept: list[tuple[bytes, bytes]]) -> None:
        self.b, self.l, self.r = b, l, r
        self.now_ns, self.ttl, self.strict, self.res = now_ns, ttl, strict, res
        self.kept = kept  # (sort key, line) of lines identical on all three inputs
        # colliding id -> (losing side, new id)
        self.moves: dict[str, tuple[_Side, str]] = {}

    # -- driver -------------------------------------------------------------------------
    def run(self) -> bytes:
        b, l, r = self.b, self.l, self.r
        ids = set(b.index) | set(l.index) | set(r.index)
        both_added = sorted(rid for rid in l.index
                            if rid in r.index and rid not in b.index and l.line(rid) != r.line(rid))
        if both_added:
            self._find_collisions(both_added, ids | {_id_of(x) for _, x in self.kept})
        out: list[tuple[bytes, bytes]] = [(k, x + b"\n") for k, x in self.kept]

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
            if chosen is not None:
                emit(rid, self._rewrite(side, rid, chosen))
        out.sort(key=lambda pair: pair[0])
        return b"".join(line for _, line in out)

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
            if _same_issue(lrec, rrec):
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
            if model.status_of(kept) == "tombstone":
                return None  # deleted on one side, gone on the other: gone
            side = l if lrec is not None else r
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


def _same_issue(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two records under one id describe the same issue when they were created together."""
    return (_tkey(a.get("created_at")) == _tkey(b.get("created_at"))
            and (a.get("created_by") or "") == (b.get("created_by") or ""))


