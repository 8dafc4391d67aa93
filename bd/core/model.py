"""The record model: Issue field order, canonical serialisation, defaults and validation.

Records are kept as plain dicts exactly as parsed from the JSONL, so unknown keys, custom
statuses and custom types survive a round trip.  Serialisation reproduces the original's
byte format (Go ``encoding/json``: struct field order, ``omitempty``, HTML-safe escaping).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from bd.core.jsonfmt import dumps_indented
from bd.errors import ValidationError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# Go struct field order of types.Issue (spec cli-and-data §2.1, git-and-merge §1.2).
ISSUE_FIELDS: tuple[str, ...] = (
    "id", "title", "description", "design", "acceptance_criteria", "notes", "status",
    "priority", "issue_type", "assignee", "estimated_minutes", "created_at", "created_by",
    "updated_at", "closed_at", "close_reason", "closed_by_session", "due_at", "defer_until",
    "external_ref", "compaction_level", "compacted_at", "compacted_at_commit", "original_size",
    "labels", "dependencies", "comments", "deleted_at", "deleted_by", "delete_reason",
    "original_type", "sender", "ephemeral", "pinned", "is_template", "bonded_from", "creator",
    "validations", "await_type", "await_id", "timeout", "waiters", "holder", "source_formula",
    "source_location", "hook_bead", "role_bead", "agent_state", "last_activity", "role_type",
    "rig", "mol_type", "event_kind", "actor", "target", "payload",
)
DEPENDENCY_FIELDS = ("issue_id", "depends_on_id", "type", "created_at", "created_by",
                     "metadata", "thread_id")
COMMENT_FIELDS = ("id", "issue_id", "author", "text", "created_at")

# Keys Go writes even when empty: non-omitempty fields, and pointer fields whose zero value
# ("" or 0) is still a set value.
ALWAYS = frozenset({"id", "title", "priority", "created_at", "updated_at"})
POINTER = frozenset({"estimated_minutes", "external_ref", "compacted_at_commit"})
DEP_ALWAYS = frozenset({"issue_id", "depends_on_id", "type", "created_at"})
COMMENT_ALWAYS = frozenset(COMMENT_FIELDS)

BUILTIN_STATUSES = ("open", "in_progress", "blocked", "deferred", "closed", "tombstone",
                    "pinned", "hooked")
BUILTIN_TYPES = ("bug", "feature", "task", "epic", "chore", "message", "merge-request",
                 "molecule", "gate", "event")
TYPE_ALIASES = {"mr": "merge-request", "feat": "feature", "mol": "molecule"}
AGENT_STATES = ("idle", "spawning", "running", "working", "stuck", "done", "stopped", "dead")
# Workflow types outside the work set unless asked for (the one rule of core/graph.py, and
# the SQL of store/queries.py; defined here so the read path need not import the graph).
NON_WORK_TYPES = frozenset({
    "merge-request", "gate", "molecule", "message", "agent", "role", "rig", "event", "convoy",
    "slot",
})
TEXT_FIELDS = ("description", "design", "acceptance_criteria", "notes")
DEFAULT_PRIORITY = 2

_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
            ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def _empty(value: Any) -> bool:
    # Go's omitempty also drops numeric zeros; bd keeps a zero that a record already carries
    # (another writer put it there on purpose) and never writes zeros of its own.
    return value is None or value == "" or value is False or value == [] or value == {}


def _ordered(rec: Mapping[str, Any], order: tuple[str, ...], always: frozenset[str],
             pointer: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Known keys in struct order (omitempty applied), unknown keys kept near their neighbour.

    An unknown key is emitted right after the known key that preceded it in the input, so a
    record written by a newer tool keeps its layout when bd rewrites it.
    """
    known = set(order)
    after: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for key in rec:
        if key in known:
            anchor = key
        else:
            after.setdefault(anchor, []).append(key)
    out: dict[str, Any] = {}
    for key in after.pop(None, ()):
        out[key] = rec[key]
    for key in order:
        if key in rec:
            value = rec[key]
            if key in always or (key in pointer and value is not None) or not _empty(value):
                out[key] = value
        for extra in after.pop(key, ()):
            out[extra] = rec[extra]
    for extras in after.values():  # anchors that vanished: keep the keys, at the end
        for extra in extras:
            out[extra] = rec[extra]
    return out


