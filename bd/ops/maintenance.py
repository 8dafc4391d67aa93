"""Data-integrity maintenance: orphaned dependencies, test pollution, duplicate issues, git
conflict markers, dependency cycles, migration inspection and schema information.

The library behind ``bd repair-deps``, ``bd detect-pollution``, ``bd validate``,
``bd migrate`` and ``bd info --schema``.  Finders return plain dicts and lists; fixes run in
one Store transaction each.  Nothing here prints or exits.
"""

from __future__ import annotations

import os
import re

from bd.core import model
from bd.errors import BdError, UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

# -- orphaned dependencies -------------------------------------------------------------------

_ORPHANS_SQL = """
SELECT d.issue_id, d.depends_on_id, d.type FROM dependencies d
JOIN issues s ON s.id = d.issue_id AND s.status != 'tombstone'
LEFT JOIN issues t ON t.id = d.depends_on_id
WHERE (t.id IS NULL OR t.status = 'tombstone') AND substr(d.depends_on_id, 1, 9) != 'external:'
ORDER BY d.issue_id, d.depends_on_id, d.type
"""


def find_orphans(store: Store) -> list[dict[str, str]]:
    """Dependencies whose target does not exist or is deleted (``external:`` refs excepted).

    Such edges never block anything (see the readiness rule), but they confuse trees, counts
    and every client that expects the target to exist; they come from hand edits and from
    merges that bring in a deletion.
    """
    return [{"issue_id": a, "depends_on_id": b, "type": t}
            for a, b, t in store.cache().conn.execute(_ORPHANS_SQL)]


def remove_orphans(store: Store, orphans: list[dict[str, str]] | None = None) -> int:
    """Remove orphaned dependency edges (all of them, or those given); returns how many."""
    if orphans is None:
        orphans = find_orphans(store)
    if not orphans:
        return 0
    by_issue: dict[str, set[tuple[str, str]]] = {}
    for o in orphans:
        by_issue.setdefault(o["issue_id"], set()).add((o["depends_on_id"], o["type"]))
    removed = 0
    with store.transaction() as tx:
        for rid, edges in sorted(by_issue.items()):
            rec = tx.get(rid)
            if rec is None:
                continue
            deps = list(rec.get("dependencies") or [])
            keep = []
            for d in deps:
                target = tx.get(str(d.get("depends_on_id")))
                gone = target is None or model.status_of(target) == "tombstone"
                if (d.get("depends_on_id"), d.get("type") or "blocks") in edges and gone:
                    removed += 1
                    tx.event(rid, "dependency_removed",
                             old={"depends_on_id": d.get("depends_on_id"),
                                  "type": d.get("type") or "blocks"},
                             comment="orphaned dependency removed")
                else:
                    keep.append(d)
            if len(keep) == len(deps):
                continue
            if keep:
                rec["dependencies"] = keep
            else:
                rec.pop("dependencies", None)
            rec["updated_at"] = tx.now
            tx.put(rec)
    return removed


# -- test pollution --------------------------------------------------------------------------

# The original's heuristics (detect_pollution.go): a weighted score per issue, reported
# from 0.7; 0.9 and above is "high confidence".
_TEST_PREFIX = re.compile(r"^(test|benchmark|sample|tmp|temp|debug|dummy)[-_\s]")
_SEQUENTIAL_ID = re.compile(r"^[a-z]+-\d+$")
_GENERIC_TITLES = ("issue for testing", "test issue", "sample issue")
POLLUTION_THRESHOLD = 0.7
HIGH_CONFIDENCE = 0.9
BACKUP_NAME = "pollution-backup.jsonl"


def is_test_title(title: str) -> bool:
    """True for titles that start like test data ("test-", "tmp ", "dummy_" …)."""
    return bool(_TEST_PREFIX.match(title.lower()))


def _created_minute(rec: dict[str, Any]) -> int | None:
    from bd.core.timeutil import parse_ts

    value = rec.get("created_at")
    dt = parse_ts(value) if isinstance(value, str) else None
    return int(dt.timestamp()) // 60 if dt else None


