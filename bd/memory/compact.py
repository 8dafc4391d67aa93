"""Compaction ("semantic memory decay"): old closed issues keep their identity and links but
their long text is replaced by a summary; the full record stays in git history.

Tiers, as the original's v0.46:

* **tier 1**: closed at least ``compact_tier1_days`` (30) ago, never compacted, not pinned (nor
  an ephemeral wisp, which never reaches git), and
  no open issue depends on it within ``compact_tier1_dep_levels`` (2) levels of ``blocks`` or
  ``parent-child`` edges;
* **tier 2**: closed at least ``compact_tier2_days`` (90) ago, compacted once (level 1), not
  pinned, no open ``blocks`` dependent.

Applying a summary replaces ``description``, drops ``design``, ``notes`` and
``acceptance_criteria``, and records ``compaction_level``, ``compacted_at``,
``compacted_at_commit`` (the git HEAD whose ``issues.jsonl`` still holds the full record) and
``original_size``.  id, title, status, type, priority, dates, labels, dependencies and comments
are untouched.  Because ``bd restore`` reads the full record at ``compacted_at_commit``, a
summary is refused (unless forced) when the issue's current line is not the one committed at
HEAD: the text would otherwise be lost for good.
"""

from __future__ import annotations

import os
import time

from bd.core import model
from bd.core.merge import tombstone_expired, ttl_days
from bd.core.timeutil import ts_key
from bd.errors import BdError, NotFoundError, UsageError, ValidationError
from bd.git import runner

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

DEFAULTS = {"compact_tier1_days": 30, "compact_tier2_days": 90, "compact_tier1_dep_levels": 2}
SAVINGS = {1: (70, "70%"), 2: (95, "95%")}
ACTIVE = ("open", "in_progress", "blocked", "deferred", "hooked")
_DAY_NS = 86400 * 1_000_000_000
# `bd prime` mentions compaction when at least this many closed issues are waiting.
PRIME_HINT_THRESHOLD = 100


def setting(store: Store, key: str) -> int:
    """An integer compaction setting from config.yaml (``compact_tier1_days`` or with dashes)."""
    cfg = store.config
    for name in (key, key.replace("_", "-"), f"compact.{key.removeprefix('compact_')}"):
        value = cfg.get(name)
        if value is None or value == "":
            continue
        try:
            number = int(str(value))
        except ValueError:
            raise BdError(f"config {name}: expected a whole number, got {value!r}",
                          field=name) from None
        if number < 0:
            raise BdError(f"config {name}: must not be negative", field=name)
        return number
    return DEFAULTS[key]


def text_size(rec: dict[str, Any]) -> int:
    """Bytes of the four long text fields (what compaction summarises)."""
    return sum(len(v.encode("utf-8", "replace")) for k in model.TEXT_FIELDS
               if isinstance(v := rec.get(k), str))


def _check_tier(tier: int) -> None:
    if tier not in (1, 2):
        raise UsageError(f"--tier must be 1 or 2, not {tier}")


def _level(rec: dict[str, Any]) -> int:
    level = rec.get("compaction_level")
    return level if isinstance(level, int) and not isinstance(level, bool) else 0


def _open_dependents(store: Store, rid: str, types: tuple[str, ...], levels: int) -> list[str]:
    """Open issues that depend on ``rid`` through ``types`` edges, up to ``levels`` deep."""
    conn = store.cache().conn
    found: list[str] = []
    frontier, seen = [rid], {rid}
    marks = ",".join("?" * len(types))
    for _ in range(max(levels, 1)):
        nxt = []
        for target in frontier:
            for dep_id, status in conn.execute(
                    "SELECT d.issue_id, i.status FROM dependencies d JOIN issues i "
                    f"ON i.id = d.issue_id WHERE d.depends_on_id = ? AND d.type IN ({marks})",
                    (target, *types)):
                if dep_id in seen:
                    continue
                seen.add(dep_id)
                nxt.append(dep_id)
                if status in ACTIVE:
                    found.append(dep_id)
        frontier = nxt
    return found


