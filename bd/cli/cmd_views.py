"""ready, blocked, list, search, stale, count, stats, children, epic status."""

from __future__ import annotations

import os

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Opt, Values, arg, command, opt
from bd.core import model
from bd.core.choices import LIST_SORTS, READY_SORTS
from bd.errors import UsageError
from bd.store.queries import ListFilter, ReadyFilter

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _prio(value: str | None) -> int | None:
    return None if value is None else model.parse_priority(value)


def _type(value: str | None) -> str | None:
    return model.normalise_type(value) if value else None


@command("ready", "Show ready work: open issues with no active blockers", opts=[
    opt("limit", "-n", "--limit", type=int, default=10, help="Maximum issues (0 = all)"),
    opt("priority", "-p", "--priority", help="Only this priority"),
    opt("assignee", "-a", "--assignee"),
    opt("unassigned", "-u", "--unassigned", type=bool, help="Only unassigned issues"),
    opt("sort", "-s", "--sort", default="hybrid", help="Order: hybrid, priority or oldest",
        choices=READY_SORTS),
    opt("label", "-l", "--label", multiple=True, help="Must have all these labels"),
    opt("label_any", "--label-any", multiple=True, help="Must have one of these labels"),
    opt("type", "-t", "--type", help="Only this issue type", choices="type"),
    opt("parent", "--parent", help="Descendants of this issue"),
    opt("mol_type", "--mol-type", hidden=True),
    opt("mol", "--mol", help="Steps of this molecule (wisps included)"),
    opt("include_deferred", "--include-deferred", type=bool),
    opt("pretty", "--pretty", type=bool,
        help="Parent-child tree with status and priority symbols"),
])
def _ready(ctx: Context, o: Values) -> int:
    store = ctx.store
    if o.mol and o.parent:
        raise UsageError("--mol and --parent both choose the issues' ancestor: give one")
    parent = o.mol or o.parent
    f = ReadyFilter(limit=o.limit, priority=_prio(o.priority), assignee=o.assignee,
                    unassigned=o.unassigned, labels=model.split_list(o.label),
                    labels_any=model.split_list(o.label_any), issue_type=_type(o.type),
                    parent=store.resolve(parent) if parent else None, sort=o.sort,
                    include_deferred=o.include_deferred, mol_type=o.mol_type,
                    include_ephemeral=bool(o.mol))
    if ctx.json and not o.pretty:  # streamed: ready --limit 0 of 100,000 issues
        ctx.out.json_stream(store.iter_ready(f, relations=False), out.issue_text)
        return 0
    rows = store.ready(f)
    if o.pretty:
        if ctx.json:
            raise UsageError("--pretty chooses a picture and --json asks for data: use one")
        from bd.views.listfmt import tree

        for line in tree(rows):
            ctx.out.line(line)
        return 0
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in rows])
        return 0
    any_open = bool(rows) or store.any_active()
    total = None
    if o.limit and len(rows) == o.limit:  # a full page: say how much more there is
        f.limit = 0
        total = len(store.ready(f))
    for line in out.ready_list(rows, any_open, total):
        ctx.out.line(line)
    return 0


@command("blocked", "Show blocked work and what blocks it",
         opts=[opt("parent", "--parent", help="Descendants of this issue")])
def _blocked(ctx: Context, o: Values) -> int:
    store = ctx.store
    parent = store.resolve(o.parent) if o.parent else None
    if ctx.json:  # streamed
        # the records carry blocked_by_count and blocked_by: issue_json keeps them, last
        ctx.out.json_stream(store.iter_blocked(parent, relations=False), out.issue_text)
    else:
        rows = store.blocked(parent)
        for line in out.blocked_list(rows):
            ctx.out.line(line)
    return 0


