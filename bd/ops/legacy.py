"""``bd migrate --cleanup``: files the original bd (or an older bd) left in ``.beads/`` that
this bd never reads -- old database names, daemon runtime files, merge snapshots, moved-aside
corrupt caches.  They are listed first and removed only when confirmed."""

from __future__ import annotations

import fnmatch
import os

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.store.store import Store

PATTERNS = ("bd.db", "bd.db-*", "db.sqlite", "*.db.backup", "*.corrupt*", "daemon.lock",
            "daemon.log", "daemon.pid", "bd.sock", ".local_version", "beads.base.jsonl",
            "beads.base.meta.json", "beads.left.jsonl", "beads.left.meta.json",
            "beads.right.jsonl", "beads.right.meta.json", "deletions.jsonl")


def leftovers(store: Store) -> list[str]:
    out = []
    for name in sorted(os.listdir(store.beads_dir)):
        if any(fnmatch.fnmatch(name, p) for p in PATTERNS):
            path = os.path.join(store.beads_dir, name)
            if os.path.isfile(path) or os.path.islink(path):
                out.append(path)
    return out


def remove(paths: list[str]) -> list[str]:
    removed = []
    for path in paths:
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed
