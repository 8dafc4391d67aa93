"""The filters of ``bd ready`` and ``bd list`` / ``search`` / ``count``: small classes that are
part of the library API (``bd.store.queries`` takes them; ``from bd.store.queries import
ReadyFilter`` keeps working)."""

from __future__ import annotations

SORT_POLICIES = ("hybrid", "priority", "oldest")


class ReadyFilter:
    """Options of ``bd ready``; ``limit=0`` means all."""

    __slots__ = ('limit', 'priority', 'assignee', 'unassigned', 'labels', 'labels_any', 'issue_type', 'parent', 'sort', 'include_deferred', 'mol_type', 'include_ephemeral',)

    def __init__(self, *, limit: int = 10, priority: int | None = None, assignee: str | None = None, unassigned: bool = False, labels: list[str] | None = None, labels_any: list[str] | None = None, issue_type: str | None = None, parent: str | None = None, sort: str = "hybrid", include_deferred: bool = False, mol_type: str | None = None, include_ephemeral: bool = False) -> None:
        self.limit = limit
        self.priority = priority
        self.assignee = assignee
        self.unassigned = unassigned
        self.labels = list(labels) if labels else []
        self.labels_any = list(labels_any) if labels_any else []
        self.issue_type = issue_type
        self.parent = parent
        self.sort = sort
        self.include_deferred = include_deferred
        self.mol_type = mol_type
        self.include_ephemeral = include_ephemeral  # wisps (bd ready --mol of a wisp)

    def __repr__(self) -> str:
        return f"ReadyFilter({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"


class ListFilter:
    """Options of ``bd list`` / ``bd search`` / ``bd count``; ``limit=0`` means all."""

    __slots__ = ('status', 'all', 'priority', 'priority_min', 'priority_max', 'assignee', 'no_assignee', 'issue_type', 'labels', 'labels_any', 'no_labels', 'empty_description', 'title', 'title_contains', 'desc_contains', 'notes_contains', 'query', 'ids', 'created_after', 'created_before', 'updated_after', 'updated_before', 'closed_after', 'closed_before', 'due_after', 'due_before', 'defer_after', 'defer_before', 'deferred', 'overdue', 'pinned', 'include_templates', 'include_gates', 'include_closed', 'parent', 'mol_type', 'limit', 'sort', 'reverse',)

    def __init__(self, *, status: str | None = None, all: bool = False, priority: int | None = None, priority_min: int | None = None, priority_max: int | None = None, assignee: str | None = None, no_assignee: bool = False, issue_type: str | None = None, labels: list[str] | None = None, labels_any: list[str] | None = None, no_labels: bool = False, empty_description: bool = False, title: str | None = None, title_contains: str | None = None, desc_contains: str | None = None, notes_contains: str | None = None, query: str | None = None, ids: list[str] | None = None, created_after: int | None = None, created_before: int | None = None, updated_after: int | None = None, updated_before: int | None = None, closed_after: int | None = None, closed_before: int | None = None, due_after: int | None = None, due_before: int | None = None, defer_after: int | None = None, defer_before: int | None = None, deferred: bool = False, overdue: bool = False, pinned: bool | None = None, include_templates: bool = False, include_gates: bool = False, include_closed: bool = False, parent: str | None = None, mol_type: str | None = None, limit: int = 50, sort: str | None = None, reverse: bool = False) -> None:
        self.status = status
        self.all = all
        self.priority = priority
        self.priority_min = priority_min
        self.priority_max = priority_max
        self.assignee = assignee
        self.no_assignee = no_assignee
        self.issue_type = issue_type
        self.labels = list(labels) if labels else []
        self.labels_any = list(labels_any) if labels_any else []
        self.no_labels = no_labels
        self.empty_description = empty_description
        self.title = title
        self.title_contains = title_contains
        self.desc_contains = desc_contains
        self.notes_contains = notes_contains
        self.query = query
        self.ids = list(ids) if ids else []
        self.created_after = created_after
        self.created_before = created_before
        self.updated_after = updated_after
        self.updated_before = updated_before
        self.closed_after = closed_after
        self.closed_before = closed_before
        self.due_after = due_after
        self.due_before = due_before
        self.defer_after = defer_after
        self.defer_before = defer_before
        self.deferred = deferred
        self.overdue = overdue
        self.pinned = pinned
        self.include_templates = include_templates
        self.include_gates = include_gates
        self.include_closed = include_closed
        self.parent = parent
        self.mol_type = mol_type
        self.limit = limit
        self.sort = sort
        self.reverse = reverse

    def __repr__(self) -> str:
        return f"ListFilter({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"
