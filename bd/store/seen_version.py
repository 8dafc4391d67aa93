"""``bd upgrade``: which bd version this clone last acknowledged, in the git-ignored
``.beads/.local_version`` (the original's file).  The original rewrote it on every command;
bd writes it only on ``bd upgrade ack`` (and ``bd init``'s first run has none), so no read
command pays for a write."""

from __future__ import annotations

import os

from bd.store.jsonl import atomic_write

FILE = ".local_version"


def _path(beads_dir: str) -> str:
    return os.path.join(beads_dir, FILE)


def last_seen(beads_dir: str) -> str | None:
    try:
        with open(_path(beads_dir), encoding="utf-8") as fh:
            return fh.read().strip() or None
    except FileNotFoundError:
        return None


def acknowledge(beads_dir: str, version: str) -> str | None:
    """Record ``version`` as seen; returns the version seen before (None: none recorded)."""
    before = last_seen(beads_dir)
    atomic_write(_path(beads_dir), (version + "\n").encode())
    return before


def newer_than(version: str | None, changes: list[dict[str, object]]) -> list[dict[str, object]]:
    """The release notes of versions newer than ``version`` (all of them when None)."""
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))
    if version is None:
        return list(changes)
    return [c for c in changes if key(str(c["version"])) > key(version)]
