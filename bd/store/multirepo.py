"""Other repositories' issues, read-only (``bd repo``): ``repos.additional`` in
``config.yaml`` lists workspaces whose ``.beads/issues.jsonl`` this one can read.  They are
never written into this workspace's JSONL (that would commit another project's issues
here); ``bd repo sync`` checks each one and records what it saw, and ``bd show`` finds an
issue there when it is not local."""

from __future__ import annotations

import json
import os

from bd.core import codec
from bd.errors import BdError, NotFoundError, UsageError
from bd.store import config as cfgmod
from bd.store import jsonl
from bd.store.routing import target_for_repo

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

KEY = "repos.additional"
STATE_FILE = "repos-state.json"  # git-ignored bookkeeping of the last sync


def configured(store: Store) -> list[str]:
    return cfgmod.get_list(store.config, KEY)


def _save(store: Store, paths: list[str]) -> None:
    cfgmod.set_value(store.config_path, KEY, ",".join(paths) if paths else None)
    store.reload_config()


def _resolve(store: Store, path: str) -> str:
    base = os.path.dirname(store.beads_dir)
    return target_for_repo(os.path.join(base, os.path.expanduser(path)))


def add(store: Store, path: str) -> dict[str, Any]:
    beads = _resolve(store, path)
    if os.path.normpath(beads) == os.path.normpath(store.beads_dir):
        raise UsageError("that is this workspace")
    paths = configured(store)
    if path in paths:
        return {"path": path, "beads_dir": beads, "added": False}
    _save(store, [*paths, path])
    return {"path": path, "beads_dir": beads, "added": True}


def remove(store: Store, path: str) -> dict[str, Any]:
    paths = configured(store)
    if path not in paths:
        raise NotFoundError(f"{path} is not in {KEY} (see 'bd repo list')")
    _save(store, [p for p in paths if p != path])
    return {"path": path, "removed": True}


def _records(beads: str) -> list[dict[str, Any]]:
    path = os.path.join(beads, "issues.jsonl")
    raw = jsonl.read_bytes(path)
    lines = codec.Lines(path, raw)
    return [codec.parse_line(line, path, n) for line, n in zip(lines.lines, lines.linenos,
                                                               strict=True)]


def describe(store: Store) -> list[dict[str, Any]]:
    """Each additional repository: path, beads_dir, issue_count, prefixes, error."""
    out = []
    for path in configured(store):
        row: dict[str, Any] = {"path": path, "beads_dir": None, "issue_count": 0,
                               "prefixes": [], "error": None}
        try:
            beads = _resolve(store, path)
            recs = _records(beads)
            row.update(beads_dir=beads, issue_count=sum(
                1 for r in recs if r.get("status") != "tombstone"),
                prefixes=sorted({r["id"].rpartition("-")[0] for r in recs}))
        except BdError as exc:
            row["error"] = str(exc)
        out.append(row)
    return out


def sync(store: Store) -> dict[str, Any]:
    """Read every additional repository (fails on none: a broken one is reported) and
    record its JSONL signature; ``changed`` says which differ from the last sync."""
    state_path = os.path.join(store.beads_dir, STATE_FILE)
    try:
        with open(state_path, encoding="utf-8") as fh:
            before = json.load(fh)
    except (OSError, ValueError):
        before = {}
    after: dict[str, Any] = {}
    rows = describe(store)
    for row in rows:
        if row["beads_dir"] is None:
            row["changed"] = None
            continue
        st = os.stat(os.path.join(row["beads_dir"], "issues.jsonl"))
        sig = [st.st_size, st.st_mtime_ns]
        after[row["path"]] = sig
        row["changed"] = before.get(row["path"]) != sig
    data = (json.dumps(after, indent=2, sort_keys=True) + "\n").encode()
    jsonl.atomic_write(state_path, data)
    return {"repos": rows, "synced": sum(1 for r in rows if r["beads_dir"]),
            "failed": sum(1 for r in rows if r["error"])}


def find(store: Store, rid: str) -> tuple[dict[str, Any], str] | None:
    """An issue with exactly this id in one of the additional repositories, read-only:
    (record, the repository's path)."""
    for path in configured(store):
        try:
            beads = _resolve(store, path)
            for rec in _records(beads):
                if rec["id"] == rid and rec.get("status") != "tombstone":
                    return rec, path
        except BdError:
            continue
    return None
