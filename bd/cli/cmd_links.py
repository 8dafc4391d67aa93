"""dep (add/remove/list/tree/cycles/relate/unrelate), label and comments."""

from __future__ import annotations

import os

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _warn_custom_dep(ctx: Context, dep_type: str) -> None:
    from bd.core.choices import BLOCKING_DEP_TYPES, DEP_TYPES

    if dep_type not in DEP_TYPES:
        ctx.out.warn(f"'{dep_type}' is a custom dependency type: it does not block (only "
                     f"{', '.join(BLOCKING_DEP_TYPES)} do)")


def _target(ctx: Context, raw: str) -> str:
    return raw if raw.startswith("external:") else ctx.store.resolve(raw)


@command("dep add", "Add a dependency: ISSUE depends on DEPENDS_ON",
         args=[arg("issue"), arg("depends_on", "?")],
         opts=[opt("type", "-t", "--type", default="blocks", help="Dependency type: blocks, "
                   "related, parent-child, discovered-from, conditional-blocks, waits-for, ...",
                   choices="dep-type"),
               opt("blocked_by", "--blocked-by", help="The issue ISSUE depends on (instead of "
                   "DEPENDS_ON)"),
               opt("depends_on_opt", "--depends-on", help="Same as --blocked-by"),
               opt("force", "--force", type=bool, help="Accept a dependency type outside the "
                   "known set (it does not block)")])
