"""The merge rules for one issue changed on both sides: every field three-way, with a
documented, side-independent rule for each true conflict (docs/merge.md).

Pure functions over record dicts; ``bd.core.merge`` decides *which* records need them.
"""

from __future__ import annotations

import json

from bd.core.timeutil import same_instant, ts_key

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

NOTES_RULE = "\n\n---\n\n"
DEFAULT_TTL_DAYS = 30
GRACE_NS = 3600 * 1_000_000_000  # one hour of clock skew, as the original
_DAY_NS = 86400 * 1_000_000_000
CLOSE_FIELDS = ("closed_at", "close_reason", "closed_by_session")
_SPECIAL = frozenset({"id", "labels", "dependencies", "comments", "updated_at", "status",
                      "priority", "notes", *CLOSE_FIELDS})


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _norm(value: Any) -> Any:
    """Absent and empty values compare equal (the writer omits both)."""
    if value is None or value == "" or value is False or value == [] or value == {}:
        return MISSING
    return value


def _alike(a: Any, b: Any) -> Any:
    """Of two values that compare equal once normalised, the same one whichever side it was."""
    if a == b:
        return a
    if a is MISSING or b is MISSING:
        return b if a is MISSING else a
    return _pick(a, b)


_CONFLICT: Any = _Missing()  # "both sides changed it differently"


def _three(bv: Any, lv: Any, rv: Any) -> Any:
    """The three-way value: the sides agree, or only one changed it; else ``_CONFLICT``."""
    if lv == rv or _norm(lv) == _norm(rv):
        return _alike(lv, rv)
    if _norm(lv) == _norm(bv):
        return rv
    if _norm(rv) == _norm(bv):
        return lv
    return _CONFLICT


def _enc(value: Any) -> str:
    if value is MISSING:
        return ""  # below every JSON text: on a tie, a value beats its absence
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _pick(a: Any, b: Any) -> Any:
    """A deterministic, side-independent choice between two different values."""
    return a if _enc(a) >= _enc(b) else b


def _tkey(value: Any) -> int:
    k = ts_key(value) if isinstance(value, str) and value else None
    return -1 if k is None else k


def _rule_for(field: str) -> str:
    if field == "priority":
        return "kept the more urgent priority"
    if field == "notes":
        return "kept both texts"
    if field == "status":
        return "kept closed, or else the later edit"
    return "kept the later edit"


