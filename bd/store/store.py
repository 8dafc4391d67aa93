"""The Store: the transaction boundary between the JSONL truth, the cache and callers.

Reads go to the cache after a freshness check.  A write takes the workspace lock, brings the
cache up to date, parses only the records it touches, splices their canonical lines into the
file, writes it atomically, then upserts the touched rows in the cache and records events.
"""

from __future__ import annotations

import json
import os
import sqlite3  # already loaded by bd.store.cache
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bd.core import choices, codec, model
from bd.core.progress import SILENT, Progress
from bd.errors import CacheBusyError, NotFoundError, ValidationError
from bd.store import config as cfgmod
from bd.store import jsonl
from bd.store.cache import Cache
from bd.store.lock import WorkspaceLock
from bd.store.reads import Reads
from bd.store.tx import Tx, _busy
from bd.store.workspace import DB_NAME, JSONL_NAME, WISPS_NAME, find_beads_dir

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def default_actor() -> str:
    return os.environ.get("BD_ACTOR") or os.environ.get("USER") or "unknown"


def fallback_actor(git_name: str | None = None) -> str:
    """Who acts when neither --actor, BD_ACTOR nor config names anyone: git's user.name
    (found by the caller: only bd.git runs git), then $USER, then "unknown"."""
    return git_name or os.environ.get("USER") or "unknown"


_list = list  # Store.list shadows the builtin inside the class body