_FILTERS: list[Opt] = [
    opt("status", "-s", "--status", help="Only this status ('all' = any)",
        choices="status-filter"),
    opt("priority", "-p", "--priority"), opt("priority_min", "--priority-min"),
    opt("priority_max", "--priority-max"),
    opt("assignee", "-a", "--assignee"), opt("no_assignee", "--no-assignee", type=bool),
    opt("type", "-t", "--type", help="Only this issue type", choices="type"),
    opt("label", "-l", "--label", multiple=True, help="Must have all these labels"),
    opt("label_any", "--label-any", multiple=True, help="Must have one of these labels"),
    opt("created_after", "--created-after"), opt("created_before", "--created-before"),
    opt("updated_after", "--updated-after"), opt("updated_before", "--updated-before"),
    opt("closed_after", "--closed-after"), opt("closed_before", "--closed-before"),
]
_LIST_ONLY: list[Opt] = [
    opt("all", "--all", type=bool, help="Include closed issues"),
    opt("no_labels", "--no-labels", type=bool), opt("empty_description",
                                                    "--empty-description", type=bool),
    opt("title", "--title"), opt("title_contains", "--title-contains"),
    opt("desc_contains", "--desc-contains"), opt("notes_contains", "--notes-contains"),
    opt("id", "--id", help="Exact ids (comma list)"),
    opt("due_after", "--due-after"), opt("due_before", "--due-before"),
    opt("defer_after", "--defer-after"), opt("defer_before", "--defer-before"),
    opt("deferred", "--deferred", type=bool), opt("overdue", "--overdue", type=bool),
    opt("pinned", "--pinned", type=bool), opt("no_pinned", "--no-pinned", type=bool),
    opt("include_templates", "--include-templates", type=bool),
    opt("include_gates", "--include-gates", type=bool),
    opt("parent", "--parent", "--filter-parent", help="Direct children of this issue"),
    opt("mol_type", "--mol-type", hidden=True),
]
_DISPLAY: list[Opt] = [
    opt("sort", "--sort", help="Sort by priority, created, updated, closed, status, id, title, "
        "type or assignee", choices=LIST_SORTS),
    opt("reverse", "-r", "--reverse", type=bool),
    opt("long", "--long", type=bool),
]


def _when(value: str | None) -> int | None:
    if not value:
        return None
    from bd.core.timeutil import parse_time_expr

    return int(parse_time_expr(value).timestamp() * 1_000_000_000)


def list_filter(store: Any, o: Values, *, limit: int) -> ListFilter:
    g = o.get
    if g("pinned") and g("no_pinned"):
        raise UsageError("--pinned and --no-pinned are mutually exclusive")
    sort = g("sort") or None  # --sort "" is the default order
    if sort and sort not in LIST_SORTS:  # callers other than the parser (MCP)
        from bd.core.choices import invalid

        raise invalid("sort field", sort, LIST_SORTS)
    return ListFilter(
        status=g("status"), all=bool(g("all")), priority=_prio(g("priority")),
        priority_min=_prio(g("priority_min")), priority_max=_prio(g("priority_max")),
        assignee=g("assignee"), no_assignee=bool(g("no_assignee")), issue_type=_type(g("type")),
        labels=model.split_list(g("label")), labels_any=model.split_list(g("label_any")),
        no_labels=bool(g("no_labels")), empty_description=bool(g("empty_description")),
        title=g("title"), title_contains=g("title_contains"), desc_contains=g("desc_contains"),
        notes_contains=g("notes_contains"), ids=model.split_list(g("id")),
        created_after=_when(g("created_after")), created_before=_when(g("created_before")),
        updated_after=_when(g("updated_after")), updated_before=_when(g("updated_before")),
        closed_after=_when(g("closed_after")), closed_before=_when(g("closed_before")),
        due_after=_when(g("due_after")), due_before=_when(g("due_before")),
        defer_after=_when(g("defer_after")), defer_before=_when(g("defer_before")),
        deferred=bool(g("deferred")), overdue=bool(g("overdue")),
        pinned=True if g("pinned") else False if g("no_pinned") else None,
        include_templates=bool(g("include_templates")), include_gates=bool(g("include_gates")),
        parent=store.resolve(g("parent")) if g("parent") else None, mol_type=g("mol_type"),
        limit=limit, sort=sort, reverse=bool(g("reverse")))


