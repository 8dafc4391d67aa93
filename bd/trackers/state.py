"""Per-tracker sync state and the write-ahead journal, in ``.beads/trackers/`` (git-ignored).

``<name>.json`` remembers, per linked issue, the remote key and ref, a short hash of every
synced field on each side as last agreed, and which local comment is which remote comment;
plus the watermark (the newest remote ``updated_at`` seen) for incremental fetches.  It is
machine-local: another clone starts without it and settles linked issues by comparing values.

``<name>.journal`` holds one JSON line per remote write made by a run that has not finished
(fsynced after each write).  The next run replays it, so a sync killed after creating remote
issues or posting comments links them instead of creating them twice.
"""

from __future__ import annotations

import json
import os
from typing import Any

from bd.errors import DataError

VERSION = 1
DIRNAME = "trackers"


def _dir(beads_dir: str) -> str:
    return os.path.join(beads_dir, DIRNAME)


def ensure_dir(beads_dir: str) -> str:
    """The state directory, created with a ``.gitignore`` that ignores everything in it."""
    from bd.store.jsonl import atomic_write

    path = _dir(beads_dir)
    os.makedirs(path, exist_ok=True)
    ignore = os.path.join(path, ".gitignore")
    if not os.path.exists(ignore):
        atomic_write(ignore, b"# bd tracker sync state: machine-local, never committed\n*\n")
    return path


class State:
    def __init__(self, beads_dir: str, tracker: str) -> None:
        self.beads_dir = beads_dir
        self.tracker = tracker
        self.path = os.path.join(_dir(beads_dir), f"{tracker}.json")
        self.journal_path = os.path.join(_dir(beads_dir), f"{tracker}.journal")
        self.target = ""
        self.watermark = ""
        self.last_sync = ""
        self.links: dict[str, dict[str, Any]] = {}
        self._raw = b""

    @classmethod
    def load(cls, beads_dir: str, tracker: str) -> State:
        st = cls(beads_dir, tracker)
        try:
            with open(st.path, "rb") as fh:
                st._raw = fh.read()
        except FileNotFoundError:
            return st
        try:
            data = json.loads(st._raw)
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("unknown version")
        except ValueError as exc:
            raise DataError(f"unreadable tracker state ({exc}); delete it to start over "
                            "(linked issues are then compared field by field)",
                            path=st.path) from None
        st.target = data.get("target", "")
        st.watermark = data.get("watermark", "")
        st.last_sync = data.get("last_sync", "")
        st.links = data.get("links", {})
        return st

    def reset_for(self, target: str) -> None:
        """A different repository/project than last time: nothing of the old state applies."""
        if self.target and self.target != target:
            self.links = {}
            self.watermark = ""
        self.target = target

    def key_index(self) -> dict[str, str]:
        """remote key -> bd id."""
        return {link["key"]: rid for rid, link in self.links.items()}

    def render(self) -> bytes:
        data = {"version": VERSION, "tracker": self.tracker, "target": self.target,
                "watermark": self.watermark, "last_sync": self.last_sync,
                "links": self.links}
        return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=0) + "\n").encode()

    def dirty(self) -> bool:
        return self.render() != self._raw

    def save(self) -> bool:
        """Write the file when its content changed (atomically); True when written."""
        from bd.store.jsonl import atomic_write

        data = self.render()
        if data == self._raw:
            return False
        ensure_dir(self.beads_dir)
        atomic_write(self.path, data)
        self._raw = data
        return True

    # -- journal ----------------------------------------------------------------------------
    def journal(self) -> list[dict[str, Any]]:
        """The entries of an unfinished run (a torn last line is ignored)."""
        try:
            with open(self.journal_path, "rb") as fh:
                lines = fh.read().split(b"\n")
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the write that was cut short by the crash
            if isinstance(entry, dict):
                out.append(entry)
        return out

    def replay(self) -> tuple[dict[str, str], int, dict[str, str]]:
        """Apply an unfinished run's journal to the links: (refs to write back, entries
        recovered, create intents without a result: bd id -> title)."""
        refs: dict[str, str] = {}
        recovered = 0
        entries = self.journal()
        for e in entries:
            op, rid = e.get("op"), e.get("id")
            if not isinstance(rid, str):
                continue
            if op == "create":
                self.links[rid] = {"key": e["key"], "ref": e["ref"], "l": e["l"],
                                   "r": e["r"], "u": e["u"], "c": {}}
                refs[rid] = e["ref"]
                recovered += 1
            elif op == "update" and rid in self.links:
                self.links[rid].update({"l": e["l"], "r": e["r"], "u": e["u"]})
                recovered += 1
            elif op == "comment" and rid in self.links:
                self.links[rid].setdefault("c", {})[str(e["local"])] = str(e["remote"])
                recovered += 1
        intents = {e["id"]: e.get("title", "") for e in entries
                   if e.get("op") == "intent" and e.get("id") not in self.links}
        return refs, recovered, intents

    def append(self, entry: dict[str, Any]) -> None:
        ensure_dir(self.beads_dir)
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, json.dumps(entry, sort_keys=True, ensure_ascii=False).encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def clear_journal(self) -> None:
        try:
            os.unlink(self.journal_path)
        except FileNotFoundError:
            pass
