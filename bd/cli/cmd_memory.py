"""admin compact, admin cleanup, restore, remember/recall/forget/memories and audit.

The work is in ``bd.memory``; these commands parse, make one library call and render.
"""

from __future__ import annotations

import sys

from bd.cli import Context
from bd.cli.console import plural
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError, UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _refuse_readonly(ctx: Context, what: str) -> None:
    if ctx.flags.get("readonly"):
        raise BdError(f"operation '{what}' is not allowed in read-only mode")


def _read(path: str) -> str:
    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("'-' reads from stdin, but stdin is a terminal")
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    from bd.store import inputs

    return inputs.read_text(path)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


# -- admin compact ---------------------------------------------------------------------------


@command("admin compact", "Compact old closed issues: summarise their long text (the full "
         "record stays in git; bd restore brings it back)", aliases=("compact",), opts=[
    opt("stats", "--stats", type=bool, help="Candidates per tier and the bytes they hold"),
    opt("analyze", "--analyze", type=bool,
        help="Agent mode: print candidates with their full text (no network)"),
    opt("apply", "--apply", type=bool,
        help="Agent mode: write the summary given with --summary to the issue --id"),
    opt("auto", "--auto", type=bool,
        help="Summarise with an LLM (Anthropic API, needs beads-py[ai] and ANTHROPIC_API_KEY)"),
    opt("prune", "--prune", type=bool,
        help="Remove tombstones older than --older-than days (default: the tombstone TTL)"),
    opt("purge_tombstones", "--purge-tombstones", type=bool,
        help="Remove every tombstone no open issue depends on, whatever its age"),
    opt("older_than", "--older-than", type=int, metavar="DAYS",
        help="With --prune: tombstones deleted more than DAYS days ago (0: all)"),
    opt("id", "--id", help="The issue to analyze, apply or auto-compact"),
    opt("summary", "--summary", metavar="FILE", help="With --apply: the summary file ('-': stdin)"),
    opt("tier", "--tier", type=int, default=1, help="Compaction tier: 1 (30+ days closed) or "
        "2 (90+ days, already tier 1)"),
    opt("limit", "--limit", type=int, default=0, help="With --analyze: at most N candidates"),
    opt("all", "--all", type=bool, help="With --auto: every candidate"),
    opt("force", "--force", type=bool,
        help="Skip the eligibility, size and committed-to-git checks"),
    opt("dry_run", "--dry-run", type=bool, help="Preview; change nothing"),
    opt("workers", "--workers", type=int, default=5, help="With --auto: parallel LLM calls"),
    opt("batch_size", "--batch-size", type=int, default=10,
        help="With --auto: issues per batch; each batch is written as soon as it is done"),
])
def _compact(ctx: Context, o: Values) -> int:
    from bd.memory import compact

    store = ctx.store
    modes = [m for m in ("stats", "prune", "purge_tombstones", "analyze", "apply", "auto")
             if o.get(m)]
    if len(modes) > 1:
        raise UsageError("cannot use multiple modes together (--stats, --prune, "
                         "--purge-tombstones, --analyze, --apply, --auto)")
    if not modes:
        raise UsageError("must specify one mode: --stats, --prune, --purge-tombstones, "
                         "--analyze, --apply, or --auto")
    mode = modes[0]
    if o.older_than is not None and mode != "prune":
        raise UsageError("--older-than goes with --prune")
    if o.dry_run and mode not in ("prune", "purge_tombstones", "auto"):
        raise UsageError(f"--dry-run goes with --prune, --purge-tombstones or --auto "
                         f"(--{mode.replace('_', '-')} changes nothing or is checked first)")
    if mode in ("apply", "auto", "prune", "purge_tombstones") and not o.dry_run:
        _refuse_readonly(ctx, "compact")
    if mode == "stats":
        return _compact_stats(ctx, compact.stats(store))
    if mode == "analyze":
        found = compact.analyze(store, o.tier, limit=o.limit, issue_id=o.id)
        if ctx.json:
            ctx.out.json(found)
            return 0
        ctx.out.line(f"Compaction Candidates (Tier {o.tier})\n")
        for c in found:
            note = " (already compacted)" if c["compacted"] else ""
            ctx.out.line(f"ID: {c['id']}{note}\n  Title: {c['title']}\n"
                         f"  Size: {c['size_bytes']} bytes\n  Age: {c['age_days']} days\n")
        ctx.out.line(f"Total: {len(found)} candidates")
        return 0
    if mode == "apply":
        if not o.id:
            raise UsageError("--apply requires --id")
        if not o.summary:
            raise UsageError("--apply requires --summary")
        res = compact.apply(store, o.id, _read(o.summary), o.tier, force=o.force)
        if ctx.json:
            ctx.out.json(res)
        else:
            _applied_lines(ctx, res)
        return 0
    if mode == "auto":
        from bd.memory import summarize

        res = summarize.auto(store, tier=o.tier, issue_id=o.id, all_=o.all, dry_run=o.dry_run,
                             force=o.force, workers=o.workers, batch_size=o.batch_size,
                             progress=ctx.progress())
        if ctx.json:
            ctx.out.json(res)
        elif res.get("dry_run"):
            ctx.out.line(f"DRY RUN - Tier {o.tier} compaction\n")
            ctx.out.line(f"Candidates: {res['candidate_count']} issues")
            ctx.out.line(f"Total size: {res['total_size_bytes']} bytes")
            ctx.out.line(f"Estimated reduction: {res['estimated_reduction']}")
        else:
            for item in res["results"]:
                if item["success"]:
                    _applied_lines(ctx, item)
                else:
                    ctx.out.error(f"{item['issue_id']}: {item['error']}")
            ctx.out.line(f"Summary: {res['succeeded']} compacted, {res['failed']} failed, "
                         f"{res['saved_bytes']} bytes saved")
        return 0 if res.get("dry_run") or res["failed"] == 0 else 1
    if mode == "prune":
        res = compact.prune_tombstones(store, older_than=o.older_than, dry_run=o.dry_run)
        if ctx.json:
            ctx.out.json(res)
        else:
            verb = "would be pruned" if o.dry_run else "pruned"
            ctx.out.line(f"Tombstones {verb}: {res['pruned_count']} (TTL: {res['ttl_days']} days)")
            for rid in res["tombstone_ids"][:20]:
                ctx.out.line(f"  - {rid}")
            if len(res["tombstone_ids"]) > 20:
                ctx.out.line(f"  ... and {len(res['tombstone_ids']) - 20} more")
        return 0
    res = compact.purge_tombstones(store, dry_run=o.dry_run)
    if ctx.json:
        ctx.out.json(res)
    else:
        verb = "would be purged" if o.dry_run else "purged"
        ctx.out.line(f"Tombstones {verb}: {res['purged_count']} (kept {res['kept_count']} that "
                     f"open issues still depend on); dependencies removed: "
                     f"{res['dependencies_removed']}")
    return 0