def _print_rows(ctx: Context, rows: list[dict[str, Any]], long: bool) -> None:
    for rec in rows:
        ctx.out.line(out.compact(rec))
        if long and rec.get("description"):
            ctx.out.line("    " + rec["description"].splitlines()[0][:100])


def _agent_mode() -> bool:
    return bool(os.environ.get("BD_AGENT_MODE") or os.environ.get("CLAUDE_CODE"))


_PICTURES: list[Opt] = [
    opt("pretty", "--pretty", type=bool,
        help="Parent-child tree with status and priority symbols"),
    opt("tree", "--tree", type=bool, help="Same as --pretty"),
]


def _picture(ctx: Context, o: Values) -> str | None:
    """Which display mode replaces the list lines, refusing combinations that cannot mean
    anything (so no flag is silently dropped)."""
    fmt = o.get("format")
    shape = "--format" if fmt is not None else "--tree" if o.get("tree") else \
        "--pretty" if o.pretty else None
    if shape and ctx.json:
        raise UsageError(f"{shape} chooses a picture and --json asks for data: use one")
    if fmt is not None and (o.get("tree") or o.pretty):
        raise UsageError("--format and --tree/--pretty are two different outputs: use one")
    if fmt is not None and not fmt:
        raise UsageError("--format needs a value: dot, digraph or a template")
    if shape and o.get("long"):
        raise UsageError(f"--long and {shape} are two different outputs: use one")
    return shape


def _print_picture(ctx: Context, o: Values, rows: list[dict[str, Any]]) -> None:
    from bd.views import dot, listfmt

    fmt = o.get("format")
    if fmt == "dot":
        lines = dot.render_list(rows)
    elif fmt is not None:
        lines = listfmt.template_lines(rows, fmt)
    else:
        lines = listfmt.tree(rows)
    for line in lines:
        ctx.out.line(line)


@command("list", "List issues (open ones by default)",
         opts=[*_FILTERS, *_LIST_ONLY, *_DISPLAY, *_PICTURES,
               opt("format", "--format", help="dot (Graphviz), digraph (edge pairs) or a "
                   "template such as '{{.ID}} {{.Title}}'"),
               opt("limit", "-n", "--limit", type=int,
                   help="Maximum issues (default 50, 0 = all)"),
               opt("watch", "-w", "--watch", type=bool,
                   help="Redraw whenever issues.jsonl changes (Ctrl-C stops)")])
def _list(ctx: Context, o: Values) -> int:
    if o.watch:
        return _watch(ctx, o)
    shape = _picture(ctx, o)
    limit = o.limit if o.limit is not None else (20 if _agent_mode() else 50)
    if ctx.json and not shape:  # streamed: list --limit 0 of 100,000 issues
        ctx.out.json_stream(ctx.store.iter_list(list_filter(ctx.store, o, limit=limit),
                                                relations=False), out.issue_text)
        return 0
    f = list_filter(ctx.store, o, limit=limit + 1 if limit > 0 else 0)
    rows = ctx.store.list(f)
    truncated = limit > 0 and len(rows) > limit
    rows = rows[:limit] if truncated else rows
    if shape:
        _print_picture(ctx, o, rows)
        if truncated:
            ctx.out.note(f"\nShowing {limit} issues (use --limit 0 for all)")
        return 0
    if ctx.json:
        ctx.out.json([{**out.issue_json(r)} for r in rows])
        return 0
    if _agent_mode():
        for rec in rows:
            ctx.out.line(f"{rec['id']}: {rec.get('title', '')}")
    elif not rows:
        ctx.out.line("No issues found.")
    else:
        _print_rows(ctx, rows, o.long)
    if truncated:
        ctx.out.note(f"\nShowing {limit} issues (use --limit 0 for all)")
    return 0


