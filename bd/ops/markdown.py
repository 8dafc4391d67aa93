"""``bd create --file FILE.md``: one issue per ``## Title`` heading, with optional ``###``
sections (Priority, Type, Description, Design, Acceptance Criteria, Assignee, Labels,
Dependencies, Notes).  Every issue of the file is checked before any is created.
"""

from __future__ import annotations

from bd.core import model
from bd.ops import issues as ops
from bd.store.store import Store

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_SECTIONS = {"priority": "priority", "type": "type", "description": "description",
             "design": "design", "acceptance criteria": "acceptance", "acceptance": "acceptance",
             "assignee": "assignee", "labels": "labels", "dependencies": "deps",
             "deps": "deps", "notes": "notes"}


def parse(text: str) -> list[dict[str, list[str] | str]]:
    """The issues of a markdown text: title plus the lines of each section."""
    specs: list[dict[str, Any]] = []
    section = None
    for line in text.splitlines():
        if line.startswith("## "):
            specs.append({"title": line[3:].strip(), "description": []})
            section = "description"
        elif line.startswith("### ") and specs:
            section = _SECTIONS.get(line[4:].strip().lower())
            if section:
                specs[-1].setdefault(section, [])
        elif specs and section:
            specs[-1].setdefault(section, []).append(line)
    return specs


def create_from_markdown(store: Store, text: str, *, issue_type: str = "task",
                         priority: str | int = 2, assignee: str | None = None,
                         labels: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Create the issues of ``text`` (defaults from the command line where a section is
    missing); nothing is created unless every issue is valid."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for spec in parse(text):
        def text_of(key: str, spec: dict[str, Any] = spec) -> str:
            return "\n".join(spec.get(key) or []).strip()
        calls.append((str(spec["title"]), dict(
            description=text_of("description"), issue_type=text_of("type") or issue_type,
            priority=model.parse_priority(text_of("priority") or priority),
            assignee=text_of("assignee") or assignee, design=text_of("design"),
            acceptance=text_of("acceptance"), notes=text_of("notes"),
            labels=[text_of("labels").replace("\n", ",")] if text_of("labels") else labels,
            deps=[text_of("deps").replace("\n", ",")] if text_of("deps") else [])))
    for title, kw in calls:  # a bad issue fails the file before any issue is created
        model.validate({"title": title, "priority": kw["priority"]})
        store.check_type(kw["issue_type"])
        for dep in model.split_list(kw["deps"]):
            target = dep.partition(":")[2] if ":" in dep and not dep.startswith(
                "external:") else dep
            if not target.startswith("external:"):
                store.exact(target)
    return [ops.create(store, title, **kw) for title, kw in calls]
