"""One write transaction of the Store: records parsed on demand, changed ones spliced back as
canonical lines, the file written atomically, then the touched cache rows and the events.
"""

from __future__ import annotations

import os
import sqlite3

from bd.core import codec, model
from bd.errors import DataError, NotFoundError, ValidationError
from bd.store import jsonl
from bd.store.cache import line_hash, stat_sig
from bd.store.workspace import WISPS_NAME

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def _ignore_wisps(beads_dir: str) -> None:
    """Make sure git ignores wisps.jsonl before bd first writes it (workspaces made before
    wisps existed have a .gitignore without the line)."""
    path = os.path.join(beads_dir, ".gitignore")
    try:
        with open(path, "rb") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = b""
    if WISPS_NAME.encode() in text.split(b"\n"):
        return
    if text and not text.endswith(b"\n"):
        text += b"\n"
    jsonl.atomic_write(path, text + b"# bd: ephemeral molecules (wisps) stay local\n"
                       + WISPS_NAME.encode() + b"\n")


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
        self._wisp_lines: codec.Lines | None = None
        self.others: list[bytes] | None = None  # new non-issue lines, when changed

    def wisps(self) -> codec.Lines:
        """The lines of ``wisps.jsonl`` (ephemeral records), read on first use."""
        if self._wisp_lines is None:
            path = self.store.wisps_path
            raw = jsonl.read_bytes(path) if os.path.exists(path) else b""
            self._wisp_lines = codec.Lines(path, raw)
        return self._wisp_lines

    @property
    def pending(self) -> bool:
        """Anything to write."""
        return bool(self.changed or self.removed or self.others is not None)

    # -- non-issue lines (``_type`` other than "issue": memories and the like) ----------------

    def other_lines(self) -> list[bytes]:
        """The file's non-issue lines (without newlines), as this transaction would write
        them.  bd keeps them byte for byte; ``set_other_lines`` changes them."""
        if self.others is not None:
            return list(self.others)
        return self.lines.other_lines()

    def set_other_lines(self, lines: list[bytes]) -> None:
        """Replace the non-issue lines: lines already in the file keep their bytes and place,
        new ones are appended at the end of the file, missing ones are removed.  Each line
        must be one JSON object whose ``_type`` is not "issue" (see
        :func:`bd.core.model.other_line` to write one)."""
        checked = []
        for n, line in enumerate(lines, 1):
            line = line.rstrip(b"\n")
            if b"\n" in line:
                raise ValidationError(f"non-issue line {n} spans several lines")
            rec = codec.parse_line(line, "<new line>", n, others=True)
            if codec.other_type(rec) is None:
                raise ValidationError(f"non-issue line {n} is an issue record (use put)")
            checked.append(line)
        self.others = checked

    def get(self, rid: str) -> dict[str, Any] | None:
        if rid in self.changed:
            return self.changed[rid]
        if rid in self.removed:
            return None
        rec = self.lines.record(rid)
        if rec is None and self.wisps().has(rid):
            rec = self.wisps().record(rid)
        return rec

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
        return rid in self.changed or (rid not in self.removed and (
            self.lines.has(rid) or self.wisps().has(rid)))

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
        dups = self.lines.duplicates
        if dups:
            left = sorted(rid for rid in dups if rid not in self.changed
                          and rid not in self.removed)
            if left:
                raise DataError(
                    f"duplicate ids ({', '.join(left[:5])}{' …' if len(left) > 5 else ''}): "
                    "bd reads each as one merged record but will not write until they are "
                    "merged in the file; run 'bd doctor --fix'", path=store.jsonl_path)
        # Ephemeral records (wisps) live in wisps.jsonl, never in issues.jsonl; a record whose
        # flag changed moves from one file to the other in this commit.
        wisps = self.wisps()
        main_new: dict[str, bytes] = {}
        wisp_new: dict[str, bytes] = {}
        main_gone: set[str] = set()
        wisp_gone: set[str] = set()
        for rid, line in new_lines.items():
            if self.changed[rid].get("ephemeral") is True:
                wisp_new[rid] = line
                if self.lines.has(rid):
                    main_gone.add(rid)
            else:
                main_new[rid] = line
                if wisps.has(rid):
                    wisp_gone.add(rid)
        for rid in self.removed:
            if self.lines.has(rid):
                main_gone.add(rid)
            elif wisps.has(rid):
                wisp_gone.add(rid)
        if wisp_new or wisp_gone:
            # Written first: a crash after it leaves a record in both files at worst, and
            # issues.jsonl's line wins (bd.store.cache.refresh).
            _ignore_wisps(store.beads_dir)
            jsonl.atomic_write(store.wisps_path, wisps.render(wisp_new, wisp_gone))
            jsonl._step("store:wisps-written")
        edits = (self.lines.edits(main_new, main_gone)
                 if isinstance(self.lines, codec.SortedLines) and self.others is None
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
            data = self.lines.render(main_new, main_gone, self.others)
            if data != self.lines.raw:
                jsonl.atomic_write(store.jsonl_path, data, spare=True)
                jsonl._step("store:jsonl-written")
            # What bd writes is canonical; the file is plain when its ids are sorted and no
            # untouched line is unusual (a line whose id is not its first key, say).
            plain = getattr(self.lines, "spliced", False) or codec.is_plain(
                data, self.lines.result_sorted)
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
                if dups:  # the write merged every repeated id (it refuses otherwise)
                    cache.set_meta("bd_duplicates", "")
                    cache.duplicates_seen = ""
                if plain:
                    cache.rehash_blocks(data, [*main_new, *main_gone])
                if wisp_new or wisp_gone or main_new:
                    conn.executemany("INSERT OR IGNORE INTO bd_wisps(id) VALUES (?)",
                                     [(r,) for r in wisp_new])
                    conn.executemany("DELETE FROM bd_wisps WHERE id = ?",
                                     [(r,) for r in (*main_new, *(wisp_gone - set(wisp_new)))])
                cache.set_meta("bd_wisps_sig", stat_sig(store.wisps_path))
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
