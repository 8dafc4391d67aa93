"""Reading and re-keying this clone's event log (``.beads/events.jsonl``, git-ignored).

The log is append-only for writes (``Store.log_events``); two things read it outside a
transaction: sync asks which actors claimed issues here (to tell them when a claim was lost),
and a renumbering learned at sync moves this clone's events of an issue to its new id (so
local history does not credit this clone's edits to the issue now living at the old id).
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def read(path: str) -> list[dict[str, Any]]:
    """Every readable event in the log (a torn or foreign line is skipped: best effort)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return []
    out = []
    for line in raw.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            out.append(event)
    return out


def claim_actors(path: str) -> set[str]:
    """Actors who claimed an issue in this clone."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return set()
    if b'"claimed"' not in raw:
        return set()
    actors = set()
    for line in raw.splitlines():
        if b'"claimed"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event_type") == "claimed" \
                and isinstance(event.get("actor"), str) and event["actor"]:
            actors.add(event["actor"])
    return actors


def rekey(path: str, mapping: Mapping[str, str], *, note_time: str, actor: str) -> bool:
    """Move every logged event of an issue id in ``mapping`` to its new id and append a
    ``renumbered`` event for each; atomic (temp + fsync + rename).  Call under the
    workspace lock.  True when the log changed (the cache must reload it)."""
    from bd.core import model
    from bd.store.jsonl import atomic_write

    if not mapping:
        return False
    events = read(path)
    for event in events:
        if event.get("issue_id") in mapping:
            event["issue_id"] = mapping[event["issue_id"]]
    for old, new in sorted(mapping.items()):
        events.append({"issue_id": new, "event_type": "renumbered", "actor": actor,
                       "old_value": old, "new_value": new,
                       "comment": f"two issues were created under {old} in different clones; "
                                  f"this one moved to {new}", "created_at": note_time})
    data = b"".join(model.encode_json(e).encode("utf-8", "replace") + b"\n" for e in events)
    atomic_write(path, data)
    return True


def reload_cache(store: Any) -> None:
    """Make the store's cache forget its copy of the log and load it afresh (after
    :func:`rekey` rewrote it; the cache's byte offset no longer means anything)."""
    cache = store.cache(check=False)
    cache.conn.execute("BEGIN IMMEDIATE")
    cache.conn.execute("DELETE FROM events")
    cache.set_meta("bd_events_offset", "0")
    cache.conn.execute("COMMIT")
    store._catch_up_events(cache)