def _watch(ctx: Context, o: Values) -> int:
    """``list --watch``: draw, then redraw each time the JSONL's signature changes."""
    import sys
    import time

    from bd.store.cache import stat_sig

    if ctx.json:
        raise UsageError("--watch redraws a list for people; it cannot be combined with --json")
    store = ctx.store
    clear = "\033[H\033[2J" if sys.stdout.isatty() else ""
    seen = None
    try:
        while True:
            sig = stat_sig(store.jsonl_path)
            if sig != seen:
                seen = sig
                sys.stdout.write(clear)
                _list(ctx, Values({**o, "watch": False}))
                ctx.out.line(f"-- watching {store.jsonl_path} (Ctrl-C to stop) --")
                sys.stdout.flush()
            time.sleep(0.3)
    except KeyboardInterrupt:
        return 0


@command("search", "Search titles, descriptions and ids (closed issues included)",
         args=[arg("query", "*")],
         opts=[*_FILTERS, *_DISPLAY, opt("query_opt", "--query"),
               opt("limit", "-n", "--limit", type=int, default=50)])
def _search(ctx: Context, o: Values) -> int:
    query = " ".join(o.query) or o.query_opt
    if not query:
        raise UsageError("search query is required")
    f = list_filter(ctx.store, o, limit=o.limit)
    f.query, f.include_closed = query, True
    rows = ctx.store.list(f)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in rows])
    elif not rows:
        ctx.out.line(f"No issues found matching '{query}'")
    else:
        ctx.out.line(f"Found {out.plural(len(rows), 'issue')} matching '{query}':")
        _print_rows(ctx, rows, o.long)
    return 0


@command("stale", "Show issues not updated recently", opts=[
    opt("days", "-d", "--days", type=int, default=30),
    opt("status", "-s", "--status", help="Only this status",
        choices=("open", "in_progress", "blocked", "deferred")),
    opt("limit", "-n", "--limit", type=int, default=50)])
def _stale(ctx: Context, o: Values) -> int:
    rows = ctx.store.stale(o.days, o.status, o.limit)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in rows])
    elif not rows:
        ctx.out.line(f"✨ No stale issues (all updated within {o.days} days)")
    else:
        ctx.out.line(f"\n⏰ Stale issues ({len(rows)} not updated in {o.days}+ days):\n")
        for rec in rows:
            ctx.out.line(f"{out.compact(rec)}  (updated {out.human_time(rec['updated_at'])})")
    return 0


_GROUP_BY = (("by_status", "status"), ("by_priority", "priority"), ("by_type", "issue_type"),
             ("by_assignee", "assignee"), ("by_label", "labels"))


@command("count", "Count issues matching filters",
         opts=[*_FILTERS, *_LIST_ONLY,
               *[opt(dest, f"--{dest.replace('_', '-')}", type=bool) for dest, _ in _GROUP_BY]])
def _count(ctx: Context, o: Values) -> int:
    rows = ctx.store.list(list_filter(ctx.store, o, limit=0))
    key = next((k for dest, k in _GROUP_BY if o[dest]), None)
    if key is None:
        ctx.out.json({"count": len(rows)}) if ctx.json else ctx.out.line(str(len(rows)))
        return 0
    groups: dict[str, int] = {}
    for rec in rows:
        values = rec.get("labels") or [""] if key == "labels" else [
            model.priority_of(rec) if key == "priority" else rec.get(key) or ""]
        for value in values:
            groups[str(value)] = groups.get(str(value), 0) + 1
    ordered = [{"group": g, "count": n} for g, n in sorted(groups.items())]
    if ctx.json:
        ctx.out.json({"total": len(rows), "groups": ordered})
    else:
        ctx.out.line(f"Total: {len(rows)}")
        for g in ordered:
            ctx.out.line(f"  {g['group'] or '(none)'}: {g['count']}")
    return 0


