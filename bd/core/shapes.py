"""The Issue-shaped JSON row every ``--json`` command and the MCP server print: the record
without its embedded relations, keys in the original's field order, required keys always
present.  Pure; the printing is ``bd.cli.output``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat

from bd.core.model import ISSUE_FIELDS, _ordered, priority_of, status_of, type_of

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# Keys the JSONL embeds but Issue-shaped output rows carry differently (see issue_json).
_EMBEDDED = ("dependencies", "comments")


# Keys computed for a row (not record fields): they always come after the record's keys.
_COMPUTED = ("dependency_count", "dependent_count", "blocked_by_count", "blocked_by")
_RANK = {k: i for i, k in enumerate(ISSUE_FIELDS)}
# Keys every Issue-shaped row has, in field order, filled in where the record lacks them.
_REQUIRED = ("description", "status", "priority", "issue_type", "labels")


def _required(key: str, rec: Mapping[str, Any]) -> Any:
    value = rec.get(key)
    if key == "description":
        return value if isinstance(value, str) else ""  # never missing, never null
    if key == "status":
        return status_of(rec)
    if key == "priority":  # read-side default (the stored line is left as it is): P2, not P0
        return value if isinstance(value, int) else priority_of(rec)
    if key == "issue_type":
        return type_of(rec)
    return list(value or [])  # labels


_SKIP = frozenset((*_EMBEDDED, *_COMPUTED, "labels"))
_KNOWN = frozenset(ISSUE_FIELDS)
_AFTER_LABELS = frozenset(ISSUE_FIELDS[ISSUE_FIELDS.index("labels") + 1:])
_ROW_RANK = {**_RANK, **{k: len(_RANK) + n for n, k in enumerate(_COMPUTED)}}


def issue_json(rec: Mapping[str, Any], *, labels: bool = True) -> dict[str, Any]:
    """An Issue-shaped row: the record without embedded relations, keys in field order
    (whatever order a mutation left them in); ``description``, ``status``, ``priority``,
    ``issue_type`` and (unless ``labels`` is False) ``labels`` always present, never null."""
    ranks = list(map(_ROW_RANK.get, rec, repeat(-1)))
    description = rec.get("description", "")
    if (-1 not in ranks and ranks == sorted(ranks) and type(description) is str
            and type(rec.get("priority")) is int and "status" in rec and "issue_type" in rec
            and "title" in rec and not rec.keys() & _AFTER_LABELS):
        # The common case, a canonical record: labels go right after its own keys.
        if "description" in rec:
            out = {k: v for k, v in rec.items() if k not in _SKIP}
        else:  # omitted when empty, as Go's omitempty does
            out = {}
            for k, v in rec.items():
                if k not in _SKIP:
                    out[k] = v
                    if k == "title":
                        out["description"] = ""
        out["status"], out["issue_type"] = status_of(rec), type_of(rec)
        if labels:
            out["labels"] = list(rec.get("labels") or [])
    else:
        fields = {k: v for k, v in rec.items() if k not in _SKIP}
        for key in _REQUIRED:
            if key != "labels" or labels:
                fields[key] = _required(key, rec)
        # Keys bd does not know stay next to the key they followed.
        out = _ordered(fields, ISSUE_FIELDS, _KNOWN)
    for k in _COMPUTED:
        if k in rec:
            out[k] = rec[k]
    return out