def _compact_stats(ctx: Context, res: dict[str, Any]) -> int:
    if ctx.json:
        ctx.out.json(res)
        return 0
    ctx.out.line("Compaction Statistics")
    for tier, pct in ((1, "70%"), (2, "95%")):
        t = res[f"tier{tier}"]
        what = "closed" if tier == 1 else "closed, Tier 1 compacted"
        ctx.out.line(f"Tier {tier} ({t['min_days_closed']}+ days {what}):")
        ctx.out.line(f"  Candidates: {t['candidates']}")
        ctx.out.line(f"  Total size: {t['total_size']} bytes")
        if t["total_size"]:
            ctx.out.line(f"  Estimated savings: {t['estimated_savings']} bytes ({pct})")
    return 0


def _applied_lines(ctx: Context, res: dict[str, Any]) -> None:
    ctx.out.line(f"✓ Compacted {res['issue_id']} (Tier {res['tier']})")
    ctx.out.line(f"  {res['original_size']} → {res['compacted_size']} bytes (saved "
                 f"{res['saved_bytes']}, {res['reduction_pct']:.1f}%)")


# -- admin cleanup, restore -----------------------------------------------------------------


@command("admin cleanup", "Delete closed issues (they become tombstones) and prune expired "
         "tombstones; a preview unless --force", opts=[
    opt("force", "-f", "--force", type=bool, help="Actually delete"),
    opt("dry_run", "--dry-run", type=bool, help="Preview what would be deleted"),
    opt("cascade", "--cascade", type=bool, help="Also delete the issues depending on them"),
    opt("older_than", "--older-than", type=int, default=0, metavar="DAYS",
        help="Only issues closed more than DAYS days ago (0: every closed issue)"),
    opt("hard", "--hard", type=bool,
        help="Bypass the tombstone TTL: remove tombstones older than --older-than days "
             "(all without it) at once; old clones may bring them back"),
    opt("ephemeral", "--ephemeral", type=bool, help="Only closed ephemeral issues (wisps)"),
])
def _cleanup(ctx: Context, o: Values) -> int:
    from bd.memory.cleanup import cleanup

    if o.force and not o.dry_run:
        _refuse_readonly(ctx, "cleanup")
    res = cleanup(ctx.store, older_than=o.older_than, cascade=o.cascade, dry_run=o.dry_run,
                  force=o.force, ephemeral=o.ephemeral, hard=o.hard)
    if ctx.json:
        ctx.out.json(res)
        return 0
    if res.get("message"):
        ctx.out.line(res["message"])
    else:
        verb = "Would delete" if o.dry_run else "Deleted"
        ctx.out.line(f"{verb} {plural(res['deleted_count'], 'closed issue')}")
    if res["skipped_pinned"]:
        ctx.out.line(f"Skipped {plural(res['skipped_pinned'], 'pinned issue')} (protected)")
    pruned = res["tombstones_pruned"]
    if pruned["count"]:
        verb = "would be pruned" if o.dry_run else "pruned"
        ctx.out.line(f"Tombstones {verb}: {pruned['count']}")
    return 0