def canonical(rec: Mapping[str, Any]) -> dict[str, Any]:
    """The record as the original would write it: field order, omitempty, nested order."""
    out = _ordered(rec, ISSUE_FIELDS, ALWAYS, POINTER)
    deps = out.get("dependencies")
    if isinstance(deps, list):
        out["dependencies"] = [_ordered(d, DEPENDENCY_FIELDS, DEP_ALWAYS)
                               if isinstance(d, Mapping) else d for d in deps]
    comments = out.get("comments")
    if isinstance(comments, list):
        out["comments"] = [_ordered(c, COMMENT_FIELDS, COMMENT_ALWAYS)
                           if isinstance(c, Mapping) else c for c in comments]
    return out


def go_escape(text: str) -> str:
    """Apply Go's HTML-safe escapes; safe on a whole JSON text (these only occur in strings)."""
    for raw, esc in _ESCAPES:
        if raw in text:
            text = text.replace(raw, esc)
    return text


def encode_json(obj: Any, *, indent: int | None = None) -> str:
    """JSON text in Go's encoding/json style (compact, or indented like MarshalIndent)."""
    if indent is None:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    elif indent == 2:  # the same text, without the standard library's pure-Python encoder
        text = dumps_indented(obj)
    else:
        text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return go_escape(text)


def to_line(rec: Mapping[str, Any]) -> bytes:
    """One canonical JSONL line (with its trailing newline)."""
    text = encode_json(canonical(rec))
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # lone surrogates: Go writes U+FFFD for invalid text
        clean = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
        return clean.encode("utf-8") + b"\n"


def other_line(rec: Mapping[str, Any]) -> bytes:
    """A non-issue line (``{"_type":"memory",...}``) as the original writes one: Go's
    ``json.Marshal`` of a map (keys sorted, HTML-safe escapes), with its newline."""
    text = go_escape(json.dumps(dict(rec), ensure_ascii=False, separators=(",", ":"),
                                sort_keys=True))
    return text.encode("utf-8", "replace") + b"\n"


