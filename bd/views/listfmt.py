"""``bd list`` display modes: ``--tree``/``--pretty`` and ``--format dot|digraph|TEMPLATE``.

``TEMPLATE`` is the part of Go's text/template the original's users write: ``{{.Field}}``
and ``{{.Issue.Field}}`` actions (with ``{{-``/``-}}`` trimming) between literal text.  As in
the original, a template that names an edge field (``IssueID``, ``DependsOnID``, ``Type``,
``Issue``, ``Dependency``) is written once per dependency edge between listed issues;
``digraph`` is the preset ``{{.IssueID}} {{.DependsOnID}}``.  A template naming only issue
fields (``{{.ID}} {{.Title}}``) is written once per issue, which the original could not do.
Field names are Go's (``ID``, ``IssueType``, ``CreatedAt``) or the JSON keys (``id``,
``issue_type``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bd.core.model import ISSUE_FIELDS
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# v0.46's --pretty symbols.
PRETTY_STATUS = {"open": "○", "in_progress": "◐", "blocked": "⊗", "deferred": "◇",
                 "closed": "●"}
PRETTY_PRIORITY = {0: "🔴", 1: "🟠", 2: "🟡", 3: "🔵", 4: "⚪"}
PRETTY_BADGE = {"epic": "[EPIC] ", "feature": "[FEAT] ", "bug": "[BUG] "}
PRETTY_LEGEND = "Legend: ○ open | ◐ in progress | ⊗ blocked | 🔴 P0 | 🟠 P1 | 🟡 P2 | 🔵 P3 | ⚪ P4"
EDGE_FIELDS = ("IssueID", "DependsOnID", "Type", "Issue", "Dependency")
PRESETS = {"digraph": "{{.IssueID}} {{.DependsOnID}}"}


def pretty_line(rec: Mapping[str, Any]) -> str:
    prio = rec.get("priority")
    return (f"{PRETTY_STATUS.get(str(rec.get('status') or 'open'), '○')} "
            f"{PRETTY_PRIORITY.get(prio if isinstance(prio, int) else 2, '⚪')} {rec['id']} - "
            f"{PRETTY_BADGE.get(str(rec.get('issue_type')), '')}"
            f"{' '.join(str(rec.get('title', '')).split())}")


def _parent_of(rec: Mapping[str, Any], ids: set[str]) -> str | None:
    """The listed parent: the first parent-child target, else the dotted-id parent."""
    for d in rec.get("dependencies") or ():
        if isinstance(d, Mapping) and d.get("type") == "parent-child" \
                and d.get("depends_on_id") in ids and d.get("depends_on_id") != rec["id"]:
            return str(d["depends_on_id"])
    head, dot, tail = str(rec["id"]).rpartition(".")
    if dot and tail.isdigit() and head in ids:
        return head
    return None


def tree(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The listed issues as a parent-child forest, in list order, with a summary."""
    recs = list(records)
    if not recs:
        return ["No issues found."]
    ids = {r["id"] for r in recs}
    parent = {r["id"]: _parent_of(r, ids) for r in recs}
    # A parent-child loop in hand-edited data must not hide its members: cut it.
    for start in list(parent):
        seen, cur = {start}, parent[start]
        while cur is not None:
            if cur in seen:
                parent[start] = None
                break
            seen.add(cur)
            cur = parent.get(cur)
    kids: dict[str, list[Mapping[str, Any]]] = {}
    roots = []
    for r in recs:
        p = parent[r["id"]]
        if p is None:
            roots.append(r)
        else:
            kids.setdefault(p, []).append(r)
    lines: list[str] = []

    def walk(rid: str, prefix: str) -> None:
        children = kids.get(rid, [])
        for n, child in enumerate(children):
            last = n == len(children) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{pretty_line(child)}")
            walk(child["id"], prefix + ("    " if last else "│   "))

    for n, r in enumerate(roots):
        if n:
            lines.append("")
        lines.append(pretty_line(r))
        walk(r["id"], "")
    opened = sum(1 for r in recs if (r.get("status") or "open") == "open")
    working = sum(1 for r in recs if r.get("status") == "in_progress")
    lines += ["", "-" * 80,
              f"Total: {len(recs)} issues ({opened} open, {working} in progress)", "",
              PRETTY_LEGEND]
    return lines