class Store(Reads):
    """A bd workspace. Open with :func:`bd.open`."""

    def __init__(self, beads_dir: str, *, actor: str | None = None,
                 lock_timeout: float = 30.0) -> None:
        self.beads_dir = os.path.abspath(beads_dir)
        self.jsonl_path = os.environ.get("BEADS_JSONL") or os.path.join(self.beads_dir,
                                                                         JSONL_NAME)
        self.db_path = os.path.join(self.beads_dir, DB_NAME)
        self.wisps_path = os.path.join(self.beads_dir, WISPS_NAME)
        self.config_path = os.path.join(self.beads_dir, "config.yaml")
        self.events_path = os.path.join(self.beads_dir, "events.jsonl")
        self.lock = WorkspaceLock(os.path.join(self.beads_dir, ".bd.lock"), lock_timeout)
        self._config: dict[str, Any] | None = None
        self._cache: Cache | None = None
        self._actor = actor
        self.notices: list[str] = []
        # Long work the store does on its own (a cold cache build) reports through this;
        # the CLI sets a terminal reporter (bd.cli.progress).
        self.progress: Progress = SILENT
        # Asked for a name when no actor is configured (the CLI: git's user.name).
        self.actor_fallback: Callable[[], str | None] | None = None
        self._warned_duplicates = False
        self._unresolved: tuple[Any, str, str | None] | None = None  # resolve's last miss

    @classmethod
    def discover(cls, start: str | None = None, *, db: str | None = None,
                 actor: str | None = None, lock_timeout: float = 30.0) -> Store:
        return cls(find_beads_dir(start, db), actor=actor, lock_timeout=lock_timeout)

    # -- configuration -----------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            self._config = cfgmod.env_override(cfgmod.load(self.config_path))
        return self._config

    def reload_config(self) -> None:
        self._config = None

    @property
    def actor(self) -> str:
        """--actor, BD_ACTOR, config ``actor``, then ``actor_fallback()`` (the CLI asks git
        for user.name there), then $USER, then "unknown"."""
        if not self._actor:
            self._actor = str(self.config.get("actor") or "") or fallback_actor(
                self.actor_fallback() if self.actor_fallback is not None else None)
        return self._actor

    @property
    def prefix(self) -> str:
        value = self.config.get("issue-prefix")
        if value:
            return str(value).rstrip("-")
        detected = self._detect_prefix()
        return detected or os.path.basename(os.path.dirname(self.beads_dir)) or "bd"

    def _detect_prefix(self) -> str | None:
        row = self.cache().conn.execute(
            "SELECT substr(id, 1, instr(id, '-') - 1) p, count(*) n FROM issues "
            "WHERE instr(id, '-') > 0 AND instr(id, '.') = 0 GROUP BY p ORDER BY n DESC "
            "LIMIT 1").fetchone()
        return row[0] if row and row[0] else None

    def config_list(self, key: str) -> list[str]:
        return cfgmod.get_list(self.config, key)

    @property
    def custom_statuses(self) -> list[str]:
        return cfgmod.get_list(self.config, "status.custom")

    @property
    def custom_types(self) -> list[str]:
        return cfgmod.get_list(self.config, "types.custom")

    # -- cache -------------------------------------------------------------------------------

    def cache(self, *, check: bool = True) -> Cache:
        """The cache connection, refreshed from the JSONL first unless ``check`` is False."""
        if self._cache is None:
            self._cache = Cache(self.db_path, self.wisps_path)
            self._cache.progress = self.progress
            check = True
        if check and not self._cache.is_fresh(self.jsonl_path):
            with self.lock:
                if not self._cache.is_fresh(self.jsonl_path):
                    try:
                        self._cache.refresh(self.jsonl_path)
                        self._catch_up_events(self._cache)
                    except sqlite3.OperationalError as exc:
                        if not _busy(exc):
                            raise
                        raise CacheBusyError(
                            "the cache is locked by another process (waited 30 s); try again",
                            path=self.db_path) from None
                    self._cache.duplicates_seen = self._cache.meta("bd_duplicates") or ""
            self.notices.extend(self._cache.notices)
            self._cache.notices.clear()
        if check and self._cache.lazy_indexes and not self._cache.cold_built:
            self._cache.build_lazy_indexes()  # left by the cold build of an earlier command
        if check and self._cache.duplicates_seen and not self._warned_duplicates:
            self._warned_duplicates = True
            self.notices.append(jsonl.duplicates_notice(self.jsonl_path,
                                                        self._cache.duplicates_seen))
        return self._cache

    def open_cache(self) -> Cache | None:
        """The cache connection if this store has opened it (never opens or refreshes)."""
        return self._cache

    def close(self) -> None:
        self._unresolved = None  # its key names this connection
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Lock, load, yield a Tx for mutation, then write atomically and update the cache."""
        from bd.core.timeutil import now_ts

        with self.lock:
            lines = self._load_lines()
            tx = Tx(self, lines, now_ts())
            yield tx
            if tx.pending:
                tx.commit()

    def _load_lines(self) -> codec.Lines | codec.SortedLines:
        """The JSONL's lines for a write (under the lock, with the cache fresh).

        When the cache holds the signature of these very bytes and knows the file is plain,
        the lines are located by binary search instead of scanning 10,000 of them: the file
        was validated when the cache loaded it and has not changed since.
        """
        cache = self.cache()
        if cache.is_plain() and cache.is_fresh(self.jsonl_path):
            # Mapped, not read: the binary search and the splice touch a few pages.
            return codec.SortedLines(self.jsonl_path, jsonl.map_bytes(self.jsonl_path))
        return codec.Lines(self.jsonl_path, jsonl.read_bytes(self.jsonl_path))

    def other_lines(self) -> list[tuple[int, bytes, dict[str, Any]]]:
        """The JSONL's non-issue lines (``_type`` other than "issue": memories and the like) as
        ``(line number, bytes, parsed record)``, in file order.  They are not in the cache;
        change them with ``Tx.set_other_lines`` inside :meth:`transaction`."""
        return jsonl.other_lines(self.jsonl_path)

    # -- events (append-only log beside the JSONL; the cache mirrors it) -----------------------

    def log_events(self, events: list[dict[str, Any]]) -> None:
        """Append events to the log (under the workspace lock), fsynced."""
        data = b"".join(model.encode_json(e).encode("utf-8", "replace") + b"\n" for e in events)
        with open(self.events_path, "ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        jsonl._step("store:events-appended")

    def load_events(self, events: list[dict[str, Any]], cache: Cache) -> None:
        """Insert logged events into the cache (inside the caller's transaction)."""
        self._insert_events(cache, events)
        cache.set_meta("bd_events_offset", str(os.path.getsize(self.events_path)))

    @staticmethod
    def _insert_events(cache: Cache, events: list[dict[str, Any]]) -> None:
        cache.conn.executemany(
            "INSERT INTO events(issue_id, event_type, actor, old_value, new_value, comment, "
            "created_at) SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS "
            "(SELECT 1 FROM issues WHERE id = ?)",
            [(e.get("issue_id"), e.get("event_type"), e.get("actor") or "", e.get("old_value"),
              e.get("new_value"), e.get("comment"), e.get("created_at"), e.get("issue_id"))
             for e in events])

    def _catch_up_events(self, cache: Cache) -> None:
        """Load events appended by other processes (or all, after a rebuild)."""
        try:
            size = os.path.getsize(self.events_path)
        except OSError:
            return
        offset = int(cache.meta("bd_events_offset") or 0)
        if offset > size:
            cache.conn.execute("DELETE FROM events")
            offset = 0
        if offset == size:
            return
        with open(self.events_path, "rb") as fh:
            fh.seek(offset)
            tail = fh.read()
        end = tail.rfind(b"\n") + 1
        events = []
        for line in tail[:end].splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the audit log is best-effort; the JSONL is the truth
            if isinstance(event, dict):
                events.append(event)
        cache.conn.execute("BEGIN IMMEDIATE")
        self._insert_events(cache, events)
        cache.set_meta("bd_events_offset", str(offset + end))
        cache.conn.execute("COMMIT")

    # -- reads -------------------------------------------------------------------------------

    def resolve(self, partial: str) -> str:
        """Resolve a full or partial id (spec §5.5) to an existing issue id."""
        from bd.core import ids

        conn = self.cache().conn
        query = partial.strip()
        if conn.execute("SELECT 1 FROM issues WHERE id = ?", (query,)).fetchone():
            return query
        # `show` resolves an unknown id twice (other repositories first): the answer, with
        # its suggestion (a scan of every id), is kept while the cache is unchanged.
        seen = (partial, self.prefix, id(conn), conn.total_changes,
                conn.execute("PRAGMA data_version").fetchone()[0])
        if self._unresolved is not None and self._unresolved[0] == seen:
            raise NotFoundError(self._unresolved[1], issue_id=self._unresolved[2])
        prefix = self.prefix
        norm = ids.normalise(query, prefix)
        if conn.execute("SELECT 1 FROM issues WHERE id = ?", (norm,)).fetchone():
            return norm
        needle = ids.hash_needle(query, prefix)
        candidates = [r[0] for r in conn.execute(
            "SELECT id FROM issues WHERE status != 'tombstone' AND "
            "instr(substr(id, instr(id, '-') + 1), ?) > 0", (needle,))] if needle else []
        try:
            return ids.resolve_partial(query, prefix, candidates)
        except NotFoundError as exc:
            message = exc.message + self.nearest_ids(norm)
            self._unresolved = (seen, message, exc.issue_id)
            raise NotFoundError(message, issue_id=exc.issue_id) from None

    def ids_starting(self, prefix: str, limit: int = 200) -> list[str]:
        """Live ids starting with ``prefix``, or whose part after the dash does (completion)."""
        conn = self.cache().conn
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return [r[0] for r in conn.execute(
            "SELECT id FROM issues WHERE status != 'tombstone' AND (id LIKE ? ESCAPE '\\' "
            "OR substr(id, instr(id, '-') + 1) LIKE ? ESCAPE '\\') ORDER BY id LIMIT ?",
            (like, like, limit))]

    def nearest_ids(self, rid: str) -> str:
        """``" (did you mean t-abd?)"`` naming the live ids closest to ``rid``, or ``""``."""
        from bd.core.suggest import nearest
        from bd.store.nearest import close_ids_sql

        close, params = close_ids_sql(rid)
        pool = [r[0] for r in self.cache().conn.execute(
            "SELECT id FROM issues WHERE status != 'tombstone' AND length(id) BETWEEN ? AND ? "
            f"AND ({close})", (len(rid) - 2, len(rid) + 2, *params))]
        found = nearest(rid, pool, 3, cutoff=0.75)
        return f" (did you mean {' or '.join(found)}?)" if found else ""

    def exact(self, rid: str) -> str:
        """An id that must exist exactly (delete, --parent, --deps)."""
        if not self.cache().conn.execute("SELECT 1 FROM issues WHERE id = ?", (rid,)).fetchone():
            raise NotFoundError(f"issue {rid} not found{self.nearest_ids(rid)}", issue_id=rid)
        return rid

    def get(self, rid: str) -> dict[str, Any]:
        row = self.cache().conn.execute("SELECT bd_line FROM issues WHERE id = ?",
                                        (rid,)).fetchone()
        if row is None:
            raise NotFoundError(f"issue {rid} not found", issue_id=rid)
        return json.loads(row[0])

    def get_many(self, rids: list[str]) -> dict[str, dict[str, Any]]:
        conn = self.cache().conn
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(rids), 500):
            chunk = rids[i:i + 500]
            for rid, line in conn.execute(
                    f"SELECT id, bd_line FROM issues WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk):
                out[rid] = json.loads(line)
        return out

    def list_ids(self) -> list[str]:
        return [r[0] for r in self.cache().conn.execute("SELECT id FROM issues ORDER BY id")]

    def all_records(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in
                self.cache().conn.execute("SELECT bd_line FROM issues ORDER BY id")]

    def graph(self, *, light: bool = False) -> Any:
        """The graph index over all records.

        ``light`` builds it from cache columns and edge rows instead of parsing every JSON
        line: enough for readiness, blockers, stats, trees and cycles, several times faster.
        """
        from bd.core.graph import Graph

        if not light:
            return Graph.build(self.all_records())
        return self._light_graph(None)

    def _light_graph(self, ids: list[str] | None) -> Any:
        """The light graph over all issues, or over ``ids`` only (edges leaving the set are
        then dangling, as edges to missing issues are)."""
        from bd.core.graph import Graph

        conn = self.cache().conn
        where, args = ("", ()) if ids is None else (
            " WHERE {} IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
        deps: dict[str, list[dict[str, Any]]] = {}
        for a, b, t, meta in conn.execute(
                "SELECT issue_id, depends_on_id, type, metadata FROM dependencies"
                + where.format("issue_id") + " ORDER BY rowid", args):
            edge = {"issue_id": a, "depends_on_id": b, "type": t}
            if meta:
                edge["metadata"] = meta
            deps.setdefault(a, []).append(edge)
        cols = ("id", "title", "status", "priority", "issue_type", "pinned", "ephemeral",
                "is_template", "defer_until", "close_reason", "closed_at", "created_at")
        records = []
        for row in conn.execute(f"SELECT {', '.join(cols)} FROM issues"
                                + where.format("id") + " ORDER BY id", args):
            rec = {k: v for k, v in zip(cols, row, strict=False) if v is not None}
            rec["pinned"], rec["ephemeral"], rec["is_template"] = (bool(row[5]), bool(row[6]),
                                                                   bool(row[7]))
            if row[0] in deps:
                rec["dependencies"] = deps[row[0]]
            records.append(rec)
        return Graph.build(records)

    def tree(self, rid: str, *, direction: str = "down", max_depth: int = 50,
             types: list[str] | None = None, all_paths: bool = False) -> list[dict[str, Any]]:
        """graph.Graph.tree, over only the issues within ``max_depth + 1`` steps of ``rid``
        (what the walk can show or mark truncated), so its cost follows the tree's size."""
        steps = {"down": ("d.depends_on_id", "d.issue_id"), "up": ("d.issue_id", "d.depends_on_id")}
        ids = {rid}
        for way in (("up", "down") if direction == "both" else (direction,)):
            if way not in steps:
                break  # Graph.tree names the bad direction
            nxt, cur = steps[way]
            ids.update(row[0] for row in self.cache().conn.execute(
                f"WITH RECURSIVE r(id, n) AS (SELECT ?, 0 UNION SELECT {nxt}, r.n + 1 "
                f"FROM dependencies d JOIN r ON {cur} = r.id WHERE r.n <= ?) SELECT id FROM r",
                (rid, max_depth)))
        return self._light_graph(sorted(ids)).tree(
            rid, direction=direction, max_depth=max_depth, types=types, all_paths=all_paths)

    def last_touched(self) -> str:
        """The id the last create/update/close here touched ('' when none)."""
        try:
            with open(os.path.join(self.beads_dir, "last-touched"), encoding="utf-8",
                      errors="replace") as fh:
                return fh.read().strip()
        except OSError:
            return ""

    def set_last_touched(self, rid: str) -> None:
        """Remember ``rid`` for commands given no id (``bd close`` after ``bd create``)."""
        try:
            with open(os.path.join(self.beads_dir, "last-touched"), "w") as fh:
                fh.write(rid + "\n")
        except OSError:
            pass  # a convenience only

    def check_type(self, itype: str) -> str:
        """A type to set: built-in, an alias, or in config types.custom (else a usage error
        listing them)."""
        itype = model.normalise_type(itype)
        if itype not in model.BUILTIN_TYPES:
            choices.issue_type(itype, self.custom_types)
        return itype

    def check_dep_type(self, dep_type: str, *, force: bool = False) -> str:
        """A dependency type to add: known, in config types.custom_deps, or with ``force``."""
        return choices.dep_type(dep_type, self.config_list("types.custom_deps"), force=force)

    def check_status(self, status: str) -> str:
        if status == "tombstone":
            raise ValidationError(
                "cannot set status to tombstone directly; use 'bd delete' instead",
                field="status")
        if status not in model.BUILTIN_STATUSES:
            choices.status(status, self.custom_statuses)
        return status


def open_store(path: str | None = None, *, actor: str | None = None) -> Store:
    """Open the workspace containing ``path`` (a project dir, a .beads dir, or a db path)."""
    if path is not None:
        path = os.path.abspath(path)
        if os.path.basename(path) == ".beads" and os.path.isdir(path):
            return Store(path, actor=actor)
        if path.endswith(".db") or path.endswith(".jsonl"):
            return Store(os.path.dirname(path), actor=actor)
    return Store.discover(path, actor=actor)
