"""create, q, update, close, reopen, defer, undefer, delete, show."""

from __future__ import annotations

import os
import sys

from bd.cli import Context
from bd.cli import output as out
from bd.cli import output_links as out_links
from bd.cli.issue_extras import _check_template, _foreign, _route
from bd.cli.registry import Values, arg, command, opt
from bd.core import model
from bd.errors import BdError, UsageError
from bd.store.details import details

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_PRIO_HELP = "Priority 0-4 or P0-P4 (0 = critical)"


def _read_text(value: str | None, path: str | None) -> str | None:
    """A text option's value, or a file's or stdin's text ('-'); bytes that are not UTF-8
    become U+FFFD, as in arguments (bd.cli._text)."""
    if path and path != "-":
        from bd.store import inputs

        return inputs.read_text(path)
    if path or value == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("'-' reads from stdin, but stdin is a terminal")
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    return value


def _touch(ctx: Context, rid: str) -> None:
    ctx.store.set_last_touched(rid)


def _last_touched(ctx: Context) -> str:
    rid = ctx.store.last_touched()
    if not rid:
        raise UsageError("no issue ID provided and no last touched issue")
    return rid


def resolve_all(ctx: Context, ids: list[str]) -> list[str]:
    """Resolve every id up front so a bad one fails the command before anything changes."""
    return [ctx.store.resolve(i) for i in ids]


@command("create", "Create a new issue", aliases=("new",), args=[arg("title", "?")], opts=[
    opt("title_opt", "--title", help="Title (alternative to the positional argument)"),
    opt("file", "-f", "--file", help="Create issues from a markdown file (## Title sections)"),
    opt("priority", "-p", "--priority", default="2", help=_PRIO_HELP),
    opt("type", "-t", "--type", default="task", help="Issue type (bug, feature, task, epic, "
        "chore, ...)", choices="type"),
    opt("description", "-d", "--description", "--body", help="Description ('-' reads stdin)"),
    opt("body_file", "--body-file", "--description-file", help="Read the description from a file"),
    opt("design", "--design", default=""), opt("acceptance", "--acceptance", default=""),
    opt("notes", "--notes", default=""), opt("assignee", "-a", "--assignee"),
    opt("external_ref", "--external-ref", help="External reference (e.g. gh-9, jira-ABC)"),
    opt("labels", "-l", "--labels", "--label", multiple=True, help="Labels (comma list)"),
    opt("id", "--id", help="Explicit issue id"),
    opt("parent", "--parent", help="Parent issue id: creates child id P.N"),
    opt("deps", "--deps", multiple=True, help="Dependencies: 'type:id' or 'id' (blocks); "
        "repeatable, or a comma list"),
    opt("waits_for", "--waits-for", help="Spawner id this issue waits for"),
    opt("waits_for_gate", "--waits-for-gate", default="all-children",
        help="all-children or any-children"),
    opt("due", "--due", help="Due time (+6h, tomorrow, 2025-01-15)"),
    opt("defer", "--defer", help="Hide from ready until this time"),
    opt("estimate", "-e", "--estimate", type=int, help="Estimate in minutes"),
    opt("ephemeral", "--ephemeral", type=bool, help="Ephemeral issue (hidden from ready)"),
    opt("force", "--force", type=bool, help="Bypass the id prefix check; accept a custom "
        "dependency type in --deps"),
    opt("silent", "--silent", type=bool, help="Print only the id"),
    opt("repo", "--repo", metavar="PATH",
        help="Create the issue in the workspace at PATH (another repository's .beads)"),
    opt("prefix", "--prefix", metavar="PREFIX",
        help="Create the issue in the workspace routed for PREFIX (.beads/routes.jsonl)"),
    opt("validate", "--validate", type=bool,
        help="Refuse a description without the sections the type requires (see bd lint); "
             "config validation.on-create warn|error does the same for every create"),
])
def _create(ctx: Context, o: Values) -> int:
    if o.file:
        return _create_from_file(ctx, o)
    title = o.title
    if o.title_opt is not None:
        if title is not None and title != o.title_opt:
            raise UsageError("cannot specify different titles as both positional argument "
                             "and --title flag")
        title = o.title_opt
    if not title:
        raise UsageError("title required (or use --file to create from markdown)")
    if o.description is not None and o.body_file:
        raise UsageError("cannot use both --description and --body-file")
    description = _read_text(o.description, o.body_file) or ""
    quiet = o.silent or ctx.quiet or ctx.json
    if not quiet:
        if title.lower().startswith("test"):
            ctx.out.warn("Creating issue with 'Test' prefix in production database.")
        if not description and "test" not in title.lower():
            ctx.out.warn("Creating issue without description.")
    _route(ctx, o)
    _check_template(ctx, o, description)
    from bd.ops import issues as ops

    rec = ops.create(
        ctx.store, title, description=description, issue_type=o.type,
        priority=model.parse_priority(o.priority), assignee=o.assignee, design=o.design,
        acceptance=o.acceptance, notes=o.notes, external_ref=o.external_ref, labels=o.labels,
        deps=o.deps, parent=o.parent, explicit_id=o.id, due=o.due, defer=o.defer,
        estimate=o.estimate, ephemeral=o.ephemeral, force=o.force, waits_for=o.waits_for,
        waits_for_gate=o.waits_for_gate)
    _touch(ctx, rec["id"])
    from bd.core.choices import BLOCKING_DEP_TYPES, DEP_TYPES

    for dep in rec.get("dependencies") or []:
        if dep.get("type") not in DEP_TYPES and not o.silent:
            ctx.out.warn(f"'{dep.get('type')}' is a custom dependency type: it does not block "
                         f"(only {', '.join(BLOCKING_DEP_TYPES)} do)")
    if ctx.json:
        ctx.out.json(out.issue_json(rec))
    elif o.silent or ctx.quiet:  # -q: the new id is the answer, the rest is confirmation
        ctx.out.result(rec["id"])
    else:
        ctx.out.line(f"✓ Created issue: {rec['id']}")
        ctx.out.line(f"  Title: {rec['title']}")
        ctx.out.line(f"  Priority: P{rec['priority']}")
        ctx.out.line(f"  Status: {rec['status']}")
    return 0


