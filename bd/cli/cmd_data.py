"""export and import."""

from __future__ import annotations

import os
import sys

from bd.cli import Context
from bd.cli import output as out
from bd.cli.cmd_views import _FILTERS, list_filter
from bd.cli.console import plural
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

_EXPORT_FILTERS = ("priority", "priority_min", "priority_max", "assignee", "type", "label",
                   "label_any", "created_after", "created_before", "updated_after",
                   "updated_before")


@command("export", "Export issues as JSONL (stdout by default), or as an Obsidian changes log",
         opts=[
    opt("format", "-f", "--format", default="jsonl",
        help="jsonl, or obsidian (a Tasks-plugin checklist; default file "
             "ai_docs/changes-log.md)", choices=("jsonl", "obsidian")),
    opt("output", "-o", "--output", help="Output file"),
    opt("status", "-s", "--status", help="Only this status", choices="status-filter"),
    opt("force", "--force", type=bool, help="Overwrite even if issues would be dropped"),
    *[o for o in _FILTERS if o.dest in _EXPORT_FILTERS],
])
def _export(ctx: Context, o: Values) -> int:
    from bd.ops import transfer
    from bd.store.jsonl import atomic_write

    store = ctx.store
    status = None if o.status == "all" else o.status
    only = None
    if any(o[d] for d in _EXPORT_FILTERS):
        f = list_filter(store, Values({**o, "status": o.status or "all"}), limit=0)
        only = {r["id"] for r in store.list(f)}
    if o.format == "obsidian":
        from bd.core import obsidian
        from bd.core.codec import Lines

        raw = transfer.export_bytes(store, status=status, only=only)
        recs = [store.get(rid) for rid in Lines("<export>", raw).ids]
        text = obsidian.render(recs)
        path = o.output or os.path.join(os.path.dirname(store.beads_dir),
                                        obsidian.DEFAULT_OUTPUT)
        if path == "-":
            sys.stdout.write(text)
            return 0
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
        if ctx.json:
            ctx.out.json({"success": True, "exported": len(recs), "format": "obsidian",
                          "output_file": path})
        else:
            ctx.out.note(f"Exported {len(recs)} issues to {path}")
        return 0
    if not o.output:  # streamed: a 100,000-issue export holds one line at a time
        sys.stdout.flush()
        write = sys.stdout.buffer.write
        for line in transfer.export_lines(store, status=status, progress=ctx.progress(),
                                          only=only):
            write(line)
        return 0
    data = transfer.export_bytes(store, status=status, progress=ctx.progress(), only=only)
    count = data.count(b"\n")
    if o.output:
        transfer.check_export_target(o.output, data, o.force)
        atomic_write(o.output, data)
        stats = {"success": True, "exported": count, "skipped": 0, "total_issues": count,
                 "output_file": o.output}
        if ctx.json:
            ctx.out.json(stats)
        else:
            ctx.out.note(f"Exported {out.plural(count, 'issue')} to {o.output}")
    return 0


@command("import", "Import issues from JSONL, merging by id", args=[arg("extra", "*")], opts=[
    opt("input", "-i", "--input", help="Input file (default: stdin)"),
    opt("skip_existing", "-s", "--skip-existing", type=bool),
    opt("dry_run", "--dry-run", type=bool), opt("force", "--force", type=bool,
                                                help="Accept ids with other prefixes"),
    opt("strict", "--strict", type=bool,
        help="Fail when a dependency points at an issue that exists nowhere"),
    opt("rename_on_import", "--rename-on-import", type=bool,
        help="Give issues with another prefix this database's prefix (references follow)"),
    opt("orphan_handling", "--orphan-handling", metavar="MODE",
        help="A child whose parent is missing: strict (fail), resurrect (recreate the "
             "parent, closed), skip, allow (default: config import.orphan_handling or allow)"),
    opt("dedupe_after", "--dedupe-after", type=bool,
        help="Report groups of issues with identical content after the import"),
    opt("clear_duplicate_external_refs", "--clear-duplicate-external-refs", type=bool,
        help="Keep the first of issues sharing an external_ref, clear it on the others "
             "(default: refuse the import)"),
    opt("no_git_history", "--no-git-history", type=bool,
        help="Compatibility: bd never deletes issues because of git history, so this "
             "always holds"),
    opt("protect_left_snapshot", "--protect-left-snapshot", type=bool,
        help="Compatibility: bd never deletes issues because of git history, so local "
             "issues are always protected"),
])
def _import(ctx: Context, o: Values) -> int:
    from bd.ops import import_options, transfer

    if o.extra:
        raise UsageError(f"import takes no positional arguments; did you mean: "
                         f"bd import -i {o.extra[0]}")
    if o.input and o.input != "-":
        from bd.store import inputs

        data, name = inputs.read_bytes(o.input), o.input
    else:
        if sys.stdin.isatty():
            raise UsageError("no input: use -i FILE or pipe JSONL on stdin")
        data, name = sys.stdin.buffer.read(), "<stdin>"
    records = transfer.parse_input(data, name, progress=ctx.progress())
    store = ctx.store
    report = import_options.prepare(
        store, records, rename_on_import=o.rename_on_import,
        orphan_handling=import_options.orphan_mode(store, o.orphan_handling),
        strict=o.strict, clear_duplicate_external_refs=o.clear_duplicate_external_refs)
    counts = transfer.import_records(store, records, dry_run=o.dry_run,
                                     skip_existing=o.skip_existing, force=o.force,
                                     progress=ctx.progress())
    counts["skipped"] += len(report["orphans_skipped"])
    duplicates = None
    if o.dedupe_after:
        from bd.ops.maintenance import duplicate_groups

        duplicates = duplicate_groups(store.all_records())
    if ctx.json:
        doc: dict[str, object] = {**counts, "dry_run": bool(o.dry_run)}
        for key in ("renamed", "orphans_skipped", "parents_resurrected",
                    "external_refs_cleared"):
            if report[key]:
                doc[key] = report[key]
        if duplicates is not None:
            doc["duplicate_groups"] = duplicates
        ctx.out.json(doc)
    else:
        extra = "".join(f", {counts[k]} {k}" for k in ("unchanged", "skipped") if counts[k])
        prefix = "Dry run: would import" if o.dry_run else "Import complete:"
        ctx.out.note(f"{prefix} {counts['created']} created, {counts['updated']} updated{extra}")
        if report["renamed"]:
            ctx.out.note(f"Renamed {plural(len(report['renamed']), 'issue')} to prefix "
                         f"'{store.prefix}-'")
        if report["orphans_skipped"]:
            ctx.out.note("Skipped orphans (parent missing): "
                         + ", ".join(report["orphans_skipped"]))
        if report["parents_resurrected"]:
            ctx.out.note("Recreated missing parents (closed): "
                         + ", ".join(report["parents_resurrected"]))
        if report["external_refs_cleared"]:
            ctx.out.note("Cleared duplicate external_ref on: "
                         + ", ".join(report["external_refs_cleared"]))
        if duplicates is not None:
            ctx.out.note("\n=== Post-Import Duplicate Detection ===\n"
                         + (f"Found {len(duplicates)} duplicate group(s)" if duplicates
                            else "No duplicates found."))
            for group in duplicates:
                ctx.out.note(f"  {group[0]} ← {', '.join(group[1:])} "
                             f"(bd duplicates --auto-merge merges them)")
    return 0
