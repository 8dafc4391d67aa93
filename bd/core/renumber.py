"""Renumbered issues: when a merge finds two different issues created under one id, the
later-created one moves to a fresh id, and the move is written on the moved record
(``renumbered_from``: every id it had, oldest first) so it travels with the JSONL.

Later merges follow those records (:func:`follow`), and sync tells each clone that knew the
issue under its old id (``bd.core.outcomes``).  Pure: bytes and dicts in and out.
"""

from __future__ import annotations

from bd.core import codec, model
from bd.core.mergerules import _enc

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

RENUMBERED = "renumbered_from"


def renumber_note(old: str, new: str, title: Any) -> str:
    return (f"{old}: two different issues were created under this id in different clones; "
            f"the one created later ({str(title)!r}) is now {new}")


def with_old_id(previous: Any, old: str) -> list[Any]:
    """``renumbered_from`` after one more move: every id the issue had, oldest first."""
    ids = list(previous) if isinstance(previous, list) else []
    if old not in ids:
        ids.append(old)
    return ids


def identity(rec: dict[str, Any]) -> tuple[str, str]:
    """What stays the same for one issue whatever id it ends up under."""
    return (str(rec.get("created_at") or ""), str(rec.get("created_by") or ""))


def follow(inputs: list[bytes], names: tuple[str, str, str], res: Any) -> list[bytes]:
    """Read each input with earlier renumberings applied.

    A merge that moved an issue off a colliding id wrote ``renumbered_from`` on it.  An input
    made before that merge still holds the issue under its old id (a clone that created it
    and edited it since, say): there the record with the moved issue's identity (created_at,
    created_by) is read under its new id, and links to it follow, so its edits reach the
    right issue.  Should another issue of that input sit at the new id, that one moves on to
    a fresh id in turn (reported like any renumbering).
    """
    marker = b'"' + RENUMBERED.encode() + b'"'
    if not any(marker in raw for raw in inputs):
        return inputs
    moves: dict[str, dict[tuple[str, str], str]] = {}  # old id -> identity -> new id
    for raw, name in zip(inputs, names, strict=True):
        for n, line in enumerate(raw.split(b"\n"), 1):
            if marker in line:
                rec = codec.parse_line(line, name, n)
                olds = rec.get(RENUMBERED)
                for old in olds if isinstance(olds, list) else ():
                    if isinstance(old, str) and old != rec["id"]:
                        moves.setdefault(old, {})[identity(rec)] = rec["id"]
    if not moves:
        return inputs
    taken: set[str] | None = None
    relocated: dict[tuple[str, tuple[str, str]], str] = {}
    out = []
    for side, raw, name in zip(("base", "left", "right"), inputs, names, strict=True):
        lines: list[bytes | None] = list(raw.split(b"\n"))
        where: dict[str, int] = {}
        for i, maybe in enumerate(lines):
            rid = codec.fast_id(maybe or b"")
            if rid is not None:
                where[rid] = i
        mapping: dict[str, str] = {}
        for old in sorted(moves.keys() & where.keys()):
            i = where[old]
            rec = codec.parse_line(lines[i] or b"", name, i + 1)
            new = moves[old].get(identity(rec))
            if new is None or new == old:
                continue
            if new in where and new not in mapping.values():
                j = where[new]
                occupant = codec.parse_line(lines[j] or b"", name, j + 1)
                if identity(occupant) == identity(rec):
                    lines[i] = None  # the issue under both ids: the new one stands
                    continue
                key = (new, identity(occupant))
                if key not in relocated:
                    if taken is None:
                        taken = {rid for x in inputs for rid in _all_ids(x)}
                    fresh = fresh_id(new, occupant, taken | set(relocated.values()))
                    relocated[key] = fresh
                    res.renamed[new] = fresh
                    res.renumbered.append({"from": new, "to": fresh,
                                           "title": occupant.get("title"),
                                           "side": side})
                    res.notes.append(renumber_note(new, relocated[key], occupant.get("title")))
                mapping[new] = relocated[key]
            mapping[old] = new
        if not mapping:
            out.append(raw)
            continue
        needles = [b'"' + k.encode("utf-8") + b'"' for k in mapping]
        for i, maybe in enumerate(lines):
            if maybe is None or not any(x in maybe for x in needles):
                continue
            rec = codec.parse_line(maybe, name, i + 1)
            rid = rec.get("id")
            if rid in mapping:
                rec["id"] = mapping[rid]
                if rid not in moves or identity(rec) not in moves[rid]:
                    rec[RENUMBERED] = with_old_id(rec.get(RENUMBERED), rid)
            for listed, field in (("dependencies", "depends_on_id"),
                                  ("dependencies", "issue_id"), ("comments", "issue_id")):
                for item in rec.get(listed) or ():
                    if isinstance(item, dict) and item.get(field) in mapping:
                        item[field] = mapping[item[field]]
            lines[i] = model.to_line(rec)[:-1]
        out.append(b"\n".join(x for x in lines if x is not None))
    return out


def _all_ids(raw: bytes) -> list[str]:
    return [rid for line in raw.split(b"\n") if (rid := codec.fast_id(line)) is not None]


def fresh_id(rid: str, rec: dict[str, Any], taken: set[str]) -> str:
    """A new id for the issue that lost an id collision: the next child number under the
    same parent for ``P.n`` ids, else a hash of the record under the same prefix."""
    from bd.core import ids as idmod

    parent = idmod.parent_of(rid)
    if parent is not None:
        n = 1 + max((idmod.child_number(t) for t in taken
                     if idmod.parent_of(t) == parent), default=0)
        while idmod.child_id(parent, n) in taken:
            n += 1
        return idmod.child_id(parent, n)
    import hashlib  # only a collision needs it (its OpenSSL load costs the driver ~5 ms)

    prefix, suffix = rid.rsplit("-", 1) if "-" in rid else ("", rid)
    seed = _enc(rec).encode("utf-8")
    length = max(len(suffix), 3)
    nonce = 0
    while True:
        digest = hashlib.sha256(seed + str(nonce).encode()).digest()
        cand = idmod._base36(int.from_bytes(digest[:8], "big"))[:length]
        new_id = f"{prefix}-{cand}" if prefix else cand
        if new_id not in taken:
            return new_id
        nonce += 1
        if nonce % 8 == 0:
            length += 1