def _create_from_file(ctx: Context, o: Values) -> int:
    """``## Title`` per issue with optional ``### Priority/Type/Description/...`` sections."""
    from bd.ops import markdown
    from bd.store import inputs

    if o.title or o.title_opt:
        raise UsageError("cannot specify both a title and --file")
    if not o.file.endswith((".md", ".markdown")):
        raise UsageError(f"--file must be a markdown file (.md or .markdown): {o.file}")
    created = markdown.create_from_markdown(
        ctx.store, inputs.read_text(o.file), issue_type=o.type, priority=o.priority,
        assignee=o.assignee, labels=o.labels)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in created])
    else:
        for rec in created:
            ctx.out.line(rec["id"] if o.silent else f"✓ Created issue: {rec['id']} "
                         f"- {rec['title']}")
    return 0


@command("q", "Quick capture: create an issue and print only its id", args=[arg("title", "+")],
         opts=[opt("priority", "-p", "--priority", default="2", help=_PRIO_HELP),
               opt("type", "-t", "--type", default="task", help="Issue type",
                   choices="type"),
               opt("labels", "-l", "--labels", multiple=True)])
def _q(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    rec = ops.create(ctx.store, " ".join(o.title), issue_type=o.type,
                     priority=model.parse_priority(o.priority), labels=o.labels)
    _touch(ctx, rec["id"])
    ctx.out.json({"id": rec["id"]}) if ctx.json else ctx.out.result(rec["id"])
    return 0


_UPDATE_FIELDS = (("status", "status"), ("title", "title"), ("type", "issue_type"),
                  ("assignee", "assignee"), ("design", "design"), ("notes", "notes"),
                  ("acceptance", "acceptance_criteria"), ("external_ref", "external_ref"),
                  ("estimate", "estimated_minutes"), ("due", "due_at"),
                  ("defer", "defer_until"), ("await_id", "await_id"))


@command("update", "Update one or more issues", args=[arg("ids", "*")], opts=[
    opt("status", "-s", "--status", help="New status", choices="status"),
    opt("priority", "-p", "--priority", help=_PRIO_HELP),
    opt("title", "--title", help="New title"),
    opt("type", "-t", "--type", help="New issue type", choices="type"),
    opt("assignee", "-a", "--assignee"),
    opt("description", "-d", "--description", "--body"),
    opt("body_file", "--body-file", "--description-file"),
    opt("design", "--design"), opt("notes", "--notes"),
    opt("append_notes", "--append-notes", help="Append a paragraph to the notes"),
    opt("acceptance", "--acceptance", "--acceptance-criteria"),
    opt("external_ref", "--external-ref"), opt("estimate", "-e", "--estimate", type=int),
    opt("add_label", "--add-label", multiple=True), opt("remove_label", "--remove-label",
                                                        multiple=True),
    opt("set_labels", "--set-labels", multiple=True),
    opt("parent", "--parent", help="New parent id ('' removes the parent)"),
    opt("claim", "--claim", type=bool, help="Atomically claim: assignee=you, in_progress; "
        "fails if already claimed"),
    opt("sync", "--sync", type=bool, help="With --claim: claim through the git remote, so "
        "the claim holds across clones (syncs, then pushes the claim; exit 1 naming the "
        "holder if another clone has it)"),
    opt("due", "--due"), opt("defer", "--defer", help="Defer until ('' clears)"),
    opt("session", "--session",
        help="Session id recorded as closed_by_session (with --status closed; default "
             "$CLAUDE_SESSION_ID)"),
    opt("await_id", "--await-id", help="Id of what a gate issue waits on"),
])
def _update(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    given = o._given
    if "notes" in given and "append_notes" in given:
        raise UsageError("--notes and --append-notes cannot be used together (--notes "
                         "replaces the notes, --append-notes adds to them)")
    if o.sync:
        return _claim_through_remote(ctx, o)
    changes: dict[str, Any] = {}
    for dest, key in _UPDATE_FIELDS:
        if dest in given:
            changes[key] = o[dest]
    if "priority" in given:
        changes["priority"] = model.parse_priority(o.priority)
    if "description" in given or "body_file" in given:
        changes["description"] = _read_text(o.description, o.body_file) or ""
    if o.session and changes.get("status") != "closed":
        raise UsageError("--session applies only with --status closed")
    session = o.session or os.environ.get("CLAUDE_SESSION_ID")
    if session and changes.get("status") == "closed":
        changes["closed_by_session"] = session
    if not (changes or o.claim or o.add_label or o.remove_label or "set_labels" in given
            or "parent" in given or o.append_notes):
        if ctx.json:
            ctx.out.json([])  # nothing updated: still JSON
        else:
            ctx.out.line("No updates specified")
        return 0
    ids = resolve_all(ctx, o.ids or [_last_touched(ctx)])
    done, failed, errors = [], 0, []
    for rid in ids:
        try:
            if o.append_notes:
                old = ctx.store.get(rid).get("notes") or ""
                changes["notes"] = (old + "\n\n" if old else "") + o.append_notes
            rec = ops.update(ctx.store, rid, changes, add_labels=model.split_list(o.add_label),
                             remove_labels=model.split_list(o.remove_label),
                             set_labels=(model.split_list(o.set_labels)
                                         if "set_labels" in given else None),
                             parent=o.parent if "parent" in given else None, claim=o.claim)
            done.append(rec)
            _touch(ctx, rid)
        except BdError as exc:
            failed += 1
            if len(ids) == 1:
                raise
            ctx.out.error(f"updating {rid}: {exc}")
            errors.append(f"updating {rid}: {exc}")
    if ctx.json:
        if done:
            ctx.out.json([out.issue_json(r) for r in done])
        elif errors:  # --json always answers with JSON: every update failed
            raise BdError("; ".join(errors))
    else:
        for rec in done:
            ctx.out.line(f"✓ Updated issue: {rec['id']}")
    return 1 if failed else 0


def _claim_through_remote(ctx: Context, o: Values) -> int:
    from bd.git.claim import claim_through_remote
    from bd.store.workspace import main_beads_dir

    others = sorted(set(o._given) - {"sync", "claim", "ids"})
    if not o.claim or others:
        raise UsageError("--sync goes with --claim alone (bd update ID --claim --sync); "
                         "make other changes with a separate bd update")
    ids = resolve_all(ctx, o.ids or [_last_touched(ctx)])
    main = main_beads_dir(db=ctx.flags.get("db"))
    done = []
    for rid in ids:
        try:
            result = claim_through_remote(main, rid, actor=ctx.store.actor)
        except BdError as exc:  # what the sync on the way learned is news all the same
            report = getattr(exc, "report", None)
            for line in out.outcome_lines(report.to_dict()) if report is not None else ():
                ctx.out.note(line)
            raise
        done.append(result)
        _touch(ctx, rid)
    if ctx.json:
        for r in done:  # the array is the update contract; what the sync settled -> stderr
            for line in out.outcome_lines(r.report.to_dict()):
                ctx.out.note(line)
        ctx.out.json([out.issue_json(r.record) for r in done])
        return 0
    for r in done:
        for line in out.outcome_lines(r.report.to_dict()):
            ctx.out.line(line)
        ctx.out.line(f"✓ Claimed {r.record['id']} through {r.remote} "
                     f"({r.attempts} push{'es' if r.attempts > 1 else ''})")
    return 0


@command("close", "Close one or more issues", args=[arg("ids", "*")], opts=[
    opt("reason", "-r", "--reason", "--resolution", default="Closed", help="Close reason"),
    opt("force", "-f", "--force", type=bool, help="Close pinned issues too"),
    opt("suggest_next", "--suggest-next", type=bool, help="Show issues this close unblocked"),
    opt("continue_", "--continue", type=bool,
        help="Molecule step: move on to the next ready step (claimed for you)"),
    opt("no_auto", "--no-auto", type=bool,
        help="With --continue: show the next step but do not claim it"),
    opt("session", "--session", help="Session id recorded as closed_by_session (default "
        "$CLAUDE_SESSION_ID)"),
])
def _close(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops
    from bd.store.queries import ReadyFilter

    if o.no_auto and not o.continue_:
        raise UsageError("--no-auto goes with --continue")
    if o.continue_:
        if o.suggest_next:
            raise UsageError("--continue already shows the next step: drop --suggest-next")
        from bd.cli.cmd_mol import close_continue

        return close_continue(ctx, o, resolve_all(ctx, o.ids or [_last_touched(ctx)]))
    ids = resolve_all(ctx, o.ids or [_last_touched(ctx)])
    before = {r["id"] for r in ctx.store.ready(ReadyFilter(limit=0))} if o.suggest_next else set()
    already: list[str] = []
    closed = ops.close(ctx.store, ids, o.reason, force=o.force,
                       session=o.session or os.environ.get("CLAUDE_SESSION_ID"),
                       already=already)
    unblocked = []
    if o.suggest_next:
        unblocked = [r for r in ctx.store.ready(ReadyFilter(limit=0))
                     if r["id"] not in before and r["id"] not in ids]
    if ctx.json:
        for rid in already:  # the rows are unchanged records; say why on stderr
            ctx.out.note(f"{rid} is already closed; nothing changed")
        rows = [out.issue_json(r) for r in closed]
        # --suggest-next decides the shape (never the data): {"closed", "unblocked"}.
        ctx.out.json({"closed": rows, "unblocked": [out.issue_json(r) for r in unblocked]}
                     if o.suggest_next else rows)
    else:
        for rec in closed:
            if rec["id"] in already:
                ctx.out.line(f"{rec['id']} is already closed"
                             + (f" ({rec['close_reason']})" if rec.get("close_reason") else "")
                             + "; nothing changed")
            else:
                ctx.out.line(f"✓ Closed {rec['id']}: {rec.get('close_reason') or o.reason}")
        if unblocked:
            ctx.out.line("\nNewly unblocked:")
            for rec in unblocked:
                ctx.out.line(f"  • {rec['id']} \"{rec['title']}\" (P{model.priority_of(rec)})")
    return 0


@command("reopen", "Reopen closed issues", args=[arg("ids", "+")],
         opts=[opt("reason", "-r", "--reason", help="Why it is reopened")])
def _reopen(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    recs = ops.reopen(ctx.store, resolve_all(ctx, o.ids), o.reason)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in recs])
    else:
        for rec in recs:
            ctx.out.line(f"↻ Reopened {rec['id']}" + (f": {o.reason}" if o.reason else ""))
    return 0


@command("defer", "Defer issues (hidden from ready until undeferred or --until)",
         args=[arg("ids", "+")], opts=[opt("until", "--until", help="Time expression")])
def _defer(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    recs = ops.defer(ctx.store, resolve_all(ctx, o.ids), o.until)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in recs])
    else:
        for rec in recs:
            ctx.out.line(f"* Deferred {rec['id']}")
    return 0


@command("undefer", "Return deferred issues to open", args=[arg("ids", "+")])
def _undefer(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    recs = ops.defer(ctx.store, resolve_all(ctx, o.ids), undo=True)
    if ctx.json:
        ctx.out.json([out.issue_json(r) for r in recs])
    else:
        for rec in recs:
            ctx.out.line(f"* Undeferred {rec['id']} (now open)")
    return 0


@command("delete", "Delete issues (tombstones; preview unless --force)", args=[arg("ids", "*")],
         opts=[opt("force", "-f", "--force", type=bool, help="Really delete"),
               opt("cascade", "--cascade", type=bool, help="Also delete dependents"),
               opt("dry_run", "--dry-run", type=bool, help="Preview only"),
               opt("hard", "--hard", type=bool,
                   help="Remove the issues from the JSONL instead of keeping tombstones "
                        "(the deletion then cannot propagate to other clones)"),
               opt("reason", "--reason", default="delete"),
               opt("from_file", "--from-file", help="Read ids from a file, one per line")])
def _delete(ctx: Context, o: Values) -> int:
    from bd.ops import delete as delete_ops

    ids = list(o.ids)
    if o.from_file:
        from bd.store import inputs

        ids += inputs.read_ids(o.from_file)
    if not ids:
        raise UsageError("no issue ids given")
    result = delete_ops.delete(ctx.store, ids, force=o.force and not o.dry_run,
                               cascade=o.cascade, reason=o.reason, hard=o.hard)
    if o.hard and not result.get("preview"):
        ctx.out.warn("--hard kept no tombstones: other clones still have these issues and "
                     "a sync or merge can bring them back")
    if ctx.json:
        ctx.out.json(result)
    elif result.get("preview"):
        ctx.out.line(f"Would delete {out.plural(len(result['deleted']), 'issue')}: "
                     f"{' '.join(result['deleted'])}")
        if result["orphaned_issues"]:
            ctx.out.line("Issues that depend on them: " + " ".join(result["orphaned_issues"]))
        ctx.out.line("Run again with --force to delete.")
    else:
        for rid in result["deleted"]:
            ctx.out.line(f"✓ Deleted {rid}")
        ctx.out.line(f"  Dependencies removed: {result['dependencies_removed']}, "
                     f"references updated: {result['references_updated']}")
    return 0


@command("show", "Show issue details", args=[arg("ids", "+")], opts=[
    opt("short", "--short", type=bool, help="One line per issue"),
    opt("refs", "--refs", type=bool, help="Issues referring to each issue, by dependency type"),
    opt("thread", "--thread", type=bool,
        help="The message thread (replies-to links) the issue belongs to"),
])
def _show(ctx: Context, o: Values) -> int:
    from bd.store import relations

    store = ctx.store
    foreign = _foreign(ctx, o)
    if foreign is not None:
        return foreign
    ids = resolve_all(ctx, o.ids)
    if o.refs and o.thread:
        raise UsageError("--refs and --thread cannot be combined")
    if o.refs:
        found = {rid: relations.refs(store, rid) for rid in ids}
        if ctx.json:
            ctx.out.json({rid: [out_links.ref_json(r) for r in rows]
                          for rid, rows in found.items()})
        else:
            for rid, rows in found.items():
                for line in out_links.refs_lines(rid, rows):
                    ctx.out.line(line)
        return 0
    if o.thread:
        threads = [relations.thread(store, rid) for rid in ids]
        if ctx.json:
            ctx.out.json([out.issue_json(m) for t in threads for m in t["messages"]])
        else:
            for t in threads:
                for line in out_links.thread_lines(t):
                    ctx.out.line(line)
        return 0
    shown = [details(store, rid, events=not ctx.json, unresolved=not ctx.json) for rid in ids]
    _touch(ctx, ids[-1])
    if ctx.json:
        for d in shown:
            d.pop("_events", None)
        ctx.out.json(shown)
    elif o.short:
        for d in shown:
            ctx.out.line(out.short(d))
    else:
        for n, d in enumerate(shown):
            if n:
                ctx.out.line("─" * 60)
            for line in out.details(d):
                ctx.out.line(line)
    return 0