def merge_records(b: dict[str, Any], l: dict[str, Any], r: dict[str, Any],
                  conflicts: list[str] | None = None) -> dict[str, Any]:
    """Merge two live versions of one record against their base (``{}`` when none).

    ``conflicts`` receives the names of fields both sides changed differently.
    """
    if conflicts is None:
        conflicts = []
    l, r = _uncompact_if_edited(b, l, r)
    lu, ru = _tkey(l.get("updated_at")), _tkey(r.get("updated_at"))
    later = l if lu > ru else r if ru > lu else None

    def resolve(key: str, bv: Any, lv: Any, rv: Any) -> Any:
        value = _three(bv, lv, rv)
        if value is not _CONFLICT:
            return value
        conflicts.append(key)
        if later is not None:
            return lv if later is l else rv
        return _pick(lv, rv)

    out: dict[str, Any] = {}
    # Key order (it places unknown keys) must not depend on which side is "left".
    first, second = (l, r) if _enc(list(l)) >= _enc(list(r)) else (r, l)
    order: list[str] = list(first)
    seen = set(order)
    for src in (second, b):
        for key in src:
            if key not in seen:
                seen.add(key)
                order.append(key)
    for key in order:
        if key in _SPECIAL:
            continue
        bv, lv, rv = b.get(key, MISSING), l.get(key, MISSING), r.get(key, MISSING)
        if key in ("created_at", "created_by") and bv is not MISSING:
            value = bv
        else:
            value = resolve(key, bv, lv, rv)
        out[key] = value
    out["id"] = l.get("id", r.get("id"))

    # updated_at: the later one.
    out["updated_at"] = _later_ts(l.get("updated_at"), r.get("updated_at"))

    # priority: a true conflict keeps the more urgent value (0 is real).
    lp, rp = l.get("priority", MISSING), r.get("priority", MISSING)
    out["priority"] = _three(b.get("priority", MISSING), lp, rp)
    if out["priority"] is _CONFLICT:
        conflicts.append("priority")
        both_int = all(isinstance(p, int) and not isinstance(p, bool) for p in (lp, rp))
        out["priority"] = min(lp, rp) if both_int else _pick(lp, rp)

    # notes: a true conflict keeps both texts, the older edit first.
    ln, rn = l.get("notes", MISSING), r.get("notes", MISSING)
    out["notes"] = _three(b.get("notes", MISSING), ln, rn)
    if out["notes"] is _CONFLICT:
        conflicts.append("notes")
        if _norm(ln) is MISSING or _norm(rn) is MISSING:
            out["notes"] = rn if _norm(ln) is MISSING else ln
        elif not isinstance(ln, str) or not isinstance(rn, str):
            out["notes"] = _pick(ln, rn)
        else:
            older, newer = sorted([(lu, ln), (ru, rn)])
            out["notes"] = older[1] + NOTES_RULE + newer[1]

    _merge_status(b, l, r, out, later, conflicts)

    labels = _merge_keyed(b.get("labels"), l.get("labels"), r.get("labels"), _enc)
    out["labels"] = sorted(labels, key=lambda x: (0, x, "") if isinstance(x, str)
                           else (1, "", _enc(x))) if labels else MISSING
    out["dependencies"] = _merge_deps(b.get("dependencies"), l.get("dependencies"),
                                      r.get("dependencies")) or MISSING
    out["comments"] = _merge_comments(b.get("comments"), l.get("comments"),
                                      r.get("comments")) or MISSING
    final = {key: out[key] for key in order if key in out}
    final.update(out)
    return {k: v for k, v in final.items() if v is not MISSING}


_TEXT_FIELDS = ("description", "design", "acceptance_criteria", "notes")
_COMPACTION_FIELDS = ("compaction_level", "compacted_at", "compacted_at_commit",
                      "original_size")


def _level(rec: dict[str, Any]) -> int:
    level = rec.get("compaction_level")
    return level if isinstance(level, int) and not isinstance(level, bool) else 0


