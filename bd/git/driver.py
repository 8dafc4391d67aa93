"""The merge driver's git-facing side: reading the three files git hands ``bd merge``,
writing the result atomically, the notes a driver run leaves for ``bd sync`` under the git
dir, and the merge settings of the nearest workspace.  The engine itself (``bd.core.merge``)
is pure: bytes in, bytes out.
"""

from __future__ import annotations

import os

from bd.core import merge
from bd.errors import BdError
from bd.store import config as cfgmod
from bd.store import inputs, jsonl
from bd.store.workspace import find_beads_dir

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.core.merge import MergeResult


# -- files ----------------------------------------------------------------------------------

def read_input(path: str) -> bytes:
    """One of the three files git hands the driver (a missing one is an error)."""
    return inputs.read_bytes(path)


def merge_files(output: str, base: str, left: str, right: str, **kw: Any) -> MergeResult:
    """Read all three inputs, merge, then replace ``output`` atomically (only on success).

    The sides are mapped, not read: the merge compares them with the base and copies out
    only what they changed (git's temporary files, rewritten by nobody meanwhile)."""
    data = read_input(base)
    sides = [inputs.map_bytes(p) for p in (left, right)]
    try:
        res = merge.merge_bytes(data, *sides, names=(base, left, right), **kw)
    finally:
        for side in sides:
            if not isinstance(side, bytes):
                try:
                    side.close()
                except BufferError:  # still viewed (an error on the way): freed with it
                    pass
    jsonl.atomic_write_parts(output, res.parts)
    return res


NOTES_FILE = "bd-merge-notes"


def record_renames(res: MergeResult, cwd: str | None = None) -> None:
    """Append the id moves of a driver run to ``<git-dir>/bd-merge-notes`` (best effort)."""
    from bd.git import runner as git  # subprocess: only a run that renamed something

    try:
        path = os.path.join(git.git_dir(cwd or os.getcwd()), NOTES_FILE)
        with open(path, "a", encoding="utf-8") as fh:
            for note in res.notes:
                if "two different issues" in note:
                    fh.write(note + "\n")
    except (OSError, BdError):
        pass


def take_recorded_notes(repo: str) -> list[str]:
    """The notes driver runs left for ``repo`` since the last call (the file is removed)."""
    from bd.git import runner as git

    path = os.path.join(git.git_dir(repo), NOTES_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            notes = [line.rstrip("\n") for line in fh if line.strip()]
        os.unlink(path)
    except FileNotFoundError:
        return []
    return notes


def load_settings(cwd: str | None = None) -> dict[str, Any]:
    """Merge settings from the nearest workspace's config.yaml (none found: defaults)."""
    try:
        beads = find_beads_dir(cwd)
    except BdError:
        return {"ttl": merge.DEFAULT_TTL_DAYS, "strict": False}
    cfg = cfgmod.load(os.path.join(beads, "config.yaml"))
    strict = str(cfg.get("merge.strict", "")).lower() in ("1", "true", "yes", "on")
    return {"ttl": merge.ttl_days(cfg), "strict": strict}
