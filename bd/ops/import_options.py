"""The import options that reshape the incoming records before they are merged by id
(``bd.ops.transfer.import_records``): ``--rename-on-import``, ``--orphan-handling``,
``--strict`` and ``--clear-duplicate-external-refs``, as the original's importer defines them.
"""

from __future__ import annotations

from bd.core import ids, renaming
from bd.errors import ValidationError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

ORPHAN_MODES = ("strict", "resurrect", "skip", "allow")
RESURRECTED_REASON = "Recreated by import --orphan-handling resurrect as the parent of " \
                     "imported issues"


def orphan_mode(store: Store, given: str | None) -> str:
    mode = given or str(store.config.get("import.orphan_handling") or "allow")
    if mode not in ORPHAN_MODES:
        raise ValidationError(f"invalid orphan handling {mode!r} (strict, resurrect, skip or "
                              "allow)", field="orphan-handling")
    return mode


def prepare(store: Store, records: list[dict[str, Any]], *, rename_on_import: bool = False,
            orphan_handling: str = "allow", strict: bool = False,
            clear_duplicate_external_refs: bool = False) -> dict[str, Any]:
    """Reshape ``records`` in place (renamed, orphans skipped or given parents, duplicate
    external refs cleared) and return what was done: ``renamed`` (old -> new id),
    ``orphans_skipped``, ``parents_resurrected``, ``external_refs_cleared``."""
    report: dict[str, Any] = {"renamed": {}, "orphans_skipped": [], "parents_resurrected": [],
                              "external_refs_cleared": []}
    prefix = store.prefix
    if rename_on_import:
        allowed = {prefix, *store.config_list("allowed_prefixes")}
        mapping = {rec["id"]: renaming.with_prefix(rec["id"], prefix) for rec in records
                   if renaming.prefix_of(rec["id"]) not in allowed}
        incoming = {rec["id"] for rec in records}
        clash = sorted(new for old, new in mapping.items() if new in incoming
                       and new not in mapping)
        if clash:
            raise ValidationError(f"--rename-on-import: {clash[0]} is both renamed to and "
                                  "present in the input", issue_id=clash[0])
        renaming.rename_records(records, mapping)
        report["renamed"] = mapping
    _check_external_refs(records, clear_duplicate_external_refs, report)
    known = {rec["id"] for rec in records}
    in_store = set(store.list_ids())

    def exists(rid: str) -> bool:
        return rid in known or rid in in_store

    if strict:
        for rec in records:
            for dep in rec.get("dependencies") or []:
                target = dep.get("depends_on_id") if isinstance(dep, dict) else None
                if (isinstance(target, str) and not target.startswith("external:")
                        and not exists(target)):
                    raise ValidationError(
                        f"--strict: {rec['id']} depends on {target}, which is neither in "
                        "the input nor in the database", issue_id=rec["id"])
    orphans = [rec for rec in records if ids.is_hierarchical(rec["id"])
               and not exists(ids.parent_of(rec["id"]) or "")]
    if orphans and orphan_handling == "strict":
        rec = orphans[0]
        raise ValidationError(f"parent issue {ids.parent_of(rec['id'])} of {rec['id']} does not "
                              "exist (--orphan-handling strict)", issue_id=rec["id"])
    if orphans and orphan_handling == "skip":
        # A child of a skipped orphan is an orphan too.
        skipped = {rec["id"] for rec in orphans}
        grew = True
        while grew:
            grew = False
            for rec in records:
                if rec["id"] not in skipped and ids.parent_of(rec["id"]) in skipped:
                    skipped.add(rec["id"])
                    grew = True
        records[:] = [rec for rec in records if rec["id"] not in skipped]
        report["orphans_skipped"] = sorted(skipped)
    if orphans and orphan_handling == "resurrect":
        first = min(str(rec.get("created_at", "")) for rec in orphans)
        for parent in sorted({ids.parent_of(rec["id"]) or "" for rec in orphans}):
            chain = []
            while parent and not exists(parent):
                chain.append(parent)
                known.add(parent)
                parent = ids.parent_of(parent) or ""
            for pid in chain:
                records.append({"id": pid, "title": f"(resurrected parent {pid})",
                                "description": RESURRECTED_REASON, "status": "closed",
                                "priority": 4, "issue_type": "epic", "created_at": first,
                                "updated_at": first, "closed_at": first,
                                "close_reason": RESURRECTED_REASON})
                report["parents_resurrected"].append(pid)
    return report


def _check_external_refs(records: list[dict[str, Any]], clear: bool,
                         report: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for rec in records:
        ref = rec.get("external_ref")
        if not isinstance(ref, str) or not ref:
            continue
        if ref not in seen:
            seen[ref] = rec["id"]
            continue
        if not clear:
            raise ValidationError(f"duplicate external_ref {ref!r} in {seen[ref]} and "
                                  f"{rec['id']} (use --clear-duplicate-external-refs to keep "
                                  "the first and clear the others)", issue_id=rec["id"])
        rec.pop("external_ref")
        report["external_refs_cleared"].append(rec["id"])