@command("restore", "Show (and with --apply restore) a compacted issue's full record from git",
         args=[arg("id", help="The compacted issue")], opts=[
    opt("apply", "--apply", type=bool, help="Write the full record back into issues.jsonl"),
])
def _restore(ctx: Context, o: Values) -> int:
    from bd.memory.restore import restore

    if o.apply:
        _refuse_readonly(ctx, "restore --apply")
    res = restore(ctx.store, o.id, apply=o.apply)
    if ctx.json:
        ctx.out.json(res)
        return 0
    rec = res["issue"]
    ctx.out.line(f"📜 {res['issue_id']} (restored from git commit {res['commit'][:8]})")
    ctx.out.line(f"{rec.get('title', '')}\n")
    for key, label in (("description", "Description"), ("design", "Design"),
                       ("acceptance_criteria", "Acceptance Criteria"), ("notes", "Notes")):
        if rec.get(key):
            ctx.out.line(f"{label}:\n{rec[key]}\n")
    if res["applied"]:
        how = "exactly as it was" if res.get("exact") else \
            f"(kept later changes to: {', '.join(res['changed_since'])})"
        ctx.out.line(f"✓ Restored {res['issue_id']} {how}")
    return 0


# -- audit ----------------------------------------------------------------------------------


@command("audit record", "Append an agent interaction to .beads/interactions.jsonl", opts=[
    opt("kind", "--kind", help="Entry kind: llm_call, tool_call, label, …"),
    opt("issue_id", "--issue-id", help="The related issue"),
    opt("model", "--model", help="Model name (llm_call)"),
    opt("prompt", "--prompt", help="Prompt text (llm_call)"),
    opt("response", "--response", help="Response text (llm_call)"),
    opt("tool_name", "--tool-name", help="Tool name (tool_call)"),
    opt("exit_code", "--exit-code", type=int, help="Exit code (tool_call)"),
    opt("error", "--error", help="Error text (llm_call / tool_call)"),
    opt("stdin", "--stdin", type=bool,
        help="Read one JSON object in the entry's schema from stdin"),
])
def _audit_record(ctx: Context, o: Values) -> int:
    from bd.memory import audit

    _refuse_readonly(ctx, "audit record")
    beads = ctx.store.beads_dir
    actor = ctx.flags.get("actor") or ctx.store.actor
    fields = ("kind", "issue_id", "model", "prompt", "response", "tool_name", "exit_code",
              "error")
    no_fields = not any(o.get(f) is not None for f in fields)
    if o.stdin or (no_fields and sys.stdin is not None and _has_input()):
        entry = audit.record_json(beads, sys.stdin.read(), actor=actor)
    else:
        if not o.kind:
            raise UsageError("--kind is required")
        entry = audit.record(beads, kind=o.kind, actor=actor, issue_id=o.issue_id,
                             model=o.model, prompt=o.prompt, response=o.response,
                             error=o.error, tool_name=o.tool_name, exit_code=o.exit_code)
    if ctx.json:
        ctx.out.json({"id": entry["id"], "kind": entry["kind"]})
    else:
        ctx.out.line(entry["id"])
    return 0


