"""Keeping the cache in step with writes: upserting the changed records and their
relations, removing rows of issues that left the JSONL, and the blocked set (recomputed
whole, or only for the issues a change can affect).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping

from bd.store.cache import schema
from bd.store.cache.build import CacheBase
from bd.store.cache.rows import (
    _DEP_UPSERT,
    _INCREMENTAL_MAX,
    _INSERT_COMMENT,
    _INSERT_DEP,
    _UPSERT,
    _chunks,
    _relation_rows,
    issue_row,
)

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


class CacheRows(CacheBase):
    """Row-level updates and the blocked set."""

    def apply(self, upserts: Iterable[tuple[Mapping[str, Any], bytes, bytes]],
              removed: Iterable[str] = (), *, recompute: bool = True, in_tx: bool = False) -> None:
        """Upsert records (with their lines) and delete removed ids; keep relations and the
        blocked set in step (``recompute=False``: the change cannot affect readiness)."""
        conn = self.conn
        if not in_tx:
            conn.execute("BEGIN IMMEDIATE")
        try:
            upserts = list(upserts)
            removed = list(removed)
            if len(upserts) > _INCREMENTAL_MAX and not removed and conn.execute(
                    "SELECT 1 FROM issues LIMIT 1").fetchone() is None:
                self._load(upserts)  # an import into an empty cache
                if not in_tx:
                    conn.execute("COMMIT")
                return
            touched = [r["id"] for r, _, _ in upserts] + removed
            incremental = recompute and len(touched) <= _INCREMENTAL_MAX
            if incremental:
                old_parents = [row[0] for row in conn.execute(
                    "SELECT depends_on_id FROM dependencies WHERE type = 'parent-child' "
                    "AND issue_id IN (SELECT value FROM json_each(?))", (json.dumps(touched),))]
            if upserts:
                conn.executemany(_UPSERT, (issue_row(r, line, h) for r, line, h in upserts))
                self._sync_relations([r for r, _, _ in upserts])
            if removed:
                self._delete(removed)
            if incremental:
                self.update_blocked(touched, old_parents)
            elif recompute:
                self.recompute_blocked()
            if not in_tx:
                conn.execute("COMMIT")
        except BaseException:
            if not in_tx:
                conn.execute("ROLLBACK")
            raise

    def _delete(self, removed: list[str]) -> None:
        """Delete rows of issues that left the JSONL.

        An application table may reference ``issues(id)`` without ``ON DELETE``; SQLite then
        refuses the delete.  Such a row is kept but hidden (status tombstone, no line), with
        a notice, and retried on the next refresh, instead of failing the command.
        """
        conn = self.conn
        conn.execute("SAVEPOINT bd_delete")
        try:
            conn.executemany("DELETE FROM issues WHERE id = ?", ((r,) for r in removed))
            conn.execute("RELEASE bd_delete")
            return
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO bd_delete")
            conn.execute("RELEASE bd_delete")
        for rid in removed:
            conn.execute("SAVEPOINT bd_delete_one")
            try:
                conn.execute("DELETE FROM issues WHERE id = ?", (rid,))
            except sqlite3.IntegrityError:
                conn.execute("ROLLBACK TO bd_delete_one")
                conn.execute("UPDATE issues SET status = 'tombstone', bd_line_hash = '', "
                             "bd_lead_us = NULL WHERE id = ?", (rid,))
                conn.execute("DELETE FROM blocked_issues_cache WHERE issue_id = ?", (rid,))
                conn.execute("DELETE FROM bd_blockers WHERE issue_id = ?", (rid,))
                self.notices.append(
                    f"bd: {rid} left the JSONL, but an application table references it without "
                    "ON DELETE; its cache row is kept hidden")
            conn.execute("RELEASE bd_delete_one")

    def _sync_relations(self, records: list[Mapping[str, Any]]) -> None:
        """Diff each record's labels, dependencies and comments against its rows."""
        conn = self.conn
        ids = [r["id"] for r in records]
        have_labels: set[tuple[str, str]] = set()
        have_deps: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        have_comments: dict[tuple[Any, ...], int] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            have_labels.update(conn.execute(
                f"SELECT issue_id, label FROM labels WHERE issue_id IN ({marks})", chunk))
            for row in conn.execute(
                    "SELECT issue_id, depends_on_id, type, created_at, created_by, metadata, "
                    f"thread_id FROM dependencies WHERE issue_id IN ({marks})", chunk):
                have_deps[row[:3]] = row
            for row in conn.execute(
                    "SELECT id, issue_id, author, text, created_at, bd_comment_id FROM comments "
                    f"WHERE issue_id IN ({marks})", chunk):
                have_comments[row[1:]] = row[0]
        labels, deps, comments = _relation_rows(records)
        want_labels = set(labels)
        want_deps = {row[:3]: row for row in deps}
        want_comments = comments
        conn.executemany("DELETE FROM labels WHERE issue_id = ? AND label = ?",
                         have_labels - want_labels)
        conn.executemany("INSERT INTO labels(issue_id, label) VALUES (?, ?)",
                         want_labels - have_labels)
        gone = [k for k in have_deps if k not in want_deps]
        conn.executemany("DELETE FROM dependencies WHERE issue_id = ? AND depends_on_id = ? "
                         "AND type = ?", gone)
        conn.executemany(_INSERT_DEP + _DEP_UPSERT,
                         [row for key, row in want_deps.items() if have_deps.get(key) != row])
        keep = {row for row in want_comments if row in have_comments}
        conn.executemany(_INSERT_COMMENT, [row for row in want_comments if row not in keep])
        conn.executemany("DELETE FROM comments WHERE id = ?",
                         [(cid,) for key, cid in have_comments.items() if key not in keep])

    def recompute_blocked(self) -> None:
        """Re-derive the whole dependency-blocked set (and why each issue is in it) and
        apply it as a diff."""
        conn = self.conn
        why = set(conn.execute(schema.BLOCKERS_SQL))
        had = set(conn.execute("SELECT issue_id, who FROM bd_blockers"))
        self._store_blockers(had - why, why - had)
        new = {rid for rid, _ in why}
        old = {row[0] for row in conn.execute("SELECT issue_id FROM blocked_issues_cache")}
        self._store_blocked(old - new, new - old)
        conn.execute("DELETE FROM bd_done_parents")
        conn.execute(f"INSERT INTO bd_done_parents(issue_id) {schema.DONE_PARENTS_SQL}")

    def update_blocked(self, touched: list[str], old_parents: list[str]) -> None:
        """Re-evaluate only the issues whose blockedness a change of ``touched`` can affect
        (``old_parents``: the parents the touched issues had before the change)."""
        conn = self.conn
        affected = [row[0] for row in conn.execute(
            schema.AFFECTED_SQL, (json.dumps(touched), json.dumps(old_parents)))]
        if len(affected) > _INCREMENTAL_MAX:
            self.recompute_blocked()
            return
        # The parents whose done-ness a change of ``touched`` can alter: the old and the new
        # parents of the touched issues.
        parents = json.dumps(sorted({*old_parents, *(row[0] for row in conn.execute(
            "SELECT depends_on_id FROM dependencies WHERE type = 'parent-child' "
            "AND issue_id IN (SELECT value FROM json_each(?))", (json.dumps(touched),)))}))
        conn.execute("DELETE FROM bd_done_parents WHERE issue_id IN "
                     "(SELECT value FROM json_each(?))", (parents,))
        conn.execute(f"INSERT INTO bd_done_parents(issue_id) {schema.DONE_AMONG_SQL}",
                     (parents,))
        ids = json.dumps(affected)
        why = set(conn.execute(schema.BLOCKERS_AMONG_SQL, (ids,)))
        had = set(conn.execute("SELECT issue_id, who FROM bd_blockers "
                               "WHERE issue_id IN (SELECT value FROM json_each(?))", (ids,)))
        self._store_blockers(had - why, why - had)
        new = {rid for rid, _ in why}  # every blocked issue has a reason
        old = {row[0] for row in conn.execute(
            "SELECT issue_id FROM blocked_issues_cache "
            "WHERE issue_id IN (SELECT value FROM json_each(?))", (ids,))}
        self._store_blocked(old - new, new - old)

    def _store_blockers(self, gone: set[tuple[str, str]], added: set[tuple[str, str]]
                        ) -> None:
        if gone:
            self.conn.executemany("DELETE FROM bd_blockers WHERE issue_id = ? AND who = ?",
                                  gone)
        if added:
            self.conn.executemany("INSERT INTO bd_blockers(issue_id, who) VALUES (?, ?)",
                                  added)

    def _store_blocked(self, gone: set[str], added: set[str]) -> None:
        if gone:
            self.conn.executemany("DELETE FROM blocked_issues_cache WHERE issue_id = ?",
                                  ((i,) for i in gone))
        if added:
            self.conn.executemany("INSERT INTO blocked_issues_cache(issue_id) VALUES (?)",
                                  ((i,) for i in added))

    def record_written(self, sig: str, plain: bool) -> None:
        """The JSONL signature the rows now match (inside the caller's transaction), and
        whether the file is plain (:func:`bd.core.codec.is_plain`: writes may then splice it, and
        bd_blocks describes it)."""
        self.set_meta("bd_jsonl_sig", sig)
        self.set_meta("bd_jsonl_plain", "1" if plain else "0")
        if not plain:
            self.conn.execute("DELETE FROM bd_blocks")

    def is_plain(self) -> bool:
        return self.meta("bd_jsonl_plain") == "1"