def _dep_add(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    other = o.depends_on or o.blocked_by or o.depends_on_opt
    if not other:
        raise UsageError("missing argument DEPENDS_ON")
    a, b = ctx.store.resolve(o.issue), _target(ctx, other)
    result = ops.add_dependency(ctx.store, a, b, o.type, force=o.force)
    _warn_custom_dep(ctx, o.type)
    if ctx.json:
        ctx.out.json(result)
    else:
        ctx.out.line(f"✓ Added dependency: {a} depends on {b} ({o.type})")
    return 0


@command("dep", "Shortcut: 'bd dep X --blocks Y' (X blocks Y)", args=[arg("blocker")],
         opts=[opt("blocks", "-b", "--blocks", help="The issue that X blocks")])
def _dep_blocks(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    if not o.blocks:
        raise UsageError("'bd dep' needs a subcommand (add, remove, list, tree, cycles, "
                         "relate) or --blocks")
    x, y = ctx.store.resolve(o.blocker), ctx.store.resolve(o.blocks)
    ops.add_dependency(ctx.store, y, x, "blocks")
    if ctx.json:
        ctx.out.json({"status": "added", "blocker_id": x, "blocked_id": y, "type": "blocks"})
    else:
        ctx.out.line(f"✓ Added dependency: {x} blocks {y}")
    return 0


@command("dep remove", "Remove a dependency", aliases=("dep rm",),
         args=[arg("issue"), arg("depends_on")],
         opts=[opt("type", "-t", "--type", help="Only edges of this type", choices="dep-type")])
def _dep_remove(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    a, b = ctx.store.resolve(o.issue), _target(ctx, o.depends_on)
    result = ops.remove_dependency(ctx.store, a, b, o.type)
    if ctx.json:
        ctx.out.json(result)
    else:
        ctx.out.line(f"✓ Removed dependency: {a} no longer depends on {b}")
    return 0


@command("dep list", "List dependencies (down) or dependents (up)", args=[arg("id")],
         opts=[opt("direction", "--direction", default="down", help="down or up",
                   choices=("down", "up")),
               opt("type", "-t", "--type", choices="dep-type")])
def _dep_list(ctx: Context, o: Values) -> int:
    store = ctx.store
    rid = store.resolve(o.id)
    if o.direction not in ("down", "up"):
        raise UsageError("--direction must be down or up")
    if o.direction == "down":
        edges = [(d.get("depends_on_id"), d.get("type") or "blocks")
                 for d in store.get(rid).get("dependencies") or []]
    else:
        edges = store.dependents(rid)
    edges = [(i, t) for i, t in edges if not o.type or t == o.type]
    recs = store.get_many([i for i, _ in edges])
    rows = [{**out.issue_json(recs[i]), "dependency_type": t} for i, t in edges if i in recs]
    if ctx.json:
        ctx.out.json(rows)
    elif not rows:
        ctx.out.line(f"{rid} has no {'dependencies' if o.direction == 'down' else 'dependents'}")
    else:
        for row in rows:
            ctx.out.line(f"  {row['id']}: {row.get('title', '')} ({row['dependency_type']})")
    return 0


@command("dep tree", "Show the dependency tree of an issue", args=[arg("id")], opts=[
    opt("max_depth", "-d", "--max-depth", type=int, default=50),
    opt("direction", "--direction", default="down", help="down, up or both",
        choices=("down", "up", "both")),
    opt("reverse", "--reverse", type=bool, help="Same as --direction up"),
    opt("status", "--status", help="Only issues with this status (and the path to them)",
        choices="status-filter"),
    opt("type", "-t", "--type", help="Follow only dependencies of this type (blocks, "
        "parent-child, related, ...)", choices="dep-type"),
    opt("show_all_paths", "--show-all-paths", type=bool,
        help="Expand a node on every path that reaches it (default: once, then marked)"),
    opt("format", "--format", help="mermaid: a Mermaid flowchart instead of the tree",
        choices=("mermaid",))])
def _dep_tree(ctx: Context, o: Values) -> int:
    store = ctx.store
    rid = store.resolve(o.id)
    if o.max_depth < 1:
        raise UsageError("--max-depth must be >= 1")
    direction = "up" if o.reverse else o.direction
    if direction not in ("down", "up", "both"):
        raise UsageError("--direction must be down, up or both")
    if o.format not in (None, "mermaid"):
        raise UsageError(f"invalid format '{o.format}' (dep tree knows: mermaid)")
    if o.format and ctx.json:
        raise UsageError("--format mermaid prints a diagram: drop --json to get it")
    if o.status:
        store.check_status(o.status)
    if o.type is not None and not o.type.strip():
        raise UsageError("-t/--type needs a dependency type")
    nodes = store.tree(rid, direction=direction, max_depth=o.max_depth,
                       types=[o.type.strip()] if o.type else None,
                       all_paths=o.show_all_paths)
    if o.status:
        from bd.views.tree import filter_status

        nodes = filter_status(nodes, store.get_many(sorted({n["id"] for n in nodes})), o.status)
    recs = store.get_many(sorted({n["id"] for n in nodes}))
    if o.format:
        from bd.views.mermaid import render_tree

        for line in render_tree(nodes, recs, rid):
            ctx.out.line(line)
    elif ctx.json:
        ctx.out.json([{**out.issue_json(recs.get(n["id"], {"id": n["id"]})),
                       "depth": n["depth"], "parent_id": n["parent_id"],
                       "truncated": bool(n.get("truncated"))} for n in nodes])
    elif not nodes:
        ctx.out.line(f"No issues with status {o.status} in the tree of {rid}")
    else:
        for line in out.tree(nodes, recs):
            ctx.out.line(line)
    return 0


@command("dep cycles", "Detect dependency cycles")
def _dep_cycles(ctx: Context, o: Values) -> int:
    store = ctx.store
    cycles = store.graph(light=True).cycles()
    recs = store.get_many(sorted({i for c in cycles for i in c}))
    if ctx.json:
        ctx.out.json([[out.issue_json(recs[i]) for i in c if i in recs] for c in cycles])
    elif not cycles:
        ctx.out.line("✓ No dependency cycles detected")
    else:
        ctx.out.line(f"⚠ Found {out.plural(len(cycles), 'dependency cycle')}:")
        for n, c in enumerate(cycles, 1):
            ctx.out.line(f"{n}. Cycle involving:")
            for i in c:
                ctx.out.line(f"   - {i}: {recs.get(i, {}).get('title', '')}")
    return 0


def _relate(ctx: Context, o: Values, undo: bool) -> int:
    from bd.ops import issues as ops

    a, b = ctx.store.resolve(o.a), ctx.store.resolve(o.b)
    result = ops.relate(ctx.store, a, b, undo=undo)
    if ctx.json:
        ctx.out.json(result)
    else:
        ctx.out.line(f"✓ Unlinked {a} ↔ {b}" if undo else f"✓ Linked {a} ↔ {b}")
    return 0


command("dep relate", "Link two issues with relates-to (both directions)",
        aliases=("relate",), args=[arg("a"), arg("b")])(lambda c, o: _relate(c, o, False))
command("dep unrelate", "Remove a relates-to link", aliases=("unrelate",),
        args=[arg("a"), arg("b")])(lambda c, o: _relate(c, o, True))


def _label(ctx: Context, o: Values, remove: bool) -> int:
    from bd.ops import issues as ops

    if len(o.args) < 2:
        raise UsageError("usage: bd label add|remove ID... LABEL")
    *raw_ids, label = o.args
    ids = [ctx.store.resolve(i) for i in raw_ids]
    rows = ops.labels(ctx.store, ids, label, remove=remove)
    if ctx.json:
        ctx.out.json(rows)
    else:
        for row in rows:
            ctx.out.line(f"✓ Removed label '{label}' from {row['issue_id']}" if remove
                         else f"✓ Added label '{label}' to {row['issue_id']}")
    return 0


command("label add", "Add a label to issues: ID... LABEL",
        args=[arg("args", "+")])(lambda c, o: _label(c, o, False))
command("label remove", "Remove a label from issues: ID... LABEL",
        args=[arg("args", "+")])(lambda c, o: _label(c, o, True))


@command("label list", "List an issue's labels", args=[arg("id")])
def _label_list(ctx: Context, o: Values) -> int:
    rid = ctx.store.resolve(o.id)
    labels = sorted(ctx.store.get(rid).get("labels") or [])
    if ctx.json:
        ctx.out.json(labels)
    elif not labels:
        ctx.out.line(f"{rid} has no labels")
    else:
        ctx.out.line(f"🏷 Labels for {rid}:")
        for label in labels:
            ctx.out.line(f"  - {label}")
    return 0


@command("label list-all", "List all labels with counts")
def _label_all(ctx: Context, o: Values) -> int:
    rows = ctx.store.label_counts()
    if ctx.json:
        ctx.out.json(rows)
    else:
        ctx.out.line(f"🏷 All labels ({len(rows)} unique):")
        for row in rows:
            ctx.out.line(f"  {row['label']}  ({row['count']} issues)")
    return 0


@command("comments", "List an issue's comments", args=[arg("id")])
def _comments(ctx: Context, o: Values) -> int:
    from bd.core.timeutil import ts_key

    rid = ctx.store.resolve(o.id)
    comments = sorted(ctx.store.get(rid).get("comments") or [],
                      key=lambda c: ts_key(str(c.get("created_at", ""))) or 0)
    if ctx.json:
        ctx.out.json(comments)
    elif not comments:
        ctx.out.line(f"No comments on {rid}")
    else:
        ctx.out.line(f"Comments on {rid}:")
        for c in comments:
            ctx.out.line(f"[{c.get('author', '')}] {c.get('text', '')} at "
                         f"{out.human_time(c.get('created_at'))}")
    return 0


def _comment_add(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    text = o.text
    if o.file:
        from bd.store import inputs

        text = inputs.read_text(o.file)
    if not text:
        raise UsageError("comment text required (use -f to read from file)")
    author = (o.author or ctx.flags.get("actor") or os.environ.get("BD_ACTOR")
              or os.environ.get("USER") or "unknown")
    rid = ctx.store.resolve(o.id)
    comment: dict[str, Any] = ops.add_comment(ctx.store, rid, text, author)
    if ctx.json:
        ctx.out.json(comment)
    else:
        ctx.out.line(f"Comment added to {rid}")
    return 0


_COMMENT_POS = [arg("id"), arg("text", "?")]
_COMMENT_OPTS = [opt("file", "-f", "--file", help="Read the text from a file"),
                 opt("author", "-a", "--author", help="Author (default: actor)")]
command("comments add", "Add a comment to an issue", args=_COMMENT_POS,
        opts=_COMMENT_OPTS)(_comment_add)
command("comment", "Add a comment (deprecated alias of 'comments add')", hidden=True,
        args=_COMMENT_POS, opts=_COMMENT_OPTS)(_comment_add)