def ineligible(store: Store, rec: dict[str, Any], tier: int, now_ns: int | None = None
               ) -> str | None:
    """Why ``rec`` is not a candidate for ``tier`` (None when it is)."""
    _check_tier(tier)
    now_ns = time.time_ns() if now_ns is None else now_ns
    if model.status_of(rec) != "closed":
        return "issue is not closed"
    closed = ts_key(rec.get("closed_at") or "")
    if closed is None:
        return "issue has no closed_at timestamp"
    if rec.get("pinned"):
        return "issue is pinned (protected from compaction)"
    if rec.get("ephemeral"):
        return "issue is ephemeral (a wisp is never in git, so it could not be restored)"
    level = _level(rec)
    days = setting(store, f"compact_tier{tier}_days")
    if tier == 1 and level != 0:
        return "issue is already compacted"
    if tier == 2 and level != 1:
        return "issue must be at compaction level 1 for tier 2"
    if closed > now_ns - days * _DAY_NS:
        return f"issue has not been closed for {days} days"
    if tier == 1:
        deps = _open_dependents(store, rec["id"], ("blocks", "parent-child"),
                                setting(store, "compact_tier1_dep_levels"))
    else:
        deps = _open_dependents(store, rec["id"], ("blocks",), 1)
    if deps:
        return f"open issues depend on it ({', '.join(deps[:3])})"
    return None


