"""One write transaction of the Store: records parsed on demand, changed ones spliced back as
canonical lines, the file written atomically, then the touched cache rows and the events.
"""

from __future__ import annotations

import sqlite3

from bd.core import codec, model
from bd.errors import NotFoundError, ValidationError
from bd.store import jsonl
from bd.store.cache import line_hash, stat_sig

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite gave up waiting (its busy timeout) for another process's lock on the cache."""
    return "locked" in str(exc) or "busy" in str(exc)



class Tx:
    """One write transaction: records parsed on demand, changed ones spliced back on commit."""

    def __init__(self, store: Store, lines: codec.Lines | codec.SortedLines, now: str) -> None:
        self.store = store
        self.lines = lines
        self.now = now
        self.changed: dict[str, dict[str, Any]] = {}
        self.removed: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self.affects_ready = False

    def get(self, rid: str) -> dict[str, Any] | None:
        if rid in self.changed:
            return self.changed[rid]
        if rid in self.removed:
            return None
        return self.lines.record(rid)

    def require(self, rid: str) -> dict[str, Any]:
        rec = self.get(rid)
        if rec is None:
            raise NotFoundError(f"issue {rid} not found", issue_id=rid)
        return rec

    def live(self, rid: str) -> dict[str, Any]:
        """A record that must exist and not be deleted (targets of links, labels, parents)."""
        rec = self.require(rid)
        if model.status_of(rec) == "tombstone":
            raise ValidationError(f"issue {rid} is deleted", issue_id=rid)
        return rec

    def exists(self, rid: str) -> bool:
        return rid in self.changed or (rid not in self.removed and self.lines.has(rid))

    def put(self, rec: dict[str, Any], *, affects_ready: bool = True) -> None:
        self.changed[rec["id"]] = rec
        self.affects_ready = self.affects_ready or affects_ready

    def event(self, issue_id: str, event_type: str, *, old: Any = None, new: Any = None,
              comment: str | None = None) -> None:
        self.events.append({
            "issue_id": issue_id, "event_type": event_type, "actor": self.store.actor,
            "old_value": old if old is None or isinstance(old, str) else model.encode_json(old),
            "new_value": new if new is None or isinstance(new, str) else model.encode_json(new),
            "comment": comment, "created_at": self.now,
        })

    def commit(self) -> None:
        store = self.store
        for rid, rec in self.changed.items():  # never write a line the loader would refuse
            problem = model.type_problem(rec)
            if problem is not None:
                raise ValidationError(f"{rid}: {problem}", issue_id=rid)
        new_lines = {rid: model.to_line(rec) for rid, rec in self.changed.items()}
        for rid, line in new_lines.items():
            if b"\xef\xbf\xbd" in line:  # U+FFFD: the line may have replaced lone surrogates
                model.scrub(self.changed[rid])  # so the cache and the caller see the line
        model.scrub(self.events)
        edits = (self.lines.edits(new_lines, self.removed)
                 if isinstance(self.lines, codec.SortedLines)
                 and not isinstance(self.lines.raw, bytes) else None)
        data: Any
        if edits is not None:
            # A plain file, mapped: splice file to file, never holding it in memory.
            if edits:
                jsonl.atomic_splice(store.jsonl_path, edits)
                jsonl._step("store:jsonl-written")
            data = jsonl.map_bytes(store.jsonl_path)  # the new file, for the block hashes
            plain = True
        else:
            data = self.lines.render(new_lines, self.removed)
            if data != self.lines.raw:
                jsonl.atomic_write(store.jsonl_path, data)
                jsonl._step("store:jsonl-written")
            # What bd renders is sorted and canonical; it is plain unless an untouched line
            # was not (a line whose id is not its first key, say).
            plain = getattr(self.lines, "spliced", False) or codec.is_plain(data, True)
        if self.events:
            # The audit log before the cache: if the cache update does not happen (a kill,
            # a busy cache), the next refresh loads these events from the log.
            store.log_events(self.events)
        cache = store.cache(check=False)
        conn = cache.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cache.apply(((self.changed[r], line[:-1], line_hash(line[:-1]))
                             for r, line in new_lines.items()), self.removed,
                            recompute=self.affects_ready or bool(self.removed), in_tx=True)
                cache.record_written(stat_sig(store.jsonl_path), plain)
                if plain:
                    cache.rehash_blocks(data, [*self.changed, *self.removed])
                if self.events:
                    store.load_events(self.events, cache)
                jsonl._step("store:before-commit")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            # The change is in the JSONL, the truth; the cache still holds the old file's
            # signature, so the next command refreshes it.
            store.notices.append(f"bd: warning: the cache {store.db_path} was locked by "
                                 "another process; the change is saved and the cache will "
                                 "catch up on the next command")
