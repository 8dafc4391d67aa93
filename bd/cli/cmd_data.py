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
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    return 0


@command("import", "Import issues from JSONL, merging by id", args=[arg("extra", "*")], opts=[
    opt("input", "-i", "--input", help="Input file (default: stdin)"),
    opt("skip_existing", "-s", "--skip-existing", type=bool),
    opt("dry_run", "--dry-run", type=bool), opt("force", "--force", type=bool,
                                                help="Accept ids with other prefixes"),
    opt("strict", "--strict", type=bool, hidden=True),
    opt("rename_on_import", "--rename-on-import", type=bool, hidden=True),
    opt("orphan_handling", "--orphan-handling", hidden=True),
    opt("no_git_history", "--no-git-history", type=bool, hidden=True),
    opt("protect_left_snapshot", "--protect-left-snapshot", type=bool, hidden=True),
])
def _import(ctx: Context, o: Values) -> int:
    from bd.ops import transfer

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
    counts = transfer.import_records(ctx.store, records, dry_run=o.dry_run,
                                     skip_existing=o.skip_existing, force=o.force,
                                     progress=ctx.progress())
    if ctx.json:
        ctx.out.json({**counts, "dry_run": bool(o.dry_run)})
    else:
        extra = "".join(f", {counts[k]} {k}" for k in ("unchanged", "skipped") if counts[k])
        prefix = "Dry run: would import" if o.dry_run else "Import complete:"
        ctx.out.note(f"{prefix} {counts['created']} created, {counts['updated']} updated{extra}")
    return 0
