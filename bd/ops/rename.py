"""``bd rename-prefix``: give every issue a new id prefix in one transaction -- ids, both ends
of every dependency, comment owners and id references in the text -- then record the new
prefix in ``config.yaml``.  ``repair`` also moves issues that carry some other prefix (a
workspace that ended up with several) onto the new one."""

from __future__ import annotations

import os

from bd.core import ids, renaming
from bd.core.progress import SILENT, Progress
from bd.errors import ValidationError
from bd.store import config as cfgmod

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def rename_prefix(store: Store, new_prefix: str, *, dry_run: bool = False,
                  repair: bool = False, progress: Progress = SILENT) -> dict[str, Any]:
    """Returns old_prefix, new_prefix, renamed (old id -> new id), references_updated (ids
    of other issues whose text or links changed) and dry_run."""
    new_prefix = new_prefix.rstrip("-")
    ids.check_prefix(new_prefix)
    old_prefix = store.prefix
    with store.transaction() as tx:
        all_ids = list(tx.lines.ids)
        prefixes = {renaming.prefix_of(rid) for rid in all_ids}
        others = sorted(p for p in prefixes if p not in (old_prefix, new_prefix))
        if others and not repair:
            raise ValidationError(
                f"issues with other prefixes exist ({', '.join(others)}): use --repair to "
                f"move them to '{new_prefix}-' as well")
        if new_prefix == old_prefix and not (repair and others):
            raise ValidationError(f"the prefix is already '{old_prefix}'")
        mapping = {rid: renaming.with_prefix(rid, new_prefix) for rid in all_ids
                   if renaming.prefix_of(rid) != new_prefix
                   and (repair or renaming.prefix_of(rid) == old_prefix)}
        clash = sorted(new for new in mapping.values() if new in set(all_ids) - set(mapping))
        if clash:
            raise ValidationError(f"{clash[0]} already exists: renaming onto it would merge "
                                  "two issues", issue_id=clash[0])
        records = [tx.require(rid) for rid in all_ids]
        changed = set(renaming.rename_records(records, mapping))
        result: dict[str, Any] = {
            "old_prefix": old_prefix, "new_prefix": new_prefix, "renamed": mapping,
            "references_updated": sorted(rid for rid in changed
                                         if rid not in set(mapping.values())),
            "dry_run": dry_run}
        if dry_run:
            return result
        with progress.task("Renaming", total=len(all_ids)) as task:
            for old, rec in zip(all_ids, records, strict=True):
                task.advance()
                if old in mapping:
                    tx.removed.add(old)
                    tx.put(rec)
                    tx.event(rec["id"], "renamed", old=old, new=rec["id"])
                elif rec["id"] in changed:
                    rec["updated_at"] = tx.now
                    tx.put(rec, affects_ready=False)
    cfgmod.set_value(os.path.join(store.beads_dir, "config.yaml"), "issue-prefix", new_prefix)
    store.reload_config()
    return result
