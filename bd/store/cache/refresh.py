"""Refreshing the cache from the JSONL: the stat signature decides whether to look; then
only lines whose hash the cache does not hold are parsed (in runs of ``schema.BLOCK_LINES``
lines for a sorted, plain file, so an untouched run costs one hash).
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterable, Mapping, Sequence

from bd.core import codec
from bd.core.progress import SILENT
from bd.errors import DataError
from bd.store import jsonl
from bd.store.cache import schema
from bd.store.cache.rows import stat_sig
from bd.store.cache.update import CacheRows

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


class _NotEmpty(Exception):
    pass


class _Changed(Exception):
    pass


# Rows of wisps (from wisps.jsonl) are not issues.jsonl's to add or remove.
_NOT_WISP = " WHERE id NOT IN (SELECT id FROM bd_wisps)"
_AND_NOT_WISP = " AND id NOT IN (SELECT id FROM bd_wisps)"


class Cache(CacheRows):
    """An open connection to the cache database."""

    def is_fresh(self, jsonl_path: str) -> bool:
        version, sig = self.quick_sig()
        return version == schema.CACHE_VERSION and sig == stat_sig(jsonl_path) and (
            self.wisps_path is None or self.wisps_sig == stat_sig(self.wisps_path))

    def refresh(self, jsonl_path: str, attempt: int = 0) -> bool:
        """Bring the cache in line with the JSONL. Returns True if rows changed."""
        self.ensure_schema()
        conn = self.conn
        wal = conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        empty = conn.execute("SELECT 1 FROM issues LIMIT 1").fetchone() is None
        # A file that was plain is mapped, not read: the run hashes touch each page once,
        # and a refresh of a large file no longer copies it into memory first (a third of
        # the time).  The store refreshes under the workspace lock (bd's writes wait), and
        # git replaces the file rather than rewrite it, so the mapping stays the bytes of
        # the signature taken with it; the signature is checked again before the commit
        # (another writer rewrote the file in place: read it again).
        mapped = not empty and self.is_plain()
        for _ in range(5):
            before = stat_sig(jsonl_path)
            raw: Any = jsonl.map_bytes(jsonl_path) if mapped else jsonl.read_bytes(jsonl_path)
            if stat_sig(jsonl_path) == before:
                break
        else:  # pragma: no cover - a file rewritten continuously
            raise DataError("file kept changing while being read", path=jsonl_path)
        if isinstance(raw, bytes):
            mapped = False
        if empty:
            # Filling an empty cache: every relation row points at an issue inserted in the
            # same transaction, so checking each foreign key would only cost time.  A new
            # file is filled before it turns to WAL: its rollback journal stays tiny (new
            # pages need no journal) and the pages are written once, not to a log and again.
            # A page cache the size of the file keeps SQLite from spilling pages half-built,
            # and the garbage collector has nothing to find among the fresh records.
            # No fsync of the new file either (synchronous OFF; its journal still makes an
            # interrupted fill roll back): the cache holds nothing the JSONL does not, and
            # the fsync of ~14 MB at 10,000 issues was a twelfth of a cold `ready`.
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(f"PRAGMA synchronous = {'NORMAL' if wal else 'OFF'}")
            conn.execute(f"PRAGMA cache_size = -{max(2000, 3 * len(raw) // 1024)}")
            collecting = gc.isenabled()
            gc.disable()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                quick = None if empty or not self.is_plain() else self._sync_blocks(jsonl_path,
                                                                                   raw)
                if quick is None and mapped:
                    raw = raw[:]  # the full comparison splits the bytes
                changed, plain = quick or self._sync(jsonl_path, raw, checked=not empty)
                if mapped and stat_sig(jsonl_path) != before:
                    raise _Changed  # rewritten in place while mapped: read it again
                self.record_written(before, plain)
                if self.wisps_path is not None:
                    changed = self._sync_wisps(self.wisps_path) or changed
                jsonl._step("cache:before-commit")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except _NotEmpty:  # rows appeared between the check and the transaction
            return self._refresh_again(jsonl_path)
        except _Changed:
            if attempt >= 4:  # pragma: no cover - a file rewritten in place continuously
                raise DataError("file kept changing while being read", path=jsonl_path) from None
            return self.refresh(jsonl_path, attempt + 1)
        finally:
            if empty:
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA cache_size = -2000")
                if collecting:
                    gc.enable()
        if not wal:
            try:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent; see the docstring
            except sqlite3.OperationalError:
                pass  # another connection is open; the next refresh tries again
        return changed

    def _refresh_again(self, jsonl_path: str) -> bool:
        self.conn.execute("PRAGMA foreign_keys = ON")
        return self.refresh(jsonl_path)

    def _sync(self, path: str, raw: bytes, checked: bool = True) -> tuple[bool, bool]:
        """Upsert the lines whose hash the cache does not hold, delete ids that left the file.

        Returns (rows changed, file is plain).  Lines the cache holds were validated when they
        were loaded, so only new lines are checked (conflict markers, JSON, ids); a duplicate
        id is reported by a full scan, which names both lines.
        """
        conn = self.conn
        by_hash = dict(conn.execute("SELECT bd_line_hash, id FROM issues" + _NOT_WISP))
        empty = not by_hash
        if not empty and not checked:
            raise _NotEmpty  # foreign keys are off: only an empty cache may be filled so
        # Rows without a hash (kept hidden, or to be re-derived) share the key '': list them.
        unhashed = ([row[0] for row in conn.execute(
            "SELECT id FROM issues WHERE bd_line_hash = ''" + _AND_NOT_WISP)]
            if "" in by_hash else [])
        from hashlib import sha1  # OpenSSL's: this loop hashes the whole file

        pop, head = by_hash.pop, codec.ID_HEAD
        order: list[str] = []
        pending: list[tuple[int, bytes, int, bytes]] = []
        plain = raw.endswith(b"\n") or not raw
        lines = raw.split(b"\n")
        last = len(lines)
        for n, line in enumerate(lines, 1):
            h = sha1(line).digest()  # line_hash, inlined
            rid = pop(h, None)
            if rid is not None:
                order.append(rid)
                if plain and not line.startswith(head):
                    plain = False
            elif line.strip():
                codec.check_markers(line, path, n)
                pending.append((len(order), line, n, h))
                order.append("")
                if plain and not line.startswith(head):
                    plain = False
            elif n != last:
                plain = False  # a blank line
        loads = None
        if len(pending) > 2000:  # orjson costs ~10 ms to import; worth it only for bulk parses
            try:
                import orjson

                loads = orjson.loads
            except ImportError:  # pragma: no cover - orjson is a dependency
                pass
        upserts = []
        skip = False
        reporter = self.progress if len(pending) > 2000 else SILENT
        with reporter.task("Loading issues", total=len(pending)) as task:
            # Large work (a cold build, a big pull) is reported in steps of 1024 lines.
            for k, (i, line, n, h) in enumerate(pending, 1):
                rec = codec.parse_line(line, path, n, loads, others=True)
                if not k & 1023:
                    task.update(k)
                if codec.other_type(rec) is not None:
                    order[i] = "\x00"  # a non-issue line: kept in the file, not a cache row
                    skip = True
                    continue
                order[i] = rec["id"]
                upserts.append((rec, line, h))
            task.update(len(pending))
        if skip:
            order = [rid for rid in order if rid != "\x00"]
        present = set(order)
        duplicates: list[str] = []
        if len(present) != len(order):
            upserts, duplicates = self._collapsed(path, raw, order, upserts)
            plain = False
        self.set_meta("bd_duplicates", ",".join(duplicates))
        plain = plain and all(a < b for a, b in zip(order, order[1:], strict=False))
        by_hash.pop("", None)
        removed = [rid for rid in (*by_hash.values(), *unhashed) if rid not in present]
        if empty and len(upserts) > 2000:
            with self.progress.task("Building cache", total=len(upserts)) as task:
                self._load(upserts)
                task.update(len(upserts))
        elif empty:
            self._load(upserts)
        elif upserts or removed:
            self._claim_from_wisps(upserts)
            self.apply(upserts, removed, in_tx=True)
        if plain:
            self._write_blocks(raw, lines)
        else:
            conn.execute("DELETE FROM bd_blocks")
        return bool(upserts or removed), plain

    def _collapsed(self, path: str, raw: bytes, order: list[str],
                   upserts: list[tuple[Any, bytes, bytes]]
                   ) -> tuple[list[tuple[Any, bytes, bytes]], list[str]]:
        """Ids on several lines (a line-based merge kept two versions): each becomes one row,
        the lines' records collapsed by the merge engine's rules, stored under the hash of
        the collapsed line (so an unchanged set of lines costs no upsert next time)."""
        from collections import Counter
        from hashlib import sha1

        from bd.core import model

        counts = Counter(order)
        duplicates = sorted(rid for rid, c in counts.items() if c > 1)
        found = codec.Lines(path, raw)
        dup_set = set(duplicates)
        kept = [u for u in upserts if u[0]["id"] not in dup_set]
        for rid in duplicates:
            rec = found.record(rid)
            assert rec is not None
            line = model.to_line(rec)[:-1]
            h = sha1(line).digest()
            row = self.conn.execute("SELECT bd_line_hash FROM issues WHERE id = ?",
                                    (rid,)).fetchone()
            if row is None or row[0] != h:
                kept.append((rec, line, h))
        return kept, duplicates

    def duplicate_ids(self) -> list[str]:
        """Ids found on several lines of the JSONL at the last refresh."""
        value = self.meta("bd_duplicates")
        return value.split(",") if value else []

    def _write_blocks(self, raw: Any, lines: list[bytes] | None = None) -> None:
        """Cut a plain file into runs of schema.BLOCK_LINES lines and store their hashes
        (with their lengths: :func:`_run_hash`)."""
        from hashlib import sha256
        from itertools import accumulate

        conn = self.conn
        conn.execute("DELETE FROM bd_blocks")
        if not isinstance(raw, bytes):
            raw = raw[:]  # a mapping of the file
        if lines is None:
            lines = raw.split(b"\n")
        count = len(lines) - 1  # a plain file ends with a newline
        starts = [0, *accumulate(len(line) + 1 for line in lines[:count])]
        view, rows = memoryview(raw), []
        for n, i in enumerate(range(0, count, schema.BLOCK_LINES)):
            first = "" if n == 0 else codec.fast_id(lines[i])
            if first is None:
                conn.execute("DELETE FROM bd_blocks")
                return
            end = starts[min(i + schema.BLOCK_LINES, count)]
            rows.append((n, first, _run_hash(sha256, view[starts[i]:end])))
        conn.executemany("INSERT INTO bd_blocks(n, first_id, hash) VALUES (?, ?, ?)", rows)

    def _sync_blocks(self, path: str, raw: Any) -> tuple[bool, bool] | None:
        """The refresh of a plain file that was plain when last loaded: hash each stored run
        of lines where it now lies (found by its first id), and look only at the lines of
        the runs whose bytes changed.  None when the new file is not plain there (the caller
        then compares every line).  ``raw``: the file's bytes or a mapping of them.

        Runs found in order and hashing as before mean the file is the old runs' bytes with
        the changed runs' lines in between, so the cache rows of every other line are right.
        """
        from hashlib import sha1, sha256

        conn = self.conn
        blocks = conn.execute("SELECT n, first_id, hash FROM bd_blocks ORDER BY n").fetchall()
        if (not blocks or blocks[0][1] != "" or raw[-1:] != b"\n"
                or raw[:len(codec.ID_HEAD)] != codec.ID_HEAD):
            return None
        found = codec.SortedLines(path, raw)
        try:
            starts = _run_starts(raw, found, [first for _, first, _ in blocks],
                                 [_run_size(old) for _, _, old in blocks])
        except codec.NotPlain:
            return None
        if any(a > b for a, b in zip(starts, starts[1:], strict=False)):
            return None
        view = memoryview(raw)
        sums = [_run_hash(sha256, view[starts[k]:starts[k + 1]]) for k in range(len(blocks))]
        view.release()
        # A stored hash without its length (an older cache) is compared by its digest alone.
        stale = [k for k, (_, _, old) in enumerate(blocks)
                 if sums[k] != old and (len(old) != 32 or sums[k][:32] != old)]
        unhashed = [row[0] for row in conn.execute(
            "SELECT id FROM issues WHERE bd_line_hash = ''" + _AND_NOT_WISP)]
        if any(found.has(rid) for rid in unhashed):
            return None  # rows to re-derive: the full comparison does that
        upserts: list[tuple[Mapping[str, Any], bytes, bytes]] = []
        removed = list(unhashed)  # rows kept hidden: try deleting them again
        loads, head = codec.parse_line, codec.ID_HEAD
        rechunk = False
        for k in stale:
            low = blocks[k][1]
            high = blocks[k + 1][1] if k + 1 < len(blocks) else None
            cached = dict(conn.execute(
                "SELECT bd_line_hash, id FROM issues WHERE id >= ?"
                + (" AND id < ?" if high is not None else "") + _AND_NOT_WISP,
                (low, high) if high is not None else (low,)))
            lines = raw[starts[k]:starts[k + 1]].split(b"\n")[:-1]
            rechunk = rechunk or len(lines) > 4 * schema.BLOCK_LINES
            seen: set[str] = set()
            last = None
            for line in lines:
                if not line.startswith(head):
                    return None
                h = sha1(line).digest()
                rid = cached.pop(h, None)
                if rid is None:
                    try:
                        rec = loads(line, path, 0)
                    except DataError:
                        return None  # the full comparison reports it with its line number
                    rid = rec["id"]
                    upserts.append((rec, line, h))
                if (last is not None and rid <= last) or rid < low or (
                        high is not None and rid >= high):
                    return None  # out of order: not plain any more
                last = rid
                seen.add(rid)
            removed += [rid for rid in cached.values() if rid and rid not in seen]
        removed = list(dict.fromkeys(removed))
        if upserts or removed:
            self._claim_from_wisps(upserts)
            self.apply(upserts, removed, in_tx=True)
        if rechunk:
            self._write_blocks(raw)
        else:
            conn.executemany("UPDATE bd_blocks SET hash = ? WHERE n = ?", [
                (sums[k], k) for k, (_, _, old) in enumerate(blocks) if sums[k] != old])
        return bool(upserts or removed), True

    def rehash_blocks(self, data: bytes, ids: Iterable[str]) -> None:
        """After bd wrote a plain file (inside the caller's transaction): rehash the runs
        holding the records it touched."""
        import bisect

        conn = self.conn
        firsts = [row[0] for row in conn.execute("SELECT first_id FROM bd_blocks ORDER BY n")]
        ids = set(ids)
        if not firsts or firsts[0] != "" or len(ids) > schema.BLOCK_LINES:
            self._write_blocks(data)
            return
        try:
            from _sha256 import sha256  # a few runs: the builtin module imports faster
        except ImportError:  # pragma: no cover
            from hashlib import sha256
        found = codec.SortedLines("", data)
        view, rows = memoryview(data), []
        try:
            for k in {bisect.bisect_right(firsts, rid) - 1 for rid in ids}:
                start = found.offset(firsts[k]) if k else 0
                end = found.offset(firsts[k + 1]) if k + 1 < len(firsts) else len(data)
                rows.append((_run_hash(sha256, view[start:end]), k))
        except codec.NotPlain:
            view.release()
            self._write_blocks(data)
            return
        view.release()
        conn.executemany("UPDATE bd_blocks SET hash = ? WHERE n = ?", rows)

    def _sync_wisps(self, path: str) -> bool:
        """Bring the rows of wisps in line with ``wisps.jsonl`` (inside the caller's
        transaction).  An id that issues.jsonl also holds belongs to issues.jsonl."""
        from hashlib import sha1

        sig = stat_sig(path)
        if sig == self.meta("bd_wisps_sig"):
            return False
        raw = jsonl.read_bytes(path)
        conn = self.conn
        # The few wisps first (SQLite would otherwise probe bd_wisps for every issue).
        held = dict(conn.execute("SELECT i.id, i.bd_line_hash FROM bd_wisps w "
                                 "CROSS JOIN issues i ON i.id = w.id"))
        upserts = []
        present: set[str] = set()
        for n, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            codec.check_markers(line, path, n)
            h = sha1(line).digest()
            rid = codec.fast_id(line)
            if rid is not None and held.get(rid) == h:
                present.add(rid)
                continue
            rec = codec.parse_line(line, path, n)
            rid = rec["id"]
            if rid in present:
                raise DataError(f"duplicate id {rid}", path=path, line=n)
            if rid not in held and conn.execute(
                    "SELECT 1 FROM issues WHERE id = ?", (rid,)).fetchone():
                continue  # issues.jsonl holds this id: its line wins
            present.add(rid)
            upserts.append((rec, line, h))
        removed = [rid for rid in held if rid not in present]
        if upserts or removed:
            self.apply(upserts, removed, in_tx=True)
            conn.executemany("INSERT OR IGNORE INTO bd_wisps(id) VALUES (?)",
                             [(r["id"],) for r, _, _ in upserts])
            conn.executemany("DELETE FROM bd_wisps WHERE id = ?", [(r,) for r in removed])
        self.set_meta("bd_wisps_sig", sig)
        return bool(upserts or removed)

    def _claim_from_wisps(self, upserts: Sequence[tuple[Mapping[str, Any], bytes, bytes]]
                          ) -> None:
        """Ids issues.jsonl now holds stop being wisp rows (a squashed wisp root moved)."""
        if upserts:
            import json

            self.conn.execute("DELETE FROM bd_wisps WHERE id IN (SELECT value FROM "
                              "json_each(?))", (json.dumps([r["id"] for r, _, _ in upserts]),))

def _run_hash(sha256: Any, run: Any) -> bytes:
    """What bd_blocks stores for a run of lines: the SHA-256 of its bytes, then its length
    (8 bytes, big-endian), so a refresh finds where the next run should start."""
    return sha256(run).digest() + len(run).to_bytes(8, "big")


def _run_size(stored: bytes) -> int | None:
    """The length of a run from its stored hash (None: an older cache stored none)."""
    return int.from_bytes(stored[32:], "big") if len(stored) == 40 else None


def _run_starts(raw: Any, found: codec.SortedLines, firsts: list[str],
                sizes: list[int | None]) -> list[int]:
    """Where each stored run of lines now starts (and the file's end).  A run is looked for
    where the one before it would end if its length had not changed (lines edited in
    place, or untouched: the common case after a pull); a run that moved is found by
    binary search for its first id."""
    starts, pos, find, size = [0], 0, raw.find, len(raw)
    step = schema.BLOCK_LINES
    for first, before in zip(firsts[1:], sizes, strict=False):
        if before is not None:
            guess = pos + before
        else:  # an older cache: walk the run's lines
            guess = pos
            for _ in range(step):
                guess = find(b"\n", guess) + 1
                if not guess:
                    break
        key = b'{"id":"' + first.encode("utf-8", "surrogatepass") + b'"'
        if 0 < guess < size and raw[guess - 1:guess + len(key)] == b"\n" + key:
            pos = guess
        else:
            pos = found.offset(first)
        starts.append(pos)
    starts.append(size)
    return starts
