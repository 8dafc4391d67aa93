"""The Issue-shaped JSON row every ``--json`` command and the MCP server print: the record
without its embedded relations, keys in the original's field order, required keys always
present.  Pure; the printing is ``bd.cli.output``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice, repeat

from bd.core.jsonfmt import dumps_indented, flat_dict_text, list_text
from bd.core.model import ISSUE_FIELDS, _ordered, go_escape, priority_of, status_of, type_of

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
# Record fields that come after labels in a row (the embedded relations are left out).
_AFTER_LABELS = frozenset(ISSUE_FIELDS[ISSUE_FIELDS.index("labels") + 1:]) - set(_EMBEDDED)
_ROW_RANK = {**_RANK, **{k: len(_RANK) + n for n, k in enumerate(_COMPUTED)}}


# Key layouts seen, each with what _own_fields needs to know of it: how many leading keys
# are the row's own (None: not a canonical layout), and whether description is among them.
# Records share a handful of layouts, so a record's keys are ranked once per layout.
_LAYOUTS: dict[tuple[str, ...], tuple[int | None, bool]] = {}


def _layout(keys: tuple[str, ...]) -> tuple[int | None, bool]:
    ranks = list(map(_ROW_RANK.get, keys, repeat(-1)))
    if (-1 in ranks or ranks != sorted(ranks) or not {"title", "status", "priority",
                                                       "issue_type"} <= set(keys)
            or set(keys) & _AFTER_LABELS):
        found: tuple[int | None, bool] = (None, False)
    else:  # sorted, so the skipped keys (labels, relations, computed) come last
        found = (sum(1 for k in keys if k not in _SKIP), "description" in keys)
    if len(_LAYOUTS) < 4096:
        _LAYOUTS[keys] = found
    return found


def _own_fields(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The row's keys before ``labels`` when ``rec`` is a canonical record (its keys in
    field order, no unknown key, no field after labels but the embedded relations, the
    required fields of the right types), else None."""
    keys = tuple(rec)
    own, described = _LAYOUTS.get(keys) or _layout(keys)
    if own is None or type(rec["priority"]) is not int:
        return None
    if described:
        if type(rec["description"]) is not str:
            return None
        out = dict(islice(rec.items(), own))
    else:  # omitted when empty, as Go's omitempty does
        out = {}
        for k, v in islice(rec.items(), own):
            out[k] = v
            if k == "title":
                out["description"] = ""
    if not out["status"]:
        out["status"] = "open"  # status_of
    if not out["issue_type"]:
        out["issue_type"] = "task"  # type_of
    return out


def _general(rec: Mapping[str, Any], labels: bool) -> dict[str, Any]:
    """issue_json of any record (the canonical case has a shortcut, :func:`_own_fields`)."""
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


def issue_json(rec: Mapping[str, Any], *, labels: bool = True) -> dict[str, Any]:
    """An Issue-shaped row: the record without embedded relations, keys in field order
    (whatever order a mutation left them in); ``description``, ``status``, ``priority``,
    ``issue_type`` and (unless ``labels`` is False) ``labels`` always present, never null."""
    out = _own_fields(rec)
    if out is None:
        return _general(rec, labels)
    # The common case, a canonical record: labels go right after its own keys.
    if labels:
        out["labels"] = list(rec.get("labels") or [])
    for k in _COMPUTED:
        if k in rec:
            out[k] = rec[k]
    return out


def issue_text(rec: Mapping[str, Any], pad: str = "\n") -> str:
    """``encode_json(issue_json(rec), indent=2)`` with every line break followed by the
    indentation in ``pad`` (``"\\n  "`` for an item of a streamed array): a canonical
    record's own fields are written in one call of the C encoder."""
    out = _own_fields(rec)
    head = None if out is None else flat_dict_text(out, pad)
    if head is None:
        return go_escape(dumps_indented(issue_json(rec), pad))
    member = "," + pad + "  "
    labels = rec.get("labels")
    parts = [head, member, '"labels": ',
             "[]" if not labels else list_text(labels if type(labels) is list else list(labels),
                                               pad + "  ")]
    for k in _COMPUTED:
        if k in rec:
            value = rec[k]
            parts += (member, '"', k, '": ', list_text(value, pad + "  ")
                      if type(value) is list else dumps_indented(value, pad + "  "))
    parts.append(pad + "}")
    return go_escape("".join(parts))