def scrub(obj: Any) -> Any:
    """``obj`` with lone surrogates in its strings replaced by U+FFFD, as :func:`to_line`
    writes them (dicts and lists are changed in place, so a record matches its line)."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
            return obj
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in obj)
    if isinstance(obj, dict):
        for key, value in list(obj.items()):
            clean = scrub(value)
            if clean is not value:
                obj[key] = clean
            if isinstance(key, str) and scrub(key) is not key:
                obj[scrub(key)] = obj.pop(key)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            clean = scrub(value)
            if clean is not value:
                obj[i] = clean
    return obj


# The JSON type of every field bd reads.  Go's decoder refuses a line whose field has the
# wrong type ("cannot unmarshal number into Go struct field Issue.title of type string");
# bd refuses it too, at load time with file:line, instead of failing later on the value.
# null is accepted for every field, as Go does (the zero value).  Other keys may hold any
# JSON, nested at most MAX_DEPTH levels (deeper could not be encoded again).
MAX_DEPTH = 100
_STR = frozenset((
    "title", "description", "design", "acceptance_criteria", "notes", "status", "issue_type",
    "assignee", "created_at", "created_by", "updated_at", "closed_at", "close_reason",
    "closed_by_session", "due_at", "defer_until", "external_ref", "compacted_at",
    "compacted_at_commit", "deleted_at", "deleted_by", "delete_reason", "original_type",
    "sender", "await_type", "await_id", "hook_bead", "role_bead", "agent_state",
    "role_type", "rig", "mol_type"))
_INT = frozenset(("priority", "estimated_minutes", "compaction_level", "original_size"))
_BOOL = frozenset(("ephemeral", "pinned", "is_template"))
_LISTS = frozenset(("labels", "dependencies", "comments"))
_NOT_STR = _INT | _BOOL | _LISTS
_DEP_STR = frozenset(DEPENDENCY_FIELDS)
_COMMENT_STR = frozenset(("issue_id", "author", "text", "created_at"))
_INT64 = 1 << 63
_NAMES = {str: "a string", int: "a number", float: "a number", bool: "a boolean",
          list: "an array", dict: "an object"}


def _got(value: Any) -> str:
    if type(value) is int and not -_INT64 <= value < _INT64:
        return "a number out of range"
    return _NAMES.get(type(value), type(value).__name__)


def _too_deep(value: Any, depth: int) -> bool:
    stack = [(value, depth)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        items = value.values() if type(value) is dict else value
        stack.extend((v, depth + 1) for v in items if type(v) in (dict, list))
    return False


def type_problem(rec: Mapping[str, Any]) -> str | None:
    """Why ``rec`` cannot be a record (a known field of the wrong JSON type, or nesting too
    deep), or None."""
    for key, value in rec.items():
        if value is None:
            continue
        t = type(value)
        if key in _STR:
            if t is not str:
                return f'field "{key}" must be a string, not {_got(value)}'
        elif t is str:
            if key in _NOT_STR:
                return f'field "{key}" must be {_want(key)}, not a string'
        elif key in _INT:
            if t is not int or not -_INT64 <= value < _INT64:
                return f'field "{key}" must be an integer, not {_got(value)}'
        elif key in _BOOL:
            if t is not bool:
                return f'field "{key}" must be true or false, not {_got(value)}'
        elif key in _LISTS:
            if t is not list:
                return f'field "{key}" must be an array, not {_got(value)}'
            for n, item in enumerate(value):
                problem = _item_problem(key, item)
                if problem:
                    return f"{key}[{n}]{problem}"
        elif t in (dict, list) and _too_deep(value, 2):
            return f'field "{key}" is nested more than {MAX_DEPTH} levels deep'
    return None


def _want(key: str) -> str:
    return "an integer" if key in _INT else "true or false" if key in _BOOL else "an array"


def _item_problem(key: str, item: Any) -> str | None:
    """What is wrong with one element of labels, dependencies or comments."""
    if key == "labels":
        return None if type(item) is str else f" must be a string, not {_got(item)}"
    if type(item) is not dict:
        return f" must be an object, not {_got(item)}"
    strings = _DEP_STR if key == "dependencies" else _COMMENT_STR
    for sub, value in item.items():
        if value is None or type(value) is str and sub != "id":
            continue
        if sub in strings:
            return f'.{sub} must be a string, not {_got(value)}'
        if sub == "id" and key == "comments":  # a number (Go's int64); other tools use text
            if type(value) is not str and (type(value) is not int
                                           or not -_INT64 <= value < _INT64):
                return f".id must be an integer, not {_got(value)}"
        elif type(value) in (dict, list) and _too_deep(value, 4):
            return f'.{sub} is nested more than {MAX_DEPTH} levels deep'
    return None


def apply_defaults(rec: dict[str, Any]) -> dict[str, Any]:
    """Read-side defaults. Unlike the original, a missing priority is 2, not P0."""
    if not rec.get("status"):
        rec["status"] = "open"
    if not rec.get("issue_type"):
        rec["issue_type"] = "task"
    if "priority" not in rec or rec["priority"] is None:
        rec["priority"] = DEFAULT_PRIORITY
    return rec


def status_of(rec: Mapping[str, Any]) -> str:
    return rec.get("status") or "open"


def type_of(rec: Mapping[str, Any]) -> str:
    return rec.get("issue_type") or "task"


def priority_of(rec: Mapping[str, Any]) -> int:
    p = rec.get("priority")
    return p if isinstance(p, int) and not isinstance(p, bool) else DEFAULT_PRIORITY


def parse_priority(value: Any) -> int:
    """``0..4`` or ``P0..P4``; words like 'high' are rejected with the original's message."""
    text = str(value).strip()
    digits = text[1:] if text[:1] in ("P", "p") else text
    if not (digits.isascii() and digits.isdigit()) or not 0 <= int(digits) <= 4:  # not "²"
        raise ValidationError(
            f'invalid priority "{value}" (expected 0-4 or P0-P4, not words like high/medium/low)',
            field="priority")
    return int(digits)


