"""export and import."""

from __future__ import annotations

import sys

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError


@command("export", "Export issues as JSONL (stdout by default)", opts=[
    opt("format", "-f", "--format", default="jsonl", help="Output format (jsonl)",
        choices=("jsonl",)),
    opt("output", "-o", "--output", help="Output file"),
    opt("status", "-s", "--status", help="Only this status", choices="status-filter"),
    opt("force", "--force", type=bool, help="Overwrite even if issues would be dropped"),
])
def _export(ctx: Context, o: Values) -> int:
    from bd.ops import transfer
    from bd.store.jsonl import atomic_write

    if o.format != "jsonl":
        raise UsageError(f"unsupported export format {o.format!r} (jsonl)")
    status = None if o.status == "all" else o.status
    if not o.output:  # streamed: a 100,000-issue export holds one line at a time
        sys.stdout.flush()
        write = sys.stdout.buffer.write
        for line in transfer.export_lines(ctx.store, status=status, progress=ctx.progress()):
            write(line)
        return 0
    data = transfer.export_bytes(ctx.store, status=status, progress=ctx.progress())
    count = data.count(b"\n")
    if o.output:
        transfer.check_export_target(o.output, data, o.force)
        atomic_write(o.output, data)
        stats = {"success": True, "exported": count, "skipped": 0, "total_issues": count,
                 "output_file": o.output}
        if ctx.json:
            ctx.out.json(stats)
        else:
            ctx.out.note(f"Exported {count} issues to {o.output}")
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
            ctx.out.note(f"Renamed {len(report['renamed'])} issue(s) to prefix "
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