@command("stats", "Show issue statistics", aliases=("status",), opts=[
    opt("all", "--all", type=bool, help="All issues (the default; kept for compatibility)"),
    opt("assigned", "--assigned", type=bool, help="Only issues assigned to you (--actor)"),
    opt("no_activity", "--no-activity", type=bool,
        help="Skip the recent activity read from git history (last 24 hours)")])
def _stats(ctx: Context, o: Values) -> int:
    store = ctx.store
    if o.assigned:
        from bd.store.reports import assigned_stats

        stats = assigned_stats(store, store.actor)
    else:
        stats = store.stats()
    activity = None
    if not o.no_activity:
        from bd.git.activity import recent_activity

        activity = recent_activity(store.jsonl_path)
    if ctx.json:
        # The original nests the counts under "summary"; some clients read them at the top.
        doc = {"summary": stats, **stats}
        if activity is not None:
            doc["recent_activity"] = activity
        ctx.out.json(doc)
        return 0
    title = f" (assigned to {store.actor})" if o.assigned else ""
    ctx.out.line(f"\n📊 Issue Database Status{title}\n\nSummary:")
    for label, key in (("Total Issues", "total_issues"), ("Open", "open_issues"),
                       ("In Progress", "in_progress_issues"), ("Blocked", "blocked_issues"),
                       ("Closed", "closed_issues"), ("Ready to Work", "ready_issues")):
        ctx.out.line(f"  {label + ':':<20}{stats[key]}")
    extended = [(label, stats[key]) for label, key in (
        ("Deferred", "deferred_issues"), ("Tombstones", "tombstone_issues"),
        ("Pinned", "pinned_issues"), ("Epics ready to close", "epics_eligible_for_closure"),
        ("Avg lead time (h)", "average_lead_time_hours")) if stats.get(key)]
    if extended:
        ctx.out.line("\nExtended:")
        for label, value in extended:
            ctx.out.line(f"  {label + ':':<20}{value}")
    if activity is not None:
        ctx.out.line(f"\nRecent Activity (last {activity['hours_tracked']} hours):")
        for label, key in (("Commits", "commit_count"), ("Total Changes", "total_changes"),
                           ("Issues Created", "issues_created"),
                           ("Issues Closed", "issues_closed"),
                           ("Issues Reopened", "issues_reopened"),
                           ("Issues Updated", "issues_updated")):
            ctx.out.line(f"  {label + ':':<20}{activity[key]}")
    ctx.out.line("")
    return 0


@command("children", "List the direct children of an issue", args=[arg("id")])
def _children(ctx: Context, o: Values) -> int:
    store = ctx.store
    rid = store.resolve(o.id)
    f = ListFilter(parent=rid, all=True, limit=0, sort="id")
    rows = store.list(f)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in rows])
    elif not rows:
        ctx.out.line(f"{rid} has no children")
    else:
        ctx.out.line(f"Children of {rid} ({len(rows)}):")
        _print_rows(ctx, rows, False)
    return 0


@command("epic status", "Show progress of open epics",
         opts=[opt("eligible_only", "--eligible-only", type=bool,
                   help="Only epics whose children are all closed")])
def _epic_status(ctx: Context, o: Values) -> int:
    store = ctx.store
    rows = store.graph(light=True).epic_status()
    if o.eligible_only:
        rows = [r for r in rows if r["eligible_for_close"]]
    epics = store.get_many([r["id"] for r in rows])
    if ctx.json:
        ctx.out.json([{"epic": out.issue_json(epics[r["id"]]),
                       "total_children": r["total_children"],
                       "closed_children": r["closed_children"],
                       "eligible_for_close": r["eligible_for_close"]} for r in rows])
        return 0
    if not rows:
        ctx.out.line("No open epics")
    for r in rows:
        epic = epics[r["id"]]
        total, closed = r["total_children"], r["closed_children"]
        pct = int(100 * closed / total) if total else 0
        mark = " ✓ ready to close" if r["eligible_for_close"] else ""
        ctx.out.line(f"{epic['id']} {epic.get('title', '')}: {closed}/{total} children closed "
                     f"({pct}%){mark}")
    return 0