# -- Go-template subset ---------------------------------------------------------------------

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_PATH = re.compile(r"\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?\Z")
_KNOWN = frozenset(ISSUE_FIELDS) | {"id", "title", "labels", "dependencies", "comments"}
_DEP_KEYS = frozenset({"issue_id", "depends_on_id", "type", "created_at", "created_by",
                       "metadata", "thread_id"})


def snake(name: str) -> str:
    """Go field name → JSON key: ``ID`` → ``id``, ``IssueType`` → ``issue_type``,
    ``DependsOnID`` → ``depends_on_id``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


class Template:
    """A parsed template: literal and field-path parts."""

    def __init__(self, text: str) -> None:
        self.parts: list[str | tuple[str, ...]] = []
        pos = 0
        for m in _ACTION.finditer(text):
            lit = text[pos:m.start()]
            if m.group(1):
                lit = lit.rstrip()
            if lit:
                self.parts.append(lit)
            body = m.group(2).strip()
            if not _PATH.match(body):
                raise UsageError(f"invalid format template: unsupported action {{{{{body}}}}} "
                                 "(only field references such as {{.ID}} are supported)")
            self.parts.append(tuple(p for p in body.split(".") if p))
            pos = m.end()
            if m.group(3):
                rest = text[pos:]
                pos += len(rest) - len(rest.lstrip())
        tail = text[pos:]
        if "{{" in tail:
            raise UsageError("invalid format template: unclosed action")
        if tail:
            self.parts.append(tail)
        heads = {p[0] for p in self.parts if isinstance(p, tuple) and p}
        self.per_edge = bool(heads & set(EDGE_FIELDS))
        if self.per_edge:
            bad = sorted(heads - set(EDGE_FIELDS))
            if bad:
                raise UsageError(f"invalid format template: field {bad[0]} is an issue field "
                                 "but the template also names edge fields; use "
                                 f".Issue.{bad[0]} for the edge's issue")

    def render(self, data: Mapping[str, Any]) -> str:
        out = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
            else:
                out.append(_fmt(_lookup(data, p)))
        return "".join(out)


def _lookup(data: Any, path: tuple[str, ...]) -> Any:
    value = data
    for n, name in enumerate(path):
        if not isinstance(value, Mapping):
            raise UsageError(f"template execution error: can't evaluate field {name} "
                             f"in {'.'.join(path[:n]) or 'the data'}")
        key = name if name in value else snake(name)
        if key in value:
            value = value[key]
        elif key in _KNOWN or key in _DEP_KEYS or name in EDGE_FIELDS:
            value = None  # a field the record leaves out (Go's omitempty): its zero value
        else:
            raise UsageError(f"template execution error: can't evaluate field {name}")
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_fmt(v)}" for k, v in value.items()) + "]"
    return str(value)


_DEFAULTS = {"description": "", "status": "open", "priority": 2, "issue_type": "task",
             "labels": []}


def template_lines(records: Iterable[Mapping[str, Any]], fmt: str) -> list[str]:
    """``list --format digraph|TEMPLATE`` output lines.  Fields a record leaves out read as
    ``bd show`` reads them (priority 2, status open, type task, no labels)."""
    tpl = Template(PRESETS.get(fmt, fmt))
    recs = [{**_DEFAULTS, **r} for r in records]
    if not tpl.per_edge:
        return [tpl.render(r) for r in recs]
    ids = {r["id"] for r in recs}
    lines = []
    for r in recs:
        for d in r.get("dependencies") or ():
            if isinstance(d, Mapping) and d.get("depends_on_id") in ids:
                lines.append(tpl.render({"IssueID": r["id"], "DependsOnID": d["depends_on_id"],
                                         "Type": d.get("type") or "blocks", "Issue": r,
                                         "Dependency": d}))
    return lines