def candidates(store: Store, tier: int, *, now_ns: int | None = None) -> list[dict[str, Any]]:
    """The issues eligible for ``tier``, longest closed first, with their sizes and ages."""
    _check_tier(tier)
    now_ns = time.time_ns() if now_ns is None else now_ns
    days = setting(store, f"compact_tier{tier}_days")
    cutoff = now_ns - days * _DAY_NS
    want = 0 if tier == 1 else 1
    conn = store.cache().conn
    rows = conn.execute(
        "SELECT id FROM issues WHERE status = 'closed' AND bd_closed_ns IS NOT NULL "
        "AND bd_closed_ns <= ? AND COALESCE(compaction_level, 0) = ? "
        "AND COALESCE(pinned, 0) = 0 AND COALESCE(ephemeral, 0) = 0",
        (cutoff, want)).fetchall()
    recs = store.get_many([r[0] for r in rows])
    out = []
    for rid in sorted(recs):
        rec = recs[rid]
        if ineligible(store, rec, tier, now_ns) is not None:
            continue
        closed = ts_key(rec.get("closed_at") or "") or now_ns
        out.append({"id": rid, "record": rec, "closed_ns": closed, "size": text_size(rec),
                    "age_days": max(0, (now_ns - closed) // _DAY_NS)})
    out.sort(key=lambda c: (c["closed_ns"], c["id"]))
    return out


def stats(store: Store) -> dict[str, Any]:
    """Candidates per tier, their text size and the estimated savings (70% and 95%)."""
    out: dict[str, Any] = {}
    for tier in (1, 2):
        found = candidates(store, tier)
        size = sum(c["size"] for c in found)
        pct = SAVINGS[tier][0]
        out[f"tier{tier}"] = {"candidates": len(found), "total_size": size,
                              "estimated_savings": size * pct // 100,
                              "min_days_closed": setting(store, f"compact_tier{tier}_days")}
    return out


def _analysis(c: dict[str, Any], tier: int) -> dict[str, Any]:
    rec = c["record"]
    return {"id": rec["id"], "title": rec.get("title", ""),
            "description": rec.get("description") or "", "design": rec.get("design") or "",
            "notes": rec.get("notes") or "",
            "acceptance_criteria": rec.get("acceptance_criteria") or "",
            "size_bytes": c["size"], "age_days": c["age_days"], "tier": tier,
            "compacted": _level(rec) > 0}


def analyze(store: Store, tier: int = 1, *, limit: int = 0, issue_id: str | None = None
            ) -> list[dict[str, Any]]:
    """Candidates with their full text, for an agent to summarise (no network)."""
    _check_tier(tier)
    if issue_id is not None:
        rec = store.get(store.resolve(issue_id))
        closed = ts_key(rec.get("closed_at") or "")
        age = 0 if closed is None else max(0, (time.time_ns() - closed) // _DAY_NS)
        return [_analysis({"record": rec, "size": text_size(rec), "age_days": age}, tier)]
    found = candidates(store, tier)
    if limit > 0:
        found = found[:limit]
    return [_analysis(c, tier) for c in found]


def compaction_hint(store: Store) -> str | None:
    """One line for ``bd prime`` when many closed issues could be compacted, else None."""
    cutoff = time.time_ns() - setting(store, "compact_tier1_days") * _DAY_NS
    n = store.cache().conn.execute(
        "SELECT count(*) FROM issues WHERE status = 'closed' AND bd_closed_ns <= ? "
        "AND COALESCE(compaction_level, 0) = 0 AND COALESCE(pinned, 0) = 0 "
        "AND COALESCE(ephemeral, 0) = 0", (cutoff,)).fetchone()[0]
    if n < PRIME_HINT_THRESHOLD:
        return None
    return (f"Compaction: {n} issues closed over {setting(store, 'compact_tier1_days')} days "
            "ago still carry their full text; summarise them with "
            "`bd admin compact --analyze --json` then `--apply --id ID --summary FILE`.")


# -- git: where the full record stays --------------------------------------------------------


def git_place(store: Store) -> tuple[str, str] | None:
    """(repository top, path of issues.jsonl inside it), or None outside git."""
    directory = os.path.dirname(os.path.realpath(store.jsonl_path))
    top = runner.try_toplevel(directory)
    if top is None:
        return None
    return top, os.path.relpath(os.path.realpath(store.jsonl_path), os.path.realpath(top))


def committed_lines(store: Store) -> tuple[str | None, dict[str, bytes]]:
    """HEAD's commit id and its issues.jsonl lines by id ({} when there is none)."""
    place = git_place(store)
    if place is None or not runner.has_commits(place[0]):
        return None, {}
    top, rel = place
    head = runner.out(["rev-parse", "HEAD"], top)
    blob = runner.show_blob(top, f"{head}:{rel}") or b""
    return head, lines_by_id(blob)


def lines_by_id(blob: bytes) -> dict[str, bytes]:
    """The issue lines of a JSONL text by id (lines bd cannot read are skipped: history)."""
    import json

    out: dict[str, bytes] = {}
    for line in blob.split(b"\n"):
        if not line.strip().startswith(b"{"):
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("id"), str) and "_type" not in rec:
            out.setdefault(rec["id"], line)
    return out


def current_line(store: Store, rid: str) -> bytes:
    """The issue's line as it is in the JSONL now (from the fresh cache)."""
    row = store.cache().conn.execute("SELECT bd_line FROM issues WHERE id = ?",
                                     (rid,)).fetchone()
    return row[0].encode("utf-8") if row else b""


# -- applying summaries ---------------------------------------------------------------------


def prepare_summary(text: str) -> str:
    summary = text.strip()
    if not summary:
        raise UsageError("the summary is empty")
    return summary


def apply_many(store: Store, summaries: list[tuple[str, str]], tier: int = 1, *,
               force: bool = False) -> list[dict[str, Any]]:
    """Write summaries (``[(issue id, summary)]``) in one transaction; all or nothing.

    Each is checked first (eligibility, summary shorter than the text, the full record
    committed at HEAD) unless ``force``.
    """
    _check_tier(tier)
    start = time.monotonic()
    ids = [store.resolve(rid) for rid, _ in summaries]
    head, committed = committed_lines(store)
    results: list[dict[str, Any]] = []
    with store.transaction() as tx:
        for rid, (_, text) in zip(ids, summaries, strict=True):
            summary = prepare_summary(text)
            rec = tx.require(rid)
            size = text_size(rec)
            new_size = len(summary.encode("utf-8"))
            if not force:
                reason = ineligible(store, rec, tier)
                if reason is not None:
                    raise ValidationError(f"{rid} is not eligible for tier {tier} compaction: "
                                          f"{reason} (--force skips this check)", issue_id=rid)
                if new_size >= size:
                    raise ValidationError(f"summary ({new_size} bytes) is not shorter than the "
                                          f"original ({size} bytes) of {rid} (--force skips "
                                          "this check)", issue_id=rid)
                if head is None:
                    raise ValidationError(
                        f"{rid}: not in a git repository with commits, so the full text could "
                        "never be restored; commit .beads/issues.jsonl first (--force "
                        "compacts anyway)", issue_id=rid)
                if committed.get(rid) != current_line(store, rid):
                    raise ValidationError(
                        f"{rid} has changes not committed to git; commit .beads/issues.jsonl "
                        "first so `bd restore` can bring the full text back (--force "
                        "compacts anyway)", issue_id=rid)
            original = rec.get("original_size") if _level(rec) > 0 else None
            if not isinstance(original, int) or isinstance(original, bool):
                original = size
            rec["description"] = summary
            for key in ("design", "notes", "acceptance_criteria"):
                rec.pop(key, None)
            rec["compaction_level"] = tier
            rec["compacted_at"] = tx.now
            if head is not None:
                rec["compacted_at_commit"] = head
            else:
                rec.pop("compacted_at_commit", None)
            rec["original_size"] = original
            rec["updated_at"] = tx.now
            tx.put(rec, affects_ready=False)
            saved = size - new_size
            pct = round(saved * 100 / size, 1) if size else 0.0
            note = (f"Tier {tier} compaction: {size} → {new_size} bytes (saved {saved}, "
                    f"{pct:.1f}%)")
            tx.event(rid, "compacted", new={"tier": tier, "original_size": size,
                                            "compacted_size": new_size}, comment=note)
            results.append({"success": True, "issue_id": rid, "tier": tier,
                            "original_size": size, "compacted_size": new_size,
                            "saved_bytes": saved, "reduction_pct": pct,
                            "compacted_at_commit": head})
    elapsed = int((time.monotonic() - start) * 1000)
    for r in results:
        r["elapsed_ms"] = elapsed
    return results


def apply(store: Store, issue_id: str, summary: str, tier: int = 1, *, force: bool = False
          ) -> dict[str, Any]:
    """``--apply --id ID --summary FILE``: one agent-written summary."""
    return apply_many(store, [(issue_id, summary)], tier, force=force)[0]


# -- tombstones -----------------------------------------------------------------------------


def _tombstones(store: Store) -> list[dict[str, Any]]:
    ids = [r[0] for r in store.cache().conn.execute(
        "SELECT id FROM issues WHERE status = 'tombstone' ORDER BY id")]
    recs = store.get_many(ids)
    return [recs[i] for i in ids if i in recs]


def prune_tombstones(store: Store, *, older_than: int | None = None, dry_run: bool = False
                     ) -> dict[str, Any]:
    """``--prune``: remove tombstones deleted more than ``older_than`` days ago (default: the
    tombstone TTL, 30 days; 0: every tombstone)."""
    start = time.monotonic()
    ttl = ttl_days(store.config) if older_than is None else float(older_than)
    if ttl < 0:
        raise UsageError("--older-than must not be negative")
    now = time.time_ns()
    if older_than == 0:
        doomed = [r["id"] for r in _tombstones(store)]
    else:
        doomed = [r["id"] for r in _tombstones(store) if tombstone_expired(r, now, ttl)]
    if doomed and not dry_run:
        with store.transaction() as tx:
            for rid in doomed:
                if tx.exists(rid):
                    tx.removed.add(rid)
    out = {"dry_run": dry_run, "pruned_count": len(doomed), "ttl_days": int(ttl),
           "tombstone_ids": doomed}
    if not dry_run:
        out["elapsed_ms"] = int((time.monotonic() - start) * 1000)
    return out


def purge_tombstones(store: Store, *, dry_run: bool = False) -> dict[str, Any]:
    """``--purge-tombstones``: remove every tombstone no open issue depends on, whatever its
    age, and the dependencies closed issues still hold on the purged ones."""
    tombs = {r["id"] for r in _tombstones(store)}
    conn = store.cache().conn
    held: set[str] = set()
    stale: dict[str, list[str]] = {}
    for issue_id, target, status in conn.execute(
            "SELECT d.issue_id, d.depends_on_id, i.status FROM dependencies d "
            "JOIN issues i ON i.id = d.issue_id"):
        if target not in tombs:
            continue
        if status in ("closed", "tombstone"):
            stale.setdefault(issue_id, []).append(target)
        else:
            held.add(target)
    doomed = sorted(tombs - held)
    cleaned = 0
    if doomed and not dry_run:
        gone = set(doomed)
        with store.transaction() as tx:
            for rid in doomed:
                tx.removed.add(rid)
            for issue_id, targets in sorted(stale.items()):
                if issue_id in gone or not tx.exists(issue_id) or not set(targets) & gone:
                    continue
                rec = tx.require(issue_id)
                deps = rec.get("dependencies") or []
                kept = [d for d in deps if d.get("depends_on_id") not in gone]
                cleaned += len(deps) - len(kept)
                if kept:
                    rec["dependencies"] = kept
                else:
                    rec.pop("dependencies", None)
                tx.put(rec)
    else:
        cleaned = sum(len([t for t in ts if t in set(doomed)]) for i, ts in stale.items()
                      if i not in set(doomed))
    return {"dry_run": dry_run, "purged_count": len(doomed), "tombstone_ids": doomed,
            "kept_count": len(held), "dependencies_removed": cleaned}


def require_issue(store: Store, issue_id: str) -> str:
    try:
        return store.resolve(issue_id)
    except NotFoundError:
        raise NotFoundError(f"issue {issue_id} not found", issue_id=issue_id) from None