def normalise_type(value: str) -> str:
    return TYPE_ALIASES.get(value, value)


def split_list(values: Iterable[str] | str | None) -> list[str]:
    """Flatten repeatable, comma-separated option values; trimmed, deduplicated, in order."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def validate(rec: Mapping[str, Any], *, custom_statuses: Iterable[str] = (),
             custom_types: Iterable[str] = ()) -> None:
    """Issue.ValidateWithCustom: raise ValidationError with the original's texts."""
    rid = rec.get("id")
    title = rec.get("title")
    if not isinstance(title, str) or not title:
        raise ValidationError("title is required", field="title", issue_id=rid)
    size = len(title.encode("utf-8", "surrogatepass"))  # a lone surrogate: 3 bytes, as U+FFFD
    if size > 500:
        raise ValidationError(f"title must be 500 characters or less (got {size})",
                              field="title", issue_id=rid)
    priority = rec.get("priority", DEFAULT_PRIORITY)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 4:
        raise ValidationError(f"priority must be between 0 and 4 (got {priority})",
                              field="priority", issue_id=rid)
    status = status_of(rec)
    if status not in BUILTIN_STATUSES and status not in set(custom_statuses):
        raise ValidationError(f"invalid status: {status}", field="status", issue_id=rid)
    itype = type_of(rec)
    if itype not in BUILTIN_TYPES and itype not in set(custom_types):
        raise ValidationError(f"invalid issue type: {itype}", field="issue_type", issue_id=rid)
    est = rec.get("estimated_minutes")
    if est is not None and (not isinstance(est, int) or est < 0):
        raise ValidationError("estimated_minutes cannot be negative",
                              field="estimated_minutes", issue_id=rid)
    if status == "closed" and not rec.get("closed_at"):
        raise ValidationError("closed issues must have closed_at timestamp",
                              field="closed_at", issue_id=rid)
    if status not in ("closed", "tombstone") and rec.get("closed_at"):
        raise ValidationError("non-closed issues cannot have closed_at timestamp",
                              field="closed_at", issue_id=rid)
    if status == "tombstone" and not rec.get("deleted_at"):
        raise ValidationError("tombstone issues must have deleted_at timestamp",
                              field="deleted_at", issue_id=rid)
    if status != "tombstone" and rec.get("deleted_at"):
        raise ValidationError("non-tombstone issues cannot have deleted_at timestamp",
                              field="deleted_at", issue_id=rid)
    state = rec.get("agent_state")
    if state and state not in AGENT_STATES:
        raise ValidationError(f"invalid agent state: {state}", field="agent_state", issue_id=rid)


class Issue:
    """A typed, read-only view of one record for library users; ``data`` is the raw dict."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    def __repr__(self) -> str:
        return f"Issue({self.id!r}, {self.title!r}, status={self.status!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Issue) and other.data == self.data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def title(self) -> str:
        return str(self.data.get("title", ""))

    @property
    def description(self) -> str:
        return str(self.data.get("description", ""))

    @property
    def status(self) -> str:
        return status_of(self.data)

    @property
    def priority(self) -> int:
        return priority_of(self.data)

    @property
    def issue_type(self) -> str:
        return type_of(self.data)

    @property
    def assignee(self) -> str:
        return str(self.data.get("assignee") or "")

    @property
    def labels(self) -> list[str]:
        return list(self.data.get("labels") or [])

    @property
    def dependencies(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.data.get("dependencies") or []]

    @property
    def comments(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.data.get("comments") or []]

    @property
    def created_at(self) -> str:
        return str(self.data.get("created_at", ""))

    @property
    def updated_at(self) -> str:
        return str(self.data.get("updated_at", ""))
