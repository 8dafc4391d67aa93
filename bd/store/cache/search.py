"""Full-text search over the cache: an FTS5 index with the trigram tokenizer, so that
``bd search`` and ``--title-contains``-style substring queries look up the few rows that hold
the text instead of reading every title and description (100,000 issues: one index probe).

The index (``bd_search``, bd's own table) is built the first time a search needs it and is
then kept in step by triggers on ``issues``; a cold build of the cache drops it, and the next
search builds it again.  It only narrows the candidates: the query's LIKE conditions still
decide, so the answers are exactly those of a plain scan.  Where SQLite lacks FTS5 or the
trigram tokenizer (SQLite before 3.34), and for queries under three characters, which
trigrams cannot find, search scans as before.
"""

from __future__ import annotations

import sqlite3

from bd.store.cache import lazy

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_META = "bd_search_index"
_TABLE = ("CREATE VIRTUAL TABLE IF NOT EXISTS bd_search USING fts5(title, description, id, "
          "content='issues', content_rowid='rowid', tokenize='trigram')")
_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS bd_search_ai AFTER INSERT ON issues BEGIN "
    "INSERT INTO bd_search(rowid, title, description, id) "
    "VALUES (new.rowid, new.title, new.description, new.id); END",
    "CREATE TRIGGER IF NOT EXISTS bd_search_ad AFTER DELETE ON issues BEGIN "
    "INSERT INTO bd_search(bd_search, rowid, title, description, id) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.id); END",
    "CREATE TRIGGER IF NOT EXISTS bd_search_au AFTER UPDATE OF title, description ON issues "
    "BEGIN INSERT INTO bd_search(bd_search, rowid, title, description, id) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.id); "
    "INSERT INTO bd_search(rowid, title, description, id) "
    "VALUES (new.rowid, new.title, new.description, new.id); END",
)
_DROP = ("DROP TRIGGER IF EXISTS bd_search_ai", "DROP TRIGGER IF EXISTS bd_search_ad",
         "DROP TRIGGER IF EXISTS bd_search_au", "DROP TABLE IF EXISTS bd_search")
MIN_CHARS = 3  # trigrams: shorter text cannot be looked up


def ready(conn: Any) -> bool:
    """The index exists and is in step (builds it when missing; False: scan instead)."""
    if not lazy.build_once(conn, lambda: lazy.flag(conn, _META) is not None,
                           lambda: _build(conn)):
        return False  # busy: this search scans, a later one builds
    return lazy.flag(conn, _META) == "1"


def _build(conn: Any) -> None:
    try:
        conn.execute(_TABLE)
        for sql in _TRIGGERS:
            conn.execute(sql)
        conn.execute("INSERT INTO bd_search(bd_search) VALUES ('rebuild')")
        value = "1"
    except sqlite3.OperationalError:  # no FTS5, or no trigram tokenizer
        for sql in _DROP:
            conn.execute(sql)
        value = "0"
    lazy.set_flag(conn, _META, value)


def drop(conn: Any) -> None:
    """Remove the index before a cold build (rebuilt by the next search)."""
    for sql in _DROP:
        conn.execute(sql)
    conn.execute("DELETE FROM metadata WHERE key = ?", (_META,))


def candidates_sql(text: str) -> tuple[str, str] | None:
    """A condition narrowing ``issues i`` to rows whose title, description or id may hold
    ``text`` (with its argument), or None when the index cannot help."""
    if len(text) < MIN_CHARS or "\x00" in text:  # FTS5 query strings end at a NUL
        return None
    phrase = '"' + text.replace('"', '""') + '"'
    return "i.rowid IN (SELECT rowid FROM bd_search WHERE bd_search MATCH ?)", phrase