def _has_input() -> bool:
    """A pipe or a non-empty file on stdin: the original reads JSON from a pipe when no
    field flag is given (a terminal or /dev/null does not count)."""
    import os
    import stat

    try:
        st = os.fstat(sys.stdin.fileno())
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_size > 0)


@command("audit label", "Label an audit entry (appends a label entry; entries never change)",
         args=[arg("entry_id", help="The audit entry (int-…) to label")], opts=[
    opt("label", "--label", help='Label value (e.g. "good" or "bad")'),
    opt("reason", "--reason", help="Why"),
])
def _audit_label(ctx: Context, o: Values) -> int:
    from bd.memory import audit

    _refuse_readonly(ctx, "audit label")
    if not o.label:
        raise UsageError("--label is required")
    actor = ctx.flags.get("actor") or ctx.store.actor
    entry = audit.label(ctx.store.beads_dir, o.entry_id, o.label, reason=o.reason, actor=actor)
    if ctx.json:
        ctx.out.json({"id": entry["id"], "parent_id": entry["parent_id"],
                      "label": entry["label"]})
    else:
        ctx.out.line(entry["id"])
    return 0


@command("audit list", "List audit entries (oldest first)", opts=[
    opt("kind", "--kind", help="Only entries of this kind"),
    opt("issue_id", "--issue-id", help="Only entries about this issue"),
    opt("limit", "-n", "--limit", type=int, default=0, help="Only the last N"),
])
def _audit_list(ctx: Context, o: Values) -> int:
    from bd.memory import audit

    entries = audit.list_entries(ctx.store.beads_dir, kind=o.kind, issue_id=o.issue_id,
                                 limit=o.limit)
    if ctx.json:
        ctx.out.json(entries)
        return 0
    if not entries:
        ctx.out.line("No audit entries")
    for e in entries:
        what = e.get("tool_name") or e.get("model") or e.get("label") or ""
        about = f" {e['issue_id']}" if e.get("issue_id") else ""
        ctx.out.line(f"{e['id']} {e.get('created_at', '')} {e['kind']}{about} {what}".rstrip())
    return 0


@command("audit show", "Show one audit entry and the labels given to it",
         args=[arg("entry_id", help="The audit entry (int-…, or a unique start of it)")])
def _audit_show(ctx: Context, o: Values) -> int:
    from bd.core.model import encode_json
    from bd.memory import audit

    res = audit.show(ctx.store.beads_dir, o.entry_id)
    if ctx.json:
        ctx.out.json(res)
        return 0
    ctx.out.line(encode_json(res["entry"], indent=2))
    for lab in res["labels"]:
        reason = f": {lab['reason']}" if lab.get("reason") else ""
        ctx.out.line(f"label {lab['label']} ({lab['id']}){reason}")
    return 0
