"""The SQLite cache ``.beads/beads.db``: a rebuildable view of the JSONL for fast queries.

Freshness is decided by the file's stat signature (size, mtime, ctime, inode) stored with
the rows; when it differs, every line is hashed (SHA-1) and only the lines whose hash is
not in the cache are parsed and upserted (``ON CONFLICT DO UPDATE``, never ``REPLACE``, which
would delete the row and cascade into applications' tables); a row leaves only when its
issue left the JSONL.  The blocked set is maintained incrementally: only the issues a change
can affect are re-evaluated (``schema.AFFECTED_SQL``).

The database runs in WAL mode with ``synchronous=NORMAL``: a commit appends to the log
instead of writing a rollback journal with three fsyncs (about 1 ms instead of 15-25 ms).
A power cut can lose the last commits but not corrupt the file, and a lost commit leaves
the previous JSONL signature behind, so the next command refreshes from the JSONL.

Modules: ``schema`` (DDL and SQL), ``rows`` (records to rows), ``build`` (opening, schema,
cold build), ``update`` (row upserts, the blocked set), ``refresh`` (catching up with the
JSONL).  ``Cache`` is the class the store uses.
"""

from __future__ import annotations

from bd.store.cache.refresh import Cache
from bd.store.cache.rows import issue_row, line_hash, stat_sig

__all__ = ["Cache", "issue_row", "line_hash", "stat_sig"]