def detect_pollution(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issues that look like leaked test data, each with its score and reasons, by id.

    Signals: a test-like title prefix (0.7), a sequential id with a tiny description (0.4),
    no description (0.2) or a very short one (0.1), ten or more issues created in the same
    minute (0.3), a generic test title (0.5).  Deleted issues are not considered.
    """
    live = [r for r in records if model.status_of(r) != "tombstone"]
    per_minute: dict[int, int] = {}
    for rec in live:
        minute = _created_minute(rec)
        if minute is not None:
            per_minute[minute] = per_minute.get(minute, 0) + 1
    found = []
    for rec in sorted(live, key=lambda r: str(r.get("id"))):
        title = str(rec.get("title") or "").lower()
        description = str(rec.get("description") or "")
        size = len(description.encode("utf-8"))
        score = 0.0
        reasons = []
        if _TEST_PREFIX.match(title):
            score += 0.7
            reasons.append("Title starts with test prefix")
        if _SEQUENTIAL_ID.match(str(rec.get("id"))) and size < 20:
            score += 0.4
            reasons.append("Sequential ID with minimal description")
        if not description.strip():
            score += 0.2
            reasons.append("No description")
        elif size < 20:
            score += 0.1
            reasons.append("Very short description")
        same_minute = per_minute.get(_created_minute(rec) or -1, 0)
        if same_minute >= 10:
            score += 0.3
            reasons.append(f"Created with {same_minute - 1} other issues in same minute")
        if any(g in title for g in _GENERIC_TITLES):
            score += 0.5
            reasons.append("Generic test title")
        score = round(score, 2)  # 0.7 + 0.2 is 0.9, not 0.8999999999999999
        if score >= POLLUTION_THRESHOLD:
            found.append({"id": rec["id"], "title": rec.get("title", ""), "score": score,
                          "reasons": reasons, "created_at": rec.get("created_at")})
    return found


def find_pollution(store: Store) -> list[dict[str, Any]]:
    return detect_pollution(store.all_records())


def clean_pollution(store: Store, found: list[dict[str, Any]]) -> dict[str, Any]:
    """Back the detected issues up to ``.beads/pollution-backup.jsonl``, then delete them.

    Deletion makes tombstones (the records stay in the JSONL, marked deleted), so the
    backup is a second copy, as in the original.
    """
    from bd.ops import delete as delete_ops
    from bd.store.jsonl import atomic_write

    ids = [p["id"] for p in found]
    if not ids:
        return {"deleted": 0, "deleted_ids": [], "backup_path": None}
    backup = os.path.join(store.beads_dir, BACKUP_NAME)
    records = store.get_many(ids)
    atomic_write(backup, b"".join(model.to_line(records[i]) for i in ids if i in records))
    delete_ops.delete(store, ids, force=True, reason="test pollution")
    return {"deleted": len(ids), "deleted_ids": ids, "backup_path": backup}


# -- duplicates ------------------------------------------------------------------------------

_CONTENT_KEYS = ("title", "description", "design", "acceptance_criteria", "notes",
                 "issue_type")


def duplicate_groups(records: list[dict[str, Any]]) -> list[list[str]]:
    """Groups of open issues with identical content (title, texts, type), oldest first.

    Closed and deleted issues are not compared: closing a duplicate is how it is resolved.
    """
    from bd.core.timeutil import ts_key

    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for rec in records:
        if model.status_of(rec) in ("closed", "tombstone"):
            continue
        key = tuple(model.type_of(rec) if k == "issue_type" else str(rec.get(k) or "").strip()
                    for k in _CONTENT_KEYS)
        groups.setdefault(key, []).append(rec)
    out = []
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda r: (ts_key(str(r.get("created_at", ""))) or 0, r["id"]))
            out.append([r["id"] for r in members])
    return sorted(out)


# -- ids repeated on several lines --------------------------------------------------------------

def merge_duplicate_ids(store: Store) -> list[str]:
    """Merge every id that appears on several lines of the JSONL into one line (the records
    collapsed by the merge engine's rules, :func:`bd.core.mergerules.collapse`), written
    where the id first was.  No other line changes.  Returns the ids merged."""
    with store.transaction() as tx:
        dups = sorted(tx.lines.duplicates)
        for rid in dups:
            rec = tx.lines.record(rid)
            assert rec is not None
            tx.put(rec)
            tx.event(rid, "merged_duplicates",
                     comment=f"{len(tx.lines.duplicates[rid])} lines with this id merged "
                             "into one")
    return dups


# -- conflict markers ------------------------------------------------------------------------

_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")  # a JSON line never starts so


def conflict_marker_lines(path: str) -> list[int]:
    """1-based numbers of the lines of ``path`` that are git conflict markers."""
    from bd.store.jsonl import read_bytes

    return [n for n, line in enumerate(read_bytes(path).split(b"\n"), 1)
            if line.startswith(_MARKERS)]


# -- validate --------------------------------------------------------------------------------

CHECKS = ("orphans", "duplicates", "pollution", "conflicts", "cycles")
_SYNONYMS = {"dupes": "duplicates", "git-conflicts": "conflicts", "orphaned": "orphans",
             "orphaned-dependencies": "orphans", "cycle": "cycles"}
CHECK_TITLES = {"orphans": "orphaned dependencies", "duplicates": "duplicates",
                "pollution": "test pollution", "conflicts": "git conflicts",
                "cycles": "dependency cycles"}


def parse_checks(text: str | None) -> list[str]:
    """The checks named in a comma list (synonyms allowed), in order; all when empty."""
    if not text or not text.strip():
        return list(CHECKS)
    out: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        name = _SYNONYMS.get(name, name)
        if name not in CHECKS:
            raise UsageError(f"unknown check: {part.strip()} (valid checks: "
                             f"{', '.join(CHECKS)})")
        if name not in out:
            out.append(name)
    return out


def _result(name: str) -> dict[str, Any]:
    return {"name": CHECK_TITLES[name], "issue_count": 0, "fixed_count": 0, "error": None,
            "failed": False, "suggestions": [], "findings": []}


def _check_orphans(store: Store, fix: bool) -> dict[str, Any]:
    r = _result("orphans")
    orphans = find_orphans(store)
    r["issue_count"], r["findings"] = len(orphans), orphans
    if fix and orphans:
        r["fixed_count"] = remove_orphans(store, orphans)
    if r["issue_count"] > r["fixed_count"]:
        r["suggestions"].append("Run 'bd repair-deps --fix' to remove orphaned dependencies")
    return r


def _check_duplicates(store: Store, fix: bool) -> dict[str, Any]:
    r = _result("duplicates")
    groups = duplicate_groups(store.all_records())
    r["issue_count"] = sum(len(g) - 1 for g in groups)
    r["findings"] = [{"ids": g, "keep": g[0]} for g in groups]
    if groups:
        r["suggestions"].append(f"Review {len(groups)} duplicate group(s); close the copies "
                                "with 'bd close ID --reason duplicate'")
    return r


def _check_pollution(store: Store, fix: bool) -> dict[str, Any]:
    r = _result("pollution")
    found = find_pollution(store)
    r["issue_count"] = len(found)
    r["findings"] = [{"id": p["id"], "title": p["title"], "score": p["score"]} for p in found]
    if found:
        r["suggestions"].append(f"Run 'bd detect-pollution' to review {len(found)} potential "
                                "test issue(s); 'bd detect-pollution --clean --yes' deletes them")
    return r


def _check_cycles(store: Store, fix: bool) -> dict[str, Any]:
    r = _result("cycles")
    cycles = store.graph(light=True).cycles()
    r["issue_count"], r["findings"] = len(cycles), [{"ids": c} for c in cycles]
    if cycles:
        r["suggestions"].append("Break each cycle with 'bd dep remove ISSUE DEPENDS_ON' "
                                "(see 'bd dep cycles')")
    return r


def _check_conflicts(jsonl_path: str) -> dict[str, Any]:
    r = _result("conflicts")
    lines = conflict_marker_lines(jsonl_path)
    if lines:
        r["issue_count"] = 1  # one unresolved merge, however many markers
        r["findings"] = [{"path": jsonl_path, "lines": lines}]
        r["suggestions"].append(f"Git conflict markers in {jsonl_path} at lines "
                                f"{', '.join(map(str, lines))}: resolve the merge (bd "
                                "resolve-conflicts, or git checkout --ours/--theirs) first")
    return r


_STORE_CHECKS = {"orphans": _check_orphans, "duplicates": _check_duplicates,
                 "pollution": _check_pollution, "cycles": _check_cycles}
# Fixed by --fix-all: only what cannot lose information. Duplicates, pollution and cycles
# need a human (or agent) to choose what goes; conflicts need the merge resolved.
FIXABLE = ("orphans",)


def validate(store: Store, checks: list[str] | None = None, *, fix: bool = False
             ) -> dict[str, Any]:
    """Run the checks (all by default); with ``fix`` apply the safe fixes first.

    A check that cannot run (the JSONL is unreadable, say) reports ``failed`` with its
    error instead of raising, so one report always comes back.
    """
    checks = list(CHECKS) if checks is None else checks
    results: dict[str, dict[str, Any]] = {}
    for name in checks:
        if name == "conflicts":
            results[name] = _check_conflicts(store.jsonl_path)
            continue
        try:
            results[name] = _STORE_CHECKS[name](store, fix and name in FIXABLE)
        except BdError as exc:
            r = _result(name)
            r["error"], r["failed"] = str(exc), True
            results[name] = r
    total = sum(r["issue_count"] for r in results.values())
    fixed = sum(r["fixed_count"] for r in results.values())
    failed = any(r["failed"] for r in results.values())
    return {"checks": results, "total_issues": total, "total_fixed": fixed,
            "healthy": not failed and total == fixed}


# -- migration inspection --------------------------------------------------------------------

# What bd does to bring a workspace's cache up to date (every command runs these as needed).
MIGRATIONS = (
    {"name": "cache_schema", "description": "create the cache tables and indexes (the "
     "original's tables plus bd_* columns) when missing"},
    {"name": "cache_format_rebuild", "description": "re-derive every cache row in place "
     "when the cache format (bd_cache_version) is not the current one"},
    {"name": "cache_refresh", "description": "re-read the lines of issues.jsonl whose "
     "content changed since the cache last saw it"},
    {"name": "corrupt_cache_recovery", "description": "move an unreadable cache aside "
     "(beads.db.corrupt) and rebuild it from issues.jsonl"},
)
INVARIANTS = ("jsonl_parses", "ids_unique", "required_config_present", "cache_format_current",
              "dependency_targets_exist")
_LEGACY = {"beads.jsonl": "legacy JSONL name beads.jsonl (bd reads issues.jsonl)",
           "deletions.jsonl": "legacy deletions manifest (tombstones replace it)",
           "config.json": "legacy config.json (bd uses config.yaml and metadata.json)"}


def _read_cache_meta(db_path: str) -> dict[str, str] | None:
    """The cache's metadata, read without creating or changing the file; None if unusable."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM metadata"))
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def _jsonl_summary(path: str) -> tuple[int, list[str], str | None]:
    """(live issue count, ids, error) of the JSONL, parsed strictly."""
    from bd.core import codec
    from bd.store import jsonl

    try:
        lines = codec.Lines(path, jsonl.read_bytes(path))
    except BdError as exc:
        return 0, [], str(exc)
    live = [rid for rid in lines.index
            if model.status_of(lines.record(rid) or {}) != "tombstone"]
    return len(live), sorted(live), None


def inspect_migration(store: Store) -> dict[str, Any]:
    """The workspace's state and what the next command would migrate; changes nothing."""
    from bd.store.cache import schema, stat_sig

    db_exists = os.path.exists(store.db_path)
    meta = _read_cache_meta(store.db_path) if db_exists else None
    count, ids, error = _jsonl_summary(store.jsonl_path)
    warnings: list[str] = []
    if not db_exists:
        version = "missing"
        warnings.append("cache beads.db does not exist yet; the next command builds it "
                        "from issues.jsonl")
    elif meta is None:
        version = "unreadable"
        warnings.append("cache beads.db is unreadable; the next command moves it aside and "
                        "rebuilds it")
    else:
        version = meta.get("bd_cache_version") or "unknown"
        if version != schema.CACHE_VERSION:
            warnings.append(f"cache format {version} is not {schema.CACHE_VERSION}; the next "
                            "command rebuilds it in place")
        elif meta.get("bd_jsonl_sig") != stat_sig(store.jsonl_path):
            warnings.append("cache is behind issues.jsonl; the next command refreshes it")
    if error:
        warnings.append(f"issues.jsonl cannot be loaded: {error}")
    prefix = str(store.config.get("issue-prefix") or "").rstrip("-")
    config = {"issue_prefix": prefix} if prefix else {}
    missing = []
    if count and not prefix:
        missing.append("issue_prefix")
        detected = ids[0].rsplit("-", 1)[0] if ids and "-" in ids[0] else ""
        warnings.append(f"issue-prefix is not set in config.yaml (detected: {detected})")
    for name, why in _LEGACY.items():
        if os.path.exists(os.path.join(store.beads_dir, name)):
            warnings.append(f"{name}: {why}")
    others = sorted(n for n in os.listdir(store.beads_dir)
                    if n.endswith(".db") and n != os.path.basename(store.db_path))
    if others:
        warnings.append("other database files in .beads (not used by bd): " + ", ".join(others))
    return {
        "registered_migrations": [dict(m) for m in MIGRATIONS],
        "current_state": {"schema_version": version, "expected_version": schema.CACHE_VERSION,
                          "issue_count": count, "config": config, "missing_config": missing,
                          "db_exists": db_exists},
        "warnings": warnings,
        "invariants_to_check": list(INVARIANTS),
    }


def migrate(store: Store, *, dry_run: bool = False) -> dict[str, Any]:
    """Bring the cache to the current format and in line with the JSONL (what any command
    would do on its first read), reporting the versions before and after."""
    from bd.store.cache import schema

    before = inspect_migration(store)
    previous = before["current_state"]["schema_version"]
    pending = [w for w in before["warnings"] if "next command" in w]
    if dry_run:
        return {"status": "dry_run", "previous_version": previous,
                "cache_version": schema.CACHE_VERSION, "would_migrate": bool(pending),
                "pending": pending, "database": store.db_path}
    store.cache()
    return {"status": "migrated" if pending else "current", "previous_version": previous,
            "cache_version": schema.CACHE_VERSION, "pending": pending,
            "database": store.db_path}


# -- schema information ----------------------------------------------------------------------

def schema_info(store: Store, version: str) -> dict[str, Any]:
    """Tables, versions, configured and detected prefix and sample ids (``info --schema``).

    ``schema_version`` is the bd release whose schema the cache follows (``version``), as
    in the original; ``cache_version`` is bd's own cache format.
    """
    from bd.store.cache import schema

    conn = store.cache().conn
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    samples = [r[0] for r in conn.execute(
        "SELECT id FROM issues WHERE status != 'tombstone' ORDER BY id LIMIT 3")]
    prefix = str(store.config.get("issue-prefix") or "").rstrip("-")
    return {"tables": tables, "schema_version": version,
            "cache_version": store.cache().meta("bd_cache_version") or schema.CACHE_VERSION,
            "config": {"issue_prefix": prefix} if prefix else {},
            "sample_issue_ids": samples, "detected_prefix": store._detect_prefix() or "",
            "prefix": store.prefix}
