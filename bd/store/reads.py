"""The Store's read queries over the cache: ready, blocked, list (each also as a stream of
records, for output-bound commands), stale, stats and the small counts commands ask for.
A mixin of :class:`bd.store.store.Store`, which provides ``cache()``.
"""

from __future__ import annotations

from bd.store import queries

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from bd.store.cache import Cache

_list = list  # Reads.list shadows the builtin inside the class body


class Reads:
    """Queries of a workspace (mixed into Store)."""

    @property
    def prefix(self) -> str:
        raise NotImplementedError  # Store.prefix

    def cache(self, *, check: bool = True) -> Cache:
        raise NotImplementedError  # Store.cache

    def ready(self, f: queries.ReadyFilter | None = None) -> list[dict[str, Any]]:
        return _list(self.iter_ready(f))

    def blocked(self, parent: str | None = None) -> list[dict[str, Any]]:
        """Blocked work with ``blocked_by`` / ``blocked_by_count`` explaining each."""
        return queries.blocked(self.cache().conn, parent)

    def iter_ready(self, f: queries.ReadyFilter | None = None, *, relations: bool = True
                   ) -> Iterator[dict[str, Any]]:
        """:meth:`ready` one record at a time (bounded memory for ``limit=0``).
        ``relations`` False: for printing Issue rows, the records may lack their embedded
        dependencies and comments (which are then not parsed); likewise below."""
        cache = self.cache()
        return queries.iter_ready(cache.conn, f or queries.ReadyFilter(),
                                  ordered=self._ordered(cache), relations=relations)

    def iter_list(self, f: queries.ListFilter | None = None, *, relations: bool = True
                  ) -> Iterator[dict[str, Any]]:
        """:meth:`list` one record at a time."""
        cache = self.cache()
        self._ordered(cache)  # SQLite's planner walks bd list's order index when it exists
        return queries.iter_list(cache.conn, f or queries.ListFilter(), relations=relations)

    @staticmethod
    def _ordered(cache: Cache) -> bool:
        """The order indexes exist (built now unless this process just built the cache)."""
        from bd.store.cache import orderidx

        return orderidx.ensure(cache.conn, build=not cache.cold_built)

    def iter_blocked(self, parent: str | None = None, *, relations: bool = True
                     ) -> Iterator[dict[str, Any]]:
        """:meth:`blocked` one record at a time."""
        return queries.iter_blocked(self.cache().conn, parent, relations=relations)

    def list(self, f: queries.ListFilter | None = None) -> _list[dict[str, Any]]:
        return _list(self.iter_list(f))

    def stale(self, days: int = 30, status: str | None = None, limit: int = 50
              ) -> _list[dict[str, Any]]:
        return queries.stale(self.cache().conn, days, status, limit)

    def stats(self) -> dict[str, Any]:
        from bd.store import stats
        from bd.store.cache import counts

        cache = self.cache()
        kept = (counts.read(cache.conn) if counts.ready(cache.conn, build=not cache.cold_built)
                else None)
        return stats.stats(cache.conn, counts=kept)

    def dependents(self, rid: str) -> _list[tuple[str, str]]:
        """(issue_id, type) of the edges pointing at ``rid``."""
        return [(a, t) for a, t in self.cache().conn.execute(
            "SELECT issue_id, type FROM dependencies WHERE depends_on_id = ? "
            "ORDER BY issue_id, type", (rid,))]

    def events(self, rid: str) -> _list[dict[str, Any]]:
        cur = self.cache().conn.execute(
            "SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at "
            "FROM events WHERE issue_id = ? ORDER BY id", (rid,))
        names = [d[0] for d in cur.description]
        return [{k: v for k, v in zip(names, row, strict=False) if v is not None} for row in cur]

    def label_counts(self) -> _list[dict[str, Any]]:
        return [{"label": label, "count": n} for label, n in self.cache().conn.execute(
            "SELECT l.label, count(*) FROM labels l JOIN issues i ON i.id = l.issue_id "
            "WHERE i.status != 'tombstone' GROUP BY l.label ORDER BY l.label")]

    def count_live(self) -> int:
        """Issues in the workspace, tombstones not counted."""
        row = self.cache().conn.execute(
            "SELECT count(*) FROM issues WHERE status != 'tombstone'").fetchone()
        return int(row[0])

    def any_active(self) -> bool:
        """Whether any issue is open or in progress (ready says why it lists nothing)."""
        return self.cache().conn.execute(
            "SELECT 1 FROM issues WHERE status IN ('open','in_progress') LIMIT 1"
        ).fetchone() is not None

    def count_top_level(self) -> int:
        prefix = self.prefix + "-"
        row = self.cache().conn.execute(
            "SELECT count(*) FROM issues WHERE substr(id, 1, ?) = ? AND "
            "instr(substr(id, ?), '.') = 0", (len(prefix), prefix, len(prefix) + 1)).fetchone()
        return int(row[0])