def _uncompact_if_edited(b: dict[str, Any], l: dict[str, Any], r: dict[str, Any]
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One side compacted the issue (raised ``compaction_level``) while the other edited its
    text: the compaction is set aside (that side's text and compaction fields read as the
    base's), so the edit lands on the full text and nothing is lost; the issue becomes a
    compaction candidate again.  Symmetric, so the result stays side-independent."""
    if not b:
        return l, r
    base = _level(b)
    for comp, other in ((l, r), (r, l)):
        if _level(comp) > base >= _level(other) and any(
                _norm(other.get(k, MISSING)) != _norm(b.get(k, MISSING)) for k in _TEXT_FIELDS):
            undone = dict(comp)
            for key in (*_TEXT_FIELDS, *_COMPACTION_FIELDS):
                if key in b:
                    undone[key] = b[key]
                else:
                    undone.pop(key, None)
            return (undone, r) if comp is l else (l, undone)
    return l, r


def _later_ts(a: Any, b: Any) -> Any:
    ka, kb = _tkey(a), _tkey(b)
    if ka != kb:
        return a if ka > kb else b
    return _pick(a, b) if a != b else a


def _merge_status(b: dict[str, Any], l: dict[str, Any], r: dict[str, Any],
                  out: dict[str, Any], later: dict[str, Any] | None,
                  conflicts: list[str]) -> None:
    bs = b.get("status") or ("open" if b else MISSING)
    ls, rs = l.get("status") or "open", r.get("status") or "open"
    src: dict[str, Any] | None
    if ls == rs:
        status, src = ls, None
    elif ls == bs:
        status, src = rs, r
    elif rs == bs:
        status, src = ls, l
    else:
        conflicts.append("status")
        if "closed" in (ls, rs):
            status = "closed"
            src = l if ls == "closed" else r
        elif later is not None:
            src = later
            status = src.get("status") or "open"
        else:
            status = _pick(ls, rs)
            src = l if status == ls else r
    # A record that never carried a status (read as open) keeps not carrying one.
    implicit = status == "open" and not l.get("status") and not r.get("status")
    out["status"] = MISSING if implicit else status
    for key in CLOSE_FIELDS:
        if src is not None:
            value = src.get(key, MISSING)
        else:
            bv, lv, rv = b.get(key, MISSING), l.get(key, MISSING), r.get(key, MISSING)
            value = _three(bv, lv, rv)
            if value is _CONFLICT:
                lc, rc = _tkey(l.get("closed_at")), _tkey(r.get("closed_at"))
                value = (lv if lc > rc else rv) if lc != rc else _pick(lv, rv)
        out[key] = value


def _merge_keyed(b: Any, l: Any, r: Any, key: Any) -> list[Any]:
    """Three-way merge of two lists as sets of ``key(item)``: an item added on either side is
    added, one removed on either side stays removed; an item both kept is merged three-way."""
    def index(v: Any) -> dict[str, Any]:
        return {key(x): x for x in v} if isinstance(v, list) else {}

    bi, li, ri = index(b), index(l), index(r)
    out = []
    for k in {**li, **ri}:
        in_l, in_r = k in li, k in ri
        if k in bi and not (in_l and in_r):
            continue
        if in_l and in_r:
            value = _three(bi.get(k, MISSING), li[k], ri[k])
            if value is _CONFLICT:
                value = _pick(li[k], ri[k])
        else:
            value = li[k] if in_l else ri[k]
        out.append(value)
    return out


def _dep_key(dep: Any) -> str:
    if isinstance(dep, dict):
        return f"{dep.get('depends_on_id')}\x00{dep.get('type') or 'blocks'}"
    return "\x01" + _enc(dep)


def _merge_deps(b: Any, l: Any, r: Any) -> list[Any]:
    """Dependencies as a three-way set keyed by (target, type); a removal wins."""
    out = _merge_keyed(b, l, r, _dep_key)
    out.sort(key=lambda d: (_tkey(d.get("created_at")) if isinstance(d, dict) else -1,
                            _dep_key(d)))
    return out


def _comment_key(c: Any) -> str:
    if isinstance(c, dict):
        return f"{c.get('author')}\x00{_tkey(c.get('created_at'))}\x00{c.get('text')}"
    return "\x01" + _enc(c)


def _merge_comments(b: Any, l: Any, r: Any) -> list[Any]:
    """Every comment from every side, once (keyed by author, time and text)."""
    found: dict[str, Any] = {}
    for c in b if isinstance(b, list) else ():
        found[_comment_key(c)] = c
    fixed = set(found)
    for src in (l, r):
        for c in src if isinstance(src, list) else ():
            key = _comment_key(c)
            if key in fixed:
                continue
            found[key] = c if key not in found else _pick(found[key], c)
    out = list(found.values())
    out.sort(key=lambda c: (_tkey(c.get("created_at")) if isinstance(c, dict) else -1,
                            _enc(c)))
    return out


def tombstone_expired(rec: dict[str, Any], now_ns: int, ttl: float) -> bool:
    """True when a tombstone's ``deleted_at`` + TTL (+ 1 h grace) lies in the past.

    A tombstone without a readable ``deleted_at`` never expires.
    """
    deleted = ts_key(rec.get("deleted_at") or "")
    if deleted is None:
        return False
    return deleted + int(ttl * _DAY_NS) + (GRACE_NS if ttl * 24 > 1 else 0) < now_ns


def collapse(records: list[dict[str, Any]], *, now_ns: int | None = None,
             ttl: float = DEFAULT_TTL_DAYS) -> dict[str, Any]:
    """One record from several records of one id found in one file (a line-based git merge
    kept both versions, say), by the merge engine's rules without a base:

    * a tombstone beats the live versions until its TTL expires; of several tombstones the
      later ``deleted_at`` wins;
    * otherwise the version with the later ``updated_at`` gives every scalar field (a later
      edit is the truth of the record; ties broken by content, never by line order);
    * ``labels``, ``dependencies`` (by target and type) and ``comments`` are unioned, so no
      label, link or comment any version carried is lost.

    The result does not depend on the order of ``records``.
    """
    if len(records) == 1:
        return records[0]
    ordered = sorted(records, key=lambda r: (_tkey(r.get("updated_at")), _enc(r)))
    tombs = [r for r in ordered if r.get("status") == "tombstone"]
    live = [r for r in ordered if r.get("status") != "tombstone"]
    if tombs:
        tomb = max(tombs, key=lambda r: (_tkey(r.get("deleted_at")), _enc(r)))
        if not live:
            winner = dict(tomb)
        else:
            if now_ns is None:
                import time

                now_ns = time.time_ns()
            winner = dict(live[-1] if tombstone_expired(tomb, now_ns, ttl) else tomb)
        if winner.get("status") == "tombstone":
            comments = _merge_comments([], _all_comments(ordered), [])
            if comments:
                winner["comments"] = comments
            return winner
        ordered = live
    out = dict(ordered[-1])
    labels: dict[str, Any] = {}
    deps: dict[str, Any] = {}
    for rec in reversed(ordered):  # the later version's copy of a shared item
        for label in _items(rec, "labels"):
            labels.setdefault(_enc(label), label)
        for dep in _items(rec, "dependencies"):
            deps.setdefault(_dep_key(dep), dep)
    comments = _merge_comments([], _all_comments(ordered), [])
    if labels:
        out["labels"] = sorted(labels.values(), key=lambda x: (0, x, "") if isinstance(x, str)
                               else (1, "", _enc(x)))
    if deps:
        out["dependencies"] = sorted(deps.values(), key=lambda d: (
            _tkey(d.get("created_at")) if isinstance(d, dict) else -1, _dep_key(d)))
    if comments:
        out["comments"] = comments
    return out


def _items(rec: dict[str, Any], key: str) -> list[Any]:
    value = rec.get(key)
    return value if isinstance(value, list) else []


def _all_comments(records: list[dict[str, Any]]) -> list[Any]:
    return [c for rec in records for c in _items(rec, "comments")]


def same_issue(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two records added under one id describe the same issue when they were created together
    (the same ``created_at`` instant, at the coarser of the two precisions, by the same
    creator), or when they differ only in timestamps: the same title, description, type,
    parent and creator (the same children made on two branches a minute apart)."""
    if same_instant(a.get("created_at"), b.get("created_at")) and \
            (a.get("created_by") or "") == (b.get("created_by") or ""):
        return True
    return all(_norm_field(a, f) == _norm_field(b, f) for f in _IDENTITY) \
        and _parent(a) == _parent(b)


_IDENTITY = ("title", "description", "issue_type", "created_by", "creator")


def _norm_field(rec: dict[str, Any], field: str) -> Any:
    value = rec.get(field)
    if field == "issue_type":
        return value or "task"
    return None if value in (None, "", [], {}) else value


def _parent(rec: dict[str, Any]) -> str | None:
    deps = rec.get("dependencies")
    for dep in deps if isinstance(deps, list) else ():
        if isinstance(dep, dict) and dep.get("type") == "parent-child":
            return str(dep.get("depends_on_id"))
    return None
